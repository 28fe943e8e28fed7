//! No password, API key secret or token appears anywhere: every flow of every scheme against
//! the sandbox (successes, renewal, 401 recovery, each fault, bad credentials, refused
//! sessions, logout) with tracing captured at TRACE, the sandbox's own logs, every public
//! type formatted with `{:?}` (and `{}` where it has one), and every error rendered.
//!
//! One test, with one global subscriber: the sandbox and the clients' spawned fetches log
//! from other threads and tasks, and tracing caches per-callsite interest process-wide, so a
//! scoped subscriber could miss events that a global one sees.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{basic_header, default_world, refused_port, world, World};
use infobip_auth::retry::RetryPolicy;
use infobip_auth::{ClientBuilder, ClientExt as _};
use infobip_client::account::types::{
    CreateApiKeyRequest, CreateOAuth2TokenRequest, CreateSessionRequest, GrantType,
    UpdateApiKeyRequest,
};
use infobip_client::ErrorKind;
use infobip_sandbox::{
    Endpoint, Fault, Sandbox, SandboxConfig, SessionRule, DEMO_PASSWORD, DEMO_USERNAME,
    MANAGE_SCOPE,
};
use serde_json::{json, Value};
use workspace_tests::CapturedLogs;

/// What was printed, and what must not appear in it or in the logs.
#[derive(Default)]
struct Leaks {
    printed: Vec<String>,
    secrets: Vec<String>,
}

impl Leaks {
    fn print(&mut self, text: String) {
        self.printed.push(text);
    }

    fn secret(&mut self, secret: impl Into<String>) {
        self.secrets.push(secret.into());
    }

    /// Every token the sandbox issued, and every credential a request carried.
    fn secrets_of(&mut self, sandbox: &Sandbox) {
        self.secrets.extend(sandbox.issued_tokens());
        for r in sandbox.requests() {
            if let Some((_, credential)) = r.header("authorization").and_then(|v| v.split_once(' '))
            {
                self.secrets.push(credential.to_owned());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_any_output() {
    let capture = CapturedLogs::default();
    tracing::subscriber::set_global_default(capture.subscriber()).unwrap();
    let mut leaks = Leaks::default();
    leaks.secret(DEMO_PASSWORD);
    leaks.secret(basic_header().replace("Basic ", ""));

    let w = default_world().await;
    each_scheme_before_and_after_caching(&w, &mut leaks).await;
    renewal_recovery_and_login_failures(&w, &mut leaks).await;
    leaks.secrets_of(&w.sandbox);

    let w = default_world().await;
    key_management_and_lifecycle_events(&w, &mut leaks).await;
    token_endpoint_faults(&w, &mut leaks).await;
    a_session_refused_under_the_strict_rule(&mut leaks).await;
    failing_calls_with_a_secret_in_the_url_or_body(&w, &mut leaks).await;
    public_types(&w, &mut leaks).await;
    sms_calls_in_their_spans(&w, &mut leaks, &capture).await;
    leaks.secrets_of(&w.sandbox);

    let logs_before = capture.text().len();
    the_sandboxs_own_logs(&mut leaks).await;
    // The sandbox names paths and schemes in its logs, never credentials.
    let sandbox_logs = capture.text()[logs_before..].to_owned();
    assert!(
        sandbox_logs.contains("/account/1/balance"),
        "{sandbox_logs}"
    );
    assert!(sandbox_logs.contains("IBSSO"), "{sandbox_logs}");

    let Leaks {
        printed,
        mut secrets,
    } = leaks;
    secrets.sort();
    secrets.dedup();
    assert!(
        secrets.len() >= 8,
        "tokens of every kind were seen: {}",
        secrets.len()
    );
    let traces = capture.text();
    for span in [
        "infobip_auth.token_fetch",
        "infobip_auth.session_create",
        "infobip_auth.session_destroy",
        "infobip_auth.retry_401",
    ] {
        assert!(traces.contains(span), "{span} is emitted");
    }
    for secret in &secrets {
        assert!(
            !traces.contains(secret.as_str()),
            "the TRACE log contains a secret"
        );
        for (i, text) in printed.iter().enumerate() {
            assert!(
                !text.contains(secret.as_str()),
                "printed value #{i} contains a secret: {text}"
            );
        }
    }
}

/// Every scheme's builder and client, before and after a token is cached, its answer, and a
/// logout.
async fn each_scheme_before_and_after_caching(w: &World, leaks: &mut Leaks) {
    let secret = w.new_key_secret("each scheme");
    leaks.secret(&secret);
    for builder in [
        w.basic_builder(),
        w.api_key_builder(&secret),
        w.ibsso_builder(),
        w.oauth2_builder(),
    ] {
        leaks.print(format!("{builder:?}"));
        let client = builder.build().unwrap();
        leaks.print(format!("{client:?}"));
        let balance = client.get_account_balance().send().await.unwrap();
        leaks.print(format!("{balance:?}"));
        leaks.print(format!("{client:?}"));
        client.logout().await.unwrap();
    }
}

/// Renewal, 401 recovery, a failing token endpoint, a refused session, bad credentials, an
/// operation the scheme may not call, a timeout, a refused connection, an explicit destroy
/// and a failed logout.
async fn renewal_recovery_and_login_failures(w: &World, leaks: &mut Leaks) {
    let oauth = w.oauth2();
    oauth.get_account_balance().send().await.unwrap();
    // Past expiry, so the renewal finishes before the call (no background renewal is still
    // running when the token is rejected below).
    w.clock.advance(Duration::from_secs(3700));
    oauth.get_account_balance().send().await.unwrap();
    w.sandbox
        .inject(Endpoint::GetAccountBalance, Fault::status(401));
    oauth.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(4000));
    w.sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::reply(500, "{}").times(3),
    );
    let err = oauth.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));

