//! Single-flight against the sandbox: however many calls need a token at once, one request
//! obtains it (also for calls spread over the products of one connection); a storm of 401s causes one re-authentication per client; a cancelled caller
//! leaves nothing behind; and 10,000 calls over all four schemes across expiry and a session
//! kill lose nothing.
//!
//! The storm holds ~4,000 loopback sockets open at once (2,000 requests, both ends), the
//! others up to ~2,000: they run one at a time (`heavy()`), and need `ulimit -n 8192`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::default_world;
use futures_util::future::join_all;
use infobip_auth::clock::ManualClock;
use infobip_auth::ClientBuilder;
use infobip_client::account::Client;
use infobip_sandbox::{Endpoint, Fault, DEMO_PASSWORD, DEMO_USERNAME};
use tokio::sync::{Notify, Semaphore};

const CALLS: usize = 1000;
const TOKEN: Endpoint = Endpoint::CreateOAuth2Token;
const SESSION: Endpoint = Endpoint::CreateSession;
const DESTROY: Endpoint = Endpoint::DestroySession;
const BALANCE: Endpoint = Endpoint::GetAccountBalance;

/// Serialises the tests that open many sockets, so that however many test threads there
/// are, the file limit holds (a tokio mutex: each test has its own runtime).
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.lock().await
}

async fn balance_calls(client: &Client, n: usize) -> Vec<bool> {
    join_all((0..n).map(|_| async { client.get_account_balance().send().await.is_ok() })).await
}

