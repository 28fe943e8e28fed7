//! Infobip's `Deprecation` (RFC 9745) and `Sunset` (RFC 8594) headers on an answer: one
//! warning per operation and connection, naming the operation and the header values and
//! nothing else of the answer; none for an answer without them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use infobip_auth::retry::RetryPolicy;
use infobip_auth::{ClientBuilder, Infobip};
use infobip_client::Products as _;
use tracing::Level;
use workspace_tests::{CapturedLogs, Recorded, RecordingServer, Reply};

const BALANCE: &str = r#"{"balance":47.5,"currency":"EUR"}"#;
const DEPRECATION: &str = "@1728475200";
const SUNSET: &str = "Wed, 09 Apr 2025 12:00:00 GMT";
const KEY: &str = "k3y-0f-the-test";

fn deprecated_balance() -> Reply {
    Reply::json(200, BALANCE)
        .header("Deprecation", DEPRECATION)
        .header("Sunset", SUNSET)
}

fn client(server: &RecordingServer) -> infobip_client::account::Client {
    ClientBuilder::api_key(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap()
}

/// The lines of `logs` that are the deprecation warning.
fn warnings(logs: &CapturedLogs) -> Vec<String> {
    logs.text()
        .lines()
        .filter(|line| line.contains("deprecated"))
        .map(str::to_owned)
        .collect()
}

/// Two answers with both headers to calls of one operation on one connection: one warning,
/// at WARN, with the operation and both values, and nothing of the answer's body or the key.
async fn two_deprecated_answers_warn_once(level: Level) {
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber_at(level));
    let server = RecordingServer::start().await.unwrap();
    let client = client(&server);
    for _ in 0..2 {
        server.reply(deprecated_balance());
        let balance = client.get_account_balance().send().await.unwrap();
        assert_eq!(balance.currency, "EUR");
    }
    let [warning] = warnings(&logs).try_into().unwrap_or_else(|lines: Vec<_>| {
        panic!("expected one warning, got {lines:#?}\nin:\n{}", logs.text())
    });
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains("operation=\"get-account-balance\""),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("deprecation=\"{DEPRECATION}\"")),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("sunset=\"{SUNSET}\"")),
        "{warning}"
    );
    for answered in ["47.5", "EUR", KEY] {
        assert!(!warning.contains(answered), "{answered} in {warning}");
    }

    // Another connection has not warned yet: it does, once, with the one value it got.
    let other = self::client(&server);
    server.reply(Reply::json(200, BALANCE).header("Sunset", SUNSET));
    other.get_account_balance().send().await.unwrap();
    let lines = warnings(&logs);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[1].contains(&format!("sunset=\"{SUNSET}\"")),
        "{}",
        lines[1]
    );
    assert!(!lines[1].contains("deprecation="), "{}", lines[1]);

    // A third, with the deprecation alone among other headers: once, with its one value.
    let third = self::client(&server);
    server.reply(
        Reply::json(200, BALANCE)
            .header("X-Request-Id", "3f1c")
            .header("Deprecation", DEPRECATION)
            .header("Cache-Control", "no-store"),
    );
    third.get_account_balance().send().await.unwrap();
    let lines = warnings(&logs);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines[2].contains(&format!("deprecation=\"{DEPRECATION}\"")),
        "{}",
        lines[2]
    );
    assert!(!lines[2].contains("sunset="), "{}", lines[2]);
}

#[tokio::test]
async fn a_deprecated_operation_is_logged_once_per_connection_in_its_call_span() {
    // Every span on: the call goes through the traced path.
    two_deprecated_answers_warn_once(Level::TRACE).await;
}

#[tokio::test]
async fn a_deprecated_operation_is_logged_once_per_connection_with_spans_off() {
    // Warnings only: the call spans are off. A read is retried by default, which keeps it on
    // the general route; the short routes are taken with retries off, below.
    two_deprecated_answers_warn_once(Level::WARN).await;
}

