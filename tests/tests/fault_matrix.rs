//! Each fault the token or session endpoint (or the network) can produce, against the sandbox:
//! the client never panics, never loops, never sends an authenticated call without
//! credentials, and its error names the cause.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{default_world, World};
use infobip_auth::ClientBuilder;
use infobip_sandbox::{Endpoint, DEMO_PASSWORD, DEMO_USERNAME};

const TOKEN: Endpoint = Endpoint::CreateOAuth2Token;
const BALANCE: Endpoint = Endpoint::GetAccountBalance;

/// No request to an authenticated endpoint went out without credentials.
fn assert_never_bare(w: &World) {
    w.assert_never_bare();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_storm_causes_one_reauthentication_per_client() {
    let w = default_world().await;
    // The clients keep their own, frozen clock: when the sandbox's clock jumps, their token
    // and session are dead server-side while the clients still think them fresh, so every
    // caller is rejected at once.
    let client_clock = infobip_auth::ManualClock::new();
    let build = |builder: ClientBuilder| {
        builder
            .base_url(w.sandbox.base_url())
            .clock(client_clock.clone())
            .build()
            .unwrap()
    };
    let oauth = build(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD));
    let ibsso = build(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD));
    oauth.get_account_balance().send().await.unwrap();
    ibsso.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3700));
    let calls: Vec<_> = (0..1000)
        .map(|i| {
            let client = if i % 2 == 0 {
                oauth.clone()
            } else {
                ibsso.clone()
            };
            tokio::spawn(async move { client.get_account_balance().send().await.is_ok() })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap());
    }
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.sandbox.count(Endpoint::CreateSession), 2);
    let rejected = w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(BALANCE) && r.status == Some(401))
        .count();
    assert!(rejected > 0, "the storm happened");
    assert_eq!(
        w.sandbox.count(BALANCE),
        2 + 1000 + rejected,
        "one retry per rejected call"
    );
    assert_never_bare(&w);
}