async fn spawned_balance_calls(client: &Client, n: usize) -> usize {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_account_balance().send().await.is_ok() })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        ok += usize::from(task.await.unwrap());
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_a_cold_oauth_cache_fetch_one_token() {
    let _heavy = heavy().await;
    let w = default_world().await;
    let client = w.oauth2();
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(w.sandbox.count(TOKEN), 1);
    assert_eq!(w.sandbox.count(BALANCE), CALLS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_over_two_products_of_one_connection_fetch_one_token() {
    use infobip_client::Products as _;

    let _heavy = heavy().await;
    let w = default_world().await;
    let infobip = w.connect(w.oauth2_builder());
    let tasks: Vec<_> = (0..CALLS)
        .map(|i| {
            let infobip = infobip.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    infobip.account().get_account_balance().send().await.is_ok()
                } else {
                    let send = common::sms_text("41793026727", "Hello");
                    infobip
                        .sms()
                        .send_sms_messages()
                        .body(send)
                        .send()
                        .await
                        .is_ok()
                }
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        ok += usize::from(task.await.unwrap());
    }
    assert_eq!(ok, CALLS);
    assert_eq!(w.sandbox.count(TOKEN), 1);
    assert_eq!(w.sandbox.count(BALANCE), CALLS / 2);
    assert_eq!(w.sandbox.count(Endpoint::SendSmsMessages), CALLS / 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_a_cold_session_create_one_session() {
    let _heavy = heavy().await;
    let w = default_world().await;
    let client = w.ibsso();
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(w.sandbox.count(SESSION), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_an_expired_token_fetch_one_more() {
    let _heavy = heavy().await;
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3600));
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(w.sandbox.count(TOKEN), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_calls_on_an_idle_session_replace_it_once() {
    let _heavy = heavy().await;
    let w = default_world().await;
    let client = w.ibsso();
    client.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3600));
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    assert_eq!(w.sandbox.count(SESSION), 2);
    assert_eq!(w.sandbox.count(DESTROY), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_storm_causes_one_reauthentication_per_client() {
    let _heavy = heavy().await;
    let w = default_world().await;
    // The clients keep their own, frozen clock: when the sandbox's clock jumps, their token
    // and session are dead server-side while the clients still think them fresh.
    let client_clock = ManualClock::new();
    let build = |builder: ClientBuilder| {
        builder
            .base_url(w.sandbox.base_url())
            .clock(client_clock.clone())
            .build()
            .unwrap()
    };
    let oauth = build(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD));
    let ibsso = build(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD));
    oauth.get_account_balance().send().await.unwrap();
    ibsso.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3700));
    // No 401 is answered before every call was sent: each caller of each client sees its
    // token rejected.
    w.sandbox.inject(BALANCE, Fault::Hold { times: 2 * CALLS });
    let calls: Vec<_> = (0..2 * CALLS)
        .map(|i| {
            let client = if i % 2 == 0 {
                oauth.clone()
            } else {
                ibsso.clone()
            };
            tokio::spawn(async move { client.get_account_balance().send().await.is_ok() })
        })
        .collect();
    // A caller that cannot even connect (too few file descriptors) would leave the others
    // held for ever: fail instead of hanging.
    let all = async {
        for call in calls {
            assert!(call.await.unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("every held call was released: is `ulimit -n` at least 8192?");
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.sandbox.count(SESSION), 2);
    // A 401 does not prove a session gone: the rejected one is ended before the new login.
    assert_eq!(w.sandbox.count(DESTROY), 1);
    let rejected = w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(BALANCE) && r.status == Some(401))
        .count();
    assert_eq!(rejected, 2 * CALLS, "the storm happened to every caller");
    assert_eq!(
        w.sandbox.count(BALANCE),
        2 + 2 * CALLS + rejected,
        "one retry per rejected call"
    );
    w.assert_never_bare();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_storm_on_the_cached_tokens_short_route_shares_one_new_token_per_client() {
    // Without a retry policy, an untraced call of a cached token goes by a short route of its
    // own to the 401 replay (auth/src/authenticator.rs, `Route::Replayable`), where the
    // rejected header is read from the copy kept for the replay: every caller that saw the
    // same token rejected must still share the one replacement.
    const STORM: usize = 100;
    let _heavy = heavy().await;
    let w = default_world().await;
    let client_clock = ManualClock::new();
    let build = |builder: ClientBuilder| {
        builder
            .base_url(w.sandbox.base_url())
            .clock(client_clock.clone())
            .read_retry(infobip_auth::retry::RetryPolicy::never())
            .build()
            .unwrap()
    };
    let oauth = build(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD));
    let ibsso = build(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD));
    oauth.get_account_balance().send().await.unwrap();
    ibsso.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3700));
    w.sandbox.inject(BALANCE, Fault::Hold { times: 2 * STORM });
    let calls: Vec<_> = (0..2 * STORM)
        .map(|i| {
            let client = if i % 2 == 0 {
                oauth.clone()
            } else {
                ibsso.clone()
            };
            tokio::spawn(async move { client.get_account_balance().send().await.is_ok() })
        })
        .collect();
    let all = async {
        for call in calls {
            assert!(call.await.unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("every held call was released");
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.sandbox.count(SESSION), 2);
    assert_eq!(w.sandbox.count(DESTROY), 1);
    assert_eq!(
        w.sandbox.count(BALANCE),
        2 + 4 * STORM,
        "one retry per rejected call"
    );
    w.assert_never_bare();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_401_storm_whose_replays_are_throttled_still_shares_one_new_token_per_client() {
    // Reads with a retry policy (the default) go by a route of their own
    // (auth/src/authenticator.rs, `Route::Retrying`): the 401 replay first, then the retry
    // loop. With every replay answered 503, each caller waits and sends again, and the
    // retries' 401s and replays must still share the one replacement per client.
    const STORM: usize = 100;
    let _heavy = heavy().await;
    let w = default_world().await;
    let client_clock = ManualClock::new();
    let build = |builder: ClientBuilder| {
        builder
            .base_url(w.sandbox.base_url())
            .clock(client_clock.clone())
            // Which request meets which 503 is the scheduler's to say: attempts enough that
            // no caller runs out of them whatever the order.
            .read_retry(infobip_auth::retry::RetryPolicy {
                max_attempts: 2 * STORM as u32 + 2,
                ..infobip_auth::retry::RetryPolicy::default()
            })
            .build()
            .unwrap()
    };
    let oauth = build(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD));
    let ibsso = build(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD));
    oauth.get_account_balance().send().await.unwrap();
    ibsso.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3700));
    w.sandbox.inject(BALANCE, Fault::Hold { times: 2 * STORM });
    w.sandbox
        .inject(BALANCE, Fault::status(503).times(2 * STORM));
    let calls: Vec<_> = (0..2 * STORM)
        .map(|i| {
            let client = if i % 2 == 0 {
                oauth.clone()
            } else {
                ibsso.clone()
            };
            tokio::spawn(async move { client.get_account_balance().send().await.is_ok() })
        })
        .collect();
    let all = async {
        for call in calls {
            assert!(call.await.unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("every held call was released");
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.sandbox.count(SESSION), 2);
    assert_eq!(w.sandbox.count(DESTROY), 1);
    assert_eq!(client_clock.slept().len(), 2 * STORM, "one wait per 503");
    w.assert_never_bare();
}

#[tokio::test]
async fn a_failed_fetch_is_shared_by_every_waiter() {
    let w = default_world().await;
    w.sandbox.inject(
        TOKEN,
        Fault::Status {
            status: 503,
            retry_after: None,
            times: 3,
        },
    );
    let client = w.oauth2();
    let outcomes = balance_calls(&client, 200).await;
    assert!(outcomes.iter().all(|ok| !ok));
    // One leader, three attempts (the retry policy), no attempt from any of the waiters.
    assert_eq!(w.sandbox.count(TOKEN), 3);
    assert_eq!(w.sandbox.count(BALANCE), 0);
}

/// A thousand callers on other threads meet a login that fails: one request between them,
/// whether they waited for it or arrived after it failed (the failure is remembered before
/// any of them sees it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_callers_share_one_failed_login() {
    let _heavy = heavy().await;
    let w = default_world().await;
    let wrong = w
        .configure(ClientBuilder::oauth2(DEMO_USERNAME, "wrong"))
        .build()
        .unwrap();
    assert_eq!(spawned_balance_calls(&wrong, CALLS).await, 0);
    assert_eq!(w.sandbox.count(TOKEN), 1);

    w.sandbox.inject(
        SESSION,
        Fault::Status {
            status: 500,
            retry_after: None,
            times: 1,
        },
    );
    let ibsso = w.ibsso();
    assert_eq!(spawned_balance_calls(&ibsso, CALLS).await, 0);
    assert_eq!(
        w.sandbox.count(SESSION),
        1,
        "a create that may have acted, sent once"
    );
    assert_eq!(w.sandbox.count(BALANCE), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_in_the_renewal_window_are_served_while_one_renewal_runs() {
    let _heavy = heavy().await;
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.clock.advance(Duration::from_secs(3400)); // stale (300 s margin), still valid
    assert_eq!(spawned_balance_calls(&client, CALLS).await, CALLS);
    // Every call was served; the renewal runs in the background, one for all of them.
    // Once it is done, a call past the old token's expiry uses the new one without waiting.
    w.clock.advance(Duration::from_secs(250));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 2, "one renewal, not one per call");
}

#[tokio::test]
async fn a_cancelled_caller_does_not_cancel_the_fetch_it_started() {
    for (login, ibsso) in [(TOKEN, false), (SESSION, true)] {
        let w = default_world().await;
        // The login answers slowly; the caller gives up long before.
        w.sandbox.inject(
            login,
            Fault::Delay {
                delay: Duration::from_millis(300),
                times: 1,
            },
        );
        let client = if ibsso { w.ibsso() } else { w.oauth2() };
        let first = tokio::time::timeout(
            Duration::from_millis(50),
            client.get_account_balance().send(),
        )
        .await;
        assert!(first.is_err(), "the first call was cancelled");
        client.get_account_balance().send().await.unwrap();
        assert_eq!(w.sandbox.count(login), 1, "ibsso: {ibsso}");
        assert_eq!(
            w.sandbox.issued_tokens().len(),
            1,
            "no session or token was left behind"
        );
    }
}

#[tokio::test]
async fn a_read_cancelled_while_its_replay_waits_for_a_token_leaves_one_token_behind() {
    // A read's 401 replay on the read route (auth/src/authenticator.rs, `Route::Retrying`):
    // the caller gives up while the new token is being fetched; the fetch finishes, and the
    // next call uses its token.
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(401));
    w.sandbox.inject(
        TOKEN,
        Fault::Delay {
            delay: Duration::from_millis(300),
            times: 1,
        },
    );
    let first = tokio::time::timeout(
        Duration::from_millis(100),
        client.get_account_balance().send(),
    )
    .await;
    assert!(first.is_err(), "the call was cancelled");
    client.get_account_balance().send().await.unwrap();
    assert_eq!(
        w.sandbox.count(TOKEN),
        2,
        "the rejected token's one renewal"
    );
    assert_eq!(w.sandbox.issued_tokens().len(), 2);
    assert_eq!(w.sandbox.count(BALANCE), 3, "1 + the 401 + the next call");
}

