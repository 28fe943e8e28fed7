//! `infobip api METHOD PATH` against the sandbox: any request, signed as the other commands
//! sign theirs, refused before sending when it points at another host.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::{Endpoint, DEMO_USERNAME};
use secrecy::ExposeSecret as _;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_get_prints_the_balance_as_the_generated_command_does() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let answer = world.run(&["api", "GET", "/account/1/balance"]).expect(0);
    let balance = json(&answer.stdout);
    assert!(balance["balance"].is_number(), "{balance}");
    assert!(balance["currency"].is_string(), "{balance}");
    // Pretty-printed, as the generated command prints it.
    assert!(
        answer.stdout.contains("\n  \"balance\""),
        "{}",
        answer.stdout
    );
    let generated = json(
        &world
            .run(&["account", "get-account-balance"])
            .expect(0)
            .stdout,
    );
    assert_eq!(balance, generated);
    // The token login obtained is reused: one connection, one token.
    assert_eq!(world.sandbox.count(Endpoint::CreateOAuth2Token), 1);
    // GET fields are query parameters.
    let logs = world
        .run(&["api", "get", "/sms/3/logs", "--field", "limit=1"])
        .expect(0);
    assert!(json(&logs.stdout).is_object(), "{}", logs.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_post_builds_the_body_from_fields_and_sends_an_sms() {
    let world = World::start().await;
    world.login("default", "basic").expect(0);
    let sent = world
        .run(&[
            "api",
            "POST",
            "/sms/3/messages",
            "--raw-field",
            "messages[0].destinations[0].to=41793026727",
            "-f",
            "messages[0].content.text=Hello from infobip api",
        ])
        .expect(0);
    let answer = json(&sent.stdout);
    assert!(answer["messages"][0]["messageId"].is_string(), "{answer}");
    assert_eq!(world.sandbox.count(Endpoint::SendSmsMessages), 1);

    // The same body from a file, and from standard input.
    let file = world.dir.path().join("message.json");
    std::fs::write(
        &file,
        r#"{"messages":[{"destinations":[{"to":"41793026727"}],"content":{"text":"hi"}}]}"#,
    )
    .unwrap();
    world
        .run(&[
            "api",
            "POST",
            "/sms/3/messages",
            "--input",
            file.to_str().unwrap(),
        ])
        .expect(0);
    let body = std::fs::read_to_string(&file).unwrap();
    world
        .run_with(
            world.command(),
            &["api", "POST", "/sms/3/messages", "--input", "-"],
            &body,
        )
        .expect(0);
    assert_eq!(world.sandbox.count(Endpoint::SendSmsMessages), 3);

    // A body Infobip refuses: the same exit code and text as `infobip sms send-sms-messages`.
    let refused = world
        .run(&[
            "api",
            "POST",
            "/sms/3/messages",
            "-f",
            "messages[0].content.text=x",
        ])
        .expect(3);
    assert!(
        refused
            .stderr
            .contains("Infobip refused `send-sms-messages`"),
        "{}",
        refused.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_refuses_another_host_before_sending_anything() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    world.sandbox.clear_log();
    let refused = world
        .run(&["api", "GET", "https://evil.example/account/1/balance"])
        .expect(2);
    assert!(
        refused
            .stderr
            .contains("https://evil.example is not the host of the base URL")
            && refused.stderr.contains("nothing was sent"),
        "{}",
        refused.stderr
    );
    assert_eq!(world.sandbox.count(Endpoint::CreateOAuth2Token), 0);
    assert_eq!(world.sandbox.count(Endpoint::GetAccountBalance), 0);
    // Nor is the Authorization header given by hand.
    let header = world
        .run(&[
            "api",
            "GET",
            "/account/1/balance",
            "-H",
            "Authorization: Basic eA==",
        ])
        .expect(2);
    assert!(
        header.stderr.contains("credentials are added"),
        "{}",
        header.stderr
    );
    // A URL on the base URL's host is a path like any other.
    let own = format!("{}/account/1/balance", world.url());
    world
        .run(&["api", "GET", &own, "-H", "X-Request-Id: 7"])
        .expect(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_failures_exit_as_the_generated_commands_do() {
    let world = World::start().await;
    let key = world
        .sandbox
        .create_api_key(
            DEMO_USERNAME,
            serde_json::json!({"name": "sms only", "scopeGuids": ["sms:manage"]}),
        )
        .unwrap();
    let secret = key.secret.expose_secret().to_owned();
    let url = world.url().to_owned();
    world
        .run_with(
            world.command(),
            &["login", "--base-url", &url],
            &format!("{secret}\n"),
        )
        .expect(0);
    let generated = world.run(&["account", "get-account-balance"]).expect(5);
    let api = world.run(&["api", "GET", "/account/1/balance"]).expect(5);
    assert_eq!(api.stderr, generated.stderr);
    // A path the catalogue does not know: Infobip's 404, exit 3.
    let missing = world.run(&["api", "GET", "/account/1/nowhere"]).expect(3);
    assert!(
        missing
            .stderr
            .contains("Infobip refused `GET /account/1/nowhere`"),
        "{}",
        missing.stderr
    );
    assert!(!missing.all().contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_create_prints_the_secret_once_on_standard_output() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let created = world
        .run(&[
            "api-key",
            "create",
            "--name",
            "reports",
            "--scope",
            "sms:manage",
            "--scope",
            "account-management:manage",
            "--allowed-ip",
            "127.0.0.1",
        ])
        .expect(0);
    let secret = created.stdout.trim().to_owned();
    assert!(
        !secret.is_empty() && !secret.contains(' '),
        "{}",
        created.stdout
    );
    assert!(!created.stderr.contains(&secret), "{}", created.stderr);
    assert!(
        created.stderr.contains("shown this once"),
        "{}",
        created.stderr
    );
    // The key works, with the scopes and IPs asked for.
    let url = world.url().to_owned();
    world
        .run_with(
            world.command(),
            &["--profile", "key", "login", "--base-url", &url],
            &format!("{secret}\n"),
        )
        .expect(0);
    world
        .run(&["--profile", "key", "api", "GET", "/account/1/balance"])
        .expect(0);
    let listed = json(
        &world
            .run(&["api-key", "list", "--output", "json"])
            .expect(0)
            .stdout,
    );
    let key = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "reports")
        .unwrap();
    assert_eq!(
        key["scopeGuids"],
        serde_json::json!(["sms:manage", "account-management:manage"])
    );
    assert_eq!(key["allowedIPs"], serde_json::json!(["127.0.0.1"]));
    assert!(!listed.to_string().contains(&secret));
    // Without a scope: refused before anything is sent.
    world
        .run(&["api-key", "create", "--name", "none"])
        .expect(2);
}
