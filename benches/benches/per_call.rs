//! Per-call overhead: the generated client with each scheme against a hand-written `reqwest`
//! call with a static header, all hitting the same loopback endpoint in the same run.
//!
//! Criterion measures each variant on its own; afterwards an interleaved run (every round
//! times each variant in turn, so drift from other load on the machine hits all of them alike)
//! prints the ratio of medians against the hand-written call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use criterion::Criterion;
use infobip_auth::ClientBuilder;
use infobip_benches::{http_client, Server, API_KEY, PASSWORD, USERNAME};
use infobip_client::account::Client;
use infobip_client::Auth;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use std::sync::atomic::Ordering;

/// What the hand-written call parses the body into.
#[derive(serde::Deserialize)]
struct Balance {
    balance: f64,
    currency: String,
}

struct Setup {
    server: Server,
    baseline: Baseline,
    no_auth: Client,
    api_key: Client,
    oauth2: Client,
    ibsso: Client,
}

/// The hand-written call: a static `App` header, JSON parsed into a small struct.
struct Baseline {
    http: reqwest::Client,
    url: String,
    header: HeaderValue,
}

impl Baseline {
    async fn call(&self) -> f64 {
        let response = self
            .http
            .get(&self.url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, self.header.clone())
            .send()
            .await
            .expect("send");
        assert!(response.status().is_success());
        let balance: Balance = response.json().await.expect("json");
        assert_eq!(balance.currency, "EUR");
        balance.balance
    }
}

async fn generated_call(client: &Client) -> f64 {
    let balance = client
        .get_account_balance()
        .send()
        .await
        .expect("balance")
        .into_inner();
    assert_eq!(balance.currency, "EUR");
    balance.balance
}

#[derive(Clone, Copy)]
enum Variant {
    Baseline,
    NoAuth,
    ApiKey,
    OAuth2,
    Ibsso,
}

impl Variant {
    const ALL: [Variant; 5] = [
        Variant::Baseline,
        Variant::NoAuth,
        Variant::ApiKey,
        Variant::OAuth2,
        Variant::Ibsso,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline_reqwest_static_header",
            Variant::NoAuth => "generated_no_auth_reference",
            Variant::ApiKey => "generated_api_key",
            Variant::OAuth2 => "generated_oauth2_cached_token",
            Variant::Ibsso => "generated_ibsso_cached_session",
        }
    }
}

impl Setup {
    async fn new() -> Self {
        let server = Server::start().await;
        let baseline = Baseline {
            http: http_client(),
            url: server.balance_url(),
            header: HeaderValue::from_str(&format!("App {API_KEY}")).expect("header"),
        };
        let build = |builder: ClientBuilder| builder.base_url(&server.base_url).build().unwrap();
        let setup = Setup {
            // The generated code with an authenticator that adds nothing (the loopback server
            // does not check credentials): separates the generated client's own cost from
            // the auth crate's.
            no_auth: Client::new_with_client(&server.base_url, http_client(), Auth::none()),
            baseline,
            api_key: build(ClientBuilder::api_key(API_KEY)),
            oauth2: build(ClientBuilder::oauth2(USERNAME, PASSWORD)),
            ibsso: build(ClientBuilder::ibsso(USERNAME, PASSWORD)),
            server,
        };
        // Warm every client: the token and the session are fetched here, connections opened.
        for variant in Variant::ALL {
            for _ in 0..10 {
                setup.call(variant).await;
            }
        }
        setup
    }

    async fn call(&self, variant: Variant) -> f64 {
        match variant {
            Variant::Baseline => self.baseline.call().await,
            Variant::NoAuth => generated_call(&self.no_auth).await,
            Variant::ApiKey => generated_call(&self.api_key).await,
            Variant::OAuth2 => generated_call(&self.oauth2).await,
            Variant::Ibsso => generated_call(&self.ibsso).await,
        }
    }

    fn logins(&self) -> (usize, usize) {
        (
            self.server.token_requests.load(Ordering::SeqCst),
            self.server.session_requests.load(Ordering::SeqCst),
        )
    }
}

fn criterion_benches(c: &mut Criterion, rt: &tokio::runtime::Runtime, setup: &Setup) {
    let mut group = c.benchmark_group("per_call");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for variant in Variant::ALL {
        group.bench_function(variant.name(), |b| {
            b.to_async(rt).iter(|| setup.call(variant));
        });
    }
    group.finish();
}

/// Rounds of the interleaved comparison, and how many blocks of rounds the spread is
/// computed over.
const ROUNDS: usize = 25_000;
const BLOCKS: usize = 25;

fn main() {
    let rt = infobip_benches::runtime();
    let setup = rt.block_on(Setup::new());
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &rt, &setup);
    c.final_summary();
    if !infobip_benches::quick_mode() {
        let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        infobip_benches::interleaved(&rt, "per-call overhead", &names, ROUNDS, BLOCKS, |i| {
            setup.call(Variant::ALL[i])
        });
    }
    let (tokens, sessions) = setup.logins();
    println!("token requests: {tokens}, session requests: {sessions} (1 each expected: cached)");
    assert_eq!(
        (tokens, sessions),
        (1, 1),
        "the token or session was not cached"
    );
}
