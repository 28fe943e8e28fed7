//! The `Authenticator` the builder installs: per-operation headers, the token and session
//! lifecycles, and the one retry after a 401.

use std::fmt;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use infobip_client::security::{Operation, Scheme};
use infobip_client::types::{CreateOAuth2TokenRequest, CreateSessionRequest, GrantType};
use infobip_client::{Authenticator, BoxFuture, Client, ClientInfo, Error, ResponseValue};
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use tracing::field::Empty;
use tracing::Instrument;

use crate::cache::{refresh_margin, Lease, Lifetime, Token, TokenCache};
use crate::config::{sensitive_header, RetryPolicy};
use crate::error::{CallError, IntoInfobipError};
use crate::shared::Shared;
use crate::{AuthError, Clock, InfobipError};

/// A span for a token, session or retry step; the outcome and timing are recorded at its end.
macro_rules! auth_span {
    ($name:literal, $operation:expr, $scheme:expr) => {
        tracing::info_span!(
            $name,
            operation = $operation.operation_id(),
            scheme = %$scheme,
            outcome = Empty,
            attempts = Empty,
            duration_ms = Empty,
        )
    };
}

tokio::task_local! {
    /// The `IBSSO <token>` header that an internal destroy-session call must send: the
    /// session being ended, which may no longer be the cached one.
    static SESSION_TO_DESTROY: HeaderValue;
    /// Where the hooks leave the status and `Retry-After` of a token or session response,
    /// which progenitor's error loses when the body does not parse.
    static LAST_RESPONSE: Arc<Mutex<Option<ResponseMeta>>>;
}

#[derive(Debug, Clone, Copy)]
struct ResponseMeta {
    status: u16,
    retry_after: Option<Duration>,
}

/// The settings of the token and session lifecycles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifecycle {
    pub(crate) idle: Duration,
    pub(crate) unsafe_session: bool,
    pub(crate) margin: Option<Duration>,
    pub(crate) retry: RetryPolicy,
}

pub(crate) enum Kind {
    /// Basic and API key: one header, computed at build time.
    Static(HeaderValue),
    Session {
        username: String,
        password: SecretString,
    },
    OAuth {
        client_id: String,
        client_secret: SecretString,
    },
}

impl Kind {
    pub(crate) fn session(username: String, password: SecretString) -> Self {
        Kind::Session { username, password }
    }

    pub(crate) fn oauth(client_id: String, client_secret: SecretString) -> Self {
        Kind::OAuth {
            client_id,
            client_secret,
        }
    }
}

/// The authenticator behind every client built by [`ClientBuilder`](crate::ClientBuilder).
pub struct InfobipAuth {
    scheme: Scheme,
    kind: Kind,
    lifecycle: Lifecycle,
    cache: TokenCache,
    clock: Arc<dyn Clock>,
    /// A store shared with other clients or processes, if configured.
    shared: Option<Arc<Shared>>,
}

impl fmt::Debug for InfobipAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let username = match &self.kind {
            Kind::Static(_) => None,
            Kind::Session { username, .. } => Some(username.as_str()),
            Kind::OAuth { client_id, .. } => Some(client_id.as_str()),
        };
        f.debug_struct("InfobipAuth")
            .field("scheme", &self.scheme)
            .field("username", &username)
            .field("credentials", &"[redacted]")
            .field("token_cached", &self.cache.peek().is_some())
            .field("lifecycle", &self.lifecycle)
            .field("shared_store", &self.shared.is_some())
            .finish()
    }
}

impl InfobipAuth {
    pub(crate) fn new(
        scheme: Scheme,
        kind: Kind,
        lifecycle: Lifecycle,
        clock: Arc<dyn Clock>,
        shared: Option<Shared>,
    ) -> Self {
        // A session is destroyed before it is replaced, so it can never be served stale.
        let serve_stale = matches!(kind, Kind::OAuth { .. });
        Self {
            scheme,
            kind,
            lifecycle,
            cache: TokenCache::new(serve_stale, clock.clone()),
            clock,
            shared: shared.map(Arc::new),
        }
    }

