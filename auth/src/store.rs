//! Where tokens are kept when several clients, in one process or many, should share them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use infobip_client::BoxFuture;
use secrecy::{ExposeSecret, SecretBox};

use crate::AuthError;

/// A shared place for tokens and sessions, and the lock that makes one process at a time
/// fetch them: what lets a fleet of replicas behave like one client.
///
/// Without a store (the default), each client keeps its tokens in its own in-process cache.
/// With one ([`ClientBuilder::token_store`](crate::ClientBuilder::token_store)), a client that
/// needs a token first looks in the store; only the holder of the store's lock asks Infobip,
/// and everyone else waits for what it stores. A lock whose holder died is taken over once its
/// lease runs out.
///
/// Implementations are plain key-value stores with expiry and an owned lock. They never see a
/// secret: values arrive encrypted and authenticated (XChaCha20-Poly1305, with the key given to
/// the builder), and keys hold the base URL, the scheme and a SHA-256 of the user name. Every
/// call is bounded by the builder's store timeout; a store that fails or times out is bypassed
/// (the client falls back to its own cache, with a rate-limited warning), so a store outage
/// never stops calls.
///
/// [`MemoryStore`] shares tokens between the clients of one process; `RedisStore` (feature
/// `redis`) across processes and hosts.
pub trait TokenStore: fmt::Debug + Send + Sync + 'static {
    /// The value stored at `key` and how long it has left, or `None` if there is none.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>>;

    /// Stores `value` at `key`, replacing any value, to expire after `ttl`, if (and only if)
    /// `owner` still holds the lock `lock`; returns whether it did. Atomic: a holder whose
    /// lease ran out and was taken over cannot overwrite what the new holder stores.
    fn save_if_locked<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
        lock: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Deletes `key` if (and only if) it still holds `expected`; returns whether it did.
    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Sets the expiry of `key`, if it still holds `expected`, to `ttl` from now (a session's
    /// idle clock restarting on use); returns whether it did.
    fn extend_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Takes the lock `key` for `owner` for `lease`, unless someone else holds it; returns
    /// whether `owner` now holds it.
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Extends the lease of the lock `key` to `lease` from now if `owner` still holds it;
    /// returns whether it does. Never takes a free lock.
    fn renew_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Releases the lock `key` if `owner` holds it.
    fn unlock<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
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

/// The 32-byte key that encrypts and authenticates tokens in a [`TokenStore`]. Every process
/// sharing a store must use the same key; one with another key sees the entries as missing.
///
/// Generate one with `openssl rand -base64 32` and keep it with your other secrets.
pub struct EncryptionKey(pub(crate) SecretBox<[u8; 32]>);

impl EncryptionKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// A key from standard base64 (44 characters, as `openssl rand -base64 32` prints).
    pub fn from_base64(encoded: &str) -> Result<Self, AuthError> {
        let fail = |reason: &str| AuthError::Config {
            field: "token_store_key",
            reason: reason.to_owned(),
        };
        let decoded = zeroize::Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| {
                    fail("is not standard base64; generate one with `openssl rand -base64 32`")
                })?,
        );
        let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            fail("does not decode to 32 bytes; generate one with `openssl rand -base64 32`")
        })?;
        Ok(Self::from_bytes(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl Clone for EncryptionKey {
    fn clone(&self) -> Self {
        Self::from_bytes(*self.bytes())
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

/// The in-process [`TokenStore`]: clients built with the same `MemoryStore` (it is cheap to
/// clone, and clones share their contents) share their tokens and fetch them once.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    entries: std::sync::Arc<Mutex<HashMap<String, Entry>>>,
}

struct Entry {
    value: Vec<u8>,
    expires_at: Instant,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Entry([redacted])")
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the live entries (expired ones are dropped first).
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>, Instant) -> T) -> T {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        entries.retain(|_, e| e.expires_at > now);
        f(&mut entries, now)
    }
}

fn deadline(now: Instant, ttl: Duration) -> Instant {
    // An absurd TTL means "for as long as this process lives".
    now.checked_add(ttl)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        let found = self.with(|entries, now| {
            entries.get(key).map(|e| Stored {
                value: e.value.clone(),
                ttl: Some(e.expires_at.saturating_duration_since(now)),
            })
        });
        Box::pin(std::future::ready(Ok(found)))
    }

    fn save_if_locked<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
        lock: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let saved = self.with(|entries, now| {
            let holds = entries
                .get(lock)
                .is_some_and(|e| e.value == owner.as_bytes());
            if holds {
                entries.insert(
                    key.to_owned(),
                    Entry {
                        value,
                        expires_at: deadline(now, ttl),
                    },
                );
            }
            holds
        });
        Box::pin(std::future::ready(Ok(saved)))
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let removed = self.with(|entries, _| {
            let matches = entries.get(key).is_some_and(|e| e.value == expected);
            if matches {
                entries.remove(key);
            }
            matches
        });
        Box::pin(std::future::ready(Ok(removed)))
    }

    fn extend_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let extended = self.with(|entries, now| match entries.get_mut(key) {
            Some(e) if e.value == expected => {
                e.expires_at = deadline(now, ttl);
                true
            }
            _ => false,
        });
        Box::pin(std::future::ready(Ok(extended)))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let taken = self.with(|entries, now| match entries.get(key) {
            Some(_) => false,
            None => {
                entries.insert(
                    key.to_owned(),
                    Entry {
                        value: owner.as_bytes().to_vec(),
                        expires_at: deadline(now, lease),
                    },
                );
                true
            }
        });
        Box::pin(std::future::ready(Ok(taken)))
    }

    fn renew_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let renewed = self.with(|entries, now| match entries.get_mut(key) {
            Some(e) if e.value == owner.as_bytes() => {
                e.expires_at = deadline(now, lease);
                true
            }
            _ => false,
        });
        Box::pin(std::future::ready(Ok(renewed)))
    }

    fn unlock<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.with(|entries, _| {
            if entries
                .get(key)
                .is_some_and(|e| e.value == owner.as_bytes())
            {
                entries.remove(key);
            }
        });
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_store_keeps_values_and_locks_until_they_expire() {
        let store = MemoryStore::new();
        assert!(store.load("k").await.unwrap().is_none());
        let minute = Duration::from_secs(60);
        // Only the holder of the lock writes.
        assert!(!store
            .save_if_locked("k", b"v1".to_vec(), minute, "l", "a")
            .await
            .unwrap());
        assert!(store.try_lock("l", "a", minute).await.unwrap());
        assert!(!store
            .save_if_locked("k", b"v1".to_vec(), minute, "l", "b")
            .await
            .unwrap());
        assert!(store
            .save_if_locked("k", b"v1".to_vec(), minute, "l", "a")
            .await
            .unwrap());
        store.unlock("l", "a").await.unwrap();
        let found = store.load("k").await.unwrap().unwrap();
        assert_eq!(found.value, b"v1");
        assert!(found.ttl.unwrap() <= Duration::from_secs(60));
        assert!(!store.remove_if("k", b"other").await.unwrap());
        assert!(store.remove_if("k", b"v1").await.unwrap());
        assert!(store.load("k").await.unwrap().is_none());

        assert!(store.try_lock("g", "a", minute).await.unwrap());
        store
            .save_if_locked("gone", b"v".to_vec(), Duration::ZERO, "g", "a")
            .await
            .unwrap();
        assert!(store.load("gone").await.unwrap().is_none());
        store.unlock("g", "a").await.unwrap();

        assert!(store.try_lock("l", "a", minute).await.unwrap());
        assert!(!store.try_lock("l", "b", minute).await.unwrap());
        assert!(
            !store.try_lock("l", "a", minute).await.unwrap(),
            "taken, even by its owner"
        );
        assert!(store.renew_lock("l", "a", minute).await.unwrap());
        assert!(!store.renew_lock("l", "b", minute).await.unwrap());
        store.unlock("l", "b").await.unwrap();
        assert!(!store.try_lock("l", "b", minute).await.unwrap());
        store.unlock("l", "a").await.unwrap();
        assert!(
            !store.renew_lock("l", "a", minute).await.unwrap(),
            "never takes a free lock"
        );
        assert!(store.try_lock("l", "b", Duration::ZERO).await.unwrap());
        // A lease of zero has already run out: anyone may take it over.
        assert!(store.try_lock("l", "c", minute).await.unwrap());
    }

    #[test]
    fn keys_are_checked_and_never_shown() {
        let key =
            EncryptionKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        assert_eq!(key.bytes()[31], 31);
        assert_eq!(format!("{key:?}"), "EncryptionKey([redacted])");
        let short = EncryptionKey::from_base64("AAECAw==")
            .unwrap_err()
            .to_string();
        assert!(short.contains("32 bytes"), "{short}");
        let bad = EncryptionKey::from_base64("not base64!")
            .unwrap_err()
            .to_string();
        assert!(bad.contains("base64"), "{bad}");
        assert!(!bad.contains("not base64!"), "{bad}");
    }
}
