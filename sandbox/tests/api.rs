//! The sandbox over real HTTP on loopback. Expiry is driven by a `ManualClock`: no test sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers fail loudly by design

use std::time::{Duration, Instant};

use infobip_sandbox::{
    Account, Endpoint, Fault, ManualClock, Sandbox, SandboxConfig, SchemeUsed, SessionRule,
    DEMO_ACCOUNT_ID, DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE, SMS_SCOPE, TWO_FACTOR_SCOPE,
};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

struct Env {
    sandbox: Sandbox,
    http: Client,
    clock: ManualClock,
}

impl Env {
    async fn start(config: SandboxConfig) -> Env {
        let clock = ManualClock::new();
        let sandbox = Sandbox::start(config.with_clock(clock.clone()))
            .await
            .unwrap();
        let http = Client::builder().no_proxy().build().unwrap();
        Env {
            sandbox,
            http,
            clock,
        }
    }

    async fn default() -> Env {
        Env::start(SandboxConfig::for_tests()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(self.url(path))
    }

    fn balance(&self, auth: &str) -> RequestBuilder {
        self.get("/account/1/balance").header("Authorization", auth)
    }

    async fn session(&self) -> String {
        self.session_for(DEMO_USERNAME, DEMO_PASSWORD).await
    }

    async fn session_for(&self, username: &str, password: &str) -> String {
        let response = self.create_session(username, password).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    async fn create_session(&self, username: &str, password: &str) -> Response {
        self.http
            .post(self.url("/auth/1/session"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    async fn destroy(&self, auth: &str) -> Response {
        self.http
            .delete(self.url("/auth/1/session"))
            .header("Authorization", auth)
            .send()
            .await
            .unwrap()
    }

    async fn token_response(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/auth/1/oauth2/token"))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn oauth(&self) -> String {
        let response = self
            .token_response(&[
                ("client_id", DEMO_USERNAME),
                ("client_secret", DEMO_PASSWORD),
                ("grant_type", "client_credentials"),
            ])
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn create_key(&self, body: Value) -> Value {
        let response = self
            .http
            .post(self.url("/settings/2/api-keys"))
            .header("Authorization", basic())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn update_key(&self, id: &str, body: Value) -> Response {
        self.http
            .put(self.url(&format!("/settings/2/api-keys/{id}")))
            .header("Authorization", basic())
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

fn basic_for(username: &str, password: &str) -> String {
    use base64::Engine;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

fn basic() -> String {
    basic_for(DEMO_USERNAME, DEMO_PASSWORD)
}

fn app(key: &Value) -> String {
    format!("App {}", key["apiKeySecret"].as_str().unwrap())
}

async fn status_of(request: RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

/// Asserts a legacy error body and returns its text.
async fn legacy(response: Response, status: u16, message_id: &str) -> String {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    let exception = &body["requestError"]["serviceException"];
    assert_eq!(exception["messageId"], message_id, "{body}");
    exception["text"].as_str().unwrap().to_owned()
}

/// Asserts a new-format error body, with every required field, and returns it.
async fn new_format(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], format!("E{status}"), "{body}");
    for field in ["description", "action"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }
    for field in ["violations", "resources"] {
        assert!(body[field].is_array(), "{field} in {body}");
    }
    body
}

#[tokio::test]
async fn balance_accepts_each_of_the_four_schemes() {
    let env = Env::default().await;
    let key = env.create_key(json!({"name": "balance"})).await;
    let session = env.session().await;
    let token = env.oauth().await;
    for auth in [
        basic(),
        app(&key),
        format!("IBSSO {session}"),
        format!("Bearer {token}"),
    ] {
        let response = env.balance(&auth).send().await.unwrap();
        assert_eq!(
            response.status(),
            200,
            "{}",
            auth.split(' ').next().unwrap()
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"balance": 100.0, "currency": "EUR"}));
    }
    for scheme in [
        SchemeUsed::Basic,
        SchemeUsed::ApiKey,
        SchemeUsed::Ibsso,
        SchemeUsed::Bearer,
    ] {
        assert_eq!(
            env.sandbox
                .count_with(Endpoint::GetAccountBalance, Some(scheme)),
            1
        );
    }
    assert_eq!(env.sandbox.count(Endpoint::GetAccountBalance), 4);
}

#[tokio::test]
async fn bad_or_missing_credentials_get_a_legacy_401_on_balance() {
    let env = Env::default().await;
    let session = env.session().await;
    let upper_basic = basic().replacen("Basic", "BASIC", 1);
    let lower_bearer = format!("bearer {}", env.oauth().await);
    for auth in [
        upper_basic.as_str(),
        "APP abc",
        &format!("ibsso {session}"),
        &lower_bearer,
        &basic_for(DEMO_USERNAME, "wrong"),
        &basic_for("nobody", DEMO_PASSWORD),
        "Basic %%%not-base64",
        "App unknown-key",
        "IBSSO 00000000-0000-4000-8000-000000000000",
        "Bearer unknown",
        "Token abc",
    ] {
        let response = env.balance(auth).send().await.unwrap();
        legacy(response, 401, "UNAUTHORIZED").await;
    }
    let response = env.get("/account/1/balance").send().await.unwrap();
    let text = legacy(response, 401, "UNAUTHORIZED").await;
    assert!(text.contains("Missing Authorization"), "{text}");
    assert_eq!(
        env.sandbox.count_with(Endpoint::GetAccountBalance, None),
        6,
        "wrongly cased prefixes, `Token` and no header name no recognised scheme"
    );
}

#[tokio::test]
async fn key_endpoints_refuse_api_keys_with_a_new_format_401() {
    let env = Env::default().await;
    let key = env.create_key(json!({"name": "no-manage-via-app"})).await;
    let id = key["id"].as_str().unwrap();
    let auth = app(&key);
    let requests = [
        env.get("/settings/2/api-keys"),
        env.get(&format!("/settings/2/api-keys/{id}")),
        env.http
            .post(env.url("/settings/2/api-keys"))
            .json(&json!({"name": "x"})),
        env.http
            .put(env.url(&format!("/settings/2/api-keys/{id}")))
            .json(&json!({"enabled": false})),
    ];
    for request in requests {
        let response = request.header("Authorization", &auth).send().await.unwrap();
        let body = new_format(response, 401).await;
        assert!(
            body["description"].as_str().unwrap().contains("App"),
            "{body}"
        );
    }
    // Unchanged by the refused update.
    let response = env
        .get(&format!("/settings/2/api-keys/{id}"))
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["enabled"], true);
    // Missing credentials on a key endpoint: new format too.
    let response = env.get("/settings/2/api-keys").send().await.unwrap();
    new_format(response, 401).await;
}

#[tokio::test]
async fn key_endpoints_accept_basic_ibsso_and_oauth() {
    let env = Env::default().await;
    let session = env.session().await;
    let token = env.oauth().await;
    for auth in [
        basic(),
        format!("IBSSO {session}"),
        format!("Bearer {token}"),
    ] {
        let response = env
            .http
            .post(env.url("/settings/2/api-keys"))
            .header("Authorization", &auth)
            .json(&json!({"name": auth.split(' ').next().unwrap()}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let list = env
            .get("/settings/2/api-keys")
            .header("Authorization", &auth);
        assert_eq!(status_of(list).await, 200);
    }
}

#[tokio::test]
async fn destroy_session_takes_only_its_own_ibsso_token() {
    let env = Env::default().await;
    let session = env.session().await;
    legacy(env.destroy(&basic()).await, 401, "UNAUTHORIZED").await;
    legacy(
        env.destroy(&format!("Bearer {}", env.oauth().await)).await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(env.sandbox.active_sessions(DEMO_USERNAME), 1);

    let response = env.destroy(&format!("IBSSO {session}")).await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(env.sandbox.active_sessions(DEMO_USERNAME), 0);

    legacy(
        env.destroy(&format!("IBSSO {session}")).await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    legacy(
        env.balance(&format!("IBSSO {session}"))
            .send()
            .await
            .unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
}

#[tokio::test]
async fn session_create_checks_its_input() {
    let env = Env::default().await;
    let text = legacy(
        env.create_session(DEMO_USERNAME, "wrong").await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(text, "Invalid login details");
    let response = env
        .http
        .post(env.url("/auth/1/session"))
        .json(&json!({"username": DEMO_USERNAME}))
        .send()
        .await
        .unwrap();
    legacy(response, 400, "BAD_REQUEST").await;

    // A password given twice: no telling which one Infobip would read, so it is refused,
    // whichever is right.
    let response = env
        .http
        .post(env.url("/auth/1/session"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"username": "{DEMO_USERNAME}", "password": "wrong", "password": "{DEMO_PASSWORD}"}}"#
        ))
        .send()
        .await
        .unwrap();
    legacy(response, 400, "BAD_REQUEST").await;

    // `unsafe` is accepted; the token looks like a UUID.
    let response = env
        .http
        .post(env.url("/auth/1/session"))
        .json(&json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "unsafe": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 36);
    assert_eq!(token.matches('-').count(), 4);
}

#[tokio::test]
async fn reuse_rule_returns_the_valid_session() {
    let env = Env::default().await;
    let first = env.session().await;
    env.clock.advance(Duration::from_secs(50 * 60));
    let second = env.session().await;
    assert_eq!(first, second);
    // The reuse counted as a use: 50 more minutes do not expire it.
    env.clock.advance(Duration::from_secs(50 * 60));
    assert_eq!(status_of(env.balance(&format!("IBSSO {first}"))).await, 200);
    assert_eq!(env.sandbox.active_sessions(DEMO_USERNAME), 1);
    // After a destroy, a new token.
    env.destroy(&format!("IBSSO {first}")).await;
    assert_ne!(env.session().await, first);
}

#[tokio::test]
async fn strict_rule_refuses_a_second_session() {
    let env = Env::start(SandboxConfig::for_tests().with_session_rule(SessionRule::Strict)).await;
    let first = env.session().await;
    let text = legacy(
        env.create_session(DEMO_USERNAME, DEMO_PASSWORD).await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert!(text.contains("session is already active"), "{text}");
    assert_eq!(env.destroy(&format!("IBSSO {first}")).await.status(), 200);
    let second = env.session().await;
    assert_ne!(first, second);
    // An idled-out session does not block a new one.
    env.clock.advance(Duration::from_secs(60 * 60));
    env.session().await;
}

#[tokio::test]
async fn fresh_rule_issues_new_tokens_and_keeps_the_old_ones() {
    let env = Env::start(SandboxConfig::for_tests().with_session_rule(SessionRule::Fresh)).await;
    let first = env.session().await;
    let second = env.session().await;
    assert_ne!(first, second);
    assert_eq!(env.sandbox.active_sessions(DEMO_USERNAME), 2);
    for token in [&first, &second] {
        assert_eq!(status_of(env.balance(&format!("IBSSO {token}"))).await, 200);
    }
    // The old one idles out on its own schedule.
    env.clock.advance(Duration::from_secs(30 * 60));
    env.balance(&format!("IBSSO {second}"))
        .send()
        .await
        .unwrap();
    env.clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(status_of(env.balance(&format!("IBSSO {first}"))).await, 401);
    assert_eq!(
        status_of(env.balance(&format!("IBSSO {second}"))).await,
        200
    );
}

#[tokio::test]
async fn sessions_expire_after_the_idle_time_since_last_use() {
    let env = Env::default().await;
    let auth = format!("IBSSO {}", env.session().await);
    for _ in 0..3 {
        env.clock.advance(Duration::from_secs(59 * 60));
        assert_eq!(status_of(env.balance(&auth)).await, 200);
    }
    env.clock.advance(Duration::from_secs(60 * 60));
    let text = legacy(
        env.balance(&auth).send().await.unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert!(text.contains("expired"), "{text}");
    assert_eq!(env.sandbox.active_sessions(DEMO_USERNAME), 0);

    let short =
        Env::start(SandboxConfig::for_tests().with_session_idle(Duration::from_secs(5))).await;
    let auth = format!("IBSSO {}", short.session().await);
    short.clock.advance(Duration::from_secs(5));
    assert_eq!(status_of(short.balance(&auth)).await, 401);
}

#[tokio::test]
async fn end_sessions_kills_a_users_sessions_server_side() {
    let env = Env::default().await;
    let auth = format!("IBSSO {}", env.session().await);
    env.sandbox.end_sessions(DEMO_USERNAME);
    assert_eq!(env.sandbox.active_sessions(DEMO_USERNAME), 0);
    assert_eq!(status_of(env.balance(&auth)).await, 401);
    assert_eq!(env.destroy(&auth).await.status(), 401);
}

#[tokio::test]
async fn oauth_tokens_expire_after_expires_in() {
    let env = Env::start(SandboxConfig::for_tests().with_oauth_expires_in(120)).await;
    let response = env
        .token_response(&[
            ("client_id", DEMO_USERNAME),
            ("client_secret", DEMO_PASSWORD),
            ("grant_type", "client_credentials"),
        ])
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);
    assert!(body.get("refresh_token").is_none());
    let auth = format!("Bearer {}", body["access_token"].as_str().unwrap());
    env.clock.advance(Duration::from_secs(119));
    assert_eq!(status_of(env.balance(&auth)).await, 200);
    env.clock.advance(Duration::from_secs(1));
    legacy(
        env.balance(&auth).send().await.unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
    // A new token from the same endpoint works again.
    let auth = format!("Bearer {}", env.oauth().await);
    assert_eq!(status_of(env.balance(&auth)).await, 200);
}

#[tokio::test]
async fn zero_expires_in_issues_tokens_that_are_already_expired() {
    let env = Env::start(SandboxConfig::for_tests().with_oauth_expires_in(0)).await;
    let auth = format!("Bearer {}", env.oauth().await);
    assert_eq!(status_of(env.balance(&auth)).await, 401);
}

#[tokio::test]
async fn token_endpoint_errors_are_legacy_with_an_error_string() {
    let env = Env::default().await;
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);
    let cases: [Case; 4] = [
        (
            &[
                ("client_id", DEMO_USERNAME),
                ("client_secret", "wrong"),
                ("grant_type", "client_credentials"),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("client_id", DEMO_USERNAME),
                ("client_secret", DEMO_PASSWORD),
                ("grant_type", "password"),
            ],
            400,
            "invalid_request",
        ),
        (
            &[
                ("client_id", DEMO_USERNAME),
                ("grant_type", "client_credentials"),
            ],
            400,
            "invalid_request",
        ),
        (&[], 400, "invalid_request"),
    ];
    for (form, status, error) in cases {
        let response = env.token_response(form).await;
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{body}");
        assert!(body["requestError"]["serviceException"]["text"].is_string());
    }
    // JSON instead of a form is refused.
    let response = env
        .http
        .post(env.url("/auth/1/oauth2/token"))
        .json(&json!({
            "client_id": DEMO_USERNAME,
            "client_secret": DEMO_PASSWORD,
            "grant_type": "client_credentials"
        }))
        .send()
        .await
        .unwrap();
    legacy(response, 400, "BAD_REQUEST").await;
}

#[tokio::test]
async fn api_key_lifecycle() {
    let env = Env::default().await;
    let key = env.create_key(json!({"name": "service"})).await;
    let id = key["id"].as_str().unwrap().to_owned();
    assert_eq!(key["accountId"], DEMO_ACCOUNT_ID);
    assert_eq!(key["enabled"], true);
    assert_eq!(key["permissions"], json!(["PUBLIC_API"]));
    // Without scopeGuids, a key gets the user's role scopes.
    assert_eq!(
        key["scopeGuids"],
        json!([MANAGE_SCOPE, SMS_SCOPE, TWO_FACTOR_SCOPE])
    );
    // Infobip's documented form: yyyy-MM-dd'T'HH:mm:ss.SSS+0000.
    let infobip = |field: &str| {
        chrono::DateTime::parse_from_str(key[field].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S%.3f%z")
            .unwrap()
    };
    let (from, to) = (infobip("validFrom"), infobip("validTo"));
    assert!((365..=366).contains(&(to - from).num_days()));
    let auth = app(&key);
    assert_eq!(status_of(env.balance(&auth)).await, 200);

    // Get returns the same key.
    let response = env
        .get(&format!("/settings/2/api-keys/{id}"))
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    let got: Value = response.json().await.unwrap();
    assert_eq!(got, key);

    // Narrowing the scopes to nothing removes all access.
    let response = env.update_key(&id, json!({"scopeGuids": []})).await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["scopeGuids"], json!([]));
    assert_eq!(updated["name"], "service", "omitted fields are kept");
    let text = legacy(env.balance(&auth).send().await.unwrap(), 403, "FORBIDDEN").await;
    assert!(text.contains("Insufficient permissions"), "{text}");

    // Scope back, then revoke.
    env.update_key(
        &id,
        json!({"scopeGuids": [MANAGE_SCOPE], "name": "renamed"}),
    )
    .await;
    assert_eq!(status_of(env.balance(&auth)).await, 200);
    let response = env.update_key(&id, json!({"enabled": false})).await;
    let revoked: Value = response.json().await.unwrap();
    assert_eq!(revoked["enabled"], false);
    assert_eq!(revoked["name"], "renamed");
    let text = legacy(
        env.balance(&auth).send().await.unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert!(text.contains("revoked"), "{text}");

    // Unknown ids.
    let response = env
        .get("/settings/2/api-keys/NOPE")
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    new_format(response, 404).await;
    new_format(env.update_key("NOPE", json!({"enabled": true})).await, 404).await;
}

#[tokio::test]
async fn key_validity_window_uses_the_clock() {
    let env = Env::default().await;
    let now = chrono::Utc::now();
    let key = env
        .create_key(json!({
            "name": "window",
            "validFrom": (now + chrono::Duration::hours(1)).to_rfc3339(),
            "validTo": (now + chrono::Duration::hours(3)).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
        }))
        .await;
    let auth = app(&key);
    let text = legacy(
        env.balance(&auth).send().await.unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert!(text.contains("not valid yet"), "{text}");
    env.clock.advance(Duration::from_secs(2 * 60 * 60));
    assert_eq!(status_of(env.balance(&auth)).await, 200);
    env.clock.advance(Duration::from_secs(2 * 60 * 60));
    let text = legacy(
        env.balance(&auth).send().await.unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert!(text.contains("expired"), "{text}");

    // validTo before validFrom is a bad request with a violation.
    let response = env
        .http
        .post(env.url("/settings/2/api-keys"))
        .header("Authorization", basic())
        .json(&json!({"name": "bad", "validFrom": now.to_rfc3339(), "validTo": (now - chrono::Duration::hours(1)).to_rfc3339()}))
        .send()
        .await
        .unwrap();
    let body = new_format(response, 400).await;
    assert_eq!(body["violations"][0]["property"], "validTo");
}

#[tokio::test]
async fn allowed_ips_restrict_where_a_key_works() {
    let env = Env::default().await;
    for (allowed, status) in [
        (json!(["10.0.0.0/8"]), 401),
        (json!(["192.168.1.7", "::1"]), 401),
        (json!(["127.0.0.1"]), 200),
        (json!(["10.1.2.3", "127.0.0.0/8"]), 200),
    ] {
        let key = env
            .create_key(json!({"name": "ip", "allowedIPs": allowed}))
            .await;
        assert_eq!(key["allowedIPs"], allowed);
        assert_eq!(
            status_of(env.balance(&app(&key))).await,
            status,
            "{allowed}"
        );
    }
    // An update that empties the list lifts the restriction; one without it keeps it.
    let key = env
        .create_key(json!({"name": "ip", "allowedIPs": ["10.0.0.1"]}))
        .await;
    let id = key["id"].as_str().unwrap();
    env.update_key(id, json!({"name": "still restricted"}))
        .await;
    assert_eq!(status_of(env.balance(&app(&key))).await, 401);
    env.update_key(id, json!({"allowedIPs": []})).await;
    assert_eq!(status_of(env.balance(&app(&key))).await, 200);

    let response = env
        .http
        .post(env.url("/settings/2/api-keys"))
        .header("Authorization", basic())
        .json(&json!({"name": "bad", "allowedIPs": ["localhost"]}))
        .send()
        .await
        .unwrap();
    let body = new_format(response, 400).await;
    assert_eq!(body["violations"][0]["property"], "allowedIPs");
}

#[tokio::test]
async fn scopes_decide_what_a_credential_reaches() {
    let limited =
        Account::new("limited", "limited-password", "LIMITED").with_scopes(["sms:message:send"]);
    let env = Env::start(SandboxConfig::for_tests().with_account(limited)).await;
    let auth = basic_for("limited", "limited-password");

    let body = new_format(
        env.get("/settings/2/api-keys")
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(body["description"]
        .as_str()
        .unwrap()
        .starts_with("Insufficient permissions"));
    // The scope comes from the operation's x-scopes, and the answer points to Infobip's page.
    assert!(body["description"]
        .as_str()
        .unwrap()
        .contains("`account-management:manage`"));
    assert_eq!(body["resources"][0]["name"], "API Scopes");
    legacy(env.balance(&auth).send().await.unwrap(), 403, "FORBIDDEN").await;

    // A key with only other scopes, or without PUBLIC_API, cannot read the balance.
    let key = env
        .create_key(json!({"name": "sms only", "scopeGuids": ["sms:message:send"]}))
        .await;
    legacy(
        env.balance(&app(&key)).send().await.unwrap(),
        403,
        "FORBIDDEN",
    )
    .await;
    let key = env
        .create_key(json!({"name": "web", "permissions": ["WEB_SDK"]}))
        .await;
    legacy(
        env.balance(&app(&key)).send().await.unwrap(),
        403,
        "FORBIDDEN",
    )
    .await;

    // Keys can only be made for the caller's own account.
    let response = env
        .http
        .post(env.url("/settings/2/api-keys"))
        .header("Authorization", basic())
        .json(&json!({"name": "theirs", "accountId": "LIMITED"}))
        .send()
        .await
        .unwrap();
    new_format(response, 403).await;
}

#[tokio::test]
async fn create_validates_the_request() {
    let env = Env::default().await;
    for (body, property) in [
        (json!({"name": ""}), "name"),
        (
            json!({"name": "x", "permissions": ["PUBLIC_API", "WEB_SDK"]}),
            "permissions",
        ),
        (json!({"name": "x", "scopeGuids": ["a", "a"]}), "scopeGuids"),
        // The client's enums take values they do not list; the sandbox, like Infobip, does not.
        (
            json!({"name": "x", "permissions": ["EVERYTHING"]}),
            "permissions",
        ),
        (
            json!({"name": "x", "platform": [{"applicationId": "a", "action": "MERGE"}]}),
            "platform.action",
        ),
    ] {
        let response = env
            .http
            .post(env.url("/settings/2/api-keys"))
            .header("Authorization", basic())
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = new_format(response, 400).await;
        assert_eq!(error["violations"][0]["property"], property, "{body}");
    }
    let response = env
        .http
        .post(env.url("/settings/2/api-keys"))
        .header("Authorization", basic())
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    new_format(response, 400).await;
}

#[tokio::test]
async fn list_filters_orders_and_pages() {
    let env = Env::default().await;
    let mut keys = Vec::new();
    for name in ["delta", "alpha", "echo", "charlie", "bravo"] {
        keys.push(env.create_key(json!({"name": name})).await);
    }
    env.update_key(keys[2]["id"].as_str().unwrap(), json!({"enabled": false}))
        .await;
    let list = |query: &'static [(&'static str, &'static str)]| {
        let request = env
            .get("/settings/2/api-keys")
            .header("Authorization", basic())
            .query(query);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let names = |page: &Value| -> Vec<String> {
        page["apiKeys"]
            .as_array()
            .map(|keys| {
                keys.iter()
                    .map(|k| k["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };

    let all = list(&[]).await;
    assert_eq!(names(&all), ["delta", "alpha", "echo", "charlie", "bravo"]);
    assert_eq!(
        all["paging"],
        json!({"page": 0, "pageSize": 100, "totalCount": 5, "totalPages": 1})
    );

    let page = list(&[("size", "2"), ("page", "1"), ("orderBy", "name")]).await;
    assert_eq!(names(&page), ["charlie", "delta"]);
    assert_eq!(page["paging"]["totalPages"], 3);
    assert_eq!(page["paging"]["totalCount"], 5);

    let desc = list(&[
        ("orderBy", "name"),
        ("orderDirection", "DESC"),
        ("size", "1"),
    ])
    .await;
    assert_eq!(names(&desc), ["echo"]);

    assert_eq!(names(&list(&[("name", "bravo")]).await), ["bravo"]);
    assert_eq!(names(&list(&[("enabled", "false")]).await), ["echo"]);
    assert_eq!(names(&list(&[("enabled", "true")]).await).len(), 4);
    assert_eq!(names(&list(&[("accountId", "OTHER")]).await).len(), 0);
    assert_eq!(list(&[("size", "500")]).await["paging"]["pageSize"], 100);

    let secret = keys[3]["apiKeySecret"].as_str().unwrap();
    let response = env
        .get("/settings/2/api-keys")
        .header("Authorization", basic())
        .query(&[("apiKeySecret", secret)])
        .send()
        .await
        .unwrap();
    let page: Value = response.json().await.unwrap();
    assert_eq!(names(&page), ["charlie"]);

    for query in [
        [("size", "0")],
        [("page", "-1")],
        [("enabled", "maybe")],
        [("orderBy", "colour")],
    ] {
        let response = env
            .get("/settings/2/api-keys")
            .header("Authorization", basic())
            .query(&query)
            .send()
            .await
            .unwrap();
        new_format(response, 400).await;
    }
}

#[tokio::test]
async fn throttling_applies_the_declared_limits() {
    let env = Env::start(SandboxConfig::for_tests().with_throttle(true)).await;
    for _ in 0..10 {
        env.create_session(DEMO_USERNAME, DEMO_PASSWORD).await;
    }
    let response = env.create_session(DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(response.headers()["retry-after"], "1");
    legacy(response, 429, "TOO_MANY_REQUESTS").await;
    env.clock.advance(Duration::from_secs(1));
    assert_eq!(
        env.create_session(DEMO_USERNAME, DEMO_PASSWORD)
            .await
            .status(),
        200
    );

    // 40 key creates a day.
    for i in 0..40 {
        env.create_key(json!({"name": format!("k{i}")})).await;
    }
    let response = env
        .http
        .post(env.url("/settings/2/api-keys"))
        .header("Authorization", basic())
        .json(&json!({"name": "one too many"}))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    new_format(response, 429).await;
    env.clock.advance(Duration::from_secs(24 * 60 * 60));
    env.create_key(json!({"name": "next day"})).await;

    // The balance declares no limit.
    for _ in 0..15 {
        assert_eq!(status_of(env.balance(&basic())).await, 200);
    }
}

#[tokio::test]
async fn throttling_is_off_for_tests_by_default() {
    let env = Env::default().await;
    for _ in 0..15 {
        assert_eq!(
            env.create_session(DEMO_USERNAME, DEMO_PASSWORD)
                .await
                .status(),
            200
        );
    }
    assert!(SandboxConfig::default().throttle);
}

#[tokio::test]
async fn status_faults_use_the_endpoints_error_format() {
    let env = Env::default().await;
    env.sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::Status {
            status: 503,
            retry_after: Some(7),
            times: 2,
        },
    );
    env.sandbox
        .inject(Endpoint::GetApiKeysByFilter, Fault::status(500));
    let form = [
        ("client_id", DEMO_USERNAME),
        ("client_secret", DEMO_PASSWORD),
        ("grant_type", "client_credentials"),
    ];
    for _ in 0..2 {
        let response = env.token_response(&form).await;
        assert_eq!(response.headers()["retry-after"], "7");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["requestError"]["serviceException"]["messageId"],
            "GENERAL_ERROR"
        );
        assert!(body["error"].is_string());
    }
    assert_eq!(env.token_response(&form).await.status(), 200);

    let response = env
        .get("/settings/2/api-keys")
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    assert!(!response.headers().contains_key("retry-after"));
    new_format(response, 500).await;
    let list = env
        .get("/settings/2/api-keys")
        .header("Authorization", basic());
    assert_eq!(status_of(list).await, 200);
    // Faults apply before authentication, as an overloaded gateway would.
    env.sandbox
        .inject(Endpoint::GetAccountBalance, Fault::status(429));
    legacy(
        env.get("/account/1/balance").send().await.unwrap(),
        429,
        "TOO_MANY_REQUESTS",
    )
    .await;
}

#[tokio::test]
async fn delay_fault_delays_then_answers_normally() {
    let env = Env::default().await;
    env.sandbox.inject(
        Endpoint::GetAccountBalance,
        Fault::Delay {
            delay: Duration::from_millis(300),
            times: 1,
        },
    );
    let started = Instant::now();
    assert_eq!(status_of(env.balance(&basic())).await, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(status_of(env.balance(&basic())).await, 200);
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn malformed_body_fault_sends_cut_off_json() {
    let env = Env::default().await;
    env.sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::MalformedBody { times: 1 },
    );
    let response = env
        .token_response(&[
            ("client_id", DEMO_USERNAME),
            ("client_secret", DEMO_PASSWORD),
            ("grant_type", "client_credentials"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("{\"access_tok"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
    env.oauth().await;
}

#[tokio::test]
async fn drop_connection_fault_closes_without_a_response() {
    let env = Env::default().await;
    env.sandbox
        .inject(Endpoint::CreateSession, Fault::DropConnection { times: 2 });
    for _ in 0..2 {
        let error = env
            .http
            .post(env.url("/auth/1/session"))
            .json(&json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap_err();
        assert!(error.is_request() || error.is_connect(), "{error:?}");
        assert!(error.status().is_none());
    }
    env.session().await;
    let statuses: Vec<Option<u16>> = env.sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [None, None, Some(200)]);
}

#[tokio::test]
async fn reply_fault_answers_exactly_what_it_is_given() {
    let env = Env::default().await;
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    env.sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::reply(429, "{}")
            .with_header("retry-after", date)
            .times(2),
    );
    env.sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::reply(302, "").with_header("location", "http://elsewhere.example/token"),
    );
    env.sandbox.inject(
        Endpoint::GetAccountBalance,
        Fault::reply(502, "<html>Bad gateway</html>").with_header("content-type", "text/html"),
    );
    let form = [
        ("client_id", DEMO_USERNAME),
        ("client_secret", DEMO_PASSWORD),
        ("grant_type", "client_credentials"),
    ];
    for _ in 0..2 {
        let response = env.token_response(&form).await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], date);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.text().await.unwrap(), "{}");
    }
    // A redirect is answered, not followed by the sandbox (reqwest here follows none).
    let http = Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http
        .post(env.url("/auth/1/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "http://elsewhere.example/token"
    );
    assert!(!response.headers().contains_key("content-type"));
    assert_eq!(response.text().await.unwrap(), "");
    // Before authentication, in no error format: exactly the given body.
    let response = env.get("/account/1/balance").send().await.unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(response.text().await.unwrap(), "<html>Bad gateway</html>");
    // Used up: normal answers again.
    env.oauth().await;
    assert_eq!(status_of(env.balance(&basic())).await, 200);
    let statuses: Vec<Option<u16>> = env.sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            Some(429),
            Some(429),
            Some(302),
            Some(502),
            Some(200),
            Some(200)
        ]
    );
}

#[test]
#[should_panic(expected = "only Fault::Reply takes extra headers")]
fn only_a_reply_fault_takes_headers() {
    let _ = Fault::status(503).with_header("retry-after", "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_fault_releases_its_calls_together() {
    let env = Env::default().await;
    env.sandbox
        .inject(Endpoint::GetAccountBalance, Fault::Hold { times: 3 });
    let call = |auth: String| {
        let request = env.balance(&auth);
        tokio::spawn(async move { request.send().await.unwrap().status() })
    };
    let first = call(basic());
    let second = call("Basic d3Jvbmc6d3Jvbmc=".to_owned());
    // Both arrived (the log records a call before its fault plays)...
    while env.sandbox.count(Endpoint::GetAccountBalance) < 2 {
        tokio::task::yield_now().await;
    }
    // ...and neither is answered while the third is missing; other endpoints are not held.
    assert_eq!(
        status_of(
            env.get("/settings/2/api-keys")
                .header("Authorization", basic())
        )
        .await,
        200
    );
    assert!(!first.is_finished() && !second.is_finished());
    let statuses: Vec<Option<u16>> = env
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetAccountBalance))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [None, None]);
    // The third releases all three, each handled normally (the wrong password: 401).
    let third = call(basic());
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(second.await.unwrap(), 401);
    assert_eq!(third.await.unwrap(), 200);
    // Used up: the next call is not held.
    assert_eq!(status_of(env.balance(&basic())).await, 200);
}

#[tokio::test]
async fn issued_tokens_lists_every_session_and_access_token() {
    let env = Env::default().await;
    assert!(env.sandbox.issued_tokens().is_empty());
    let session = env.session().await;
    // Reuse: the same session again, not a new one.
    assert_eq!(env.session().await, session);
    let token = env.oauth().await;
    // A call that never reaches the handler issues nothing.
    env.sandbox
        .inject(Endpoint::CreateOAuth2Token, Fault::status(503));
    assert_eq!(
        env.token_response(&[
            ("client_id", DEMO_USERNAME),
            ("client_secret", DEMO_PASSWORD),
            ("grant_type", "client_credentials"),
        ])
        .await
        .status(),
        503
    );
    let key = env.create_key(json!({"name": "not a token"})).await;
    env.destroy(&format!("IBSSO {session}")).await;
    // Destroyed or not, issued is issued; API key secrets are not tokens.
    assert_eq!(env.sandbox.issued_tokens(), [session, token]);
    assert!(key["apiKeySecret"].is_string());
}

#[tokio::test]
async fn request_log_keeps_the_exact_requests() {
    let env = Env::default().await;
    env.balance(&basic())
        .header("X-Trace", "abc")
        .send()
        .await
        .unwrap();
    env.get("/settings/2/api-keys?name=x&size=3")
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    env.create_session(DEMO_USERNAME, DEMO_PASSWORD).await;
    let log = env.sandbox.requests();
    assert_eq!(log.len(), 3);

    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/account/1/balance");
    assert_eq!(log[0].query, None);
    assert_eq!(log[0].header("authorization"), Some(basic().as_str()));
    assert_eq!(log[0].header("x-trace"), Some("abc"));
    assert_eq!(log[0].endpoint, Some(Endpoint::GetAccountBalance));
    assert_eq!(log[0].scheme, Some(SchemeUsed::Basic));
    assert_eq!(log[0].status, Some(200));

    assert_eq!(log[1].query.as_deref(), Some("name=x&size=3"));
    assert_eq!(log[1].endpoint, Some(Endpoint::GetApiKeysByFilter));

    assert_eq!(log[2].endpoint, Some(Endpoint::CreateSession));
    assert_eq!(log[2].scheme, None);
    let body: Value = serde_json::from_str(&log[2].body).unwrap();
    assert_eq!(body["password"], DEMO_PASSWORD);

    env.sandbox.clear_log();
    assert!(env.sandbox.requests().is_empty());
    assert_eq!(env.sandbox.count(Endpoint::GetAccountBalance), 0);
}

#[tokio::test]
async fn unknown_paths_get_404() {
    let env = Env::default().await;
    // No description has it (`/sms/2/text/advanced` is described, and answered from it).
    let response = env.get("/sms/0/nothing-here").send().await.unwrap();
    legacy(response, 404, "NOT_FOUND").await;
    assert_eq!(env.sandbox.requests()[0].endpoint, None);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let env = Env::default().await;
    let url = env.url("/account/1/balance");
    assert_eq!(status_of(env.balance(&basic())).await, 200);
    env.sandbox.shutdown().await;
    let error = Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
}

#[tokio::test]
async fn generated_client_reads_the_sandboxs_bodies() {
    use infobip_client::account::types::{
        ApiKeyPage, CreateOAuth2TokenRequest, CreateSessionRequest, GrantType,
    };
    use infobip_client::Auth;

    let env = Env::default().await;
    let client = infobip_client::account::Client::new_with_client(
        env.sandbox.base_url(),
        env.http.clone(),
        Auth::none(),
    );
    let session = client
        .create_session()
        .body(CreateSessionRequest::new(
            DEMO_PASSWORD,
            DEMO_USERNAME.to_owned(),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(env.sandbox.active_sessions(DEMO_USERNAME), 1);
    assert_eq!(session.token.expose().len(), 36);

    let token = client
        .create_oauth2_token()
        .body(CreateOAuth2TokenRequest::new(
            DEMO_USERNAME.to_owned(),
            DEMO_PASSWORD,
            GrantType::ClientCredentials,
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(token.expires_in, 3600);
    assert_eq!(token.token_type, "Bearer");

    // Both error formats parse into the generated error types.
    match client
        .create_session()
        .body(CreateSessionRequest::new("wrong", DEMO_USERNAME.to_owned()))
        .send()
        .await
    {
        Err(error) => {
            let infobip = error.infobip().expect("Infobip's error");
            assert_eq!(infobip.message_id.as_deref(), Some("UNAUTHORIZED"));
        }
        Ok(_) => panic!("expected a legacy 401"),
    }
    match client.get_api_key().api_key_id("X").send().await {
        Err(error) => {
            let infobip = error.infobip().expect("Infobip's error");
            assert_eq!(
                (infobip.code.as_str(), infobip.message_id.as_deref()),
                ("E401", None)
            );
        }
        Ok(_) => panic!("expected a new-format 401"),
    }

    env.create_key(json!({"name": "typed", "allowedIPs": ["127.0.0.1"]}))
        .await;
    let page: ApiKeyPage = env
        .get("/settings/2/api-keys")
        .header("Authorization", basic())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.api_keys[0].name, "typed");
    assert_eq!(page.api_keys[0].allowed_i_ps, ["127.0.0.1"]);
    assert_eq!(page.paging.total_count, Some(1));
}

#[tokio::test]
async fn create_api_key_helper_sets_up_keys_directly() {
    use secrecy::ExposeSecret as _;

    let env = Env::default().await;
    let request = serde_json::json!({"name": "direct"});
    let key = env
        .sandbox
        .create_api_key(DEMO_USERNAME, request.clone())
        .unwrap();
    assert_eq!(key.id.len(), 32);
    let auth = format!("App {}", key.secret.expose_secret());
    assert_eq!(status_of(env.balance(&auth)).await, 200);
    let err = env.sandbox.create_api_key("nobody", request).unwrap_err();
    assert!(err
        .to_string()
        .contains("no sandbox account is called `nobody`"));
}

/// Linux routes all of 127.0.0.0/8 to loopback, so a client can bind 127.0.0.2 and reach a
/// server on 127.0.0.1 from a different source address.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn sessions_and_keys_are_bound_to_addresses() {
    let env = Env::default().await;
    let other = Client::builder()
        .no_proxy()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let from_other = |auth: &str| {
        other
            .get(env.url("/account/1/balance"))
            .header("Authorization", auth)
    };

    // A session is bound to its creator's address unless created with `unsafe`.
    let bound = format!("IBSSO {}", env.session().await);
    let text = legacy(
        from_other(&bound).send().await.unwrap(),
        401,
        "UNAUTHORIZED",
    )
    .await;
    assert!(text.contains("another IP address"), "{text}");
    assert_eq!(status_of(env.balance(&bound)).await, 200);
    env.destroy(&bound).await;
    let response = env
        .http
        .post(env.url("/auth/1/session"))
        .json(&json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "unsafe": true}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let unbound = format!("IBSSO {}", body["token"].as_str().unwrap());
    assert_eq!(status_of(from_other(&unbound)).await, 200);

    // allowedIPs with a /32 admits one address and not its neighbour.
    let key = env
        .create_key(json!({"name": "one host", "allowedIPs": ["127.0.0.2/32"]}))
        .await;
    assert_eq!(status_of(from_other(&app(&key))).await, 200);
    assert_eq!(status_of(env.balance(&app(&key))).await, 401);
}

/// Infobip serves a path with a trailing slash as the path without: Infobip's Node SDK sends
/// its 2FA PIN to `/2fa/2/pin/?ncNeeded=false`. The stateful handler must get it, not the
/// described fallback (which would answer a made-up key).
#[tokio::test]
async fn a_path_with_a_trailing_slash_reaches_its_handler() {
    let env = Env::default().await;
    let created: Value = env
        .http
        .post(env.url("/settings/2/api-keys/"))
        .header("Authorization", basic())
        .json(&json!({"name": "slash"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let listed = env
        .get("/settings/2/api-keys?size=100")
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let listed: Value = listed.json().await.unwrap();
    let names: Vec<&str> = listed["apiKeys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|key| key["id"] == id)
        .filter_map(|key| key["name"].as_str())
        .collect();
    assert_eq!(names, ["slash"], "{listed}");
}