    /// The key of this client's entry in its shared token store, if it has one.
    #[doc(hidden)]
    pub fn store_key(&self) -> Option<&str> {
        self.shared.as_deref().map(Shared::key)
    }

    /// The configured scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    fn renews_tokens(&self) -> bool {
        !matches!(self.kind, Kind::Static(_))
    }

    /// Ends the session this client holds, if any (with a shared token store: the session
    /// the store holds, whichever process created it). A session the server already ended
    /// counts as ended. The next call that needs a session logs in again.
    pub async fn logout(&self, client: &Client) -> Result<(), AuthError> {
        if !matches!(self.kind, Kind::Session { .. }) {
            return Ok(());
        }
        let session = match (self.cache.take(), &self.shared) {
            (Some(session), _) => session,
            // Another process of the fleet created it: the logout still ends it for all.
            (None, Some(shared)) => match shared.current().await {
                Some(session) => Arc::new(session),
                None => return Ok(()),
            },
            (None, None) => return Ok(()),
        };
        let result = self.destroy(client, session.header.clone()).await;
        if result.is_ok() {
            if let Some(shared) = &self.shared {
                shared.discard(&session.header).await;
            }
        }
        if result.is_err() {
            // Still alive server-side: keep holding it, so that the next login (or logout)
            // destroys it first instead of leaving it to block new sessions.
            self.cache.restore(session);
        }
        result
    }

    async fn authorize(
        &self,
        client: &Client,
        operation: Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), AuthError> {
        if operation.schemes().is_empty() {
            // Login calls carry their credentials in the body; an Authorization header here
            // would at best be ignored.
            return Ok(());
        }
        let header = if operation == Operation::DestroySession {
            self.destroy_header()?
        } else if !operation.accepts(self.scheme) {
            return Err(AuthError::SchemeNotAccepted {
                operation,
                scheme: self.scheme,
            });
        } else {
            self.header(client).await?
        };
        request.headers_mut().insert(AUTHORIZATION, header);
        Ok(())
    }

    /// destroy-session always carries the session's own token, never another credential.
    fn destroy_header(&self) -> Result<HeaderValue, AuthError> {
        if let Ok(header) = SESSION_TO_DESTROY.try_with(HeaderValue::clone) {
            return Ok(header);
        }
        if self.scheme != Scheme::IbssoTokenHeader {
            return Err(AuthError::SchemeNotAccepted {
                operation: Operation::DestroySession,
                scheme: self.scheme,
            });
        }
        self.cache
            .peek()
            .map(|session| session.header.clone())
            .ok_or(AuthError::NoSession)
    }

    /// The header for an ordinary operation; the common case returns without waiting.
    async fn header(&self, client: &Client) -> Result<HeaderValue, AuthError> {
        let token = match &self.kind {
            Kind::Static(header) => return Ok(header.clone()),
            _ => match self.cache.fresh() {
                Some(token) => token,
                None => self.cache.get(|lease| start_fetch(client, lease)).await?,
            },
        };
        token.touch(self.clock.now());
        if let Some(shared) = &self.shared {
            shared.used(&token.header);
        }
        Ok(token.header.clone())
    }

    /// A new token: from the shared store when there is one (which fetches only if no other
    /// process has, or is about to), otherwise from Infobip.
    fn fetch<'a>(
        &'a self,
        client: &'a Client,
        previous: Option<Arc<Token>>,
    ) -> BoxFuture<'a, Result<Token, AuthError>> {
        match &self.shared {
            Some(shared) => Box::pin(shared.obtain(previous, |previous| {
                self.fetch_from_infobip(client, previous)
            })),
            None => self.fetch_from_infobip(client, previous),
        }
    }

    fn fetch_from_infobip<'a>(
        &'a self,
        client: &'a Client,
        previous: Option<Arc<Token>>,
    ) -> BoxFuture<'a, Result<Token, AuthError>> {
        // Boxed: fetching calls the client, whose hooks call back into this authenticator.
        match &self.kind {
            Kind::Session { username, password } => {
                Box::pin(self.create_session(client, username, password, previous))
            }
            Kind::OAuth {
                client_id,
                client_secret,
            } => Box::pin(self.create_token(client, client_id, client_secret)),
            Kind::Static(_) => Box::pin(async { Err(AuthError::NoSession) }),
        }
    }

    async fn create_session(
        &self,
        client: &Client,
        username: &str,
        password: &SecretString,
        previous: Option<Arc<Token>>,
    ) -> Result<Token, AuthError> {
        if let Some(previous) = previous {
            // Infobip wants a live session destroyed before a new token is issued. Ours may
            // still be alive server-side (our expiry keeps a margin); a 401 means it was not.
            if let Err(error) = self.destroy(client, previous.header.clone()).await {
                tracing::warn!(error = %error, "could not destroy the previous session; logging in anyway");
            }
        }
        let operation = Operation::CreateSession;
        let span = auth_span!("infobip_auth.session_create", operation, self.scheme);
        let idle = self.lifecycle.idle;
        let margin = refresh_margin(idle, self.lifecycle.margin);
        self.with_retries(operation, || async {
            let sent_at = self.clock.now();
            let body = CreateSessionRequest {
                username: username.to_owned(),
                password: password.expose_secret().into(),
                unsafe_: self.lifecycle.unsafe_session.then_some(true),
            };
            let (result, meta) = observe(client.create_session().body(body).send()).await;
            let response = self.classify(operation, result, meta).await?;
            let token = response.into_inner().token;
            Ok(Token::new(
                SecretString::from(token.expose()),
                server_token_header(operation, "token", "IBSSO", token.expose())?,
                sent_at,
                Lifetime::Idle {
                    idle,
                    margin,
                    last_use: AtomicU64::new(0),
                },
            ))
        })
        .instrument(span)
        .await
    }

    async fn create_token(
        &self,
        client: &Client,
        client_id: &str,
        client_secret: &SecretString,
    ) -> Result<Token, AuthError> {
        let operation = Operation::CreateOauth2Token;
        let span = auth_span!("infobip_auth.token_fetch", operation, self.scheme);
        self.with_retries(operation, || async {
            // Read before sending, so that network time shortens the token's life rather
            // than lengthening it.
            let sent_at = self.clock.now();
            let body = CreateOAuth2TokenRequest {
                client_id: client_id.to_owned(),
                client_secret: client_secret.expose_secret().into(),
                grant_type: GrantType::ClientCredentials,
            };
            let (result, meta) = observe(client.create_oauth2_token().body(body).send()).await;
            let token = self.classify(operation, result, meta).await?.into_inner();
            let lifetime = match u64::try_from(token.expires_in) {
                Ok(secs) if secs > 0 => {
                    let life = Duration::from_secs(secs);
                    let expires_at = checked_add(sent_at, life);
                    Lifetime::Fixed {
                        refresh_at: checked_add(
                            sent_at,
                            life - refresh_margin(life, self.lifecycle.margin),
                        ),
                        expires_at,
                    }
                }
                // 0 or less: usable by the callers waiting for this fetch, cached for nobody.
                _ => Lifetime::Fixed {
                    refresh_at: sent_at,
                    expires_at: sent_at,
                },
            };
            Ok(Token::new(
                SecretString::from(token.access_token.expose()),
                server_token_header(
                    operation,
                    "access_token",
                    "Bearer",
                    token.access_token.expose(),
                )?,
                sent_at,
                lifetime,
            ))
        })
        .instrument(span)
        .await
    }

    /// Runs `attempt` until it succeeds, fails for good, or the policy runs out.
    async fn with_retries<T, F, Fut>(
        &self,
        operation: Operation,
        attempt: F,
    ) -> Result<T, AuthError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let policy = self.lifecycle.retry;
        let started = Instant::now();
        let span = tracing::Span::current();
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            let (cause, retry_after) = match attempt().await {
                Ok(value) => break Ok(value),
                Err(Failure::Final(error)) => break Err(error),
                Err(Failure::Transient {
                    cause,
                    retry_after,
                    may_have_acted,
                }) => {
                    if may_have_acted && operation == Operation::CreateSession {
                        break Err(AuthError::Unavailable {
                            operation,
                            attempts,
                            cause: format!(
                                "{cause} (not retried: the server may have created a session)"
                            ),
                        });
                    }
                    (cause, retry_after)
                }
            };
            if attempts >= policy.max_attempts {
                break Err(AuthError::Unavailable {
                    operation,
                    attempts,
                    cause,
                });
            }
            let delay = match retry_after {
                Some(wait) if wait > policy.max_retry_after => {
                    break Err(AuthError::Unavailable {
                        operation,
                        attempts,
                        cause: format!(
                            "{cause}; Infobip asked to retry after {} s, longer than the {} s this client waits",
                            wait.as_secs(),
                            policy.max_retry_after.as_secs()
                        ),
                    })
                }
                // Retry-After is a minimum; a 0 still gets the backoff's spacing.
                Some(wait) => wait.max(backoff(&policy, attempts)),
                None => backoff(&policy, attempts),
            };
            tracing::debug!(attempt = attempts, delay_ms = delay.as_millis() as u64, cause = %cause, "retrying");
            self.clock.sleep(delay).await;
        };
        span.record("attempts", attempts);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        span.record("outcome", if outcome.is_ok() { "ok" } else { "error" });
        match &outcome {
            Ok(_) => tracing::info!("obtained"),
            Err(error) => tracing::warn!(error = %error, "failed"),
        }
        outcome
    }

    /// Sorts a token or session response into success, a failure to retry, or a final one.
    async fn classify<T, E: IntoInfobipError>(
        &self,
        operation: Operation,
        result: Result<ResponseValue<T>, Error<E>>,
        meta: Option<ResponseMeta>,
    ) -> Result<ResponseValue<T>, Failure> {
        let status = meta.map(|m| m.status);
        let retry_after = meta.and_then(|m| m.retry_after);
        let error = match result {
            Ok(value) => return Ok(value),
            Err(Error::ErrorResponse(response)) => {
                let status = response.status().as_u16();
                response.as_infobip_error(Some(status))
            }
            Err(Error::InvalidResponsePayload(body, parse)) => match status {
                Some(status) if (200..300).contains(&status) => {
                    // Only the position: the message could quote part of the body.
                    let detail = format!(
                        "{:?} JSON error at line {} column {}",
                        parse.classify(),
                        parse.line(),
                        parse.column()
                    );
                    return Err(Failure::Final(AuthError::MalformedResponse {
                        operation,
                        status,
                        detail,
                    }));
                }
                _ => InfobipError::from_body(status, &body),
            },
            Err(Error::UnexpectedResponse(response)) => {
                let status = response.status().as_u16();
                let body = response.bytes().await.unwrap_or_default();
                InfobipError::from_body(Some(status), &body)
            }
            Err(Error::CommunicationError(e) | Error::ResponseBodyError(e)) => {
                return Err(Failure::Transient {
                    cause: describe_transport(&e),
                    retry_after: None,
                    // A refused connection never reached the server.
                    may_have_acted: !e.is_connect(),
                });
            }
            Err(Error::InvalidUpgrade(e)) => {
                return Err(Failure::Final(AuthError::Unavailable {
                    operation,
                    attempts: 1,
                    cause: describe_transport(&e),
                }))
            }
            Err(Error::InvalidRequest(message) | Error::Custom(message)) => {
                return Err(Failure::Final(AuthError::Unavailable {
                    operation,
                    attempts: 1,
                    cause: message,
                }))
            }
        };
        let status = error.status.unwrap_or_default();
        Err(match status {
            401 => Failure::Final(AuthError::BadCredentials {
                scheme: self.scheme,
                operation,
                error: Box::new(error),
            }),
            408 | 429 | 500..=599 => Failure::Transient {
                cause: error.to_string(),
                retry_after,
                // 429 and 503 say the request was not processed.
                may_have_acted: !matches!(status, 429 | 503),
            },
            _ if operation == Operation::CreateSession => {
                Failure::Final(AuthError::SessionRefused {
                    error: Box::new(error),
                })
            }
            _ => Failure::Final(AuthError::BadCredentials {
                scheme: self.scheme,
                operation,
                error: Box::new(error),
            }),
        })
    }

    /// Ends the session whose header is given; a 401 means it had already ended.
    async fn destroy(&self, client: &Client, header: HeaderValue) -> Result<(), AuthError> {
        let span = auth_span!(
            "infobip_auth.session_destroy",
            Operation::DestroySession,
            self.scheme
        );
        let started = Instant::now();
        async {
            let call = Box::pin(client.destroy_session().send());
            let result = SESSION_TO_DESTROY.scope(header, call).await;
            let outcome = match result {
                Ok(_) => Ok("destroyed"),
                Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => Ok("already ended"),
                Err(e) => Err(AuthError::Logout {
                    cause: describe_client_error(&e),
                }),
            };
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            span.record("attempts", 1);
            match &outcome {
                Ok(what) => {
                    span.record("outcome", *what);
                    tracing::info!(outcome = *what, "session ended");
                }
                Err(error) => {
                    span.record("outcome", "error");
                    tracing::warn!(error = %error, "session destroy failed");
                }
            }
            outcome.map(|_| ())
        }
        .instrument(span)
        .await
    }

    async fn send_once(
        &self,
        client: &Client,
        operation: Operation,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let used = request.headers().get(AUTHORIZATION).cloned();
        let response = client.client().execute(request).await;
        if let Ok(response) = &response {
            let _ = LAST_RESPONSE.try_with(|slot| {
                let meta = ResponseMeta {
                    status: response.status().as_u16(),
                    retry_after: retry_after(response.headers().get(RETRY_AFTER)),
                };
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(meta);
            });
            let ended =
                response.status().is_success() || response.status() == StatusCode::UNAUTHORIZED;
            if operation == Operation::DestroySession && ended {
                // Whoever destroyed it, that session must not be sent again.
                if let Some(used) = &used {
                    self.cache.invalidate(used);
                }
            }
        }
        response
    }

    async fn send_with_reauth(
        &self,
        client: &Client,
        operation: Operation,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let used = request.headers().get(AUTHORIZATION).cloned();
        let retry = request.try_clone();
        let response = client.client().execute(request).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let (Some(mut retry), Some(used)) = (retry, used) else {
            tracing::debug!(
                operation = operation.operation_id(),
                "401 not retried: the request body cannot be replayed"
            );
            return Ok(response);
        };
        let span = auth_span!("infobip_auth.retry_401", operation, self.scheme);
        let started = Instant::now();
        async {
            // Only the first caller that saw this token rejected drops it; the others find
            // the replacement (or the fetch in flight) and share it.
            if let Some(shared) = &self.shared {
                // Before the cache lets go of it, so that no fetch from now on takes it from
                // the store again.
                shared.reject(&used);
            }
            if self.cache.invalidate(&used) {
                if let Some(shared) = &self.shared {
                    shared.discard(&used).await;
                }
            }
            let span = tracing::Span::current();
            let result = match self.header(client).await {
                Ok(header) => {
                    retry.headers_mut().insert(AUTHORIZATION, header);
                    drop(response);
                    let retried = client.client().execute(retry).await;
                    let outcome = match &retried {
                        Ok(r) if r.status().is_success() => "recovered",
                        Ok(_) => "retry failed",
                        Err(_) => "retry not sent",
                    };
                    span.record("outcome", outcome);
                    retried
                }
                Err(error) => {
                    span.record("outcome", "re-authentication failed");
                    tracing::warn!(error = %error, "could not re-authenticate after a 401; returning the 401");
                    Ok(response)
                }
            };
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            result
        }
        .instrument(span)
        .await
    }
}