#[tokio::test]
async fn an_answer_without_the_headers_logs_no_warning() {
    for level in [Level::TRACE, Level::WARN] {
        let logs = CapturedLogs::default();
        let _guard = tracing::subscriber::set_default(logs.subscriber_at(level));
        let server = RecordingServer::start().await.unwrap();
        server.reply(Reply::json(200, BALANCE));
        client(&server).get_account_balance().send().await.unwrap();
        assert_eq!(warnings(&logs), Vec::<String>::new(), "{}", logs.text());
        assert!(!logs.text().contains("WARN"), "{}", logs.text());
    }
}

#[tokio::test]
async fn a_header_value_that_is_not_text_is_not_printed() {
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber_at(Level::WARN));
    let server = RecordingServer::start().await.unwrap();
    // A right-to-left override: bytes a terminal would act on, in a log line read in one.
    server.reply(
        Reply::json(200, BALANCE)
            .header("Deprecation", "@1728475200\u{202e}")
            .header("Sunset", SUNSET),
    );
    client(&server).get_account_balance().send().await.unwrap();
    let [warning] = warnings(&logs)
        .try_into()
        .unwrap_or_else(|lines: Vec<_>| panic!("expected one warning, got {lines:#?}"));
    assert!(warning.contains("deprecation=\"[not text]\""), "{warning}");
    assert!(!warning.contains('\u{202e}'), "{warning}");
    assert!(
        warning.contains(&format!("sunset=\"{SUNSET}\"")),
        "{warning}"
    );
}

/// Answers an OAuth 2.0 token request with a token, and every other request with `answer`.
fn tokens_and(answer: fn() -> Reply) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |request: &Recorded| {
        if request.path == "/auth/1/oauth2/token" {
            Reply::json(
                200,
                r#"{"access_token":"t0k3n","expires_in":3600,"token_type":"Bearer"}"#,
            )
        } else {
            answer()
        }
    }
}

/// The connections a deprecation is logged for: an API key's, whose call goes to the
/// transport as it is when nobody records its span, and an OAuth 2.0 one, whose call then
/// goes by the cached token's short route (auth/src/authenticator.rs, `Route`).
fn connections(server: &RecordingServer) -> [(infobip_client::Scheme, Infobip); 2] {
    [
        ClientBuilder::api_key(KEY),
        ClientBuilder::oauth2("client", "client-secret"),
    ]
    .map(|builder| {
        builder
            .base_url(server.base_url())
            // Retried reads take the general route.
            .read_retry(RetryPolicy::never())
            .connect()
            .unwrap()
    })
    .map(|infobip| (infobip.scheme(), infobip))
}

/// Two deprecated answers on each connection, at each level: one warning per connection.
async fn warned_once_per_connection<F, Fut>(answer: fn() -> Reply, call: F)
where
    F: Fn(Infobip) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for level in [Level::WARN, Level::TRACE] {
        let logs = CapturedLogs::default();
        let _guard = tracing::subscriber::set_default(logs.subscriber_at(level));
        let server = RecordingServer::start_with(tokens_and(answer))
            .await
            .unwrap();
        for (scheme, infobip) in connections(&server) {
            let before = warnings(&logs).len();
            call(infobip.clone()).await;
            call(infobip).await;
            let lines = warnings(&logs);
            assert_eq!(
                lines.len() - before,
                1,
                "{scheme} at {level}: {lines:#?}\nin:\n{}",
                logs.text()
            );
        }
    }
}

