//! The `Authenticator` every product client built by this crate carries: the rules of each
//! operation (no credentials for the login calls, a local error for a scheme it does not
//! accept), the header, and the one retry after a 401.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use infobip_client::{
    Authenticator, BoxFuture, Call, Operation, PrepareError, Prepared, Rebuild, Scheme,
};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use secrecy::{ExposeSecret as _, SecretString};
use tracing::Instrument;

use crate::call_retry::{self, CallRetry};
use crate::clock::Clock;
use crate::error::{AuthError, ConfigError};
use crate::failure::AuthFailure;
use crate::login::auth_span;
use crate::rotation::Rotation;
use crate::scheme::{api_key_header, basic_header, UserCredentials};
use crate::tokens::Tokens;
use crate::validate::same_origin;

/// Where the `Authorization` header comes from: computed once, or a renewing token.
pub(crate) enum HeaderSource {
    /// Basic and API key: one header, computed at build time (and again when a rotating
    /// secret changes).
    Static {
        header: ArcSwap<HeaderValue>,
        kind: StaticKind,
    },
    /// OAuth 2.0 and IBSSO: tokens obtained from Infobip and renewed.
    Renewing(Arc<Tokens>),
}

/// How a static header is made from its secret.
pub(crate) enum StaticKind {
    /// `Basic base64(username:password)`.
    Basic(String),
    /// `App <key>`.
    ApiKey,
}

/// A new secret, ready to replace the current one.
enum Replacement {
    /// The header of a static scheme.
    Header(HeaderValue),
    /// The password (or client secret) of a renewing scheme.
    Password(SecretString),
}

impl StaticKind {
    /// The header made of `secret`, checked: the first one when the connection is built, and
    /// each one a rotating source gives after it.
    fn header(&self, secret: &SecretString) -> Result<HeaderValue, ConfigError> {
        match self {
            StaticKind::ApiKey => api_key_header(secret),
            StaticKind::Basic(username) => {
                let password = SecretString::from(secret.expose_secret());
                UserCredentials::new(("username", username.clone()), ("password", password))
                    .and_then(|credentials| basic_header(&credentials))
            }
        }
    }
}

impl HeaderSource {
    /// A static scheme's header, made of `secret`.
    pub(crate) fn fixed(kind: StaticKind, secret: &SecretString) -> Result<Self, ConfigError> {
        Ok(HeaderSource::Static {
            header: ArcSwap::from_pointee(kind.header(secret)?),
            kind,
        })
    }
}

/// The authenticator behind every client built by [`ClientBuilder`](crate::ClientBuilder).
pub struct InfobipAuth {
    pub(crate) scheme: Scheme,
    /// The scheme's header: fixed, or from tokens it renews.
    pub(crate) header_source: HeaderSource,
    /// A secret read again from its source, if it was given one.
    pub(crate) rotation: Option<Rotation>,
    /// What login calls go through, whoever makes them: no redirects.
    pub(crate) login_http: reqwest::Client,
    /// How product calls are retried.
    pub(crate) calls: CallRetry,
    /// What retries wait on.
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for InfobipAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("InfobipAuth");
        debug
            .field("scheme", &self.scheme)
            .field("credentials", &"[redacted]");
        if let HeaderSource::Renewing(tokens) = &self.header_source {
            debug
                .field("username", &tokens.source.scheme().user())
                .field("token_cached", &tokens.has_token())
                .field("shared_store", &tokens.store_key().is_some());
        }
        debug.finish()
    }
}

impl InfobipAuth {
    /// Reads a rotating secret again if a check is due (or `force`d), and when it changed to
    /// one that can be used, uses it from now on: a new header, or new login credentials (the
    /// token obtained with the old ones retired, the pause after a failed login ended).
    /// Returns whether it did.
    async fn rotate(&self, force: bool) -> bool {
        let Some(rotation) = &self.rotation else {
            return false;
        };
        let Some(check) = rotation.check(force) else {
            return false;
        };
        // Boxed apart: the wait for a read would otherwise make every call's future larger.
        let settled = Box::pin(rotation.settle(check, |secret| self.prepare(secret)));
        let Some(prepared) = settled.await else {
            return false;
        };
        match (prepared, &self.header_source) {
            (Replacement::Header(made), HeaderSource::Static { header, .. }) => {
                header.store(Arc::new(made));
            }
            (Replacement::Password(password), HeaderSource::Renewing(tokens)) => {
                if let Err(error) = tokens.source.scheme().credentials().set_password(password) {
                    // Checked by `prepare`; kept for the day the two checks part ways.
                    tracing::warn!(error = %error, "the new secret cannot be used; keeping the current one");
                    return false;
                }
                tokens.credentials_changed();
            }
            _ => return false,
        }
        tracing::info!(scheme = %self.scheme, "the secret changed; using the new one");
        true
    }

