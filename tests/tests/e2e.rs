//! Every scheme through `auth` and the generated client against the sandbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::default_world;
use infobip_sandbox::{Endpoint, DEMO_USERNAME};

#[tokio::test]
async fn ibsso_recovers_when_the_server_ends_the_session() {
    let w = default_world().await;
    let client = w.ibsso();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.end_sessions(DEMO_USERNAME);
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(Endpoint::CreateSession), 2);
    assert_eq!(
        w.sandbox.count(Endpoint::GetAccountBalance),
        3,
        "1 + rejected + retried"
    );
}

#[tokio::test]
async fn oauth_recovers_when_the_server_rejects_a_token_early() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    // The server refuses the cached token before it expires (revoked, or clocks disagree).
    w.sandbox.inject(
        Endpoint::GetAccountBalance,
        infobip_sandbox::Fault::status(401),
    );
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(Endpoint::CreateOAuth2Token), 2);
    assert_eq!(w.sandbox.count(Endpoint::GetAccountBalance), 3);
}
