//! The generated commands as people call them: short names (`infobip account balance`,
//! `infobip sms logs`) beside the operationIds, suggestions for a mistyped command, the
//! global options listed apart in a command's help and never set by a parameter of the same
//! name, and lists in a body given as repeated flags.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::stub::server;
use common::{run_of, World};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The binary with nothing configured: clap refuses or explains before anything is read.
fn offline(args: &[&str]) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_infobip"))
        .args(args)
        .env_remove("INFOBIP_PROFILE")
        .env_remove("INFOBIP_BASE_URL")
        .env("INFOBIP_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    run_of(output)
}

/// The binary pointed at `url` with Basic credentials in the environment (no profile).
fn against(world: &World, url: &str) -> std::process::Command {
    let mut command = world.command();
    command
        .env("INFOBIP_BASE_URL", url)
        .env("INFOBIP_AUTH", "basic")
        .env("INFOBIP_USERNAME", "names-test")
        .env("INFOBIP_PASSWORD", "names-test-password");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_balance_and_its_operation_id_print_the_balance() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let short = json(&world.run(&["account", "balance"]).expect(0).stdout);
    assert!(short["balance"].is_number(), "{short}");
    assert!(short["currency"].is_string(), "{short}");
    let long = json(
        &world
            .run(&["account", "get-account-balance"])
            .expect(0)
            .stdout,
    );
    assert_eq!(short, long);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_logs_and_reports_answer_and_sms_send_stays_hand_written() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    world
        .run(&["sms", "send", "--to", "41793026727", "--text", "names"])
        .expect(0);
    let logs = json(&world.run(&["sms", "logs"]).expect(0).stdout);
    assert!(logs["results"].is_array(), "{logs}");
    assert!(!logs["results"].as_array().unwrap().is_empty(), "{logs}");
    // Reports are fetched once each; the sandbox may have none ready yet.
    let reports = json(&world.run(&["sms", "reports"]).expect(0).stdout);
    assert!(reports.is_object(), "{reports}");
    // An older version keeps its operationId as its name.
    let older = offline(&["sms", "get-outbound-sms-message-logs", "--help"]).expect(0);
    assert!(
        older
            .stdout
            .starts_with("Usage: infobip sms get-outbound-sms-message-logs"),
        "{}",
        older.stdout
    );
    // The generated send has a name of its own.
    let help = offline(&["sms", "send-messages", "--help"]).expect(0);
    assert!(
        help.stdout
            .contains("Infobip operation `send-sms-messages`"),
        "{}",
        help.stdout
    );
}

#[test]
fn a_mistyped_command_gets_a_suggestion() {
    let near = offline(&["account", "balanse"]).expect(2);
    assert!(near.stderr.contains("'balance'"), "{}", near.stderr);
    let worded = offline(&["account", "get-balance"]).expect(2);
    assert!(worded.stderr.contains("'balance'"), "{}", worded.stderr);
}

#[test]
fn a_commands_help_lists_the_global_options_apart() {
    let help = offline(&["account", "create-key", "--help"]).expect(0);
    let text = help.stdout;
    let (own, global) = text
        .split_once("Global options:")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(own.contains("--name"), "{text}");
    assert!(!own.contains("--profile"), "{text}");
    for flag in [
        "--profile",
        "--output",
        "--sandbox",
        "--debug",
        "--show-secrets",
    ] {
        assert!(global.contains(flag), "{flag}: {text}");
    }
    // Lists of the body are repeatable flags.
    assert!(own.contains("--scope-guids"), "{text}");
    assert!(own.contains("--allowed-ips"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_named_like_a_global_option_does_not_switch_profiles() {
    let world = World::start().await;
    let (url, arrived) = server("application/json", r#"{"documentId":"d-1"}"#);
    // There is no profile `prod`: were the parameter taken as --profile, the command
    // would fail before sending anything.
    let run = world
        .run_with(
            against(&world, &url),
            &[
                "uploads-fixture",
                "search",
                "--param-profile",
                "prod",
                "--param-output",
                "csv",
            ],
            "",
        )
        .expect(0);
    assert_eq!(json(&run.stdout)["documentId"], "d-1");
    let request = arrived.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        request.line,
        "GET /uploads/1/documents?output=csv&profile=prod HTTP/1.1"
    );
    // The global option still selects a profile (there is none of that name).
    let refused = world.run_with(
        against(&world, &url),
        &["uploads-fixture", "search", "--profile", "prod"],
        "",
    );
    assert_ne!(refused.code, 0, "{}", refused.all());
    assert!(refused.stderr.contains("prod"), "{}", refused.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_flags_fill_a_bodys_lists_over_its_json_body() {
    let world = World::start().await;
    let (url, arrived) = server("application/json", r#"{"documentId":"d-2"}"#);
    world
        .run_with(
            against(&world, &url),
            &[
                "uploads-fixture",
                "label",
                "--labels",
                "red",
                "--labels",
                "blue",
                "--pages",
                "1",
                "--pages",
                "3",
                "--param-sandbox",
                "true",
            ],
            "",
        )
        .expect(0);
    let request = arrived.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(request.line, "POST /uploads/1/documents HTTP/1.1");
    let body = json(std::str::from_utf8(&request.body).unwrap());
    assert_eq!(
        body,
        serde_json::json!({"labels": ["red", "blue"], "pages": [1, 3], "sandbox": true})
    );

    // With --json-body, a flag replaces its field of the file's body; the rest stays.
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("body.json");
    std::fs::write(&file, r#"{"labels": ["old"], "note": "from the file"}"#).unwrap();
    world
        .run_with(
            against(&world, &url),
            &[
                "uploads-fixture",
                "label",
                "--json-body",
                file.to_str().unwrap(),
                "--labels",
                "new",
            ],
            "",
        )
        .expect(0);
    let request = arrived.recv_timeout(Duration::from_secs(10)).unwrap();
    let body = json(std::str::from_utf8(&request.body).unwrap());
    assert_eq!(
        body,
        serde_json::json!({"labels": ["new"], "note": "from the file"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_key_sends_its_scopes_and_addresses_from_repeated_flags() {
    let world = World::start().await;
    let (url, arrived) = server("application/json", r#"{"id":"k-1","name":"ci"}"#);
    world
        .run_with(
            against(&world, &url),
            &[
                "account",
                "create-key",
                "--name",
                "ci",
                "--scope-guids",
                "sms:send",
                "--scope-guids",
                "sms:logs:read",
                "--allowed-ips",
                "192.0.2.1",
            ],
            "",
        )
        .expect(0);
    let request = arrived.recv_timeout(Duration::from_secs(10)).unwrap();
    let body = json(std::str::from_utf8(&request.body).unwrap());
    assert_eq!(body["name"], "ci", "{body}");
    assert_eq!(
        body["scopeGuids"],
        serde_json::json!(["sms:send", "sms:logs:read"]),
        "{body}"
    );
    assert_eq!(
        body["allowedIPs"],
        serde_json::json!(["192.0.2.1"]),
        "{body}"
    );
}
