//! Infobip's word that an operation is going away: a `Deprecation` (RFC 9745) or `Sunset`
//! (RFC 8594) header on an answer. A service that calls the operation learns it from its logs,
//! once per operation and connection: a warning on every call would drown the logs of a
//! service that sends thousands of messages a minute.
//!
//! Public for this crate's tests; not part of its stable API.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use crate::Operation;
use reqwest::header::{HeaderName, HeaderValue};

const DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
const SUNSET: HeaderName = HeaderName::from_static("sunset");

/// The operations of one connection whose deprecation was already logged.
#[derive(Default)]
pub(crate) struct Notices {
    /// `(product, operationId)`: an id is unique within its product's description only.
    warned: Mutex<HashSet<(&'static str, &'static str)>>,
}

impl Notices {
    /// Logs a warning if `answer` says `operation` is deprecated or has a sunset date and no
    /// warning for it was logged yet. Every answer of a generated call passes here, so an
    /// answer without either header costs two header lookups and nothing else.
    pub(crate) fn check(&self, operation: &'static Operation, response: &reqwest::Response) {
        let headers = response.headers();
        let deprecation = headers.get(DEPRECATION);
        let sunset = headers.get(SUNSET);
        if deprecation.is_none() && sunset.is_none() {
            return;
        }
        self.warn_once(operation, deprecation, sunset);
    }

    #[cold]
    fn warn_once(
        &self,
        operation: &'static Operation,
        deprecation: Option<&HeaderValue>,
        sunset: Option<&HeaderValue>,
    ) {
        let first = self
            .warned
            .lock()
            // Only an insert runs under the lock; a panic elsewhere leaves the set whole.
            .unwrap_or_else(PoisonError::into_inner)
            .insert((operation.product, operation.id));
        if !first {
            return;
        }
        // The two values and nothing else of the answer, which may hold message text or
        // secrets.
        tracing::warn!(
            product = operation.product,
            operation = operation.id,
            deprecation = deprecation.map(text),
            sunset = sunset.map(text),
            "Infobip says this operation is deprecated; calls to it may stop working",
        );
    }
}

/// A header's value as text; one that is not visible ASCII is not printed, since a log line
/// is no place for bytes a terminal may interpret.
pub fn text(value: &HeaderValue) -> &str {
    value.to_str().unwrap_or("[not text]")
}
