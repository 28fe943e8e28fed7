//! Each fault the token or session endpoint (or the network) can produce, against the sandbox:
//! the client never panics, never loops, never sends an authenticated call without
//! credentials, and its error names the cause.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{default_world, World};
use infobip_auth::{ClientBuilder, ClientExt as _};
use infobip_client::Error;
use infobip_sandbox::{Endpoint, Fault, DEMO_PASSWORD, DEMO_USERNAME};
use workspace_tests::{RecordingServer, Reply};

const TOKEN: Endpoint = Endpoint::CreateOAuth2Token;
const BALANCE: Endpoint = Endpoint::GetAccountBalance;

/// No request to an authenticated endpoint went out without credentials.
fn assert_never_bare(w: &World) {
    for r in w.sandbox.requests() {
        if let Some(endpoint) = r.endpoint {
            if !endpoint.operation().schemes.is_empty() {
                assert!(r.scheme.is_some(), "sent without credentials: {r:?}");
            }
        }
    }
}

/// The auth failure message of a balance call, which must be an auth failure.
async fn auth_failure(client: &infobip_client::account::Client) -> String {
    let err = client.get_account_balance().send().await.unwrap_err();
    assert!(infobip_auth::is_auth_failure(&err), "{err:?}");
    err.to_string()
}

async fn token_fault(fault: Fault) -> World {
    let w = default_world().await;
    w.sandbox.inject(TOKEN, fault);
    w
}

#[tokio::test]
async fn token_500_is_retried_then_reported() {
    let w = token_fault(Fault::Status {
        status: 500,
        retry_after: None,
        times: 10,
    })
    .await;
    let message = auth_failure(&w.oauth2()).await;
    assert!(
        message.contains("`create-oauth2-token` failed after 3 attempt(s): HTTP 500 E500"),
        "{message}"
    );
    assert_eq!(w.sandbox.count(TOKEN), 3);
    assert_eq!(w.sandbox.count(BALANCE), 0);
    assert_never_bare(&w);
}

#[tokio::test]
async fn token_503_then_recovery() {
    let w = token_fault(Fault::Status {
        status: 503,
        retry_after: None,
        times: 2,
    })
    .await;
    w.oauth2().get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 3);
    assert_never_bare(&w);
}

#[tokio::test]
async fn token_429_with_and_without_retry_after() {
    let w = token_fault(Fault::Status {
        status: 429,
        retry_after: Some(4),
        times: 1,
    })
    .await;
    let before = std::time::Instant::now();
    let t0 = infobip_auth::Clock::now(&w.clock);
    w.oauth2().get_account_balance().send().await.unwrap();
    // The wait happened on the (shared, manual) clock: 4 s of it, no real seconds.
    assert!(infobip_auth::Clock::now(&w.clock) - t0 >= Duration::from_secs(4));
    assert!(before.elapsed() < Duration::from_secs(4));
    assert_eq!(w.sandbox.count(TOKEN), 2);

    let w = token_fault(Fault::Status {
        status: 429,
        retry_after: None,
        times: 1,
    })
    .await;
    let t0 = infobip_auth::Clock::now(&w.clock);
    w.oauth2().get_account_balance().send().await.unwrap();
    let waited = infobip_auth::Clock::now(&w.clock) - t0;
    assert!(
        waited >= Duration::from_millis(100) && waited <= Duration::from_millis(200),
        "{waited:?}"
    );
}

#[tokio::test]
async fn token_timeout_is_retried_then_reported() {
    let w = token_fault(Fault::Delay {
        delay: Duration::from_secs(3),
        times: 3,
    })
    .await;
    let client = w
        .configure(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD))
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let message = auth_failure(&client).await;
    assert!(
        message.contains("failed after 3 attempt(s): timed out"),
        "{message}"
    );
    assert_never_bare(&w);
}

#[tokio::test]
async fn token_dropped_connection_is_retried() {
    let w = token_fault(Fault::DropConnection { times: 1 }).await;
    w.oauth2().get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 2);
    let statuses: Vec<_> = w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(TOKEN))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [None, Some(200)]);
}

#[tokio::test]
async fn token_malformed_body_is_reported_once() {
    let w = token_fault(Fault::MalformedBody { times: 1 }).await;
    let message = auth_failure(&w.oauth2()).await;
    assert!(
        message.contains("answered HTTP 200 with a body that is not a token"),
        "{message}"
    );
    assert!(message.contains("not a credentials problem"), "{message}");
    assert_eq!(w.sandbox.count(TOKEN), 1);
}