    /// What a new secret becomes before it replaces the current one: checked as the first one
    /// was, so that one the connection cannot use never becomes current.
    fn prepare(&self, secret: &SecretString) -> Result<Replacement, ConfigError> {
        match &self.header_source {
            HeaderSource::Static { kind, .. } => kind.header(secret).map(Replacement::Header),
            HeaderSource::Renewing(_) => {
                crate::validate::check_secret("password", secret, false)?;
                Ok(Replacement::Password(SecretString::from(
                    secret.expose_secret(),
                )))
            }
        }
    }

    /// The configured scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Ends the session this client holds, if any (with a shared token store: the session
    /// the store holds, whichever process created it). A session the server already ended
    /// counts as ended. The next call that needs a session logs in again. A no-op for the
    /// schemes without anything to end.
    pub(crate) async fn logout(&self) -> Result<(), AuthError> {
        match &self.header_source {
            HeaderSource::Renewing(tokens) => tokens.logout().await,
            HeaderSource::Static { .. } => Ok(()),
        }
    }

    /// Ends the pause after a failed login, here and in a shared store.
    pub(crate) async fn clear_login_cooldown(&self) {
        if let HeaderSource::Renewing(tokens) = &self.header_source {
            tokens.clear_cooldown().await;
        }
    }

    fn fail(&self, operation: &'static Operation, error: AuthError) -> PrepareError {
        Box::new(AuthFailure::new(operation, self.scheme, error))
    }

    /// The header for `operation`, or why there is none.
    fn check(&self, operation: &'static Operation) -> Result<(), AuthError> {
        if operation.accepts(self.scheme) {
            Ok(())
        } else {
            Err(AuthError::SchemeNotAccepted {
                operation,
                scheme: self.scheme,
            })
        }
    }

    /// Whether `operation` ends the token (destroy-session): it carries the current token
    /// (this process's, else the shared store's), never a renewed one, and the token is
    /// forgotten once it has been sent.
    fn ends_token(&self, operation: &'static Operation) -> Option<&Arc<Tokens>> {
        match &self.header_source {
            HeaderSource::Renewing(tokens)
                if tokens
                    .source
                    .scheme()
                    .end_operation()
                    .is_some_and(|end| std::ptr::eq(end, operation)) =>
            {
                Some(tokens)
            }
            _ => None,
        }
    }