/// Starts a token or session fetch in its own task, so that it finishes (and the session it
/// creates is recorded) even if the call that needed it is cancelled.
fn start_fetch(client: &Client, lease: Lease) {
    let client = client.clone();
    let fetch = async move {
        let result = match client.inner().downcast_ref::<InfobipAuth>() {
            Some(auth) => auth.fetch(&client, lease.previous()).await,
            None => Err(AuthError::NotAnAuthClient),
        };
        lease.complete(result);
    };
    tokio::spawn(fetch.in_current_span());
}

impl Authenticator for InfobipAuth {
    fn prepare<'a>(
        &'a self,
        client: &'a Client,
        operation: Operation,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), Box<dyn std::error::Error + Send + Sync>>> {
        Box::pin(async move {
            self.authorize(client, operation, request)
                .await
                .map_err(|cause| {
                    Box::new(CallError {
                        operation,
                        scheme: self.scheme,
                        cause,
                    }) as Box<dyn std::error::Error + Send + Sync>
                })
        })
    }

    fn send<'a>(
        &'a self,
        client: &'a Client,
        operation: Operation,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        // The login calls and destroy-session are never retried: a 401 there is an answer.
        let retryable = self.renews_tokens()
            && !operation.schemes().is_empty()
            && operation != Operation::DestroySession;
        if retryable {
            Box::pin(self.send_with_reauth(client, operation, request))
        } else {
            Box::pin(self.send_once(client, operation, request))
        }
    }
}

