//! The time source behind every expiry decision and every backoff wait.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use infobip_client::BoxFuture;

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
