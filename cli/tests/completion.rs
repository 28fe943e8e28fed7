//! `infobip completion SHELL` prints each shell's script.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::process::Command;

#[test]
fn each_shell_gets_a_script_that_completes_infobip() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = Command::new(env!("CARGO_BIN_EXE_infobip"))
            .args(["completion", shell])
            .env("INFOBIP_CONFIG_DIR", dir.path())
            .env_remove("INFOBIP_PROFILE")
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}: {output:?}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("infobip"), "{shell}");
        // The hand-written commands and the generated ones are both in it, by their short
        // names (the operationIds are hidden aliases: accepted, not offered).
        assert!(script.contains("whoami"), "{shell}");
        assert!(script.contains("create-key"), "{shell}");
        assert!(script.contains("send-messages"), "{shell}");
    }
    let unknown = Command::new(env!("CARGO_BIN_EXE_infobip"))
        .args(["completion", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
