//! No password, API key or token appears in any `Debug`, `Display`, error or tracing event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::env;
use infobip_auth::{ClientBuilder, ClientExt as _};
use infobip_client::account::types::{CreateOAuth2TokenRequest, CreateSessionRequest, GrantType};
use workspace_tests::fake::{basic_credentials, API_KEY, PASSWORD, TOKEN_MARK};
use workspace_tests::Reply;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in [PASSWORD, API_KEY, TOKEN_MARK, &basic_credentials()] {
        assert!(!text.contains(secret), "{what} contains a secret:\n{text}");
    }
}

#[tokio::test]
async fn no_secret_reaches_debug_display_errors_or_traces() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = env().await;
    let mut printed: Vec<String> = Vec::new();

    // Every scheme, successful calls, before and after a token is cached.
    for builder in [env.basic(), env.api_key(), env.ibsso(), env.oauth2()] {
        printed.push(format!("{builder:?}"));
        let client = builder.build().unwrap();
        printed.push(format!("{client:?}"));
        let balance = client.get_account_balance().send().await.unwrap();
        printed.push(format!("{balance:?}"));
        printed.push(format!("{client:?}"));
        client.logout().await.unwrap();
    }

    // Renewal, 401 recovery, a failing token endpoint, bad credentials, a refused session.
    let oauth = env.oauth2().build().unwrap();
    oauth.get_account_balance().send().await.unwrap();
    // Past expiry, so the renewal finishes before the call (no background renewal is still
    // running when everything is revoked below).
    env.clock.advance(Duration::from_secs(3700));
    oauth.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();
    oauth.get_account_balance().send().await.unwrap();
    env.clock.advance(Duration::from_secs(4000));
    for _ in 0..3 {
        env.fake.fail_next_login(Reply::json(500, "{}"));
    }
    let err = oauth.get_account_balance().send().await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let ibsso = env.ibsso().build().unwrap();
    env.fake.fail_next_login(Reply::json(
        400,
        r#"{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"active"}}}"#,
    ));
    let err = ibsso.get_account_balance().send().await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    ibsso.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();
    ibsso.get_account_balance().send().await.unwrap();
    ibsso.logout().await.unwrap();
    let bad = ClientBuilder::ibsso("fake-user", format!("{PASSWORD}x"))
        .base_url(env.server.base_url())
        .build()
        .unwrap();
    let err = bad.get_account_balance().send().await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let err = env
        .api_key()
        .build()
        .unwrap()
        .create_api_key()
        .body(infobip_client::account::types::CreateApiKeyRequest::builder().name("x"))
        .send()
        .await
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));

    // A timeout, a refused connection, an explicit destroy, a failed logout.
    env.fake
        .fail_next_login(Reply::empty(200).delayed(Duration::from_secs(2)));
    let slow = env
        .ibsso()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = slow.get_account_balance().send().await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = ClientBuilder::oauth2("fake-user", PASSWORD)
        .base_url(format!("http://127.0.0.1:{port}"))
        .clock(env.clock.clone())
        .build()
        .unwrap();
    let err = nowhere.get_account_balance().send().await.unwrap_err();
    printed.push(format!("{err} {err:?}"));
    let session = env.ibsso().build().unwrap();
    session.get_account_balance().send().await.unwrap();
    session.destroy_session().send().await.unwrap();
    session.get_account_balance().send().await.unwrap();
    env.server.reply(Reply::json(500, "{}"));
    let err = session.logout().await.unwrap_err();
    printed.push(format!("{err} {err:?} {session:?}"));

    // Configuration errors built from secrets.
    for builder in [
        ClientBuilder::api_key(format!("{API_KEY}\n")),
        ClientBuilder::api_key(format!(" {API_KEY}")),
        ClientBuilder::basic("fake-user", format!("{PASSWORD}\r")),
        ClientBuilder::oauth2("fake-user", format!("{PASSWORD}\0")),
    ] {
        let builder = builder.base_url("https://api.infobip.com");
        printed.push(format!("{builder:?}"));
        let err = builder.build().unwrap_err();
        printed.push(format!("{err} {err:?}"));
    }
    let err = ClientBuilder::api_key(API_KEY)
        .base_url(format!("https://u:{PASSWORD}@api.infobip.com"))
        .build()
        .unwrap_err();
    printed.push(format!("{err} {err:?}"));

    // Generated types that carry secrets.
    printed.push(format!(
        "{:?}",
        CreateSessionRequest::builder()
            .username("fake-user")
            .password(PASSWORD)
    ));
    printed.push(format!(
        "{:?}",
        CreateOAuth2TokenRequest {
            client_id: "fake-user".into(),
            client_secret: PASSWORD.into(),
            grant_type: GrantType::ClientCredentials,
        }
    ));
    printed.push(format!("{:?}", infobip_client::Secret::new(API_KEY)));

    for (i, text) in printed.iter().enumerate() {
        assert_clean(&format!("printed value #{i}"), text);
    }
    let traces = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("infobip_auth.token_fetch"),
        "spans are emitted:\n{traces}"
    );
    assert!(traces.contains("infobip_auth.retry_401"));
    assert!(traces.contains("infobip_auth.session_create"));
    assert!(traces.contains("infobip_auth.session_destroy"));
    assert_clean("the TRACE log", &traces);
}
