//! Helpers shared by the workspace's integration tests.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// How long the server waits before answering (to provoke client timeouts).
    pub delay: Option<Duration>,
    /// Held until this many replies wait on the same barrier: makes "all at once" exact.
    pub barrier: Option<Arc<tokio::sync::Barrier>>,
}

impl Reply {
    /// A reply with a JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            delay: None,
            barrier: None,
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

    /// Answers only after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
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
/// (404 when the queue is empty).
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
    if let Some(barrier) = &reply.barrier {
        barrier.wait().await;
    }
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
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

/// A small stand-in for Infobip's login endpoints and two authenticated ones, for the auth
/// crate's tests. (The full, stateful sandbox is the `sandbox` crate.)
pub mod fake {
    use std::collections::{HashSet, VecDeque};
    use std::sync::{Arc, Mutex};

    use super::{Recorded, Reply};

    /// The only username the fake accepts.
    pub const USERNAME: &str = "fake-user";
    /// Its password.
    pub const PASSWORD: &str = "pa55-SECRET-word";
    /// The only API key the fake accepts.
    pub const API_KEY: &str = "api-key-SECRET-123";
    /// Every token the fake issues contains this, so leak checks can look for it.
    pub const TOKEN_MARK: &str = "SECRET";

    const LEGACY_401: &str = r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}"#;

    #[derive(Default)]
    struct State {
        issued: u64,
        valid: HashSet<String>,
        expires_in: i64,
        login_faults: VecDeque<Reply>,
        rejections: Option<Arc<tokio::sync::Barrier>>,
    }

    /// The fake's state; clone it into a [`RecordingServer`](super::RecordingServer) handler.
    #[derive(Clone)]
    pub struct FakeInfobip {
        state: Arc<Mutex<State>>,
    }

    impl Default for FakeInfobip {
        fn default() -> Self {
            Self::new()
        }
    }

    impl FakeInfobip {
        /// Tokens live 3600 s.
        pub fn new() -> Self {
            let state = State {
                expires_in: 3600,
                ..State::default()
            };
            Self {
                state: Arc::new(Mutex::new(state)),
            }
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(|p| p.into_inner())
        }

        /// The `expires_in` of tokens issued from now on.
        pub fn set_expires_in(&self, seconds: i64) {
            self.lock().expires_in = seconds;
        }

        /// Ends every session and token, as a server-side logout would.
        pub fn revoke_all(&self) {
            self.lock().valid.clear();
        }

        /// Whether a token or session is still accepted.
        pub fn is_valid(&self, token: &str) -> bool {
            self.lock().valid.contains(token)
        }

        /// Holds every 401 on the balance endpoint until `n` of them are waiting, so that `n`
        /// callers are certain to have been rejected at the same time.
        pub fn hold_rejections(&self, n: usize) {
            self.lock().rejections = Some(Arc::new(tokio::sync::Barrier::new(n)));
        }

        /// Answers the next login call (token or session) with `reply` instead.
        pub fn fail_next_login(&self, reply: Reply) {
            self.lock().login_faults.push_back(reply);
        }

        /// How many tokens and sessions were issued.
        pub fn issued(&self) -> u64 {
            self.lock().issued
        }

        /// The server's answer to `request`.
        pub fn answer(&self, request: &Recorded) -> Reply {
            let path = request.path.as_str();
            let method = request.method.as_str();
            let login = matches!(
                (method, path),
                ("POST", "/auth/1/oauth2/token") | ("POST", "/auth/1/session")
            );
            if login {
                if let Some(fault) = self.lock().login_faults.pop_front() {
                    return fault;
                }
            }
            match (method, path) {
                ("POST", "/auth/1/oauth2/token") => {
                    let expected = format!(
                        "client_id={USERNAME}&client_secret={PASSWORD}&grant_type=client_credentials"
                    );
                    if request.body != expected {
                        return Reply::json(401, LEGACY_401);
                    }
                    let mut state = self.lock();
                    state.issued += 1;
                    let token = format!("oauth-{}-{TOKEN_MARK}", state.issued);
                    state.valid.insert(format!("Bearer {token}"));
                    Reply::json(
                        200,
                        format!(
                            r#"{{"access_token":"{token}","expires_in":{},"token_type":"Bearer"}}"#,
                            state.expires_in
                        ),
                    )
                }
                ("POST", "/auth/1/session") => {
                    let body: serde_json::Value =
                        serde_json::from_str(&request.body).unwrap_or_default();
                    if body["username"] != USERNAME || body["password"] != PASSWORD {
                        return Reply::json(401, LEGACY_401);
                    }
                    let mut state = self.lock();
                    state.issued += 1;
                    let token = format!("ibsso-{}-{TOKEN_MARK}", state.issued);
                    state.valid.insert(format!("IBSSO {token}"));
                    Reply::json(200, format!(r#"{{"token":"{token}"}}"#))
                }
                ("DELETE", "/auth/1/session") => {
                    let header = request.header("authorization").unwrap_or_default();
                    if header.starts_with("IBSSO ") && self.lock().valid.remove(header) {
                        Reply::empty(200)
                    } else {
                        Reply::json(401, LEGACY_401)
                    }
                }
                ("GET", "/account/1/balance") => {
                    if self.accepts(request, true) {
                        Reply::json(200, r#"{"balance":12.5,"currency":"EUR"}"#)
                    } else {
                        let mut reply = Reply::json(401, LEGACY_401);
                        reply.barrier = self.lock().rejections.clone();
                        reply
                    }
                }
                ("GET", "/settings/2/api-keys") => {
                    if self.accepts(request, false) {
                        Reply::json(200, r#"{"apiKeys":[],"paging":{"page":0,"totalCount":0}}"#)
                    } else {
                        Reply::json(
                            401,
                            r#"{"errorCode":"E401","description":"Unauthorized","action":"Check the credentials","violations":[],"resources":[]}"#,
                        )
                    }
                }
                _ => Reply::empty(404),
            }
        }

        fn accepts(&self, request: &Recorded, api_key_allowed: bool) -> bool {
            let header = request.header("authorization").unwrap_or_default();
            let basic = format!("Basic {}", basic_credentials());
            header == basic
                || (api_key_allowed && header == format!("App {API_KEY}"))
                || self.lock().valid.contains(header)
        }
    }

    /// base64 of `USERNAME:PASSWORD`, as the Basic header carries it.
    pub fn basic_credentials() -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"))
    }
}

pub mod redis_server {
    //! A real `redis-server` on a loopback port, for the token store tests.

    // Test support: failing to start the server is a failed test, with the reason.
    #![allow(clippy::expect_used)]

    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};

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
            let mut last = String::new();
            // The port is picked by the OS, then handed to redis-server; another process may
            // take it in between, so a failed start is retried on a new port.
            for _ in 0..5 {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map(|a| a.port())
                    .expect("a free loopback port");
                let spawned = Command::new("redis-server")
                    .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                    .args(["--save", "", "--appendonly", "no", "--loglevel", "notice"])
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
                    return Self {
                        child: Some(child),
                        port,
                    };
                }
                let _ = child.kill();
                let _ = child.wait();
            }
            panic!("redis-server did not start; its last line: {last}");
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
}

/// Every tracing event, as text, written by the subscriber [`subscriber`](Self::subscriber)
/// returns (at TRACE, without colours), for tests that assert what reaches the logs.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// A subscriber that writes every event, at every level, into this capture.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
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
