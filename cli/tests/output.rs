//! One output style, through the real binary against the sandbox: JSON keyed as Infobip keys
//! its own, values rather than prose, tables a terminal can show; bodies from standard input,
//! refused by field path; numbers written with `+`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Every key of `value`, at any depth, that is not as Infobip writes its keys (camelCase).
fn snake_keys(value: &Value) -> Vec<String> {
    match value {
        Value::Object(fields) => fields
            .iter()
            .flat_map(|(key, value)| {
                let mut found = snake_keys(value);
                if key.contains('_') || key.contains(' ') {
                    found.push(key.clone());
                }
                found
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(snake_keys).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_send_prints_infobips_keys_and_takes_numbers_with_a_plus() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    // Before: `message_id`, `bulk_id`; and `+41793026727` refused by Infobip (E400).
    let sent = world
        .run(&[
            "sms",
            "send",
            "--to",
            "+41793026727",
            "--text",
            "Hello",
            "--output",
            "json",
        ])
        .expect(0);
    let sent = json(&sent.stdout);
    assert_eq!(snake_keys(&sent), Vec::<String>::new(), "{sent}");
    assert_eq!(sent["messages"][0]["destination"], "41793026727");
    assert!(sent["messages"][0]["messageId"].is_string(), "{sent}");
    // The same keys as the generated command that sends the same request.
    let generated = world.run_with(
        world.command(),
        &["sms", "send-sms-messages", "--json-body", "-"],
        r#"{"messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Hi"}}]}"#,
    );
    let generated = json(&generated.expect(0).stdout);
    let keys = |value: &Value| -> Vec<String> {
        value["messages"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(keys(&sent), keys(&generated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_json_holds_values_not_prose() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let whoami = json(&world.run(&["whoami", "--output", "json"]).expect(0).stdout);
    assert_eq!(whoami["status"], "valid", "{whoami}");
    assert_eq!(whoami["credentials"], "profile");
    assert_eq!(whoami["profile"], "default");
    assert_eq!(whoami["scheme"], "oauth2");
    assert_eq!(whoami["baseUrl"], world.url());
    assert_eq!(snake_keys(&whoami), Vec::<String>::new(), "{whoami}");
    // The table still says it in words.
    let table = world.run(&["whoami"]).expect(0).stdout;
    assert!(table.contains("valid: Infobip issued a token"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_of_logs_fit_a_terminal() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    for to in ["41793026727", "41793026728"] {
        world
            .run(&[
                "sms",
                "send",
                "--to",
                to,
                "--text",
                "A text long enough to be cut when it is shown in a cell of a table",
            ])
            .expect(0);
    }
    let logs = world
        .run(&[
            "sms",
            "get-outbound-sms-message-logs-v3",
            "--output",
            "table",
        ])
        .expect(0);
    let lines: Vec<&str> = logs.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a heading and a row per message:\n{}",
        logs.stdout
    );
    // Before: nested JSON in cells, about 400 columns.
    let widest = lines.iter().map(|l| l.chars().count()).max().unwrap();
    assert!(
        widest <= 8 * (40 + 2),
        "{widest} characters wide:\n{}",
        logs.stdout
    );
    assert!(
        lines[0]
            .split("  ")
            .filter(|c| !c.trim().is_empty())
            .count()
            <= 8,
        "{}",
        lines[0]
    );
    assert!(!logs.stdout.contains("{\""), "{}", logs.stdout);
    assert!(
        !logs
            .stdout
            .contains("A text long enough to be cut when it is shown in a cell"),
        "{}",
        logs.stdout
    );
    assert!(
        logs.stderr.contains("--output json prints every field"),
        "{}",
        logs.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_has_one_word_for_its_state() {
    let world = World::start().await;
    world.login("default", "basic").expect(0);
    let key = json(
        &world
            .run_with(
                world.command(),
                &["account", "create-api-key", "--json-body", "-"],
                r#"{"name": "k", "scopeGuids": ["sms:manage"]}"#,
            )
            .expect(0)
            .stdout,
    );
    let id = key["id"].as_str().unwrap();
    world.run(&["api-key", "revoke", id]).expect(0);
    // Before: `no (revoked)` here, `false` in whoami.
    let list = world.run(&["api-key", "list"]).expect(0).stdout;
    let whoami = world.run(&["whoami"]).expect(0).stdout;
    for table in [&list, &whoami] {
        let row = table.lines().find(|l| l.contains(id)).unwrap();
        assert!(row.contains(" revoked "), "{table}");
        assert!(
            !row.contains("false") && !row.contains("no (revoked)"),
            "{table}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_come_from_standard_input_and_are_refused_by_field_path() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    // Before: "failed to read -".
    let sent = world.run_with(
        world.command(),
        &["sms", "send-sms-messages", "--json-body", "-"],
        r#"{"messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Hi"}}]}"#,
    );
    assert!(json(&sent.expect(0).stdout)["messages"][0]["messageId"].is_string());
    // Before: "failed to parse -" and a line and column.
    let refused = world
        .run_with(
            world.command(),
            &["sms", "send-sms-messages", "--json-body", "-"],
            r#"{"messages": [{"content": {"text": "Hi"}}]}"#,
        )
        .expect(2);
    assert!(
        refused
            .stderr
            .contains("messages[0]: missing field `destinations`"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("line"), "{}", refused.stderr);
    // A value of the wrong type is named by its path, and not quoted: it may be a secret.
    let refused = world
        .run_with(
            world.command(),
            &["sms", "send-sms-messages", "--json-body", "-"],
            r#"{"messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Hi"}, "sender": ["S3CRET-IN-BODY"]}]}"#,
        )
        .expect(2);
    assert!(
        refused.stderr.contains("messages[0].sender: invalid type"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("S3CRET-IN-BODY"),
        "{}",
        refused.stderr
    );
    // Not JSON at all: there is no field, only a place.
    let refused = world
        .run_with(
            world.command(),
            &["sms", "send-sms-messages", "--json-body", "-"],
            "{not json",
        )
        .expect(2);
    assert!(
        refused.stderr.contains("not JSON (line 1"),
        "{}",
        refused.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_number_is_named_once() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let refused = world.run(&["sms", "send", "--to", "not-a-number", "--text", "Hi"]);
    let stderr = refused.stderr.clone();
    assert_eq!(refused.code, 3, "{stderr}");
    // Before: the refusal in Infobip's description, again as a violation, and its action
    // both in the message and as the hint.
    assert_eq!(
        stderr.matches("must contain digits only").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches("Check the request").count(), 1, "{stderr}");
    assert!(
        stderr.contains("messages[0].destinations[0].to"),
        "{stderr}"
    );
}
