//! Helpers shared by the workspace's integration tests, and what each is for.
//!
//! - **The sandbox** (`infobip_sandbox::Sandbox`, not here) is the one stand-in for Infobip:
//!   every test of how a client behaves against Infobip (`schemes`, `lifecycle`, `faults`,
//!   `concurrency`, `secrets`, `fleet`, `wire_snapshots`) runs against it, and its fault
//!   injection (`infobip_sandbox::Fault`: statuses, exact replies, delays, cut-off bodies,
//!   dropped connections, calls held until N arrive) plays Infobip misbehaving. A
//!   misbehaviour a test needs that it cannot play belongs in the sandbox, not in a second
//!   stand-in.
//! - [`RecordingServer`] answers canned [`Reply`]s and records the raw requests, for tests
//!   that must see or answer bytes outside Infobip's behaviour: the wire tests
//!   (`tests/tests/wire.rs`: each operation's exact request, and arbitrary bodies parsed;
//!   `tests/tests/deprecation.rs`: `Deprecation` and `Sunset` headers on answers) and
//!   the property tests' server tokens (`auth/tests/properties.rs`: any token a server could
//!   send).
//! - [`ClientClock`] lets the clients' `ManualClock` drive the sandbox's clock too.
//! - [`CapturedLogs`] is the one log capture: every test that reads what reaches the logs
//!   (`secrets`, `fleet`, `deprecation`) installs its subscriber.
//! - [`redis_server::RedisServer`] runs a real `redis-server` for the token store tests
//!   (`fleet`), whose replicas are the `fleet-member` binary of this crate, and
//!   [`redis_server::RedisCluster`] a real Redis Cluster of six.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// HTTP method.
    pub method: Method,
    /// Path without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// All headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Recorded {
    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body, sent as `application/json` when not empty.
    pub body: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// A reply with a JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// A reply without a body.
    pub fn empty(status: u16) -> Self {
        Self::json(status, "")
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Decides the answer to a request that no queued reply covers.
pub type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

struct State {
    log: Vec<Recorded>,
    replies: VecDeque<Reply>,
    handler: Option<Handler>,
}

/// A loopback HTTP server that records every request and answers from a queue of replies
/// (404 when the queue is empty), for raw bytes outside Infobip's behaviour; see the crate
/// docs.
pub struct RecordingServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingServer {
    /// Binds to a port the OS picks on 127.0.0.1.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_inner(None).await
    }

    /// Like [`start`](Self::start), answering with `handler` when no reply is queued.
    pub async fn start_with(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        Self::start_inner(Some(Arc::new(handler))).await
    }

    async fn start_inner(handler: Option<Handler>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            log: Vec::new(),
            replies: VecDeque::new(),
            handler,
        }));
        let handler_state = state.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let state = handler_state.clone();
            async move { record(state, request).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues the answer to the next unanswered request.
    pub fn reply(&self, reply: Reply) {
        lock(&self.state).replies.push_back(reply);
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).log.clone()
    }

    /// How many requests so far had this method and path.
    pub fn count(&self, method: &str, path: &str) -> usize {
        lock(&self.state)
            .log
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    /// Removes and returns every request so far.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut lock(&self.state).log)
    }
}

