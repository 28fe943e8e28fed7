//! A sandbox left running, and reachable by whoever shares the machine: its request log stays
//! within its bounds, it listens on loopback unless told otherwise, a client that sends
//! slowly or not at all is cut off, and connections beyond the limit wait for a place.
//!
//! The read timeouts are real time (they are the server's own timers), set short here; the
//! tests wait for the server to act, with a long deadline only so that a broken build fails
//! instead of hanging.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers fail loudly by design

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use infobip_sandbox::{Endpoint, LogLimits, Sandbox, SandboxConfig, StartError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for something the server must do before calling it broken.
const DEADLINE: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing after {DEADLINE:?}"))
}

/// Reads one HTTP/1.1 response with a `content-length` from a raw connection.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return text;
            }
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the connection closed mid-response: {text}");
        bytes.extend_from_slice(&chunk[..n]);
    }
}

/// Whether the server closed the connection: end of file, or a reset.
async fn closed(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest).await {
        Ok(_) => rest.is_empty(),
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

const NOT_FOUND: &[u8] = b"GET /nothing-here HTTP/1.1\r\nhost: sandbox\r\n\r\n";

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

#[tokio::test]
async fn an_address_other_than_loopback_needs_allow_remote() {
    for bind in ["0.0.0.0:0", "[::]:0", "192.0.2.1:0"] {
        let bind: SocketAddr = bind.parse().unwrap();
        let error = Sandbox::start(SandboxConfig::for_tests().with_bind(bind))
            .await
            .unwrap_err();
        assert!(
            matches!(error, StartError::NotLoopback { addr } if addr == bind),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&bind.to_string())
                && message.contains("password is public")
                && message.contains("--allow-remote"),
            "{message}"
        );
        let io = std::io::Error::from(error);
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
    }
    // Any loopback address serves without the flag, and gets no warning.
    let sandbox =
        Sandbox::start(SandboxConfig::for_tests().with_bind("127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
    assert_eq!(sandbox.exposure_warning(), None);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_port_in_use_is_a_bind_error_that_names_it() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let taken = sandbox.addr();
    let error = Sandbox::start(SandboxConfig::for_tests().with_bind(taken))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StartError::Bind { addr, .. } if addr == taken),
        "{error:?}"
    );
    assert!(error.to_string().contains("choose another port"), "{error}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_request_head_never_finished_is_cut_off() {
    let sandbox =
        Sandbox::start(SandboxConfig::for_tests().with_read_timeout(Duration::from_millis(200)))
            .await
            .unwrap();
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(b"GET /account/1/balance HTTP/1.1\r\nhost: sandbox\r\n")
        .await
        .unwrap();
    assert!(within("the server closing", closed(&mut stream)).await);
    assert_eq!(sandbox.count(Endpoint::GetAccountBalance), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_body_never_finished_is_answered_408() {
    let sandbox =
        Sandbox::start(SandboxConfig::for_tests().with_read_timeout(Duration::from_millis(200)))
            .await
            .unwrap();
    let mut stream = TcpStream::connect(sandbox.addr()).await.unwrap();
    stream
        .write_all(b"POST /sms/3/messages HTTP/1.1\r\nhost: sandbox\r\ncontent-length: 100\r\n\r\n{\"messages\"")
        .await
        .unwrap();
    let response = within("an answer", read_response(&mut stream)).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert_eq!(sandbox.count(Endpoint::SendSmsMessages), 0);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_gives_its_place_back() {
    let sandbox = Sandbox::start(
        SandboxConfig::for_tests()
            .with_read_timeout(Duration::from_millis(200))
            .with_max_connections(1),
    )
    .await
    .unwrap();
    let mut idle = TcpStream::connect(sandbox.addr()).await.unwrap();
    idle.write_all(NOT_FOUND).await.unwrap();
    let response = within("an answer", read_response(&mut idle)).await;
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    // Kept alive, then silent: closed after the read timeout, and its place is free again.
    assert!(within("the server closing", closed(&mut idle)).await);
    let mut next = TcpStream::connect(sandbox.addr()).await.unwrap();
    next.write_all(NOT_FOUND).await.unwrap();
    let response = within("an answer", read_response(&mut next)).await;
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_place() {
    let sandbox = Sandbox::start(SandboxConfig::for_tests().with_max_connections(1))
        .await
        .unwrap();
    let mut first = TcpStream::connect(sandbox.addr()).await.unwrap();
    first.write_all(NOT_FOUND).await.unwrap();
    within("an answer", read_response(&mut first)).await;

    // The system accepts the second connection into its backlog; the sandbox serves it only
    // once the first, kept alive, is closed.
    let addr = sandbox.addr();
    let (sent, sent_rx) = tokio::sync::oneshot::channel();
    let second = tokio::spawn(async move {
        let mut second = TcpStream::connect(addr).await.unwrap();
        second.write_all(NOT_FOUND).await.unwrap();
        let _ = sent.send(());
        read_response(&mut second).await
    });
    within("the second request sent", sent_rx).await.unwrap();
    drop(first);
    let response = within("the second answer", second).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert_eq!(sandbox.peak_connections(), 1, "never two at once");
    sandbox.shutdown().await;
}
