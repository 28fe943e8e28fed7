//! The one error every generated operation returns: which operation failed, and why, in
//! Infobip's words when Infobip answered.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;

use crate::buffered::read_bounded;
use crate::{InfobipError, Operation};

/// A failed call of an operation.
///
/// `{}` reads as a sentence naming the operation and what went wrong: Infobip's status, code,
/// text and per-field problems when it answered, what the authenticator could not do when the
/// call was never sent. It never holds a header, a URL or a secret, so it can be logged, or
/// returned with `?` into `Box<dyn Error>` or `anyhow`. [`kind`](Self::kind) gives the cause
/// typed.
///
/// ```no_run
/// # #[cfg(feature = "account")]
/// # async fn run(client: infobip_client::account::Client) {
/// use infobip_client::ErrorKind;
///
/// match client.get_account_balance().send().await {
///     Ok(balance) => println!("{} {}", balance.balance, balance.currency),
///     Err(error) => match error.kind() {
///         ErrorKind::Api(infobip) if infobip.status == Some(429) => {
///             eprintln!("throttled; retry in {:?}", error.retry_after());
///         }
///         ErrorKind::Api(infobip) => eprintln!("Infobip said {}: {}", infobip.code, infobip.description),
///         ErrorKind::Auth(_) => eprintln!("not sent, fix the credentials: {error}"),
///         _ => eprintln!("{error}"),
///     },
/// }
/// # }
/// ```
pub struct Error(Box<Failure>);

/// What an [`Error`] says, boxed: every call returns a `Result` with an `Error` in it, and
/// moves it through each future it passes; boxed, the failure (rare) allocates, and the
/// success (every call) moves no more than its own size.
struct Failure {
    operation: &'static Operation,
    kind: ErrorKind,
    retry_after: Option<Duration>,
}

/// Why a call failed: see [`Error::kind`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Infobip answered with an error status; its body, read in either of its formats (a body
    /// in neither is kept, redacted and cut, as [`InfobipError::raw`]).
    Api(InfobipError),
    /// The authenticator could not authenticate the call (no token could be had, or the
    /// operation does not accept the configured scheme); nothing was sent. The error is the
    /// authenticator's: with `infobip-auth`, `AuthFailure::of` gives it back typed.
    Auth(Box<dyn StdError + Send + Sync>),
    /// The values given do not make a valid request (a required field missing, a value out of
    /// the description's range, a header value that cannot be sent); nothing was sent.
    InvalidRequest(String),
    /// No complete answer arrived: the connection failed or broke off, or the call timed out.
    /// Unless [`Error::may_have_been_received`] says otherwise, Infobip may have acted on it.
    Transport(reqwest::Error),
    /// Infobip answered with a success status, but the body is not what the operation's
    /// description says it returns.
    InvalidResponse {
        /// The status Infobip answered with.
        status: u16,
        /// What did not match.
        reason: String,
        /// The body, with the values of secret-named fields taken out, cut to
        /// [`InfobipError::RAW_LIMIT`] characters.
        body: String,
    },
}

impl Error {
    /// A failure of `operation`. Generated code and authenticators build errors; callers read
    /// them.
    pub fn new(operation: &'static Operation, kind: ErrorKind) -> Self {
        let kind = match kind {
            // A transport error names the URL it was sending to, and a URL can carry a secret
            // (a query parameter such as `apiKeySecret`): the operation names the call instead.
            ErrorKind::Transport(error) => ErrorKind::Transport(error.without_url()),
            kind => kind,
        };
        Self(Box::new(Failure {
            operation,
            kind,
            retry_after: None,
        }))
    }

