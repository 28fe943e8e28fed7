//! The sandbox's time source: what expires sessions, tokens and keys, and moves messages to
//! their final status.
//!
//! The sandbox has its own small trait rather than the auth crate's: a stand-in that imported
//! the client it stands in for would share its bugs, and would make the shipped `infobip`
//! binary compile the auth crate's test utilities. Tests that want one fake clock for the
//! client and the sandbox wrap the client's clock in an adapter that implements this trait
//! (`workspace_tests::ClientClock` in this workspace: a few lines anyone can copy).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// A time source for the sandbox.
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// The current monotonic instant: sessions and OAuth tokens expire on it.
    fn now(&self) -> Instant;

    /// The current wall-clock time: API key validity, message times, `sendAt`. A fake clock
    /// should move it together with [`now`](Self::now).
    fn wall(&self) -> SystemTime;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn wall(&self) -> SystemTime {
        (**self).wall()
    }
}

/// The real clock: [`Instant::now`] and [`SystemTime::now`].
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when [`advance`](Self::advance) is called, for tests of the
/// sandbox alone. Clones share one time. To drive a client under test with the same clock,
/// implement [`Clock`] for the client's own fake clock instead (see the module notes).
#[derive(Debug, Clone)]
pub struct ManualClock {
    state: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    start: Instant,
    start_wall: SystemTime,
    now: Instant,
}

impl ManualClock {
    /// A clock starting at the current instant and wall-clock time.
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            state: Arc::new(Mutex::new(ManualState {
                start: now,
                start_wall: SystemTime::now(),
                now,
            })),
        }
    }

    /// Moves the clock forward, its wall-clock time with it.
    pub fn advance(&self, by: Duration) {
        self.lock().now += by;
    }

    fn lock(&self) -> MutexGuard<'_, ManualState> {
        // Plain values only: a holder that panicked cannot leave them inconsistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_both_times_together_and_only_when_told() {
        let clock = ManualClock::new();
        let (now, wall) = (clock.now(), clock.wall());
        assert_eq!((clock.now(), clock.wall()), (now, wall));
        clock.clone().advance(Duration::from_secs(90));
        assert_eq!(clock.now() - now, Duration::from_secs(90));
        assert_eq!(
            clock.wall().duration_since(wall).ok(),
            Some(Duration::from_secs(90))
        );
    }
}
