//! The one error every operation returns, one test per kind: what `{}` says (the operation,
//! and Infobip's words or why nothing was sent), what it never says (a header, the URL), and
//! the typed access behind it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{default_world, refused_port, send_hello};
use infobip_auth::{AuthError, AuthFailure, ClientBuilder};
use infobip_client::account::Client;
use infobip_client::{Auth, Error, ErrorKind};
use infobip_sandbox::{Endpoint, Fault};
use workspace_tests::{RecordingServer, Reply};

/// What no error's text may hold, whatever its kind: a header of the answer, the address the
/// call went to, the words of progenitor's own error.
fn assert_clean(error: &Error, base_url: &str) {
    for shown in [error.to_string(), format!("{error:?}")] {
        for header in [
            "content-type",
            "x-request-tag",
            "headers",
            "Response",
            base_url,
        ] {
            assert!(!shown.contains(header), "{header:?} in {shown}");
        }
    }
}

async fn recording() -> (RecordingServer, Client) {
    let server = RecordingServer::start().await.unwrap();
    let client = Client::new_with_client(&server.base_url(), reqwest::Client::new(), Auth::none());
    (server, client)
}

#[tokio::test]
async fn a_declared_error_reads_the_operation_and_infobips_words() {
    let (server, client) = recording().await;
    server.reply(
        Reply::json(
            403,
            r#"{"errorCode":"E403","description":"Insufficient permissions","action":"Add the scope","violations":[{"property":"scopeGuids","violation":"must not be empty"}],"resources":[]}"#,
        )
        .header("x-request-tag", "abc"),
    );
    let error = client
        .get_api_key()
        .api_key_id("k1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`get-api-key` failed: HTTP 403 E403 Insufficient permissions; scopeGuids: must not be \
         empty (action: Add the scope)"
    );
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.operation().id, "get-api-key");
    assert!(matches!(error.kind(), ErrorKind::Api(infobip) if infobip.code == "E403"));
    assert!(error.may_have_been_received());
    assert_clean(&error, &server.base_url());
}

#[tokio::test]
async fn a_status_the_description_does_not_declare_keeps_infobips_text() {
    // get-account-balance declares no 418 and no 409; the legacy body is read all the same.
    let (server, client) = recording().await;
    server.reply(
        Reply::json(
            409,
            r#"{"requestError":{"serviceException":{"messageId":"CONFLICT","text":"Another change is in progress"}}}"#,
        )
        .header("retry-after", "7"),
    );
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "`get-account-balance` failed: HTTP 409 E409 Another change is in progress"
    );
    let infobip = error.infobip().unwrap();
    assert_eq!(infobip.message_id.as_deref(), Some("CONFLICT"));
    assert_eq!(error.retry_after(), Some(std::time::Duration::from_secs(7)));
    assert_clean(&error, &server.base_url());
}

#[tokio::test]
async fn a_429_on_an_sms_send_keeps_infobips_text() {
    let w = default_world().await;
    w.sandbox.inject(
        Endpoint::SendSmsMessages,
        Fault::reply(
            429,
            r#"{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}"#,
        ),
    );
    let infobip = w.connect(w.api_key_builder(&w.new_key("sender", &["sms:message:send"]).1));
    let error = send_hello(&infobip).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "`send-sms-messages` failed: HTTP 429 E429 Too many requests"
    );
    assert_clean(&error, w.sandbox.base_url());
}

#[tokio::test]
async fn an_error_body_is_read_only_up_to_its_limit() {
    let (server, client) = recording().await;
    let huge = format!("<html>{}</html>", "x".repeat(Error::ERROR_BODY_LIMIT * 4));
    server.reply(Reply::json(502, huge).header("content-type", "text/html"));
    let error = client.get_account_balance().send().await.unwrap_err();
    let raw = error.infobip().unwrap().raw.clone().unwrap();
    assert!(raw.starts_with("<html>xxx"), "{raw}");
    assert!(raw.chars().count() <= infobip_client::InfobipError::RAW_LIMIT + 1);
    assert!(error
        .to_string()
        .starts_with("`get-account-balance` failed: HTTP 502 E502"));
}

#[tokio::test]
async fn an_empty_error_answer_reads_as_its_status() {
    let (server, client) = recording().await;
    server.reply(Reply::empty(503));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "`get-account-balance` failed: HTTP 503 E503 Service Unavailable (no body)"
    );
}