    let ibsso = w.ibsso();
    w.sandbox.inject(
        Endpoint::CreateSession,
        Fault::reply(
            400,
            r#"{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"active"}}}"#,
        ),
    );
    let err = ibsso.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    let err = ibsso.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}")); // the same failure, remembered
    ibsso.clear_login_cooldown().await;
    ibsso.get_account_balance().send().await.unwrap();
    w.sandbox.end_sessions(DEMO_USERNAME);
    ibsso.get_account_balance().send().await.unwrap();
    ibsso.logout().await.unwrap();
    let bad = w
        .configure(ClientBuilder::ibsso(
            DEMO_USERNAME,
            format!("{DEMO_PASSWORD}x"),
        ))
        .build()
        .unwrap();
    let err = bad.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    let secret = w.new_key_secret("not for keys");
    leaks.secret(&secret);
    let err = w
        .api_key(&secret)
        .create_api_key()
        .body(CreateApiKeyRequest::builder().name("x"))
        .send()
        .await
        .unwrap_err();
    leaks.print(format!("{err} {err:?}"));

    w.sandbox.inject(
        Endpoint::CreateSession,
        Fault::Delay {
            delay: Duration::from_secs(2),
            times: 1,
        },
    );
    let slow = w
        .ibsso_builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = slow.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    let nowhere = ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(format!("http://127.0.0.1:{}", refused_port()))
        .clock(w.clock.clone())
        .build()
        .unwrap();
    let err = nowhere.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    let session = w.ibsso();
    session.get_account_balance().send().await.unwrap();
    session.destroy_session().send().await.unwrap();
    session.get_account_balance().send().await.unwrap();
    w.sandbox
        .inject(Endpoint::DestroySession, Fault::reply(500, "{}"));
    let err = session.logout().await.unwrap_err();
    leaks.print(format!("{err} {err:?} {session:?}"));
}

