//! Each example runs as `cargo run` runs it, configured from the environment as the sandbox's
//! the sandbox prints it: it must exit 0 and do what its documentation says.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::{Command, Output};
use std::time::Duration;

use infobip_sandbox::{Endpoint, Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};

/// The example `binary` against `sandbox` with OAuth 2.0, nothing of this process's own
/// `INFOBIP_*` environment inherited.
fn example(binary: &str, sandbox: &Sandbox) -> Command {
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("INFOBIP_") {
            command.env_remove(name);
        }
    }
    command
        .env("INFOBIP_BASE_URL", sandbox.base_url())
        .env("INFOBIP_AUTH", "oauth2")
        .env("INFOBIP_USERNAME", DEMO_USERNAME)
        .env("INFOBIP_PASSWORD", DEMO_PASSWORD);
    command
}

/// Runs `command` off the runtime (the sandbox serves on it meanwhile); its standard output,
/// after checking that it succeeded.
async fn run(mut command: Command) -> String {
    let output: Output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{:?}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_sms_sends_and_reads_the_balance() {
    let sandbox = sandbox().await;
    let mut command = example(env!("CARGO_BIN_EXE_send-sms"), &sandbox);
    command.arg("41793026727");
    let stdout = run(command).await;

    assert_eq!(sandbox.count(Endpoint::SendSmsMessages), 1, "{stdout}");
    assert!(stdout.starts_with("sent "), "{stdout}");
    assert!(stdout.contains("\nbalance: "), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_sms_without_a_number_says_how_to_call_it() {
    let sandbox = sandbox().await;
    let command = example(env!("CARGO_BIN_EXE_send-sms"), &sandbox);
    let output = tokio::task::spawn_blocking(move || { command }.output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: send-sms NUMBER"));
    assert_eq!(sandbox.count(Endpoint::SendSmsMessages), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_reports_receives_the_report_of_its_own_send() {
    // The sandbox posts due reports by itself, as the binary does, and at once.
    let mut config = SandboxConfig::for_tests().with_delivery_delay(Duration::ZERO);
    config.webhook_interval = Some(Duration::from_millis(20));
    let sandbox = Sandbox::start(config).await.unwrap();
    let mut command = example(env!("CARGO_BIN_EXE_delivery-reports"), &sandbox);
    command
        .arg("41793026727")
        .env("WEBHOOK_PASSWORD", "webhook-pw-3f9d");
    let stdout = run(command).await;

    let lines: Vec<&str> = stdout.lines().collect();
    let id = lines[0].strip_prefix("sent ").unwrap();
    assert_eq!(
        lines[1],
        format!("report {id}: DELIVERED_TO_HANDSET"),
        "{stdout}"
    );
    assert!(!stdout.contains("webhook-pw-3f9d"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_reports_without_a_password_says_how_to_call_it() {
    let sandbox = sandbox().await;
    let mut command = example(env!("CARGO_BIN_EXE_delivery-reports"), &sandbox);
    command.arg("41793026727").env_remove("WEBHOOK_PASSWORD");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: WEBHOOK_PASSWORD="));
    assert_eq!(sandbox.count(Endpoint::SendSmsMessages), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_written_request_is_authenticated_both_ways() {
    let sandbox = sandbox().await;
    let stdout = run(example(
        env!("CARGO_BIN_EXE_hand-written-request"),
        &sandbox,
    ))
    .await;

    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("send: 200 OK {"), "{stdout}");
    assert!(lines[1].starts_with("middleware: 200 OK {"), "{stdout}");
    assert_eq!(sandbox.count(Endpoint::GetAccountBalance), 2);
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_program_makes_every_call_on_one_runtime_with_one_token() {
    let sandbox = sandbox().await;
    let stdout = run(example(env!("CARGO_BIN_EXE_sync-program"), &sandbox)).await;

    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.contains("round 3: "), "{stdout}");
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_sharing_a_redis_store_obtain_one_token() {
    let sandbox = sandbox().await;
    let redis = workspace_tests::redis_server::RedisServer::start();
    let replicas = (0..3).map(|_| {
        let mut command = example(env!("CARGO_BIN_EXE_fleet"), &sandbox);
        command.env("INFOBIP_TOKEN_STORE", redis.url()).env(
            "INFOBIP_TOKEN_STORE_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        );
        tokio::spawn(run(command))
    });
    for replica in replicas {
        let stdout = replica.await.unwrap();
        assert_eq!(stdout.matches("balance: ").count(), 5, "{stdout}");
    }

    assert_eq!(sandbox.count(Endpoint::GetAccountBalance), 15);
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);
}
