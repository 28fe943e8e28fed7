//! Infobip's word that an operation is going away: a `Deprecation` (RFC 9745) or `Sunset`
//! (RFC 8594) header on an answer. A service that calls the operation learns it from its logs,
//! once per operation and connection: a warning on every call would drown the logs of a
//! service that sends thousands of messages a minute. A request written by hand
//! ([`HAND_WRITTEN`]) is its own operation per method and path.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use crate::{Operation, HAND_WRITTEN};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;

const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
const SUNSET: HeaderName = HeaderName::from_static("sunset");

/// The most methods and paths of requests written by hand one connection warns of. Their
/// paths are the caller's (an id in each, say), so the set of those warned of is bounded;
/// past it, one last warning says that no more are logged.
const MAX_HAND_WRITTEN: usize = 256;

/// The operations of one connection whose deprecation was already logged.
#[derive(Default)]
pub(crate) struct Notices {
    warned: Mutex<Warned>,
}

#[derive(Default)]
struct Warned {
    /// `(product, operationId)`: an id is unique within its product's description only.
    operations: HashSet<(&'static str, &'static str)>,
    /// Requests written by hand, by method and path.
    hand_written: HashSet<RequestLine>,
    /// Whether the warning that no more requests written by hand are logged was logged.
    hand_written_full: bool,
}

/// The method and path of a request written by hand: what its deprecation is logged under
/// and names. Never its query, which may hold a secret (`apiKeySecret`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct RequestLine {
    method: Method,
    path: String,
}

impl RequestLine {
    /// `request`'s, if it is written by hand ([`HAND_WRITTEN`]): a generated operation's
    /// notice is logged under the operation.
    pub(crate) fn of(operation: &'static Operation, request: &reqwest::Request) -> Option<Self> {
        std::ptr::eq(operation, &HAND_WRITTEN).then(|| Self {
            method: request.method().clone(),
            path: request.url().path().to_owned(),
        })
    }
}

impl Notices {
    /// Logs a warning if `answer` says `operation` (or, for a request written by hand, its
    /// `line`) is deprecated or has a sunset date and no warning for it was logged yet. Every
    /// answer of a generated call passes here, so an answer without either header costs a
    /// look at its header names and nothing else: comparing an answer's dozen names with these
    /// two costs less than hashing the two for lookups.
    pub(crate) fn check(
        &self,
        operation: &'static Operation,
        line: Option<&RequestLine>,
        response: &reqwest::Response,
    ) {
        let headers = response.headers();
        if !headers
            .keys()
            .any(|name| *name == DEPRECATION || *name == SUNSET)
        {
            return;
        }
        self.warn_once(
            operation,
            line,
            headers.get(DEPRECATION),
            headers.get(SUNSET),
        );
    }

    #[cold]
    fn warn_once(
        &self,
        operation: &'static Operation,
        line: Option<&RequestLine>,
        deprecation: Option<&HeaderValue>,
        sunset: Option<&HeaderValue>,
    ) {
        // The two values and nothing else of the answer, which may hold message text or
        // secrets.
        let (deprecation, sunset) = (deprecation.map(text), sunset.map(text));
        let Some(line) = line else {
            if self.first(|warned| warned.operations.insert((operation.product, operation.id))) {
                tracing::warn!(
                    product = operation.product,
                    operation = operation.id,
                    deprecation,
                    sunset,
                    "Infobip says this operation is deprecated; calls to it may stop working",
                );
            }
            return;
        };
        let mut full = false;
        let first = self.first(|warned| {
            if warned.hand_written.contains(line) {
                return false;
            }
            if warned.hand_written.len() < MAX_HAND_WRITTEN {
                return warned.hand_written.insert(line.clone());
            }
            full = !std::mem::replace(&mut warned.hand_written_full, true);
            false
        });
        if first {
            tracing::warn!(
                product = operation.product,
                operation = operation.id,
                method = %line.method,
                path = line.path.as_str(),
                deprecation,
                sunset,
                "Infobip says this request is deprecated; requests like it may stop working",
            );
        } else if full {
            tracing::warn!(
                product = operation.product,
                operation = operation.id,
                "Infobip says more requests written by hand are deprecated; the first {MAX_HAND_WRITTEN} \
                 methods and paths were logged, no more are on this connection",
            );
        }
    }

    /// Runs `insert` on what was warned of, which says whether this is the first warning.
    fn first(&self, insert: impl FnOnce(&mut Warned) -> bool) -> bool {
        // Only an insert runs under the lock; a panic elsewhere leaves the sets whole.
        insert(&mut self.warned.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A header's value as text; one that is not visible ASCII is not printed, since a log line
/// is no place for bytes a terminal may interpret.
fn text(value: &HeaderValue) -> &str {
    value.to_str().unwrap_or("[not text]")
}
