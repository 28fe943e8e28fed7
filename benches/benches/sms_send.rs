//! Per-call cost of an SMS send: the generated SMS client through a connection, a hand-written
//! request through the reqwest-middleware layer, and the community crate `infobip-sms-sdk`,
//! against a hand-written `reqwest` send with a static header, all posting the same message to
//! the same loopback endpoint in the same run. Every variant decodes the answer into a typed
//! response: the hand-written ones into the generated type.
//!
//! Variants:
//! - `baseline_reqwest_static_header`: `POST /sms/3/messages` by hand, `App` header, the typed
//!   body serialised per call, the answer decoded into the generated `SmsResponseEnvelope`;
//! - `generated_no_auth_reference`: the generated SMS client with `Auth::none()`;
//! - `generated_api_key`, `generated_oauth2_cached_token`: the SMS client of an
//!   `infobip_auth::Infobip` connection;
//! - `generated_api_key_traced`: the same with a tracing subscriber that enables the call's
//!   span (a bare `Registry`, no output), so the ids are read from the answer;
//! - `middleware_api_key`, `middleware_oauth2_cached_token`: the baseline's request, without
//!   the header, through a `reqwest_middleware` client with `Infobip::middleware()`;
//! - `peer_infobip_sms_sdk_api_key`: `infobip-sms-sdk` 0.1.0's `send_messages` (its own
//!   reqwest 0.12 and types, an API key in its default headers).
//!
//! A second group does the same for one operation of the largest product, voice
//! (`POST /tts/3/single`): by hand against the generated client with an API key, so that any
//! cost that grows with a product shows.
//!
//! Criterion measures each variant on its own; interleaved runs then print the ratios.
//! The `sms_send_parts` group times, without any I/O, the pieces of the generated client's
//! own cost: the body's round trip through progenitor's builder (typed, builder, typed again,
//! re-validating each field), and the answer parsed into the full generated type against the
//! two fields a caller reads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use criterion::Criterion;
use infobip_auth::{ClientBuilder, Infobip};
use infobip_benches::{http_client, Server, API_KEY, PASSWORD, USERNAME};
use infobip_client::sms::types::{SmsRequestEnvelope, SmsResponseEnvelope};
use infobip_client::sms::Client;
use infobip_client::{voice, Auth};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use tracing::instrument::WithSubscriber as _;

/// The message every variant sends.
fn message() -> serde_json::Value {
    serde_json::json!({
        "messages": [{
            "sender": "InfoSMS",
            "destinations": [{"to": "41793026727"}],
            "content": {"text": "Your code is 918273"}
        }]
    })
}

/// The two fields a caller reads from the answer (`sms_send_parts`, which times decoding them
/// and reads none).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Sent {
    #[serde(rename = "bulkId")]
    bulk_id: Option<String>,
    messages: Vec<SentMessage>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct SentMessage {
    #[serde(rename = "messageId")]
    message_id: Option<String>,
}

#[derive(Clone, Copy)]
enum Variant {
    Baseline,
    NoAuth,
    ApiKey,
    OAuth2,
    ApiKeyTraced,
    MiddlewareApiKey,
    MiddlewareOAuth2,
    Peer,
}

impl Variant {
    const ALL: [Variant; 8] = [
        Variant::Baseline,
        Variant::NoAuth,
        Variant::ApiKey,
        Variant::OAuth2,
        Variant::ApiKeyTraced,
        Variant::MiddlewareApiKey,
        Variant::MiddlewareOAuth2,
        Variant::Peer,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline_reqwest_static_header",
            Variant::NoAuth => "generated_no_auth_reference",
            Variant::ApiKey => "generated_api_key",
            Variant::OAuth2 => "generated_oauth2_cached_token",
            Variant::ApiKeyTraced => "generated_api_key_traced",
            Variant::MiddlewareApiKey => "middleware_api_key",
            Variant::MiddlewareOAuth2 => "middleware_oauth2_cached_token",
            Variant::Peer => "peer_infobip_sms_sdk_api_key",
        }
    }
}

struct Setup {
    server: Server,
    url: String,
    body: serde_json::Value,
    request: SmsRequestEnvelope,
    baseline: reqwest::Client,
    header: HeaderValue,
    no_auth: Client,
    api_key: Client,
    oauth2: Client,
    traced: tracing::Dispatch,
    middleware_api_key: reqwest_middleware::ClientWithMiddleware,
    middleware_oauth2: reqwest_middleware::ClientWithMiddleware,
    peer: infobip_sms::Client,
    peer_request: infobip_sms::models::send::SmsRequest,
    voice_url: String,
    voice_request: voice::types::SingleTtsApiRequest,
    voice_api_key: voice::Client,
}

