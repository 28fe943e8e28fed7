use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::account_bodies::CreateKeyRequest;
use crate::config::SandboxConfig;
use crate::http::from_json;
use crate::keys::CreatedKey;
use crate::log::LogStats;
use crate::model::{Endpoint, Fault, RecordedRequest, SchemeUsed};
use crate::routes::{router, ConnectionKill};
use crate::sms::webhooks;
use crate::state::Shared;

/// How long [`Sandbox::shutdown`] waits for requests in flight (a delayed one, say).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running sandbox server. Dropping it stops the server too, without waiting.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    connections: Arc<Connections>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Why [`Sandbox::start`] failed. Converts into `std::io::Error`, for callers that return
/// one.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address is not loopback and [`SandboxConfig::allow_remote`] is off.
    #[error(
        "the sandbox will not listen on {addr}: it is not a loopback address, and the demo \
         account's password is public, so anyone who can reach {addr} could use the sandbox; \
         listen on 127.0.0.1 or ::1, or allow it knowingly (SandboxConfig::allow_remote, \
         `--allow-remote` on the command line)"
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The address could not be bound (in use, not an address of this machine, no
    /// permission for a port below 1024).
    #[error(
        "the sandbox cannot listen on {addr}: {source}; choose another port (0: one the \
         system picks) or address"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The HTTP client that posts webhooks could not be built (no TLS roots, typically).
    #[error("the sandbox cannot build the HTTP client that posts webhooks: {0}")]
    WebhookClient(#[source] std::io::Error),
}

impl From<StartError> for std::io::Error {
    fn from(error: StartError) -> Self {
        let kind = match &error {
            StartError::NotLoopback { .. } => std::io::ErrorKind::PermissionDenied,
            StartError::Bind { source, .. } | StartError::WebhookClient(source) => source.kind(),
        };
        std::io::Error::new(kind, error)
    }
}

/// Connections open now and at most, and the permits that bound them.
#[derive(Debug)]
struct Connections {
    permits: Arc<Semaphore>,
    max: usize,
    peak: AtomicUsize,
    /// Whether the limit was reached since it was last warned about, so that a flood gives
    /// one warning rather than one per connection.
    full: AtomicBool,
}

impl Connections {
    fn new(max: usize) -> Self {
        // Zero would accept nothing, ever: serve one at a time instead.
        let max = max.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            peak: AtomicUsize::new(0),
            full: AtomicBool::new(false),
        }
    }

    /// Waits for a free place; the permit is the place, given back when dropped.
    async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if self.permits.available_permits() > 0 {
            self.full.store(false, Ordering::Relaxed);
        } else if !self.full.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                max = self.max,
                "the connection limit is reached: new connections wait until one closes"
            );
        }
        self.permits.clone().acquire_owned().await.ok()
    }

    /// Notes a connection accepted on a place: every place taken is then a connection served.
    fn opened(&self) {
        let open = self.max - self.permits.available_permits();
        self.peak.fetch_max(open, Ordering::Relaxed);
    }
}

impl Sandbox {
    /// Binds `config.bind` and serves in a background task of the current tokio runtime.
    /// An address other than loopback is refused unless
    /// [`allow_remote`](SandboxConfig::allow_remote) is set.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, StartError> {
        let requested = config.bind;
        if !requested.ip().to_canonical().is_loopback() && !config.allow_remote {
            return Err(StartError::NotLoopback { addr: requested });
        }
        let bind_error = |source| StartError::Bind {
            addr: requested,
            source,
        };
        let listener = TcpListener::bind(requested).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let webhook_interval = config.webhook_interval;
        let limits = Limits {
            read_timeout: config.read_timeout,
        };
        let connections = Arc::new(Connections::new(config.max_connections));
        let shared = Arc::new(Shared::new(config).map_err(StartError::WebhookClient)?);
        let (stop, stopped) = watch::channel(false);
        if let Some(interval) = webhook_interval {
            tokio::spawn(webhooks::post_every(
                shared.clone(),
                interval,
                stop.subscribe(),
            ));
        }
        let task = tokio::spawn(serve(
            listener,
            router(shared.clone()),
            connections.clone(),
            limits,
            stopped,
        ));
        tracing::info!(%addr, "sandbox listening");
        Ok(Sandbox {
            base_url: format!("http://{}", reachable(addr)),
            addr,
            shared,
            connections,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: a URL this machine can connect to.
    /// When the sandbox listens on every interface (`0.0.0.0` or `::`), it names loopback,
    /// since no client can connect to the unspecified address; other machines use one of
    /// this machine's own addresses with the same port.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What to tell the person running the sandbox when it listens beyond loopback (it was
    /// allowed to with [`allow_remote`](SandboxConfig::allow_remote)); `None` on loopback.
    pub fn exposure_warning(&self) -> Option<String> {
        exposure_warning(self.addr)
    }

    /// The most connections that were open at once since the start; never more than
    /// [`SandboxConfig::max_connections`].
    pub fn peak_connections(&self) -> usize {
        self.connections.peak.load(Ordering::Relaxed)
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// Stops accepting connections, lets requests in flight finish (for up to five seconds)
    /// and waits for the server task to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "the sandbox server task failed");
            }
        }
    }

