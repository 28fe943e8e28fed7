//! The token cache: lock-free reads, one fetch at a time, failures shared with every waiter.
//! It asks a token whether it is fresh (`token`), never which scheme it serves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use reqwest::header::HeaderValue;
use tokio::sync::watch;

use crate::clock::{later, millis, Clock};
use crate::error::AuthError;
use crate::retry::LoginCooldown;
use crate::token::{Freshness, Token};

type Shared = Option<Result<Arc<Token>, AuthError>>;

/// One cached token, renewed by at most one fetch at a time.
pub(crate) struct TokenCache(Arc<Inner>);

struct Inner {
    current: ArcSwapOption<Token>,
    /// The fetch in flight (or the logout), if any: its outcome's receiver. Every decision to
    /// start one, and every outcome, is taken under this lock.
    inflight: Mutex<Option<watch::Receiver<Shared>>>,
    /// Whether a stale token may be used while it is renewed in the background (OAuth: yes;
    /// IBSSO: no, because renewing destroys the old session).
    serve_stale: bool,
    cooldown: LoginCooldown,
    clock: Arc<dyn Clock>,
    /// The last failed login, remembered until its cool-down is over; changed only under the
    /// `inflight` lock.
    failure: Mutex<Option<Remembered>>,
    /// Counts changes of credentials; changed only under the `inflight` lock. A login that
    /// started before a change and fails says nothing about the new credentials.
    generation: AtomicU64,
}

/// A failed login, and when the next may be tried.
struct Remembered {
    error: AuthError,
    until: Instant,
    /// Failures in a row, this one included.
    streak: u32,
}

impl Inner {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<watch::Receiver<Shared>>> {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn failure(&self) -> std::sync::MutexGuard<'_, Option<Remembered>> {
        self.failure.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The remembered failure, as callers get it while its cool-down lasts.
    fn cooling_down(&self, now: Instant) -> Option<AuthError> {
        let failure = self.failure();
        let remembered = failure.as_ref().filter(|r| now < r.until)?;
        Some(AuthError::CoolingDown {
            retry_in: remembered.until - now,
            cause: Box::new(remembered.error.clone()),
        })
    }

    /// Remembers `error` as the latest of the failed logins in a row; returns the pause it
    /// earns, during which no login starts.
    fn remember(&self, error: &AuthError, now: Instant) -> Duration {
        let mut failure = self.failure();
        let streak = failure.as_ref().map_or(0, |r| r.streak) + 1;
        let pause = self.cooldown.pause(error, streak);
        let until = later(now, pause);
        let error = error.clone();
        *failure = Some(Remembered {
            error,
            until,
            streak,
        });
        pause
    }

    /// The lease of the next fetch, announced in the free `slot`.
    fn lease(self: &Arc<Self>, slot: &mut Option<watch::Receiver<Shared>>) -> Lease {
        let (tx, rx) = watch::channel(None);
        *slot = Some(rx);
        Lease {
            inner: self.clone(),
            tx,
            previous: self.current.load_full(),
            completed: false,
            generation: self.generation.load(Ordering::Relaxed),
        }
    }
}

/// The right, and the duty, to obtain the next token (or to end the current one): held by
/// one task at a time. Whoever holds it must [`complete`](Lease::complete) or
/// [`release`](Lease::release) it; dropped otherwise, it lets the waiting callers elect a new
/// leader.
pub(crate) struct Lease {
    inner: Arc<Inner>,
    tx: watch::Sender<Shared>,
    previous: Option<Arc<Token>>,
    completed: bool,
    /// The credentials' generation when the lease was taken.
    generation: u64,
}

impl Lease {
    /// The token being replaced, if any (an IBSSO session to destroy first).
    pub(crate) fn previous(&self) -> Option<Arc<Token>> {
        self.previous.clone()
    }

