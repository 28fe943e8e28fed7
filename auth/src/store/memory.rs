//! The in-process store.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use infobip_client::BoxFuture;

use super::{StoreError, Stored, TokenStore};
use crate::clock::later;

/// The in-process [`TokenStore`]: clients built with the same `MemoryStore` (it is cheap to
/// clone, and clones share their contents) share their tokens and fetch them once.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<HashMap<String, Expiring>>>,
}

/// A value and when it stops being one.
struct Expiring {
    value: Vec<u8>,
    expires_at: Instant,
}

impl fmt::Debug for Expiring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Expiring([redacted])")
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the live entries (expired ones are dropped first), as one atomic step.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut HashMap<String, Expiring>, Instant) -> T,
    ) -> BoxFuture<'static, Result<T, StoreError>>
    where
        T: Send + 'static,
    {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        entries.retain(|_, e| e.expires_at > now);
        let result = f(&mut entries, now);
        Box::pin(std::future::ready(Ok(result)))
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        self.with(|entries, now| {
            entries.get(key).map(|e| Stored {
                value: e.value.clone(),
                ttl: Some(e.expires_at.saturating_duration_since(now)),
            })
        })
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|entries, now| {
            if entries.contains_key(key) {
                return false;
            }
            let entry = Expiring {
                value: value.to_vec(),
                expires_at: later(now, ttl),
            };
            entries.insert(key.to_owned(), entry);
            true
        })
    }

    fn save_if<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
        guard: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|entries, now| {
            let holds = entries.get(guard).is_some_and(|e| e.value == expected);
            if holds {
                let entry = Expiring {
                    value,
                    expires_at: later(now, ttl),
                };
                entries.insert(key.to_owned(), entry);
            }
            holds
        })
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|entries, _| {
            let matches = entries.get(key).is_some_and(|e| e.value == expected);
            if matches {
                entries.remove(key);
            }
            matches
        })
    }

    fn extend_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|entries, now| match entries.get_mut(key) {
            Some(e) if e.value == expected => {
                e.expires_at = later(now, ttl);
                true
            }
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_and_locks_live_until_they_expire_and_change_only_as_expected() {
        let store = MemoryStore::new();
        assert!(store.load("k").await.unwrap().is_none());
        let minute = Duration::from_secs(60);
        // Only the holder of the lock writes.
        assert!(!store
            .save_if("k", b"v1".to_vec(), minute, "l", b"a")
            .await
            .unwrap());
        assert!(store.insert_if_absent("l", b"a", minute).await.unwrap());
        assert!(!store
            .save_if("k", b"v1".to_vec(), minute, "l", b"b")
            .await
            .unwrap());
        assert!(store
            .save_if("k", b"v1".to_vec(), minute, "l", b"a")
            .await
            .unwrap());
        assert!(store.remove_if("l", b"a").await.unwrap());
        let found = store.load("k").await.unwrap().unwrap();
        assert_eq!(found.value, b"v1");
        assert!(found.ttl.unwrap() <= minute);
        assert!(!store.remove_if("k", b"other").await.unwrap());
        assert!(store.remove_if("k", b"v1").await.unwrap());
        assert!(store.load("k").await.unwrap().is_none());

        assert!(store.insert_if_absent("g", b"a", minute).await.unwrap());
        store
            .save_if("gone", b"v".to_vec(), Duration::ZERO, "g", b"a")
            .await
            .unwrap();
        assert!(store.load("gone").await.unwrap().is_none());

        assert!(store.insert_if_absent("l", b"a", minute).await.unwrap());
        assert!(!store.insert_if_absent("l", b"b", minute).await.unwrap());
        assert!(
            !store.insert_if_absent("l", b"a", minute).await.unwrap(),
            "taken, even by its owner"
        );
        assert!(store.extend_if("l", b"a", minute).await.unwrap());
        assert!(!store.extend_if("l", b"b", minute).await.unwrap());
        assert!(!store.remove_if("l", b"b").await.unwrap());
        assert!(!store.insert_if_absent("l", b"b", minute).await.unwrap());
        assert!(store.remove_if("l", b"a").await.unwrap());
        assert!(
            !store.extend_if("l", b"a", minute).await.unwrap(),
            "never creates a key"
        );
        assert!(store
            .insert_if_absent("l", b"b", Duration::ZERO)
            .await
            .unwrap());
        // A lease of zero has already run out: anyone may take it over.
        assert!(store.insert_if_absent("l", b"c", minute).await.unwrap());
    }
}