#[tokio::test]
async fn a_deprecated_operation_answered_with_an_error_is_logged_once_per_connection() {
    fn refused() -> Reply {
        Reply::json(
            404,
            r#"{"errorCode":"E404","description":"Not found","action":"","violations":[],"resources":[]}"#,
        )
        .header("Deprecation", DEPRECATION)
        .header("Sunset", SUNSET)
    }
    warned_once_per_connection(refused, |infobip| async move {
        let error = infobip
            .account()
            .get_account_balance()
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(404), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_deprecated_operation_is_logged_once_per_connection_whatever_its_scheme() {
    warned_once_per_connection(deprecated_balance, |infobip| async move {
        let balance = infobip
            .account()
            .get_account_balance()
            .send()
            .await
            .unwrap();
        assert_eq!(balance.currency, "EUR");
    })
    .await;
}

#[tokio::test]
async fn a_deprecated_upload_is_logged_once_per_connection() {
    use infobip_client::uploads_fixture::multipart::UploadDocumentForm;
    use infobip_client::FilePart;

    fn uploaded() -> Reply {
        Reply::json(200, r#"{"documentId":"doc-1","size":12}"#)
            .header("Deprecation", DEPRECATION)
            .header("Sunset", SUNSET)
    }
    warned_once_per_connection(uploaded, |infobip| async move {
        let form = UploadDocumentForm::new(FilePart::bytes("a.txt", "x"), String::from("t"));
        let sent = infobip
            .client::<infobip_client::uploads_fixture::Client>()
            .upload_document()
            .folder_id(42)
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(sent.document_id, "doc-1");
    })
    .await;
}

/// A request written by hand for `path` (with a query) on `infobip`'s origin, answered by
/// the server with a deprecation.
async fn send_by_hand(infobip: &Infobip, method: reqwest::Method, path: &str) {
    let url = format!("{}{path}?token=t-S3CRET&page=2", infobip.base_url());
    let request = reqwest::Request::new(method, url.parse().unwrap());
    let answer = infobip.send(request).await.unwrap();
    assert_eq!(answer.status(), 200);
}

fn hand_written_connection(server: &RecordingServer) -> Infobip {
    ClientBuilder::api_key(KEY)
        .base_url(server.base_url())
        .connect()
        .unwrap()
}

#[tokio::test]
async fn requests_written_by_hand_are_logged_once_per_method_and_path_naming_the_path() {
    for level in [Level::WARN, Level::TRACE] {
        let logs = CapturedLogs::default();
        let _guard = tracing::subscriber::set_default(logs.subscriber_at(level));
        let server = RecordingServer::start_with(|_: &Recorded| deprecated_balance())
            .await
            .unwrap();
        let infobip = hand_written_connection(&server);
        for (method, path) in [
            (reqwest::Method::GET, "/new-product/1/a"),
            (reqwest::Method::GET, "/new-product/1/a"),
            (reqwest::Method::GET, "/new-product/1/b"),
            (reqwest::Method::DELETE, "/new-product/1/b"),
        ] {
            send_by_hand(&infobip, method, path).await;
        }
        let lines = warnings(&logs);
        assert_eq!(lines.len(), 3, "at {level}: {lines:#?}");
        for (line, (method, path)) in lines.iter().zip([
            ("GET", "/new-product/1/a"),
            ("GET", "/new-product/1/b"),
            ("DELETE", "/new-product/1/b"),
        ]) {
            assert!(line.contains(&format!("method={method}")), "{line}");
            assert!(line.contains(&format!("path=\"{path}\"")), "{line}");
            // The query is the caller's and may hold a secret: none of it is named.
            for query in ["S3CRET", "token", "page"] {
                assert!(!line.contains(query), "{query} in {line}");
            }
        }
    }
}

#[tokio::test]
async fn requests_written_by_hand_stop_being_logged_after_256_paths_with_one_last_notice() {
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber_at(Level::WARN));
    let server = RecordingServer::start_with(|_: &Recorded| deprecated_balance())
        .await
        .unwrap();
    let infobip = hand_written_connection(&server);
    // Paths a caller chooses (an id in each): a connection remembers a bounded number.
    for id in 0..300 {
        send_by_hand(
            &infobip,
            reqwest::Method::GET,
            &format!("/people/2/persons/{id}"),
        )
        .await;
    }
    let lines = warnings(&logs);
    assert_eq!(lines.len(), 257, "{:#?}", lines.last());
    assert!(
        lines[255].contains("path=\"/people/2/persons/255\""),
        "{}",
        lines[255]
    );
    let last = &lines[256];
    assert!(last.contains("WARN") && last.contains("256"), "{last}");
    assert!(!last.contains("/people/2/persons/256"), "{last}");

    // Generated operations are still logged, each under its own id.
    server.reply(deprecated_balance());
    infobip
        .account()
        .get_account_balance()
        .send()
        .await
        .unwrap();
    let lines = warnings(&logs);
    assert_eq!(lines.len(), 258, "{:#?}", lines.last());
    assert!(
        lines[257].contains("operation=\"get-account-balance\""),
        "{}",
        lines[257]
    );
}