#[tokio::test]
async fn an_auth_failure_says_nothing_was_sent_and_comes_back_typed() {
    let w = default_world().await;
    let client = w.api_key(&w.new_key_secret("plain"));
    let error = client.get_api_keys_by_filter().send().await.unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.starts_with(
            "`get-api-keys-by-filter` was not sent: APIKeyHeader authentication failed: "
        ),
        "{shown}"
    );
    assert!(
        shown.contains("it accepts Basic, IBSSOTokenHeader, OAuth2"),
        "{shown}"
    );
    let failure = AuthFailure::of(&error).unwrap();
    assert!(matches!(
        failure.error(),
        AuthError::SchemeNotAccepted { .. }
    ));
    assert!(!error.may_have_been_received());
    assert!(error.status().is_none() && error.infobip().is_none());
    assert_clean(&error, w.sandbox.base_url());
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let (server, client) = recording().await;
    let error = client
        .update_api_key()
        .body(infobip_client::account::types::UpdateApiKeyRequest::builder())
        .send()
        .await
        .unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.starts_with("`update-api-key` was not sent: invalid request: "),
        "{shown}"
    );
    assert!(matches!(error.kind(), ErrorKind::InvalidRequest(_)));
    assert!(!error.may_have_been_received());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn no_answer_says_so_without_the_url() {
    let base = format!("http://127.0.0.1:{}", refused_port());
    let client = ClientBuilder::basic("user", "password")
        .base_url(&base)
        .build()
        .unwrap();
    let error = client
        .get_api_keys_by_filter()
        .api_key_secret("S3CRET-in-the-query")
        .send()
        .await
        .unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.starts_with("`get-api-keys-by-filter` got no answer: "),
        "{shown}"
    );
    assert!(matches!(error.kind(), ErrorKind::Transport(e) if e.is_connect()));
    // A refused connection never reached Infobip: calling again is safe.
    assert!(!error.may_have_been_received(), "{shown}");
    assert!(!shown.contains("S3CRET") && !format!("{error:#?}").contains("S3CRET"));
    assert_clean(&error, &base);
}

#[tokio::test]
async fn a_success_body_unlike_the_description_is_shown_without_its_secrets() {
    let (server, client) = recording().await;
    server.reply(Reply::json(
        200,
        r#"{"id":"k1","apiKeySecret":"S3CRET-key","enabled":"perhaps"}"#,
    ));
    let error = client
        .get_api_key()
        .api_key_id("k1")
        .send()
        .await
        .unwrap_err();
    let shown = format!("{error} {error:#?}");
    assert!(
        matches!(error.kind(), ErrorKind::InvalidResponse { status: 200, .. }),
        "{shown}"
    );
    assert!(
        error
            .to_string()
            .starts_with("`get-api-key` answered HTTP 200 with a body unlike its description (JSON of another shape at line 1 column "),
        "{shown}"
    );
    assert!(shown.contains(r#""apiKeySecret":"[redacted]""#), "{shown}");
    assert!(!shown.contains("S3CRET"), "{shown}");
}

/// A server whose every answer is a 200 of endless JSON-looking chunks, without a length; its
/// base URL.
async fn endless_answers() -> String {
    use axum::body::Body;
    use futures_util::stream;

    let app = axum::Router::new().fallback(|| async {
        let chunks = stream::repeat_with(|| {
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 1 << 20]))
        });
        (
            [("content-type", "application/json")],
            Body::from_stream(chunks),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// A server that answers one request with a 200 declaring a terabyte of JSON and sends none
/// of it (an HTTP server library would not let a test declare what it does not send); its
/// base URL.
async fn declared_terabyte() -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = [0; 4096];
        let _ = socket.read(&mut head).await;
        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                      content-length: 1099511627776\r\n\r\n";
        socket.write_all(answer.as_bytes()).await.unwrap();
        // Held open: the client must not wait for the body.
        let _ = socket.read(&mut head).await;
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_success_answer_without_end_is_cut_at_its_limit() {
    for base_url in [endless_answers().await, declared_terabyte().await] {
        let client = Client::new_with_client(&base_url, reqwest::Client::new(), Auth::none());
        let error = client.get_account_balance().send().await.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidResponse { status: 200, .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("the answer is larger than 64 MiB"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn debug_reads_as_display_and_the_alternate_form_shows_the_fields() {
    let (server, client) = recording().await;
    server.reply(Reply::empty(500));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(format!("{error:?}"), error.to_string());
    let fields = format!("{error:#?}");
    assert!(
        fields.contains("operation: \"get-account-balance\""),
        "{fields}"
    );
    assert!(fields.contains("product: \"account\""), "{fields}");
}