impl Setup {
    async fn new() -> Self {
        let server = Server::start().await;
        let connect = |builder: ClientBuilder| -> Infobip {
            builder.base_url(&server.base_url).connect().unwrap()
        };
        let api_key = connect(ClientBuilder::api_key(API_KEY));
        let oauth2 = connect(ClientBuilder::oauth2(USERNAME, PASSWORD));
        let middleware = |infobip: &Infobip| {
            reqwest_middleware::ClientBuilder::new(http_client())
                .with(infobip.middleware())
                .build()
        };
        let body = message();
        let peer = infobip_sms::Client::builder()
            .base_url(&server.base_url)
            .auth(infobip_sms::Auth::api_key(API_KEY))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let setup = Setup {
            url: server.sms_send_url(),
            request: serde_json::from_value(body.clone()).unwrap(),
            peer_request: serde_json::from_value(body.clone()).unwrap(),
            body,
            baseline: http_client(),
            header: HeaderValue::from_str(&format!("App {API_KEY}")).unwrap(),
            no_auth: Client::new_with_client(&server.base_url, http_client(), Auth::none()),
            api_key: api_key.client(),
            oauth2: oauth2.client(),
            traced: tracing::Dispatch::new(tracing_subscriber::registry()),
            middleware_api_key: middleware(&api_key),
            middleware_oauth2: middleware(&oauth2),
            peer,
            voice_url: server.voice_send_url(),
            voice_request: serde_json::from_value(serde_json::json!({
                "from": "41793026700",
                "to": "41793026727",
                "text": "Your code is 918273",
                "language": "en"
            }))
            .unwrap(),
            voice_api_key: api_key.client(),
            server,
        };
        for _ in 0..10 {
            for variant in Variant::ALL {
                setup.call(variant).await;
            }
            for voice in VoiceVariant::ALL {
                setup.voice(voice).await;
            }
        }
        setup
    }

    async fn call(&self, variant: Variant) -> usize {
        match variant {
            Variant::Baseline => counted(self.by_hand(&self.url, &self.request).await),
            Variant::NoAuth => self.generated(&self.no_auth).await,
            Variant::ApiKey => self.generated(&self.api_key).await,
            Variant::OAuth2 => self.generated(&self.oauth2).await,
            Variant::ApiKeyTraced => {
                self.generated(&self.api_key)
                    .with_subscriber(self.traced.clone())
                    .await
            }
            Variant::MiddlewareApiKey => self.through(&self.middleware_api_key).await,
            Variant::MiddlewareOAuth2 => self.through(&self.middleware_oauth2).await,
            Variant::Peer => {
                let sent = self.peer.send_messages(&self.peer_request).await.unwrap();
                assert!(sent.bulk_id.is_some());
                sent.messages.len()
            }
        }
    }

    async fn voice(&self, variant: VoiceVariant) -> usize {
        let sent: voice::types::StandardVoiceResponse = match variant {
            VoiceVariant::Baseline => self.by_hand(&self.voice_url, &self.voice_request).await,
            VoiceVariant::ApiKey => self
                .voice_api_key
                .send_single_voice_tts()
                .body(self.voice_request.clone())
                .send()
                .await
                .unwrap()
                .into_inner(),
        };
        assert!(sent.bulk_id.is_some());
        sent.messages.len()
    }

    async fn generated(&self, client: &Client) -> usize {
        let sent = client
            .send_sms_messages()
            .body(self.request.clone())
            .send()
            .await
            .unwrap()
            .into_inner();
        assert!(sent.bulk_id.is_some());
        sent.messages.len()
    }

    /// The hand-written send: a clone of `body` posted with static `App` and `Accept` headers,
    /// the answer decoded into `T` as the generated client decodes it.
    async fn by_hand<B, T>(&self, url: &str, body: &B) -> T
    where
        B: Clone + serde::Serialize,
        T: serde::de::DeserializeOwned,
    {
        let body = body.clone();
        let response = self
            .baseline
            .post(url)
            .header(AUTHORIZATION, self.header.clone())
            .header(ACCEPT, "application/json")
            .json(&body)
            .send()
            .await
            .unwrap();
        decoded(response).await
    }

