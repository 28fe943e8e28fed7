//! Shared token stores: a fleet of processes (real `redis-server`, real child processes)
//! behaves like one client, on one Redis or on a Redis Cluster that loses a master; the store
//! never holds a readable secret; what it holds for one secret is never another's; a wrong
//! key, a tampered entry or a dead Redis never stops calls.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use infobip_auth::clock::ManualClock;
use infobip_auth::store::EncryptionKey;
use infobip_auth::{ClientBuilder, ClientExt as _};
use infobip_client::account::Client;
use infobip_sandbox::{
    Endpoint, Fault, Sandbox, SandboxConfig, SessionRule, DEMO_PASSWORD, DEMO_USERNAME,
};
use workspace_tests::redis_server::{RedisCluster, RedisServer};
use workspace_tests::{CapturedLogs, ClientClock};

const KEY: [u8; 32] = [7; 32];

fn key_b64(key: [u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// A sandbox on a manual clock, on its own runtime so that the test thread can block on
/// child processes.
struct Infobip {
    /// Runs the sandbox.
    _runtime: tokio::runtime::Runtime,
    sandbox: Sandbox,
    clock: ManualClock,
}

impl Infobip {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let clock = ManualClock::new();
        let sandbox = runtime
            .block_on(Sandbox::start(
                SandboxConfig::for_tests().with_clock(ClientClock(clock.clone())),
            ))
            .unwrap();
        Self {
            _runtime: runtime,
            sandbox,
            clock,
        }
    }
}

/// How long any one answer of a member may take: a hung test fails instead of waiting.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// One `fleet-member` process.
struct Member {
    child: Child,
    stdin: ChildStdin,
    stdout: Receiver<String>,
}

/// The lines of `from`, read on their own thread, so that a reader can give up waiting.
fn lines_of(from: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Member {
    fn spawn(infobip: &Infobip, redis: &RedisServer, scheme: &str, lease_ms: u64) -> Self {
        Self::spawn_with(infobip, redis, scheme, lease_ms, Stdio::null())
    }

    fn spawn_with(
        infobip: &Infobip,
        redis: &RedisServer,
        scheme: &str,
        lease_ms: u64,
        stderr: Stdio,
    ) -> Self {
        let store = [("INFOBIP_TOKEN_STORE", redis.url())];
        Self::spawn_env(infobip, scheme, lease_ms, stderr, &store)
    }

    /// A member configured as the others, its token store and anything else set by `env`
    /// (which wins over the defaults).
    fn spawn_env(
        infobip: &Infobip,
        scheme: &str,
        lease_ms: u64,
        stderr: Stdio,
        env: &[(&str, String)],
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fleet-member"))
            .env_clear()
            .env("INFOBIP_BASE_URL", infobip.sandbox.base_url())
            .env("INFOBIP_AUTH", scheme)
            .env("INFOBIP_USERNAME", DEMO_USERNAME)
            .env("INFOBIP_PASSWORD", DEMO_PASSWORD)
            .env("INFOBIP_TOKEN_STORE_KEY", key_b64(KEY))
            .env("FLEET_LEASE_MS", lease_ms.to_string())
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = lines_of(child.stdout.take().unwrap());
        let mut member = Self {
            child,
            stdin,
            stdout,
        };
        assert_eq!(member.answer(), "ready");
        member
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn answer(&mut self) -> String {
        self.stdout
            .recv_timeout(ANSWER_WITHIN)
            .expect("the member answers in time")
    }

    /// Sends `command` to every member first, then collects the answers: the members work
    /// at the same time.
    fn all(members: &mut [Member], command: &str) -> Vec<String> {
        for member in members.iter_mut() {
            member.send(command);
        }
        members.iter_mut().map(Member::answer).collect()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_all_ok(answers: &[String], calls: usize) {
    for answer in answers {
        assert!(
            answer.starts_with(&format!("done ok={calls} err=0")),
            "{answer}"
        );
    }
}

#[test]
fn eight_processes_fetch_one_oauth_token_cold_and_one_per_expiry() {
    let redis = RedisServer::start();
    let infobip = Infobip::start();
    let mut fleet: Vec<Member> = (0..8)
        .map(|_| Member::spawn(&infobip, &redis, "oauth2", 10_000))
        .collect();

    assert_all_ok(&Member::all(&mut fleet, "burst 100"), 100);
    assert_eq!(infobip.sandbox.count(Endpoint::CreateOAuth2Token), 1);

    // The token expires for Infobip and for every replica at once.
    infobip.clock.advance(Duration::from_secs(3700));
    for answer in Member::all(&mut fleet, "advance 3700") {
        assert_eq!(answer, "advanced");
    }
    assert_all_ok(&Member::all(&mut fleet, "burst 100"), 100);
    assert_eq!(infobip.sandbox.count(Endpoint::CreateOAuth2Token), 2);

    let balance = infobip.sandbox.count(Endpoint::GetAccountBalance);
    assert_eq!(balance, 1600);
    assert!(infobip
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetAccountBalance))
        .all(|r| r.status == Some(200)));
}

#[test]
fn eight_processes_share_one_unsafe_session_and_a_logout_ends_it_for_all() {
    let redis = RedisServer::start();
    let infobip = Infobip::start();
    let mut fleet: Vec<Member> = (0..8)
        .map(|_| Member::spawn(&infobip, &redis, "ibsso", 10_000))
        .collect();

    assert_all_ok(&Member::all(&mut fleet, "burst 100"), 100);
    assert_eq!(infobip.sandbox.count(Endpoint::CreateSession), 1);
    let create = infobip
        .sandbox
        .requests()
        .into_iter()
        .find(|r| r.endpoint == Some(Endpoint::CreateSession))
        .unwrap();
    assert!(create.body.contains(r#""unsafe":true"#), "not IP-bound");

    // One replica logs out: the session ends for Infobip and disappears from the store.
    fleet[0].send("logout");
    assert_eq!(fleet[0].answer(), "logged-out ok");
    assert_eq!(infobip.sandbox.count(Endpoint::DestroySession), 1);
    assert_eq!(infobip.sandbox.active_sessions(DEMO_USERNAME), 0);

    // The others still hold it, are refused, and log in again once between them.
    assert_all_ok(&Member::all(&mut fleet, "burst 50"), 50);
    assert_eq!(infobip.sandbox.count(Endpoint::CreateSession), 2);
    assert_eq!(infobip.sandbox.active_sessions(DEMO_USERNAME), 1);
}

#[test]
fn a_lock_holder_that_dies_is_taken_over_within_the_lease() {
    let redis = RedisServer::start();
    let infobip = Infobip::start();
    // The first token request hangs, so its sender dies holding the lock.
    infobip.sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::Delay {
            delay: Duration::from_secs(60),
            times: 1,
        },
    );
    let lease = Duration::from_millis(3000);
    let mut holder = Member::spawn_with(
        &infobip,
        &redis,
        "oauth2",
        lease.as_millis() as u64,
        Stdio::piped(),
    );
    let events = lines_of(holder.child.stderr.take().unwrap());
    holder.send("burst 1");
    loop {
        let event = events
            .recv_timeout(ANSWER_WITHIN)
            .expect("the holder takes the lock");
        if event.contains("token lock acquired") {
            break;
        }
    }
    // Wait for its request to arrive, so that it dies mid-fetch, not before.
    let deadline = Instant::now() + Duration::from_secs(10);
    while infobip.sandbox.count(Endpoint::CreateOAuth2Token) < 1 {
        assert!(
            Instant::now() < deadline,
            "the holder never asked for a token"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    holder.child.kill().unwrap();
    holder.child.wait().unwrap();
    let killed = Instant::now();

    let mut taker = Member::spawn(&infobip, &redis, "oauth2", lease.as_millis() as u64);
    taker.send("burst 20");
    assert_eq!(taker.answer(), "done ok=20 err=0 ");
    let took = killed.elapsed();
    assert_eq!(infobip.sandbox.count(Endpoint::CreateOAuth2Token), 2);
    // The holder renewed its lease every second, so the lock outlived it by 2 to 3 s: the
    // taker waited for that (a lock that was ignored would not make it wait), and took over
    // when it lapsed, not after waiting out the longest fetch (minutes); ten leases leave a
    // loaded machine room.
    assert!(
        took >= lease - lease / 3 - Duration::from_millis(100),
        "did not wait for the lease: {took:?}"
    );
    assert!(took < lease * 10, "took over in {took:?}");
}

// ---------------------------------------------------------------------------------------
// In one process: the store's contents, keys, and outages.
// ---------------------------------------------------------------------------------------

/// Runs `test` on a current-thread runtime with every event captured: the client's
/// background tasks run on this thread too, so nothing escapes the capture.
fn capturing<F: std::future::Future>(test: impl FnOnce(CapturedLogs) -> F) -> F::Output {
    let captured = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test(captured))
}

async fn sandbox(clock: &ManualClock) -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests().with_clock(ClientClock(clock.clone())))
        .await
        .unwrap()
}

fn redis_client(
    sandbox: &Sandbox,
    clock: &ManualClock,
    redis: &str,
    key: [u8; 32],
    builder: ClientBuilder,
) -> Client {
    builder
        .base_url(sandbox.base_url())
        .clock(clock.clone())
        .redis_token_store(redis, EncryptionKey::from_bytes(key))
        .store_timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

fn store_key(client: &Client) -> String {
    infobip_auth::store::store_key(client).unwrap()
}

async fn connect(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn balance_ok(client: &Client, calls: usize) {
    let results =
        futures_util::future::join_all((0..calls).map(|_| client.get_account_balance().send()))
            .await;
    for result in results {
        result.unwrap();
    }
}

#[test]
fn a_wrong_key_or_a_tampered_entry_is_a_miss_with_a_warning() {
    let redis = RedisServer::start();
    capturing(|captured| async move {
        let clock = ManualClock::new();
        let sandbox = sandbox(&clock).await;
        let oauth = || ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD);
        let first = redis_client(&sandbox, &clock, &redis.url(), KEY, oauth());
        balance_ok(&first, 1).await;
        assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);

        // Same user, another key: another entry (the key's fingerprint is keyed by it), so
        // the client fetches its own token and stores it there, for those with its key.
        let other_key = [9; 32];
        let stranger = redis_client(&sandbox, &clock, &redis.url(), other_key, oauth());
        balance_ok(&stranger, 1).await;
        assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 2);
        let key = store_key(&stranger);
        assert_ne!(key, store_key(&first));
        let friend = redis_client(&sandbox, &clock, &redis.url(), other_key, oauth());
        balance_ok(&friend, 1).await;
        assert_eq!(
            sandbox.count(Endpoint::CreateOAuth2Token),
            2,
            "read, not fetched"
        );

        // An entry sealed with another key where this key's entry should be (copied there):
        // a miss with a warning, never a token.
        let mut conn = connect(&redis.url()).await;
        let get = |key: String| redis::cmd("GET").arg(key).clone();
        let sealed_elsewhere: Vec<u8> =
            get(store_key(&first)).query_async(&mut conn).await.unwrap();
        let replace = |value: Vec<u8>| {
            redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .arg("KEEPTTL")
                .clone()
        };
        replace(sealed_elsewhere)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        let reader = redis_client(&sandbox, &clock, &redis.url(), other_key, oauth());
        balance_ok(&reader, 1).await;
        assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 3);
        assert!(captured.text().contains("could not be decrypted"));

        // One flipped bit in the stored ciphertext: a miss, never a token.
        let mut value: Vec<u8> = get(key.clone()).query_async(&mut conn).await.unwrap();
        let last = value.len() - 1;
        value[last] ^= 1;
        replace(value).query_async::<()>(&mut conn).await.unwrap();
        let after_tamper = captured.text().matches("could not be decrypted").count();
        let reader = redis_client(&sandbox, &clock, &redis.url(), other_key, oauth());
        balance_ok(&reader, 1).await;
        assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 4);
        assert!(captured.text().matches("could not be decrypted").count() > after_tamper);
    });
}

