//! An auth failure of one call, and how the caller gets it back typed.
//!
//! Progenitor's hooks can fail a call only with text (`Error::Custom(String)`). So the text of
//! every failure this crate raises ends with a stable tag, `[infobip-auth failure #N]`, and the
//! failure itself is kept in a small registry under `N`, from which [`AuthFailure::of`] returns
//! it. The alternative, a typed `send` written by the codegen next to every builder's, would
//! give every operation two ways to be called and would not cover code that calls progenitor's
//! own `send` (every example, every generated command); the tag works with all of them.
//!
//! The registry keeps the most recent [`REGISTRY_SIZE`] distinct failures. Failures are few
//! (a failed login is shared by every call that waited for it, and a remembered one answers
//! calls at once instead of a login), and the same failure is registered once.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use infobip_client::{Operation, Scheme};

use crate::AuthError;

/// How many distinct failures [`AuthFailure::of`] can find: an error kept after this many newer
/// distinct failures reads as `None` (its text still says everything).
pub const REGISTRY_SIZE: usize = 4096;

const TAG: &str = "[infobip-auth failure #";

/// An auth failure raised by this crate before (or instead of) sending a call: no token could
/// be obtained, or the operation does not accept the configured scheme.
///
/// Calls of the generated clients return progenitor's `Error<E>`; such a failure arrives as
/// `Error::Custom` and [`AuthFailure::of`] gets it back typed. A 401 that survived the one
/// retry after re-authenticating arrives as `Error::ErrorResponse` with status 401 instead,
/// since Infobip did answer; so does a 401 whose re-authentication failed (the original 401 is
/// what the call returns; the failed login is logged, and the next call that needs a token
/// gets it as an `AuthFailure`).
///
/// ```
/// # async fn run(client: infobip_client::account::Client) {
/// use infobip_auth::{AuthError, AuthFailure, InfobipError};
///
/// match client.get_account_balance().send().await {
///     Ok(balance) => println!("{}", balance.balance),
///     Err(e) => match AuthFailure::of(&e) {
///         Some(failure) => match failure.error() {
///             AuthError::BadCredentials { .. } => eprintln!("page someone: {failure}"),
///             error if error.is_retryable() => eprintln!("Infobip unavailable, retry later: {error}"),
///             _ => eprintln!("cannot authenticate: {failure}"),
///         },
///         None => match InfobipError::from_client_error(&e) {
///             Some(infobip) => eprintln!("Infobip said {} {}", infobip.code, infobip.description),
///             None => eprintln!("transport failure: {e}"),
///         },
///     },
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AuthFailure {
    id: u64,
    operation: &'static Operation,
    scheme: Scheme,
    error: AuthError,
}

impl AuthFailure {
    /// Registers the failure of a call of `operation` and returns it with its id.
    pub(crate) fn raise(
        operation: &'static Operation,
        scheme: Scheme,
        error: AuthError,
    ) -> Arc<AuthFailure> {
        // The same failure (shared by many waiting calls) is registered once, so that a storm
        // of calls does not push older failures out; "the same" is every field alike (its
        // `Debug`), so that a failure is never answered with an older one that only reads the
        // same. Recent ones first: a repeated failure is usually the last one.
        let key = format!("{}/{}|{scheme}|{error:?}", operation.product, operation.id);
        let mut registry = registry();
        if let Some((_, found)) = registry.entries.iter().rev().find(|(k, _)| *k == key) {
            return found.clone();
        }
        registry.next_id += 1;
        let failure = Arc::new(AuthFailure {
            id: registry.next_id,
            operation,
            scheme,
            error,
        });
        if registry.entries.len() == REGISTRY_SIZE {
            registry.entries.pop_front();
        }
        registry.entries.push_back((key, failure.clone()));
        failure
    }

    /// The auth failure inside an error of a generated client, if that error is one.
    pub fn of<E>(error: &infobip_client::Error<E>) -> Option<Arc<AuthFailure>> {
        let infobip_client::Error::Custom(message) = error else {
            return None;
        };
        let id: u64 = message
            .rsplit_once(TAG)?
            .1
            .strip_suffix(']')?
            .parse()
            .ok()?;
        registry()
            .entries
            .iter()
            .find(|(_, f)| f.id == id)
            .map(|(_, f)| f.clone())
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

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "infobip auth failed for `{}` with {}: {} {TAG}{}]",
            self.operation, self.scheme, self.error, self.id
        )
    }
}

impl std::error::Error for AuthFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Whether an error of a generated client is an auth failure of this crate, as opposed to an
/// answer from Infobip or a transport failure. True even when the failure has left the
/// registry ([`AuthFailure::of`] then returns `None`).
pub fn is_auth_failure<E>(error: &infobip_client::Error<E>) -> bool {
    matches!(error, infobip_client::Error::Custom(m) if m.contains(TAG))
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    /// Each failure under a key naming its operation, scheme and error.
    entries: VecDeque<(String, Arc<AuthFailure>)>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
        next_id: 0,
        entries: VecDeque::new(),
    });
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use infobip_client::account::operations::{GET_ACCOUNT_BALANCE, GET_API_KEY};

    fn not_accepted(operation: &'static Operation) -> AuthError {
        AuthError::SchemeNotAccepted {
            operation,
            scheme: Scheme::ApiKeyHeader,
        }
    }

    #[test]
    fn a_failure_comes_back_typed_from_the_error_text() {
        let failure = AuthFailure::raise(
            &GET_API_KEY,
            Scheme::ApiKeyHeader,
            not_accepted(&GET_API_KEY),
        );
        let error: infobip_client::Error<()> = infobip_client::Error::Custom(failure.to_string());
        let found = AuthFailure::of(&error).unwrap();
        assert!(Arc::ptr_eq(&found, &failure));
        assert!(is_auth_failure(&error));
        assert!(matches!(found.error(), AuthError::SchemeNotAccepted { .. }));
        assert!(!found.error().is_retryable());
        let text = failure.to_string();
        assert!(
            text.starts_with("infobip auth failed for `get-api-key` with APIKeyHeader: "),
            "{text}"
        );
    }

    #[test]
    fn the_same_failure_is_registered_once() {
        let a = AuthFailure::raise(&GET_ACCOUNT_BALANCE, Scheme::Basic, AuthError::NoSession);
        let b = AuthFailure::raise(&GET_ACCOUNT_BALANCE, Scheme::Basic, AuthError::NoSession);
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn other_errors_are_not_auth_failures() {
        let error: infobip_client::Error<()> =
            infobip_client::Error::Custom(String::from("something else [infobip-auth failure #x]"));
        assert!(AuthFailure::of(&error).is_none());
        let error: infobip_client::Error<()> = infobip_client::Error::InvalidRequest(String::new());
        assert!(!is_auth_failure(&error));
    }
}