#[tokio::test]
async fn token_empty_or_wrong_json_is_reported_once() {
    for body in [
        "",
        "{}",
        "[]",
        "null",
        r#"{"access_token":42,"expires_in":"x"}"#,
    ] {
        let server = RecordingServer::start_with(move |_| Reply::json(200, body))
            .await
            .unwrap();
        let client = ClientBuilder::oauth2("u", "p")
            .base_url(server.base_url())
            .build()
            .unwrap();
        let message = auth_failure(&client).await;
        assert!(
            message.contains("with a body that is not a token"),
            "{body}: {message}"
        );
        assert!(
            !message.contains("42"),
            "the body's values are not echoed: {message}"
        );
        assert_eq!(server.count("POST", "/auth/1/oauth2/token"), 1, "{body}");
        assert_eq!(server.count("GET", "/account/1/balance"), 0, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_storm_causes_one_reauthentication_per_client() {
    let w = default_world().await;
    // The clients keep their own, frozen clock: when the sandbox's clock jumps, their token
    // and session are dead server-side while the clients still think them fresh, so every
    // caller is rejected at once.
    let client_clock = infobip_auth::ManualClock::new();
    let build = |builder: ClientBuilder| {
        builder
            .base_url(w.sandbox.base_url())
            .clock(client_clock.clone())
            .build()
            .unwrap()
    };
    let oauth = build(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD));
    let ibsso = build(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD));
    oauth.get_account_balance().send().await.unwrap();
    ibsso.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3700));
    let calls: Vec<_> = (0..1000)
        .map(|i| {
            let client = if i % 2 == 0 {
                oauth.clone()
            } else {
                ibsso.clone()
            };
            tokio::spawn(async move { client.get_account_balance().send().await.is_ok() })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap());
    }
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.sandbox.count(Endpoint::CreateSession), 2);
    let rejected = w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(BALANCE) && r.status == Some(401))
        .count();
    assert!(rejected > 0, "the storm happened");
    assert_eq!(
        w.sandbox.count(BALANCE),
        2 + 1000 + rejected,
        "one retry per rejected call"
    );
    assert_never_bare(&w);
}

#[tokio::test]
async fn a_401_on_the_retry_is_returned() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(
        BALANCE,
        Fault::Status {
            status: 401,
            retry_after: None,
            times: 2,
        },
    );
    let err = client.get_account_balance().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::ErrorResponse(r) if r.status() == 401),
        "{err:?}"
    );
    assert_eq!(w.sandbox.count(BALANCE), 3);
    assert_eq!(w.sandbox.count(TOKEN), 2);
}

#[tokio::test]
async fn the_server_ends_the_session_mid_run() {
    let w = default_world().await;
    let client = w.ibsso();
    for i in 0..20 {
        if i % 5 == 4 {
            w.sandbox.end_sessions(DEMO_USERNAME);
        }
        client.get_account_balance().send().await.unwrap();
    }
    assert_eq!(w.sandbox.count(Endpoint::CreateSession), 5);
    client.logout().await.unwrap();
    assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 0);
    assert_never_bare(&w);
}

#[tokio::test]
async fn a_base_url_that_refuses_connections() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = infobip_sandbox::ManualClock::new();
    for builder in [
        ClientBuilder::oauth2("u", "p"),
        ClientBuilder::ibsso("u", "p"),
        ClientBuilder::api_key("k"),
    ] {
        let client = builder
            .base_url(format!("http://127.0.0.1:{port}"))
            .clock(clock.clone())
            .build()
            .unwrap();
        let err = client.get_account_balance().send().await.unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("could not connect") || message.contains("error sending request"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn session_faults_do_not_strand_sessions() {
    // A 500 on create may come after the session was made: not resent. The next call logs
    // in again, and the sandbox never holds more than one session for the user.
    let w = default_world().await;
    w.sandbox
        .inject(Endpoint::CreateSession, Fault::status(500));
    let client = w.ibsso();
    let message = auth_failure(&client).await;
    assert!(
        message.contains("not resent: the server may have acted on it"),
        "{message}"
    );
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 1);
    w.sandbox
        .inject(Endpoint::CreateSession, Fault::DropConnection { times: 1 });
    w.sandbox.end_sessions(DEMO_USERNAME);
    let _ = client.get_account_balance().send().await;
    client.get_account_balance().send().await.unwrap();
    assert!(w.sandbox.active_sessions(DEMO_USERNAME) <= 1);
    assert_never_bare(&w);
}