/// A key created, listed by its secret, used, refused where keys may not go, disabled; then
/// expiry, a session ended by the server, an explicit destroy and a failed logout.
async fn key_management_and_lifecycle_events(w: &World, leaks: &mut Leaks) {
    let basic = w.basic();
    let oauth = w.oauth2();
    let ibsso = w.ibsso();
    for client in [&basic, &oauth, &ibsso] {
        client.get_account_balance().send().await.unwrap();
        client.get_api_keys_by_filter().send().await.unwrap();
        leaks.print(format!("{client:?}"));
    }
    let key = basic
        .create_api_key()
        .body(
            CreateApiKeyRequest::builder()
                .name("leak")
                .scope_guids(vec![MANAGE_SCOPE.to_owned()]),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    leaks.print(format!("{key:?}"));
    let secret = key.api_key_secret.as_ref().unwrap().expose().to_owned();
    leaks.secret(&secret);
    let id = key.id.clone().unwrap();
    let listed = oauth
        .get_api_keys_by_filter()
        .api_key_secret(secret.as_str())
        .send()
        .await
        .unwrap();
    leaks.print(format!("{listed:?}"));
    let app = w.api_key(&secret);
    app.get_account_balance().send().await.unwrap();
    leaks.print(format!("{app:?}"));
    let err = app.get_api_keys_by_filter().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    ibsso
        .update_api_key()
        .api_key_id(&id)
        .body(UpdateApiKeyRequest::builder().enabled(false))
        .send()
        .await
        .unwrap();
    let err = app.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?} {:?}", err.infobip().cloned()));

    w.clock.advance(Duration::from_secs(3700));
    oauth.get_account_balance().send().await.unwrap();
    ibsso.get_account_balance().send().await.unwrap();
    w.sandbox.end_sessions(DEMO_USERNAME);
    ibsso.get_account_balance().send().await.unwrap();
    ibsso.destroy_session().send().await.unwrap();
    ibsso.get_account_balance().send().await.unwrap();
    w.sandbox
        .inject(Endpoint::DestroySession, Fault::status(500));
    let err = ibsso.logout().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    ibsso.logout().await.unwrap();

    let wrong = w
        .configure(ClientBuilder::ibsso(
            DEMO_USERNAME,
            format!("{DEMO_PASSWORD}-wrong"),
        ))
        .build()
        .unwrap();
    let err = wrong.get_account_balance().send().await.unwrap_err();
    leaks.print(format!("{err} {err:?}"));
}

/// Each fault of the token endpoint, on a fresh client.
async fn token_endpoint_faults(w: &World, leaks: &mut Leaks) {
    for fault in [
        Fault::Status {
            status: 500,
            retry_after: None,
            times: 3,
        },
        Fault::Status {
            status: 429,
            retry_after: Some(1),
            times: 1,
        },
        Fault::MalformedBody { times: 1 },
        Fault::DropConnection { times: 3 },
    ] {
        leaks.print(format!("{fault:?}"));
        w.sandbox.inject(Endpoint::CreateOAuth2Token, fault);
        let client = w.oauth2();
        if let Err(err) = client.get_account_balance().send().await {
            leaks.print(format!("{err} {err:?}"));
        }
    }
}

async fn a_session_refused_under_the_strict_rule(leaks: &mut Leaks) {
    let strict = world(SandboxConfig::for_tests().with_session_rule(SessionRule::Strict)).await;
    let first = strict.ibsso();
    first.get_account_balance().send().await.unwrap();
    let err = strict
        .ibsso()
        .get_account_balance()
        .send()
        .await
        .unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    first.logout().await.unwrap();
    leaks.secrets_of(&strict.sandbox);
}

