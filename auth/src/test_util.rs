//! Helpers for tests of services that use this crate (feature `test-util`): a clock that
//! moves only when told, and a look at a client's token store entry.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use infobip_client::BoxFuture;

use crate::clock::Clock;

/// A clock that only moves when [`advance`](Self::advance) is called; `sleep` advances it at
/// once and records how long was asked for, so tests can assert backoff and `Retry-After`.
#[derive(Debug, Clone)]
pub struct ManualClock {
    state: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    start: Instant,
    start_wall: SystemTime,
    now: Instant,
    slept: Vec<Duration>,
}

impl ManualClock {
    /// A clock starting at the current instant.
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            state: Arc::new(Mutex::new(ManualState {
                start: now,
                start_wall: SystemTime::now(),
                now,
                slept: Vec::new(),
            })),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.lock().now += by;
    }

    /// Every duration passed to `sleep`, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.lock().slept.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        // The state stays consistent even if a holder panicked: both fields are plain values.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.lock().now
    }

    fn wall(&self) -> SystemTime {
        let state = self.lock();
        let moved = state.now.saturating_duration_since(state.start);
        state
            .start_wall
            .checked_add(moved)
            .unwrap_or(state.start_wall)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let mut state = self.lock();
        state.now += duration;
        state.slept.push(duration);
        Box::pin(std::future::ready(()))
    }
}
