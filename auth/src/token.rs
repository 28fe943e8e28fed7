//! A token's expiry model: fixed at issue (OAuth 2.0) or idle after the last use (IBSSO),
//! each renewed a margin early, and what a token is worth at a given instant.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use secrecy::SecretString;

/// A token or session in the cache. Its `Debug` shows neither the secret nor the header
/// (`SecretString`, and a header marked sensitive, redact themselves).
#[derive(Debug)]
pub(crate) struct Token {
    /// Zeroized on drop; what a shared store keeps. The header carries it on the wire.
    #[cfg_attr(not(feature = "token-store"), allow(dead_code))]
    pub(crate) secret: SecretString,
    /// `Bearer <token>` or `IBSSO <token>`, marked sensitive.
    pub(crate) header: HeaderValue,
    obtained_at: Instant,
    pub(crate) lifetime: Lifetime,
    /// Obtained with credentials that have since changed: no longer sent, and replaced (a
    /// session ended first) by the next call.
    retired: AtomicBool,
}

/// How long a token stays usable.
#[derive(Debug)]
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
            secret,
            header,
            obtained_at,
            lifetime,
            retired: AtomicBool::new(false),
        }
    }

    pub(crate) fn freshness(&self, now: Instant) -> Freshness {
        if self.retired.load(Ordering::Relaxed) {
            return Freshness::Expired;
        }
        // `None`: later than an `Instant` can say (an absurd idle timeout), so not yet.
        let (refresh_at, expires_at) = match &self.lifetime {
            Lifetime::Fixed {
                refresh_at,
                expires_at,
            } => (Some(*refresh_at), Some(*expires_at)),
            Lifetime::Idle {
                idle,
                margin,
                last_use,
            } => {
                let last = self
                    .obtained_at
                    .checked_add(Duration::from_nanos(last_use.load(Ordering::Relaxed)));
                (
                    last.and_then(|l| l.checked_add(idle.saturating_sub(*margin))),
                    last.and_then(|l| l.checked_add(*idle)),
                )
            }
        };
        let before = |deadline: Option<Instant>| deadline.is_none_or(|d| now < d);
        if before(refresh_at) {
            Freshness::Fresh
        } else if before(expires_at) {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }

    /// Marks the token as no longer to be sent; true if this call did.
    pub(crate) fn retire(&self) -> bool {
        !self.retired.swap(true, Ordering::Relaxed)
    }

    /// Records a use, which keeps an idle-expiring session alive.
    pub(crate) fn touch(&self, now: Instant) {
        if let Lifetime::Idle { last_use, .. } = &self.lifetime {
            let since = now.saturating_duration_since(self.obtained_at);
            let nanos = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
            // A write on every call makes every thread fight for one cache line; recording a
            // use at most once per TOUCH_GRANULARITY keeps the hot path read-only. Erring
            // early only makes the session look idle a little sooner than it is.
            let recorded = last_use.load(Ordering::Relaxed);
            if nanos.saturating_sub(recorded) >= TOUCH_GRANULARITY_NANOS {
                last_use.fetch_max(nanos, Ordering::Relaxed);
            }
        }
    }
}

/// How stale the recorded last use of a session may be (see [`Token::touch`]).
const TOUCH_GRANULARITY_NANOS: u64 = 1_000_000_000;

/// How early a token is renewed: a tenth of its life, at least 10 s and at most 5 minutes,
/// and never more than half of its life, so that a short-lived token is not renewed on every
/// call. `configured` replaces the tenth-of-life rule but is still capped at half the life.
pub(crate) fn refresh_margin(lifetime: Duration, configured: Option<Duration>) -> Duration {
    let wanted = configured.unwrap_or_else(|| {
        (lifetime / 10).clamp(Duration::from_secs(10), Duration::from_secs(300))
    });
    wanted.min(lifetime / 2)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::Clock as _;
    use crate::test_util::ManualClock;

    /// A session that idles out after `idle`, renewed 300 s early, last used `last_use` ns
    /// after it was obtained.
    pub(crate) fn idle(clock: &ManualClock, idle: Duration, last_use: u64) -> Token {
        Token::new(
            SecretString::from("s"),
            HeaderValue::from_static("IBSSO s"),
            clock.now(),
            Lifetime::Idle {
                idle,
                margin: Duration::from_secs(300),
                last_use: AtomicU64::new(last_use),
            },
        )
    }

    pub(crate) fn fixed(clock: &ManualClock, life: Duration) -> Token {
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
    fn debug_shows_neither_the_token_nor_its_header() {
        let now = ManualClock::new().now();
        let mut header = HeaderValue::from_static("Bearer tok-SECRET");
        header.set_sensitive(true);
        let lifetime = Lifetime::Fixed {
            refresh_at: now,
            expires_at: now,
        };
        let token = Token::new(SecretString::from("tok-SECRET"), header, now, lifetime);
        let shown = format!("{token:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("Fixed"), "{shown}");
    }

    #[test]
    fn idle_lifetime_moves_with_each_use() {
        let clock = ManualClock::new();
        let token = idle(&clock, Duration::from_secs(3600), 0);
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

    #[test]
    fn uses_closer_together_than_the_granularity_are_recorded_once() {
        let clock = ManualClock::new();
        let token = idle(&clock, Duration::from_secs(3600), 0);
        let recorded = || match &token.lifetime {
            Lifetime::Idle { last_use, .. } => last_use.load(Ordering::Relaxed),
            Lifetime::Fixed { .. } => unreachable!(),
        };
        clock.advance(Duration::from_millis(999));
        token.touch(clock.now());
        assert_eq!(recorded(), 0);
        clock.advance(Duration::from_millis(1));
        token.touch(clock.now());
        assert_eq!(recorded(), TOUCH_GRANULARITY_NANOS);
        // An older use (from a caller that read the clock earlier) never moves it back.
        token.touch(clock.now() - Duration::from_millis(500));
        assert_eq!(recorded(), TOUCH_GRANULARITY_NANOS);
    }
}
