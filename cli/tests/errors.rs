//! Failures as a user meets them, through the real binary against the sandbox's injected
//! faults: Infobip's text kept whatever the status, a send with no answer said to be maybe
//! done, and exit codes as `--help` lists them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::{Endpoint, Fault};

fn send(world: &World) -> common::Run {
    world.run(&["sms", "send", "--to", "41793026727", "--text", "Hi"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_the_description_does_not_declare_keeps_infobips_text() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    world.sandbox.inject(
        Endpoint::SendSmsMessages,
        Fault::reply(
            429,
            r#"{"errorCode": "E429", "description": "Too many requests: slow down, please", "action": "Wait a second", "violations": [], "resources": []}"#,
        )
        .with_header("content-type", "application/json"),
    );
    let throttled = send(&world).expect(3);
    assert!(
        throttled
            .stderr
            .contains("Too many requests: slow down, please"),
        "{}",
        throttled.stderr
    );
    assert!(
        !throttled.stderr.contains("neither of Infobip's formats"),
        "{}",
        throttled.stderr
    );
    // The sandbox's own 429, in the endpoint's format.
    world
        .sandbox
        .inject(Endpoint::SendSmsMessages, Fault::status(429));
    let throttled = send(&world).expect(3);
    assert!(throttled.stderr.contains("E429"), "{}", throttled.stderr);
    assert!(
        !throttled.stderr.contains("neither of Infobip's formats"),
        "{}",
        throttled.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_without_an_answer_says_how_to_check_before_sending_again() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    world.sandbox.inject(
        Endpoint::SendSmsMessages,
        Fault::DropConnection { times: 1 },
    );
    let dropped = send(&world).expect(1);
    let hint = dropped
        .stderr
        .split("hint: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no hint: {}", dropped.stderr));
    // Before: "check the base URL and the network".
    assert!(!hint.contains("network"), "{hint}");
    assert!(hint.contains("may have received it"), "{hint}");
    assert!(hint.contains("`infobip sms logs`"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_url_that_is_no_url_is_a_configuration_error() {
    let world = World::start().await;
    let mut command = world.command();
    command
        .env("INFOBIP_BASE_URL", "not a url")
        .env("INFOBIP_AUTH", "api-key")
        .env("INFOBIP_API_KEY", "some-key");
    // Before: 4, which `--help` gives to refused credentials.
    let run = world.run_with(command, &["account", "get-account-balance"], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let help = world.run(&["--help"]).expect(0).stdout;
    assert!(
        help.contains("1  no answer from Infobip") && help.contains("the configuration"),
        "{help}"
    );
}
