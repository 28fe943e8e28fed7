//! Every flow against the sandbox with tracing captured at TRACE, every public type formatted
//! with `{:?}` (and `{}` where it has one), every error rendered: no password, API key secret
//! or token appears anywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use std::time::Duration;

use common::default_world;
use infobip_auth::{ClientBuilder, ClientExt as _, InfobipError, RetryPolicy};
use infobip_client::account::types::{CreateApiKeyRequest, UpdateApiKeyRequest};
use infobip_sandbox::{Endpoint, Fault, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE};
use workspace_tests::CapturedLogs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_any_output() {
    let capture = CapturedLogs::default();
    // Global: the sandbox and the spawned fetches log from other threads and tasks.
    tracing::subscriber::set_global_default(capture.subscriber()).unwrap();

    let w = default_world().await;
    let mut printed: Vec<String> = Vec::new();
    let mut key_secrets: Vec<String> = Vec::new();

    // Each scheme, each lifecycle event.
    let basic = w.basic();
    let oauth = w.oauth2();
    let ibsso = w.ibsso();
    for client in [&basic, &oauth, &ibsso] {
        client.get_account_balance().send().await.unwrap();
        client.get_api_keys_by_filter().send().await.unwrap();
        printed.push(format!("{client:?}"));
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
    printed.push(format!("{key:?}"));
    let secret = key.api_key_secret.as_ref().unwrap().expose().to_owned();
    key_secrets.push(secret.clone());
    let id = key.id.clone().unwrap();
    let listed = oauth
        .get_api_keys_by_filter()
        .api_key_secret(secret.as_str())
        .send()
        .await
        .unwrap();
    printed.push(format!("{listed:?}"));
    let app = w.api_key(&secret);
    app.get_account_balance().send().await.unwrap();
    printed.push(format!("{app:?}"));
    let err = app.get_api_keys_by_filter().send().await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    ibsso
        .update_api_key()
        .api_key_id(&id)
        .body(UpdateApiKeyRequest::builder().enabled(false))
        .send()
        .await
        .unwrap();
    let err = app.get_account_balance().send().await.unwrap_err();
    printed.push(format!(
        "{err} {err:?} {:?}",
        InfobipError::from_client_error(&err)
    ));

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
    printed.push(format!("{err} {err:?}"));
    ibsso.logout().await.unwrap();

    // Faults.
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
        printed.push(format!("{fault:?}"));
        w.sandbox.inject(Endpoint::CreateOAuth2Token, fault);
        let client = w.oauth2();
        if let Err(err) = client.get_account_balance().send().await {
            printed.push(format!("{err} {err:?}"));
        }
    }
    let wrong = w
        .configure(ClientBuilder::ibsso(
            DEMO_USERNAME,
            format!("{DEMO_PASSWORD}-wrong"),
        ))
        .build()
        .unwrap();
    let err = wrong.get_account_balance().send().await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let strict = common::world(
        SandboxConfig::for_tests().with_session_rule(infobip_sandbox::SessionRule::Strict),
    )
    .await;
    let first = strict.ibsso();
    first.get_account_balance().send().await.unwrap();
    let err = strict
        .ibsso()
        .get_account_balance()
        .send()
        .await
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));
    first.logout().await.unwrap();

    // Every public configuration and bookkeeping type.
    let builder = ClientBuilder::api_key(secret.as_str())
        .base_url(format!("https://user:{DEMO_PASSWORD}@api.infobip.com"))
        .retry_policy(RetryPolicy::default());
    printed.push(format!("{builder:?}"));
    printed.push(format!("{}", builder.build().unwrap_err()));
    for bad in [
        ClientBuilder::api_key(format!("{secret}\n")),
        ClientBuilder::basic(DEMO_USERNAME, format!("{DEMO_PASSWORD}\u{7}")),
        ClientBuilder::oauth2(DEMO_USERNAME, format!("\t{DEMO_PASSWORD}")),
    ] {
        let bad = bad.base_url("https://api.infobip.com");
        printed.push(format!("{bad:?}"));
        let err = bad.build().unwrap_err();
        printed.push(format!("{err} {err:?}"));
    }
    // Token stores: the Redis URL carries a password, the encryption key is a secret too.
    let store_key = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let redis_url = format!("redis://:{DEMO_PASSWORD}@127.0.0.1:1/0");
    let encryption = || infobip_auth::EncryptionKey::from_base64(&store_key).unwrap();
    printed.push(format!("{:?}", encryption()));
    printed.push(format!(
        "{:?}",
        infobip_auth::RedisStore::open(&redis_url).unwrap()
    ));
    let err = infobip_auth::RedisStore::open(&format!("http://:{DEMO_PASSWORD}@h")).unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let stored = ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(w.sandbox.base_url())
        .redis_token_store(redis_url.as_str(), encryption());
    printed.push(format!("{stored:?}"));
    let memory = infobip_auth::MemoryStore::new();
    let shared = ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(w.sandbox.base_url())
        .token_store(memory.clone(), encryption())
        .build()
        .unwrap();
    shared.get_account_balance().send().await.unwrap();
    printed.push(format!("{shared:?} {memory:?}"));
    printed.push(format!(
        "{:?}",
        infobip_auth::StoreError::new("the store failed")
    ));
    printed.push(format!(
        "{:?}",
        infobip_auth::Stored {
            value: DEMO_PASSWORD.as_bytes().to_vec(),
            ttl: None
        }
    ));
    printed.push(format!("{:?}", w.sandbox.config()));
    printed.push(format!("{:?}", infobip_sandbox::Account::demo()));
    for request in w.sandbox.requests() {
        printed.push(format!("{request:?}"));
    }
    printed.push(format!(
        "{:?}",
        infobip_client::Secret::new(secret.as_str())
    ));
    printed.push(format!(
        "{:?}",
        infobip_client::account::types::CreateSessionRequest::builder()
            .username(DEMO_USERNAME)
            .password(DEMO_PASSWORD)
    ));

    // The secrets: the password, its Basic form, every key secret, every token the sandbox
    // issued (read back from the requests that carried them).
    let mut secrets = vec![DEMO_PASSWORD.to_owned(), store_key.clone()];
    secrets.push(base64_basic());
    secrets.extend(key_secrets);
    for r in w
        .sandbox
        .requests()
        .iter()
        .chain(strict.sandbox.requests().iter())
    {
        if let Some(value) = r.header("authorization") {
            if let Some((_, token)) = value.split_once(' ') {
                secrets.push(token.to_owned());
            }
        }
    }
    secrets.sort();
    secrets.dedup();
    assert!(
        secrets.len() >= 8,
        "tokens of every kind were seen: {}",
        secrets.len()
    );

    let traces = String::from_utf8(capture.bytes()).unwrap();
    assert!(traces.contains("infobip_auth.token_fetch"));
    assert!(traces.contains("infobip_auth.session_create"));
    assert!(traces.contains("infobip_auth.retry_401"));
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

fn base64_basic() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_USERNAME}:{DEMO_PASSWORD}"))
}
