//! No secret on a command line, in an output or in an error (`--debug` and `infobip api`
//! included), except those the user asks for (`token`, a created or rotated key's secret);
//! secret files refused when others can read them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::DEMO_PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_prints_the_password_or_a_token_unasked() {
    let world = World::start().await;
    let mut outputs = Vec::new();
    for scheme in ["oauth2", "ibsso", "basic"] {
        let profile = format!("p-{scheme}");
        outputs.push(world.login(&profile, scheme).expect(0).all());
        for args in [
            &["whoami"][..],
            &["whoami", "--output", "json"],
            &["account", "get-account-balance"],
            &["api-key", "list"],
            &["sms", "send", "--to", "41793026727", "--text", "hi"],
            &["api", "GET", "/account/1/balance"],
            &["--debug", "api", "GET", "/sms/3/logs"],
            &["--debug", "whoami"],
            &["profile", "list"],
            &["profile", "list", "--output", "json"],
            &["logout"],
        ] {
            let mut all = vec!["--profile", &profile];
            all.extend_from_slice(args);
            outputs.push(world.run(&all).expect(0).all());
        }
    }
    // Failures too: wrong password, a refused call.
    let url = world.url().to_owned();
    outputs.push(
        world
            .run_with(
                world.command(),
                &[
                    "login",
                    "--base-url",
                    &url,
                    "--username",
                    "demo",
                    "--profile",
                    "x",
                ],
                "not-the-password\n",
            )
            .expect(4)
            .all(),
    );
    let tokens = world.sandbox.issued_tokens();
    assert!(!tokens.is_empty());
    for output in &outputs {
        assert!(!output.contains(DEMO_PASSWORD), "{output}");
        assert!(!output.contains("not-the-password"), "{output}");
        for token in &tokens {
            assert!(!output.contains(token.as_str()), "{output}");
        }
    }
    // The files hold no token in the clear either.
    for file in ["tokens", "profiles.json"] {
        let text = String::from_utf8_lossy(&std::fs::read(world.dir.path().join(file)).unwrap())
            .into_owned();
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "{file}");
        }
        if file == "profiles.json" {
            assert!(!text.contains(DEMO_PASSWORD));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_files_readable_by_others_are_refused_with_the_chmod_to_run() {
    use std::os::unix::fs::PermissionsExt as _;
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    for (file, expected) in [("credentials.json", 4), ("tokens.key", 1)] {
        let path = world.dir.path().join(file);
        let mode = |m| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
        mode(0o644);
        let refused = world.run(&["account", "get-account-balance"]);
        let code = refused.code;
        assert!(
            refused
                .stderr
                .contains(&format!("run `chmod 600 {}`", path.display())),
            "{file}: {}",
            refused.stderr
        );
        assert!(refused.stderr.contains("mode 644"), "{}", refused.stderr);
        assert!(code == expected || code == 1, "{file}: exit {code}");
        mode(0o600);
        world.run(&["account", "get-account-balance"]).expect(0);
    }
    // What login writes is private.
    for file in ["credentials.json", "profiles.json", "tokens", "tokens.key"] {
        let mode = std::fs::metadata(world.dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

// ---------------------------------------------------------------------------------------
// Found in a hostile review and fixed: each test below failed before its fix.

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profiles_file_others_can_write_is_refused() {
    let world = World::start().await;
    // Another local user's server.
    let elsewhere = infobip_sandbox::Sandbox::start(infobip_sandbox::SandboxConfig::for_tests())
        .await
        .unwrap();
    world.login("default", "basic").expect(0);
    let path = world.dir.path().join("profiles.json");
    // profiles.json "holds no secret", so nothing checks who may write it: but it says where
    // the secret is sent.
    set_mode(&path, 0o666);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace(world.url(), elsewhere.base_url())).unwrap();
    let run = world.run(&["account", "get-account-balance"]);
    let sent: Vec<String> = elsewhere
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert!(
        sent.is_empty(),
        "exit {}: the Basic credentials went to the server a profiles.json of mode 666 named: {} request(s)",
        run.code,
        sent.len()
    );
    assert!(
        run.stderr
            .contains(&format!("chmod 600 {}", path.display())),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_not_kept_in_a_directory_others_can_write() {
    use std::os::unix::fs::PermissionsExt as _;
    let world = World::start().await;
    // INFOBIP_CONFIG_DIR made by hand, or by a tool with umask 000: whoever can write it can
    // rename their own credentials.json, profiles.json or tokens.key into it, or plant the
    // temporary files the writes go through.
    set_mode(world.dir.path(), 0o777);
    let login = world.login("default", "oauth2");
    let mode = std::fs::metadata(world.dir.path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert!(
        login.code != 0 || mode & 0o022 == 0,
        "login wrote the password into a directory of mode {mode:03o} and said:\n{}",
        login.all()
    );
}
