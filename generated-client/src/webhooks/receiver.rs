//! [`Receiver`]: one kind of webhook, received, checked, deduplicated, decoded and handed to
//! the service's handler.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::Router;
use futures_util::FutureExt as _;
use secrecy::SecretString;
use serde::Deserialize as _;
use serde_json::Value;

use super::check::{Basic, Check, Refused};
use super::dedup::{Claimed, DedupError, DedupStore, EventKey};
use crate::{BoxFuture, Webhook};

/// What a handler's error is turned into: any `std::error::Error + Send + Sync`, or a
/// string.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The default [`Receiver::max_events`]: 10,000.
pub const DEFAULT_MAX_EVENTS: usize = 10_000;
/// The default [`Receiver::body_limit`]: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// The default [`Receiver::body_timeout`]: 30 seconds.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The default [`Receiver::window`]: 24 hours.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// The default [`Receiver::lease`]: 60 seconds.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// The default [`Receiver::retry_after`]: 5 seconds.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// The default [`Receiver::realm`].
pub const DEFAULT_REALM: &str = "infobip-webhooks";

type Handler<P> = Arc<dyn Fn(P) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// Receives one kind of webhook `W` and hands each new event to the service's handler.
///
/// Mount it with [`post`](Self::post) (a [`MethodRouter`], for `Router::route`) or
/// [`into_router`](Self::into_router) (a [`Router`] answering at `/`, for `Router::nest`);
/// both are tower services. [`receive`](Self::receive) answers one request directly.
///
/// Each delivery goes through, in order (the first failure answers):
/// 1. the [`basic`](Self::basic) credentials, if set: 401 with `WWW-Authenticate`;
/// 2. the content type, which must be JSON (`application/json` or `…+json`): 415;
/// 3. the body, read up to [`body_limit`](Self::body_limit) and no further, whatever
///    `Content-Length` says or however it is chunked: 413; and within
///    [`body_timeout`](Self::body_timeout), however slowly it is sent: 408;
/// 4. every [`check`](Self::check), over the headers and the raw body: 401;
/// 5. decoding the body as `W::Payload`: 400, with a short reason that quotes no value; a
///    `results` batch of more than [`max_events`](Self::max_events) events: 413;
/// 6. the duplicate store, if set ([`dedup`](Self::dedup)): events handled within the
///    window are removed, and an answer of 2xx or 503 is given at once when none is left;
/// 7. the handler, with the events left: 204 once it returned `Ok`; 500 if it returned
///    `Err` or panicked, logged without the payload, so that Infobip delivers again.
///
/// Steps 6 and 7 run in a task of its own: a delivery whose connection drops still has its
/// events confirmed or released.
pub struct Receiver<W: Webhook> {
    kind: W,
    handler: Handler<W::Payload>,
    basic: Option<Arc<Basic>>,
    realm: HeaderValue,
    checks: Vec<Arc<dyn Check>>,
    dedup: Option<Arc<dyn DedupStore>>,
    body_limit: usize,
    max_events: usize,
    body_timeout: Duration,
    window: Duration,
    lease: Duration,
    retry_after: Duration,
}

impl<W: Webhook> Clone for Receiver<W> {
    fn clone(&self) -> Self {
        Self {
            kind: self.kind,
            handler: Arc::clone(&self.handler),
            basic: self.basic.clone(),
            realm: self.realm.clone(),
            checks: self.checks.clone(),
            dedup: self.dedup.clone(),
            body_limit: self.body_limit,
            max_events: self.max_events,
            body_timeout: self.body_timeout,
            window: self.window,
            lease: self.lease,
            retry_after: self.retry_after,
        }
    }
}

impl<W: Webhook> fmt::Debug for Receiver<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("product", &W::PRODUCT)
            .field("kind", &W::NAME)
            .field("basic", &self.basic)
            .field("checks", &self.checks.len())
            .field("dedup", &self.dedup.is_some())
            .field("body_limit", &self.body_limit)
            .field("max_events", &self.max_events)
            .field("body_timeout", &self.body_timeout)
            .field("window", &self.window)
            .field("lease", &self.lease)
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

/// Why a body could not be read.
enum ReadError {
    TooLarge,
    Broken,
    TimedOut,
}