    async fn send_ending<S: Sender + ?Sized>(
        &self,
        sender: &S,
        tokens: &Tokens,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, S::Error> {
        let used = request.headers().get(AUTHORIZATION).cloned();
        let response = sender.send(request).await?;
        let status = response.status();
        if status.is_success() || status == StatusCode::UNAUTHORIZED {
            if let Some(used) = &used {
                tokens.ended(used).await;
            }
        }
        Ok(response)
    }

    /// Sends `request`, and after a 401 from the origin once more with new credentials: a new
    /// token, or the header of a rotating secret read again. The request goes to the sender
    /// before the future is made, so that the future holds the copy kept for the retry and
    /// not the request as well: every call allocates it and moves into it.
    fn send_replaying<'a, S: Sender + ?Sized>(
        &'a self,
        operation: &'static Operation,
        sender: &'a S,
        request: reqwest::Request,
        rebuild: Option<&'a dyn Rebuild>,
    ) -> impl Future<Output = Result<reqwest::Response, S::Error>> + Send + 'a {
        let retry = Replay::of(&request, rebuild);
        let sent = sender.send(request);
        async move {
            let response = sent.await?;
            // A redirect that led elsewhere: that host's 401 says nothing of the credentials.
            if response.status() != StatusCode::UNAUTHORIZED || !retry.answered_by_origin(&response)
            {
                return Ok(response);
            }
            // Boxed apart: the rare path's state would otherwise make every call's future
            // larger.
            Box::pin(self.replay(operation, sender, retry, response)).await
        }
    }

    /// The one retry after a 401. A 401 may mean the secret was rotated, so it is read again
    /// first; then a renewing scheme drops the rejected token and gets a new one, shared by
    /// every caller that saw the same one rejected, and a static scheme takes its header
    /// again, sending the request once more only if it changed (this caller or another found
    /// a new secret).
    async fn replay<S: Sender + ?Sized>(
        &self,
        operation: &'static Operation,
        sender: &S,
        retry: Replay<'_>,
        response: reqwest::Response,
    ) -> Result<reqwest::Response, S::Error> {
        let used = retry.used();
        let retry = retry.request(operation).await;
        let (Some(mut retry), Some(used)) = (retry, used) else {
            tracing::debug!(
                operation = operation.id,
                "401 not retried: the request body cannot be replayed"
            );
            return Ok(response);
        };
        let span = auth_span!("infobip_auth.retry_401", operation, self.scheme);
        let started = Instant::now();
        let result = async {
            self.rotate(true).await;
            let span = tracing::Span::current();
            let header = match &self.header_source {
                HeaderSource::Static { header, .. } => {
                    let current = HeaderValue::clone(&header.load());
                    if current == used {
                        span.record("outcome", "secret unchanged");
                        return Ok(response);
                    }
                    Ok(current)
                }
                HeaderSource::Renewing(tokens) => {
                    // Only the first caller that saw this token rejected drops it; the others
                    // find the replacement (or the fetch in flight) and share it.
                    tokens.rejected(&used).await;
                    tokens.header().await
                }
            };
            let result = match header {
                Ok(header) => {
                    retry.headers_mut().insert(AUTHORIZATION, header.clone());
                    drop(response);
                    let retried = sender.send(retry).await;
                    let outcome = match (&retried, &self.header_source) {
                        (Ok(r), _) if r.status().is_success() => "recovered",
                        (Ok(r), HeaderSource::Renewing(tokens))
                            if r.status() == StatusCode::UNAUTHORIZED =>
                        {
                            // Refused too, however new: logging in again on every call would
                            // only repeat that, so logins pause as after a failed one.
                            tokens.refused_after_login(&header).await;
                            "new token refused"
                        }
                        (Ok(_), _) => "retry failed",
                        (Err(_), _) => "retry not sent",
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
            result
        }
        .instrument(span.clone())
        .await;
        // After the block, so that every way out of it is timed.
        span.record("duration_ms", crate::clock::millis(started.elapsed()));
        result
    }

    /// Sends a prepared request of `operation` through `sender`: the token's end operation
    /// forgets the token once sent, a renewing scheme's call is retried once after a 401,
    /// the rest is sent once.
    pub(crate) async fn dispatch<S: Sender + ?Sized>(
        &self,
        operation: &'static Operation,
        sender: &S,
        request: reqwest::Request,
        rebuild: Option<&dyn Rebuild>,
    ) -> Result<reqwest::Response, S::Error> {
        // The rare paths are boxed apart: their state would otherwise make every call's
        // future larger, and every call pays for moving it.
        if operation.is_unauthenticated() {
            // A login call carries credentials in its body: never through a client that could
            // follow a redirect with them.
            let login = self.login_http.execute(request);
            return Box::pin(login).await.map_err(S::from_reqwest);
        }
        match (self.ends_token(operation), &self.header_source) {
            (Some(tokens), _) => Box::pin(self.send_ending(sender, tokens, request)).await,
            (None, HeaderSource::Static { .. }) if self.rotation.is_none() => {
                sender.send(request).await
            }
            (None, _) => {
                self.send_replaying(operation, sender, request, rebuild)
                    .await
            }
        }
    }

    /// Sends a prepared request of `operation` as a product client does: dispatched (with the
    /// one 401 replay), and sent again as the connection's retry policy for it says. One box
    /// holds it all; the rare paths inside are boxed apart.
    fn call<'a>(
        &'a self,
        operation: &'static Operation,
        transport: &'a dyn infobip_client::Transport,
        request: reqwest::Request,
        rebuild: Option<&'a dyn Rebuild>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let mut attempts = 0;
        let mut send = move |mut request: reqwest::Request| {
            attempts += 1;
            if attempts > 1 {
                // A retry goes with the credentials as they are now: a 401 replay before it,
                // or the wait, may have renewed them. Without a fresh token the copy's header
                // stays, and a 401 gets its replay.
                self.authorize_now(operation, &mut request);
            }
            self.dispatch(operation, transport, request, rebuild)
        };
        match self.calls.policy(operation) {
            None => Box::pin(send(request)),
            Some(policy) => Box::pin(call_retry::run(
                policy,
                &self.clock,
                operation,
                request,
                send,
            )),
        }
    }

    /// How a prepared request of `operation` goes out. The short routes are for a request
    /// with no retry policy, no secret to read again and no session to end; the general
    /// route does everything.
    fn route(&self, operation: &'static Operation) -> Route {
        let short = self.rotation.is_none()
            && !operation.is_unauthenticated()
            && self.ends_token(operation).is_none()
            && self.calls.policy(operation).is_none();
        match &self.header_source {
            _ if !short => Route::General,
            // A header that cannot change: no 401 to replay. The API key's hot path.
            HeaderSource::Static { .. } => Route::AsIs,
            HeaderSource::Renewing(_) => Route::Replayable,
        }
    }

    /// Adds the credentials `operation` takes to `request`, or says why it cannot.
    pub(crate) async fn authorize(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), AuthError> {
        if !operation.is_unauthenticated() {
            self.rotate(false).await;
        }
        match self.authorize_now(operation, request) {
            Ready::Done(result) => result,
            Ready::Fetch(tokens) => {
                let header = tokens.header().await?;
                request.headers_mut().insert(AUTHORIZATION, header);
                Ok(())
            }
            Ready::Stored(tokens) => {
                let header = tokens.header_to_end().await.ok_or(AuthError::NoSession)?;
                request.headers_mut().insert(AUTHORIZATION, header);
                Ok(())
            }
        }
    }

    /// [`authorize`](Self::authorize) as far as it goes without waiting. The cached token is
    /// read once: a second reading could find it gone (expired, or dropped after another
    /// call's 401) after the first found it fresh.
    fn authorize_now(
        &self,
        operation: &'static Operation,
        request: &mut reqwest::Request,
    ) -> Ready<'_> {
        // Login calls carry their credentials in the body; an Authorization header there
        // would at best be ignored.
        if operation.is_unauthenticated() {
            return Ready::Done(Ok(()));
        }
        if let Err(error) = self.check(operation) {
            return Ready::Done(Err(error));
        }
        let header = match &self.header_source {
            HeaderSource::Static { header, .. } => HeaderValue::clone(&header.load()),
            HeaderSource::Renewing(tokens) if self.ends_token(operation).is_some() => {
                match tokens.current_header() {
                    Some(header) => header,
                    // A client sharing the tokens may hold one.
                    None => return Ready::Stored(tokens),
                }
            }
            HeaderSource::Renewing(tokens) => match tokens.fresh_header() {
                Some(header) => header,
                None => return Ready::Fetch(tokens),
            },
        };
        request.headers_mut().insert(AUTHORIZATION, header);
        Ready::Done(Ok(()))
    }
}

