//! One token request for many runs: ten in a row, and eight at the same moment, share the
//! token through the encrypted file store, for OAuth and IBSSO.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::World;
use infobip_sandbox::Endpoint;

fn token_requests(world: &World, scheme: &str) -> usize {
    world.sandbox.count(match scheme {
        "oauth2" => Endpoint::CreateOAuth2Token,
        _ => Endpoint::CreateSession,
    })
}

async fn ten_in_a_row(scheme: &str) {
    let world = World::start().await;
    world.login("default", scheme).expect(0);
    world.sandbox.clear_log();
    // The token login obtained is reused; so that the count starts from nothing, it is
    // forgotten first (for a session: ended), and the ten commands must fetch one.
    world.run(&["logout", "--keep-secret"]).expect(0);
    world.sandbox.clear_log();
    for _ in 0..10 {
        world.run(&["account", "get-account-balance"]).expect(0);
    }
    let requests = token_requests(&world, scheme);
    println!("{scheme}: ten commands in a row made {requests} token request(s)");
    assert_eq!(requests, 1, "{scheme}");
    assert_eq!(world.sandbox.count(Endpoint::GetAccountBalance), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_oauth_commands_in_a_row_make_one_token_request() {
    ten_in_a_row("oauth2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_ibsso_commands_in_a_row_make_one_session() {
    ten_in_a_row("ibsso").await;
}

async fn eight_at_once(scheme: &str) {
    let world = World::start().await;
    world.login("default", scheme).expect(0);
    world.run(&["logout", "--keep-secret"]).expect(0);
    world.sandbox.clear_log();
    let children: Vec<std::process::Child> = (0..8)
        .map(|_| {
            let mut command = world.command();
            command
                .args(["account", "get-account-balance"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            command.spawn().unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let requests = token_requests(&world, scheme);
    println!("{scheme}: eight commands at once made {requests} token request(s)");
    assert_eq!(requests, 1, "{scheme}");
    assert_eq!(world.sandbox.count(Endpoint::GetAccountBalance), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_oauth_commands_at_once_make_one_token_request() {
    eight_at_once("oauth2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_ibsso_commands_at_once_make_one_session() {
    eight_at_once("ibsso").await;
}

// ---------------------------------------------------------------------------------------
// Found in a hostile review and fixed: the test below failed before its fix.

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_ends_while_another_process_holds_the_store_lock() {
    use std::io::BufRead as _;
    use std::process::Stdio;
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    // Another process holds the lock (a run stopped with Ctrl-Z in the middle of a store
    // update, a hung file system): `flock` from util-linux, until its stdin closes.
    let mut holder = std::process::Command::new("flock")
        .arg("-x")
        .arg(world.dir.path().join("tokens.lock"))
        .args(["-c", "echo locked; read _"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("flock (util-linux)");
    let mut said = String::new();
    std::io::BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert_eq!(said.trim(), "locked");

    let mut command = world.command();
    command
        .args(["account", "get-account-balance"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    // The store gives up after its 5 s timeout and the call goes ahead without it; the
    // command should then end. 30 s is a deadline for a hang, not a wait for an event.
    let ended = finished.recv_timeout(std::time::Duration::from_secs(30));
    // Let go of the lock, so that the command (if it hung) and the holder end.
    drop(holder.stdin.take());
    let _ = holder.wait();
    let output = match ended {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let output = finished.recv().unwrap().unwrap();
            panic!(
                "the command did not exit while the lock was held (it ended once the lock was released); it had printed:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    };
    assert!(output.status.success(), "{output:?}");
}
