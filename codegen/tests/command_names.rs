//! Commands' short names: the rule on the issue's examples, names kept across a re-import,
//! and regeneration refusing two commands of one name.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::BTreeMap;

use codegen::command_names::{derive, Unnamed};
use codegen::{CodegenError, ImportOptions};
use serde_json::json;

fn names(product: &str, ids: &[&str]) -> BTreeMap<String, String> {
    let unnamed: Vec<Unnamed<'_>> = ids
        .iter()
        .map(|id| Unnamed {
            operation_id: id,
            deprecated: false,
            kept: None,
        })
        .collect();
    derive(product, &unnamed)
}

/// SMS's operations as `spec/sms.yaml` lists them.
const SMS: &[&str] = &[
    "send-sms-messages",
    "send-sms-messages-over-query-parameters",
    "preview-sms-message",
    "send-sms-message",
    "send-binary-sms-message",
    "get-scheduled-sms-messages",
    "get-inbound-sms-messages",
    "get-outbound-sms-message-delivery-reports-v3",
    "get-outbound-sms-message-logs-v3",
    "get-outbound-sms-message-delivery-reports",
    "get-outbound-sms-message-logs",
];

#[test]
fn the_issues_examples_come_out_of_the_rule() {
    let sms = names("sms", SMS);
    assert_eq!(
        sms["get-outbound-sms-message-delivery-reports-v3"],
        "reports"
    );
    assert_eq!(sms["get-outbound-sms-message-logs-v3"], "logs");
    // `sms send` is written by hand: the operation takes the next candidate.
    assert_eq!(sms["send-sms-messages"], "send-messages");
    assert!(!sms.values().any(|name| name == "send"), "{sms:?}");
    // An older version keeps its operationId, so `reports` means the newest.
    assert_eq!(
        sms["get-outbound-sms-message-delivery-reports"],
        "get-outbound-sms-message-delivery-reports"
    );
    // A collision keeps more words.
    assert_eq!(sms["send-sms-message"], "send-message");
    assert_eq!(sms["send-binary-sms-message"], "send-binary-message");
    assert_eq!(sms["get-inbound-sms-messages"], "inbound-messages");
    let account = names(
        "account",
        &[
            "get-api-keys-by-filter",
            "get-api-key",
            "get-account-balance",
        ],
    );
    assert_eq!(account["get-account-balance"], "balance");
    assert_eq!(account["get-api-keys-by-filter"], "keys");
    assert_eq!(account["get-api-key"], "key");
}

#[test]
fn a_qualifier_tells_apart_what_only_it_tells_apart() {
    let two_factor = names(
        "two-factor",
        &["send-2fa-pin-code-over-sms", "send-2fa-pin-code-over-voice"],
    );
    assert_eq!(two_factor["send-2fa-pin-code-over-sms"], "send-code");
    assert_eq!(
        two_factor["send-2fa-pin-code-over-voice"],
        "send-code-over-voice"
    );
}

#[test]
fn a_kept_name_stays_and_deprecated_operations_come_last() {
    let unnamed = [
        Unnamed {
            operation_id: "get-old-logs",
            deprecated: true,
            kept: None,
        },
        Unnamed {
            operation_id: "get-new-logs",
            deprecated: false,
            kept: None,
        },
        Unnamed {
            operation_id: "get-reports",
            deprecated: false,
            kept: Some("my-reports"),
        },
    ];
    let named = derive("demo", &unnamed);
    assert_eq!(named["get-new-logs"], "logs");
    assert_eq!(named["get-old-logs"], "old-logs");
    assert_eq!(named["get-reports"], "my-reports");
}

/// A published (3.1) document with two operations.
fn published(ids: &[&str]) -> String {
    let mut paths = serde_json::Map::new();
    for id in ids {
        paths.insert(
            format!("/{id}"),
            json!({"get": {
                "operationId": id,
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}
            }}),
        );
    }
    serde_json::to_string(&json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
    }))
    .unwrap()
}

#[test]
fn a_reimport_keeps_every_name_and_names_only_the_new_operations() {
    let first =
        codegen::import(&published(&["get-demo-logs"]), &ImportOptions::new("demo")).unwrap();
    assert!(first.yaml.contains("x-cli-name: logs"), "{}", first.yaml);
    // Renamed by hand in the description; a new version of the operation is published.
    let edited = first
        .yaml
        .replace("x-cli-name: logs", "x-cli-name: history");
    let again = codegen::import(
        &published(&["get-demo-logs", "get-demo-logs-v2"]),
        &ImportOptions {
            previous: Some(edited.clone()),
            ..ImportOptions::new("demo")
        },
    )
    .unwrap();
    assert!(again.yaml.contains("x-cli-name: history"), "{}", again.yaml);
    assert!(again.yaml.contains("x-cli-name: logs"), "{}", again.yaml);
    // A third run with the second's output changes nothing.
    let third = codegen::import(
        &published(&["get-demo-logs", "get-demo-logs-v2"]),
        &ImportOptions {
            previous: Some(again.yaml.clone()),
            ..ImportOptions::new("demo")
        },
    )
    .unwrap();
    assert_eq!(third.yaml, again.yaml);
}

/// A checked-in (3.0.3) description whose operations have these names.
fn described(named: &[(&str, &str)]) -> String {
    let mut text = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    for (id, name) in named {
        text.push_str(&format!(
            "  /{id}:\n    get:\n      operationId: {id}\n      x-cli-name: {name}\n      \
             responses:\n        '204': {{description: ok}}\n"
        ));
    }
    text
}

fn clash(product: &str, named: &[(&str, &str)]) -> String {
    match codegen::render_product(product, &described(named)) {
        Err(error @ CodegenError::CommandNameClash { .. }) => error.to_string(),
        Err(other) => panic!("not a clash: {other}"),
        Ok(_) => panic!("rendered"),
    }
}

#[test]
fn regeneration_refuses_two_commands_of_one_name() {
    let message = clash("demo", &[("get-logs", "logs"), ("get-logs-v2", "logs")]);
    assert!(
        message.contains("`logs`")
            && message.contains("`get-logs`")
            && message.contains("`get-logs-v2`"),
        "{message}"
    );
    // A name that is another operation's operationId (which stays its alias).
    let message = clash("demo", &[("get-logs", "logs"), ("logs", "history")]);
    assert!(message.contains("`logs`"), "{message}");
    // A hand-written command's name.
    let message = clash("sms", &[("send-sms-messages", "send")]);
    assert!(message.contains("hand-written"), "{message}");
    assert!(codegen::render_product("demo", &described(&[("get-logs", "logs")])).is_ok());
}

#[test]
fn every_operation_in_spec_has_a_command_name() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for spec in codegen::read_specs(&root).unwrap() {
        let tree: serde_yaml::Value = serde_yaml::from_str(&spec.text).unwrap();
        for item in tree["paths"].as_mapping().unwrap().values() {
            for operation in item.as_mapping().unwrap().values() {
                let Some(id) = operation.get("operationId") else {
                    continue;
                };
                assert!(
                    operation.get("x-cli-name").is_some(),
                    "{}: {id:?} has no x-cli-name; run `cargo xtask import` or name it by hand",
                    spec.path
                );
            }
        }
    }
}