    async fn through(&self, client: &reqwest_middleware::ClientWithMiddleware) -> usize {
        let body = self.request.clone();
        let response = client
            .post(&self.url)
            .json(&body)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .unwrap();
        counted(decoded(response).await)
    }
}

/// The hand-written calls' reading of the answer: the generated type, as the generated
/// client decodes it.
async fn decoded<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    assert!(response.status().is_success());
    response.json().await.unwrap()
}

/// The messages an SMS send's answer names, after checking it names its ids.
fn counted(sent: SmsResponseEnvelope) -> usize {
    assert!(sent.bulk_id.is_some() && sent.messages[0].message_id.is_some());
    sent.messages.len()
}

/// The voice group: one operation of the largest product.
#[derive(Clone, Copy)]
enum VoiceVariant {
    Baseline,
    ApiKey,
}

impl VoiceVariant {
    const ALL: [VoiceVariant; 2] = [VoiceVariant::Baseline, VoiceVariant::ApiKey];

    fn name(self) -> &'static str {
        match self {
            VoiceVariant::Baseline => "voice_baseline_reqwest_static_header",
            VoiceVariant::ApiKey => "voice_generated_api_key",
        }
    }
}

fn criterion_benches(c: &mut Criterion, rt: &tokio::runtime::Runtime, setup: &Setup) {
    let mut group = c.benchmark_group("sms_send");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for variant in Variant::ALL {
        group.bench_function(variant.name(), |b| {
            b.to_async(rt).iter(|| setup.call(variant));
        });
    }
    for variant in VoiceVariant::ALL {
        group.bench_function(variant.name(), |b| {
            b.to_async(rt).iter(|| setup.voice(variant));
        });
    }
    group.finish();
}

/// The generated client's own work, without I/O: what the no-auth reference pays and the
/// baseline does not.
fn parts(c: &mut Criterion, setup: &Setup) {
    use infobip_client::sms::types::builder;

    let mut group = c.benchmark_group("sms_send_parts");
    group.bench_function("body_clone", |b| {
        b.iter(|| std::hint::black_box(setup.request.clone()))
    });
    group.bench_function("body_clone_and_builder_round_trip", |b| {
        b.iter(|| {
            let staged = builder::SmsRequestEnvelope::from(setup.request.clone());
            std::hint::black_box(SmsRequestEnvelope::try_from(staged).unwrap())
        })
    });
    group.bench_function("body_serialise_typed", |b| {
        b.iter(|| std::hint::black_box(serde_json::to_vec(&setup.request).unwrap()))
    });
    group.bench_function("body_serialise_json_value", |b| {
        b.iter(|| std::hint::black_box(serde_json::to_vec(&setup.body).unwrap()))
    });
    group.bench_function("answer_parse_generated_type", |b| {
        b.iter(|| {
            std::hint::black_box(
                serde_json::from_str::<SmsResponseEnvelope>(infobip_benches::SMS_SENT_BODY)
                    .unwrap(),
            )
        })
    });
    group.bench_function("answer_parse_two_fields", |b| {
        b.iter(|| {
            std::hint::black_box(
                serde_json::from_str::<Sent>(infobip_benches::SMS_SENT_BODY).unwrap(),
            )
        })
    });
    group.finish();
}

const ROUNDS: usize = 10_000;
const BLOCKS: usize = 20;

fn main() {
    let rt = infobip_benches::runtime();
    let setup = rt.block_on(Setup::new());
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &rt, &setup);
    parts(&mut c, &setup);
    c.final_summary();
    if !infobip_benches::quick_mode() {
        let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        infobip_benches::interleaved(&rt, "SMS send", &names, ROUNDS, BLOCKS, |i| {
            setup.call(Variant::ALL[i])
        });
        let names: Vec<&str> = VoiceVariant::ALL.iter().map(|v| v.name()).collect();
        infobip_benches::interleaved(&rt, "Voice send", &names, ROUNDS, BLOCKS, |i| {
            setup.voice(VoiceVariant::ALL[i])
        });
    }
    let tokens = setup.server.token_requests.load(Ordering::SeqCst);
    println!("token requests: {tokens} (1 expected: the OAuth connection's token is cached)");
    assert_eq!(tokens, 1, "the token was not cached");
}
