//! What can go wrong: a setting refused at build time ([`ConfigError`]), and credentials that
//! could not be obtained or used at run time ([`AuthError`], carried in a call's error as an
//! [`AuthFailure`]); a request written by hand that got no answer ([`SendError`]); an
//! operation the API key's scopes do not cover ([`ScopeRefusal`]).

use std::sync::Arc;
use std::time::Duration;

use infobip_client::{InfobipError, Operation, Scheme};

pub use crate::connection::SendError;
pub use crate::failure::AuthFailure;
pub use infobip_client::ScopeRefusal;

/// A builder setting or environment variable that cannot be used. Returned by
/// [`ClientBuilder::build`](crate::ClientBuilder::build) and
/// [`ClientBuilder::from_env`](crate::ClientBuilder::from_env), before anything is sent.
///
/// The message names the setting and what to do, and never quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {reason}")]
pub struct ConfigError {
    /// The setting (builder method or environment variable).
    pub field: &'static str,
    /// What is wrong and how to fix it.
    pub reason: String,
}

impl ConfigError {
    /// `field` refused, for `reason`.
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// Why credentials could not be obtained or used for a call.
///
/// Every message names the cause and what to do about it, and none contains a secret.
/// [`is_retryable`](Self::is_retryable) says whether trying again later can help; the
/// underlying error, when there is one, is the [`source`](std::error::Error::source).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The operation does not accept the configured scheme; nothing was sent.
    #[error(
        "`{operation}` does not accept {scheme}; it accepts {}. Use one of those schemes for \
         this call",
        accepted(operation)
    )]
    SchemeNotAccepted {
        /// The operation that was called.
        operation: &'static Operation,
        /// The configured scheme.
        scheme: Scheme,
    },

    /// Infobip rejected the username/password (or client id/secret). Not retried.
    #[error(
        "{scheme} login was rejected by `{operation}` ({error}); check the username and password"
    )]
    BadCredentials {
        /// The configured scheme.
        scheme: Scheme,
        /// The login operation that answered.
        operation: &'static Operation,
        /// Infobip's error.
        #[source]
        error: Box<InfobipError>,
    },

    /// Infobip refused to create a session for a reason other than bad credentials. The usual
    /// cause is a session for the same user that this client does not hold.
    #[error(
        "Infobip refused to create a session ({error}). If another process or client holds a \
         session for this user (or this client could not destroy its previous one), Infobip \
         may refuse new ones until that session is destroyed (DELETE /auth/1/session with its \
         token) or idles out (60 minutes): end it there, or use OAuth 2.0 or an API key, which \
         have no such limit"
    )]
    SessionRefused {
        /// Infobip's error.
        #[source]
        error: Box<InfobipError>,
    },

    /// The token or session endpoint kept failing (or failed in a way that is not retried).
    #[error(
        "`{operation}` failed after {attempts} attempt(s): {cause}. Infobip may be unavailable \
         or throttling this account; try again later"
    )]
    Unavailable {
        /// The token or session operation.
        operation: &'static Operation,
        /// How many requests were sent.
        attempts: u32,
        /// How long Infobip asked the client to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
        /// The last failure.
        #[source]
        cause: Cause,
    },

    /// Another process sharing the token store failed to obtain a token a few seconds ago;
    /// rather than repeat its requests, this one reports its failure.
    #[error(
        "`{operation}` failed moments ago for a client sharing this token store (another \
         process, or this one): {cause}. It is tried again in {} s",
        .retry_in.as_secs_f64().ceil()
    )]
    FailedElsewhere {
        /// The token or session operation.
        operation: &'static Operation,
        /// The other process's error, as it described it.
        cause: String,
        /// How long until a login is tried again.
        retry_in: Duration,
    },

    /// A login failed moments ago, and logins pause for a while after a failure instead of
    /// being repeated by every call: this is that failure, remembered.
    #[error(
        "{cause} (no new login for another {} s: after a failed login the client waits instead \
         of repeating it; clear_login_cooldown() ends the wait, after fixing credentials say)",
        .retry_in.as_secs_f64().ceil()
    )]
    CoolingDown {
        /// How long until a login is tried again.
        retry_in: Duration,
        /// The failure.
        #[source]
        cause: Box<AuthError>,
    },

    /// The login endpoint answered with a redirect, which this client never follows: the
    /// request carries credentials, and a redirect could send them to another host.
    #[error(
        "`{operation}` answered HTTP {status}, redirecting to {location}; credentials are never \
         sent after a redirect. Check the base URL (your personal https://<subdomain>.api.infobip.com) \
         and any proxy in between"
    )]
    Redirected {
        /// The login operation.
        operation: &'static Operation,
        /// The HTTP status (301, 302, 303, 307, 308).
        status: u16,
        /// Where the server tried to send the client: scheme, host, port and path (no
        /// query), or `nowhere` without a `Location`.
        location: String,
    },

    /// Infobip refused a token it had just issued: the call retried with it after a 401 was
    /// answered 401 again.
    #[error(
        "Infobip refused the token `{operation}` had just issued ({scheme}): the retry after a \
         401 was answered 401 again. The account may be blocked, or (IBSSO) the session bound \
         to another IP address; logins pause before the next try"
    )]
    TokenRefused {
        /// The login operation that issued it.
        operation: &'static Operation,
        /// The configured scheme.
        scheme: Scheme,
    },

    /// The token or session endpoint answered success with a body that is not a token.
    #[error(
        "`{operation}` answered HTTP {status} with a body that is not a token ({detail}); this \
         is a server or proxy fault, not a credentials problem"
    )]
    MalformedResponse {
        /// The token or session operation.
        operation: &'static Operation,
        /// The HTTP status.
        status: u16,
        /// What was wrong with the body.
        detail: String,
    },

    /// A request written by hand goes to another origin than the connection's base URL, and
    /// credentials are only ever sent there.
    #[error(
        "the request goes to {origin}, not to the connection's base URL ({base}); credentials \
         are only sent to the base URL's origin. Send it without them, or through a connection \
         to that origin"
    )]
    OtherOrigin {
        /// Where the request goes (scheme, host, port).
        origin: String,
        /// The base URL's origin.
        base: String,
    },

    /// `destroy-session` was called but this client holds no session.
    #[error("there is no session to destroy: this client has not logged in, or has logged out")]
    NoSession,

    /// Ending a session failed for a reason other than it being already gone.
    #[error("destroying the session failed: {cause}; it ends by itself after 60 idle minutes")]
    Logout {
        /// What went wrong.
        #[source]
        cause: Cause,
    },

    /// `logout` was called on a client that was not built by this crate.
    #[error("this client was not built by the auth crate, so it has no session to end")]
    NotAnAuthClient,
}