/// Every public configuration and bookkeeping type, and configuration errors built from
/// secrets.
async fn public_types(w: &World, leaks: &mut Leaks) {
    let secret = w.new_key_secret("public types");
    leaks.secret(&secret);
    let builder = ClientBuilder::api_key(secret.as_str())
        .base_url(format!("https://user:{DEMO_PASSWORD}@api.infobip.com"))
        .retry_policy(RetryPolicy::default());
    leaks.print(format!("{builder:?}"));
    let err = builder.build().unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    for bad in [
        ClientBuilder::api_key(format!("{secret}\n")),
        ClientBuilder::api_key(format!(" {secret}")),
        ClientBuilder::basic(DEMO_USERNAME, format!("{DEMO_PASSWORD}\r")),
        ClientBuilder::basic(DEMO_USERNAME, format!("{DEMO_PASSWORD}\u{7}")),
        ClientBuilder::oauth2(DEMO_USERNAME, format!("{DEMO_PASSWORD}\0")),
        ClientBuilder::oauth2(DEMO_USERNAME, format!("\t{DEMO_PASSWORD}")),
    ] {
        let bad = bad.base_url("https://api.infobip.com");
        leaks.print(format!("{bad:?}"));
        let err = bad.build().unwrap_err();
        leaks.print(format!("{err} {err:?}"));
    }

    // Token stores: the Redis URL carries a password, the encryption key is a secret too.
    let store_key = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    leaks.secret(&store_key);
    let redis_url = format!("redis://:{DEMO_PASSWORD}@127.0.0.1:1/0");
    let encryption = || infobip_auth::store::EncryptionKey::from_base64(&store_key).unwrap();
    leaks.print(format!("{:?}", encryption()));
    leaks.print(format!(
        "{:?}",
        infobip_auth::store::RedisStore::open(&redis_url).unwrap()
    ));
    let err =
        infobip_auth::store::RedisStore::open(&format!("http://:{DEMO_PASSWORD}@h")).unwrap_err();
    leaks.print(format!("{err} {err:?}"));
    let stored = ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(w.sandbox.base_url())
        .redis_token_store(redis_url.as_str(), encryption());
    leaks.print(format!("{stored:?}"));
    // A Redis Cluster: every node's URL carries the password.
    let nodes = [
        redis_url.clone(),
        format!("valkey://:{DEMO_PASSWORD}@127.0.0.1:2"),
    ];
    leaks.print(format!(
        "{:?}",
        infobip_auth::store::RedisStore::cluster(&nodes).unwrap()
    ));
    for refused in [
        vec![redis_url.clone(), format!("http://:{DEMO_PASSWORD}@h")],
        vec![redis_url.clone(), format!("redis://:{DEMO_PASSWORD}-2@h")],
        vec![format!("rediss://:{DEMO_PASSWORD}@h"), redis_url.clone()],
        vec![format!("redis://:{DEMO_PASSWORD}@h/3")],
    ] {
        let err = infobip_auth::store::RedisStore::cluster(&refused).unwrap_err();
        leaks.print(format!("{err} {err:?}"));
    }
    let clustered = ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(w.sandbox.base_url())
        .redis_cluster_token_store(nodes, encryption());
    leaks.print(format!("{clustered:?}"));
    let memory = infobip_auth::store::MemoryStore::new();
    let shared = ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(w.sandbox.base_url())
        .token_store(memory.clone(), encryption())
        .build()
        .unwrap();
    shared.get_account_balance().send().await.unwrap();
    leaks.print(format!("{shared:?} {memory:?}"));
    leaks.print(format!(
        "{:?}",
        infobip_auth::store::StoreError::new("the store failed")
    ));
    leaks.print(format!(
        "{:?}",
        infobip_auth::store::Stored {
            value: DEMO_PASSWORD.as_bytes().to_vec(),
            ttl: None
        }
    ));

    // The sandbox's own types.
    leaks.print(format!("{:?}", w.sandbox.config()));
    leaks.print(format!("{:?}", infobip_sandbox::Account::demo()));
    for request in w.sandbox.requests() {
        leaks.print(format!("{request:?}"));
    }

    // Generated types that carry secrets.
    leaks.print(format!(
        "{:?}",
        CreateSessionRequest::builder()
            .username(DEMO_USERNAME)
            .password(DEMO_PASSWORD)
    ));
    leaks.print(format!(
        "{:?}",
        CreateOAuth2TokenRequest::new(DEMO_USERNAME, DEMO_PASSWORD, GrantType::ClientCredentials)
    ));
    leaks.print(format!(
        "{:?}",
        infobip_client::Secret::new(secret.as_str())
    ));
}

