//! Where tokens are kept when several clients, in one process or many, should share them
//! (feature `token-store`): the [`TokenStore`] trait, its stores (memory, Redis) and the
//! encryption of what is stored. A program can bring its own store (the `infobip` command
//! line keeps its tokens in a file), keeping its entries in an [`ExpiringMap`].

mod expiring;
mod memory;
#[cfg(feature = "redis")]
mod redis;
pub(crate) mod sealing;

use std::fmt;
use std::time::Duration;

use infobip_client::BoxFuture;

pub use expiring::ExpiringMap;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use sealing::EncryptionKey;

pub use crate::authenticator::store_key;

/// A shared place for tokens and sessions, and the lock that makes one process at a time
/// fetch them: what lets a fleet of replicas behave like one client.
///
/// Without a store (the default), each client keeps its tokens in its own in-process cache.
/// With one ([`ClientBuilder::token_store`](crate::ClientBuilder::token_store)), a client that
/// needs a token first looks in the store; only the holder of the store's lock asks Infobip,
/// and everyone else waits for what it stores. A lock whose holder died is taken over once its
/// lease runs out.
///
/// Implementations are plain key-value stores with expiry and the compare-then-act writes of
/// [`Rule`]. They never see a secret: values arrive encrypted and authenticated
/// (XChaCha20-Poly1305, with the key given to the builder), and keys hold the base URL, the
/// scheme and a fingerprint of the user and secret keyed by that key (HMAC-SHA256). The
/// fingerprint is each key's `{...}` hash tag, the same for a credential's entry and its lock:
/// a store that shards by key (as Redis Cluster does) must keep keys with one tag together,
/// since [`Rule::SaveIf`] reads one and writes the other in one step. Every call is bounded by
/// the builder's store timeout; a store that fails or times out is bypassed (the client falls
/// back to its own cache, with a rate-limited warning), so a store outage never stops calls.
///
/// [`MemoryStore`] shares tokens between the clients of one process, `RedisStore` (feature
/// `redis`; one server or a Redis Cluster) across processes and hosts. A store of one's own
/// can keep its entries in an [`ExpiringMap`], which implements these rules.
pub trait TokenStore: fmt::Debug + Send + Sync + 'static {
    /// The value stored at `key` and how long it has left, or `None` if there is none.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>>;

    /// Applies one compare-then-act `rule` as one atomic step; returns whether it acted.
    fn apply(&self, rule: Rule) -> BoxFuture<'_, Result<bool, StoreError>>;
}

/// A write of a [`TokenStore`]: each compares what a key holds, then acts, as one atomic step.
/// A lock is a key inserted if absent, holding its owner's id.
#[derive(Clone, PartialEq, Eq)]
pub enum Rule {
    /// Stores `value` at `key` to expire after `ttl`, unless `key` holds a value already. (How
    /// a lock is taken.)
    InsertIfAbsent {
        /// Where.
        key: String,
        /// What.
        value: Vec<u8>,
        /// For how long.
        ttl: Duration,
    },
    /// Stores `value` at `key`, replacing any value, to expire after `ttl`, if (and only if)
    /// `guard` holds `expected`: a lock holder whose lease ran out and was taken over cannot
    /// overwrite what the new holder stores.
    SaveIf {
        /// Where.
        key: String,
        /// What.
        value: Vec<u8>,
        /// For how long.
        ttl: Duration,
        /// The key (a lock) that must hold `expected`.
        guard: String,
        /// What `guard` must hold.
        expected: Vec<u8>,
    },
    /// Deletes `key` if it holds `expected`. (How a lock is released, and a rejected token
    /// removed.)
    RemoveIf {
        /// Which key.
        key: String,
        /// What it must hold.
        expected: Vec<u8>,
    },
    /// Sets the expiry of `key`, if it holds `expected`, to `ttl` from now; never creates a
    /// key. (How a lock's lease is renewed, and a session's idle clock restarted.)
    ExtendIf {
        /// Which key.
        key: String,
        /// What it must hold.
        expected: Vec<u8>,
        /// Its new time to live.
        ttl: Duration,
    },
}

/// A value read from a [`TokenStore`].
#[derive(Clone, PartialEq, Eq)]
pub struct Stored {
    /// The bytes as saved (encrypted by the client).
    pub value: Vec<u8>,
    /// How long the value has left, if the store knows.
    pub ttl: Option<Duration>,
}

impl fmt::Debug for Stored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stored")
            .field(
                "value",
                &format_args!("[{} encrypted bytes]", self.value.len()),
            )
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// A [`TokenStore`] that failed or could not be reached.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the token store failed: {reason}")]
pub struct StoreError {
    reason: String,
}

impl StoreError {
    /// An error with this explanation, which must not contain a secret (a store URL with a
    /// password, a value).
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}
