use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use infobip_client::account::types::{ApiKey, CreateApiKeyRequest};

use crate::config::SandboxConfig;
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
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `config.bind` and serves in a background task of the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let webhook_interval = config.webhook_interval;
        let shared = Arc::new(Shared::new(config)?);
        let (stop, stopped) = watch::channel(false);
        if let Some(interval) = webhook_interval {
            tokio::spawn(webhooks::post_every(
                shared.clone(),
                interval,
                stop.subscribe(),
            ));
        }
        let task = tokio::spawn(serve(listener, router(shared.clone()), stopped));
        tracing::info!(%addr, "sandbox listening");
        Ok(Sandbox {
            base_url: format!("http://{addr}"),
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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

    /// Creates an API key for `username` without going through HTTP, with the same defaults
    /// and checks as `POST /settings/2/api-keys`; handy to set up a test. Not logged and not
    /// throttled.
    pub fn create_api_key(
        &self,
        username: &str,
        request: CreateApiKeyRequest,
    ) -> Result<ApiKey, SandboxError> {
        let account = self
            .shared
            .config
            .accounts
            .iter()
            .find(|a| a.username == username)
            .ok_or_else(|| SandboxError::UnknownUser(username.to_owned()))?;
        self.shared
            .create_key(account, request)
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

async fn serve(listener: TcpListener, router: Router, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            // An error means the Sandbox is gone: stop as well.
            _ = stopped.changed() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => serve_connection(stream, peer, router.clone(), &graceful),
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
    graceful: &GracefulShutdown,
) {
    let kill = Arc::new(Notify::new());
    let handler_kill = kill.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
            .extensions_mut()
            .insert(ConnectionKill(handler_kill.clone()));
        let mut router = router.clone();
        tower_service::Service::call(&mut router, request)
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
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
