//! Token and session expiry, driven by a manual clock (HTTP runs on real time).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{env, BALANCE, SESSION, TOKEN};
use infobip_auth::ClientExt as _;
use workspace_tests::Reply;

const MIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn oauth_token_is_reused_then_renewed_before_it_expires() {
    let env = env().await;
    env.fake.set_expires_in(3600);
    let client = env.oauth2().build().unwrap();
    for _ in 0..5 {
        client.get_account_balance().send().await.unwrap();
    }
    assert_eq!(env.count("POST", TOKEN), 1, "reused, not fetched per call");

    // 3600 s lifetime -> 300 s margin: at 3299 s still cached, at 3301 s renewed.
    env.clock.advance(Duration::from_secs(3299));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 1);
    env.clock.advance(Duration::from_secs(2));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 2, "renewed inside the margin");
    assert_eq!(env.count("GET", BALANCE), 7);
}

#[tokio::test]
async fn short_lived_tokens_are_not_renewed_on_every_call() {
    let env = env().await;
    env.fake.set_expires_in(4); // margin is 2 s: half the life
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.clock.advance(Duration::from_millis(1900));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 1);
    env.clock.advance(Duration::from_millis(200));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 2);
}

#[tokio::test]
async fn expires_in_zero_or_negative_means_do_not_cache() {
    for expires_in in [0, -5] {
        let env = env().await;
        env.fake.set_expires_in(expires_in);
        let client = env.oauth2().build().unwrap();
        for _ in 0..3 {
            client.get_account_balance().send().await.unwrap();
        }
        assert_eq!(env.count("POST", TOKEN), 3, "expires_in {expires_in}");
    }
}

#[tokio::test]
async fn the_largest_expires_in_is_cached_for_its_whole_life() {
    let env = env().await;
    env.fake.set_expires_in(i64::from(i32::MAX)); // 68 years
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.clock.advance(Duration::from_secs(60 * 365 * 24 * 3600));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 1);
}

#[tokio::test]
async fn an_absurd_idle_timeout_does_not_panic() {
    let env = env().await;
    let client = env
        .ibsso()
        .session_idle_timeout(Duration::MAX)
        .build()
        .unwrap();
    client.get_account_balance().send().await.unwrap();
    env.clock.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", SESSION), 1);
}

#[tokio::test]
async fn session_idle_expiry_is_measured_from_the_last_use() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    // Each use keeps the session alive: 50 minutes apart, three times.
    for _ in 0..3 {
        env.clock.advance(50 * MIN);
        client.get_account_balance().send().await.unwrap();
    }
    assert_eq!(env.count("POST", SESSION), 1);

    // 56 idle minutes is inside the 5-minute margin of the 60-minute expiry: a new session,
    // after destroying the old one.
    env.clock.advance(56 * MIN);
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", SESSION), 2);
    let requests = env.server.requests();
    let destroy = requests
        .iter()
        .find(|r| r.method == "DELETE")
        .expect("old session destroyed");
    assert_eq!(
        destroy.header("authorization"),
        Some("IBSSO ibsso-1-SECRET")
    );
    assert!(!env.fake.is_valid("IBSSO ibsso-1-SECRET"));
}

#[tokio::test]
async fn idle_timeout_is_configurable() {
    let env = env().await;
    let client = env.ibsso().session_idle_timeout(10 * MIN).build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.clock.advance(9 * MIN + Duration::from_secs(1)); // margin 60 s
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", SESSION), 2);
}

#[tokio::test]
async fn logout_destroys_the_session_and_the_next_call_logs_in_again() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.logout().await.unwrap(); // nothing to end yet
    assert!(env.server.requests().is_empty());

    client.get_account_balance().send().await.unwrap();
    client.logout().await.unwrap();
    assert!(!env.fake.is_valid("IBSSO ibsso-1-SECRET"));
    assert_eq!(env.count("DELETE", SESSION), 1);

    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", SESSION), 2);
}

#[tokio::test]
async fn logout_of_a_session_the_server_already_ended_counts_as_done() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();
    client.logout().await.unwrap();
    assert_eq!(env.count("DELETE", SESSION), 1);
}

#[tokio::test]
async fn logout_reports_a_server_failure() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.server.reply(Reply::json(
        500,
        r#"{"requestError":{"serviceException":{"messageId":"GENERAL_ERROR","text":"Something went wrong"}}}"#,
    ));
    let err = client.logout().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "destroying the session failed: HTTP 500 E500 Something went wrong; it ends by itself after 60 idle minutes"
    );
    // The session is still alive server-side, so the client keeps it: the next logout ends it.
    assert!(env.fake.is_valid("IBSSO ibsso-1-SECRET"));
    client.logout().await.unwrap();
    assert!(!env.fake.is_valid("IBSSO ibsso-1-SECRET"));
    assert_eq!(env.count("DELETE", SESSION), 2);
}

#[tokio::test]
async fn logout_is_a_no_op_for_schemes_without_sessions() {
    let env = env().await;
    for builder in [env.basic(), env.api_key(), env.oauth2()] {
        builder.build().unwrap().logout().await.unwrap();
    }
    assert!(env.server.requests().is_empty());
}
