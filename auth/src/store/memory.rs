//! The in-process store.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use infobip_client::BoxFuture;

use super::{ExpiringMap, Rule, StoreError, Stored, TokenStore};

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

    fn apply(&self, rule: Rule) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.with(|map, now| map.apply(rule, now))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn clones_share_one_map() {
        let store = MemoryStore::new();
        let clone = store.clone();
        let minute = Duration::from_secs(60);
        let lock = |value: &[u8]| Rule::InsertIfAbsent {
            key: "l".into(),
            value: value.to_vec(),
            ttl: minute,
        };
        assert!(store.apply(lock(b"a")).await.unwrap());
        assert!(!clone.apply(lock(b"b")).await.unwrap());
        let save = Rule::SaveIf {
            key: "k".into(),
            value: b"v".to_vec(),
            ttl: minute,
            guard: "l".into(),
            expected: b"a".to_vec(),
        };
        assert!(clone.apply(save).await.unwrap());
        assert_eq!(store.load("k").await.unwrap().unwrap().value, b"v");
        let unlock = Rule::RemoveIf {
            key: "l".into(),
            expected: b"a".to_vec(),
        };
        assert!(clone.apply(unlock).await.unwrap());
        assert!(store.load("l").await.unwrap().is_none());
    }
}
