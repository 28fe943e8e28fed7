//! Single-flight: however many calls need a token at once, one request obtains it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{env, BALANCE, SESSION, TOKEN};
use futures_util::future::join_all;
use generated_client::Client;
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
