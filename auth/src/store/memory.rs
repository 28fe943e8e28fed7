//! The in-process store.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use infobip_client::BoxFuture;

use super::{ExpiringMap, StoreError, Stored, TokenStore};

/// The in-process [`TokenStore`]: clients built with the same `MemoryStore` (it is cheap to
/// clone, and clones share their contents) share their tokens and fetch them once.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<ExpiringMap<Instant>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `rule` on the map, swept first, as one atomic step.
    fn with<T: Send + 'static>(
        &self,
        rule: impl FnOnce(&mut ExpiringMap<Instant>, Instant) -> T,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        entries.sweep(now);
        let result = rule(&mut entries, now);
        Box::pin(std::future::ready(Ok(result)))
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        self.with(|map, now| map.load(key, now))
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|map, now| map.insert_if_absent(key, value, ttl, now))
    }

    fn save_if<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
        guard: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|map, now| map.save_if(key, value, ttl, guard, expected, now))
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|map, now| map.remove_if(key, expected, now))
    }

    fn extend_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.with(|map, now| map.extend_if(key, expected, ttl, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clones_share_one_map() {
        let store = MemoryStore::new();
        let clone = store.clone();
        let minute = Duration::from_secs(60);
        assert!(store.insert_if_absent("l", b"a", minute).await.unwrap());
        assert!(!clone.insert_if_absent("l", b"b", minute).await.unwrap());
        assert!(clone
            .save_if("k", b"v".to_vec(), minute, "l", b"a")
            .await
            .unwrap());
        assert_eq!(store.load("k").await.unwrap().unwrap().value, b"v");
        assert!(clone.remove_if("l", b"a").await.unwrap());
        assert!(store.load("l").await.unwrap().is_none());
    }
}
