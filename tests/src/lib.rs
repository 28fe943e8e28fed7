//! Helpers shared by the workspace's integration tests.

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
}

impl Reply {
    /// A reply with a JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
        }
    }

    /// A reply without a body.
    pub fn empty(status: u16) -> Self {
        Self::json(status, "")
    }
}

#[derive(Default)]
struct State {
    log: Vec<Recorded>,
    replies: VecDeque<Reply>,
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
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
    let reply = {
        let mut state = lock(&state);
        state.log.push(Recorded {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        state.replies.pop_front()
    };
    let reply = reply.unwrap_or_else(|| Reply::empty(404));
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if !reply.body.is_empty() {
        response = response.header("content-type", "application/json");
    }
    response
        .body(Body::from(reply.body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}
