//! What the benchmarks share: a minimal loopback Infobip, a client with the builder's
//! timeouts, and small statistics (medians, quantiles, interleaved runs).
//!
//! Benchmark set-up that fails cannot measure anything, so it panics rather than returning
//! errors.

#![allow(clippy::expect_used)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use axum::Router;

/// What the balance endpoint answers, whatever the Authorization header.
pub const BALANCE_BODY: &str = r#"{"balance":1.5,"currency":"EUR"}"#;
/// The path of the balance endpoint.
pub const BALANCE_PATH: &str = "/account/1/balance";
/// What the SMS send endpoint answers, whatever the request: one pending message.
pub const SMS_SENT_BODY: &str = r#"{"bulkId":"bench-bulk","messages":[{"messageId":"bench-message-1","destination":"41793026727","status":{"groupId":1,"groupName":"PENDING","id":26,"name":"PENDING_ACCEPTED","description":"Message sent to next instance"},"details":{"messageCount":1}}]}"#;
/// The path of the SMS send endpoint.
pub const SMS_SEND_PATH: &str = "/sms/3/messages";
/// What the voice text-to-speech endpoint answers, whatever the request: one pending call.
pub const VOICE_SENT_BODY: &str = r#"{"bulkId":"bench-bulk","messages":[{"to":"41793026727","status":{"groupId":1,"groupName":"PENDING","id":26,"name":"PENDING_ACCEPTED","description":"Message sent to next instance"},"messageId":"bench-message-1"}]}"#;
/// The path of the voice text-to-speech endpoint, an operation of the largest product.
pub const VOICE_SEND_PATH: &str = "/tts/3/single";
/// The API key the clients send (the server does not check it).
pub const API_KEY: &str = "bench-api-key";
/// Username and password for the token and session endpoints (not checked either).
pub const USERNAME: &str = "bench-user";
/// See [`USERNAME`].
pub const PASSWORD: &str = "bench-password";

/// A loopback server with the five endpoints the benchmarks touch, counting logins.
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
                SMS_SEND_PATH,
                post(move |_body: axum::body::Bytes| async move { (json(), SMS_SENT_BODY) }),
            )
            .route(
                VOICE_SEND_PATH,
                post(move |_body: axum::body::Bytes| async move { (json(), VOICE_SENT_BODY) }),
            )
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

    /// The SMS send endpoint's full URL.
    pub fn sms_send_url(&self) -> String {
        format!("{}{SMS_SEND_PATH}", self.base_url)
    }

    /// The voice text-to-speech endpoint's full URL.
    pub fn voice_send_url(&self) -> String {
        format!("{}{VOICE_SEND_PATH}", self.base_url)
    }

    /// The balance endpoint's full URL.
    pub fn balance_url(&self) -> String {
        format!("{}{BALANCE_PATH}", self.base_url)
    }
}

fn json() -> [(axum::http::HeaderName, &'static str); 1] {
    [(CONTENT_TYPE, "application/json")]
}

/// The HTTP client of every hand-written reference: the same timeouts as the builder's
/// defaults, so that comparisons are about auth and the generated code, not reqwest's timer.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
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

/// Times `rounds` calls of each variant, alternating call by call (each round calls every
/// variant once, in a rotating order, so drift from other load on the machine hits all of them
/// alike), and prints each variant's median, p90 and ratio of medians against the first
/// variant, with the spread of that ratio over `blocks` blocks of consecutive rounds.
pub fn interleaved<F, Fut>(
    rt: &tokio::runtime::Runtime,
    title: &str,
    names: &[&str],
    rounds: usize,
    blocks: usize,
    call: F,
) where
    F: Fn(usize) -> Fut,
    Fut: Future,
{
    let n = names.len();
    let mut all: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); n];
    rt.block_on(async {
        for round in 0..rounds {
            for k in 0..n {
                let i = (round + k) % n;
                let start = Instant::now();
                std::hint::black_box(call(i).await);
                all[i].push(start.elapsed());
            }
        }
    });
    let block = rounds / blocks;
    let mut block_ratios: Vec<Vec<f64>> = vec![Vec::with_capacity(blocks); n];
    for b in 0..blocks {
        let range = b * block..(b + 1) * block;
        let base = median(&mut all[0][range.clone()].to_vec()).as_secs_f64();
        for i in 0..n {
            let m = median(&mut all[i][range.clone()].to_vec()).as_secs_f64();
            block_ratios[i].push(m / base);
        }
    }
    let base = median(&mut all[0].clone()).as_secs_f64();
    println!();
    println!(
        "{title}: {rounds} calls per variant, interleaved call by call; ratio of medians vs {}",
        names[0]
    );
    println!(
        "{:<40} {:>12} {:>12} {:>8} {:>26}",
        "variant", "median", "p90", "ratio", "ratio in blocks p10..p90"
    );
    for (i, name) in names.iter().enumerate() {
        let m = median(&mut all[i]);
        let p90 = percentile(&mut all[i], 0.9);
        let lo = quantile(&mut block_ratios[i], 0.1);
        let hi = quantile(&mut block_ratios[i], 0.9);
        println!(
            "{:<40} {:>12} {:>12} {:>8.3} {:>17.3}..{:.3}",
            name,
            micros(m),
            micros(p90),
            m.as_secs_f64() / base,
            lo,
            hi
        );
    }
}
