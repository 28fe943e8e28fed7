//! `--debug`: each request on standard error (method, URL, status, time), never a header, a
//! body or a secret.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::DEMO_PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_shows_each_request_and_no_secret() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let url = world.url().to_owned();
    let run = world
        .run(&["--debug", "account", "get-account-balance"])
        .expect(0);
    assert!(
        run.stderr
            .contains(&format!("debug: GET {url}/account/1/balance 200 (")),
        "{}",
        run.stderr
    );
    let sent = world
        .run(&[
            "--debug",
            "api",
            "GET",
            "/sms/3/logs?limit=1&access_token=QUERY-S3CRET",
        ])
        .expect(0);
    assert!(
        sent.stderr.contains(&format!(
            "debug: GET {url}/sms/3/logs?limit=1&access_token=%5Bredacted%5D 200 ("
        )),
        "{}",
        sent.stderr
    );
    let tokens = world.sandbox.issued_tokens();
    assert!(!tokens.is_empty());
    for output in [&run, &sent] {
        let all = output.all();
        assert!(!all.contains("Authorization"), "{all}");
        assert!(!all.contains("Bearer"), "{all}");
        assert!(!all.contains(DEMO_PASSWORD), "{all}");
        assert!(!all.contains("QUERY-S3CRET"), "{all}");
        for token in &tokens {
            assert!(!all.contains(token.as_str()), "{all}");
        }
    }
    // Without --debug, nothing of it.
    let quiet = world.run(&["account", "get-account-balance"]).expect(0);
    assert!(!quiet.stderr.contains("debug:"), "{}", quiet.stderr);
}