#[test]
fn calls_keep_working_when_redis_stops_mid_run() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    capturing(|captured| async move {
        let clock = ManualClock::new();
        let sandbox = sandbox(&clock).await;
        let client = redis_client(
            &sandbox,
            &clock,
            &url,
            KEY,
            ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD),
        );
        balance_ok(&client, 10).await;
        assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);

        redis.stop();
        let started = Instant::now();
        // The cached token needs no store.
        balance_ok(&client, 100).await;
        // An expiry with the store gone: one fetch from this process, as without a store.
        clock.advance(Duration::from_secs(3700));
        balance_ok(&client, 100).await;
        clock.advance(Duration::from_secs(3700));
        balance_ok(&client, 100).await;
        let took = started.elapsed();
        assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 3);
        // Bounded by the store timeout (500 ms) per fetch, not hanging: 10 times that for
        // the three fetches, so that a loaded machine does not fail it.
        assert!(took < Duration::from_secs(15), "{took:?}");
        let warnings = captured
            .text()
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("token store"))
            .count();
        assert_eq!(warnings, 1, "rate-limited: {}", captured.text());
    });
}

#[test]
fn nothing_secret_is_readable_in_redis() {
    let redis = RedisServer::start();
    let url = redis.url();
    capturing(|captured| async move {
        let clock = ManualClock::new();
        let sandbox = sandbox(&clock).await;
        let oauth = redis_client(
            &sandbox,
            &clock,
            &url,
            KEY,
            ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD),
        );
        let ibsso = redis_client(
            &sandbox,
            &clock,
            &url,
            KEY,
            ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD),
        );
        balance_ok(&oauth, 5).await;
        balance_ok(&ibsso, 5).await;
        // Every token the sandbox saw, as sent.
        let tokens: Vec<String> = sandbox
            .requests()
            .iter()
            .filter_map(|r| r.header("authorization"))
            .filter_map(|h| h.split_once(' ').map(|(_, t)| t.to_owned()))
            .collect();
        assert!(tokens.len() >= 2);

        let mut conn = connect(&url).await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(keys.len(), 2, "{keys:?}");
        let mut everything = keys.join("\n");
        for key in &keys {
            let value: Vec<u8> = redis::cmd("GET")
                .arg(key)
                .query_async(&mut conn)
                .await
                .unwrap();
            everything.push_str(&String::from_utf8_lossy(&value));
            // Base64 of a secret would hide it from a substring search.
            everything.push_str(&base64::engine::general_purpose::STANDARD.encode(&value));
        }
        let mut secrets = vec![DEMO_PASSWORD.to_owned()];
        secrets.extend(tokens);
        // Not even whose tokens they are: the user name is only in a keyed fingerprint.
        for secret in secrets.iter().chain([&DEMO_USERNAME.to_owned()]) {
            assert!(
                !everything.contains(secret.as_str()),
                "found {secret:?} in redis"
            );
        }
        for key in &keys {
            assert!(key.starts_with("infobip-auth:v2:{"), "{key}");
            assert!(
                key.ends_with(&format!(":oauth2:{}", sandbox.base_url()))
                    || key.ends_with(&format!(":ibsso:{}", sandbox.base_url())),
                "{key}"
            );
        }
        ibsso.logout().await.unwrap();
        // Neither the events nor the store's own errors show a secret.
        let text = captured.text();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret reached the logs");
        }
    });
}