impl Drop for RecordingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panicking test thread must not hide the log from the next assertion.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn record(state: Arc<Mutex<State>>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (queued, handler) = {
        let mut state = lock(&state);
        state.log.push(recorded.clone());
        (state.replies.pop_front(), state.handler.clone())
    };
    // The handler runs outside the lock: it may take locks of its own.
    let reply = queued
        .or_else(|| handler.map(|h| h(&recorded)))
        .unwrap_or_else(|| Reply::empty(404));
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &reply.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    if !reply.body.is_empty() {
        response = response.header("content-type", "application/json");
    }
    response
        .body(Body::from(reply.body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// A loopback server (on a thread of its own, port picked by the OS) that answers every request
/// with `status`, a `content-type` and a `content-length` larger than the body it sends: it
/// sends `part` and closes the connection, so the answer breaks off mid-body. The sandbox's
/// `Fault::MalformedBody` is a complete answer whose JSON is cut; this is a transport failure
/// after the status and headers arrived. Found for the hostile review (tests marked
/// `hostile review`).
pub struct CutOffServer {
    addr: SocketAddr,
}

impl CutOffServer {
    /// Starts answering at once.
    pub fn start(
        status: u16,
        content_type: &'static str,
        part: &'static str,
    ) -> std::io::Result<Self> {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                // The whole request first (head, then the body its content-length names), so
                // that closing the connection does not reset it before the answer is read.
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                let mut wanted = None;
                loop {
                    if wanted.is_none() {
                        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            wanted = Some(end + 4 + length);
                        }
                    }
                    if wanted.is_some_and(|w| seen.len() >= w) {
                        break;
                    }
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status} Whatever\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{part}",
                    part.len() + 1000
                );
                let _ = stream.write_all(answer.as_bytes());
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        });
        Ok(Self { addr })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

thread_local! {
    static TRACED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Enables every span and event of the threads inside [`traced_here`], and none elsewhere.
struct ThisThread;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ThisThread {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        // Asked again at each span: whether it is enabled depends on the thread.
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(
        &self,
        _: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        TRACED.with(std::cell::Cell::get)
    }
}

/// A client's clock (an `infobip_auth::clock::ManualClock` in tests) as the sandbox's time source,
/// so that one fake clock expires tokens and sessions on both sides at once:
/// `SandboxConfig::for_tests().with_clock(ClientClock(clock.clone()))`. The sandbox has a
/// clock trait of its own because it does not depend on the auth crate it stands in for.
#[derive(Debug, Clone)]
pub struct ClientClock<C>(pub C);

impl<C: infobip_auth::clock::Clock> infobip_sandbox::Clock for ClientClock<C> {
    fn now(&self) -> std::time::Instant {
        self.0.now()
    }

    fn wall(&self) -> std::time::SystemTime {
        self.0.wall()
    }
}

/// Runs `f` with every span and event enabled on this thread (and the current-thread runtime
/// it drives), as in a service that traces at INFO: for tests where a call must behave the
/// same with and without a subscriber. A process-wide subscriber decides per thread: a scoped
/// `tracing::subscriber::set_default` cannot promise it, because while it is the only scoped
/// dispatcher, a callsite first reached on another test's thread caches "never" for every
/// thread. Do not use it in a test binary that installs its own global subscriber.
pub fn traced_here<T>(f: impl FnOnce() -> T) -> T {
    use tracing_subscriber::layer::SubscriberExt as _;
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(ThisThread),
        );
    });
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            TRACED.with(|t| t.set(false));
        }
    }
    TRACED.with(|t| t.set(true));
    let _reset = Reset;
    f()
}

pub mod redis_server {
    //! Real `redis-server`s on loopback ports, for the token store tests: one server, or a
    //! Redis Cluster of six.

    // Test support: failing to start the servers is a failed test, with the reason.
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// `n` distinct free loopback ports. The listeners are held until all are picked, so the
    /// OS hands out `n` different ones; another process may still take one before the server
    /// binds it, which the starts below retry.
    fn free_ports<const N: usize>() -> [u16; N] {
        let listeners: Vec<TcpListener> = (0..N)
            .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
            .collect();
        std::array::from_fn(|i| listeners[i].local_addr().expect("a bound port").port())
    }

