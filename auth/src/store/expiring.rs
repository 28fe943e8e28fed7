//! The expiring map every store of this workspace keeps its entries in.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Rule, Stored};
use crate::clock::{epoch_millis, from_epoch_millis, Moment};

/// Keys holding values until they expire, with the compare-then-act [`Rule`]s of a
/// [`TokenStore`](super::TokenStore) applied at a time given: the building block for a store
/// of one's own.
///
/// [`MemoryStore`](super::MemoryStore) is a mutex around one; the `infobip` command line's
/// file store reads one from its file (this type's serde form, for `ExpiringMap<SystemTime>`),
/// applies a rule and writes it back if it changed. Such a store only has to make each call
/// one atomic step. An entry whose time has come counts as absent for every rule;
/// [`sweep`](Self::sweep) frees the memory it holds.
///
/// `T` is the kind of time expiries are kept in: [`Instant`](std::time::Instant) within one
/// process, [`SystemTime`] in what other processes read.
#[derive(Clone, PartialEq, Eq)]
pub struct ExpiringMap<T> {
    entries: BTreeMap<String, Entry<T>>,
}

#[derive(Clone, PartialEq, Eq)]
struct Entry<T> {
    value: Vec<u8>,
    expires_at: T,
}

impl<T> Default for ExpiringMap<T> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }
}

impl<T> fmt::Debug for ExpiringMap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The keys name credentials' fingerprints and the values are sealed, but neither is
        // anything a log needs.
        write!(f, "ExpiringMap([{} entries])", self.entries.len())
    }
}

impl<T: Moment> ExpiringMap<T> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops the entries whose time has come; returns whether there were any.
    pub fn sweep(&mut self, now: T) -> bool {
        let before = self.entries.len();
        self.entries.retain(|_, e| e.expires_at > now);
        self.entries.len() != before
    }

    fn live(&self, key: &str, now: T) -> Option<&Entry<T>> {
        self.entries.get(key).filter(|e| e.expires_at > now)
    }

    /// The value at `key` and how long it has left, as
    /// [`TokenStore::load`](super::TokenStore::load).
    pub fn load(&self, key: &str, now: T) -> Option<Stored> {
        self.live(key, now).map(|e| Stored {
            value: e.value.clone(),
            ttl: Some(now.until(e.expires_at)),
        })
    }

    /// Applies `rule` at `now`; returns whether it acted, as
    /// [`TokenStore::apply`](super::TokenStore::apply).
    pub fn apply(&mut self, rule: Rule, now: T) -> bool {
        let holds =
            |key: &str, expected: &[u8]| self.live(key, now).is_some_and(|e| e.value == expected);
        // The key, and what it is to hold from now on (nothing: removed).
        let (key, kept) = match rule {
            Rule::InsertIfAbsent { key, value, ttl } if self.live(&key, now).is_none() => {
                (key, Some((value, ttl)))
            }
            Rule::SaveIf {
                key,
                value,
                ttl,
                guard,
                expected,
            } if holds(&guard, &expected) => (key, Some((value, ttl))),
            Rule::RemoveIf { key, expected } if holds(&key, &expected) => (key, None),
            // It holds `expected`: the same value, with a new expiry.
            Rule::ExtendIf { key, expected, ttl } if holds(&key, &expected) => {
                (key, Some((expected, ttl)))
            }
            _ => return false,
        };
        match kept {
            Some((value, ttl)) => {
                let expires_at = now.after(ttl);
                self.entries.insert(key, Entry { value, expires_at })
            }
            None => self.entries.remove(&key),
        };
        true
    }

    /// Deletes `key`, whatever it holds; returns whether it held a live value.
    pub fn remove(&mut self, key: &str, now: T) -> bool {
        self.entries.remove(key).is_some_and(|e| e.expires_at > now)
    }
}

/// An entry as written for other processes: the value in base64, the expiry in milliseconds
/// since the Unix epoch.
#[derive(Serialize, Deserialize)]
struct Written {
    value: String,
    expires_at_ms: u64,
}

impl Serialize for ExpiringMap<SystemTime> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.entries.iter().map(|(key, e)| {
            let written = Written {
                value: base64::engine::general_purpose::STANDARD.encode(&e.value),
                expires_at_ms: epoch_millis(e.expires_at),
            };
            (key, written)
        }))
    }
}

