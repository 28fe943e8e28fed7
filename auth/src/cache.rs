//! The token cache: lock-free reads, one fetch at a time, failures shared with every waiter.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use reqwest::header::HeaderValue;
use secrecy::SecretString;
use tokio::sync::watch;

use crate::{AuthError, Clock};

/// A token or session in the cache.
pub(crate) struct Token {
    /// Kept for zeroization on drop; the header carries the value on the wire.
    _secret: SecretString,
    /// `Bearer <token>` or `IBSSO <token>`, marked sensitive.
    pub(crate) header: HeaderValue,
    obtained_at: Instant,
    lifetime: Lifetime,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// How long a token stays usable.
pub(crate) enum Lifetime {
    /// OAuth: fixed at issue. `refresh_at <= expires_at`.
    Fixed {
        refresh_at: Instant,
        expires_at: Instant,
    },
    /// IBSSO: `idle` after the last use, renewed `margin` early.
    Idle {
        idle: Duration,
        margin: Duration,
        /// Nanoseconds from `obtained_at` to the last use; atomic so readers never lock.
        last_use: AtomicU64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Use it.
    Fresh,
    /// Still valid, but due for renewal.
    Stale,
    /// Do not send it.
    Expired,
}

impl Token {
    pub(crate) fn new(
        secret: SecretString,
        header: HeaderValue,
        obtained_at: Instant,
        lifetime: Lifetime,
    ) -> Self {
        Self {
            _secret: secret,
            header,
            obtained_at,
            lifetime,
        }
    }

