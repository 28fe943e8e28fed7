//! The login calls (the token call, session create and destroy): sent through the account
//! product's generated client like any other call, but with an authenticator that adds no
//! credentials (or, for destroy, the session's own header), over an HTTP client of this
//! crate's own that follows no redirects, whatever client the user configured.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use infobip_client::account::Client;
use infobip_client::{
    Auth, Authenticator, BoxFuture, Call, Error, ErrorKind, InfobipError, Operation, Prepared,
    ResponseValue, Scheme,
};
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};

use crate::clock::Clock;
use crate::error::{AuthError, Cause};
use crate::retry::RetryPolicy;
use crate::retry::{self, Failure};
use crate::validate::sensitive_header;

/// A span for a token, session or retry step; the outcome and timing are recorded at its end.
macro_rules! auth_span {
    ($name:literal, $operation:expr, $scheme:expr) => {
        tracing::info_span!(
            $name,
            operation = $operation.id,
            scheme = %$scheme,
            outcome = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        )
    };
}
pub(crate) use auth_span;

/// Everything a token source needs to log in.
pub(crate) struct Login {
    /// This crate's own client ([`login_client`]): no redirects, the configured timeouts.
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    /// The longest any one login request may take, whatever the HTTP client allows.
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    /// The scheme being logged in for (for error messages).
    pub(crate) scheme: Scheme,
}

/// The client every login call goes through, whoever makes it (this crate, or a caller
/// calling create-session itself): the builder's timeouts and no redirects, whatever client
/// the product calls use, since a redirect would carry the credentials in the body to
/// wherever it points.
pub(crate) fn login_client(
    timeout: Duration,
    connect_timeout: Duration,
) -> Result<reqwest::Client, crate::error::ConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            crate::error::ConfigError::new(
                "http_client",
                format!("the HTTP client could not be created ({e})"),
            )
        })
}

/// What a login call answered besides its status and body: the wait it asked for, read on
/// this crate's clock, and where a redirect pointed (the client's error keeps no headers).
#[derive(Debug, Clone, Default)]
struct Answer {
    retry_after: Option<Duration>,
    location: Option<String>,
}

/// The authenticator of a login call: the session's header for destroy, nothing otherwise.
#[derive(Debug)]
struct PassThrough {
    header: Option<HeaderValue>,
    timeout: Duration,
    answer: Arc<Mutex<Answer>>,
    clock: Arc<dyn Clock>,
}

impl Authenticator for PassThrough {
    fn prepare<'a>(&'a self, _call: Call<'a>, request: &'a mut reqwest::Request) -> Prepared<'a> {
        if let Some(header) = &self.header {
            request.headers_mut().insert(AUTHORIZATION, header.clone());
        }
        // Bounds a hung login even if the client has no timeout: every caller waits for it.
        *request.timeout_mut() = Some(self.timeout);
        Prepared::Ready(Ok(()))
    }

    fn send<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let response = call.transport.execute(request).await?;
            let answer = Answer {
                retry_after: retry::retry_after(
                    response.headers().get(RETRY_AFTER),
                    self.clock.wall(),
                ),
                location: response
                    .status()
                    .is_redirection()
                    .then(|| redirect_target(&response)),
            };
            *self.answer.lock().unwrap_or_else(|p| p.into_inner()) = answer;
            Ok(response)
        })
    }

    /// A login's answer is read by `Login` itself, which keeps only the kind and position of
    /// a body it cannot decode: the guard's rewriting would change what it reports.
    fn guards_answers(&self) -> bool {
        false
    }
}

impl Login {
    /// Sends one login call made by `call` on the account client, with `header` if given, and
    /// sorts the outcome. `refused` says what a 4xx other than 401 means for this operation.
    ///
    /// `call` returns a boxed future: the generated `send` holds references across awaits,
    /// and naming the future's type here (rather than in generic code) is what lets the
    /// compiler see that it is `Send`.
    pub(crate) async fn call<T, F>(
        &self,
        operation: &'static Operation,
        header: Option<HeaderValue>,
        refused: fn(Box<InfobipError>) -> AuthError,
        call: F,
    ) -> Result<ResponseValue<T>, Failure>
    where
        F: FnOnce(Client) -> BoxFuture<'static, Result<ResponseValue<T>, Error>>,
    {
        let answer = Arc::new(Mutex::new(Answer::default()));
        let client = Client::new_with_client(
            &self.base_url,
            self.http.clone(),
            Auth::new(PassThrough {
                header,
                timeout: self.timeout,
                answer: answer.clone(),
                clock: self.clock.clone(),
            }),
        );
        let result = call(client).await;
        let answer = std::mem::take(&mut *answer.lock().unwrap_or_else(|p| p.into_inner()));
        self.classify(operation, result, answer, refused)
    }

