//! Shared set-up for the auth benchmarks: a minimal loopback Infobip and small statistics.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use axum::Router;

/// What the balance endpoint answers, whatever the Authorization header.
pub const BALANCE_BODY: &str = r#"{"balance":1.5,"currency":"EUR"}"#;
/// The path of the balance endpoint.
pub const BALANCE_PATH: &str = "/account/1/balance";
/// The API key the clients send (the server does not check it).
pub const API_KEY: &str = "bench-api-key";
/// Username and password for the token and session endpoints (not checked either).
pub const USERNAME: &str = "bench-user";
/// See [`USERNAME`].
pub const PASSWORD: &str = "bench-password";

/// A loopback server with the four endpoints the benchmarks touch, counting logins.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Requests to `POST /auth/1/oauth2/token`.
    pub token_requests: Arc<AtomicUsize>,
    /// Requests to `POST /auth/1/session`.
    pub session_requests: Arc<AtomicUsize>,
}

impl Server {
    /// Binds to a port the OS picks on 127.0.0.1 and serves on the current runtime.
    pub async fn start() -> Self {
        let token_requests = Arc::new(AtomicUsize::new(0));
        let session_requests = Arc::new(AtomicUsize::new(0));
        let tokens = token_requests.clone();
        let sessions = session_requests.clone();
        let app = Router::new()
            .route(BALANCE_PATH, get(move || async move { (json(), BALANCE_BODY) }))
            .route(
                "/auth/1/oauth2/token",
                post(move || {
                    let n = tokens.fetch_add(1, Ordering::SeqCst) + 1;
                    async move {
                        let body = format!(
                            r#"{{"access_token":"bench-token-{n}","expires_in":3600,"token_type":"Bearer"}}"#
                        );
                        (json(), body)
                    }
                }),
            )
            .route(
                "/auth/1/session",
                post(move || {
                    let n = sessions.fetch_add(1, Ordering::SeqCst) + 1;
                    async move { (json(), format!(r#"{{"token":"bench-session-{n}"}}"#)) }
                })
                .delete(|| async { "" }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            token_requests,
            session_requests,
        }
    }

    /// The balance endpoint's full URL.
    pub fn balance_url(&self) -> String {
        format!("{}{BALANCE_PATH}", self.base_url)
    }
}

fn json() -> [(axum::http::HeaderName, &'static str); 1] {
    [(CONTENT_TYPE, "application/json")]
}

/// A multi-thread runtime with one worker per core (two on the reference machine).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// True when the bench binary runs under `cargo test --benches` or only lists benchmarks:
/// the summaries, which take seconds, are skipped then.
pub fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--test" || a == "--list")
}

/// The median of a sample (sorts it).
pub fn median(values: &mut [Duration]) -> Duration {
    percentile(values, 0.5)
}

/// The `p`-quantile (0..=1) of a sample, nearest rank (sorts it).
pub fn percentile(values: &mut [Duration], p: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort_unstable();
    let rank = ((values.len() - 1) as f64 * p).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// The `p`-quantile of plain numbers (sorts them).
pub fn quantile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable_by(f64::total_cmp);
    let rank = ((values.len() - 1) as f64 * p).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// Microseconds with two decimals.
pub fn micros(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

/// `Duration` from seconds (readability).
pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
