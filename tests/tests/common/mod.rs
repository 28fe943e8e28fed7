//! Set-up shared by the suites that run against the sandbox: a sandbox and clients of every
//! scheme, on one clock.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use infobip_auth::clock::ManualClock;
use infobip_auth::{ClientBuilder, Infobip};
use infobip_client::account::Client;
use infobip_client::sms::types::{
    MessageDeliveryReporting, SmsMessage, SmsRequestEnvelope, SmsResponseEnvelope,
    SmsTextMessageContent, SmsToDestination, Webhooks,
};
use infobip_client::{Products as _, ResponseValue};
use infobip_sandbox::{
    Endpoint, Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE,
};
use secrecy::ExposeSecret as _;
use workspace_tests::ClientClock;

/// A legacy 500 body, as Infobip's login endpoints send it.
pub const LEGACY_500: &str = r#"{"requestError":{"serviceException":{"messageId":"GENERAL_ERROR","text":"Something went wrong"}}}"#;

/// A sandbox and the clients' clock: one manual clock drives both, so expiry happens on
/// both sides at once without waiting (and retry backoff is recorded, not slept).
pub struct World {
    pub sandbox: Sandbox,
    pub clock: ManualClock,
}

pub async fn world(config: SandboxConfig) -> World {
    let clock = ManualClock::new();
    let sandbox = Sandbox::start(config.with_clock(ClientClock(clock.clone())))
        .await
        .unwrap();
    World { sandbox, clock }
}

pub async fn default_world() -> World {
    world(SandboxConfig::for_tests()).await
}

impl World {
    /// Points `builder` at the sandbox, on the shared clock.
    pub fn configure(&self, builder: ClientBuilder) -> ClientBuilder {
        builder
            .base_url(self.sandbox.base_url())
            .clock(self.clock.clone())
    }

    pub fn basic_builder(&self) -> ClientBuilder {
        self.configure(ClientBuilder::basic(DEMO_USERNAME, DEMO_PASSWORD))
    }

    pub fn ibsso_builder(&self) -> ClientBuilder {
        self.configure(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD))
    }

    pub fn oauth2_builder(&self) -> ClientBuilder {
        self.configure(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD))
    }

    pub fn api_key_builder(&self, secret: &str) -> ClientBuilder {
        self.configure(ClientBuilder::api_key(secret))
    }

    pub fn basic(&self) -> Client {
        self.basic_builder().build().unwrap()
    }

    pub fn ibsso(&self) -> Client {
        self.ibsso_builder().build().unwrap()
    }

    pub fn oauth2(&self) -> Client {
        self.oauth2_builder().build().unwrap()
    }

    pub fn api_key(&self, secret: &str) -> Client {
        self.api_key_builder(secret).build().unwrap()
    }

    /// A key made directly in the sandbox (not logged), with the scope the balance needs.
    pub fn new_key_secret(&self, name: &str) -> String {
        self.new_key(name, &[MANAGE_SCOPE]).1
    }

    /// A key made directly in the sandbox (not logged) with these scopes: its id and secret.
    pub fn new_key(&self, name: &str, scopes: &[&str]) -> (String, String) {
        let key = self
            .sandbox
            .create_api_key(
                DEMO_USERNAME,
                serde_json::json!({"name": name, "scopeGuids": scopes}),
            )
            .unwrap();
        (key.id, key.secret.expose_secret().to_owned())
    }

    /// A connection of `builder`'s credentials to the sandbox, on the shared clock.
    pub fn connect(&self, builder: ClientBuilder) -> Infobip {
        self.configure(builder).connect().unwrap()
    }

    /// A connection of `builder`'s credentials that has made one call (its token or session
    /// is cached).
    pub async fn warm(&self, builder: ClientBuilder) -> Infobip {
        use infobip_client::Products as _;

        let infobip = self.connect(builder);
        infobip
            .account()
            .get_account_balance()
            .send()
            .await
            .unwrap();
        infobip
    }

    /// The `Authorization` values of the requests to `endpoint`, in order.
    pub fn authorizations(&self, endpoint: Endpoint) -> Vec<String> {
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| r.endpoint == Some(endpoint))
            .map(|r| r.header("authorization").unwrap_or_default().to_owned())
            .collect()
    }

    /// No request to an authenticated endpoint went out without credentials.
    pub fn assert_never_bare(&self) {
        for r in self.sandbox.requests() {
            if let Some(endpoint) = r.endpoint {
                if endpoint.takes_credentials() {
                    assert!(r.scheme.is_some(), "sent without credentials: {r:?}");
                }
            }
        }
    }
}

/// The demo account's `Authorization: Basic` value.
pub fn basic_header() -> String {
    let credentials = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEMO_USERNAME}:{DEMO_PASSWORD}"));
    format!("Basic {credentials}")
}

/// A loopback port nothing listens on (bound, then released).
pub fn refused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A send of `text` to `to`.
pub fn sms_text(to: &str, text: &str) -> SmsRequestEnvelope {
    SmsRequestEnvelope::new([SmsMessage::new(
        SmsTextMessageContent::new(text),
        [SmsToDestination::new(to)],
    )])
}

/// A send of "Hello" to 41793026727 whose delivery report is to be posted to `url`.
pub fn sms_reported_to(url: impl Into<String>) -> SmsRequestEnvelope {
    let mut request = sms_text("41793026727", "Hello");
    request.messages[0].webhooks =
        Some(Webhooks::new().delivery(MessageDeliveryReporting::new().url(url.into())));
    request
}

/// The SMS most tests send ("Hello" to 41793026727), through `infobip`.
pub async fn send_hello(
    infobip: &Infobip,
) -> Result<ResponseValue<SmsResponseEnvelope>, infobip_client::Error> {
    infobip
        .sms()
        .send_sms_messages()
        .body(sms_text("41793026727", "Hello"))
        .send()
        .await
}

/// Runs `test` on a current-thread runtime, with every span enabled on its thread when
/// `traced` (as in a service that logs at INFO or keeps traces).
pub fn run_traced<F: std::future::Future>(traced: bool, test: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if traced {
        workspace_tests::traced_here(|| runtime.block_on(test))
    } else {
        runtime.block_on(test)
    }
}

/// A server that answers 200 to anything with the start of a send's answer and then hangs
/// up, and an API-key connection to it.
pub fn cut_off_send_answer() -> (workspace_tests::CutOffServer, Infobip) {
    let server = workspace_tests::CutOffServer::start(
        200,
        "application/json",
        r#"{"bulkId":"b-1","messages":[{"messageId":"m-1","#,
    )
    .unwrap();
    let infobip = ClientBuilder::api_key("a-key-for-the-test")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    (server, infobip)
}
