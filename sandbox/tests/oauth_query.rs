//! The token endpoint with the credentials in the query string, as Infobip's community Node
//! SDK sends them: accepted, warned about, and kept out of the logs and the request log.
//!
//! A test binary of its own, and every test captures the logs: tracing caches per-callsite
//! interest process-wide, so a callsite first hit by a thread with no subscriber could miss
//! the scoped subscriber of the test that checks the warning.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use infobip_sandbox::{Account, Endpoint, Sandbox, SandboxConfig};
use reqwest::{Client, Response};
use serde_json::Value;
use tracing::subscriber::DefaultGuard;
use workspace_tests::CapturedLogs;

const USERNAME: &str = "query-user";
/// Characters that need encoding, so that both the raw and the encoded form can be looked for.
const PASSWORD: &str = "q p&ss=w+rd%7";
const ENCODED_PASSWORD: &str = "q+p%26ss%3Dw%2Brd%257";

/// Captures everything logged on this thread (the test runtime's only one) until the guard
/// is dropped.
fn capture() -> (CapturedLogs, DefaultGuard) {
    let logs = CapturedLogs::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    (logs, guard)
}

struct Env {
    sandbox: Sandbox,
    http: Client,
}

impl Env {
    async fn start() -> Env {
        let config = SandboxConfig::for_tests().with_account(Account::new(
            USERNAME,
            PASSWORD,
            "5A1D0C8A9E3B47F2A6C1D2E3F4A5B6C7",
        ));
        Env {
            sandbox: Sandbox::start(config).await.unwrap(),
            http: Client::builder().no_proxy().build().unwrap(),
        }
    }

    /// A token request with `query` in the URL and `form` as an urlencoded body (empty when
    /// `form` is), sent with the form content type as the Node SDK does.
    async fn token(&self, query: &[(&str, &str)], form: &[(&str, &str)]) -> Response {
        self.http
            .post(format!("{}/auth/1/oauth2/token", self.sandbox.base_url()))
            .query(query)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn balance(&self, bearer: &str) -> u16 {
        self.http
            .get(format!("{}/account/1/balance", self.sandbox.base_url()))
            .header("Authorization", format!("Bearer {bearer}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

fn credentials(secret: &str) -> [(&str, &str); 3] {
    [
        ("client_id", USERNAME),
        ("client_secret", secret),
        ("grant_type", "client_credentials"),
    ]
}

async fn access_token(response: Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Asserts the token endpoint's legacy error body and returns it as text.
async fn legacy_error(response: Response, status: u16, error: &str, message_id: &str) -> String {
    assert_eq!(response.status(), status);
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(
        body["requestError"]["serviceException"]["messageId"], message_id,
        "{body}"
    );
    text
}

fn assert_no_secret(haystack: &str, place: &str) {
    for secret in [PASSWORD, ENCODED_PASSWORD] {
        assert!(
            !haystack.contains(secret),
            "the secret leaked into {place}:\n{haystack}"
        );
    }
}

#[tokio::test]
async fn query_only_credentials_get_a_working_token() {
    let (_logs, _guard) = capture();
    let env = Env::start().await;

    let token = access_token(env.token(&credentials(PASSWORD), &[]).await).await;
    assert_eq!(env.balance(&token).await, 200);

    // The Node SDK's axios 0.26 writes its empty `{}` data as JSON under the form content
    // type; the body is then the form key `{}`, which the token call ignores.
    let response = env
        .http
        .post(format!("{}/auth/1/oauth2/token", env.sandbox.base_url()))
        .query(&credentials(PASSWORD))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("{}")
        .send()
        .await
        .unwrap();
    access_token(response).await;

    // With nothing in the body there is nothing whose type needs declaring.
    let response = env
        .http
        .post(format!("{}/auth/1/oauth2/token", env.sandbox.base_url()))
        .query(&credentials(PASSWORD))
        .send()
        .await
        .unwrap();
    access_token(response).await;
}

#[tokio::test]
async fn wrong_query_credentials_get_the_legacy_401() {
    let (_logs, _guard) = capture();
    let env = Env::start().await;
    let response = env.token(&credentials("not-the-password"), &[]).await;
    let body = legacy_error(response, 401, "invalid_client", "UNAUTHORIZED").await;
    assert!(!body.contains("not-the-password"), "{body}");

    let response = env
        .token(&[("client_id", USERNAME), ("client_secret", PASSWORD)], &[])
        .await;
    legacy_error(response, 400, "invalid_request", "BAD_REQUEST").await;
}

#[tokio::test]
async fn the_form_and_the_query_combine_but_must_agree() {
    let (_logs, _guard) = capture();
    let env = Env::start().await;

    // Split between the two places, or given in both with the same values: one request.
    let split = env
        .token(
            &[("client_id", USERNAME)],
            &[
                ("client_secret", PASSWORD),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    access_token(split).await;
    let both = env
        .token(&credentials(PASSWORD), &credentials(PASSWORD))
        .await;
    access_token(both).await;

    // Two different secrets: no guessing which one Infobip would read, and neither is echoed.
    let response = env
        .token(&credentials("other-secret"), &credentials(PASSWORD))
        .await;
    let body = legacy_error(response, 400, "invalid_request", "BAD_REQUEST").await;
    assert!(body.contains("client_secret"), "{body}");
    assert!(!body.contains("other-secret"), "{body}");
    assert_no_secret(&body, "the error body");

    let response = env
        .token(
            &[("grant_type", "password")],
            &credentials(PASSWORD), // grant_type=client_credentials
        )
        .await;
    let body = legacy_error(response, 400, "invalid_request", "BAD_REQUEST").await;
    assert!(body.contains("grant_type"), "{body}");
}

#[tokio::test]
async fn a_secret_in_the_url_is_warned_about_without_the_secret() {
    let (logs, _guard) = capture();
    let env = Env::start().await;

    let warnings = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains("client_secret in its URL"))
            .map(str::to_owned)
            .collect()
    };
    access_token(env.token(&[], &credentials(PASSWORD)).await).await;
    assert!(warnings(&logs.text()).is_empty(), "{}", logs.text());

    // Warned whether or not the credentials are right: the URL has been exposed either way.
    access_token(env.token(&credentials(PASSWORD), &[]).await).await;
    env.token(&credentials("wrong-secret"), &[]).await;
    env.sandbox.shutdown().await;

    let text = logs.text();
    let warnings = warnings(&text);
    assert_eq!(warnings.len(), 2, "{text}");
    for warning in warnings {
        assert!(warning.contains(" WARN "), "{warning}");
        assert!(warning.contains("client_id"), "{warning}");
    }
    assert_no_secret(&text, "the logs");
    assert!(!text.contains("wrong-secret"), "{text}");
}

#[tokio::test]
async fn the_request_log_keeps_no_secret_from_the_query() {
    let (_logs, _guard) = capture();
    let env = Env::start().await;
    access_token(env.token(&credentials(PASSWORD), &[]).await).await;

    let log = env.sandbox.requests();
    assert_eq!(log.len(), 1);
    let request = &log[0];
    assert_eq!(request.endpoint, Some(Endpoint::CreateOAuth2Token));
    assert_eq!(
        request.query.as_deref(),
        Some("client_id=query-user&client_secret=[redacted]&grant_type=client_credentials")
    );
    assert_eq!(request.body, "");
    for (name, value) in &request.headers {
        assert_no_secret(value, &format!("the recorded header {name}"));
    }
    assert_no_secret(&format!("{request:?}"), "the record's Debug");
}
