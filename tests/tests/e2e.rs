//! Every scheme through `auth` and the generated client against the sandbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{default_world, world};
use infobip_auth::ClientExt as _;
use infobip_sandbox::{Endpoint, SandboxConfig, SessionRule, DEMO_USERNAME};

const MIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn ibsso_login_use_logout() {
    let w = default_world().await;
    let client = w.ibsso();
    client.get_account_balance().send().await.unwrap();
    client.get_api_keys_by_filter().send().await.unwrap();
    assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 1);
    assert_eq!(w.sandbox.count(Endpoint::CreateSession), 1);
    client.logout().await.unwrap();
    assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 0);
    assert_eq!(w.sandbox.count(Endpoint::DestroySession), 1);
}

#[tokio::test]
async fn ibsso_recovers_when_the_server_ends_the_session() {
    let w = default_world().await;
    let client = w.ibsso();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.end_sessions(DEMO_USERNAME);
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(Endpoint::CreateSession), 2);
    assert_eq!(
        w.sandbox.count(Endpoint::GetAccountBalance),
        3,
        "1 + rejected + retried"
    );
}

#[tokio::test]
async fn oauth_token_is_renewed_before_the_server_expires_it() {
    let w = world(SandboxConfig::for_tests().with_oauth_expires_in(60)).await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(45));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(Endpoint::CreateOAuth2Token), 1);
    // 60 s tokens are renewed 10 s early: at 51 s, before the server would refuse it.
    w.clock.advance(Duration::from_secs(6));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(Endpoint::CreateOAuth2Token), 2);
    let statuses: Vec<Option<u16>> = w.sandbox.requests().iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == Some(200)), "{statuses:?}");
}

#[tokio::test]
async fn oauth_recovers_when_the_server_rejects_a_token_early() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    // The server refuses the cached token before it expires (revoked, or clocks disagree).
    w.sandbox.inject(
        Endpoint::GetAccountBalance,
        infobip_sandbox::Fault::status(401),
    );
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(Endpoint::CreateOAuth2Token), 2);
    assert_eq!(w.sandbox.count(Endpoint::GetAccountBalance), 3);
}

async fn session_rule_world(rule: SessionRule) -> common::World {
    world(SandboxConfig::for_tests().with_session_rule(rule)).await
}

#[tokio::test]
async fn the_client_works_under_each_session_rule() {
    for rule in [SessionRule::Reuse, SessionRule::Strict, SessionRule::Fresh] {
        let w = session_rule_world(rule).await;
        let client = w.ibsso();
        client.get_account_balance().send().await.unwrap();
        // Idle past the client's margin: it destroys its session, then creates a new one,
        // which every reading of "destroy it first" allows.
        w.clock.advance(56 * MIN);
        client.get_account_balance().send().await.unwrap();
        // The server ends it: one re-login, one retry.
        w.sandbox.end_sessions(DEMO_USERNAME);
        client.get_account_balance().send().await.unwrap();
        client.logout().await.unwrap();
        assert_eq!(w.sandbox.count(Endpoint::CreateSession), 3, "{rule:?}");
        assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 0, "{rule:?}");
        let failures: Vec<_> = w
            .sandbox
            .requests()
            .into_iter()
            .filter(|r| r.endpoint == Some(Endpoint::CreateSession) && r.status != Some(200))
            .collect();
        assert!(failures.is_empty(), "{rule:?}: {failures:?}");
    }
}

#[tokio::test]
async fn a_session_held_elsewhere_is_handled_per_rule() {
    for rule in [SessionRule::Reuse, SessionRule::Strict, SessionRule::Fresh] {
        let w = session_rule_world(rule).await;
        let elsewhere = w.ibsso();
        elsewhere.get_account_balance().send().await.unwrap();
        let client = w.ibsso();
        let result = client.get_account_balance().send().await;
        match rule {
            SessionRule::Strict => {
                let err = result.unwrap_err();
                assert!(infobip_auth::is_auth_failure(&err));
                let message = err.to_string();
                assert!(
                    message.contains("Infobip refused to create a session"),
                    "{message}"
                );
                assert!(
                    message.contains("If another process or client holds a session for this user"),
                    "{message}"
                );
                // Once the other holder logs out, the client gets in.
                elsewhere.logout().await.unwrap();
                client.get_account_balance().send().await.unwrap();
            }
            _ => {
                result.unwrap();
                elsewhere.get_account_balance().send().await.unwrap();
            }
        }
    }
}
