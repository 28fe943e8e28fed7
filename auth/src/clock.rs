//! The time source behind every expiry decision and every backoff wait, and the arithmetic
//! on its times (saturating: a huge duration means "for as long as this process lives").

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use infobip_client::BoxFuture;

#[cfg(any(test, feature = "test-util"))]
pub use crate::test_util::ManualClock;
/// The time source behind every expiry decision and every backoff wait.
///
/// Injectable so that expiry logic can be tested without waiting: `ManualClock` (feature
/// `test-util`) moves only when told to.
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// The current monotonic instant.
    fn now(&self) -> Instant;

    /// The current wall-clock time. Only a shared token store (`store`, feature
    /// `token-store`) uses it: an `Instant` means nothing to another process, so shared tokens
    /// carry their expiry as wall-clock time. A fake clock should move it together with
    /// [`now`](Self::now).
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

/// `at + by`, without overflowing `Instant` on a huge duration (a century is forever enough).
pub(crate) fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by)
        .or_else(|| at.checked_add(CENTURY))
        .unwrap_or(at)
}

/// A point in time an expiry is kept in: [`Instant`] within one process, [`SystemTime`] for
/// expiries other processes read (they share no monotonic clock).
pub trait Moment: Copy + Ord + fmt::Debug + Send + Sync + 'static {
    /// `self + by`, saturating: a huge duration means "for as long as anyone will look".
    fn after(self, by: Duration) -> Self;

    /// How long from `self` until `until`; zero once it has passed.
    fn until(self, until: Self) -> Duration;
}

impl Moment for Instant {
    fn after(self, by: Duration) -> Self {
        later(self, by)
    }

    fn until(self, until: Self) -> Duration {
        until.saturating_duration_since(self)
    }
}

impl Moment for SystemTime {
    fn after(self, by: Duration) -> Self {
        self.checked_add(by)
            .or_else(|| self.checked_add(CENTURY))
            .unwrap_or(self)
    }

    fn until(self, until: Self) -> Duration {
        until.duration_since(self).unwrap_or(Duration::ZERO)
    }
}

/// As good as forever for an expiry, and small enough to add to any time a clock gives.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

// `duration` in whole milliseconds, saturating, for logs and for other processes: the
// client's, which records its call spans with it, so that the workspace converts in one place.
pub(crate) use infobip_client::time::millis;

/// Milliseconds since the epoch, for times that other processes read.
pub(crate) fn epoch_millis(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, millis)
}

/// The time [`epoch_millis`] gave `millis` for (saturating, as [`Moment::after`] does).
#[cfg_attr(not(feature = "token-store"), allow(dead_code))]
pub(crate) fn from_epoch_millis(millis: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH.after(Duration::from_millis(millis))
}