    /// The operation that failed, with its product.
    pub fn operation(&self) -> &'static Operation {
        self.0.operation
    }

    /// Why it failed.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Why it failed, owned.
    pub fn into_kind(self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status Infobip answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match &self.0.kind {
            ErrorKind::Api(infobip) => infobip.status,
            ErrorKind::InvalidResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Infobip's error, when it answered with one.
    pub fn infobip(&self) -> Option<&InfobipError> {
        match &self.0.kind {
            ErrorKind::Api(infobip) => Some(infobip),
            _ => None,
        }
    }

    /// The authenticator's error, when the call could not be authenticated.
    pub fn auth(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        match &self.0.kind {
            ErrorKind::Auth(error) => Some(&**error),
            _ => None,
        }
    }

    /// How long Infobip asked the caller to wait (its `Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Whether Infobip may have received the request, and so may have acted on it (sent the
    /// message): false only when it certainly was not sent, which is what decides whether
    /// calling again can do something twice.
    pub fn may_have_been_received(&self) -> bool {
        match &self.0.kind {
            ErrorKind::Auth(_) | ErrorKind::InvalidRequest(_) => false,
            ErrorKind::Transport(error) => !(error.is_connect() || error.is_builder()),
            ErrorKind::Api(_) | ErrorKind::InvalidResponse { .. } => true,
        }
    }

    /// Infobip's answer `response` (an error status) to a call of `operation`, its body read up
    /// to [`ERROR_BODY_LIMIT`](Self::ERROR_BODY_LIMIT) bytes: whatever the status, declared by
    /// the description or not, Infobip's text is kept.
    pub fn from_response(
        operation: &'static Operation,
        response: reqwest::Response,
    ) -> impl Future<Output = Self> + Send {
        let status = response.status().as_u16();
        let retry_after = retry_after(
            response.headers().get(reqwest::header::RETRY_AFTER),
            SystemTime::now(),
        );
        read_bounded(response, Self::ERROR_BODY_LIMIT).map(move |read| {
            let infobip = match read {
                Ok((body, _)) => InfobipError::from_body(Some(status), &body),
                // The status is Infobip's answer even when its body broke off.
                Err(_) => InfobipError::from_body(Some(status), b""),
            };
            let mut error = Self::new(operation, ErrorKind::Api(infobip));
            error.0.retry_after = retry_after;
            error
        })
    }

    /// How much of an error answer's body is read: Infobip's error bodies are a few hundred
    /// bytes, and a proxy's error page is not worth more.
    pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

    /// How much of a JSON success answer is read before the call fails with
    /// [`ErrorKind::InvalidResponse`]: Infobip's largest pages are a few MiB; a body without
    /// end (a broken proxy, a hostile server) must not take the service's memory with it.
    pub const SUCCESS_BODY_LIMIT: usize = 64 * 1024 * 1024;
}

/// `Retry-After` as delay-seconds or as an HTTP date (a date in the past means now). A date
/// with a numeric offset (`+0000`, which some servers write instead of `GMT`) is read too; a
/// value in no such form is no request to wait.
pub fn retry_after(
    value: Option<&reqwest::header::HeaderValue>,
    now: SystemTime,
) -> Option<Duration> {
    let value = value?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More seconds than a u64 holds is still a (very long) wait, not no wait.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = httpdate::parse_http_date(value).ok().or_else(|| {
        chrono::DateTime::parse_from_rfc2822(value)
            .ok()
            .map(SystemTime::from)
    })?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operation = self.0.operation;
        match &self.0.kind {
            ErrorKind::Api(infobip) => write!(f, "`{operation}` failed: {infobip}"),
            ErrorKind::Auth(error) => write!(f, "`{operation}` was not sent: {error}"),
            ErrorKind::InvalidRequest(message) => {
                write!(f, "`{operation}` was not sent: invalid request: {message}")
            }
            ErrorKind::Transport(error) => {
                // reqwest's own text ("error sending request") says little; the causes say
                // what happened (refused, reset, timed out).
                write!(f, "`{operation}` got no answer: {}", Chain(error))?;
                if self.may_have_been_received() {
                    f.write_str(" (Infobip may have received the request)")?;
                }
                Ok(())
            }
            ErrorKind::InvalidResponse {
                status,
                reason,
                body,
            } => {
                let short: String = body.chars().take(200).collect();
                write!(
                    f,
                    "`{operation}` answered HTTP {status} with a body unlike its description \
                     ({reason}): {short}"
                )
            }
        }
    }
}

/// The same sentence as `Display`, so that `fn main() -> Result<(), Box<dyn Error>>`, which
/// prints an error it returns with `Debug`, reads as well; `{:#?}` shows the fields.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        f.debug_struct("Error")
            .field("product", &self.0.operation.product)
            .field("operation", &self.0.operation.id)
            .field("kind", &self.0.kind)
            .field("retry_after", &self.0.retry_after)
            .finish()
    }
}

/// The text of every cause is in the error's own `Display`, so there is no `source`: a report
/// that walks the chain (`anyhow`'s `{:#}`) would say each twice. [`Error::kind`] gives the
/// cause typed.
impl StdError for Error {}

/// An error and its causes, `: `-separated: what `Display` of an error from a lower layer
/// should say, since this crate's errors carry their causes' text rather than a `source`.
pub(crate) struct Chain<'a>(pub(crate) &'a dyn StdError);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}