    /// Sorts a login response into success, a failure to retry, or a final one.
    fn classify<T>(
        &self,
        operation: &'static Operation,
        result: Result<ResponseValue<T>, Error>,
        answer: Answer,
        refused: fn(Box<InfobipError>) -> AuthError,
    ) -> Result<ResponseValue<T>, Failure> {
        let failed = match result {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let malformed = |status, detail| {
            Failure::Final(AuthError::MalformedResponse {
                operation,
                status,
                detail,
            })
        };
        let unavailable = |cause| {
            Failure::Final(AuthError::Unavailable {
                operation,
                attempts: 1,
                retry_after: None,
                cause,
            })
        };
        let shown = failed.to_string();
        let error = match failed.into_kind() {
            ErrorKind::Api(infobip) => infobip,
            ErrorKind::InvalidResponse { status, reason, .. } => {
                return Err(malformed(status, reason))
            }
            ErrorKind::Transport(e) => {
                return Err(Failure::Transient {
                    // A refused connection never reached the server.
                    may_have_acted: !e.is_connect(),
                    cause: Cause::Transport(Arc::new(e.without_url())),
                    retry_after: None,
                });
            }
            ErrorKind::InvalidRequest(message) => return Err(unavailable(Cause::Other(message))),
            _ => return Err(unavailable(Cause::Other(shown))),
        };
        let status = error.status.unwrap_or_default();
        Err(match status {
            200..=299 => malformed(
                status,
                String::from("a success other than the documented one, without a token"),
            ),
            300..=399 => Failure::Final(AuthError::Redirected {
                operation,
                status,
                location: answer
                    .location
                    .unwrap_or_else(|| String::from("nowhere (no Location header)")),
            }),
            401 => Failure::Final(AuthError::BadCredentials {
                scheme: self.scheme,
                operation,
                error: Box::new(error),
            }),
            _ => match retry::transient(status) {
                Some(may_have_acted) => Failure::Transient {
                    cause: Cause::Infobip(Box::new(error)),
                    retry_after: answer.retry_after,
                    may_have_acted,
                },
                None => Failure::Final(refused(Box::new(error))),
            },
        })
    }
}

/// Where a redirect points: scheme, host, port and path of its `Location` (resolved against
/// the request's URL), without a query or user info, which could carry secrets, and with what
/// `redact_text` finds in the path (a server can put there what it read from the body:
/// `/client_secret=...`).
fn redirect_target(response: &reqwest::Response) -> String {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok());
    let Some(location) = location else {
        return String::from("nowhere (no Location header)");
    };
    match response.url().join(location) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            infobip_client::redact::redacted_text(url.as_str())
        }
        Err(_) => String::from("an unreadable Location"),
    }
}

/// The header for a token the server issued, refused when it could not be sent as issued:
/// an empty token would go out as a bare `Bearer `, and HTTP strips the padding of a padded
/// one, so the server would see a different token from the one it issued.
pub(crate) fn server_token_header(
    operation: &'static Operation,
    field: &'static str,
    prefix: &str,
    token: &str,
) -> Result<HeaderValue, Failure> {
    let malformed = |detail: String| {
        Failure::Final(AuthError::MalformedResponse {
            operation,
            status: 200,
            detail,
        })
    };
    let header = sensitive_header(field, prefix, token).map_err(|_| {
        malformed(format!(
            "`{field}` is not a valid header value (only visible ASCII can be sent)"
        ))
    })?;
    if token.is_empty() {
        return Err(malformed(format!("`{field}` is empty")));
    }
    if token.trim() != token {
        return Err(malformed(format!(
            "`{field}` has leading or trailing whitespace"
        )));
    }
    Ok(header)
}