    /// Stores the outcome and hands it to every waiting caller.
    ///
    /// A failure is remembered before anyone sees it: until its cool-down is over, no call
    /// starts another login. It does not evict a token that is still valid (with
    /// `serve_stale`): the waiting callers get that token, as long as nobody has dropped it
    /// since (a 401 would have).
    ///
    /// A token obtained with credentials that changed while its login ran is not handed to
    /// anyone: it is kept retired, so that the next login replaces it (ending a session
    /// first), the waiting callers log in again with the new credentials, and it is returned
    /// for the caller to drop from a shared store.
    pub(crate) fn complete(mut self, result: Result<Arc<Token>, AuthError>) -> Option<Arc<Token>> {
        let inner = self.inner.clone();
        let now = inner.clock.now();
        // Under the slot lock: a caller deciding whether to log in sees the outcome, the
        // remembered failure and the empty slot together, never one without the others.
        let mut slot = inner.slot();
        if inner.generation.load(Ordering::Relaxed) != self.generation {
            // The credentials changed while this login ran with the old ones: its outcome is
            // nobody's. A failure is not remembered; a token is kept retired, so that the
            // next login replaces it. The waiting callers, woken without an outcome (`tx` is
            // dropped unsent), log in again with the new credentials.
            let retired = match result {
                Ok(token) => {
                    token.retire();
                    inner.current.store(Some(token.clone()));
                    tracing::info!(
                        "a login with the previous credentials succeeded; logging in with the new ones"
                    );
                    Some(token)
                }
                Err(error) => {
                    tracing::info!(
                        error = %error,
                        "a login with the previous credentials failed; logging in with the new ones"
                    );
                    None
                }
            };
            *slot = None;
            drop(slot);
            self.completed = true;
            return retired;
        }
        let outcome = match result {
            Ok(token) => {
                inner.current.store(Some(token.clone()));
                *inner.failure() = None;
                Ok(token)
            }
            Err(error) => {
                let pause = inner.remember(&error, now);
                tracing::warn!(
                    error = %error,
                    pause_ms = millis(pause),
                    "login failed; no new login until the cool-down is over"
                );
                let still_current = inner.current.load_full();
                match (&self.previous, still_current) {
                    (Some(previous), Some(current))
                        if inner.serve_stale
                            && Arc::ptr_eq(previous, &current)
                            && current.freshness(now) != Freshness::Expired =>
                    {
                        tracing::warn!("keeping the current token, which is still valid");
                        Ok(current)
                    }
                    _ => Err(error),
                }
            }
        };
        // The slot is emptied before the outcome is published: a caller that arrives once a
        // waiter has moved on must not find this finished fetch in the slot and take its
        // outcome (a token that may since have been rejected) as current.
        *slot = None;
        self.tx.send_replace(Some(outcome));
        drop(slot);
        self.completed = true;
        None
    }

    /// Ends the lease without an outcome, leaving `current` as the cached token: the waiting
    /// callers look again (and log in if there is none). How a logout finishes.
    pub(crate) fn release(mut self, current: Option<Arc<Token>>) {
        let mut slot = self.inner.slot();
        self.inner.current.store(current);
        *slot = None;
        drop(slot);
        self.completed = true;
        // Dropping `tx` unsent wakes the waiters with no outcome.
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.completed {
            // The fetch died (a panic): free the slot; dropping `tx` wakes the waiters.
            *self.inner.slot() = None;
        }
    }
}

impl TokenCache {
    pub(crate) fn new(serve_stale: bool, cooldown: LoginCooldown, clock: Arc<dyn Clock>) -> Self {
        Self(Arc::new(Inner {
            current: ArcSwapOption::empty(),
            inflight: Mutex::new(None),
            serve_stale,
            cooldown,
            clock,
            failure: Mutex::new(None),
            generation: AtomicU64::new(0),
        }))
    }

    /// The cached token, whatever its state.
    pub(crate) fn peek(&self) -> Option<Arc<Token>> {
        self.0.current.load_full()
    }

    /// The cached token if it can be sent without waiting.
    pub(crate) fn fresh(&self) -> Option<Arc<Token>> {
        self.with_fresh(|token, _| Arc::clone(token))
    }