/// How one attempt at the token or session endpoint failed.
enum Failure {
    Transient {
        cause: String,
        retry_after: Option<Duration>,
        /// Whether the server may have acted on the request (a timeout after sending, a
        /// 500): resending a create-session could then leave a second session behind.
        may_have_acted: bool,
    },
    Final(AuthError),
}

/// The header for a token the server issued, refused when it could not be sent as issued:
/// an empty token would go out as a bare `Bearer `, and HTTP strips the padding of a padded
/// one, so the server would see a different token from the one it issued.
fn server_token_header(
    operation: Operation,
    field: &'static str,
    prefix: &str,
    token: &str,
) -> Result<HeaderValue, Failure> {
    let header = sensitive_header(field, prefix, token).map_err(|_| {
        malformed(
            operation,
            &format!("`{field}` is not a valid header value (only visible ASCII can be sent)"),
        )
    })?;
    if token.is_empty() {
        return Err(malformed(operation, &format!("`{field}` is empty")));
    }
    if token.trim() != token {
        return Err(malformed(
            operation,
            &format!("`{field}` has leading or trailing whitespace"),
        ));
    }
    Ok(header)
}

fn malformed(operation: Operation, detail: &str) -> Failure {
    Failure::Final(AuthError::MalformedResponse {
        operation,
        status: 200,
        detail: detail.to_owned(),
    })
}

