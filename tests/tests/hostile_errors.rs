//! A hostile server, a flaky network and a careless caller against `infobip_client::Error`:
//! what its text may never hold (a header, a URL, a secret), how much of an error body is
//! read, and whether it says rightly that the request may have been received.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::{Read as _, Write as _};
use std::time::Duration;

use common::default_world;
use infobip_auth::ClientBuilder;
use infobip_client::account::Client;
use infobip_client::{Auth, Error, ErrorKind};
use infobip_sandbox::{Endpoint, Fault, DEMO_PASSWORD};
use workspace_tests::{RecordingServer, Reply};

/// Every form of `error` a caller can print.
fn printed(error: &Error) -> String {
    format!("{error}\n{error:?}\n{error:#?}")
}

fn assert_no_secret(error: &Error, secrets: &[&str]) {
    let shown = printed(error);
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret:?} in {shown}");
    }
}

async fn recording() -> (RecordingServer, Client) {
    let server = RecordingServer::start().await.unwrap();
    let client = Client::new_with_client(&server.base_url(), reqwest::Client::new(), Auth::none());
    (server, client)
}

/// A loopback server on a thread of its own: for every connection it reads the request's
/// head, writes `answer`, and then holds the connection open, sending nothing more, until the
/// client closes it. With a chunked answer, the body never ends.
fn holding_server(answer: Vec<u8>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(&answer);
                let _ = stream.flush();
                // Until the client goes away.
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    format!("http://{addr}")
}

/// The head of a chunked answer of `status` and its first chunk, `chunk`; no last chunk.
fn endless_answer(status: u16, chunk: &[u8]) -> Vec<u8> {
    let mut answer = format!(
        "HTTP/1.1 {status} Whatever\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
        chunk.len()
    )
    .into_bytes();
    answer.extend_from_slice(chunk);
    answer.extend_from_slice(b"\r\n");
    answer
}

#[tokio::test]
async fn a_json_error_body_whose_strings_echo_the_request_shows_no_secret() {
    // Regression: `InfobipError::shown` redacts a JSON body only by field name,
    // and keeps the body byte for byte when no field is secret-named; a gateway's JSON error
    // that quotes the refused request in a string ("message": "... client_secret=...") was
    // shown whole.
    let (server, client) = recording().await;
    server.reply(Reply::json(
        400,
        r#"{"message":"rejected POST /auth/1/oauth2/token client_id=u&client_secret=S3CRET-body&grant_type=client_credentials","request":{"line":"GET /settings/2/api-keys?apiKeySecret=S3CRET-query HTTP/1.1","echo":["Authorization: Basic S3CRET-header"]}}"#,
    ));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Api(_)), "{error}");
    assert_no_secret(&error, &["S3CRET"]);
    assert!(
        printed(&error).contains("client_id=u"),
        "{}",
        printed(&error)
    );
}

#[tokio::test]
async fn infobips_own_words_that_quote_a_secret_are_redacted() {
    // Regression: a body in Infobip's format is shown as its description,
    // violations and action, untouched; a server that quotes the request in them (the
    // header it refused, the query it could not read) had the secret printed.
    let (server, client) = recording().await;
    server.reply(Reply::json(
        400,
        r#"{"errorCode":"E400","description":"Bad request: GET /settings/2/api-keys?apiKeySecret=S3CRET-new-query","action":"do not send Authorization: App S3CRET-new-action","violations":[{"property":"header","violation":"Authorization: Bearer S3CRET-new-violation is malformed"}],"resources":[]}"#,
    ));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_no_secret(&error, &["S3CRET"]);
    assert!(
        error.to_string().contains("HTTP 400 E400 Bad request"),
        "{error}"
    );

    server.reply(Reply::json(
        401,
        r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details: password=S3CRET-legacy"}}}"#,
    ));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_no_secret(&error, &["S3CRET"]);
    assert!(
        error.to_string().contains("E401 Invalid login details"),
        "{error}"
    );
}

#[tokio::test]
async fn headers_echoed_as_name_and_value_pairs_are_redacted() {
    // Regression: a header echoed as `{"name": "Authorization", "value": "..."}`
    // (the HAR shape, and many debugging proxies') has no secret-named field, so its value
    // was shown.
    let (server, client) = recording().await;
    server.reply(Reply::json(
        502,
        r#"{"error":"upstream refused","headers":[{"name":"Authorization","value":"Basic S3CRET-pair"},{"name":"Accept","value":"application/json"}]}"#,
    ));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_no_secret(&error, &["S3CRET"]);
    assert!(
        printed(&error).contains("application/json"),
        "{}",
        printed(&error)
    );
}

