//! Operations answered from their descriptions (number lookup here: no stateful handler
//! serves it): each check a request meets, and the two shapes of the answer. Every described
//! operation is called by `src/described/tests.rs`; these pin down the answers' form.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers fail loudly by design

use infobip_sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME, SMS_SCOPE};
use reqwest::{Client, RequestBuilder};
use serde_json::{json, Value};

const QUERY: &str = "/number/1/query";

struct Env {
    sandbox: Sandbox,
    http: Client,
}

impl Env {
    async fn new() -> Env {
        let sandbox = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
        let http = Client::builder().no_proxy().build().unwrap();
        Env { sandbox, http }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sandbox.base_url()))
            .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
    }

    fn query(&self, body: Value) -> RequestBuilder {
        self.request(reqwest::Method::POST, QUERY).json(&body)
    }

    /// A new API key's secret, with `scopes`.
    async fn key(&self, scopes: &[&str]) -> String {
        let response = self
            .request(reqwest::Method::POST, "/settings/2/api-keys")
            .json(&json!({"name": "described", "scopeGuids": scopes}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["apiKeySecret"].as_str().unwrap().to_owned()
    }
}

/// The status and the new-format error body's `(property, violation)` pairs.
async fn refusal(request: RequestBuilder) -> (u16, Vec<(String, String)>) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], format!("E{status}"), "{body}");
    let violations = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["property"].as_str().unwrap().to_owned(),
                v["violation"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (status, violations)
}