/// Requests on the wire at once in the load test. Every call is its own task from the start;
/// the permit only bounds open sockets (two per request on loopback) to stay inside the file
/// limit.
const IN_FLIGHT: usize = 512;

/// 10,000 concurrent calls over all four schemes, across an OAuth token expiry, an IBSSO idle
/// expiry and a server-side session kill: nothing is lost, and each client fetches exactly
/// one token or session per expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_calls_across_expiry_and_a_session_kill() {
    let _heavy = heavy().await;
    const LOAD: usize = 10_000;
    let w = default_world().await;
    let secret = w.new_key_secret("load");
    let clients: Vec<Client> = vec![w.basic(), w.api_key(&secret), w.ibsso(), w.oauth2()];
    // Warm the token schemes so that the expiry below is a renewal, not a first fetch.
    for client in &clients {
        client.get_account_balance().send().await.unwrap();
    }

    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let done = Arc::new(AtomicUsize::new(0));
    let progress = Arc::new(Notify::new());
    let started = Instant::now();
    let tasks: Vec<_> = (0..LOAD)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            let (permits, done, progress) = (permits.clone(), done.clone(), progress.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                let result = client.get_account_balance().send().await;
                done.fetch_add(1, Ordering::SeqCst);
                progress.notify_one();
                result.map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .collect();

    // A third of the way: every token and session expires (on both sides' clock).
    wait_until(&progress, || done.load(Ordering::SeqCst) >= LOAD / 3).await;
    w.clock.advance(Duration::from_secs(3700));
    // Once both clients have renewed, and two thirds are done: the server ends the sessions.
    wait_until(&progress, || {
        w.sandbox.count(TOKEN) >= 2
            && w.sandbox.count(SESSION) >= 2
            && done.load(Ordering::SeqCst) >= 2 * LOAD / 3
    })
    .await;
    let remaining_at_kill = LOAD - done.load(Ordering::SeqCst);
    w.sandbox.end_sessions(DEMO_USERNAME);

    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.expect("no call panicked") {
            failures.push(e);
        }
    }
    let elapsed = started.elapsed();
    println!("{LOAD} calls in {elapsed:?}");

    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(done.load(Ordering::SeqCst), LOAD);
    // One token per expiry: the first, and the renewal.
    assert_eq!(w.sandbox.count(TOKEN), 2);
    // One session per event: the first, the idle renewal, the re-login after the kill.
    assert_eq!(w.sandbox.count(SESSION), 3);
    // The idle-expired session was destroyed before its replacement was created, and so was
    // the killed one (a 401 does not prove a session gone; the server answers 401 again).
    assert_eq!(w.sandbox.count(DESTROY), 2);
    // Nothing was sent to an authenticated endpoint without credentials.
    assert!(w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(BALANCE))
        .all(|r| r.scheme.is_some()));
    assert!(
        elapsed < Duration::from_secs(60),
        "bounded time: {elapsed:?}"
    );
    assert!(remaining_at_kill > 0, "the kill happened mid-run");
}