impl<W: Webhook> Receiver<W> {
    /// A receiver of the kind `kind` (`sms::webhooks::OutboundSmsMessageReportV3`) calling
    /// `handler` with each delivery's new events.
    ///
    /// It checks no credentials until [`basic`](Self::basic) or [`check`](Self::check) is
    /// called, and drops no duplicates until [`dedup`](Self::dedup) is.
    pub fn new<F, Fut, E>(kind: W, handler: F) -> Self
    where
        F: Fn(W::Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let handler: Handler<W::Payload> = Arc::new(move |payload| {
            let fut = handler(payload);
            Box::pin(async move { fut.await.map_err(Into::into) })
        });
        let receiver = Self {
            kind,
            handler,
            basic: None,
            realm: HeaderValue::from_static("Basic"),
            checks: Vec::new(),
            dedup: None,
            body_limit: DEFAULT_BODY_LIMIT,
            max_events: DEFAULT_MAX_EVENTS,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            window: DEFAULT_WINDOW,
            lease: DEFAULT_LEASE,
            retry_after: DEFAULT_RETRY_AFTER,
        };
        receiver.realm(DEFAULT_REALM)
    }

    /// Requires HTTP Basic credentials `user` and `password`, as set in the subscription's
    /// security settings at Infobip. They are compared in constant time (SHA-256 digests,
    /// [`subtle`]); only the digest is kept, and nothing prints it.
    pub fn basic(mut self, user: impl Into<String>, password: SecretString) -> Self {
        self.basic = Some(Arc::new(Basic::new(user.into(), &password)));
        self
    }

    /// The realm of the `WWW-Authenticate: Basic` header of a 401 (`infobip-webhooks` by
    /// default). Quotes, backslashes and control characters are dropped from it.
    pub fn realm(mut self, realm: &str) -> Self {
        let realm: String = realm
            .chars()
            .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
            .collect();
        if let Ok(value) =
            HeaderValue::from_str(&format!("Basic realm=\"{realm}\", charset=\"UTF-8\""))
        {
            self.realm = value;
        }
        self
    }

    /// Adds a credential check (an HMAC of the body, a token header); every check added
    /// must pass. See [`Check`].
    pub fn check(mut self, check: impl Check) -> Self {
        self.checks.push(Arc::new(check));
        self
    }

    /// Drops the events `store` has seen handled within the [`window`](Self::window). Share
    /// one store between the receivers of replicas ([`RedisDedup`](super::RedisDedup)).
    pub fn dedup(self, store: impl DedupStore) -> Self {
        self.dedup_shared(Arc::new(store))
    }

    /// Like [`dedup`](Self::dedup), with a store already shared.
    pub fn dedup_shared(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.dedup = Some(store);
        self
    }

    /// How long a handled event is remembered (24 hours by default). Set it to cover the
    /// time over which Infobip retries a delivery of your subscription. A window (or a
    /// lease) longer than about 100 years, such as `Duration::MAX`, is cut to that.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// How long a delivery holds its events while its handler runs (60 seconds by
    /// default). Set it above the handler's longest run: once it ends, another delivery of
    /// the same events may claim them.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The `Retry-After` of a 503 (5 seconds by default), given when events are in flight in
    /// another delivery or the duplicate store failed. Infobip's retry schedule decides when
    /// it delivers again.
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// The largest body read, in bytes (1 MiB by default); a larger one is answered 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The most events a `results` batch may hold (10,000 by default); a larger batch is
    /// answered 413 before it is decoded. A small body can hold many events (`{}` is one), and
    /// each decoded event costs hundreds of bytes: this bounds the memory of one delivery.
    /// Infobip sends up to the subscription's `maxBucketSize` per delivery (100 by default).
    pub fn max_events(mut self, events: usize) -> Self {
        self.max_events = events;
        self
    }

    /// The longest time the body takes to arrive, from the first read to its end (30 seconds
    /// by default); a body still arriving then (a stalled or trickling sender) is answered 408.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The receiver as the `POST` route of a [`Router`]:
    /// `Router::new().route("/webhooks/sms/reports", receiver.post())`.
    pub fn post<S>(self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let receiver = Arc::new(self);
        axum::routing::post(move |request: Request| {
            let receiver = Arc::clone(&receiver);
            async move { receiver.receive(request).await }
        })
    }