// ---------------------------------------------------------------------------------------
// The in-process store, a store that never answers, and the settings a fleet needs.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_sharing_a_memory_store_fetch_once_per_expiry() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = infobip_auth::store::MemoryStore::new();
    let build = |builder: ClientBuilder| {
        builder
            .base_url(sandbox.base_url())
            .clock(clock.clone())
            .token_store(store.clone(), EncryptionKey::from_bytes(KEY))
            .build()
            .unwrap()
    };
    // Four clients, each with its own connection pool and its own cache: four services.
    let oauth: Vec<Client> = (0..4)
        .map(|_| build(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)))
        .collect();
    let ibsso: Vec<Client> = (0..4)
        .map(|_| build(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD)))
        .collect();
    async fn burst(clients: &[Client]) {
        let calls = (0..1000).map(|i| clients[i % clients.len()].get_account_balance().send());
        for result in futures_util::future::join_all(calls).await {
            result.unwrap();
        }
    }
    burst(&oauth).await;
    burst(&ibsso).await;
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);
    assert_eq!(sandbox.count(Endpoint::CreateSession), 1);

    clock.advance(Duration::from_secs(3700));
    burst(&oauth).await;
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 2);
    // Every token came from the store or the one fetch: none was sent and refused.
    assert!(sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetAccountBalance))
        .all(|r| r.status == Some(200)));
}

/// A store whose every call hangs.
#[derive(Debug)]
struct Silent;

impl infobip_auth::store::TokenStore for Silent {
    fn load<'a>(
        &'a self,
        _: &'a str,
    ) -> infobip_client::BoxFuture<
        'a,
        Result<Option<infobip_auth::store::Stored>, infobip_auth::store::StoreError>,
    > {
        Box::pin(std::future::pending())
    }
    fn apply(
        &self,
        _: infobip_auth::store::Rule,
    ) -> infobip_client::BoxFuture<'_, Result<bool, infobip_auth::store::StoreError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_store_that_never_answers_costs_at_most_its_timeout() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    for builder in [
        ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD),
        ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD),
    ] {
        let client = builder
            .base_url(sandbox.base_url())
            .clock(clock.clone())
            .token_store(Silent, EncryptionKey::from_bytes(KEY))
            .store_timeout(Duration::from_millis(100))
            .build()
            .unwrap();
        let started = Instant::now();
        balance_ok(&client, 100).await;
        // One read times out, then the fetch and the write go ahead without the store: about
        // 0.3 s. A bound of 10 times that (and still half of a timeout on each of the 100
        // calls) leaves room for a loaded machine.
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);
    assert_eq!(sandbox.count(Endpoint::CreateSession), 1);
}

