//! A sandbox left running, and reachable by whoever shares the machine: its request log stays
//! within its bounds, and a reader follows it without copying it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers fail loudly by design

use std::time::Duration;

use axum::body::Bytes;
use infobip_sandbox::{Endpoint, LogLimits, Sandbox, SandboxConfig};

/// How long a test waits for something the server must do before calling it broken.
const DEADLINE: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing after {DEADLINE:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_large_bodies_leaves_the_log_within_its_bounds() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let limits = LogLimits::default();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    // 1 MB each, unauthenticated: what anyone who can reach the port can send.
    let body = Bytes::from(vec![b'7'; 1_000_000]);
    for _ in 0..200 {
        let response = http
            .post(format!("{}/sms/3/messages", sandbox.base_url()))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let stats = sandbox.log_stats();
        assert!(stats.bytes <= limits.bytes, "{stats:?}");
    }
    let stats = sandbox.log_stats();
    assert_eq!(stats.truncated_bodies, 200, "{stats:?}");
    assert!(stats.bytes <= limits.bytes, "{stats:?}");
    let requests = sandbox.requests();
    assert_eq!(requests.len(), stats.entries);
    assert!(requests
        .iter()
        .all(|r| r.body.len() == limits.body_bytes && r.body_len == 1_000_000));
    // The counts are kept apart from the entries: exact whatever the log keeps.
    assert_eq!(sandbox.count(Endpoint::SendSmsMessages), 200);
    assert_eq!(sandbox.answered(Endpoint::SendSmsMessages), 200);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_oldest_entries_leave_once_the_bytes_are_spent() {
    let limits = LogLimits {
        body_bytes: 1 << 20,
        ..LogLimits::default()
    };
    let sandbox = Sandbox::start(SandboxConfig::for_tests().with_log_limits(limits))
        .await
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = Bytes::from(vec![b'7'; 1_000_000]);
    for _ in 0..12 {
        http.post(format!("{}/sms/3/messages", sandbox.base_url()))
            .body(body.clone())
            .send()
            .await
            .unwrap();
    }
    let stats = sandbox.log_stats();
    // 4 MiB holds four bodies of 1 MB and their headers: the other eight left, oldest first.
    assert_eq!((stats.entries, stats.evicted), (4, 8), "{stats:?}");
    assert!(stats.bytes <= limits.bytes);
    let kept: Vec<u64> = sandbox.requests().iter().map(|r| r.seq).collect();
    assert_eq!(kept, [8, 9, 10, 11]);
    assert_eq!(sandbox.count(Endpoint::SendSmsMessages), 12);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_reader_follows_the_log_by_sequence_number_and_change_notice() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let mut changes = sandbox.log_changed();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let balance = format!("{}/account/1/balance", sandbox.base_url());

    http.get(&balance).send().await.unwrap();
    within("a change notice", changes.changed()).await.unwrap();
    let first = sandbox.requests_since(0);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].status, Some(401));

    http.get(&balance).send().await.unwrap();
    within("a change notice", changes.changed()).await.unwrap();
    let next = sandbox.requests_since(first[0].seq + 1);
    assert_eq!(next.len(), 1, "only what came after");
    assert_eq!(next[0].seq, first[0].seq + 1);

    sandbox.clear_log();
    assert!(sandbox.requests().is_empty());
    assert_eq!(sandbox.count(Endpoint::GetAccountBalance), 0);
    http.get(&balance).send().await.unwrap();
    assert_eq!(
        sandbox.requests()[0].seq,
        next[0].seq + 1,
        "numbers go on after a clear, so a reader's position stays valid"
    );
    sandbox.shutdown().await;
}