/// Calls whose URL carries a secret (a key listed by its secret) or whose answer does (a
/// key's secret), failing in every way a call can: no connection, a timeout, an answer the
/// operation does not declare, a success body that cannot be read, a cut-off one.
/// SMS calls run in spans that name what a support ticket needs (the operation, the status,
/// the bulk and message ids), and the message text never reaches the logs.
async fn sms_calls_in_their_spans(w: &World, leaks: &mut Leaks, capture: &CapturedLogs) {
    use infobip_client::sms::types::SmsRequestEnvelope;
    use infobip_client::Products as _;

    leaks.secret("Your code is 918273");
    leaks.secret("918273");
    let infobip = w.connect(w.oauth2_builder());
    let sms = infobip.sms();
    let request: SmsRequestEnvelope = serde_json::from_value(json!({
        "messages": [{
            "destinations": [{"to": "41793026727"}, {"to": "41793026728"}],
            "content": {"text": "Your code is 918273"}
        }]
    }))
    .unwrap();
    let logged_before = capture.text().len();
    let sent = sms.send_sms_messages().body(request).send().await.unwrap();
    leaks.print(format!("{sent:?}"));
    let bulk_id = sent.bulk_id.clone().unwrap();
    let message_id = sent.messages[0].message_id.clone().unwrap();
    w.clock.advance(Duration::from_secs(3));
    sms.get_outbound_sms_message_delivery_reports_v3()
        .message_id(&message_id)
        .send()
        .await
        .unwrap();

    let text = capture.text()[logged_before..].to_owned();
    let closed = |operation: &str| {
        text.lines()
            .find(|l| l.contains("infobip.call") && l.contains(operation) && l.contains("close"))
            .unwrap_or_else(|| panic!("no closed {operation} span in:\n{text}"))
            .to_owned()
    };
    let send = closed("send-sms-messages");
    for expected in [
        "product=\"sms\"",
        "status=200",
        &format!("bulk_id=\"{bulk_id}\""),
        &format!("message_id=\"{message_id},"),
        "messages=2",
    ] {
        assert!(send.contains(expected), "{expected} not in {send}");
    }
    let read = closed("get-outbound-sms-message-delivery-reports-v3");
    assert!(
        read.contains(&format!("message_id=\"{message_id}\"")),
        "{read}"
    );
}

async fn failing_calls_with_a_secret_in_the_url_or_body(w: &World, leaks: &mut Leaks) {
    const URL_SECRET: &str = "listed-by-S3CRET-in-the-url";
    const BODY_SECRET: &str = "key-S3CRET-in-the-body";
    leaks.secret(URL_SECRET);
    leaks.secret(BODY_SECRET);
    async fn list(
        client: &infobip_client::account::Client,
    ) -> Result<
        infobip_client::ResponseValue<infobip_client::account::types::ApiKeyPage>,
        infobip_client::Error,
    > {
        client
            .get_api_keys_by_filter()
            .api_key_secret(URL_SECRET)
            .send()
            .await
    }
    // No connection.
    let nowhere = ClientBuilder::basic(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(format!("http://127.0.0.1:{}", refused_port()))
        .build()
        .unwrap();
    let err = list(&nowhere).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Transport(e) if e.is_connect()),
        "{err:?}"
    );
    leaks.print(format!("{err} {err:?} {err:#}"));
    // A timeout.
    let slow = w
        .basic_builder()
        .timeout(Duration::from_millis(100))
        .read_retry(RetryPolicy::never())
        .build()
        .unwrap();
    w.sandbox.inject(
        Endpoint::GetApiKeysByFilter,
        Fault::Delay {
            delay: Duration::from_secs(2),
            times: 1,
        },
    );
    let err = list(&slow).await.unwrap_err();
    leaks.print(format!("{err} {err:?} {err:#}"));
    // An answer the operation does not declare: its body is read like any error's.
    let basic = w.basic();
    w.sandbox
        .inject(Endpoint::GetApiKeysByFilter, Fault::reply(418, "teapot"));
    let err = list(&basic).await.unwrap_err();
    assert_eq!(err.status(), Some(418), "{err:?}");
    leaks.print(format!("{err} {err:?} {err:#}"));
    // Success bodies that do not read as the operation's type: one valid JSON of the wrong
    // shape, one cut off in the middle of the secret.
    let wrong_shape = format!(
        r#"{{"apiKeys":[{{"id":"k1","name":"n","apiKeySecret":"{BODY_SECRET}"}}],"paging":"none"}}"#
    );
    let cut = format!(r#"{{"id":"k1","name":"n","apiKeySecret":"{BODY_SECRET}"#);
    w.sandbox
        .inject(Endpoint::GetApiKeysByFilter, Fault::reply(200, wrong_shape));
    let err = list(&basic).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidResponse { status: 200, .. }),
        "{err:?}"
    );
    leaks.print(format!("{err} {err:?} {err:#}"));
    w.sandbox
        .inject(Endpoint::GetApiKey, Fault::reply(200, cut));
    let err = basic
        .get_api_key()
        .api_key_id("k1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidResponse { status: 200, .. }),
        "{err:?}"
    );
    leaks.print(format!("{err} {err:?} {err:#}"));
    if let Some(infobip) = err.infobip().cloned() {
        leaks.print(format!("{infobip} {infobip:?}"));
    }
}

