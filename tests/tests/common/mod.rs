//! Set-up shared by the end-to-end suites: a sandbox and clients of every scheme, on one clock.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth::ClientBuilder;
use generated_client::types::CreateApiKeyRequest;
use generated_client::{BoxFuture, Client};
use sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE};

/// One clock for the client and the sandbox, so that expiry can be driven on both sides at
/// once without waiting.
#[derive(Debug, Clone)]
pub struct SharedClock(Arc<Mutex<(Instant, chrono::DateTime<chrono::Utc>)>>);

impl SharedClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new((Instant::now(), chrono::Utc::now()))))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        now.0 += by;
        now.1 += chrono::Duration::from_std(by).unwrap();
    }
}

impl auth::Clock for SharedClock {
    fn now(&self) -> Instant {
        self.0.lock().unwrap().0
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

impl sandbox::Clock for SharedClock {
    fn now(&self) -> Instant {
        self.0.lock().unwrap().0
    }

    fn utc_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.lock().unwrap().1
    }
}

pub struct World {
    pub sandbox: Sandbox,
    pub clock: SharedClock,
}

pub async fn world(config: SandboxConfig) -> World {
    let clock = SharedClock::new();
    let sandbox = Sandbox::start(config.with_clock(Arc::new(clock.clone())))
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