    pub(crate) fn freshness(&self, now: Instant) -> Freshness {
        let (refresh_at, expires_at) = match &self.lifetime {
            Lifetime::Fixed {
                refresh_at,
                expires_at,
            } => (*refresh_at, *expires_at),
            Lifetime::Idle {
                idle,
                margin,
                last_use,
            } => {
                let last =
                    self.obtained_at + Duration::from_nanos(last_use.load(Ordering::Relaxed));
                (last + idle.saturating_sub(*margin), last + *idle)
            }
        };
        if now < refresh_at {
            Freshness::Fresh
        } else if now < expires_at {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// Records a use, which keeps an idle-expiring session alive.
    pub(crate) fn touch(&self, now: Instant) {
        if let Lifetime::Idle { last_use, .. } = &self.lifetime {
            let since = now.saturating_duration_since(self.obtained_at);
            let nanos = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
            last_use.fetch_max(nanos, Ordering::Relaxed);
        }
    }
}

/// How early a token is renewed: a tenth of its life, at least 10 s and at most 5 minutes,
/// and never more than half of its life, so that a short-lived token is not renewed on every
/// call. `configured` replaces the tenth-of-life rule but is still capped at half the life.
pub(crate) fn refresh_margin(lifetime: Duration, configured: Option<Duration>) -> Duration {
    let wanted = configured.unwrap_or_else(|| {
        (lifetime / 10).clamp(Duration::from_secs(10), Duration::from_secs(300))
    });
    wanted.min(lifetime / 2)
}

type Shared = Option<Result<Arc<Token>, AuthError>>;

/// One cached token, renewed by at most one fetch at a time.
pub(crate) struct TokenCache {
    current: ArcSwapOption<Token>,
    inflight: Mutex<Option<watch::Receiver<Shared>>>,
    /// Whether a stale token may be used while another caller renews it, or after a renewal
    /// failed (OAuth: yes; IBSSO: no, because renewing destroys the old session first).
    serve_stale: bool,
    clock: Arc<dyn Clock>,
}

enum Role {
    Leader(watch::Sender<Shared>),
    Follower(watch::Receiver<Shared>),
}

/// Clears the in-flight slot when the leader finishes or is cancelled, so that waiters of a
/// cancelled fetch elect a new leader instead of waiting forever.
struct SlotGuard<'a>(&'a TokenCache);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.slot() = None;
    }
}

impl TokenCache {
    pub(crate) fn new(serve_stale: bool, clock: Arc<dyn Clock>) -> Self {
        Self {
            current: ArcSwapOption::empty(),
            inflight: Mutex::new(None),
            serve_stale,
            clock,
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<watch::Receiver<Shared>>> {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached token, whatever its state.
    pub(crate) fn peek(&self) -> Option<Arc<Token>> {
        self.current.load_full()
    }

    /// The cached token if it can be sent without waiting: the hot path, lock-free.
    pub(crate) fn fresh(&self) -> Option<Arc<Token>> {
        let token = self.current.load_full()?;
        (token.freshness(self.clock.now()) == Freshness::Fresh).then_some(token)
    }

    /// Drops the cached token if it is the one sent as `used` (the server rejected it).
    /// Returns whether it was dropped; `false` means another caller already replaced it.
    pub(crate) fn invalidate(&self, used: &HeaderValue) -> bool {
        let current = self.current.load_full();
        match current {
            Some(token) if token.header == *used => {
                let previous = self.current.compare_and_swap(&Some(token.clone()), None);
                previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, &token))
            }
            _ => false,
        }
    }

    /// Forgets the cached token and returns it.
    pub(crate) fn take(&self) -> Option<Arc<Token>> {
        self.current.swap(None)
    }

    /// A usable token: the cached one, or one obtained by `fetch`. Concurrent callers share a
    /// single fetch and its outcome. `fetch` receives the token being replaced, if any.
    ///
    /// With `serve_stale`, a failed fetch never evicts a token that is still valid: the
    /// caller gets that token.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<Token>, AuthError>
    where
        F: Fn(Option<Arc<Token>>) -> Fut,
        Fut: Future<Output = Result<Token, AuthError>>,
    {
        loop {
            let current = self.current.load_full();
            let state = current
                .as_ref()
                .map(|t| t.freshness(self.clock.now()))
                .unwrap_or(Freshness::Expired);
            if let (Some(token), Freshness::Fresh) = (&current, state) {
                return Ok(token.clone());
            }

            let role = {
                let mut slot = self.slot();
                match &*slot {
                    Some(rx) => Role::Follower(rx.clone()),
                    None => {
                        // A leader that finished between our load and taking the slot has
                        // already stored its token: look again before fetching a second one.
                        if let Some(token) = self.fresh() {
                            return Ok(token);
                        }
                        let (tx, rx) = watch::channel(None);
                        *slot = Some(rx);
                        Role::Leader(tx)
                    }
                }
            };

            match role {
                Role::Follower(mut rx) => {
                    if self.serve_stale && state == Freshness::Stale {
                        if let Some(token) = current {
                            return Ok(token);
                        }
                    }
                    match rx.wait_for(Option::is_some).await {
                        Ok(outcome) => {
                            if let Some(outcome) = outcome.clone() {
                                return outcome;
                            }
                        }
                        // The leader was cancelled; elect a new one.
                        Err(_) => continue,
                    }
                }
                Role::Leader(tx) => {
                    let _guard = SlotGuard(self);
                    let outcome = match fetch(current.clone()).await {
                        Ok(token) => {
                            let token = Arc::new(token);
                            self.current.store(Some(token.clone()));
                            Ok(token)
                        }
                        Err(error) => match current {
                            Some(old)
                                if self.serve_stale
                                    && old.freshness(self.clock.now()) != Freshness::Expired =>
                            {
                                tracing::warn!(
                                    error = %error,
                                    "renewal failed; keeping the current token, which is still valid"
                                );
                                Ok(old)
                            }
                            _ => Err(error),
                        },
                    };
                    tx.send_replace(Some(outcome.clone()));
                    return outcome;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use std::sync::atomic::AtomicUsize;

    fn fixed(clock: &ManualClock, life: Duration) -> Token {
        let now = clock.now();
        let margin = refresh_margin(life, None);
        Token::new(
            SecretString::from("t"),
            HeaderValue::from_static("Bearer t"),
            now,
            Lifetime::Fixed {
                refresh_at: now + life - margin,
                expires_at: now + life,
            },
        )
    }

    #[test]
    fn margin_scales_with_lifetime_and_stays_below_it() {
        let m = |s| refresh_margin(Duration::from_secs(s), None).as_secs_f64();
        assert_eq!(m(3600), 300.0);
        assert_eq!(m(600), 60.0);
        assert_eq!(m(60), 10.0);
        assert_eq!(m(10), 5.0);
        assert_eq!(m(1), 0.5);
        for secs in [1u64, 2, 5, 19, 20, 21, 100, 86_400, 10_000_000] {
            assert!(m(secs) < secs as f64, "{secs}");
        }
        let configured = Some(Duration::from_secs(120));
        assert_eq!(
            refresh_margin(Duration::from_secs(3600), configured).as_secs(),
            120
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(60), configured).as_secs(),
            30
        );
    }

    #[test]
    fn idle_lifetime_moves_with_each_use() {
        let clock = ManualClock::new();
        let token = Token::new(
            SecretString::from("s"),
            HeaderValue::from_static("IBSSO s"),
            clock.now(),
            Lifetime::Idle {
                idle: Duration::from_secs(3600),
                margin: Duration::from_secs(300),
                last_use: AtomicU64::new(0),
            },
        );
        clock.advance(Duration::from_secs(3000));
        assert_eq!(token.freshness(clock.now()), Freshness::Fresh);
        token.touch(clock.now());
        clock.advance(Duration::from_secs(3000));
        assert_eq!(token.freshness(clock.now()), Freshness::Fresh);
        clock.advance(Duration::from_secs(400));
        assert_eq!(token.freshness(clock.now()), Freshness::Stale);
        clock.advance(Duration::from_secs(200));
        assert_eq!(token.freshness(clock.now()), Freshness::Expired);
    }

    #[tokio::test]
    async fn failed_renewal_keeps_a_valid_token_and_fails_without_one() {
        let clock = ManualClock::new();
        let cache = TokenCache::new(true, Arc::new(clock.clone()));
        let first = cache
            .get(|_| async { Ok(fixed(&clock, Duration::from_secs(100))) })
            .await
            .unwrap();
        clock.advance(Duration::from_secs(95)); // inside the 10 s margin
        let calls = AtomicUsize::new(0);
        let failing = |_| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(AuthError::NoSession)
        };
        let kept = cache.get(failing).await.unwrap();
        assert!(Arc::ptr_eq(&first, &kept));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        clock.advance(Duration::from_secs(10)); // now expired
        assert_eq!(cache.get(failing).await.unwrap_err(), AuthError::NoSession);
    }

    #[tokio::test]
    async fn without_stale_serving_a_failed_renewal_is_an_error() {
        // Sessions: the renewal destroyed the old session, so falling back to it is wrong.
        let clock = ManualClock::new();
        let cache = TokenCache::new(false, Arc::new(clock.clone()));
        cache
            .get(|_| async { Ok(fixed(&clock, Duration::from_secs(100))) })
            .await
            .unwrap();
        clock.advance(Duration::from_secs(95));
        let err = cache
            .get(|_| async { Err(AuthError::NoSession) })
            .await
            .unwrap_err();
        assert_eq!(err, AuthError::NoSession);
    }

    #[tokio::test]
    async fn invalidate_only_drops_the_token_that_was_used() {
        let clock = ManualClock::new();
        let cache = TokenCache::new(true, Arc::new(clock.clone()));
        cache
            .get(|_| async { Ok(fixed(&clock, Duration::from_secs(100))) })
            .await
            .unwrap();
        assert!(!cache.invalidate(&HeaderValue::from_static("Bearer other")));
        assert!(cache.peek().is_some());
        assert!(cache.invalidate(&HeaderValue::from_static("Bearer t")));
        assert!(cache.peek().is_none());
    }
}