/// Waits for `condition`, re-checked each time a call completes (no sleeping).
async fn wait_until(progress: &Notify, condition: impl Fn() -> bool) {
    while !condition() {
        progress.notified().await;
    }
}

/// A password the test changes at will, and how it learns that the connection read it.
struct ChangingPassword {
    value: Arc<std::sync::Mutex<String>>,
    reads: tokio::sync::mpsc::UnboundedReceiver<()>,
}

impl ChangingPassword {
    /// The password, and the source a connection reads it from.
    fn new(initial: &str) -> (Self, impl infobip_auth::secret::SecretSource) {
        let value = Arc::new(std::sync::Mutex::new(initial.to_owned()));
        let (read_tx, reads) = tokio::sync::mpsc::unbounded_channel();
        let source = {
            let value = value.clone();
            infobip_auth::secret::SecretFn::new(move || {
                let _ = read_tx.send(());
                Ok(secrecy::SecretString::from(value.lock().unwrap().clone()))
            })
        };
        (Self { value, reads }, source)
    }

    fn set(&self, password: &str) {
        *self.value.lock().unwrap() = password.to_owned();
    }

    /// Returns once a call of the connection has read the password and taken it as the new
    /// one (as `logs`, capturing this thread's INFO events, show): the read runs on a thread
    /// of its own, and the call takes its outcome when it comes back. On this one-thread
    /// runtime, that call then runs on, up to waiting for the login in flight, before this
    /// test resumes.
    async fn taken(&mut self, logs: &workspace_tests::CapturedLogs) {
        self.reads.recv().await.unwrap();
        while !logs.text().contains("the secret changed") {
            tokio::task::yield_now().await;
        }
    }
}