    /// Starts `redis-server` with the arguments `args` gives for a port it picks, and waits
    /// until it accepts connections; a start that fails (a port taken meanwhile) is retried
    /// with new ports.
    fn start(args: impl Fn() -> (u16, Vec<String>)) -> (Child, u16) {
        let mut last = String::new();
        for _ in 0..5 {
            let (port, args) = args();
            let spawned = Command::new("redis-server")
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn();
            let mut child = match spawned {
                Ok(child) => child,
                Err(e) => panic!(
                    "cannot run redis-server ({e}); install it with `apt-get install redis-server` (.ci/run does)"
                ),
            };
            let stdout = child.stdout.take().expect("piped stdout");
            let mut lines = BufReader::new(stdout).lines();
            // Read its log until it is ready, or until it exits (EOF).
            let ready = lines.by_ref().map_while(Result::ok).any(|line| {
                last = line.clone();
                line.contains("Ready to accept connections")
            });
            if ready {
                // Keep draining its log so that it never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return (child, port);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start; its last line: {last}");
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|&a| a.to_owned()).collect()
    }

    /// What every server of these tests runs with: `port` on loopback, nothing persisted.
    fn server_args(port: u16) -> Vec<String> {
        let mut args = strings(&["--port", &port.to_string(), "--bind", "127.0.0.1"]);
        args.extend(strings(&["--save", "", "--appendonly", "no"]));
        args.extend(strings(&["--loglevel", "notice"]));
        args
    }

    /// A `redis-server` child process, killed on drop. Nothing is persisted.
    pub struct RedisServer {
        child: Option<Child>,
        port: u16,
    }

    impl RedisServer {
        /// Starts `redis-server` on a free loopback port and waits until it accepts
        /// connections.
        ///
        /// # Panics
        /// If `redis-server` is not installed (`apt-get install redis-server`; `.ci/run`
        /// installs it) or does not start.
        pub fn start() -> Self {
            let (child, port) = start(|| {
                let [port] = free_ports();
                (port, server_args(port))
            });
            Self {
                child: Some(child),
                port,
            }
        }

        /// `redis://127.0.0.1:PORT`.
        pub fn url(&self) -> String {
            format!("redis://127.0.0.1:{}", self.port)
        }

        /// Kills the server (to test a store that goes away mid-run).
        pub fn stop(&mut self) {
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            self.stop();
        }
    }

    /// How long the cluster may take to form, or to fail over.
    const CLUSTER_WITHIN: Duration = Duration::from_secs(30);

    /// A Redis Cluster on loopback: six `redis-server`s (three masters, one replica each),
    /// each killed on drop, whatever happened before (a failed assertion included). Nodes
    /// notice a dead peer after 1 s (`cluster-node-timeout`), so a failover takes a few
    /// seconds. Nothing is persisted; the nodes' cluster files live in a temporary directory.
    pub struct RedisCluster {
        nodes: Vec<RedisServer>,
        // Dropped after the nodes (fields drop in order), which write to it until they die.
        _dir: tempfile::TempDir,
    }

    impl RedisCluster {
        /// Starts six nodes, joins them into a cluster with `redis-cli --cluster create`, and
        /// returns when every node reports `cluster_state:ok` and every replica is in sync.
        ///
        /// # Panics
        /// If `redis-server` or `redis-cli` (Debian's `redis-tools`, which `redis-server`
        /// depends on) is missing, or the cluster does not form within 30 s.
        pub fn start() -> Self {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let mut cluster = Self {
                nodes: Vec::new(),
                _dir: dir,
            };
            for _ in 0..6 {
                let node = cluster_node(cluster._dir.path());
                cluster.nodes.push(node);
            }
            let mut create = Command::new("redis-cli");
            create.arg("--cluster").arg("create");
            for node in &cluster.nodes {
                create.arg(format!("127.0.0.1:{}", node.port));
            }
            let created = create
                .args(["--cluster-replicas", "1", "--cluster-yes"])
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run redis-cli ({e}); it comes with Debian's redis-server (redis-tools)"));
            assert!(
                created.status.success(),
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&created.stdout),
                String::from_utf8_lossy(&created.stderr)
            );
            cluster.wait_until("the cluster forms", |cluster| {
                cluster.live().all(|port| {
                    let info = cli(port, &["CLUSTER", "INFO"]);
                    let replication = cli(port, &["INFO", "replication"]);
                    info.contains("cluster_state:ok")
                        && (replication.contains("role:master")
                            || replication.contains("master_link_status:up"))
                })
            });
            cluster
        }

        /// The URL of every node, dead ones included (as a service's configuration would list
        /// them).
        pub fn urls(&self) -> Vec<String> {
            self.nodes.iter().map(RedisServer::url).collect()
        }

        /// The port of the master that serves `key`'s hash slot now, as the live nodes see it
        /// (`CLUSTER KEYSLOT`, then `CLUSTER NODES`); `None` while no live master serves it.
        pub fn master_of(&self, key: &str) -> Option<u16> {
            let port = self.live().next()?;
            let slot: u16 = cli(port, &["CLUSTER", "KEYSLOT", key])
                .trim()
                .parse()
                .ok()?;
            let nodes = cli(port, &["CLUSTER", "NODES"]);
            let master = nodes.lines().find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let flags = fields.get(2)?;
                if !flags.split(',').any(|f| f == "master") || flags.contains("fail") {
                    return None;
                }
                let serves = fields.get(8..)?.iter().any(|range| {
                    let (low, high) = range.split_once('-').unwrap_or((range, range));
                    matches!((low.parse::<u16>(), high.parse::<u16>()), (Ok(l), Ok(h)) if l <= slot && slot <= h)
                });
                let address = fields.get(1)?.split('@').next()?;
                serves.then(|| address.rsplit(':').next()?.parse::<u16>().ok())?
            })?;
            self.live().any(|p| p == master).then_some(master)
        }

        /// Kills the node on `port` (SIGKILL: no goodbye to its peers).
        pub fn kill(&mut self, port: u16) {
            let node = self
                .nodes
                .iter_mut()
                .find(|node| node.port == port)
                .expect("a node of this cluster");
            node.stop();
        }

        /// Waits until a live master serves `key`'s slot and every live node reports
        /// `cluster_state:ok`: the failover after a master was killed is over.
        pub fn wait_for_master_of(&self, key: &str) -> u16 {
            self.wait_until("a replica takes over", |cluster| {
                cluster.master_of(key).is_some()
                    && cluster
                        .live()
                        .all(|port| cli(port, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
            });
            self.master_of(key).expect("a master, just seen")
        }

        fn live(&self) -> impl Iterator<Item = u16> + '_ {
            self.nodes
                .iter()
                .filter(|node| node.child.is_some())
                .map(|node| node.port)
        }

        /// Polls `done` every 50 ms until it holds.
        fn wait_until(&self, what: &str, done: impl Fn(&Self) -> bool) {
            let deadline = Instant::now() + CLUSTER_WITHIN;
            while !done(self) {
                assert!(
                    Instant::now() < deadline,
                    "{what}: not within {CLUSTER_WITHIN:?}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// One cluster-enabled node: its client port and its cluster bus port both free (the bus
    /// port's default, port + 10000, may be taken or out of range).
    fn cluster_node(dir: &Path) -> RedisServer {
        let (child, port) = start(|| {
            let [port, bus] = free_ports();
            let config = dir.join(format!("nodes-{port}.conf"));
            let mut args = server_args(port);
            args.extend(strings(&["--cluster-enabled", "yes"]));
            args.extend(strings(&["--cluster-port", &bus.to_string()]));
            args.extend(strings(&[
                "--cluster-config-file",
                &config.to_string_lossy(),
            ]));
            args.extend(strings(&["--cluster-node-timeout", "1000"]));
            // A replica may take over however long it was out of touch: the test kills its
            // master right after the cluster forms.
            args.extend(strings(&["--cluster-replica-validity-factor", "0"]));
            // Replicas sync at once, not after the default 5 s wait for more replicas.
            args.extend(strings(&["--repl-diskless-sync-delay", "0"]));
            args.extend(strings(&["--dir", &dir.to_string_lossy()]));
            (port, args)
        });
        RedisServer {
            child: Some(child),
            port,
        }
    }

    /// `redis-cli -p PORT ARGS...`: its output, or nothing if it fails (a node just killed).
    fn cli(port: u16, args: &[&str]) -> String {
        Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default()
    }
}

/// Every tracing event and closed span, as text, written by the subscriber [`subscriber`](Self::subscriber)
/// returns (at TRACE, without colours), for tests that assert what reaches the logs.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// A subscriber that writes every event, at every level, into this capture.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        self.subscriber_at(tracing::Level::TRACE)
    }

    /// A subscriber that writes the events at `level` and above into this capture: below
    /// INFO, the call spans are off, which is how a service that logs only warnings runs.
    pub fn subscriber_at(
        &self,
        level: tracing::Level,
    ) -> impl tracing::Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            // A closed span prints its fields: what was recorded in it is captured too.
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(move || writer.clone())
            .finish()
    }

    /// Everything captured so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// Everything captured so far, as written.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