#[test]
fn a_shared_session_cannot_be_ip_bound_and_store_settings_are_checked() {
    let shared = |builder: ClientBuilder| {
        builder.base_url("https://api.infobip.com").token_store(
            infobip_auth::store::MemoryStore::new(),
            EncryptionKey::from_bytes(KEY),
        )
    };
    let refused = |builder: ClientBuilder| match builder.build() {
        Err(infobip_auth::error::ConfigError { field, reason }) => format!("{field}: {reason}"),
        other => panic!("accepted: {other:?}"),
    };
    let e = refused(shared(ClientBuilder::ibsso("u", "p")).unsafe_session(false));
    assert!(e.starts_with("unsafe_session:") && e.contains("IP"), "{e}");
    let e = refused(shared(ClientBuilder::oauth2("u", "p")).store_lease(Duration::ZERO));
    assert!(e.starts_with("store_lease:"), "{e}");
    let e = refused(shared(ClientBuilder::oauth2("u", "p")).store_timeout(Duration::ZERO));
    assert!(e.starts_with("store_timeout:"), "{e}");
    // Basic and API key have nothing to share: the store is not used, and not an error.
    shared(ClientBuilder::api_key("k")).build().unwrap();

    let env = |vars: &'static [(&str, &str)]| {
        ClientBuilder::from_env_with(move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    };
    let base = [
        ("INFOBIP_BASE_URL", "https://api.infobip.com"),
        ("INFOBIP_AUTH", "oauth2"),
        ("INFOBIP_USERNAME", "u"),
        ("INFOBIP_PASSWORD", "p"),
        ("INFOBIP_TOKEN_STORE", "redis://127.0.0.1:1"),
    ];
    let e = env(Box::leak(Box::new(base))).unwrap_err().to_string();
    assert!(e.contains("INFOBIP_TOKEN_STORE_KEY"), "{e}");
    let mut with_bad_key = base.to_vec();
    with_bad_key.push(("INFOBIP_TOKEN_STORE_KEY", "c2hvcnQ="));
    let e = env(with_bad_key.leak()).unwrap_err().to_string();
    assert!(
        e.contains("INFOBIP_TOKEN_STORE_KEY") && e.contains("32 bytes"),
        "{e}"
    );
    let mut with_key = base.to_vec();
    let good = Box::leak(key_b64(KEY).into_boxed_str());
    with_key.push(("INFOBIP_TOKEN_STORE_KEY", good));
    env(with_key.leak()).unwrap().build().unwrap();
    let mut not_redis = base.to_vec();
    not_redis[4] = ("INFOBIP_TOKEN_STORE", "memcached://127.0.0.1:1");
    not_redis.push(("INFOBIP_TOKEN_STORE_KEY", good));
    let e = env(not_redis.leak())
        .unwrap()
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.contains("token_store") && e.contains("redis://"), "{e}");
}

/// A `MemoryStore` that fails on demand: every call while `down`, and the load numbered
/// `fail_load` (1-based).
#[derive(Debug, Clone, Default)]
struct Flaky {
    inner: infobip_auth::store::MemoryStore,
    down: Arc<std::sync::atomic::AtomicBool>,
    loads: Arc<std::sync::atomic::AtomicUsize>,
    fail_load: Arc<std::sync::atomic::AtomicUsize>,
    /// Expiry restarts of token entries (not locks).
    extends: Arc<std::sync::atomic::AtomicUsize>,
    /// Lock renewals are refused: the lease lapses under its holder.
    refuse_renewals: Arc<std::sync::atomic::AtomicBool>,
    /// Notified each time a lock is taken.
    locked: Arc<tokio::sync::Notify>,
}

impl Flaky {
    /// `call` on the inner store, unless the store is down.
    fn guarded<'a, T: Send + 'a>(
        &'a self,
        call: impl FnOnce() -> infobip_client::BoxFuture<'a, Result<T, infobip_auth::store::StoreError>>,
    ) -> infobip_client::BoxFuture<'a, Result<T, infobip_auth::store::StoreError>> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            Box::pin(async { Err(infobip_auth::store::StoreError::new("down")) })
        } else {
            call()
        }
    }
}

impl infobip_auth::store::TokenStore for Flaky {
    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> infobip_client::BoxFuture<
        'a,
        Result<Option<infobip_auth::store::Stored>, infobip_auth::store::StoreError>,
    > {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.loads.fetch_add(1, SeqCst) + 1;
        if n == self.fail_load.load(SeqCst) {
            return Box::pin(async {
                Err(infobip_auth::store::StoreError::new("one failed read"))
            });
        }
        self.guarded(|| self.inner.load(key))
    }
    fn apply(
        &self,
        rule: infobip_auth::store::Rule,
    ) -> infobip_client::BoxFuture<'_, Result<bool, infobip_auth::store::StoreError>> {
        use infobip_auth::store::Rule;
        use std::sync::atomic::Ordering::SeqCst;
        let lock_renewal = matches!(&rule, Rule::ExtendIf { key, .. } if key.ends_with(":lock"));
        if lock_renewal && self.refuse_renewals.load(SeqCst) {
            return Box::pin(async { Ok(false) });
        }
        if !lock_renewal && matches!(rule, Rule::ExtendIf { .. }) {
            self.extends.fetch_add(1, SeqCst);
        }
        let locking = matches!(rule, Rule::InsertIfAbsent { .. });
        self.guarded(|| {
            Box::pin(async move {
                let acted = self.inner.apply(rule).await?;
                if locking && acted {
                    self.locked.notify_one();
                }
                Ok(acted)
            })
        })
    }
}

