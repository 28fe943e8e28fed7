//! Signing in as `gh` does: `logout` forgets the saved secret (unless `--keep-secret`),
//! `profile list|use|remove`, and a `login` that checks every file before writing any.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::{Endpoint, DEMO_PASSWORD};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn credentials(world: &World) -> String {
    std::fs::read_to_string(world.dir.path().join("credentials.json")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_forgets_the_secret_so_whoami_then_asks_for_a_login() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    assert!(credentials(&world).contains(DEMO_PASSWORD));

    let logout = world.run(&["logout"]).expect(0);
    assert!(
        logout
            .stdout
            .contains("secret of profile `default` was forgotten"),
        "{}",
        logout.all()
    );
    assert!(!credentials(&world).contains(DEMO_PASSWORD));

    let whoami = world.run(&["whoami"]).expect(4);
    assert!(whoami.stderr.contains("signed out"), "{}", whoami.stderr);
    let url = world.url().to_owned();
    assert!(
        whoami.stderr.contains(&format!(
            "hint: sign in again: `infobip login --profile default --base-url {url} --scheme oauth2 --username demo`"
        )),
        "{}",
        whoami.stderr
    );
    // Nothing is left to end or forget: said, not failed.
    let again = world.run(&["logout"]).expect(0);
    assert!(
        again.stdout.contains("signed out already"),
        "{}",
        again.all()
    );
    // The profile stays, without its secret, and a login brings it back.
    let listed = json(
        &world
            .run(&["profile", "list", "--output", "json"])
            .expect(0)
            .stdout,
    );
    assert_eq!(listed[0]["name"], "default");
    assert_eq!(listed[0]["secretSaved"], false);
    world.login("default", "oauth2").expect(0);
    world.run(&["whoami"]).expect(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_keep_secret_keeps_it_and_the_next_command_signs_in_with_it() {
    let world = World::start().await;
    world.login("default", "basic").expect(0);
    let logout = world.run(&["logout", "--keep-secret"]).expect(0);
    assert!(logout.stdout.contains("is kept"), "{}", logout.all());
    assert!(credentials(&world).contains(DEMO_PASSWORD));
    world.run(&["whoami"]).expect(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_listed_picked_and_removed() {
    let world = World::start().await;
    world.login("work", "oauth2").expect(0);
    world.login("ops", "basic").expect(0);
    let url = world.url().to_owned();

    let listed = json(
        &world
            .run(&["profile", "list", "--output", "json"])
            .expect(0)
            .stdout,
    );
    assert_eq!(
        listed,
        serde_json::json!([
            {"name": "ops", "baseUrl": url, "scheme": "basic", "user": "demo",
             "secretSaved": true, "default": false, "inUse": false},
            {"name": "work", "baseUrl": url, "scheme": "oauth2", "user": "demo",
             "secretSaved": true, "default": true, "inUse": true},
        ])
    );
    let table = world.run(&["profile", "list"]).expect(0).stdout;
    assert!(table.contains("work (default)"), "{table}");
    assert!(table.contains("* in use: `work`"), "{table}");
    assert!(!table.contains(DEMO_PASSWORD), "{table}");
    // --profile selects another one for this command.
    let other = json(
        &world
            .run(&["--profile", "ops", "profile", "list", "--output", "json"])
            .expect(0)
            .stdout,
    );
    assert_eq!(other[0]["inUse"], true);

    let used = world.run(&["profile", "use", "ops"]).expect(0);
    assert!(
        used.stdout.contains("`ops` is now the default"),
        "{}",
        used.all()
    );
    let whoami = json(&world.run(&["whoami", "--output", "json"]).expect(0).stdout);
    assert_eq!(whoami["credentials"], "profile");
    assert_eq!(whoami["profile"], "ops");
    let unknown = world.run(&["profile", "use", "nope"]).expect(4);
    assert!(
        unknown
            .stderr
            .contains("no profile `nope` (there are ops, work)"),
        "{}",
        unknown.stderr
    );

    // `work` holds a cached OAuth token: removed with it.
    let removed = world.run(&["profile", "remove", "work"]).expect(0);
    assert!(
        removed
            .stdout
            .contains("Removed profile `work`, its secret and its cached token."),
        "{}",
        removed.all()
    );
    let listed = json(
        &world
            .run(&["profile", "list", "--output", "json"])
            .expect(0)
            .stdout,
    );
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "ops");
    let saved: serde_json::Value = json(&credentials(&world));
    assert!(saved.get("work").is_none(), "{saved}");
    assert!(saved.get("ops").is_some(), "{saved}");
    // The default one removed: no other is picked behind the user's back.
    world.run(&["profile", "remove", "ops"]).expect(0);
    let none = world.run(&["whoami"]).expect(4);
    assert!(none.stderr.contains("not signed in"), "{}", none.stderr);
    let empty = world.run(&["profile", "list"]).expect(0);
    assert!(empty.stdout.contains("No profiles"), "{}", empty.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_refuses_a_damaged_profiles_file_before_writing_anything() {
    let world = World::start().await;
    let path = world.dir.path().join("profiles.json");
    std::fs::write(&path, "{\"profiles\": {\"other\": ").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let refused = world.login("default", "oauth2").expect(1);
    assert!(
        refused
            .stderr
            .contains(&format!("{} is not a profiles file", path.display())),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("fix it, or move it aside"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("delete"), "{}", refused.stderr);
    // Nothing written, nothing asked of Infobip.
    let files: Vec<String> = std::fs::read_dir(world.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["profiles.json"]);
    assert_eq!(world.sandbox.count(Endpoint::CreateOAuth2Token), 0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"profiles\": {\"other\": "
    );
}
