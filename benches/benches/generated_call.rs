//! One generated call without sockets: the request built, the auth hooks run, the answer read
//! and decoded into the generated type, against a transport that answers at once. Against it,
//! the same request written by hand with `reqwest` (a static header) and the same typed
//! decode, so that the difference is what the generated path and the auth layer add.
//!
//! Cases, each for an SMS send (`POST /sms/3/messages`) and for one operation of the largest
//! product, voice (`POST /tts/3/single`), so that any cost that grows with a product shows:
//! - `*_by_hand`: the reference, the body serialised from the same typed value;
//! - `*_no_auth`: the generated call with `Auth::none()`, the generated path's own cost;
//! - `*_api_key`, `*_oauth2_cached`: the product client of an `infobip_auth` connection (the
//!   OAuth token fetched once from a loopback server beforehand, then cached);
//! - `sms_fixed_header`: the least any authenticator can do for an API key (insert a header
//!   it holds, send as is), the floor under `sms_api_key`;
//! - `sms_api_key_unguarded`: `sms_api_key` without the client's answer layer (the call span,
//!   the URL's secrets taken out of the answer, the deprecation notice), which the difference
//!   to `sms_api_key` prices.
//!
//! Every call builds its body from the same value (a clone, as a caller holding a message
//! would), in every case. The futures must complete on their first poll: the bench panics if
//! one suspends.
//!
//! `GENERATED_CALL_ONLY=<case>[:<calls>]` runs one case that many times (10,000 by default)
//! and nothing else: for counting its instructions under callgrind, which, unlike time on a
//! shared machine, gives the same figure run after run (see BENCHMARKS.md, section 5).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use cpu_time::ThreadTime;

use criterion::{BenchmarkId, Criterion};
use futures_util::FutureExt as _;
use infobip_auth::{ClientBuilder, Infobip};
use infobip_benches::{Server, API_KEY, PASSWORD, SMS_SENT_BODY, USERNAME, VOICE_SENT_BODY};
use infobip_client::{
    sms, voice, Auth, Authenticator, BoxFuture, Call, ClientInfo as _, Prepared, Rebuild, Scheme,
    Transport,
};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};

/// A transport that answers at once, with the body the request's path calls for.
struct Stub;

impl Transport for Stub {
    fn execute(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'_, reqwest::Result<reqwest::Response>> {
        let body = if request.url().path() == infobip_benches::VOICE_SEND_PATH {
            VOICE_SENT_BODY
        } else {
            SMS_SENT_BODY
        };
        let response = http::Response::builder()
            .status(200)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .expect("a canned response");
        Box::pin(std::future::ready(Ok(reqwest::Response::from(response))))
    }
}

/// A connection's authenticator whose calls go to [`Stub`] instead of the network: its own
/// work (the header, the cached token, the copy kept for a 401 replay) runs as it would. The
/// `bool`: whether the client guards its answers (as the wrapped authenticator says).
#[derive(Debug)]
struct Stubbed(Auth, bool);

impl Authenticator for Stubbed {
    fn prepare<'a>(&'a self, call: Call<'a>, request: &'a mut reqwest::Request) -> Prepared<'a> {
        self.0.authenticator().prepare(call, request)
    }

    fn send<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let call = Call {
            transport: &Stub,
            ..call
        };
        self.0.authenticator().send(call, request)
    }

    fn send_rebuildable<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
        rebuild: &'a dyn Rebuild,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let call = Call {
            transport: &Stub,
            ..call
        };
        self.0
            .authenticator()
            .send_rebuildable(call, request, rebuild)
    }

    fn scheme(&self) -> Option<Scheme> {
        self.0.authenticator().scheme()
    }

    fn guards_answers(&self) -> bool {
        self.1 && self.0.authenticator().guards_answers()
    }
}

/// The calls' inputs, built once.
struct Setup {
    base_url: String,
    http: reqwest::Client,
    header: HeaderValue,
    sms: sms::types::SmsRequestEnvelope,
    voice: voice::types::SingleTtsApiRequest,
}

enum Case {
    SmsByHand,
    Sms(sms::Client),
    VoiceByHand,
    Voice(voice::Client),
}

/// The least an authenticator can do for an API key: insert a header it holds, send as is.
#[derive(Debug)]
struct Fixed(HeaderValue);

