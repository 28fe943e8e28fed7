use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use infobip_client::BoxFuture;

/// The time source behind every expiry decision and every backoff wait.
///
/// Injectable so that expiry logic can be tested without waiting: [`ManualClock`] moves only
/// when told to.
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// The current monotonic instant.
    fn now(&self) -> Instant;

    /// The current wall-clock time. Only a [shared token store](crate::TokenStore) uses it:
    /// an `Instant` means nothing to another process, so shared tokens carry their expiry as
    /// wall-clock time. A fake clock should move it together with [`now`](Self::now).
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Waits for `duration` (between retries of the token endpoint).
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn wall(&self) -> SystemTime {
        (**self).wall()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        (**self).sleep(duration)
    }
}

/// The real clock: [`Instant::now`] and `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

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