impl AuthError {
    /// Whether the same call may succeed later without changing anything: Infobip was
    /// unavailable or throttling, a proxy garbled an answer, another session was in the way.
    /// `false` means a person must act: wrong credentials, a scheme the operation does not
    /// accept.
    pub fn is_retryable(&self) -> bool {
        match self {
            AuthError::Unavailable { .. }
            | AuthError::FailedElsewhere { .. }
            | AuthError::MalformedResponse { .. }
            | AuthError::SessionRefused { .. }
            | AuthError::TokenRefused { .. }
            | AuthError::Logout { .. } => true,
            AuthError::CoolingDown { cause, .. } => cause.is_retryable(),
            AuthError::SchemeNotAccepted { .. }
            | AuthError::BadCredentials { .. }
            | AuthError::Redirected { .. }
            | AuthError::OtherOrigin { .. }
            | AuthError::NoSession
            | AuthError::NotAnAuthClient => false,
        }
    }

    /// How long to wait before trying again, when known: what Infobip asked for
    /// (`Retry-After`), or what is left of the client's pause after a failed login.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::Unavailable { retry_after, .. } => *retry_after,
            AuthError::CoolingDown { retry_in, .. }
            | AuthError::FailedElsewhere { retry_in, .. } => Some(*retry_in),
            _ => None,
        }
    }
}

fn accepted(operation: &Operation) -> String {
    let schemes: Vec<String> = operation.schemes.iter().map(|s| s.to_string()).collect();
    match schemes.join(", ") {
        none if none.is_empty() => String::from("no authentication"),
        schemes => schemes,
    }
}

/// The failure underneath an [`AuthError`]: Infobip's answer, or a request that got none.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// Infobip (or a proxy in front of it) answered with an error.
    #[error("{0}")]
    Infobip(#[source] Box<InfobipError>),
    /// The request got no usable answer: a timeout, a refused connection, a broken body. Its
    /// URL is left out (it may carry a query parameter that is a secret, which the error chain
    /// would repeat).
    #[error("{}", transport(.0))]
    Transport(#[source] Arc<reqwest::Error>),
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}

/// What a request that got no usable answer met, then why: reqwest's own message repeats the
/// kind, its source says why (DNS, TLS, a reset).
fn transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the response body could not be read"
    } else if error.is_redirect() {
        "a redirect was refused"
    } else {
        "the request failed"
    };
    match std::error::Error::source(error) {
        Some(source) => format!("{kind} ({source})"),
        None => kind.to_owned(),
    }
}
