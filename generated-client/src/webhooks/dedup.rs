//! What identifies an event ([`EventKey`]), and the store that remembers which were handled
//! ([`DedupStore`]).

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::BoxFuture;

/// The identity of one event, hashed: the SHA-256 (hex) of its product, kind, message id, and
/// status or time, so that a store holds no payload data.
///
/// An event is an element of the body's `results` array when it has one (most of Infobip's
/// webhook payloads do), or else the whole body. Its parts are:
/// - the message id: `messageId`;
/// - what happened to it: `status.name`, else `status.groupName`, else `status` when it is a
///   string, else the first time found of `doneAt`, `receivedAt`, `sentAt`, `seenAt`,
///   `timestamp`, `createdAt`;
/// - an event with no message id, or with neither a status nor a time, is identified by the
///   SHA-256 of its canonical JSON (keys sorted, no spaces) instead.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(String);

impl fmt::Debug for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventKey({})", self.0)
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an event's time may be, in order of preference.
const TIMES: [&str; 6] = [
    "doneAt",
    "receivedAt",
    "sentAt",
    "seenAt",
    "timestamp",
    "createdAt",
];

impl EventKey {
    /// The key of `event` (one element of `results`, or a whole body) of the kind `name` of
    /// `product`.
    pub fn of(product: &str, name: &str, event: &Value) -> Self {
        let id = event.get("messageId").and_then(scalar);
        let what = event.get("status").and_then(|status| {
            status
                .get("name")
                .and_then(scalar)
                .or_else(|| status.get("groupName").and_then(scalar))
                .or_else(|| scalar(status))
                .map(|s| ("status", s))
        });
        let what = what.or_else(|| {
            TIMES
                .iter()
                .find_map(|&t| event.get(t).and_then(scalar).map(|s| (t, s)))
        });
        // An unambiguous encoding of the parts: a JSON array of strings.
        let parts: Vec<String> = match (id, what) {
            (Some(id), Some((field, value))) => vec![
                product.to_owned(),
                name.to_owned(),
                "messageId".to_owned(),
                id,
                field.to_owned(),
                value,
            ],
            _ => {
                let mut canonical = String::new();
                write_canonical(event, &mut canonical);
                vec![
                    product.to_owned(),
                    name.to_owned(),
                    "canonical".to_owned(),
                    canonical,
                ]
            }
        };
        let encoded = Value::from(parts).to_string();
        Self(hex(&Sha256::digest(encoded.as_bytes())))
    }

    /// A key from its hex form, as a store reads it back.
    pub fn from_hex(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// The hex form (64 characters for keys made by [`of`](Self::of)).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A string or number as text; `None` for anything else (or an empty string).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `value` as JSON with every object's keys sorted and no spaces, whatever order
/// `serde_json` keeps keys in (its `preserve_order` feature may be on in a build).
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The longest lease or window a store keeps (about 100 years): a longer one, such as
/// `Duration::MAX` for "forever", is cut to it instead of overflowing the store's clock or
/// Redis's expiry.
pub(crate) const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// What [`DedupStore::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// The event is new (or its earlier delivery failed, or its window passed): this delivery
    /// holds it for the lease and hands it to the handler.
    Claimed,
    /// The event was handled within the window: drop it.
    Seen,
    /// Another delivery holds it (a replica handling the same redelivery): neither drop nor
    /// handle it; the receiver answers 503 so that Infobip delivers it again.
    InFlight,
}

/// A [`DedupStore`] that failed (Redis unreachable, a full memory store). The receiver
/// answers 503 with `Retry-After`, so that Infobip delivers the events again.
#[derive(Debug, thiserror::Error)]
pub enum DedupError {
    /// The store could not be reached or answered with an error.
    #[error("the webhook duplicate store failed ({0}); check that it is reachable")]
    Unavailable(String),
    /// The memory store holds its maximum of entries, every one of them in flight.
    #[error("the webhook duplicate store is full ({0} entries in flight); raise its capacity or answer faster")]
    Full(usize),
}

/// Remembers which events were handled, shared by the receivers (or the replicas) that must
/// not handle one twice. Object safe: the receiver holds an `Arc<dyn DedupStore>`.
///
/// Each event of a delivery goes through three steps:
/// 1. [`claim`](Self::claim) with a lease: a new key is marked in flight until the lease
///    ends (so that a delivery that dies does not hold it forever);
/// 2. [`confirm`](Self::confirm) once the handler returned `Ok`: the key is marked handled
///    for the window;
/// 3. or [`release`](Self::release) once the handler failed: the key is forgotten, so that
///    Infobip's redelivery is handled again. A key marked handled is kept: when a handler
///    outlived its lease and another delivery handled the event meanwhile, the late failure
///    must not undo that.
pub trait DedupStore: Send + Sync + 'static {
    /// Marks `key` in flight for `lease` if the store does not hold it.
    fn claim<'a>(
        &'a self,
        key: &'a EventKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, DedupError>>;

    /// Marks `key` handled for `window`.
    fn confirm<'a>(
        &'a self,
        key: &'a EventKey,
        window: Duration,
    ) -> BoxFuture<'a, Result<(), DedupError>>;

    /// Forgets `key` if it is in flight; a key marked handled stays.
    fn release<'a>(&'a self, key: &'a EventKey) -> BoxFuture<'a, Result<(), DedupError>>;
}
