//! The sandbox's own logs name schemes and paths, never credentials. In a test binary of its
//! own: tracing caches per-callsite interest process-wide, so callsites first hit by another
//! test's thread (with no subscriber) could miss this test's scoped subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use base64::Engine;
use infobip_sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};
use reqwest::Client;
use serde_json::{json, Value};

/// Collects formatted log output, to check it for secrets.
#[derive(Clone, Default)]
struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_never_contain_secrets() {
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime has one thread, so the server's tasks log through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let base = sandbox.base_url().to_owned();
    let http = Client::builder().no_proxy().build().unwrap();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{DEMO_USERNAME}:{DEMO_PASSWORD}"))
    );
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
    sandbox.shutdown().await;

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("/account/1/balance"), "{logs}");
    assert!(logs.contains("IBSSO"), "{logs}");
    let basic_credential = basic.replace("Basic ", "");
    for secret in [
        DEMO_PASSWORD,
        session.as_str(),
        token.as_str(),
        secret.as_str(),
        basic_credential.as_str(),
    ] {
        assert!(
            !logs.contains(secret),
            "a secret leaked into the logs:\n{logs}"
        );
    }
}