impl Authenticator for Fixed {
    fn prepare<'a>(&'a self, _call: Call<'a>, request: &'a mut reqwest::Request) -> Prepared<'a> {
        request.headers_mut().insert(AUTHORIZATION, self.0.clone());
        Prepared::Ready(Ok(()))
    }

    fn send<'a>(
        &'a self,
        _call: Call<'a>,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Stub.execute(request)
    }

    fn send_rebuildable<'a>(
        &'a self,
        _call: Call<'a>,
        request: reqwest::Request,
        _rebuild: &'a dyn Rebuild,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Stub.execute(request)
    }

    fn guards_answers(&self) -> bool {
        false
    }
}

/// Runs a future that must not suspend.
fn ready<F: std::future::Future>(future: F) -> F::Output {
    future
        .now_or_never()
        .expect("completes on its first poll against the stub")
}

impl Setup {
    fn call(&self, case: &Case) -> usize {
        match case {
            Case::SmsByHand => {
                let body = self.sms.clone();
                let sent: sms::types::SmsResponseEnvelope =
                    self.by_hand(infobip_benches::SMS_SEND_PATH, &body);
                sent.messages.len()
            }
            Case::Sms(client) => {
                let sent = ready(client.send_sms_messages().body(self.sms.clone()).send())
                    .expect("sent")
                    .into_inner();
                sent.messages.len()
            }
            Case::VoiceByHand => {
                let body = self.voice.clone();
                let sent: voice::types::StandardVoiceResponse =
                    self.by_hand(infobip_benches::VOICE_SEND_PATH, &body);
                sent.messages.len()
            }
            Case::Voice(client) => {
                let sent = ready(
                    client
                        .send_single_voice_tts()
                        .body(self.voice.clone())
                        .send(),
                )
                .expect("sent")
                .into_inner();
                sent.messages.len()
            }
        }
    }

    /// The request as one would write it with `reqwest`, and the answer decoded into `T`.
    fn by_hand<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> T {
        let request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, self.header.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .json(body)
            .build()
            .expect("a request");
        let response = ready(Stub.execute(request)).expect("an answer");
        assert!(response.status().is_success());
        let bytes = ready(response.bytes()).expect("a body");
        serde_json::from_slice(&bytes).expect("the typed answer")
    }
}

fn setup(server: &Server) -> Setup {
    Setup {
        base_url: server.base_url.clone(),
        http: reqwest::Client::new(),
        header: HeaderValue::from_str(&format!("App {API_KEY}")).unwrap(),
        sms: serde_json::from_value(serde_json::json!({
            "messages": [{
                "sender": "InfoSMS",
                "destinations": [{"to": "41793026727"}],
                "content": {"text": "Your code is 918273"}
            }]
        }))
        .unwrap(),
        voice: serde_json::from_value(serde_json::json!({
            "from": "41793026700",
            "to": "41793026727",
            "text": "Your code is 918273",
            "language": "en"
        }))
        .unwrap(),
    }
}

fn cases(rt: &tokio::runtime::Runtime, server: &Server) -> Vec<(&'static str, Case)> {
    let connect = |builder: ClientBuilder| -> Infobip {
        builder.base_url(&server.base_url).connect().unwrap()
    };
    let api_key = connect(ClientBuilder::api_key(API_KEY));
    let oauth2 = connect(ClientBuilder::oauth2(USERNAME, PASSWORD));
    // The token, fetched from the loopback server once; every call after uses the cache.
    rt.block_on(async {
        oauth2
            .client::<infobip_client::account::Client>()
            .get_account_balance()
            .send()
            .await
            .expect("warm-up")
    });
    let stubbed = |auth: Auth| Auth::new(Stubbed(auth, true));
    let unguarded = |auth: Auth| Auth::new(Stubbed(auth, false));
    let sms_of = |auth: Auth| {
        Case::Sms(sms::Client::new_with_client(
            &server.base_url,
            reqwest::Client::new(),
            auth,
        ))
    };
    let voice_of = |auth: Auth| {
        Case::Voice(voice::Client::new_with_client(
            &server.base_url,
            reqwest::Client::new(),
            auth,
        ))
    };
    let sms_auth = |infobip: &Infobip| stubbed(infobip.client::<sms::Client>().inner().clone());
    vec![
        ("sms_by_hand", Case::SmsByHand),
        ("sms_no_auth", sms_of(stubbed(Auth::none()))),
        ("sms_api_key", sms_of(sms_auth(&api_key))),
        (
            "sms_fixed_header",
            sms_of(Auth::new(Fixed(
                HeaderValue::from_str(&format!("App {API_KEY}")).unwrap(),
            ))),
        ),
        (
            "sms_api_key_unguarded",
            sms_of(unguarded(api_key.client::<sms::Client>().inner().clone())),
        ),
        ("sms_oauth2_cached", sms_of(sms_auth(&oauth2))),
        ("voice_by_hand", Case::VoiceByHand),
        ("voice_no_auth", voice_of(stubbed(Auth::none()))),
        (
            "voice_api_key",
            voice_of(stubbed(api_key.client::<voice::Client>().inner().clone())),
        ),
        (
            "voice_oauth2_cached",
            voice_of(stubbed(oauth2.client::<voice::Client>().inner().clone())),
        ),
    ]
}

