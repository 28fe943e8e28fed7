//! Set-up shared by the end-to-end suites: a sandbox and clients of every scheme, on one clock.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use infobip_auth::ClientBuilder;
use infobip_client::account::types::CreateApiKeyRequest;
use infobip_client::account::Client;
use infobip_sandbox::{
    ManualClock, Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE,
};

/// A sandbox and the clients' clock: one manual clock drives both, so expiry happens on
/// both sides at once without waiting.
pub struct World {
    pub sandbox: Sandbox,
    pub clock: ManualClock,
}

pub async fn world(config: SandboxConfig) -> World {
    let clock = ManualClock::new();
    let sandbox = Sandbox::start(config.with_clock(clock.clone()))
        .await
        .unwrap();
    World { sandbox, clock }
}

pub async fn default_world() -> World {
    world(SandboxConfig::for_tests()).await
}

impl World {
    pub fn configure(&self, builder: ClientBuilder) -> ClientBuilder {
        builder
            .base_url(self.sandbox.base_url())
            .clock(self.clock.clone())
    }

    pub fn basic(&self) -> Client {
        self.configure(ClientBuilder::basic(DEMO_USERNAME, DEMO_PASSWORD))
            .build()
            .unwrap()
    }

    pub fn ibsso(&self) -> Client {
        self.configure(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD))
            .build()
            .unwrap()
    }

    pub fn oauth2(&self) -> Client {
        self.configure(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD))
            .build()
            .unwrap()
    }

    pub fn api_key(&self, secret: &str) -> Client {
        self.configure(ClientBuilder::api_key(secret))
            .build()
            .unwrap()
    }

    /// A key made directly in the sandbox (not logged), with the scope the balance needs.
    pub fn new_key_secret(&self, name: &str) -> String {
        let key = self
            .sandbox
            .create_api_key(
                DEMO_USERNAME,
                CreateApiKeyRequest::builder()
                    .name(name)
                    .scope_guids(vec![MANAGE_SCOPE.to_owned()])
                    .try_into()
                    .unwrap(),
            )
            .unwrap();
        key.api_key_secret.unwrap().expose().to_owned()
    }
}