    /// The receiver as a [`Router`] answering `POST /`:
    /// `Router::new().nest("/webhooks/sms/reports", receiver.into_router())`.
    pub fn into_router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        Router::new().route("/", self.post())
    }

    /// Answers one delivery (see the type's documentation for what each answer means).
    pub async fn receive(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        if let Some(basic) = &self.basic {
            if let Err(refused) = basic.check(&parts.headers) {
                return self.refuse(&refused);
            }
        }
        if !is_json(&parts.headers) {
            return answer(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            );
        }
        let read = read_limited(body, &parts.headers, self.body_limit);
        let bytes = match tokio::time::timeout(self.body_timeout, read)
            .await
            .unwrap_or(Err(ReadError::TimedOut))
        {
            Ok(bytes) => bytes,
            Err(ReadError::TooLarge) => {
                tracing::warn!(
                    product = W::PRODUCT,
                    kind = W::NAME,
                    limit = self.body_limit,
                    "refused a webhook delivery: the body is larger than the limit"
                );
                return answer(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the body is larger than the receiver's limit",
                );
            }
            Err(ReadError::Broken) => {
                return answer(StatusCode::BAD_REQUEST, "the body could not be read");
            }
            Err(ReadError::TimedOut) => {
                tracing::warn!(
                    product = W::PRODUCT,
                    kind = W::NAME,
                    timeout = ?self.body_timeout,
                    "refused a webhook delivery: the body did not arrive in time"
                );
                return answer(
                    StatusCode::REQUEST_TIMEOUT,
                    "the body did not arrive in time",
                );
            }
        };
        for check in &self.checks {
            if let Err(refused) = check.check(&parts.headers, &bytes) {
                return self.refuse(&refused);
            }
        }
        let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
            return self.undecodable("the body is not JSON");
        };
        drop(bytes);
        let events = value.get("results").and_then(Value::as_array).map(Vec::len);
        if events.is_some_and(|events| events > self.max_events) {
            tracing::warn!(
                product = W::PRODUCT,
                kind = W::NAME,
                events,
                limit = self.max_events,
                "refused a webhook delivery: too many events in one batch"
            );
            return answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the batch holds more events than this receiver takes",
            );
        }
        let Ok(payload) = W::Payload::deserialize(&value) else {
            return self.undecodable("the body is JSON but not of this webhook's kind");
        };
        // A task of its own from the first claim on: a delivery whose connection drops still
        // has every claim confirmed or released.
        let receiver = self.clone();
        let task = tokio::spawn(async move {
            match receiver.dedup.clone() {
                None => receiver.run(payload, None, Vec::new(), false).await,
                Some(store) => receiver.dedup_and_run(store, value, payload).await,
            }
        });
        task.await.unwrap_or_else(|_| {
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the handler failed; deliver again",
            )
        })
    }

    fn refuse(&self, refused: &Refused) -> Response {
        tracing::warn!(
            product = W::PRODUCT,
            kind = W::NAME,
            reason = refused.reason(),
            "refused a webhook delivery: its credentials failed a check"
        );
        let mut response = answer(StatusCode::UNAUTHORIZED, "unauthorized");
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, self.realm.clone());
        response
    }

    fn undecodable(&self, reason: &'static str) -> Response {
        tracing::warn!(
            product = W::PRODUCT,
            kind = W::NAME,
            reason,
            "refused a webhook delivery: undecodable body"
        );
        answer(StatusCode::BAD_REQUEST, reason)
    }

    fn unavailable(&self, reason: &'static str) -> Response {
        let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, reason);
        let seconds = self
            .retry_after
            .as_secs()
            .saturating_add(u64::from(self.retry_after.subsec_nanos() > 0));
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        response
    }

    /// Claims the delivery's events, removes those seen or in flight, and runs the handler
    /// with the rest.
    async fn dedup_and_run(
        &self,
        store: Arc<dyn DedupStore>,
        mut value: Value,
        payload: W::Payload,
    ) -> Response {
        let batch = value
            .get("results")
            .and_then(Value::as_array)
            .filter(|items| !items.is_empty())
            .map(|items| {
                items
                    .iter()
                    .map(|event| EventKey::of(W::PRODUCT, W::NAME, event))
                    .collect::<Vec<_>>()
            });
        let keys = batch
            .clone()
            .unwrap_or_else(|| vec![EventKey::of(W::PRODUCT, W::NAME, &value)]);
        let mut found: HashMap<&EventKey, Claimed> = HashMap::new();
        let mut claimed: Vec<EventKey> = Vec::new();
        let mut in_flight = false;
        for key in &keys {
            if found.contains_key(key) {
                continue;
            }
            match store.claim(key, self.lease).await {
                Ok(claim) => {
                    found.insert(key, claim);
                    match claim {
                        Claimed::Claimed => claimed.push(key.clone()),
                        Claimed::InFlight => in_flight = true,
                        Claimed::Seen => {}
                    }
                }
                // A batch with more new events than a full store holds: handle those claimed,
                // and leave the rest to the redelivery, which finds them handled and makes room.
                Err(error @ DedupError::Full(_)) if !claimed.is_empty() => {
                    tracing::warn!(
                        product = W::PRODUCT,
                        kind = W::NAME,
                        %error,
                        "handling the webhook events claimed; answering 503 for the rest"
                    );
                    in_flight = true;
                    break;
                }
                Err(error) => {
                    tracing::warn!(
                        product = W::PRODUCT,
                        kind = W::NAME,
                        %error,
                        "the webhook duplicate store failed; answering 503"
                    );
                    release(&*store, &claimed).await;
                    return self.unavailable("the duplicate store is unavailable");
                }
            }
        }
        if claimed.is_empty() {
            if in_flight {
                tracing::debug!(
                    product = W::PRODUCT,
                    kind = W::NAME,
                    "webhook events in flight in another delivery; answering 503"
                );
                return self.unavailable("the events are being handled by another delivery");
            }
            tracing::debug!(
                product = W::PRODUCT,
                kind = W::NAME,
                "dropped a webhook delivery: every event was handled already"
            );
            return StatusCode::NO_CONTENT.into_response();
        }
        // Keep the first element of each claimed key; rebuild the payload if any went.
        let payload = match batch {
            Some(batch_keys) => {
                let mut first: HashMap<&EventKey, bool> = HashMap::new();
                let keep: Vec<bool> = batch_keys
                    .iter()
                    .map(|key| {
                        found.get(key) == Some(&Claimed::Claimed)
                            && first.insert(key, true).is_none()
                    })
                    .collect();
                if keep.iter().all(|k| *k) {
                    payload
                } else {
                    drop(payload);
                    if let Some(Value::Array(items)) = value.get_mut("results") {
                        let mut flags = keep.iter();
                        items.retain(|_| flags.next().copied().unwrap_or(false));
                    }
                    tracing::debug!(
                        product = W::PRODUCT,
                        kind = W::NAME,
                        kept = claimed.len(),
                        of = keep.len(),
                        "dropped the duplicate events of a webhook delivery"
                    );
                    match W::Payload::deserialize(&value) {
                        Ok(payload) => payload,
                        Err(_) => {
                            release(&*store, &claimed).await;
                            return self.undecodable(
                                "the body's new events are not of this webhook's kind",
                            );
                        }
                    }
                }
            }
            None => payload,
        };
        self.run(payload, Some(store), claimed, in_flight).await
    }

    /// Runs the handler, then confirms (`Ok`) or releases (`Err`, panic) `claimed`.
    async fn run(
        &self,
        payload: W::Payload,
        store: Option<Arc<dyn DedupStore>>,
        claimed: Vec<EventKey>,
        in_flight: bool,
    ) -> Response {
        let outcome = AssertUnwindSafe(async { (self.handler)(payload).await })
            .catch_unwind()
            .await;
        let ok = match outcome {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::error!(
                    product = W::PRODUCT,
                    kind = W::NAME,
                    error = %error,
                    "the webhook handler failed; answering 500 so that Infobip delivers the events again"
                );
                false
            }
            Err(_) => {
                tracing::error!(
                    product = W::PRODUCT,
                    kind = W::NAME,
                    "the webhook handler panicked; answering 500 so that Infobip delivers the events again"
                );
                false
            }
        };
        if let Some(store) = store {
            if ok {
                for key in &claimed {
                    if let Err(error) = store.confirm(key, self.window).await {
                        // The events were handled; a redelivery after the lease ends
                        // would be handled again.
                        tracing::warn!(
                            product = W::PRODUCT,
                            kind = W::NAME,
                            %error,
                            "could not mark a handled webhook event in the duplicate store"
                        );
                    }
                }
            } else {
                release(&*store, &claimed).await;
            }
        }
        if !ok {
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the handler failed; deliver again",
            )
        } else if in_flight {
            self.unavailable("some events are left for another delivery")
        } else {
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

/// Releases `claimed`, logging (not returning) the store's failures: the leases end anyway.
async fn release(store: &dyn DedupStore, claimed: &[EventKey]) {
    for key in claimed {
        if let Err(error) = store.release(key).await {
            tracing::warn!(
                %error,
                "could not release a webhook event in the duplicate store; it is held until its lease ends"
            );
        }
    }
}

fn answer(status: StatusCode, reason: &'static str) -> Response {
    (
        status,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        reason,
    )
        .into_response()
}

/// `application/json`, or any `…+json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The body, or `TooLarge` as soon as it (or its `Content-Length`) passes `limit`: nothing
/// past the limit is read.
async fn read_limited(
    mut body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| ReadError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len().saturating_add(data.len()) > limit {
                return Err(ReadError::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}