impl<'de> Deserialize<'de> for ExpiringMap<SystemTime> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let written = BTreeMap::<String, Written>::deserialize(deserializer)?;
        let entries = written
            .into_iter()
            .map(|(key, w)| {
                let value = base64::engine::general_purpose::STANDARD
                    .decode(&w.value)
                    .map_err(serde::de::Error::custom)?;
                let expires_at = from_epoch_millis(w.expires_at_ms);
                Ok((key, Entry { value, expires_at }))
            })
            .collect::<Result<_, D::Error>>()?;
        Ok(Self { entries })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn insert(key: &str, value: &[u8], ttl: Duration) -> Rule {
        Rule::InsertIfAbsent {
            key: key.into(),
            value: value.to_vec(),
            ttl,
        }
    }

    fn save(key: &str, value: &[u8], ttl: Duration, guard: &str, expected: &[u8]) -> Rule {
        Rule::SaveIf {
            key: key.into(),
            value: value.to_vec(),
            ttl,
            guard: guard.into(),
            expected: expected.to_vec(),
        }
    }

    fn remove_if(key: &str, expected: &[u8]) -> Rule {
        Rule::RemoveIf {
            key: key.into(),
            expected: expected.to_vec(),
        }
    }

    fn extend(key: &str, expected: &[u8], ttl: Duration) -> Rule {
        Rule::ExtendIf {
            key: key.into(),
            expected: expected.to_vec(),
            ttl,
        }
    }

    #[test]
    fn only_the_holder_of_the_guard_saves() {
        let now = Instant::now();
        let mut map = ExpiringMap::new();
        assert!(map.load("k", now).is_none());
        assert!(!map.apply(save("k", b"v1", MINUTE, "l", b"a"), now));
        assert!(map.apply(insert("l", b"a", MINUTE), now));
        assert!(!map.apply(save("k", b"v1", MINUTE, "l", b"b"), now));
        assert!(map.apply(save("k", b"v1", MINUTE, "l", b"a"), now));
        let later = now + Duration::from_secs(10);
        let found = map.load("k", later).unwrap();
        assert_eq!(found.value, b"v1");
        assert_eq!(found.ttl, Some(Duration::from_secs(50)));
    }

    #[test]
    fn a_taken_key_is_not_inserted_and_changes_only_for_its_value() {
        let now = Instant::now();
        let mut map = ExpiringMap::new();
        assert!(map.apply(insert("l", b"a", MINUTE), now));
        assert!(!map.apply(insert("l", b"b", MINUTE), now));
        assert!(
            !map.apply(insert("l", b"a", MINUTE), now),
            "taken, even by its owner"
        );
        assert!(!map.apply(extend("l", b"b", MINUTE * 2), now));
        assert!(!map.apply(remove_if("l", b"b"), now));
        assert_eq!(map.load("l", now).unwrap().ttl, Some(MINUTE));
        assert!(map.apply(extend("l", b"a", MINUTE * 2), now));
        assert_eq!(map.load("l", now).unwrap().ttl, Some(MINUTE * 2));
        assert!(map.apply(remove_if("l", b"a"), now));
        assert!(map.load("l", now).is_none());
        assert!(
            !map.apply(extend("l", b"a", MINUTE), now),
            "never creates a key"
        );
        assert!(map.load("l", now).is_none());
    }

    #[test]
    fn an_expired_entry_is_absent_for_every_rule_before_any_sweep() {
        let now = Instant::now();
        let mut map = ExpiringMap::new();
        assert!(map.apply(insert("g", b"a", MINUTE), now));
        assert!(map.apply(save("k", b"v", Duration::ZERO, "g", b"a"), now));
        assert!(map.load("k", now).is_none());
        assert!(!map.apply(remove_if("k", b"v"), now));
        assert!(!map.apply(extend("k", b"v", MINUTE), now));

        // A lease of zero has already run out: anyone may take it over.
        assert!(map.apply(insert("l", b"b", Duration::ZERO), now));
        assert!(map.apply(insert("l", b"c", MINUTE), now));

        let after = now + MINUTE;
        assert!(map.load("g", after).is_none());
        assert!(!map.apply(save("k", b"v", MINUTE, "g", b"a"), after));
        assert!(map.sweep(after));
        assert!(!map.sweep(after), "nothing left to drop");
        assert_eq!(map, ExpiringMap::new());
    }

    #[test]
    fn remove_deletes_whatever_a_key_holds() {
        let now = Instant::now();
        let mut map = ExpiringMap::new();
        assert!(map.apply(insert("k", b"v", MINUTE), now));
        assert!(map.remove("k", now));
        assert!(!map.remove("k", now));
        assert!(map.apply(insert("k", b"v", Duration::ZERO), now));
        assert!(!map.remove("k", now), "an expired value was no value");
    }

    #[test]
    fn a_huge_ttl_saturates() {
        let now = Instant::now();
        let mut map = ExpiringMap::new();
        assert!(map.apply(insert("k", b"v", Duration::MAX), now));
        assert!(map.load("k", now).unwrap().ttl.unwrap() > MINUTE);
        let wall = SystemTime::now();
        let mut map = ExpiringMap::new();
        assert!(map.apply(insert("k", b"v", Duration::MAX), wall));
        assert!(map.load("k", wall).unwrap().ttl.unwrap() > MINUTE);
    }

    #[test]
    fn the_written_form_keeps_values_and_expiries_to_the_millisecond() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let mut map = ExpiringMap::new();
        assert!(map.apply(insert("k", b"\x00v", MINUTE), now));
        let json = serde_json::to_value(&map).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"k": {"value": "AHY=", "expires_at_ms": 1_700_000_060_123u64}})
        );
        let back: ExpiringMap<SystemTime> = serde_json::from_value(json).unwrap();
        assert_eq!(back, map);
        let bad = serde_json::json!({"k": {"value": "not base64!", "expires_at_ms": 1}});
        assert!(serde_json::from_value::<ExpiringMap<SystemTime>>(bad).is_err());
    }
}
