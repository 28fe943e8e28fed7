//! Helpers for the webhook receiver's tests (`tests/`): a marker kind of SMS delivery reports,
//! report bodies, a handler that records what it is given, a server on a loopback port, a
//! throwaway `redis-server`, and captured logs.

// Test support: a helper that cannot do its job fails the test, with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, BufRead, BufReader};
use std::net::TcpListener as StdListener;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use infobip_client::sms::types::DeliveryReports;
use serde_json::{json, Value};

/// The kind most tests receive: SMS delivery reports.
pub use infobip_client::sms::webhooks::OutboundSmsMessageReportV3 as Reports;

/// One delivery report of message `id` with the status `status`.
pub fn report(id: &str, status: &str) -> Value {
    json!({
        "bulkId": "bulk-1",
        "messageId": id,
        "to": "41793026727",
        "sentAt": "2026-12-06T10:00:00.000+0000",
        "doneAt": "2026-12-06T10:00:05.000+0000",
        "messageCount": 1,
        "status": {
            "groupId": 3,
            "groupName": "DELIVERED",
            "id": 5,
            "name": status,
            "description": "Message delivered to handset"
        }
    })
}

/// A body of the reports of `ids`, each `DELIVERED_TO_HANDSET`.
pub fn body(ids: &[&str]) -> String {
    let results: Vec<Value> = ids
        .iter()
        .map(|id| report(id, "DELIVERED_TO_HANDSET"))
        .collect();
    json!({ "results": results }).to_string()
}

/// The future a recording handler returns.
pub type Handled = Pin<Box<dyn Future<Output = Result<(), Infallible>> + Send>>;

/// What a recording handler was given: one entry per call, the message ids of that call.
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<Vec<String>>>>);

impl Calls {
    /// A handler that records each call's message ids and returns `Ok`.
    pub fn handler(&self) -> impl Fn(DeliveryReports) -> Handled + Send + Sync + 'static {
        let calls = self.clone();
        move |reports| {
            calls.record(&reports);
            Box::pin(async { Ok(()) })
        }
    }

    /// Records one call.
    pub fn record(&self, reports: &DeliveryReports) {
        let ids = reports
            .results
            .iter()
            .map(|r| r.message_id.clone().unwrap_or_default())
            .collect();
        self.0.lock().unwrap().push(ids);
    }

    /// The calls so far.
    pub fn all(&self) -> Vec<Vec<String>> {
        self.0.lock().unwrap().clone()
    }

    /// How many calls so far.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Serves `app` on a free loopback port; the URL of its root, without the final `/`.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// Serves `receiver` at `/hooks` on a loopback port; the route's URL.
pub async fn mount<W: infobip_client::Webhook>(
    receiver: infobip_client::webhooks::Receiver<W>,
) -> String {
    let url = serve(axum::Router::new().route("/hooks", receiver.post())).await;
    format!("{url}/hooks")
}

/// Posts `body` as JSON to `url`.
pub async fn post(url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A counter shared with a handler.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    /// Adds one; the value before.
    pub fn next(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst)
    }

    /// The value.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A throwaway `redis-server` on a free loopback port, killed on drop; nothing persisted.
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts one, or `None` (with a message saying the test is skipped) when `redis-server`
    /// is not installed.
    pub fn start() -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!(
                "skipped: redis-server is not installed (apt-get install redis-server runs this test)"
            );
            return None;
        }
        let mut last = String::new();
        for _ in 0..5 {
            let port = StdListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--loglevel", "notice"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server runs");
            let stdout = child.stdout.take().expect("piped stdout");
            let mut lines = BufReader::new(stdout).lines();
            let ready = lines.by_ref().map_while(Result::ok).any(|line| {
                last = line.clone();
                line.contains("Ready to accept connections")
            });
            if ready {
                // Keep draining its log so that it never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return Some(Self { child, port });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start; its last line: {last}");
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything a `tracing` subscriber writes, for the tests that look for secrets in logs.
#[derive(Debug, Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// A subscriber writing every event and span, at every level, here.
    pub fn subscriber(&self) -> impl tracing_subscriber::util::SubscriberInitExt {
        let logs = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish()
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
