//! An auth failure of one call, and how the caller gets it back typed.
//!
//! The authenticator's `prepare` fails a call with an [`AuthFailure`]; the generated client
//! hands it back inside its error as [`ErrorKind::Auth`](infobip_client::ErrorKind::Auth), and
//! [`AuthFailure::of`] downcasts it.

use infobip_client::{Operation, Scheme};

use crate::error::AuthError;

/// An auth failure raised by this crate before (or instead of) sending a call: no token could
/// be obtained, or the operation does not accept the configured scheme. Nothing was sent.
///
/// A 401 that survived the one retry after re-authenticating is Infobip's answer instead
/// ([`ErrorKind::Api`](infobip_client::ErrorKind::Api) with status 401); so is a 401 whose
/// re-authentication failed (the original 401 is what the call returns; the failed login is
/// logged, and the next call that needs a token gets it as an `AuthFailure`).
///
/// ```
/// # async fn run(client: infobip_client::account::Client) {
/// use infobip_auth::{AuthError, AuthFailure};
///
/// match client.get_account_balance().send().await {
///     Ok(balance) => println!("{}", balance.balance),
///     Err(e) => match AuthFailure::of(&e) {
///         Some(failure) => match failure.error() {
///             AuthError::BadCredentials { .. } => eprintln!("page someone: {e}"),
///             error if error.is_retryable() => eprintln!("Infobip unavailable, retry later: {e}"),
///             _ => eprintln!("cannot authenticate: {e}"),
///         },
///         None => match e.infobip() {
///             Some(infobip) => eprintln!("Infobip said {} {}", infobip.code, infobip.description),
///             None => eprintln!("{e}"),
///         },
///     },
/// }
/// # }
/// ```
///
/// Its `{}` says what went wrong with the scheme's credentials; the client's error around it
/// names the operation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{scheme} authentication failed: {error}")]
pub struct AuthFailure {
    operation: &'static Operation,
    scheme: Scheme,
    #[source]
    error: AuthError,
}

impl AuthFailure {
    /// The failure of a call of `operation`.
    pub(crate) fn new(operation: &'static Operation, scheme: Scheme, error: AuthError) -> Self {
        Self {
            operation,
            scheme,
            error,
        }
    }

    /// The auth failure inside an error of a generated client, if that error is one.
    pub fn of(error: &infobip_client::Error) -> Option<&AuthFailure> {
        error.auth()?.downcast_ref()
    }

    /// The operation that was called.
    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    /// The scheme the client uses.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// What went wrong; [`AuthError::is_retryable`] says whether trying later can help.
    pub fn error(&self) -> &AuthError {
        &self.error
    }
}
