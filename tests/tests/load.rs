//! 10,000 concurrent calls over all four schemes against the sandbox, across an OAuth token
//! expiry, an IBSSO idle expiry and a server-side session kill: nothing is lost, and each
//! client fetches exactly one token or session per expiry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::default_world;
use infobip_client::account::Client;
use infobip_sandbox::{Endpoint, DEMO_USERNAME};
use tokio::sync::{Notify, Semaphore};

const CALLS: usize = 10_000;
/// Requests on the wire at once. Every call is its own task from the start; the permit only
/// bounds open sockets (two per request on loopback) to stay inside the file limit.
const IN_FLIGHT: usize = 512;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_calls_across_expiry_and_a_session_kill() {
    let w = default_world().await;
    let secret = w.new_key_secret("load");
    let clients: Vec<Client> = vec![w.basic(), w.api_key(&secret), w.ibsso(), w.oauth2()];
    // Warm the token schemes so that the expiry below is a renewal, not a first fetch.
    for client in &clients {
        client.get_account_balance().send().await.unwrap();
    }

    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let done = Arc::new(AtomicUsize::new(0));
    let progress = Arc::new(Notify::new());
    let started = Instant::now();
    let tasks: Vec<_> = (0..CALLS)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            let (permits, done, progress) = (permits.clone(), done.clone(), progress.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                let result = client.get_account_balance().send().await;
                done.fetch_add(1, Ordering::SeqCst);
                progress.notify_one();
                result.map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .collect();

    // A third of the way: every token and session expires (on both sides' clock).
    wait_until(&progress, || done.load(Ordering::SeqCst) >= CALLS / 3).await;
    w.clock.advance(Duration::from_secs(3700));
    // Once both clients have renewed, and two thirds are done: the server ends the sessions.
    wait_until(&progress, || {
        w.sandbox.count(Endpoint::CreateOAuth2Token) >= 2
            && w.sandbox.count(Endpoint::CreateSession) >= 2
            && done.load(Ordering::SeqCst) >= 2 * CALLS / 3
    })
    .await;
    let remaining_at_kill = CALLS - done.load(Ordering::SeqCst);
    w.sandbox.end_sessions(DEMO_USERNAME);

    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.expect("no call panicked") {
            failures.push(e);
        }
    }
    let elapsed = started.elapsed();
    println!("{CALLS} calls in {elapsed:?}");

    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(done.load(Ordering::SeqCst), CALLS);
    // One token per expiry: the first, and the renewal.
    assert_eq!(w.sandbox.count(Endpoint::CreateOAuth2Token), 2);
    // One session per event: the first, the idle renewal, the re-login after the kill.
    assert_eq!(w.sandbox.count(Endpoint::CreateSession), 3);
    // The idle-expired session was destroyed before its replacement was created.
    assert_eq!(w.sandbox.count(Endpoint::DestroySession), 1);
    // Nothing was sent to an authenticated endpoint without credentials.
    assert!(w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetAccountBalance))
        .all(|r| r.scheme.is_some()));
    assert!(
        elapsed < Duration::from_secs(60),
        "bounded time: {elapsed:?}"
    );
    assert!(remaining_at_kill > 0, "the kill happened mid-run");
}

/// Waits for `condition`, re-checked each time a call completes (no sleeping).
async fn wait_until(progress: &Notify, condition: impl Fn() -> bool) {
    while !condition() {
        progress.notified().await;
    }
}