/// Runs a login call with a slot for its status and `Retry-After`.
async fn observe<T>(call: impl Future<Output = T>) -> (T, Option<ResponseMeta>) {
    let slot = Arc::new(Mutex::new(None));
    let result = LAST_RESPONSE.scope(slot.clone(), call).await;
    let meta = *slot.lock().unwrap_or_else(|p| p.into_inner());
    (result, meta)
}

fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exponential = policy
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(policy.max_delay);
    // Equal jitter: at least half the delay, so retries stay spaced, spread over the rest so
    // that many clients do not retry in step.
    exponential / 2 + exponential.mul_f64(fastrand::f64() / 2.0)
}

/// `Retry-After` as delay-seconds or as an HTTP date.
fn retry_after(value: Option<&HeaderValue>) -> Option<Duration> {
    let value = value?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn checked_add(at: Instant, by: Duration) -> Instant {
    // A huge expires_in must not overflow Instant; a century is forever enough.
    at.checked_add(by)
        .or_else(|| at.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(at)
}

fn describe_transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the response body could not be read"
    } else {
        "the request failed"
    };
    // Without the URL: it is not secret, but the error chain may repeat it many times.
    match std::error::Error::source(error) {
        Some(source) => format!("{kind} ({source})"),
        None => kind.to_owned(),
    }
}

fn describe_client_error<E: IntoInfobipError>(error: &Error<E>) -> String {
    match error {
        Error::CommunicationError(e) | Error::ResponseBodyError(e) => describe_transport(e),
        other => InfobipError::from_client_error(other)
            .map(|e| e.to_string())
            .unwrap_or_else(|| match other.status() {
                Some(status) => format!("HTTP {status}"),
                None => String::from("unknown failure"),
            }),
    }
}
