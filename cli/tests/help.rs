//! `--help` of the command line and of each hand-written command (insta snapshots), a help for
//! every generated command, and the exit code of a usage error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Command;

fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_infobip"))
        .args(args)
        .arg("--help")
        .env_remove("INFOBIP_PROFILE")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn help_of_the_command_line_and_each_hand_written_command() {
    for args in [
        &[][..],
        &["login"],
        &["logout"],
        &["profile"],
        &["profile", "list"],
        &["profile", "use"],
        &["profile", "remove"],
        &["token"],
        &["whoami"],
        &["api-key"],
        &["api-key", "list"],
        &["api-key", "show"],
        &["api-key", "revoke"],
        &["api-key", "rotate"],
        &["api-key", "create"],
        &["api"],
        &["completion"],
        &["sms", "send"],
        &["sandbox"],
    ] {
        let name = if args.is_empty() {
            String::from("infobip")
        } else {
            format!("infobip {}", args.join(" "))
        };
        insta::assert_snapshot!(name.replace(' ', "_"), help(args), &name);
    }
}

#[test]
fn every_operation_of_every_product_has_a_command_with_help() {
    let operations: Vec<(&str, &str)> = infobip_client::PRODUCTS
        .iter()
        .zip(infobip_client::OPERATIONS)
        .flat_map(|(product, operations)| operations.iter().map(move |op| (*product, op.id)))
        .collect();
    assert!(operations.len() >= 11, "{operations:?}");
    for (product, id) in operations {
        let text = help(&[product, id]);
        assert!(
            text.contains(&format!("Infobip operation `{id}`")),
            "{text}"
        );
        assert!(text.contains("API scopes:"), "{text}");
        // No secret becomes a flag: any local user can read a command line.
        assert!(!text.contains("--api-key-secret "), "{text}");
        assert!(!text.contains("--password"), "{text}");
        assert!(!text.contains("--client-secret"), "{text}");
        assert!(!text.contains("XXX"), "{text}");
    }
    let list = help(&["account", "get-api-keys-by-filter"]);
    assert!(list.contains("--api-key-secret-stdin"), "{list}");
}

#[test]
fn usage_errors_exit_with_2_and_say_what_is_wrong() {
    for args in [
        &["frobnicate"][..],
        &["sms", "send", "--text", "hi"],
        &["account", "get-api-key"],
        &["--output", "yaml", "whoami"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_infobip"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
    }
}