fn on_store(
    sandbox: &Sandbox,
    clock: &ManualClock,
    store: &Flaky,
    builder: ClientBuilder,
) -> Client {
    builder
        .base_url(sandbox.base_url())
        .clock(clock.clone())
        .token_store(store.clone(), EncryptionKey::from_bytes(KEY))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_failed_read_under_the_lock_still_stores_the_token_and_frees_the_lock() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    // The second read is the one made after taking the lock.
    store
        .fail_load
        .store(2, std::sync::atomic::Ordering::SeqCst);
    let oauth = || ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD);
    balance_ok(&on_store(&sandbox, &clock, &store, oauth()), 1).await;
    let started = Instant::now();
    balance_ok(&on_store(&sandbox, &clock, &store, oauth()), 1).await;
    // Read from the store at once: no second fetch, no wait for a 10 s lease to lapse.
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_store_outage_never_destroys_the_session_the_others_use() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let ibsso = || ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD);
    let (a, b) = (
        on_store(&sandbox, &clock, &store, ibsso()),
        on_store(&sandbox, &clock, &store, ibsso()),
    );
    balance_ok(&a, 1).await;
    balance_ok(&b, 1).await;
    assert_eq!(sandbox.count(Endpoint::CreateSession), 1);
    // 56 minutes on, both local copies are due for renewal; B takes the session from the
    // store again (the store's idle clock, kept by the fleet, says it is fresh).
    clock.advance(Duration::from_secs(56 * 60));
    balance_ok(&b, 1).await;
    // Then the store fails while A renews: A keeps using the session instead of destroying
    // it under B.
    store.down.store(true, std::sync::atomic::Ordering::SeqCst);
    balance_ok(&a, 5).await;
    balance_ok(&b, 5).await;
    assert_eq!(sandbox.count(Endpoint::DestroySession), 0);
    assert_eq!(sandbox.count(Endpoint::CreateSession), 1);
}

#[tokio::test]
async fn a_new_replica_uses_a_valid_stored_token_when_renewal_fails() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let oauth = || ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD);
    balance_ok(&on_store(&sandbox, &clock, &store, oauth()), 1).await;
    // Inside the renewal margin (the last 5 minutes of an hour), with Infobip failing.
    clock.advance(Duration::from_secs(3400));
    sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::Status {
            status: 503,
            retry_after: None,
            times: 100,
        },
    );
    let fresh_replica = on_store(&sandbox, &clock, &store, oauth());
    balance_ok(&fresh_replica, 3).await;
    // It tried to renew (once, with its retries) and used the stored token meanwhile.
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1 + 3);
}

#[tokio::test]
async fn a_logout_from_a_replica_that_never_called_ends_the_shared_session() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let ibsso = || ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD);
    let worker = on_store(&sandbox, &clock, &store, ibsso());
    balance_ok(&worker, 1).await;
    assert_eq!(sandbox.active_sessions(DEMO_USERNAME), 1);
    on_store(&sandbox, &clock, &store, ibsso())
        .logout()
        .await
        .unwrap();
    assert_eq!(sandbox.count(Endpoint::DestroySession), 1);
    assert_eq!(sandbox.active_sessions(DEMO_USERNAME), 0);
    // The worker is refused once, logs in again, and carries on.
    balance_ok(&worker, 1).await;
    assert_eq!(sandbox.count(Endpoint::CreateSession), 2);
}

#[tokio::test]
async fn destroy_session_from_a_replica_that_never_called_ends_the_shared_session() {
    // Regression: the operation that ends a session took the token from this
    // process's cache only, so a replica (or a command-line run) that had made no call yet
    // failed with "there is no session to destroy" while the store held the fleet's session.
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let ibsso = || ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD);
    let worker = on_store(&sandbox, &clock, &store, ibsso());
    balance_ok(&worker, 1).await;
    let replica = on_store(&sandbox, &clock, &store, ibsso());
    replica.destroy_session().send().await.unwrap();
    assert_eq!(sandbox.active_sessions(DEMO_USERNAME), 0);
    // Gone from the store too: the worker logs in again rather than sending it.
    balance_ok(&worker, 1).await;
    assert_eq!(sandbox.count(Endpoint::CreateSession), 2);
    // With nothing anywhere, it is still "no session".
    let lone = on_store(&sandbox, &clock, &Flaky::default(), ibsso());
    let error = lone.destroy_session().send().await.unwrap_err();
    assert!(
        error.to_string().contains("no session to destroy"),
        "{error}"
    );
}

#[tokio::test]
async fn a_session_destroyed_by_a_direct_call_is_not_taken_from_the_store_again() {
    // Regression: a direct `destroy-session` call goes through `InfobipAuth::send_ending`, whose
    // `Tokens::ended` (auth/src/tokens.rs:116-118) only invalidates the local cache; unlike
    // `logout`, it never calls `Fleet::discard`. The dead session stays in the store (for up
    // to its idle timeout, until some call is refused for it): this very client reads it back
    // on its next call, sends it, is refused with a 401 and logs in again, and so does any
    // replica that reads it first. The code's own contract says a token ended this way "must
    // not be sent again".
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let ibsso = || ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD);
    let client = on_store(&sandbox, &clock, &store, ibsso());
    balance_ok(&client, 1).await;
    client.destroy_session().send().await.unwrap();
    assert_eq!(sandbox.active_sessions(DEMO_USERNAME), 0);
    balance_ok(&client, 1).await;
    balance_ok(&on_store(&sandbox, &clock, &store, ibsso()), 1).await;
    let refused: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetAccountBalance) && r.status == Some(401))
        .collect();
    assert!(
        refused.is_empty(),
        "{} call(s) sent the destroyed session",
        refused.len()
    );
}

#[tokio::test]
async fn a_failure_is_shared_instead_of_repeated_by_every_replica() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::Status {
            status: 500,
            retry_after: None,
            times: 100,
        },
    );
    let replicas: Vec<Client> = (0..4)
        .map(|_| {
            on_store(
                &sandbox,
                &clock,
                &store,
                ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD),
            )
        })
        .collect();
    let first = replicas[0].get_account_balance().send().await.unwrap_err();
    assert!(infobip_auth::AuthFailure::of(&first).is_some(), "{first}");
    assert_eq!(
        sandbox.count(Endpoint::CreateOAuth2Token),
        3,
        "one retry sequence"
    );
    for replica in &replicas[1..] {
        let e = replica.get_account_balance().send().await.unwrap_err();
        assert!(infobip_auth::AuthFailure::of(&e).is_some(), "{e}");
        assert!(e.to_string().contains("sharing this token store"), "{e}");
    }
    // Nobody repeated the failing requests.
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 3);
}

