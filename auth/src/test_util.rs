//! Helpers for tests of services that use this crate (feature `test-util`): a clock that
//! moves only when told, and a look at a client's token store entry.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use infobip_client::BoxFuture;

use crate::clock::{Clock, Moment as _};

/// A clock that only moves when [`advance`](Self::advance) is called; `sleep` advances it at
/// once and records how long was asked for, so tests can assert backoff and `Retry-After`.
#[derive(Debug, Clone)]
pub struct ManualClock {
    start: Instant,
    start_wall: SystemTime,
    moved: Arc<Mutex<Moved>>,
}

/// How far the clock moved, and every duration `sleep` was asked for.
#[derive(Debug, Default)]
struct Moved {
    by: Duration,
    slept: Vec<Duration>,
}

impl ManualClock {
    /// A clock starting at the current instant.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            start_wall: SystemTime::now(),
            moved: Arc::default(),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.moved().by += by;
    }

    /// Every duration passed to `sleep`, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.moved().slept.clone()
    }

    fn moved(&self) -> MutexGuard<'_, Moved> {
        // Plain values, whole even if a holder panicked.
        self.moved.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.moved().by
    }

    fn wall(&self) -> SystemTime {
        self.start_wall.after(self.moved().by)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let mut moved = self.moved();
        moved.by += duration;
        moved.slept.push(duration);
        Box::pin(std::future::ready(()))
    }
}