    /// Queues a fault for the next calls of `endpoint`.
    pub fn inject(&self, endpoint: Endpoint, fault: Fault) {
        self.shared.inject(endpoint, fault);
    }

    /// The requests received since the start or the last [`Sandbox::clear_log`], in order,
    /// as far as the log keeps them: within [`SandboxConfig::log_limits`] the oldest leave
    /// first, and long bodies are cut (see [`LogLimits`](crate::LogLimits)).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.requests()
    }

    /// The kept requests numbered `seq` or later ([`RecordedRequest::seq`]), in order: what a
    /// reader that follows the log asks for, passing the last number it saw plus one, instead
    /// of copying the whole log each time. A gap in the numbers is requests that left the
    /// log before they were read.
    pub fn requests_since(&self, seq: u64) -> Vec<RecordedRequest> {
        self.shared.log.since(seq)
    }

    /// Marked changed each time a request is recorded or answered and when the log is
    /// cleared: await [`changed`](watch::Receiver::changed), then read the counts or
    /// [`requests_since`](Self::requests_since), rather than polling.
    pub fn log_changed(&self) -> watch::Receiver<()> {
        self.shared.log.subscribe()
    }

    /// What the request log holds, by its own accounting.
    pub fn log_stats(&self) -> LogStats {
        self.shared.log.stats()
    }

    /// How many requests reached `endpoint`, whatever their credentials. Counted apart from
    /// the log's entries: exact even when entries have left it.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.shared.log.count(endpoint, None, false)
    }

    /// How many requests to `endpoint` have been answered so far (one whose connection was
    /// dropped never is): what to wait for when a client sends in the background.
    pub fn answered(&self, endpoint: Endpoint) -> usize {
        self.shared.log.count(endpoint, None, true)
    }

    /// How many requests reached `endpoint` naming `scheme` (`None`: no recognised scheme).
    pub fn count_with(&self, endpoint: Endpoint, scheme: Option<SchemeUsed>) -> usize {
        self.shared.log.count(endpoint, Some(scheme), false)
    }

    /// Forgets the recorded requests and the counts.
    pub fn clear_log(&self) {
        self.shared.log.clear();
    }

    /// Every session token and OAuth access token issued since the start, in order (a
    /// session returned again under [`SessionRule::Reuse`](crate::SessionRule::Reuse) is not
    /// issued again): what a test compares the client's headers with, and looks for in logs,
    /// including tokens whose answer the client gave up waiting for.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.issued_tokens()
    }

    /// Ends every session of `username` on the server side, as an expiry or an administrator
    /// would: the next use of their tokens gets 401.
    pub fn end_sessions(&self, username: &str) {
        self.shared.end_sessions(username);
    }

    /// Creates an API key for `username` from `body`, the JSON body of
    /// `POST /settings/2/api-keys` (`{"name": ..., "scopeGuids": [...]}`), without going
    /// through HTTP, with the same defaults and checks; handy to set up a test. Not logged and
    /// not throttled.
    pub fn create_api_key(
        &self,
        username: &str,
        body: serde_json::Value,
    ) -> Result<CreatedKey, SandboxError> {
        let account = self
            .shared
            .config
            .accounts
            .iter()
            .find(|a| a.username == username)
            .ok_or_else(|| SandboxError::UnknownUser(username.to_owned()))?;
        from_json::<CreateKeyRequest>(body)
            .and_then(|request| self.shared.create_key(account, request))
            .map(|key| CreatedKey {
                id: key.id,
                secret: SecretString::from(key.api_key_secret),
            })
            .map_err(|failure| SandboxError::Refused(failure.text))
    }

    /// Posts every delivery report that is due on the sandbox clock to the webhook its
    /// message named (`webhooks.delivery.url`), one request per report, and answers how many
    /// were taken (answered 2xx). A test advances its `ManualClock`, then awaits this: no
    /// sleeping. A failed post is tried again by a later call at least 10 seconds later on
    /// the sandbox clock, five attempts in all. With
    /// [`SandboxConfig::webhook_interval`](crate::SandboxConfig::webhook_interval) set (the
    /// binary's default), a background task calls this too.
    pub async fn deliver_due(&self) -> usize {
        webhooks::deliver_due(&self.shared).await
    }

    /// The PIN most recently sent to `to` (over SMS, by any account), for a test to type in:
    /// sandbox-only, Infobip never shows a PIN. Over HTTP, `GET /sandbox/2fa/pins/{pinId}`
    /// shows one to a caller of its account.
    pub fn last_pin(&self, to: &str) -> Option<String> {
        self.shared.two_factor.last_pin(to).map(|p| p.pin)
    }

    /// The PIN of `pin_id` (any account), sandbox-only like [`last_pin`](Self::last_pin).
    pub fn pin(&self, pin_id: &str) -> Option<String> {
        self.shared.two_factor.pin(None, pin_id).map(|p| p.pin)
    }

    /// How many sessions of `username` are still valid.
    pub fn active_sessions(&self, username: &str) -> usize {
        self.shared.active_sessions(username)
    }
}