#[tokio::test]
async fn a_failing_renewal_is_not_retried_on_every_call() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let replicas: Vec<Client> = (0..4)
        .map(|_| {
            on_store(
                &sandbox,
                &clock,
                &store,
                ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD),
            )
        })
        .collect();
    for replica in &replicas {
        balance_ok(replica, 1).await;
    }
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);
    // Inside the renewal margin, with the token endpoint refusing (a rotated secret).
    clock.advance(Duration::from_secs(3400));
    sandbox.inject(
        Endpoint::CreateOAuth2Token,
        Fault::Status {
            status: 503,
            retry_after: None,
            times: 10_000,
        },
    );
    // Steady traffic from every replica: served by the still-valid token throughout.
    for _ in 0..50 {
        for replica in &replicas {
            balance_ok(replica, 1).await;
        }
    }
    // One renewal attempt (with its retries) for the whole fleet, not one per call.
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1 + 3);
}

#[tokio::test]
async fn a_zero_refresh_margin_does_not_restart_the_stored_session_on_every_call() {
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let client = on_store(
        &sandbox,
        &clock,
        &store,
        ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD).refresh_margin(Duration::ZERO),
    );
    balance_ok(&client, 100).await;
    // At most once a second (the calls take well under one), not a task per call.
    assert!(
        store.extends.load(std::sync::atomic::Ordering::SeqCst) <= 1,
        "{}",
        store.extends.load(std::sync::atomic::Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_lost_the_lock_ends_its_own_session_for_the_fleets() {
    let clock = ManualClock::new();
    let sandbox = Sandbox::start(
        SandboxConfig::for_tests()
            .with_clock(ClientClock(clock.clone()))
            .with_session_rule(SessionRule::Fresh),
    )
    .await
    .unwrap();
    let store = Flaky::default();
    store
        .refuse_renewals
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let replica = |store: &Flaky| {
        ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD)
            .base_url(sandbox.base_url())
            .clock(clock.clone())
            .token_store(store.clone(), EncryptionKey::from_bytes(KEY))
            .store_timeout(Duration::from_millis(20))
            .store_lease(Duration::from_millis(60))
            .build()
            .unwrap()
    };
    let (slow, fast) = (replica(&store), replica(&store));
    // The slow replica's login outlives its lease, which it cannot renew.
    sandbox.inject(
        Endpoint::CreateSession,
        Fault::Delay {
            delay: Duration::from_millis(500),
            times: 1,
        },
    );
    let slow_call = tokio::spawn({
        let slow = slow.clone();
        async move { slow.get_account_balance().send().await.map(drop) }
    });
    store.locked.notified().await;
    // The fast one takes the lapsed lock over, logs in and stores its session first.
    fast.get_account_balance().send().await.unwrap();
    slow_call.await.unwrap().unwrap();
    // The slow one ended its own session and uses the fleet's: one session for the user.
    assert_eq!(sandbox.count(Endpoint::CreateSession), 2);
    assert_eq!(sandbox.count(Endpoint::DestroySession), 1);
    assert_eq!(sandbox.active_sessions(DEMO_USERNAME), 1);
    balance_ok(&slow, 1).await;
    balance_ok(&fast, 1).await;
    let used: std::collections::HashSet<String> = sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetAccountBalance))
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(used.len(), 1, "{used:?}");
}

/// A `MemoryStore` that, like a store that cannot report expiry, answers every load without a
/// TTL (which `Stored::ttl`'s documentation allows: "if the store knows").
#[derive(Debug, Clone, Default)]
struct NoTtl(infobip_auth::store::MemoryStore);

impl infobip_auth::store::TokenStore for NoTtl {
    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> infobip_client::BoxFuture<
        'a,
        Result<Option<infobip_auth::store::Stored>, infobip_auth::store::StoreError>,
    > {
        Box::pin(async move {
            let stored = self.0.load(key).await?;
            Ok(stored.map(|s| infobip_auth::store::Stored {
                value: s.value,
                ttl: None,
            }))
        })
    }
    fn apply(
        &self,
        rule: infobip_auth::store::Rule,
    ) -> infobip_client::BoxFuture<'_, Result<bool, infobip_auth::store::StoreError>> {
        self.0.apply(rule)
    }
}

#[tokio::test]
async fn a_store_without_ttls_still_shares_one_session() {
    // Regression: `Stored::ttl` is documented as "how long the value has left, if the store
    // knows", so `None` is a valid answer for a custom store. For OAuth the entry carries its
    // own expiry and works; for IBSSO `Ibsso::token_from_entry` (auth/src/scheme/ibsso.rs:
    // 211, `ttl?`) reads an entry without a TTL as missing, so every replica, finding
    // "nothing", takes the lock and creates its own session. Under the strict rule the
    // second replica is refused outright; under fresh the user holds one session per replica,
    // the very thing the shared store is for.
    let clock = ManualClock::new();
    let sandbox = Sandbox::start(
        SandboxConfig::for_tests()
            .with_clock(ClientClock(clock.clone()))
            .with_session_rule(SessionRule::Strict),
    )
    .await
    .unwrap();
    let store = NoTtl::default();
    let replica = || {
        ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD)
            .base_url(sandbox.base_url())
            .clock(clock.clone())
            .token_store(store.clone(), EncryptionKey::from_bytes(KEY))
            .build()
            .unwrap()
    };
    let (a, b) = (replica(), replica());
    a.get_account_balance().send().await.unwrap();
    let second = b.get_account_balance().send().await;
    assert!(second.is_ok(), "{:?}", second.err().map(|e| e.to_string()));
    assert_eq!(sandbox.count(Endpoint::CreateSession), 1);
}

