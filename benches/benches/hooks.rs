//! The hooks alone: what a product client's `pre` and `exec` hooks cost on a call whose token
//! is cached, measured through the `Authenticator` seam against a stub transport that answers
//! at once (no sockets, no runtime), so that nothing but the auth layer's own work is timed.
//!
//! Each case builds a request (a clone of a template, as progenitor builds one per call),
//! lets the authenticator prepare it, and sends it through the authenticator to the stub:
//! - `request_only`: building the request alone;
//! - `baseline`: the request and the stub, no authenticator (subtracted from the seam cases);
//! - `seam_none`: `Auth::none()`, the seam's own cost (two boxed futures);
//! - `api_key`, `oauth2_cached`, `ibsso_cached`: clients built by `ClientBuilder`, warmed
//!   against a loopback server first (one token and one session request, then none);
//! - `request_clone`: the request and the copy kept for the one retry after a 401 (less
//!   `request_only`: the copy's cost).
//!
//! Both futures must complete on their first poll: the benchmark panics if one suspends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use futures_util::FutureExt as _;
use infobip_auth::ClientBuilder;
use infobip_benches::{Server, API_KEY, PASSWORD, USERNAME};
use infobip_client::account::operations::GET_ACCOUNT_BALANCE;
use infobip_client::{Auth, BoxFuture, Call, ClientInfo as _, Transport};

/// A transport that answers 200 with an empty body at once.
struct Stub;

impl Transport for Stub {
    fn execute(
        &self,
        _request: reqwest::Request,
    ) -> BoxFuture<'_, reqwest::Result<reqwest::Response>> {
        let response = http::Response::builder()
            .status(200)
            .body(Vec::<u8>::new())
            .expect("a canned response");
        Box::pin(std::future::ready(Ok(reqwest::Response::from(response))))
    }
}

enum Case {
    RequestOnly,
    Baseline,
    Seam(Auth),
    RequestClone,
}

impl Case {
    /// One call: build, prepare, send, drop the response.
    fn call(&self, template: &reqwest::Request) {
        let mut request = template.try_clone().expect("a clonable request");
        let auth = match self {
            Case::RequestOnly => {
                drop(std::hint::black_box(request));
                return;
            }
            Case::Baseline => {
                drop(Stub.execute(request).now_or_never().expect("ready"));
                return;
            }
            Case::RequestClone => {
                let copy = request.try_clone();
                drop(std::hint::black_box((request, copy)));
                return;
            }
            Case::Seam(auth) => auth.authenticator(),
        };
        let call = Call {
            operation: &GET_ACCOUNT_BALANCE,
            transport: &Stub,
        };
        auth.prepare(call, &mut request)
            .outcome()
            .now_or_never()
            .expect("with a cached token, prepare completes on its first poll")
            .expect("prepare");
        let response = auth
            .send(call, request)
            .now_or_never()
            .expect("send completes on its first poll")
            .expect("a response");
        drop(std::hint::black_box(response));
    }
}

fn cases(rt: &tokio::runtime::Runtime, server: &Server) -> Vec<(&'static str, Case)> {
    let build = |builder: ClientBuilder| builder.base_url(&server.base_url).build().unwrap();
    let api_key = build(ClientBuilder::api_key(API_KEY));
    let oauth2 = build(ClientBuilder::oauth2(USERNAME, PASSWORD));
    let ibsso = build(ClientBuilder::ibsso(USERNAME, PASSWORD));
    rt.block_on(async {
        for client in [&oauth2, &ibsso] {
            client.get_account_balance().send().await.expect("warm-up");
        }
    });
    vec![
        ("request_only", Case::RequestOnly),
        ("baseline", Case::Baseline),
        ("seam_none", Case::Seam(Auth::none())),
        ("api_key", Case::Seam(api_key.inner().clone())),
        ("oauth2_cached", Case::Seam(oauth2.inner().clone())),
        ("ibsso_cached", Case::Seam(ibsso.inner().clone())),
        ("request_clone", Case::RequestClone),
    ]
}

const CALLS: u32 = 200_000;
const REPEATS: usize = 9;

/// Nanoseconds per call: the median of `REPEATS` runs of `CALLS` calls, the cases taking
/// turns run by run so that a slow spell of the machine hits them all alike.
fn measure(cases: &[(&'static str, Case)], template: &reqwest::Request) -> Vec<f64> {
    let mut runs: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for _ in 0..REPEATS {
        for (i, (_, case)) in cases.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..CALLS {
                case.call(template);
            }
            runs[i].push(start.elapsed() / CALLS);
        }
    }
    runs.iter_mut()
        .map(|r| infobip_benches::median(r).as_secs_f64() * 1e9)
        .collect()
}

fn summary(cases: &[(&'static str, Case)], template: &reqwest::Request) {
    let ns = measure(cases, template);
    let (request_only, baseline) = (ns[0], ns[1]);
    println!();
    println!(
        "hooks summary: median of {REPEATS} interleaved runs of {CALLS} calls; auth = the case less the baseline"
    );
    println!("{:<16} {:>10} {:>10}", "case", "per call", "auth");
    for ((name, _), ns) in cases.iter().zip(&ns) {
        let own = match *name {
            "request_only" | "baseline" => 0.0,
            // Two requests built instead of one: the second is the clone's cost.
            "request_clone" => ns - request_only,
            _ => ns - baseline,
        };
        println!("{name:<16} {ns:>7.0} ns {own:>7.0} ns");
    }
}

fn main() {
    let rt = infobip_benches::runtime();
    let server = rt.block_on(Server::start());
    let cases = cases(&rt, &server);
    let template = reqwest::Client::new()
        .get(server.balance_url())
        .header("accept", "application/json")
        .build()
        .expect("request");
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("hooks");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    for (name, case) in &cases {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| case.call(&template));
        });
    }
    group.finish();
    c.final_summary();
    if !infobip_benches::quick_mode() {
        summary(&cases, &template);
    }
}