/// Why a direct set-up call such as [`Sandbox::create_api_key`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    /// No configured account has this username.
    #[error("no sandbox account is called `{0}`: add it to SandboxConfig::accounts")]
    UnknownUser(String),
    /// The request breaks a rule the HTTP endpoint would also enforce.
    #[error("the sandbox refused the request: {0}")]
    Refused(String),
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The warning for a sandbox listening on `addr`, unless that is loopback.
fn exposure_warning(addr: SocketAddr) -> Option<String> {
    let ip = addr.ip().to_canonical();
    if ip.is_loopback() {
        return None;
    }
    let reach = if ip.is_unspecified() {
        format!(
            "every network interface of this machine (port {})",
            addr.port()
        )
    } else {
        addr.to_string()
    };
    Some(format!(
        "warning: the sandbox accepts connections from other machines, on {reach}. Its demo \
         account's password is public: anyone who can reach it can use it, make it post to \
         URLs of their choosing (webhooks) and fill its memory up to its limits. Stop it \
         (Ctrl-C) unless this network is yours alone."
    ))
}

/// A URL host for `addr`: loopback of the same family in place of the unspecified address.
fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// What each connection is held to.
#[derive(Clone, Copy, Debug)]
struct Limits {
    read_timeout: Duration,
}

async fn serve(
    listener: TcpListener,
    router: Router,
    connections: Arc<Connections>,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        // A place first, then the connection: at the limit, new connections wait in the
        // system's backlog rather than each holding a task and its buffers here.
        let permit = tokio::select! {
            // An error means the Sandbox is gone: stop as well.
            _ = stopped.changed() => break,
            permit = connections.admit() => permit,
        };
        // The semaphore is never closed; no permit would mean no way to serve.
        let Some(permit) = permit else { break };
        let accepted = tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                connections.opened();
                serve_connection(stream, peer, router.clone(), limits, permit, &graceful);
            }
            Err(e) => {
                // Typically out of file descriptors; pausing keeps the loop from spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight at shutdown were cut off");
    }
}

/// Serves one connection. The connection is driven here rather than by `axum::serve` so that a
/// handler can close it without a response, which `axum::serve` cannot do.
fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    permit: OwnedSemaphorePermit,
    graceful: &GracefulShutdown,
) {
    let kill = Arc::new(Notify::new());
    let handler_kill = kill.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        crate::http::trim_trailing_slash(&mut request);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
            .extensions_mut()
            .insert(ConnectionKill(handler_kill.clone()));
        let mut router = router.clone();
        tower_service::Service::call(&mut router, request)
    });
    // The header read timeout covers the wait for the next request on a kept-alive connection
    // too, so an idle connection gives its place back.
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        let _place = permit;
        tokio::select! {
            result = connection => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            () = kill.notified() => tracing::debug!("connection dropped on purpose"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_url_names_loopback_when_listening_everywhere() {
        for (bound, url) in [
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("[::]:8080", "[::1]:8080"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("192.0.2.7:8080", "192.0.2.7:8080"),
        ] {
            assert_eq!(reachable(addr(bound)), addr(url), "{bound}");
        }
    }

    #[test]
    fn only_addresses_beyond_loopback_are_warned_about() {
        for quiet in [
            "127.0.0.1:1",
            "127.0.0.2:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert_eq!(exposure_warning(addr(quiet)), None, "{quiet}");
        }
        let everywhere = exposure_warning(addr("0.0.0.0:8080")).unwrap_or_default();
        assert!(
            everywhere.contains("every network interface") && everywhere.contains("8080"),
            "{everywhere}"
        );
        assert!(!everywhere.contains("0.0.0.0"), "{everywhere}");
        let one = exposure_warning(addr("192.0.2.7:8080")).unwrap_or_default();
        assert!(
            one.contains("192.0.2.7:8080") && one.contains("password is public"),
            "{one}"
        );
    }
}