#[tokio::test]
async fn a_session_refused_once_is_replaced_once_and_never_shunned_after() {
    // Regression: the mark that keeps a refused token from being taken from the store
    // again was never cleared, so a replica that once saw a 401 later treated the fleet's
    // fresh session as absent and destroyed it under the others at its next renewal.
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let ibsso = || ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD);
    let (a, b) = (
        on_store(&sandbox, &clock, &store, ibsso()),
        on_store(&sandbox, &clock, &store, ibsso()),
    );
    balance_ok(&a, 1).await;
    balance_ok(&b, 1).await;
    // One of A's calls is answered 401 though the session is alive: a 401 does not prove it
    // dead, so A ends it before logging in again (one session for the user, never two).
    sandbox.inject(Endpoint::GetAccountBalance, Fault::status(401));
    balance_ok(&a, 1).await;
    assert_eq!(sandbox.count(Endpoint::DestroySession), 1);
    assert_eq!(sandbox.issued_tokens().len(), 2);
    assert_eq!(sandbox.active_sessions(DEMO_USERNAME), 1);
    // B picks up the new session (once refused itself); A is idle until its copy is due.
    balance_ok(&b, 1).await;
    clock.advance(Duration::from_secs(30 * 60));
    balance_ok(&b, 1).await;
    clock.advance(Duration::from_secs(26 * 60));
    balance_ok(&a, 1).await;
    balance_ok(&b, 1).await;
    // A took the fleet's fresh session from the store: nothing destroyed or created since.
    assert_eq!(
        sandbox.count(Endpoint::DestroySession),
        1,
        "A destroyed the fleet's session"
    );
    assert_eq!(sandbox.issued_tokens().len(), 2);
}

#[tokio::test]
async fn a_session_refused_once_and_handed_back_is_taken_from_the_store_again() {
    // The same session comes back when ending it failed and the server reuses a live one: the
    // replica must not go on shunning it in the store.
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let ibsso = || ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD);
    let (a, b) = (
        on_store(&sandbox, &clock, &store, ibsso()),
        on_store(&sandbox, &clock, &store, ibsso()),
    );
    balance_ok(&a, 1).await;
    balance_ok(&b, 1).await;
    sandbox.inject(Endpoint::GetAccountBalance, Fault::status(401));
    sandbox.inject(Endpoint::DestroySession, Fault::status(500));
    balance_ok(&a, 1).await;
    assert_eq!(
        sandbox.issued_tokens().len(),
        1,
        "the same session, handed back"
    );
    clock.advance(Duration::from_secs(30 * 60));
    balance_ok(&b, 1).await;
    clock.advance(Duration::from_secs(26 * 60));
    balance_ok(&a, 1).await;
    balance_ok(&b, 1).await;
    assert_eq!(sandbox.issued_tokens().len(), 1);
    assert_eq!(
        sandbox.answered(Endpoint::DestroySession),
        1,
        "only the failed attempt"
    );
}

// ---------------------------------------------------------------------------------------
// A store entry and a remembered failure belong to one secret (issue 21, E).
// ---------------------------------------------------------------------------------------

/// A pause long enough that a test would notice it standing.
fn long_pause() -> infobip_auth::retry::LoginCooldown {
    infobip_auth::retry::LoginCooldown {
        first: Duration::from_secs(600),
        max: Duration::from_secs(600),
        ..infobip_auth::retry::LoginCooldown::default()
    }
}

/// A builder for the demo user with the given password.
type WithPassword = fn(&str) -> ClientBuilder;

/// The two schemes with tokens to share, each with the operation that logs in.
fn renewing_schemes() -> [(WithPassword, Endpoint); 2] {
    [
        (
            |password| ClientBuilder::oauth2(DEMO_USERNAME, password.to_owned()),
            Endpoint::CreateOAuth2Token,
        ),
        (
            |password| ClientBuilder::ibsso(DEMO_USERNAME, password.to_owned()),
            Endpoint::CreateSession,
        ),
    ]
}

#[tokio::test]
async fn a_corrected_password_logs_in_at_once_after_a_wrong_one_failed() {
    // Before: the store named a credential's entry, lock and failure after its user alone, so
    // one mistyped password made every client of the user, the right password included, fail
    // with "failed moments ago for a client sharing this token store" for the whole pause.
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    for (builder, login) in renewing_schemes() {
        let store = Flaky::default();
        let with = |password: &str| {
            let builder = builder(password).login_cooldown(long_pause());
            on_store(&sandbox, &clock, &store, builder)
        };
        let e = with("mistyped-password")
            .get_account_balance()
            .send()
            .await
            .unwrap_err();
        assert!(infobip_auth::AuthFailure::of(&e).is_some(), "{e}");
        assert_eq!(sandbox.count(login), 1);
        // The same mistake in another process is told of it without asking Infobip again:
        // failures are still shared, by the clients with the same secret.
        let e = with("mistyped-password")
            .get_account_balance()
            .send()
            .await
            .unwrap_err();
        assert!(e.to_string().contains("sharing this token store"), "{e}");
        assert_eq!(sandbox.count(login), 1);

        balance_ok(&with(DEMO_PASSWORD), 1).await;
        assert_eq!(sandbox.count(login), 2, "{login:?}: logged in at once");
    }
}

#[tokio::test]
async fn a_wrong_password_never_gets_the_token_another_process_stored() {
    // Before: a client with a wrong or revoked password read the token (or session) another
    // client had obtained with the right one from the store, and used it until it expired.
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    for (builder, login) in renewing_schemes() {
        let store = Flaky::default();
        let with = |password: &str| on_store(&sandbox, &clock, &store, builder(password));
        let right = with(DEMO_PASSWORD);
        balance_ok(&right, 1).await;
        let logins = sandbox.count(login);

        let e = with("revoked-password")
            .get_account_balance()
            .send()
            .await
            .unwrap_err();
        assert!(
            infobip_auth::AuthFailure::of(&e).is_some(),
            "{login:?}: {e}"
        );
        assert_eq!(sandbox.count(login), logins + 1, "it asked Infobip itself");

        // Those with the right password still share theirs, untouched by the refusal.
        balance_ok(&right, 1).await;
        balance_ok(&with(DEMO_PASSWORD), 1).await;
        assert_eq!(sandbox.count(login), logins + 1);
    }
}

