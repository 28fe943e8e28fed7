//! A service that logs through `log` and sets no `tracing` subscriber: `tracing` hands it each
//! call's span (its `log` feature), and the client, which skips building a span nobody can take,
//! still builds this one. Its own test binary: the logger is global, and no test here may set a
//! subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Mutex;

use infobip_auth::ClientBuilder;
use workspace_tests::{RecordingServer, Reply};

/// Every record at `info` or above, as `target: message`.
struct Captured(Mutex<Vec<String>>);

impl log::Log for Captured {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!("{}: {}", record.target(), record.args());
            self.0.lock().unwrap().push(line);
        }
    }

    fn flush(&self) {}
}

static LOGS: Captured = Captured(Mutex::new(Vec::new()));

#[tokio::test]
async fn a_log_logger_without_a_tracing_subscriber_gets_the_call_span() {
    log::set_logger(&LOGS).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    let server = RecordingServer::start().await.unwrap();
    server.reply(Reply::json(200, r#"{"balance":47.5,"currency":"EUR"}"#));
    let client: infobip_client::account::Client = ClientBuilder::api_key("k3y-0f-the-test")
        .base_url(server.base_url())
        .build()
        .unwrap();
    client.get_account_balance().send().await.unwrap();

    let lines = LOGS.0.lock().unwrap().clone();
    let span = lines
        .iter()
        .find(|line| line.contains("infobip.call"))
        .unwrap_or_else(|| panic!("no call span in {lines:#?}"));
    assert!(span.contains("get-account-balance"), "{span}");
    assert!(!span.contains("k3y-0f-the-test"), "{span}");
}
