//! [`MemoryDedup`]: the duplicate store of one process.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::dedup::{Claimed, DedupError, DedupStore, EventKey, LONGEST};
use crate::BoxFuture;

/// The time a [`MemoryDedup`] reads to expire its entries. [`SystemClock`] reads
/// [`Instant::now`]; any `Fn() -> Instant + Send + Sync` closure is a clock, so that a test
/// moves time forward by hand instead of sleeping.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Instant;
}

impl<F> Clock for F
where
    F: Fn() -> Instant + Send + Sync + 'static,
{
    fn now(&self) -> Instant {
        self()
    }
}

/// [`Instant::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// The default [`MemoryDedup::capacity`].
pub const DEFAULT_CAPACITY: usize = 100_000;

/// A [`DedupStore`] in this process's memory: enough for a service of one replica. Replicas
/// must share a store ([`RedisDedup`](super::RedisDedup)); each replica's own memory would let
/// a redelivery that reaches another replica through.
///
/// Entries expire when their lease or window ends, and expired entries are pruned on every
/// claim, so memory is bounded by the events of one window. The entry count is capped too
/// ([`capacity`](Self::capacity), 100 000 by default): at the cap, the handled entries closest
/// to their expiry are dropped first to make room (so a duplicate of such an old event would
/// reach the handler again); when every entry is in flight, claims fail with
/// [`DedupError::Full`] and the receiver answers 503, so Infobip delivers again later. A
/// batch with more new events than that is handled in parts: the events claimed before the
/// store filled, then 503 for the rest.
///
/// Clones share the entries.
#[derive(Clone)]
pub struct MemoryDedup {
    inner: Arc<Mutex<Entries>>,
    clock: Arc<dyn Clock>,
    capacity: usize,
}

impl fmt::Debug for MemoryDedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.len();
        f.debug_struct("MemoryDedup")
            .field("entries", &len)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Done,
}

#[derive(Default)]
struct Entries {
    map: HashMap<EventKey, (State, Instant)>,
    /// The same entries by expiry, for pruning.
    by_expiry: BTreeSet<(Instant, EventKey)>,
    /// The handled entries by expiry, for eviction: finding one never walks past the entries
    /// in flight.
    done: BTreeSet<(Instant, EventKey)>,
}

impl Entries {
    fn prune(&mut self, now: Instant) {
        while let Some((expires, _)) = self.by_expiry.first() {
            if *expires > now {
                break;
            }
            if let Some(entry) = self.by_expiry.pop_first() {
                self.map.remove(&entry.1);
                self.done.remove(&entry);
            }
        }
    }

    fn remove(&mut self, key: &EventKey) {
        if let Some((_, expires)) = self.map.remove(key) {
            let entry = (expires, key.clone());
            self.by_expiry.remove(&entry);
            self.done.remove(&entry);
        }
    }

    fn insert(&mut self, key: &EventKey, state: State, expires: Instant) {
        self.remove(key);
        self.map.insert(key.clone(), (state, expires));
        self.by_expiry.insert((expires, key.clone()));
        if state == State::Done {
            self.done.insert((expires, key.clone()));
        }
    }

    /// Drops the handled entry closest to its expiry; `false` if there is none.
    fn evict_one(&mut self) -> bool {
        let victim = self.done.first().map(|(_, key)| key.clone());
        match victim {
            Some(key) => {
                self.remove(&key);
                true
            }
            None => false,
        }
    }
}

impl Default for MemoryDedup {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryDedup {
    /// An empty store on the [`SystemClock`].
    pub fn new() -> Self {
        Self::with_clock(SystemClock)
    }

    /// An empty store reading `clock` (a test's hand-moved time).
    pub fn with_clock(clock: impl Clock) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Entries::default())),
            clock: Arc::new(clock),
            capacity: DEFAULT_CAPACITY,
        }
    }

    /// At most `capacity` entries (at least 1); see the type's documentation for what
    /// happens at the cap.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The entries held, expired ones not yet pruned included.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every change below leaves the entries consistent, so a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn claim_now(&self, key: &EventKey, lease: Duration) -> Result<Claimed, DedupError> {
        let now = self.clock.now();
        let mut entries = self.lock();
        entries.prune(now);
        match entries.map.get(key) {
            Some((State::Done, _)) => return Ok(Claimed::Seen),
            Some((State::Pending, _)) => return Ok(Claimed::InFlight),
            None => {}
        }
        while entries.map.len() >= self.capacity {
            if !entries.evict_one() {
                return Err(DedupError::Full(entries.map.len()));
            }
        }
        entries.insert(key, State::Pending, now + lease.min(LONGEST));
        Ok(Claimed::Claimed)
    }
}

impl DedupStore for MemoryDedup {
    fn claim<'a>(
        &'a self,
        key: &'a EventKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, DedupError>> {
        let claimed = self.claim_now(key, lease);
        Box::pin(async move { claimed })
    }

    fn confirm<'a>(
        &'a self,
        key: &'a EventKey,
        window: Duration,
    ) -> BoxFuture<'a, Result<(), DedupError>> {
        let now = self.clock.now();
        self.lock()
            .insert(key, State::Done, now + window.min(LONGEST));
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, key: &'a EventKey) -> BoxFuture<'a, Result<(), DedupError>> {
        let mut entries = self.lock();
        if matches!(entries.map.get(key), Some((State::Pending, _))) {
            entries.remove(key);
        }
        drop(entries);
        Box::pin(async { Ok(()) })
    }
}
