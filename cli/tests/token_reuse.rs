//! One token request for many runs: ten in a row, and eight at the same moment, share the
//! token through the encrypted file store, for OAuth and IBSSO.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::Endpoint;

fn token_requests(world: &World, scheme: &str) -> usize {
    world.sandbox.count(match scheme {
        "oauth2" => Endpoint::CreateOAuth2Token,
        _ => Endpoint::CreateSession,
    })
}

async fn ten_in_a_row(scheme: &str) {
    let world = World::start().await;
    world.login("default", scheme).expect(0);
    world.sandbox.clear_log();
    // The token login obtained is reused; so that the count starts from nothing, it is
    // forgotten first (for a session: ended), and the ten commands must fetch one.
    world.run(&["logout"]).expect(0);
    world.sandbox.clear_log();
    for _ in 0..10 {
        world.run(&["account", "get-account-balance"]).expect(0);
    }
    let requests = token_requests(&world, scheme);
    println!("{scheme}: ten commands in a row made {requests} token request(s)");
    assert_eq!(requests, 1, "{scheme}");
    assert_eq!(world.sandbox.count(Endpoint::GetAccountBalance), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_oauth_commands_in_a_row_make_one_token_request() {
    ten_in_a_row("oauth2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_ibsso_commands_in_a_row_make_one_session() {
    ten_in_a_row("ibsso").await;
}

async fn eight_at_once(scheme: &str) {
    let world = World::start().await;
    world.login("default", scheme).expect(0);
    world.run(&["logout"]).expect(0);
    world.sandbox.clear_log();
    let children: Vec<std::process::Child> = (0..8)
        .map(|_| {
            let mut command = world.command();
            command
                .args(["account", "get-account-balance"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let requests = token_requests(&world, scheme);
    println!("{scheme}: eight commands at once made {requests} token request(s)");
    assert_eq!(requests, 1, "{scheme}");
    assert_eq!(world.sandbox.count(Endpoint::GetAccountBalance), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_oauth_commands_at_once_make_one_token_request() {
    eight_at_once("oauth2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_ibsso_commands_at_once_make_one_session() {
    eight_at_once("ibsso").await;
}
