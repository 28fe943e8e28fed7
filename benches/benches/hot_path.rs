//! The hot path alone: `InfobipAuth::prepare` putting the Authorization header on a pre-built
//! request when the token is cached, on one thread and on 8 threads at once, against the
//! API-key client (a static header: the floor) and against a reader behind a `Mutex` (what a
//! lock-serialised cache would cost).
//!
//! `prepare` is polled once with `now_or_never`: with a cached token it must complete without
//! ever suspending, and the benchmark panics if it does not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use futures_util::FutureExt as _;
use infobip_auth::{ClientBuilder, InfobipAuth};
use infobip_benches::{Server, API_KEY, PASSWORD, USERNAME};
use infobip_client::account::operations::GET_ACCOUNT_BALANCE;
use infobip_client::account::Client;
use infobip_client::{Authenticator, Call, ClientInfo};
use reqwest::header::{HeaderValue, AUTHORIZATION};

const THREADS: usize = 8;

/// What produces the header: one of the real clients, or the mutex reference.
enum Case {
    Client(Client),
    Mutex(Mutex<HeaderValue>),
    /// A `from_static` header: no shared state at all, so it shows how far the machine itself
    /// lets a thread-local loop scale (summary only).
    Local,
}

impl Case {
    /// Sets the Authorization header on `request` once.
    fn prepare(&self, request: &mut reqwest::Request) {
        match self {
            Case::Client(client) => {
                let auth = client
                    .inner()
                    .downcast_ref::<InfobipAuth>()
                    .expect("built by auth");
                let call = Call {
                    operation: &GET_ACCOUNT_BALANCE,
                    transport: client.client(),
                };
                auth.prepare(call, request)
                    .outcome()
                    .now_or_never()
                    .expect("with a cached token, prepare completes on its first poll")
                    .expect("prepare");
            }
            Case::Mutex(header) => {
                let value = header.lock().unwrap().clone();
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            Case::Local => {
                let value = HeaderValue::from_static("Bearer bench-token-1");
                request.headers_mut().insert(AUTHORIZATION, value);
            }
        }
    }
}

struct Setup {
    cases: Vec<(&'static str, Case)>,
    request: reqwest::Request,
}

fn setup(rt: &tokio::runtime::Runtime, server: &Server) -> Setup {
    let build = |builder: ClientBuilder| builder.base_url(&server.base_url).build().unwrap();
    let api_key = build(ClientBuilder::api_key(API_KEY));
    let oauth2 = build(ClientBuilder::oauth2(USERNAME, PASSWORD));
    let ibsso = build(ClientBuilder::ibsso(USERNAME, PASSWORD));
    rt.block_on(async {
        // One real call each fetches the token and the session.
        for client in [&oauth2, &ibsso] {
            client.get_account_balance().send().await.expect("warm-up");
        }
    });
    let request = api_key
        .client()
        .get(server.balance_url())
        .build()
        .expect("request");
    let mutex = Mutex::new(HeaderValue::from_static("Bearer bench-token-1"));
    Setup {
        cases: vec![
            ("api_key_static", Case::Client(api_key)),
            ("oauth2_cached", Case::Client(oauth2)),
            ("ibsso_cached", Case::Client(ibsso)),
            ("mutex_reference", Case::Mutex(mutex)),
        ],
        request,
    }
}

/// `iters` calls on each of `threads` threads, all released at once; the wall time from the
/// release until the last thread finishes.
fn run_threads(case: &Case, request: &reqwest::Request, threads: usize, iters: u64) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let mut request = request.try_clone().expect("clonable request");
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    for _ in 0..iters {
                        case.prepare(std::hint::black_box(&mut request));
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for handle in handles {
            handle.join().expect("thread");
        }
        start.elapsed()
    })
}

fn criterion_benches(c: &mut Criterion, setup: &Setup) {
    let mut group = c.benchmark_group("hot_path");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (name, case) in &setup.cases {
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("1_thread", name), |b| {
            let mut request = setup.request.try_clone().expect("clonable request");
            b.iter(|| case.prepare(std::hint::black_box(&mut request)));
        });
        group.throughput(Throughput::Elements(THREADS as u64));
        group.bench_function(BenchmarkId::new("8_threads", name), |b| {
            b.iter_custom(|iters| run_threads(case, &setup.request, THREADS, iters));
        });
    }
    group.finish();
}

/// Calls per thread in one measurement of the summary, and measurements per figure.
const CALLS: u64 = 200_000;
const REPEATS: usize = 7;

fn summary(setup: &Setup) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!();
    println!(
        "hot path summary: median of {REPEATS} runs of {CALLS} calls per thread ({cores} cores); rates in million calls/s"
    );
    println!(
        "{:<18} {:>10} {:>9} {:>9} {:>9} {:>10} {:>10} {:>12}",
        "case", "1 thread", "1 thr.", "2 thr.", "8 thr.", "scale x2", "scale x8", "8 thr./api"
    );
    let local = Case::Local;
    let cases = setup
        .cases
        .iter()
        .map(|(name, case)| (*name, case))
        .chain([("local_reference", &local)]);
    let mut api_key_rate = None;
    for (name, case) in cases {
        let rate = |threads: usize| {
            let mut runs: Vec<_> = (0..REPEATS)
                .map(|_| run_threads(case, &setup.request, threads, CALLS))
                .collect();
            (CALLS * threads as u64) as f64 / infobip_benches::median(&mut runs).as_secs_f64()
        };
        let (one, two, eight) = (rate(1), rate(2), rate(THREADS));
        let base = *api_key_rate.get_or_insert(eight);
        println!(
            "{:<18} {:>7.1} ns {:>9.2} {:>9.2} {:>9.2} {:>9.2}x {:>9.2}x {:>12.3}",
            name,
            1e9 / one,
            one / 1e6,
            two / 1e6,
            eight / 1e6,
            two / one,
            eight / one,
            eight / base
        );
    }
}

fn main() {
    let rt = infobip_benches::runtime();
    let server = rt.block_on(Server::start());
    let setup = setup(&rt, &server);
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &setup);
    c.final_summary();
    if !infobip_benches::quick_mode() {
        summary(&setup);
    }
}
