//! Expiry under load: 1,000 concurrent calls that all find the OAuth token expired (one of them
//! fetches a new token, the others wait for it) against 1,000 concurrent calls with a fresh
//! token. The difference is the latency a refresh adds to the calls that wait for it.
//!
//! Time is a `ManualClock`: each burst of the expired case moves it on by an hour first, so
//! every burst starts with an expired token, and the server counts one token request per burst.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use infobip_auth::clock::ManualClock;
use infobip_auth::ClientBuilder;
use infobip_benches::{Server, PASSWORD, USERNAME};
use infobip_client::account::Client;
use tokio::task::JoinSet;

const CONCURRENT: usize = 1_000;

struct Case {
    name: &'static str,
    client: Arc<Client>,
    clock: ManualClock,
    expire_first: bool,
}

impl Case {
    async fn new(server: &Server, name: &'static str, expire_first: bool) -> Self {
        let clock = ManualClock::new();
        let client = ClientBuilder::oauth2(USERNAME, PASSWORD)
            .base_url(&server.base_url)
            .clock(clock.clone())
            .build()
            .expect("client");
        let case = Self {
            name,
            client: Arc::new(client),
            clock,
            expire_first,
        };
        // Warm: the first token, and a full burst so the pool holds enough connections that
        // no burst measured later pays for opening them.
        case.client
            .get_account_balance()
            .send()
            .await
            .expect("warm-up");
        case.burst().await;
        case
    }

    /// One burst: optionally expire the token, then fire all calls at once. Returns the wall
    /// time and each call's latency.
    async fn burst(&self) -> (Duration, Vec<Duration>) {
        if self.expire_first {
            self.clock.advance(Duration::from_secs(3600));
        }
        let mut calls = JoinSet::new();
        let start = Instant::now();
        for _ in 0..CONCURRENT {
            let client = self.client.clone();
            calls.spawn(async move {
                let sent = Instant::now();
                client.get_account_balance().send().await.expect("balance");
                sent.elapsed()
            });
        }
        let mut latencies = Vec::with_capacity(CONCURRENT);
        while let Some(latency) = calls.join_next().await {
            latencies.push(latency.expect("task"));
        }
        (start.elapsed(), latencies)
    }
}

fn criterion_benches(c: &mut Criterion, rt: &tokio::runtime::Runtime, cases: &[Case]) {
    let mut group = c.benchmark_group("expiry_under_load");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for case in cases {
        group.bench_function(BenchmarkId::new("1000_concurrent", case.name), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += case.burst().await.0;
                    }
                    total
                })
            });
        });
    }
    group.finish();
}

const ROUNDS: usize = 20;

fn summary(rt: &tokio::runtime::Runtime, server: &Server, cases: &[Case]) {
    let mut walls = [Vec::new(), Vec::new()];
    let mut latencies = [Vec::new(), Vec::new()];
    let tokens_before = server.token_requests.load(Ordering::SeqCst);
    rt.block_on(async {
        for round in 0..ROUNDS {
            for k in 0..2 {
                let i = (round + k) % 2;
                let (wall, mut calls) = cases[i].burst().await;
                walls[i].push(wall);
                latencies[i].append(&mut calls);
            }
        }
    });
    let tokens = server.token_requests.load(Ordering::SeqCst) - tokens_before;
    println!();
    println!(
        "expiry under load: {ROUNDS} interleaved bursts of {CONCURRENT} concurrent calls per case"
    );
    println!(
        "{:<16} {:>14} {:>16} {:>16} {:>16}",
        "case", "median wall", "per-call median", "per-call p99", "per-call max"
    );
    let mut figures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let wall = infobip_benches::median(&mut walls[i]);
        let median = infobip_benches::median(&mut latencies[i]);
        let p99 = infobip_benches::percentile(&mut latencies[i], 0.99);
        let max = infobip_benches::percentile(&mut latencies[i], 1.0);
        println!(
            "{:<16} {:>14} {:>16} {:>16} {:>16}",
            case.name,
            infobip_benches::micros(wall),
            infobip_benches::micros(median),
            infobip_benches::micros(p99),
            infobip_benches::micros(max)
        );
        figures.push((wall, median, p99));
    }
    let (fresh, expired) = (figures[0], figures[1]);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "expired / fresh: wall {:.3}, per-call median {:.3}, per-call p99 {:.3}; added per-call median {}",
        ratio(expired.0, fresh.0),
        ratio(expired.1, fresh.1),
        ratio(expired.2, fresh.2),
        infobip_benches::micros(expired.1.saturating_sub(fresh.1)),
    );
    println!("token requests in the {ROUNDS} expired bursts: {tokens} (one per burst expected)");
    assert_eq!(tokens, ROUNDS, "the refresh was not single-flight");
}

fn main() {
    let rt = infobip_benches::runtime();
    let server = rt.block_on(Server::start());
    let cases = rt.block_on(async {
        vec![
            Case::new(&server, "fresh_token", false).await,
            Case::new(&server, "expired_token", true).await,
        ]
    });
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &rt, &cases);
    c.final_summary();
    if !infobip_benches::quick_mode() {
        summary(&rt, &server, &cases);
    }
}