const CALLS: u32 = 50_000;
const REPEATS: usize = 11;

/// Nanoseconds per call, per case: the median of `REPEATS` runs of `CALLS` calls, the cases
/// taking turns run by run so that a slow spell of the machine hits them all alike; and the
/// p10 and p90 of the per-run differences to the case's reference.
///
/// The time is the thread's CPU time: every call completes on its first poll, on this thread,
/// so that is all of its work, and time the thread spends descheduled by other load on the
/// machine is left out (a busy machine still slows the caches).
fn summary(setup: &Setup, cases: &[(&'static str, Case)]) {
    let mut runs: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..REPEATS {
        for (i, (_, case)) in cases.iter().enumerate() {
            let start = ThreadTime::now();
            for _ in 0..CALLS {
                std::hint::black_box(setup.call(case));
            }
            runs[i].push(start.elapsed().as_secs_f64() * 1e9 / f64::from(CALLS));
        }
    }
    println!();
    for (name, case) in cases {
        let size = match case {
            Case::Sms(client) => {
                std::mem::size_of_val(&client.send_sms_messages().body(setup.sms.clone()).send())
            }
            Case::Voice(client) => std::mem::size_of_val(
                &client
                    .send_single_voice_tts()
                    .body(setup.voice.clone())
                    .send(),
            ),
            _ => continue,
        };
        println!("{name}: the call's future is {size} bytes");
    }
    println!(
        "bodies: SMS {} bytes typed, {} staged in its builder; voice {} and {}",
        std::mem::size_of::<sms::types::SmsRequestEnvelope>(),
        std::mem::size_of::<sms::types::builder::SmsRequestEnvelope>(),
        std::mem::size_of::<voice::types::SingleTtsApiRequest>(),
        std::mem::size_of::<voice::types::builder::SingleTtsApiRequest>(),
    );
    println!(
        "generated call summary: thread CPU time, median of {REPEATS} interleaved runs of {CALLS} calls; over = the case less its by-hand reference, run by run (p10..p90)"
    );
    println!(
        "{:<22} {:>10} {:>10} {:>16}",
        "case", "per call", "over", "over p10..p90"
    );
    let mut reference = 0;
    for (i, (name, _)) in cases.iter().enumerate() {
        if name.ends_with("_by_hand") {
            reference = i;
        }
        let mut over: Vec<f64> = runs[i]
            .iter()
            .zip(&runs[reference])
            .map(|(case, by_hand)| case - by_hand)
            .collect();
        let per_call = infobip_benches::quantile(&mut runs[i].clone(), 0.5);
        let median = infobip_benches::quantile(&mut over, 0.5);
        let lo = infobip_benches::quantile(&mut over, 0.1);
        let hi = infobip_benches::quantile(&mut over, 0.9);
        println!("{name:<22} {per_call:>7.0} ns {median:>7.0} ns {lo:>7.0}..{hi:.0} ns");
    }
}

/// Runs the case `only` names (`<case>[:<calls>]`) and nothing else.
fn run_only(setup: &Setup, cases: &[(&'static str, Case)], only: &str) {
    let (name, calls) = only.split_once(':').unwrap_or((only, "10000"));
    let calls: u32 = calls
        .parse()
        .expect("GENERATED_CALL_ONLY: a number of calls after `:`");
    let (_, case) = cases
        .iter()
        .find(|(case, _)| *case == name)
        .unwrap_or_else(|| panic!("GENERATED_CALL_ONLY: no case {name}"));
    for _ in 0..calls {
        std::hint::black_box(setup.call(case));
    }
}

fn main() {
    let rt = infobip_benches::runtime();
    let server = rt.block_on(Server::start());
    let setup = setup(&server);
    let cases = cases(&rt, &server);
    if let Ok(only) = std::env::var("GENERATED_CALL_ONLY") {
        run_only(&setup, &cases, &only);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("generated_call");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(2));
    for (name, case) in &cases {
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| setup.call(case));
        });
    }
    group.finish();
    c.final_summary();
    if !infobip_benches::quick_mode() {
        summary(&setup, &cases);
    }
}