    /// `use_token` applied to the cached token if it can be sent without waiting, with the
    /// time its freshness was judged at: the hot path. Lock-free, and the token is borrowed,
    /// not counted: every call would otherwise write the count's cache line twice.
    pub(crate) fn with_fresh<T>(
        &self,
        use_token: impl FnOnce(&Arc<Token>, Instant) -> T,
    ) -> Option<T> {
        let current = self.0.current.load();
        let token = current.as_ref()?;
        let now = self.0.clock.now();
        (token.freshness(now) == Freshness::Fresh).then(|| use_token(token, now))
    }

    /// Drops the cached token if it is the one sent as `used` (the server rejected it).
    /// Returns whether it was dropped; `false` means another caller already replaced it.
    pub(crate) fn invalidate(&self, used: &HeaderValue) -> bool {
        let current = self.0.current.load_full();
        match current {
            Some(token) if token.header == *used => {
                let previous = self.0.current.compare_and_swap(&Some(token.clone()), None);
                previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, &token))
            }
            _ => false,
        }
    }

    /// How long logins would pause if the next one failed with `error` (what a shared store
    /// records, so that the fleet keeps the same pause).
    pub(crate) fn next_pause(&self, error: &AuthError) -> Duration {
        let streak = self.0.failure().as_ref().map_or(0, |r| r.streak) + 1;
        self.0.cooldown.pause(error, streak)
    }

    /// Retires the cached token if it is the one sent as `used` (the server refused it, but a
    /// session may still be alive): it is no longer sent, and the next fetch replaces it,
    /// ending it first. Returns whether this caller retired it.
    pub(crate) fn retire_if(&self, used: &HeaderValue) -> bool {
        match self.0.current.load_full() {
            Some(token) if token.header == *used => token.retire(),
            _ => false,
        }
    }

    /// Retires the cached token (the credentials it was obtained with have changed): it is no
    /// longer sent, and the next call replaces it, ending it first where the scheme does.
    pub(crate) fn retire(&self) {
        if let Some(token) = self.0.current.load_full() {
            token.retire();
        }
    }

    /// Remembers `error` as a failed login: no login starts until its pause is over.
    pub(crate) fn remember(&self, error: AuthError) {
        let _slot = self.0.slot();
        self.0.remember(&error, self.0.clock.now());
    }

    /// Forgets a remembered login failure: the next call that needs a token logs in at once.
    pub(crate) fn clear_failure(&self) {
        let _slot = self.0.slot();
        *self.0.failure() = None;
    }

    /// The credentials changed: a remembered failure is forgotten, and so will be the failure
    /// of a login already under way with the old ones.
    pub(crate) fn credentials_changed(&self) {
        let _slot = self.0.slot();
        self.0.generation.fetch_add(1, Ordering::Relaxed);
        *self.0.failure() = None;
    }

    /// The lease, once no fetch is in flight: for a logout, which must neither race a login
    /// (whose session it would miss) nor let one start while it ends the token.
    pub(crate) async fn exclusive(&self) -> Lease {
        let inner = &self.0;
        loop {
            let rx = {
                let mut slot = inner.slot();
                match &*slot {
                    Some(rx) => rx.clone(),
                    None => return inner.lease(&mut slot),
                }
            };
            let mut rx = rx;
            // Whatever the outcome, the slot is free afterwards.
            let _ = rx.wait_for(Option::is_some).await;
        }
    }

    /// A usable token: the cached one, or the outcome of the one fetch in flight.
    ///
    /// When a fetch is needed and none is in flight, `start` receives the [`Lease`] and must
    /// arrange for it to be completed; it should run the fetch in its own task, so that the
    /// fetch finishes even if this caller is cancelled. Every caller meanwhile waits for the
    /// outcome, except that with `serve_stale` a token that is due for renewal but still valid
    /// is returned at once while it is renewed in the background. After a failed login, no
    /// fetch starts until its cool-down is over: callers get a token that still works, or the
    /// remembered failure at once.
    pub(crate) async fn get(&self, start: impl Fn(Lease)) -> Result<Arc<Token>, AuthError> {
        let inner = &self.0;
        loop {
            let now = inner.clock.now();
            let current = inner.current.load_full();
            let state = current
                .as_ref()
                .map_or(Freshness::Expired, |t| t.freshness(now));
            if let (Some(token), Freshness::Fresh) = (&current, state) {
                return Ok(token.clone());
            }
            let usable = current.filter(|_| state != Freshness::Expired);
            let stale = usable.clone().filter(|_| inner.serve_stale);

            let (rx, lease) = {
                let mut slot = inner.slot();
                match &*slot {
                    Some(rx) => (rx.clone(), None),
                    None => {
                        // A leader that finished between our load and taking the slot has
                        // already stored its token: look again before fetching a second one.
                        if let Some(token) = self.fresh() {
                            return Ok(token);
                        }
                        // The cool-down blocks logins, not calls: a token that still works
                        // is served; otherwise the remembered failure, at once.
                        if let Some(error) = inner.cooling_down(now) {
                            return usable.ok_or(error);
                        }
                        let lease = inner.lease(&mut slot);
                        (lease.tx.subscribe(), Some(lease))
                    }
                }
            };
            if let Some(lease) = lease {
                start(lease);
            }
            if let Some(token) = stale {
                return Ok(token);
            }
            let mut rx = rx;
            let outcome = match rx.wait_for(Option::is_some).await {
                Ok(outcome) => outcome.clone(),
                // The fetch died without an outcome, or a logout ended: look again.
                Err(_) => None,
            };
            if let Some(outcome) = outcome {
                return outcome;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::ManualClock;
    use crate::token::tests::{fixed, idle};
    use std::sync::atomic::AtomicUsize;

    fn cache(serve_stale: bool, clock: &ManualClock) -> TokenCache {
        TokenCache::new(
            serve_stale,
            LoginCooldown::default(),
            Arc::new(clock.clone()),
        )
    }

    /// A `start` that completes the lease at once with `make()`, counting the fetches.
    fn with<'a>(
        calls: &'a AtomicUsize,
        make: impl Fn() -> Result<Token, AuthError> + 'a,
    ) -> impl Fn(Lease) + 'a {
        move |lease| {
            calls.fetch_add(1, Ordering::SeqCst);
            lease.complete(make().map(Arc::new));
        }
    }

    #[tokio::test]
    async fn a_failed_renewal_keeps_a_valid_token_and_pauses_renewals_until_it_expires() {
        let clock = ManualClock::new();
        let cache = cache(true, &clock);
        let calls = AtomicUsize::new(0);
        let count = || calls.load(Ordering::SeqCst);
        let life = Duration::from_secs(100);
        let first = cache
            .get(with(&calls, || Ok(fixed(&clock, life))))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(91)); // inside the 10 s margin: stale
        let failing = with(&calls, || Err(AuthError::NoSession));
        let kept = cache.get(&failing).await.unwrap();
        assert!(Arc::ptr_eq(&first, &kept));
        assert_eq!(count(), 2);
        // Within the pause (1 s after a first failure), no new renewal is attempted.
        clock.advance(Duration::from_millis(500));
        assert!(Arc::ptr_eq(&first, &cache.get(&failing).await.unwrap()));
        assert_eq!(count(), 2);
        // After it, one more; it fails too, and the pause doubles (2 s).
        clock.advance(Duration::from_millis(1500));
        assert!(Arc::ptr_eq(&first, &cache.get(&failing).await.unwrap()));
        assert_eq!(count(), 3);
        clock.advance(Duration::from_secs(1));
        assert!(Arc::ptr_eq(&first, &cache.get(&failing).await.unwrap()));
        assert_eq!(count(), 3);
        // Expired: the next login's failure reaches the caller, then is remembered.
        clock.advance(Duration::from_secs(10));
        assert!(matches!(
            cache.get(&failing).await,
            Err(AuthError::NoSession)
        ));
        assert_eq!(count(), 4);
        let remembered = cache.get(&failing).await.unwrap_err();
        assert!(
            matches!(&remembered, AuthError::CoolingDown { cause, retry_in }
                if matches!(**cause, AuthError::NoSession) && *retry_in == Duration::from_secs(4)),
            "{remembered:?}"
        );
        assert_eq!(count(), 4);
    }

    #[tokio::test]
    async fn a_failed_login_is_remembered_until_its_pause_ends_or_it_is_cleared() {
        let clock = ManualClock::new();
        let cache = cache(false, &clock);
        let calls = AtomicUsize::new(0);
        let count = || calls.load(Ordering::SeqCst);
        let failing = with(&calls, || Err(AuthError::NoSession));
        assert!(matches!(
            cache.get(&failing).await,
            Err(AuthError::NoSession)
        ));
        for _ in 0..20 {
            let error = cache.get(&failing).await.unwrap_err();
            assert!(matches!(error, AuthError::CoolingDown { .. }), "{error:?}");
        }
        assert_eq!(count(), 1);
        cache.clear_failure();
        let working = with(&calls, || Ok(fixed(&clock, Duration::from_secs(100))));
        cache.get(&working).await.unwrap();
        assert_eq!(count(), 2);
        // A success forgets the streak: the next failure pauses 1 s again.
        clock.advance(Duration::from_secs(100));
        assert!(cache.get(&failing).await.is_err());
        assert_eq!(
            cache.next_pause(&AuthError::NoSession),
            Duration::from_secs(2)
        );
    }

    #[tokio::test]
    async fn a_logout_waits_for_the_login_in_flight_and_no_login_starts_meanwhile() {
        use futures_util::FutureExt as _;
        let clock = ManualClock::new();
        let cache = cache(false, &clock);
        let parked = std::sync::Mutex::new(None);
        let waiter = cache.get(|lease| *parked.lock().unwrap() = Some(lease));
        let mut waiter = Box::pin(waiter);
        assert!((&mut waiter).now_or_never().is_none());
        let mut logout = Box::pin(cache.exclusive());
        assert!(
            (&mut logout).now_or_never().is_none(),
            "a login is in flight"
        );
        let login = parked.lock().unwrap().take().unwrap();
        login.complete(Ok(Arc::new(fixed(&clock, Duration::from_secs(100)))));
        let token = waiter.await.unwrap();
        let lease = logout.await;
        // The logout holds the session the login got, and calls wait for it to finish.
        assert!(Arc::ptr_eq(&lease.previous().unwrap(), &token));
        let mut call = Box::pin(cache.get(|_| unreachable!("no login while logging out")));
        // A fresh token is served without waiting, even now.
        assert!((&mut call).now_or_never().is_some());
        lease.release(None);
        assert!(cache.peek().is_none());
    }

    #[tokio::test]
    async fn a_stale_token_is_served_while_the_renewal_runs() {
        let clock = ManualClock::new();
        let cache = cache(true, &clock);
        let calls = AtomicUsize::new(0);
        let first = cache
            .get(with(&calls, || Ok(fixed(&clock, Duration::from_secs(100)))))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(95));
        let parked = std::sync::Mutex::new(None);
        // The renewal is started but not finished: callers still get the stale token.
        let token = cache
            .get(|lease| *parked.lock().unwrap() = Some(lease))
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&first, &token));
        let again = cache
            .get(|_| unreachable!("one renewal at a time"))
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let lease = parked.lock().unwrap().take().unwrap();
        lease.complete(Ok(Arc::new(fixed(&clock, Duration::from_secs(100)))));
        let renewed = cache.get(|_| unreachable!("fresh")).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &renewed));
    }

    #[tokio::test]
    async fn a_lease_dropped_without_an_outcome_lets_a_waiter_fetch() {
        let clock = ManualClock::new();
        let cache = cache(false, &clock);
        let calls = AtomicUsize::new(0);
        // First leader "dies"; the same caller is elected again and completes.
        let token = cache
            .get(|lease| {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    drop(lease);
                } else {
                    lease.complete(Ok(Arc::new(fixed(&clock, Duration::from_secs(100)))));
                }
            })
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(Arc::ptr_eq(&token, &cache.peek().unwrap()));
    }

    #[tokio::test]
    async fn without_stale_serving_a_failed_renewal_is_an_error() {
        // Sessions: the renewal destroyed the old session, so falling back to it is wrong.
        let clock = ManualClock::new();
        let cache = cache(false, &clock);
        let calls = AtomicUsize::new(0);
        cache
            .get(with(&calls, || Ok(fixed(&clock, Duration::from_secs(100)))))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(95));
        let result = cache.get(with(&calls, || Err(AuthError::NoSession))).await;
        assert!(matches!(result, Err(AuthError::NoSession)));
    }

    #[tokio::test]
    async fn a_failed_renewal_does_not_resurrect_a_token_dropped_meanwhile() {
        let clock = ManualClock::new();
        let cache = cache(true, &clock);
        let calls = AtomicUsize::new(0);
        cache
            .get(with(&calls, || Ok(fixed(&clock, Duration::from_secs(100)))))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(95));
        let parked = std::sync::Mutex::new(None);
        cache
            .get(|lease| *parked.lock().unwrap() = Some(lease))
            .await
            .unwrap();
        // A 401 drops the token while the renewal is in flight; the renewal then fails.
        assert!(cache.invalidate(&HeaderValue::from_static("Bearer t")));
        let lease = parked.lock().unwrap().take().unwrap();
        lease.complete(Err(AuthError::NoSession));
        assert!(cache.peek().is_none());
    }

    #[tokio::test]
    async fn a_token_obtained_while_the_credentials_changed_is_retired_and_fetched_again() {
        use futures_util::FutureExt as _;

        let clock = ManualClock::new();
        let cache = cache(false, &clock);
        let parked = std::sync::Mutex::new(None);
        let mut waiter = std::pin::pin!(cache.get(|lease| *parked.lock().unwrap() = Some(lease)));
        assert!((&mut waiter).now_or_never().is_none());
        let lease = parked.lock().unwrap().take().unwrap();
        cache.credentials_changed();
        let outdated = lease.complete(Ok(Arc::new(idle(&clock, Duration::from_secs(3600), 0))));
        // Kept, retired, so that the next login ends it first; handed to nobody.
        let outdated = outdated.expect("the outdated token is returned");
        assert_eq!(outdated.freshness(clock.now()), Freshness::Expired);
        assert!(Arc::ptr_eq(&outdated, &cache.peek().unwrap()));
        // The waiter logs in again, replacing it.
        assert!((&mut waiter).now_or_never().is_none());
        let lease = parked.lock().unwrap().take().expect("a second login");
        assert!(Arc::ptr_eq(&lease.previous().unwrap(), &outdated));
        assert!(lease
            .complete(Ok(Arc::new(fixed(&clock, Duration::from_secs(100)))))
            .is_none());
        let token = waiter.await.unwrap();
        assert!(!Arc::ptr_eq(&token, &outdated));
    }

    #[test]
    fn an_absurd_idle_timeout_never_overflows() {
        let clock = ManualClock::new();
        let token = idle(&clock, Duration::MAX, u64::MAX);
        assert_eq!(token.freshness(clock.now()), Freshness::Fresh);
    }

    #[tokio::test]
    async fn invalidate_only_drops_the_token_that_was_used() {
        let clock = ManualClock::new();
        let cache = cache(true, &clock);
        let calls = AtomicUsize::new(0);
        cache
            .get(with(&calls, || Ok(fixed(&clock, Duration::from_secs(100)))))
            .await
            .unwrap();
        assert!(!cache.invalidate(&HeaderValue::from_static("Bearer other")));
        assert!(cache.peek().is_some());
        assert!(cache.invalidate(&HeaderValue::from_static("Bearer t")));
        assert!(cache.peek().is_none());
    }
}
