//! Shared set-up: a fake Infobip on loopback and builders pointed at it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use infobip_auth::{ClientBuilder, ManualClock, RetryPolicy};
use workspace_tests::fake::{FakeInfobip, API_KEY, PASSWORD, USERNAME};
use workspace_tests::RecordingServer;

pub const TOKEN: &str = "/auth/1/oauth2/token";
pub const SESSION: &str = "/auth/1/session";
pub const BALANCE: &str = "/account/1/balance";

pub struct Env {
    pub fake: FakeInfobip,
    pub server: RecordingServer,
    pub clock: ManualClock,
}

pub async fn env() -> Env {
    let fake = FakeInfobip::new();
    let answer = fake.clone();
    let server = RecordingServer::start_with(move |r| answer.answer(r))
        .await
        .unwrap();
    Env {
        fake,
        server,
        clock: ManualClock::new(),
    }
}

impl Env {
    fn configure(&self, builder: ClientBuilder) -> ClientBuilder {
        builder
            .base_url(self.server.base_url())
            .clock(self.clock.clone())
            .timeout(Duration::from_secs(10))
            // Backoff waits are recorded by the manual clock instead of slept.
            .retry_policy(RetryPolicy::default())
    }

    pub fn basic(&self) -> ClientBuilder {
        self.configure(ClientBuilder::basic(USERNAME, PASSWORD))
    }

    pub fn api_key(&self) -> ClientBuilder {
        self.configure(ClientBuilder::api_key(API_KEY))
    }

    pub fn ibsso(&self) -> ClientBuilder {
        self.configure(ClientBuilder::ibsso(USERNAME, PASSWORD))
    }

    pub fn oauth2(&self) -> ClientBuilder {
        self.configure(ClientBuilder::oauth2(USERNAME, PASSWORD))
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.server.count(method, path)
    }
}