#[tokio::test]
async fn a_fleet_that_fixes_its_password_logs_in_once_with_the_new_one() {
    // The keys follow the secret a source hands over: once fixed, the first replica to see the
    // new password logs in at once (the old one's pause is the old one's), and the others,
    // seeing it too, take that replica's token from the store.
    let clock = ManualClock::new();
    let sandbox = sandbox(&clock).await;
    let store = Flaky::default();
    let password = Arc::new(std::sync::Mutex::new(String::from("mistyped-password")));
    let replica = || {
        let password = password.clone();
        let source = infobip_auth::secret::SecretFn::new(move || {
            Ok(secrecy::SecretString::from(
                password.lock().unwrap().clone(),
            ))
        });
        let builder = ClientBuilder::oauth2_from(DEMO_USERNAME, source)
            .secret_check_interval(Duration::from_secs(1))
            .login_cooldown(long_pause());
        on_store(&sandbox, &clock, &store, builder)
    };
    let (a, b) = (replica(), replica());
    a.get_account_balance().send().await.unwrap_err();
    let e = b.get_account_balance().send().await.unwrap_err();
    assert!(e.to_string().contains("sharing this token store"), "{e}");
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 1);

    *password.lock().unwrap() = DEMO_PASSWORD.to_owned();
    clock.advance(Duration::from_secs(1));
    balance_ok(&a, 1).await;
    assert_eq!(sandbox.count(Endpoint::CreateOAuth2Token), 2);
    balance_ok(&b, 1).await;
    assert_eq!(
        sandbox.count(Endpoint::CreateOAuth2Token),
        2,
        "the fleet shares the new password's token"
    );
}

#[test]
fn every_process_with_the_same_credential_and_key_names_the_same_entry() {
    // Before: the key named the user alone, so a process with another password, or with
    // another encryption key, named the same entry.
    let redis = RedisServer::start();
    let infobip = Infobip::start();
    let store = ("INFOBIP_TOKEN_STORE", redis.url());
    let key_of = |extra: &[(&str, String)]| {
        let mut env = vec![store.clone()];
        env.extend_from_slice(extra);
        let mut member = Member::spawn_env(&infobip, "oauth2", 10_000, Stdio::null(), &env);
        member.send("key");
        let answer = member.answer();
        answer.strip_prefix("key ").unwrap().to_owned()
    };
    let first = key_of(&[]);
    assert_eq!(key_of(&[]), first);
    let other_password = key_of(&[("INFOBIP_PASSWORD", String::from("another-password"))]);
    assert_ne!(other_password, first);
    let other_key = key_of(&[("INFOBIP_TOKEN_STORE_KEY", key_b64([8; 32]))]);
    assert_ne!(other_key, first);
    for key in [&first, &other_password, &other_key] {
        assert!(key.starts_with("infobip-auth:v2:{"), "{key}");
        for hidden in [DEMO_USERNAME, DEMO_PASSWORD, "another-password"] {
            assert!(!key.contains(hidden), "{key}");
        }
    }

    // A client in this process, configured alike, agrees.
    let client = ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(infobip.sandbox.base_url())
        .redis_token_store(redis.url(), EncryptionKey::from_bytes(KEY))
        .build()
        .unwrap();
    assert_eq!(store_key(&client), first);
}

// ---------------------------------------------------------------------------------------
// Redis Cluster (issue 21, F).
// ---------------------------------------------------------------------------------------

#[test]
fn eight_processes_share_one_token_on_a_redis_cluster_through_a_failover() {
    let started = Instant::now();
    let mut cluster = RedisCluster::start();
    let formed = started.elapsed();
    let infobip = Infobip::start();
    let nodes = ("INFOBIP_TOKEN_STORE_CLUSTER", cluster.urls().join(","));
    // A short lease: a lock the killed master held, if its replica had it, lapses soon.
    let mut fleet: Vec<Member> = (0..8)
        .map(|_| {
            let nodes = std::slice::from_ref(&nodes);
            Member::spawn_env(&infobip, "oauth2", 3000, Stdio::null(), nodes)
        })
        .collect();
    let keys = Member::all(&mut fleet, "key");
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    let key = keys[0].strip_prefix("key ").unwrap().to_owned();
    let tokens = || infobip.sandbox.count(Endpoint::CreateOAuth2Token);
    let expire = |fleet: &mut [Member]| {
        infobip.clock.advance(Duration::from_secs(3700));
        for answer in Member::all(fleet, "advance 3700") {
            assert_eq!(answer, "advanced");
        }
    };

    assert_all_ok(&Member::all(&mut fleet, "burst 50"), 50);
    assert_eq!(tokens(), 1);

    // Every token expires, and the master holding the credential's slot (its entry and its
    // lock) dies while the members look for a new one: every call still works, each member
    // fetching for itself while the store cannot answer.
    expire(&mut fleet);
    let master = cluster.master_of(&key).expect("a master serves the slot");
    for member in fleet.iter_mut() {
        member.send("burst 50");
    }
    cluster.kill(master);
    let answers: Vec<String> = fleet.iter_mut().map(Member::answer).collect();
    assert_all_ok(&answers, 50);
    let during = tokens() - 1;
    assert!(
        (1..=8).contains(&during),
        "{during} tokens during the failover"
    );

    // Once its replica has taken over, the fleet shares one token again.
    let new_master = cluster.wait_for_master_of(&key);
    assert_ne!(new_master, master);
    let failed_over = started.elapsed();
    expire(&mut fleet);
    let sent_before = infobip.sandbox.requests().len();
    assert_all_ok(&Member::all(&mut fleet, "burst 50"), 50);
    assert_eq!(tokens(), 1 + during + 1, "one token after the failover");
    let used: std::collections::HashSet<String> = infobip.sandbox.requests()[sent_before..]
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetAccountBalance))
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(used.len(), 1, "every member sent the one token");
    eprintln!(
        "cluster formed in {formed:?}, failed over by {failed_over:?}, test done in {:?}",
        started.elapsed()
    );
}