/// How far [`InfobipAuth::authorize_now`] got.
enum Ready<'a> {
    /// The request is authorized, or cannot be.
    Done(Result<(), AuthError>),
    /// A token must be fetched (or waited for) first.
    Fetch(&'a Arc<Tokens>),
    /// The token to end is not cached here, but may be in the shared store.
    Stored(&'a Arc<Tokens>),
}

/// How [`InfobipAuth::route`] sends a request.
enum Route {
    /// Straight to the transport.
    AsIs,
    /// To the transport, with a copy kept for the one replay after a 401.
    Replayable,
    /// Through every layer: retries, a rotating secret's replay, the token's end.
    General,
}

/// What sends a prepared request: the product client's transport, or a middleware chain.
pub(crate) trait Sender: Sync {
    /// What a failed send reports.
    type Error: Send;

    /// Sends `request` once.
    fn send(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'_, Result<reqwest::Response, Self::Error>>;

    /// A failure of a request sent another way (a login call), as this sender reports one.
    fn from_reqwest(error: reqwest::Error) -> Self::Error;
}

impl Sender for dyn infobip_client::Transport + '_ {
    type Error = reqwest::Error;

    fn send(&self, request: reqwest::Request) -> BoxFuture<'_, reqwest::Result<reqwest::Response>> {
        self.execute(request)
    }

    fn from_reqwest(error: reqwest::Error) -> reqwest::Error {
        error
    }
}