/// Raw HTTP with every kind of credential, so that only the sandbox logs: a session, a
/// token, a key made with Basic, each used, and a key listed by its secret.
async fn the_sandboxs_own_logs(leaks: &mut Leaks) {
    let sandbox = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let base = sandbox.base_url().to_owned();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let basic = basic_header();
    let session: Value = http
        .post(format!("{base}/auth/1/session"))
        .json(&json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = session["token"].as_str().unwrap().to_owned();
    let token: Value = http
        .post(format!("{base}/auth/1/oauth2/token"))
        .form(&[
            ("client_id", DEMO_USERNAME),
            ("client_secret", DEMO_PASSWORD),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let key: Value = http
        .post(format!("{base}/settings/2/api-keys"))
        .header("Authorization", &basic)
        .json(&json!({"name": "logged"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = key["apiKeySecret"].as_str().unwrap().to_owned();
    for auth in [
        format!("IBSSO {session}"),
        format!("Bearer {token}"),
        format!("App {secret}"),
    ] {
        let response = http
            .get(format!("{base}/account/1/balance"))
            .header("Authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    http.get(format!("{base}/settings/2/api-keys"))
        .header("Authorization", &basic)
        .query(&[("apiKeySecret", secret.as_str())])
        .send()
        .await
        .unwrap();
    leaks.secrets_of(&sandbox);
    for secret in [session, token, secret] {
        leaks.secret(secret);
    }
    sandbox.shutdown().await;
}

// ---- answers that echo a secret back ----------------------------------------------------
//
// These do not install the global subscriber (the test above owns it): each checks what a
// caller prints, and, where a log is involved, captures it with a thread-local subscriber on
// a current-thread runtime (the client's spawned login runs on that thread too).

/// Runs `test` on a current-thread runtime with a thread-local log capture.
fn with_logs<F: std::future::Future>(test: impl FnOnce(CapturedLogs) -> F) -> F::Output {
    let captured = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test(captured))
}

#[test]
fn a_login_error_page_that_echoes_the_request_does_not_reach_the_error_or_the_log() {
    // Regression: `InfobipError::from_body` (generated-client/src/infobip_error.rs) redacts secrets only
    // from a JSON body, by field name; any other body is kept verbatim (2 KiB) and shown by
    // the error's Display. The login calls send the password in their body, and a gateway,
    // WAF or proxy error page that echoes the request it refused ("400 Bad Request ...
    // client_secret=...") is not JSON. The client knows the password it just sent, yet
    // `AuthError::BadCredentials`/`Unavailable` quote it, and `Lease::complete` logs that
    // error at WARN (auth/src/tokens.rs), as does the retry loop at DEBUG: the account's
    // password lands in the service's logs. The same holds for create-session.
    with_logs(|logs| async move {
        let w = default_world().await;
        let echo = format!(
            "<html><body>400 Bad Request. Rejected: POST /auth/1/oauth2/token \
             client_id={DEMO_USERNAME}&client_secret={DEMO_PASSWORD}&grant_type=client_credentials\
             </body></html>"
        );
        w.sandbox.inject(
            Endpoint::CreateOAuth2Token,
            Fault::reply(400, echo).with_header("content-type", "text/html"),
        );
        let err = w.oauth2().get_account_balance().send().await.unwrap_err();
        let printed = format!("{err} {err:?}");
        assert!(
            !printed.contains(DEMO_PASSWORD),
            "the error quotes the password: {printed}"
        );
        assert!(
            !logs.text().contains(DEMO_PASSWORD),
            "the log quotes the password: {}",
            logs.text()
        );
    });
}

#[tokio::test]
async fn an_answer_that_echoes_a_secret_query_does_not_reach_the_error() {
    // Regression: `redact::response` (generated-client/src/redact.rs) rewrites the URL of a response
    // whose query holds a secret, but copies the headers and an error body through
    // untouched, and the call's error prints both:
    // - for a status the operation declares (400, 401, 403, 429, 500 on the key endpoints)
    //   progenitor parses the body as Infobip's error, and when it is not (a gateway's HTML
    //   page) returns `Error::InvalidResponsePayload(body, ..)`, whose Display and Debug print
    //   the body whole: a page that echoes the request line ("401 ... GET /settings/2/
    //   api-keys?apiKeySecret=...") prints the key's secret;
    // - for a redirect (which the default client does not follow) progenitor returns
    //   `Error::UnexpectedResponse(response)`, whose Display prints the headers: an SSO or
    //   login gateway's `Location: /login?next=<the original URL>` prints it too.
    // The secret is known (it is in the URL being redacted), so it can be taken out of the
    // body and headers as it is taken out of unreadable success bodies.
    const SECRET: &str = "listed-by-S3CRET-echoed-back";
    let w = default_world().await;
    let basic = w.basic();
    let list = || basic.get_api_keys_by_filter().api_key_secret(SECRET).send();
    w.sandbox.inject(
        Endpoint::GetApiKeysByFilter,
        Fault::reply(
            401,
            format!(
                "<html>401 Unauthorized: GET /settings/2/api-keys?apiKeySecret={SECRET}</html>"
            ),
        )
        .with_header("content-type", "text/html"),
    );
    let err = list().await.unwrap_err();
    let printed = format!("{err} {err:?}");
    assert!(!printed.contains(SECRET), "{printed}");

    w.sandbox.inject(
        Endpoint::GetApiKeysByFilter,
        Fault::reply(302, "").with_header(
            "location",
            &format!("/sso/login?next=/settings/2/api-keys?apiKeySecret={SECRET}"),
        ),
    );
    let err = list().await.unwrap_err();
    let printed = format!("{err} {err:?}");
    assert!(!printed.contains(SECRET), "{printed}");
}

#[test]
fn a_secret_in_the_url_of_an_untraced_call_is_taken_out_of_its_answer_on_every_route() {
    // The untraced call of an operation whose answer holds no secret, with no retries, goes
    // to the transport by a short route (auth/src/authenticator.rs, `Route`: as it is for a
    // static header, with the 401 replay only for a cached token). The answer comes back
    // through the client's send (generated-client/src/call.rs, `Auth::send`, what every
    // generated `send` calls), which must take a secret of the URL (a hand-written request, a
    // parameter named like one) out of it whatever route auth took.
    use infobip_client::{Authenticator as _, ClientInfo as _, Products as _};
    use workspace_tests::{RecordingServer, Reply};

    const SECRET: &str = "in-the-QUERY-S3CRET";
    // Nobody records spans on this thread, whichever test installed the global subscriber.
    let _off = tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = RecordingServer::start_with(|request| {
            if request.path == "/auth/1/oauth2/token" {
                return Reply::json(
                    200,
                    r#"{"access_token":"t0k3n","expires_in":3600,"token_type":"Bearer"}"#,
                );
            }
            let query = request.query.clone().unwrap_or_default();
            Reply::json(
                401,
                format!("<html>401: GET {}?{query}</html>", request.path),
            )
            .header("x-request-line", &format!("GET {}?{query}", request.path))
        })
        .await
        .unwrap();
        let builders: [fn() -> ClientBuilder; 2] = [
            || ClientBuilder::api_key("k3y"),
            || ClientBuilder::oauth2("client", "client-secret"),
        ];
        // The connection's own `Auth`, and one whose authenticator wraps it forwarding only
        // `prepare` and `send`, as a service adding metrics would: the guard is the default,
        // so the wrapper keeps it. A connection each: a token refused after the replay pauses
        // logins, which the second call would meet.
        for (builder, wrapped) in builders.iter().flat_map(|b| [(b, false), (b, true)]) {
            let infobip = builder()
                .base_url(server.base_url())
                .read_retry(RetryPolicy::never())
                .connect()
                .unwrap();
            let sms = infobip.sms();
            let auth = sms
                .inner()
                .downcast_ref::<infobip_auth::InfobipAuth>()
                .unwrap();
            let http = reqwest::Client::new();
            let call = infobip_client::Call {
                operation:
                    &infobip_client::sms::operations::SEND_SMS_MESSAGES_OVER_QUERY_PARAMETERS,
                transport: &http,
            };
            let url = format!(
                "{}/sms/1/text/query?to=41793026727&text=hi&accessToken={SECRET}",
                server.base_url()
            );
            let wrapper = infobip_client::Auth::new(Forwarding(sms.inner().clone()));
            let (through, sender) = if wrapped {
                ("wrapper", &wrapper)
            } else {
                ("connection", sms.inner())
            };
            let scheme = infobip.scheme();
            let mut request = reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
            auth.prepare(call, &mut request).outcome().await.unwrap();
            let response = sender.send(call, request).await.unwrap();
            assert_eq!(response.status(), 401, "{scheme} {through}");
            assert!(
                !response.url().as_str().contains(SECRET),
                "{scheme} {through}: {}",
                response.url()
            );
            let headers = format!("{:?}", response.headers());
            assert!(!headers.contains(SECRET), "{scheme} {through}: {headers}");
            let body = response.text().await.unwrap();
            assert!(!body.contains(SECRET), "{scheme} {through}: {body}");
            assert!(
                body.contains("401: GET /sms/1/text/query"),
                "{scheme} {through}: {body}"
            );
        }
    });
}

/// An authenticator that wraps another and forwards only what it must.
#[derive(Debug)]
struct Forwarding(infobip_client::Auth);

impl infobip_client::Authenticator for Forwarding {
    fn prepare<'a>(
        &'a self,
        call: infobip_client::Call<'a>,
        request: &'a mut reqwest::Request,
    ) -> infobip_client::Prepared<'a> {
        self.0.authenticator().prepare(call, request)
    }

    fn send<'a>(
        &'a self,
        call: infobip_client::Call<'a>,
        request: reqwest::Request,
    ) -> infobip_client::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.0.authenticator().send(call, request)
    }
}

// ---- what a call's span reads of its answer ----------------------------------------------

#[test]
fn a_send_span_lists_ten_message_ids_and_counts_the_rest_and_reads_nothing_else() {
    use infobip_client::Products as _;
    use workspace_tests::{RecordingServer, Reply};

    with_logs(|logs| async move {
        let server = RecordingServer::start().await.unwrap();
        let infobip = ClientBuilder::api_key("k3y-0f-the-test")
            .base_url(server.base_url())
            .connect()
            .unwrap();
        let messages: Vec<Value> = (0..12)
            .map(|i| json!({"messageId": format!("m{i}"), "destination": "41793026727", "status": {"groupId": 1}}))
            .collect();
        let answer = json!({"bulkId": "b-1", "messages": messages, "text": "918273 is your code"});
        server.reply(Reply::json(200, answer.to_string()));
        let request: infobip_client::sms::types::SmsRequestEnvelope =
            serde_json::from_value(json!({
                "messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "x"}}]
            }))
            .unwrap();
        let sms = infobip.sms();
        sms.send_sms_messages()
            .body(request.clone())
            .send()
            .await
            .unwrap();
        // An answer to a POST that names no ids: none are recorded.
        server.reply(Reply::json(200, r#"{"balance":1.5}"#));
        // Whether it reads as a send's answer is the client's business; its span is ours.
        let _ = sms.send_sms_messages().body(request).send().await;

        let text = logs.text();
        let closed: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("infobip.call") && l.contains("close"))
            .collect();
        let [listed, none] = closed[..] else {
            panic!("expected two closed call spans in:\n{text}")
        };
        for expected in [
            "bulk_id=\"b-1\"",
            "message_id=\"m0,m1,m2,m3,m4,m5,m6,m7,m8,m9 (+2)\"",
            "messages=12",
        ] {
            assert!(listed.contains(expected), "{expected} not in {listed}");
        }
        assert!(
            !none.contains("bulk_id") && !none.contains("message_id"),
            "{none}"
        );
        // Of the answer, the ids only: not its destinations, statuses or text.
        for answered in ["41793026727", "groupId", "918273"] {
            assert!(!listed.contains(answered), "{answered} in {listed}");
        }
        assert!(!text.contains("918273"), "{text}");
    });
}
