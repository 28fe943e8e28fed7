//! Single-flight: however many calls need a token at once, one request obtains it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{env, BALANCE, SESSION, TOKEN};
use futures_util::future::join_all;
use infobip_client::account::Client;
use workspace_tests::Reply;

const CALLS: usize = 1000;

async fn balance_calls(client: &Client, n: usize) -> Vec<bool> {
    join_all((0..n).map(|_| async { client.get_account_balance().send().await.is_ok() })).await
}

async fn spawned_balance_calls(client: &Client, n: usize) -> usize {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_account_balance().send().await.is_ok() })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        ok += usize::from(task.await.unwrap());
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_a_cold_oauth_cache_fetch_one_token() {
    let env = env().await;
    let client = env.oauth2().build().unwrap();
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(env.count("POST", TOKEN), 1);
    assert_eq!(env.count("GET", BALANCE), CALLS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_a_cold_session_create_one_session() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(env.count("POST", SESSION), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_an_expired_token_fetch_one_more() {
    let env = env().await;
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.clock.advance(Duration::from_secs(3600));
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(env.count("POST", TOKEN), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_an_idle_session_replace_it_once() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.clock.advance(Duration::from_secs(3600));
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(env.count("POST", SESSION), 2);
    assert_eq!(env.count("DELETE", SESSION), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_storm_causes_one_reauthentication() {
    let env = env().await;
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();
    // No 401 is answered before all of them were sent: every caller sees its token rejected.
    env.fake.hold_rejections(CALLS);
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(env.count("POST", TOKEN), 2);
    assert_eq!(env.count("GET", BALANCE), 1 + 2 * CALLS);
}

#[tokio::test]
async fn a_failed_fetch_is_shared_by_every_waiter() {
    let env = env().await;
    for _ in 0..3 {
        env.fake.fail_next_login(Reply::json(503, "{}"));
    }
    let client = env.oauth2().build().unwrap();
    let outcomes = balance_calls(&client, 200).await;
    assert!(outcomes.iter().all(|ok| !ok));
    // One leader, three attempts (the retry policy), no attempt from any of the waiters.
    assert_eq!(env.count("POST", TOKEN), 3);
    assert_eq!(env.count("GET", BALANCE), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_storm_on_a_session_causes_one_new_login() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();
    env.fake.hold_rejections(CALLS);
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(env.count("POST", SESSION), 2);
    // The rejected session was already gone: nothing to destroy.
    assert_eq!(env.count("DELETE", SESSION), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_in_the_renewal_window_are_served_while_one_renewal_runs() {
    let env = env().await;
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.clock.advance(Duration::from_secs(3400)); // stale (300 s margin), still valid
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    // Every call was served; the renewal runs in the background, one for all of them.
    // Once it is done, a call past the old token's expiry uses the new one without waiting.
    env.clock.advance(Duration::from_secs(250));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 2, "one renewal, not one per call");
}

#[tokio::test]
async fn a_cancelled_caller_does_not_cancel_the_fetch_it_started() {
    for ibsso in [false, true] {
        let env = env().await;
        // The login answers slowly; the caller gives up long before.
        let answer = env.fake.clone();
        let slow = workspace_tests::RecordingServer::start_with(move |r| {
            answer.answer(r).delayed(if r.method == "GET" {
                Duration::ZERO
            } else {
                Duration::from_millis(300)
            })
        })
        .await
        .unwrap();
        let builder = if ibsso { env.ibsso() } else { env.oauth2() };
        let client = builder.base_url(slow.base_url()).build().unwrap();
        let first = tokio::time::timeout(
            Duration::from_millis(50),
            client.get_account_balance().send(),
        )
        .await;
        assert!(first.is_err(), "the first call was cancelled");
        client.get_account_balance().send().await.unwrap();
        let login = if ibsso { SESSION } else { TOKEN };
        assert_eq!(slow.count("POST", login), 1, "ibsso: {ibsso}");
        assert_eq!(env.fake.issued(), 1, "no session or token was left behind");
    }
}