impl Authenticator for InfobipAuth {
    fn prepare<'a>(&'a self, call: Call<'a>, request: &'a mut reqwest::Request) -> Prepared<'a> {
        let operation = call.operation;
        // The hot path completes at once: no secret to re-read, and no token to wait for.
        if self.rotation.is_none() {
            if let Ready::Done(result) = self.authorize_now(operation, request) {
                return Prepared::Ready(result.map_err(|error| self.fail(operation, error)));
            }
        }
        Prepared::Pending(Box::pin(async move {
            self.authorize(operation, request)
                .await
                .map_err(|error| self.fail(operation, error))
        }))
    }

    fn send<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let operation = call.operation;
        match self.route(operation) {
            Route::AsIs => call.transport.execute(request),
            // A token's hot path: the layers of the general route add nothing here, and each
            // would add to the state every call's future carries.
            Route::Replayable => {
                Box::pin(self.send_replaying(operation, call.transport, request, None))
            }
            Route::General => self.call(operation, call.transport, request, None),
        }
    }

    fn send_rebuildable<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
        rebuild: &'a dyn Rebuild,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let (operation, transport) = (call.operation, call.transport);
        self.call(operation, transport, request, Some(rebuild))
    }

    fn scheme(&self) -> Option<Scheme> {
        Some(self.scheme)
    }

    fn guards_answers(&self) -> bool {
        true
    }
}

/// What a request is sent again from after a 401: a copy taken before it was sent, or, for a
/// body that can be sent once only (a streamed upload), what builds it again.
enum Replay<'a> {
    Copy(Option<reqwest::Request>),
    Rebuilt {
        sent_to: reqwest::Url,
        /// The `Authorization` header it was sent with (a rebuilt request has none).
        used: Option<HeaderValue>,
        rebuild: &'a dyn Rebuild,
    },
}

impl<'a> Replay<'a> {
    fn of(request: &reqwest::Request, rebuild: Option<&'a dyn Rebuild>) -> Self {
        match (request.try_clone(), rebuild) {
            (None, Some(rebuild)) => Replay::Rebuilt {
                sent_to: request.url().clone(),
                used: request.headers().get(AUTHORIZATION).cloned(),
                rebuild,
            },
            (copy, _) => Replay::Copy(copy),
        }
    }

    /// The `Authorization` header the request was sent with: read from the copy when there
    /// is one, so that the hot path keeps one reference to the token's header, not two.
    fn used(&self) -> Option<HeaderValue> {
        match self {
            Replay::Copy(copy) => copy.as_ref()?.headers().get(AUTHORIZATION).cloned(),
            Replay::Rebuilt { used, .. } => used.clone(),
        }
    }

    /// Whether `response` came from where the request went (a client that follows redirects
    /// may hand back another host's answer, whose 401 is not Infobip's); true when
    /// there is nothing to replay, which is decided later.
    fn answered_by_origin(&self, response: &reqwest::Response) -> bool {
        match self {
            Replay::Copy(Some(retry)) => same_origin(response.url(), retry.url()),
            Replay::Copy(None) => true,
            Replay::Rebuilt { sent_to, .. } => same_origin(response.url(), sent_to),
        }
    }

    /// The request to send again, if there is one. A rebuilt upload opens its files again
    /// only now, after the 401, so a call that succeeds opens each once.
    async fn request(self, operation: &'static Operation) -> Option<reqwest::Request> {
        match self {
            Replay::Copy(copy) => copy,
            Replay::Rebuilt { rebuild, .. } => match rebuild.rebuild().await {
                Ok(request) => Some(request),
                Err(error) => {
                    tracing::warn!(
                        operation = operation.id,
                        error = %error,
                        "401 not retried: the upload could not be built again; returning the 401"
                    );
                    None
                }
            },
        }
    }
}

/// The key of `client`'s entry in its shared token store, for its current secret, if it has
/// one: for the command line's cache and for tests that read or tamper with the store.
#[cfg(feature = "token-store")]
#[doc(hidden)]
pub fn store_key<C: infobip_client::ClientInfo<infobip_client::Auth>>(
    client: &C,
) -> Option<String> {
    let auth = client.inner().downcast_ref::<InfobipAuth>()?;
    match &auth.header_source {
        HeaderSource::Renewing(tokens) => tokens.store_key(),
        HeaderSource::Static { .. } => None,
    }
}
