//! Every hand-written command, and a generated one, through the real binary against the
//! sandbox; outputs as snapshots with the volatile values (port, ids, dates) replaced.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::{Endpoint, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};
use secrecy::ExposeSecret as _;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A loopback address nothing listens on (a port the system picked, then let go).
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_whoami_token_and_logout_with_oauth() {
    let world = World::start().await;
    let login = world.login("default", "oauth2").expect(0);
    insta::assert_snapshot!("login_oauth2", world.stable(&login.stdout));
    assert_eq!(world.sandbox.count(Endpoint::CreateOAuth2Token), 1);

    let whoami = world.run(&["whoami"]).expect(0);
    insta::assert_snapshot!("whoami_oauth2", world.stable(&whoami.stdout));
    let whoami = json(&world.run(&["whoami", "--output", "json"]).expect(0).stdout);
    assert_eq!(whoami["user"], "demo");
    assert_eq!(whoami["apiKeys"], serde_json::json!([]));

    let token = world.run(&["token"]).expect(0).stdout;
    let header = world.run(&["token", "--header"]).expect(0).stdout;
    assert_eq!(header.trim(), format!("Bearer {}", token.trim()));
    assert!(world
        .sandbox
        .issued_tokens()
        .contains(&token.trim().to_owned()));
    assert_eq!(
        world.sandbox.count(Endpoint::CreateOAuth2Token),
        1,
        "reused"
    );

    let logout = world.run(&["logout", "--keep-secret"]).expect(0);
    assert!(logout.stdout.contains("forgotten"), "{}", logout.stdout);
    world.run(&["token"]).expect(0);
    assert_eq!(
        world.sandbox.count(Endpoint::CreateOAuth2Token),
        2,
        "forgotten, so fetched again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_ibsso_session() {
    let world = World::start().await;
    world.login("ib", "ibsso").expect(0);
    assert_eq!(world.sandbox.active_sessions(DEMO_USERNAME), 1);
    let token = world.run(&["--profile", "ib", "token"]).expect(0).stdout;
    assert!(world
        .sandbox
        .issued_tokens()
        .contains(&token.trim().to_owned()));
    let logout = world
        .run(&["--profile", "ib", "logout", "--keep-secret"])
        .expect(0);
    assert!(logout.stdout.contains("ended"), "{}", logout.stdout);
    assert_eq!(world.sandbox.active_sessions(DEMO_USERNAME), 0);
    assert_eq!(world.sandbox.count(Endpoint::DestroySession), 1);
    // The next command logs in again, once.
    world
        .run(&["--profile", "ib", "account", "get-account-balance"])
        .expect(0);
    assert_eq!(world.sandbox.count(Endpoint::CreateSession), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_forgets_the_session_here_even_when_infobip_cannot_end_it() {
    use infobip_sandbox::Fault;
    let world = World::start().await;
    world.login("default", "ibsso").expect(0);
    world.sandbox.inject(
        Endpoint::DestroySession,
        Fault::DropConnection { times: 10 },
    );
    let logout = world.run(&["logout", "--keep-secret"]);
    world.sandbox.clear_log();
    world.run(&["account", "get-account-balance"]).expect(0);
    assert_eq!(
        world.sandbox.count(Endpoint::CreateSession),
        1,
        "after `logout` (exit {}), the next command must not reuse the session:\n{}",
        logout.code,
        logout.stderr
    );
    assert!(
        !logout.stderr.contains("no token could be obtained"),
        "a logout obtains no token: {}",
        logout.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_infobip_could_not_complete_says_what_became_of_the_session() {
    // Regression: the failed logout forgot the session (as it must: the next
    // command would use it) but said "`infobip logout` again ends it now once Infobip
    // answers", and the second logout, with nothing left to end, said "the IBSSO session was
    // ended at Infobip" while it was still alive.
    use infobip_sandbox::Fault;
    let world = World::start().await;
    world.login("default", "ibsso").expect(0);
    assert_eq!(world.sandbox.active_sessions(DEMO_USERNAME), 1);
    // Infobip fails the destroy once (a 500 from a gateway).
    world
        .sandbox
        .inject(Endpoint::DestroySession, Fault::status(500).times(1));
    let first = world.run(&["logout", "--keep-secret"]);
    assert_eq!(first.code, 1, "{}", first.all());
    assert!(
        first
            .stderr
            .contains("forgotten here, but Infobip could not end it")
            && first.stderr.contains("by itself after 60 minutes")
            && !first.stderr.contains("again"),
        "{}",
        first.stderr
    );
    let second = world.run(&["logout", "--keep-secret"]).expect(0);
    assert!(
        second.stdout.contains("no IBSSO session was cached"),
        "{}",
        second.all()
    );
    assert_eq!(world.sandbox.count(Endpoint::DestroySession), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_session_ends_the_session_the_token_store_keeps() {
    // Regression: a new process had no session in memory, and the auth crate
    // looked nowhere else for the one to end.
    let world = World::start().await;
    world.login("default", "ibsso").expect(0);
    assert_eq!(world.sandbox.active_sessions(DEMO_USERNAME), 1);
    let destroy = world.run(&["account", "destroy-session"]);
    assert_eq!(
        destroy.code,
        0,
        "the session login created and stored is there to destroy:\n{}",
        destroy.all()
    );
    assert_eq!(world.sandbox.active_sessions(DEMO_USERNAME), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_refuses_bad_credentials_and_saves_nothing() {
    let world = World::start().await;
    let url = world.url().to_owned();
    let refused = world
        .run_with(
            world.command(),
            &["login", "--base-url", &url, "--username", "demo"],
            "wrong-password\n",
        )
        .expect(4);
    assert!(
        refused.stderr.contains("sign-in failed"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("hint:"), "{}", refused.stderr);
    assert!(!world.dir.path().join("profiles.json").exists());
    let not_signed_in = world.run(&["whoami"]).expect(4);
    assert!(
        not_signed_in.stderr.contains("infobip login"),
        "{}",
        not_signed_in.stderr
    );
    // Basic and API key: checked with a call.
    world.login("basic", "basic").expect(0);
    let empty = world
        .run_with(world.command(), &["login", "--base-url", &url], "\n")
        .expect(2);
    assert!(
        empty.stderr.contains("no API key given"),
        "{}",
        empty.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_refuses_a_wrong_password_even_with_a_token_of_that_user_in_the_store() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let url = world.url().to_owned();
    // A typo on the next login (another profile, or the same one being re-entered): the
    // token store holds a token for this base URL, scheme and user, and login "checks" the
    // credentials by asking the store, not Infobip.
    let typo = world.run_with(
        world.command(),
        &[
            "--profile",
            "typo",
            "login",
            "--base-url",
            &url,
            "--username",
            DEMO_USERNAME,
        ],
        "not-the-password\n",
    );
    let saved = std::fs::read_to_string(world.dir.path().join("credentials.json")).unwrap();
    assert_eq!(
        typo.code, 4,
        "a wrong password must be refused; login said:\n{}\nand saved:\n{saved}",
        typo.stdout
    );
    assert!(!saved.contains("not-the-password"), "{saved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_without_verifying_does_not_leave_the_old_credentials_token_in_use() {
    // Regression: the store keys tokens by base URL, scheme and user, so a token
    // of the previous password outlived `login --no-verify` and `whoami` called the new,
    // wrong, password valid.
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let url = world.url().to_owned();
    // The profile is saved again, unchecked, with other credentials (a password typed
    // wrong, or one already revoked).
    world
        .run_with(
            world.command(),
            &[
                "login",
                "--base-url",
                &url,
                "--username",
                DEMO_USERNAME,
                "--no-verify",
            ],
            "not-the-password\n",
        )
        .expect(0);
    // The saved credentials do not work, yet whoami "checks" them with the token the
    // previous password got and calls them fine.
    let whoami = world.run(&["whoami"]);
    assert_eq!(
        whoami.code,
        4,
        "the saved password is wrong ({} token requests):\n{}",
        world.sandbox.count(Endpoint::CreateOAuth2Token),
        whoami.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_at_the_same_moment_keep_every_profile() {
    use std::io::Write as _;
    let world = World::start().await;
    let url = world.url().to_owned();
    let names: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
    // Every process waits on its standard input for the password; once all are waiting,
    // the passwords go out together, so that the saves overlap.
    let mut children: Vec<std::process::Child> = names
        .iter()
        .map(|name| {
            let mut command = world.command();
            command
                .args([
                    "--profile",
                    name,
                    "login",
                    "--no-verify",
                    "--base-url",
                    &url,
                    "--username",
                    DEMO_USERNAME,
                ])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    let mut inputs: Vec<_> = children
        .iter_mut()
        .map(|c| c.stdin.take().unwrap())
        .collect();
    for input in &mut inputs {
        input
            .write_all(format!("{DEMO_PASSWORD}\n").as_bytes())
            .unwrap();
    }
    drop(inputs);
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
    }
    let profiles = json(&std::fs::read_to_string(world.dir.path().join("profiles.json")).unwrap());
    let secrets =
        json(&std::fs::read_to_string(world.dir.path().join("credentials.json")).unwrap());
    let kept = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        kept(&profiles["profiles"]),
        sorted,
        "profiles.json lost some: each login read, changed and wrote it back without a lock"
    );
    assert_eq!(kept(&secrets), sorted, "credentials.json lost some");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_with_an_api_key_says_which_calls_work_and_which_scope_is_missing() {
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
    let whoami = world.run(&["whoami"]).expect(0);
    insta::assert_snapshot!("whoami_api_key", world.stable(&whoami.stdout));
    // A key cannot manage keys: said before anything is sent.
    let refused = world.run(&["api-key", "list"]).expect(5);
    assert!(
        refused.stderr.contains("never an API key"),
        "{}",
        refused.stderr
    );
    // The generated command names the missing scope.
    let balance = world.run(&["account", "get-account-balance"]).expect(5);
    assert!(
        balance
            .stderr
            .contains("needs one of account-management:manage"),
        "{}",
        balance.stderr
    );
    // An API key has no token; the header is there for scripts that ask for it.
    world.run(&["token"]).expect(2);
    let header = world.run(&["token", "--header"]).expect(0);
    assert_eq!(header.stdout.trim(), format!("App {secret}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_does_not_call_credentials_valid_when_nothing_answered() {
    let world = World::start().await;
    let url = closed_url();
    for (scheme, variables) in [
        ("api-key", &[("INFOBIP_API_KEY", "some-key")][..]),
        (
            "basic",
            &[
                ("INFOBIP_USERNAME", DEMO_USERNAME),
                ("INFOBIP_PASSWORD", DEMO_PASSWORD),
            ][..],
        ),
    ] {
        let mut command = world.command();
        command
            .env("INFOBIP_BASE_URL", &url)
            .env("INFOBIP_AUTH", scheme);
        for (name, value) in variables {
            command.env(name, value);
        }
        let whoami = world.run_with(command, &["whoami", "--output", "json"], "");
        assert_eq!(
            whoami.code,
            1,
            "{scheme}: nothing listens at {url}, so nothing is known about the credentials:\n{}",
            whoami.all()
        );
        assert!(
            !whoami.stdout.contains("valid"),
            "{scheme}: {}",
            whoami.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_with_an_api_key_does_not_pass_the_key_off_as_a_token() {
    let world = World::start().await;
    let key = world
        .sandbox
        .create_api_key(DEMO_USERNAME, serde_json::json!({"name": "k"}))
        .unwrap();
    let secret = key.secret.expose_secret().to_owned();
    let mut command = world.command();
    command
        .env("INFOBIP_BASE_URL", world.url())
        .env("INFOBIP_API_KEY", &secret);
    // `TOKEN=$(infobip token)` is meant for a short-lived token that is fine to hand a
    // script; Basic is refused for the same reason an API key should be (the secret goes
    // with every request, there is no token), and only `--header` asks for the credential.
    let token = world.run_with(command, &["token"], "");
    assert!(
        !token.stdout.contains(&secret),
        "exit {}: the API key was printed as a token",
        token.code
    );
    assert_eq!(token.code, 2, "{}", token.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_listed_shown_rotated_and_revoked() {
    let world = World::start().await;
    world.login("default", "basic").expect(0);
    let create = |name: &str, ips: Vec<String>| {
        world
            .sandbox
            .create_api_key(
                DEMO_USERNAME,
                serde_json::json!({"name": name, "allowedIPs": ips, "scopeGuids": ["sms:manage"]}),
            )
            .unwrap()
    };
    let open = create("open", Vec::new());
    let locked = create("locked", vec![String::from("10.20.30.40")]);
    let (open_id, locked_id) = (open.id.clone(), locked.id.clone());
    let secrets = [
        open.secret.expose_secret().to_owned(),
        locked.secret.expose_secret().to_owned(),
    ];

    let list = world.run(&["api-key", "list"]).expect(0);
    let show = world.run(&["api-key", "show", &open_id]).expect(0);
    let ids = |text: &str| {
        // Placeholders as wide as the ids, so that the columns stay aligned.
        text.replace(&open_id, &format!("{:-<32}", "OPEN-ID"))
            .replace(&locked_id, &format!("{:-<32}", "LOCKED-ID"))
    };
    insta::assert_snapshot!("api_key_list", dates(&ids(&list.stdout)));
    insta::assert_snapshot!("api_key_show", dates(&ids(&show.stdout)));
    for secret in &secrets {
        assert!(!list.all().contains(secret.as_str()));
        assert!(!show.all().contains(secret.as_str()));
    }
    let listed = json(
        &world
            .run(&["api-key", "list", "--output", "json"])
            .expect(0)
            .stdout,
    );
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed[0].get("apiKeySecret").is_none());

    // Rotated: a new key with the same scopes, its secret printed once, the old one revoked
    // after the new one worked from here.
    let rotate = world
        .run(&[
            "api-key",
            "rotate",
            &open_id,
            "--revoke-old",
            "--output",
            "json",
        ])
        .expect(0);
    let report = json(&rotate.stdout);
    assert_eq!(report["old"]["revoked"], true);
    assert_eq!(report["worksFromThisMachine"], true);
    assert_eq!(
        report["new"]["scopeGuids"],
        serde_json::json!(["sms:manage"])
    );
    assert_eq!(report["new"]["name"], "open");
    let new_secret = report["new"]["apiKeySecret"].as_str().unwrap().to_owned();
    assert!(
        new_secret.len() > 20,
        "the new key's secret, printed once: {new_secret}"
    );

    // Not from this machine's address: said, and the old key kept.
    let kept = world
        .run(&["api-key", "rotate", &locked_id, "--revoke-old"])
        .expect(5);
    assert!(
        kept.stdout
            .contains("not among the key's allowed IPs (10.20.30.40)"),
        "{}",
        kept.stdout
    );
    assert!(
        kept.stdout.contains("Secret (shown this once"),
        "{}",
        kept.stdout
    );
    let locked_now = json(
        &world
            .run(&["api-key", "show", &locked_id, "--output", "json"])
            .expect(0)
            .stdout,
    );
    assert_eq!(locked_now["enabled"], true);

    let revoke = world.run(&["api-key", "revoke", &locked_id]).expect(0);
    assert!(revoke.stdout.contains("Revoked"), "{}", revoke.stdout);
    let locked_now = json(
        &world
            .run(&["api-key", "show", &locked_id, "--output", "json"])
            .expect(0)
            .stdout,
    );
    assert_eq!(locked_now["enabled"], false);
    let missing = world.run(&["api-key", "show", "NO-SUCH-KEY"]).expect(3);
    assert!(
        missing.stderr.contains("404") || missing.stderr.contains("E404"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_reports_the_new_key_even_when_revoking_the_old_one_fails() {
    use infobip_sandbox::Fault;
    let world = World::start().await;
    world.login("default", "basic").expect(0);
    let old = world
        .sandbox
        .create_api_key(
            DEMO_USERNAME,
            serde_json::json!({"name": "old", "scopeGuids": ["sms:manage"]}),
        )
        .unwrap();
    let old_id = old.id.clone();
    world
        .sandbox
        .inject(Endpoint::UpdateApiKey, Fault::status(500).times(10));
    let rotate = world.run(&[
        "api-key",
        "rotate",
        &old_id,
        "--revoke-old",
        "--output",
        "json",
    ]);
    assert_eq!(rotate.code, 3, "{}", rotate.all());
    // The new key exists at Infobip...
    let keys = json(
        &world
            .run(&["api-key", "list", "--output", "json"])
            .expect(0)
            .stdout,
    );
    let new_id = keys
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["id"].as_str())
        .find(|id| *id != old_id)
        .expect("a new key was created")
        .to_owned();
    // ...and the script that asked for it is told neither its id nor its secret: it cannot
    // use it, nor revoke it, and running again creates one more (40 creates a day).
    assert!(
        rotate.stdout.contains(&new_id),
        "the new key {new_id} is not reported; stdout:\n{}\nstderr:\n{}",
        rotate.stdout,
        rotate.stderr
    );
}

/// Dates in API key tables (validity windows) are now-relative.
fn dates(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split("  ")
                .map(|cell| {
                    let cell_trimmed = cell.trim();
                    if cell_trimmed.len() == 28 && cell_trimmed.ends_with("+0000") {
                        cell.replace(cell_trimmed, "YYYY-MM-DDTHH:MM:SS.SSS+0000")
                    } else {
                        cell.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_send_prints_each_message_id_and_status() {
    let world = World::with(SandboxConfig::for_tests().with_rejected("41790000002")).await;
    world.login("default", "oauth2").expect(0);
    let sent = world
        .run(&[
            "sms",
            "send",
            "--to",
            "41793026727",
            "--text",
            "Hello",
            "--output",
            "json",
        ])
        .expect(0);
    let report = json(&sent.stdout);
    assert_eq!(report["messages"][0]["destination"], "41793026727");
    assert_eq!(report["messages"][0]["status"]["name"], "PENDING_ACCEPTED");
    assert!(report["messages"][0]["messageId"].as_str().is_some());
    let table = world
        .run(&[
            "sms",
            "send",
            "--to",
            "41793026727",
            "--to",
            "41790000002",
            "--text",
            "Hi",
        ])
        .expect(0);
    assert!(table.stdout.starts_with("bulk id"), "{}", table.stdout);
    assert!(
        table.stdout.contains("PENDING_ACCEPTED"),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_commands_print_json_and_keep_secrets_off_the_command_line() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    let balance = world.run(&["account", "get-account-balance"]).expect(0);
    insta::assert_snapshot!("account_get_account_balance", balance.stdout);
    let table = world
        .run(&["account", "get-account-balance", "--output", "table"])
        .expect(0);
    insta::assert_snapshot!("account_get_account_balance_table", table.stdout);

    let body = world.dir.path().join("key.json");
    std::fs::write(
        &body,
        r#"{"name": "from a file", "scopeGuids": ["sms:manage"]}"#,
    )
    .unwrap();
    let created = world
        .run(&[
            "account",
            "create-api-key",
            "--json-body",
            body.to_str().unwrap(),
        ])
        .expect(0);
    let key = json(&created.stdout);
    assert_eq!(
        key["apiKeySecret"],
        "[redacted: add --show-secrets to print it]"
    );
    assert!(
        created.stderr.contains("--show-secrets"),
        "{}",
        created.stderr
    );
    let shown = world
        .run(&[
            "--show-secrets",
            "account",
            "get-api-key",
            "--api-key-id",
            key["id"].as_str().unwrap(),
        ])
        .expect(0);
    let secret = json(&shown.stdout)["apiKeySecret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.len() > 20);

    // A secret query parameter comes from standard input, never from an argument.
    let found = world.run_with(
        world.command(),
        &[
            "account",
            "get-api-keys-by-filter",
            "--api-key-secret-stdin",
        ],
        &format!("{secret}\n"),
    );
    let found = json(&found.expect(0).stdout);
    assert_eq!(found["apiKeys"].as_array().unwrap().len(), 1);
    let recorded = world.sandbox.requests();
    assert!(recorded
        .iter()
        .any(|r| r.endpoint == Some(Endpoint::GetApiKeysByFilter)));

    let broken = world.dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"name": 42, "password": "S3CRET-IN-FILE"}"#).unwrap();
    let refused = world
        .run(&[
            "account",
            "create-api-key",
            "--json-body",
            broken.to_str().unwrap(),
        ])
        .expect(2);
    // Named by the field at fault, not by line and column.
    assert!(
        refused.stderr.contains(": name: invalid type"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("S3CRET-IN-FILE"),
        "{}",
        refused.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_infobip_exits_1_whatever_the_scheme() {
    let world = World::start().await;
    let url = closed_url();
    let mut codes = Vec::new();
    for scheme in ["basic", "api-key", "oauth2", "ibsso"] {
        let mut command = world.command();
        command
            .env("INFOBIP_BASE_URL", &url)
            .env("INFOBIP_AUTH", scheme)
            .env("INFOBIP_API_KEY", "some-key")
            .env("INFOBIP_USERNAME", DEMO_USERNAME)
            .env("INFOBIP_PASSWORD", DEMO_PASSWORD);
        let run = world.run_with(command, &["account", "get-account-balance"], "");
        codes.push((scheme, run.code, run.stderr));
    }
    // `--help`: "1 no answer from Infobip (network, timeout)"; a script retries on 1 and
    // asks for new credentials on 4.
    for (scheme, code, stderr) in &codes {
        assert_eq!(*code, 1, "{scheme}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exit_code_follows_the_status_whatever_the_error_body() {
    use infobip_sandbox::Fault;
    let world = World::start().await;
    world.login("default", "basic").expect(0);
    // What a gateway, a WAF or a proxy in front of Infobip answers: HTML or nothing.
    for (status, expected) in [(401, 4), (403, 5), (500, 3)] {
        for body in ["", "<html><body>denied</body></html>"] {
            world.sandbox.inject(
                Endpoint::GetAccountBalance,
                Fault::reply(status, body).with_header("content-type", "text/html"),
            );
            let run = world.run(&["account", "get-account-balance"]);
            assert_eq!(
                run.code, expected,
                "HTTP {status} with body {body:?}: {}",
                run.stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_works_without_a_profile() {
    let world = World::start().await;
    let mut command = world.command();
    command
        .env("INFOBIP_BASE_URL", world.url())
        .env("INFOBIP_AUTH", "ibsso")
        .env("INFOBIP_USERNAME", DEMO_USERNAME)
        .env("INFOBIP_PASSWORD", DEMO_PASSWORD);
    let whoami = world.run_with(command, &["whoami", "--output", "json"], "");
    let whoami = json(&whoami.expect(0).stdout);
    assert_eq!(whoami["credentials"], "environment");
    assert_eq!(whoami["scheme"], "ibsso");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_and_api_key_commands_work_without_a_usable_token_store() {
    let world = World::start().await;
    // A read-only or odd configuration location (a CI container, a HOME that is a file)...
    let file = world.dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    // ...or a token store key that a crash or a full disk left empty.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(broken.path().join("tokens.key"), "").unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(
            broken.path().join("tokens.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    for dir in [file.join("infobip"), broken.path().to_owned()] {
        let mut command = world.command();
        command
            .env("INFOBIP_CONFIG_DIR", &dir)
            .env("INFOBIP_BASE_URL", world.url())
            .env("INFOBIP_AUTH", "basic")
            .env("INFOBIP_USERNAME", DEMO_USERNAME)
            .env("INFOBIP_PASSWORD", DEMO_PASSWORD);
        let run = world.run_with(command, &["account", "get-account-balance"], "");
        assert_eq!(
            run.code,
            0,
            "Basic sends no token; with {} it failed:\n{}",
            dir.display(),
            run.stderr
        );
    }
}

#[test]
fn sandbox_flag_runs_a_command_without_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_infobip"))
        .args(["--sandbox", "account", "get-account-balance"])
        .env("INFOBIP_CONFIG_DIR", dir.path())
        .env_remove("INFOBIP_BASE_URL")
        .env_remove("INFOBIP_AUTH")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let balance = json(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(balance["currency"], "EUR");
    // Nothing of a one-off sandbox is kept.
    assert!(!dir.path().join("tokens").exists());
}

/// `--sandbox` reaches every product: per product, the first operation that takes no body and
/// no parameter but scalar ones (given as flags), run by its operationId against the sandbox,
/// which answers it from the description. Four products have no such operation: each of
/// theirs takes a JSON body.
#[test]
fn sandbox_flag_runs_a_command_of_every_product() {
    let dir = tempfile::tempdir().unwrap();
    let descriptions =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sandbox/descriptions");
    let mut files: Vec<_> = std::fs::read_dir(&descriptions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut ran, mut without) = (Vec::new(), Vec::new());
    for file in files {
        let product = file.file_stem().unwrap().to_string_lossy().into_owned();
        let document = json(&std::fs::read_to_string(&file).unwrap());
        let scalar = |p: &serde_json::Value| {
            p["in"] != "header"
                && matches!(p["schema"]["type"].as_str(), Some("string" | "integer"))
        };
        let operation = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter(|op| op.get("operationId").is_some())
            .find(|op| {
                op.get("requestBody").is_none()
                    && op["parameters"].as_array().is_none_or(|ps| {
                        ps.iter()
                            .filter(|p| p["required"] == true || p["in"] == "path")
                            .all(scalar)
                    })
            });
        let Some(operation) = operation else {
            without.push(product);
            continue;
        };
        let id = operation["operationId"].as_str().unwrap();
        let mut args = vec!["--sandbox".to_owned(), product.clone(), id.to_owned()];
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["required"] == true || parameter["in"] == "path" {
                let name = parameter["name"].as_str().unwrap();
                let mut flag = String::from("--");
                for c in name.chars() {
                    if c.is_ascii_uppercase() {
                        flag.push('-');
                    }
                    flag.push(c.to_ascii_lowercase());
                }
                args.push(flag);
                let schema = &parameter["schema"];
                args.push(
                    match (schema["type"].as_str(), schema["format"].as_str()) {
                        (Some("integer"), _) => "1",
                        (_, Some("uuid")) => "3f2a9c1e-8b7d-4e6f-a5c4-2d1b0e9f8a7c",
                        _ => "sandbox",
                    }
                    .to_owned(),
                );
            }
        }
        // OAuth 2.0 (the default) where the operation takes it, else an API key.
        let oauth = operation["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("OAuth2").is_some()));
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_infobip"))
            .args(&args)
            .env("INFOBIP_CONFIG_DIR", dir.path())
            .env("INFOBIP_AUTH", if oauth { "oauth2" } else { "api-key" })
            .env_remove("INFOBIP_BASE_URL")
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        ran.push(format!("{product} {id}"));
    }
    println!(
        "ran a command of {} products; none without a body in {without:?}",
        ran.len()
    );
    assert!(without.len() <= 4, "{without:?}");
}

#[test]
fn sandbox_command_serves_until_stopped_and_says_how_to_use_it() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_infobip"))
        .args(["sandbox", "--port", "0"])
        .env("INFOBIP_CONFIG_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let banner: Vec<String> = lines.by_ref().take(14).map(|l| l.unwrap()).collect();
    let banner = banner.join("\n");
    assert!(
        banner.contains(&format!("export INFOBIP_BASE_URL={url}")),
        "{banner}"
    );
    assert!(
        banner.contains("infobip login --profile sandbox"),
        "{banner}"
    );
    let balance = std::process::Command::new(env!("CARGO_BIN_EXE_infobip"))
        .args(["account", "get-account-balance"])
        .env("INFOBIP_CONFIG_DIR", dir.path())
        .env("INFOBIP_BASE_URL", &url)
        .env("INFOBIP_AUTH", "oauth2")
        .env("INFOBIP_USERNAME", DEMO_USERNAME)
        .env("INFOBIP_PASSWORD", DEMO_PASSWORD)
        .output()
        .unwrap();
    assert!(balance.status.success(), "{balance:?}");
    // It reports the token it issued.
    let counted = lines.next().unwrap().unwrap();
    assert!(
        counted.contains("token requests so far: 1 OAuth"),
        "{counted}"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