/// One balance call of `infobip`, in its own task.
fn spawn_balance(infobip: &infobip_auth::Infobip) -> tokio::task::JoinHandle<Result<(), String>> {
    use infobip_client::Products as _;
    let account = infobip.account();
    tokio::spawn(async move {
        account
            .get_account_balance()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

/// Starts a call of `infobip` whose login the sandbox holds until a second login arrives;
/// returns once that login is held.
async fn call_with_a_held_login(
    world: &common::World,
    infobip: &infobip_auth::Infobip,
) -> tokio::task::JoinHandle<Result<(), String>> {
    world.sandbox.inject(TOKEN, Fault::Hold { times: 2 });
    let call = spawn_balance(infobip);
    while world.sandbox.count(TOKEN) < 1 {
        tokio::task::yield_now().await;
    }
    call
}

#[tokio::test]
async fn a_login_with_the_old_password_failing_after_a_rotation_does_not_pause_the_new_one() {
    // Regression: `rotate` (auth/src/authenticator.rs) ended the login pause
    // when the password changed, but a login already in flight with the old password was not
    // told: the call that read the new password joined it, and when it failed the failure was
    // remembered (`Lease::complete`, auth/src/cache.rs) after the pause was cleared. The
    // fixed password is then refused for the whole pause (600 s here), which is what the
    // README says a rotation avoids ("fixing a wrong password takes effect on the next check,
    // not after the pause").
    use infobip_auth::retry::LoginCooldown;

    let logs = workspace_tests::CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber_at(tracing::Level::INFO));
    let world = default_world().await;
    let (mut password, source) = ChangingPassword::new("not-the-password");
    let infobip = world.connect(
        ClientBuilder::oauth2_from(DEMO_USERNAME, source)
            .secret_check_interval(Duration::from_secs(1))
            .login_cooldown(LoginCooldown {
                first: Duration::from_secs(600),
                max: Duration::from_secs(600),
                ..LoginCooldown::default()
            }),
    );
    password.reads.try_recv().unwrap(); // the read at connect
    let first = call_with_a_held_login(&world, &infobip).await;

    // The password fixed while that login is in flight; the next call reads it and waits for
    // the login.
    password.set(DEMO_PASSWORD);
    world.clock.advance(Duration::from_secs(1));
    let second = spawn_balance(&infobip);
    password.taken(&logs).await;

    // Another client's login releases the held one, which Infobip refuses. Its failure is
    // not remembered: the calls that waited for it log in again, with the new password.
    world.oauth2().get_account_balance().send().await.unwrap();
    let first = first.await.unwrap();
    assert!(first.is_ok(), "{first:?}");
    let second = second.await.unwrap();
    assert!(second.is_ok(), "{second:?}");

    // The password in use is right: a call now logs in with it.
    let third = spawn_balance(&infobip).await.unwrap();
    assert!(
        third.is_ok(),
        "the old password's failure paused the new one:\n second: {second:?}\n third: {third:?}"
    );
}

#[tokio::test]
async fn a_token_obtained_with_the_old_password_after_a_rotation_is_not_used() {
    // Regression: a login in flight when the password changed completed with a
    // token of the old password, and `Lease::complete` handed it to the call that had read
    // the new one and stored it for every call after: the change was not seen for the
    // token's whole life, although a rotation is how a service cuts off old credentials.
    let logs = workspace_tests::CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber_at(tracing::Level::INFO));
    let world = default_world().await;
    let (mut password, source) = ChangingPassword::new(DEMO_PASSWORD);
    let infobip = world.connect(
        ClientBuilder::oauth2_from(DEMO_USERNAME, source)
            .secret_check_interval(Duration::from_secs(1)),
    );
    password.reads.try_recv().unwrap(); // the read at connect
    let first = call_with_a_held_login(&world, &infobip).await;

    // The password is revoked and replaced (by one Infobip refuses, to tell the two apart)
    // while that login is in flight; the next call reads it and waits for the login.
    password.set("the-new-password");
    world.clock.advance(Duration::from_secs(1));
    let second = spawn_balance(&infobip);
    password.taken(&logs).await;

    // Another client's login releases the held one, which Infobip answers with a token.
    world.oauth2().get_account_balance().send().await.unwrap();
    let first = first.await.unwrap();
    let second = second.await.unwrap();
    let third = spawn_balance(&infobip).await.unwrap();
    // No call went out with the old password's token after the change was seen: each
    // waiting call logged in again with the new password, which Infobip refused.
    assert!(second.is_err(), "second: {second:?}");
    assert!(third.is_err(), "third: {third:?}");
    assert!(first.is_err(), "first: {first:?}");
    assert_eq!(
        world
            .sandbox
            .count_with(BALANCE, Some(infobip_sandbox::SchemeUsed::Bearer)),
        1,
        "only the other client's call was authenticated"
    );
}