#[tokio::test]
async fn text_echoes_with_tabs_escapes_and_extra_spaces_are_redacted() {
    // Regression: `redact_text` took only spaces and quotes around the `:` or
    // `=` after a secret-named key, and one space after a scheme word, so that a tab
    // (`Authorization:\tBasic ...`), two spaces (`Bearer  ...`), or the backslash of JSON
    // quoted in text (a JSON body cut short, or quoted in a page: `\"token\":\"...\"`) left
    // the value in place.
    let (server, client) = recording().await;
    let mut leaked = Vec::new();
    for (n, body) in [
        "<pre>GET /account/1/balance HTTP/1.1\nAuthorization:\tBasic S3CRET-tab\n</pre>",
        "<pre>Authorization: Bearer  S3CRET-two-spaces</pre>",
        r#"<p>payload: {\"client_secret\":\"S3CRET-escaped\",\"client_id\":\"u\"}</p>"#,
        "{\"echo\": {\"password\":\t\"S3CRET-cut-json",
    ]
    .into_iter()
    .enumerate()
    {
        server.reply(Reply::json(400 + u16::try_from(n).unwrap(), body));
        let error = client.get_account_balance().send().await.unwrap_err();
        if printed(&error).contains("S3CRET") {
            leaked.push(error.to_string());
        }
    }
    assert!(leaked.is_empty(), "{leaked:#?}");
}

#[tokio::test]
#[ignore = "defect: a header echoed in an HTML table (<td>Authorization</td><td>Basic ...</td>) \
            has no `:` or `=` after its name; redact_text keeps the credential"]
async fn a_header_echoed_in_an_html_table_is_redacted() {
    let (server, client) = recording().await;
    server.reply(Reply::json(
        400,
        "<table><tr><td>Authorization</td><td>Basic dXNlcjpTM0NSRVQ=</td></tr></table>",
    ));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_no_secret(&error, &["dXNlcjpTM0NSRVQ="]);
}

#[tokio::test]
async fn a_request_that_cannot_be_built_does_not_print_its_url() {
    // Regression: reqwest's builder error names the URL ("builder error for url
    // (...)"), and `call::transport_error` made it an `InvalidRequest` from its text without
    // taking the URL out as it does for a transport error. A base URL without a scheme
    // (`localhost:8080`) or with another (`ftp://`) printed the whole URL, query secrets
    // included.
    let mut leaked = Vec::new();
    for base in ["localhost:1", "ftp://127.0.0.1:1"] {
        let client = Client::new_with_client(base, reqwest::Client::new(), Auth::none());
        let error = client
            .get_api_keys_by_filter()
            .api_key_secret("S3CRET-in-the-url")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidRequest(_)),
            "{base}: {error}"
        );
        assert!(!error.may_have_been_received(), "{base}: {error}");
        let shown = printed(&error);
        if shown.contains("S3CRET") || shown.contains("/settings/2/api-keys") {
            leaked.push(error.to_string());
        }
    }
    assert!(leaked.is_empty(), "{leaked:#?}");
}

#[tokio::test]
async fn an_error_body_that_never_ends_is_read_up_to_its_limit_through_the_auth_layer() {
    // Regression: for a call whose URL holds a secret (`apiKeySecret`), the auth
    // layer reads an error answer's body whole (`redact::rewrite`, with no limit) to take the
    // secret's echoes out, before the client reads its 64 KiB: an error body that never ends
    // held the call until its timeout (by default, minutes) and one of gigabytes was held in
    // memory.
    let filler = vec![b'x'; Error::ERROR_BODY_LIMIT + 4096];
    let base = holding_server(endless_answer(500, &filler));
    let client = ClientBuilder::basic("user", "password")
        .base_url(&base)
        .build()
        .unwrap();
    let call = client
        .get_api_keys_by_filter()
        .api_key_secret("S3CRET-in-the-url")
        .send();
    let error = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the error body was read past its limit")
        .unwrap_err();
    let infobip = error.infobip().expect("an API error");
    assert_eq!(infobip.status, Some(500), "{error}");
    assert!(
        infobip.raw.as_deref().unwrap_or("").starts_with("xxxx"),
        "{error}"
    );
    assert_no_secret(&error, &["S3CRET"]);
}