#[tokio::test]
async fn a_valid_request_gets_the_described_success_in_two_shapes() {
    let env = Env::new().await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let response = env
            .query(json!({"to": ["41793026727"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        answers.push(response.json::<Value>().await.unwrap());
    }
    // Required properties only, then every property, then required only again.
    let keys = |v: &Value| v.as_object().map_or(0, |o| o.len());
    assert!(keys(&answers[1]) > keys(&answers[0]), "{answers:?}");
    assert_eq!(answers[0], answers[2]);
}

#[tokio::test]
async fn a_body_that_breaks_its_schema_is_refused_naming_the_property() {
    let env = Env::new().await;
    let (status, violations) = refusal(env.query(json!({}))).await;
    assert_eq!(status, 400);
    assert_eq!(
        violations,
        vec![("to".to_owned(), "is required".to_owned())]
    );

    let (status, violations) = refusal(env.query(json!({"to": "41793026727"}))).await;
    assert_eq!(status, 400);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].0, "to");

    let (status, violations) = refusal(env.query(json!({"to": [41793026727_u64]}))).await;
    assert_eq!(status, 400);
    assert_eq!(violations[0].0, "to[0]");
}

#[tokio::test]
async fn parameters_are_checked_by_type_and_allowed_values() {
    let env = Env::new().await;
    let logs = |query: &str| env.request(reqwest::Method::GET, &format!("/number/1/logs?{query}"));
    let (status, violations) = refusal(logs("limit=ten")).await;
    assert_eq!(status, 400);
    assert_eq!(
        violations,
        vec![("limit".to_owned(), "must be an integer".to_owned())]
    );
    let (status, violations) = refusal(logs("generalStatus=SOMEWHERE")).await;
    assert_eq!(status, 400);
    assert_eq!(violations[0].0, "generalStatus");
    assert!(
        violations[0].1.starts_with("must be one of"),
        "{violations:?}"
    );
    assert_eq!(
        logs("limit=10&generalStatus=DELIVERED")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_body_of_another_media_type_is_refused() {
    let env = Env::new().await;
    let request = env
        .request(reqwest::Method::POST, QUERY)
        .header("content-type", "text/plain")
        .body("to=41793026727");
    let (status, _) = refusal(request).await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn credentials_schemes_and_scopes_are_checked() {
    let env = Env::new().await;
    let url = format!("{}{QUERY}", env.sandbox.base_url());
    let body = json!({"to": ["41793026727"]});

    let (status, _) = refusal(env.http.post(&url).json(&body)).await;
    assert_eq!(status, 401);

    // A key whose scopes do not include one the operation lists.
    let sms_only = env.key(&[SMS_SCOPE]).await;
    let request = env
        .http
        .post(&url)
        .header("authorization", format!("App {sms_only}"))
        .json(&body);
    let (status, _) = refusal(request).await;
    assert_eq!(status, 403);

    let lookup = env.key(&["number-lookup:send"]).await;
    let response = env
        .http
        .post(&url)
        .header("authorization", format!("App {lookup}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_described_path_with_another_method_is_405() {
    let env = Env::new().await;
    let (status, _) = refusal(env.request(reqwest::Method::DELETE, QUERY)).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn a_violation_never_repeats_the_value_sent() {
    let env = Env::new().await;
    // The validator's own words repeat the offending value: a secret would come back, and a
    // megabyte body would come back twenty times over.
    let secret = "s3cr3t-".repeat(10);
    let (status, violations) = refusal(env.query(json!({"to": secret}))).await;
    assert_eq!(status, 400);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(!violations[0].1.contains("s3cr3t"), "{violations:?}");

    let long = "4".repeat(900 * 1024);
    let response = env.query(json!({"to": long})).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    assert!(body.len() < 4096, "{} bytes", body.len());
}

#[tokio::test]
async fn a_refusal_of_method_or_media_type_says_to_correct_the_request() {
    let env = Env::new().await;
    let text = env
        .request(reqwest::Method::POST, QUERY)
        .header("content-type", "text/plain")
        .body("to=41793026727");
    let untyped = env
        .request(reqwest::Method::POST, QUERY)
        .body(r#"{"to": ["41793026727"]}"#);
    let delete = env.request(reqwest::Method::DELETE, QUERY);
    for (request, status) in [(text, 415), (untyped, 415), (delete, 405)] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["action"], "Check the request against the API description and correct it.",
            "{body}"
        );
    }
}

#[tokio::test]
async fn credentials_are_judged_before_scopes_before_the_request() {
    let env = Env::new().await;
    let url = format!("{}{QUERY}", env.sandbox.base_url());
    let broken = || {
        env.http
            .post(&url)
            .header("content-type", "application/json")
            .body("{")
    };
    let (status, _) = refusal(broken()).await;
    assert_eq!(status, 401);
    let sms_only = env.key(&[SMS_SCOPE]).await;
    let (status, _) = refusal(broken().header("authorization", format!("App {sms_only}"))).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_header_parameter_that_is_not_text_is_named_as_such() {
    let env = Env::new().await;
    let value = reqwest::header::HeaderValue::from_bytes(b"\xffsession").unwrap();
    let request = env
        .request(reqwest::Method::GET, "/biometrics/1/kyc/sessions")
        .header("X-Session-Id", value);
    let (status, violations) = refusal(request).await;
    assert_eq!(status, 400);
    assert_eq!(
        violations,
        vec![(
            "X-Session-Id".to_owned(),
            "must be visible ASCII text".to_owned()
        )]
    );
}

/// Infobip's Python SDK (`infobip-api-python-sdk`) sends every optional property it was not
/// given as `null`, which Infobip takes as absent; a required one is still required.
#[tokio::test]
async fn an_optional_property_sent_as_null_is_taken_as_absent() {
    let env = Env::new().await;
    let notify = |body: Value| {
        env.request(reqwest::Method::POST, "/number/1/notify")
            .json(&body)
    };
    let response =
        notify(json!({"to": ["41793026727"], "notifyUrl": null, "notifyContentType": null}))
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 200);
    let (status, violations) = refusal(notify(json!({"to": null}))).await;
    assert_eq!(status, 400);
    assert_eq!(violations[0].0, "to", "{violations:?}");
    let (status, violations) =
        refusal(notify(json!({"to": ["41793026727"], "notifyUrl": 7}))).await;
    assert_eq!(status, 400);
    assert_eq!(violations[0].0, "notifyUrl", "{violations:?}");
}