#[tokio::test]
async fn a_success_body_over_its_limit_is_cut_through_the_auth_layer() {
    // An answer the auth layer reads before the client does (its URL holds a secret, or, as
    // here too, its success body may hold one) is read for its secrets' echoes. A body past
    // the 64 MiB limit that never ends, or a length declared past it and never sent, must
    // fail the call as it does without the auth layer, not hold it (and the body read so far)
    // until the timeout.
    let mut endless = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
        Error::SUCCESS_BODY_LIMIT + 4096
    )
    .into_bytes();
    endless.resize(endless.len() + Error::SUCCESS_BODY_LIMIT + 4096, b' ');
    endless.extend_from_slice(b"\r\n");
    let declared = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: 1099511627776\r\n\r\n"
        .to_vec();
    for (answer, what) in [(endless, "endless"), (declared, "declared")] {
        let base = holding_server(answer);
        let client = ClientBuilder::basic("user", "password")
            .base_url(&base)
            .build()
            .unwrap();
        let call = client
            .get_api_keys_by_filter()
            .api_key_secret("S3CRET-in-the-url")
            .send();
        let Ok(answer) = tokio::time::timeout(Duration::from_secs(20), call).await else {
            panic!("{what}: the success body was read past its limit");
        };
        let error = answer.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidResponse { status: 200, .. }),
            "{what}: {error}"
        );
        assert!(
            error
                .to_string()
                .contains("the answer is larger than 64 MiB"),
            "{what}: {error}"
        );
        assert_no_secret(&error, &["S3CRET"]);
    }
}

#[test]
fn a_traced_send_whose_answer_declares_more_than_its_limit_fails_at_once() {
    // With spans recorded, a send's JSON answer is read for the ids its span names, up to a
    // bound of its own; a length declared past that bound and never sent must not hold the
    // call until the timeout, when the same answer untraced fails at once.
    common::run_traced(true, async {
        let base = holding_server(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
              content-length: 1099511627776\r\n\r\n"
                .to_vec(),
        );
        let infobip = ClientBuilder::api_key("a-key-for-the-test")
            .base_url(&base)
            .connect()
            .unwrap();
        let error = tokio::time::timeout(Duration::from_secs(20), common::send_hello(&infobip))
            .await
            .expect("the declared body was waited for")
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the answer is larger than 64 MiB"),
            "{error}"
        );
    });
}

#[tokio::test]
async fn a_timeout_after_sending_may_have_been_received() {
    // The server reads the request and never answers: it may act on it.
    let base = holding_server(Vec::new());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let client = Client::new_with_client(&base, http, Auth::none());
    let error = client
        .get_api_keys_by_filter()
        .api_key_secret("S3CRET-in-the-url")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Transport(e) if e.is_timeout()),
        "{error}"
    );
    assert!(error.may_have_been_received(), "{error}");
    assert_no_secret(&error, &["S3CRET", &base]);
}

#[tokio::test]
async fn an_error_answer_that_breaks_off_keeps_its_status_and_says_it_was_received() {
    let base = holding_server(
        b"HTTP/1.1 503 Whatever\r\ncontent-length: 100\r\nconnection: close\r\n\r\nhalf".to_vec(),
    );
    // The server holds the connection: a short timeout ends the body.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let client = Client::new_with_client(&base, http, Auth::none());
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");
    assert!(error.may_have_been_received(), "{error}");
}

#[test]
fn retry_after_reads_seconds_and_dates_and_ignores_garbage() {
    use infobip_client::retry_after;
    use reqwest::header::HeaderValue;
    let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let read = |v: &str| retry_after(Some(&HeaderValue::from_str(v).unwrap()), now);
    assert_eq!(read("7"), Some(Duration::from_secs(7)));
    assert_eq!(read(" 7 "), Some(Duration::from_secs(7)));
    assert_eq!(read("-7"), None);
    assert_eq!(read("7.5"), None);
    assert_eq!(read("soon"), None);
    assert_eq!(read(""), None);
    assert_eq!(
        read("99999999999999999999999999"),
        Some(Duration::from_secs(u64::MAX))
    );
    assert_eq!(read("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
    assert_eq!(
        read("Tue, 14 Nov 2023 22:13:30 GMT"),
        Some(Duration::from_secs(10))
    );
    assert_eq!(retry_after(None, now), None);
}

#[tokio::test]
async fn a_login_redirect_whose_path_echoes_the_secret_does_not_print_it() {
    // Regression: `AuthError::Redirected` names where the token endpoint's
    // redirect pointed, without its query or user info but with its path, and a server can
    // put in a path what it read from the body (`client_secret=...`).
    let w = default_world().await;
    w.sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::reply(302, "").with_header(
            "location",
            &format!("https://elsewhere.example/collect/client_secret={DEMO_PASSWORD}/done"),
        ),
    );
    let error = w.oauth2().get_account_balance().send().await.unwrap_err();
    let shown = printed(&error);
    assert!(
        shown.contains("https://elsewhere.example/collect/"),
        "{shown}"
    );
    assert!(!shown.contains(DEMO_PASSWORD), "{shown}");
    assert!(!error.may_have_been_received(), "{shown}");
}
