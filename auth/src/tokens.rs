//! A renewing credential: the cached token of a token source (a scheme's, or the fleet
//! wrapping it), read lock-free and renewed by one fetch at a time, whose outcome (a failure
//! too, remembered for a cool-down) every waiting caller gets. The hooks ask it for a header;
//! it asks the token whether it is fresh (`token`), never which scheme it serves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use reqwest::header::HeaderValue;
use tokio::sync::watch;
use tracing::Instrument;

use crate::clock::{later, millis, Clock};
use crate::error::{AuthError, Cause};
use crate::login::Login;
use crate::retry::LoginCooldown;
use crate::scheme::TokenSource;
use crate::token::{Freshness, Token};

type Shared = Option<Result<Arc<Token>, AuthError>>;

/// One credential's token, renewed by at most one fetch at a time.
pub(crate) struct Tokens {
    pub(crate) source: Arc<dyn TokenSource>,
    login: Arc<Login>,
    clock: Arc<dyn Clock>,
    current: ArcSwapOption<Token>,
    /// Every decision to start a fetch, and every outcome, is taken under this lock.
    slot: Mutex<Slot>,
    /// Whether a stale token may be used while it is renewed in the background (OAuth: yes;
    /// sessions: no, because renewing ends the old one).
    serve_stale: bool,
    cooldown: LoginCooldown,
    /// Counts changes of credentials; changed only under the `slot` lock. A login that
    /// started before a change and fails says nothing about the new credentials.
    generation: AtomicU64,
}

/// The single-flight's state.
#[derive(Default)]
struct Slot {
    /// The fetch in flight (or the logout), if any: its outcome's receiver.
    fetch: Option<watch::Receiver<Shared>>,
    /// The last failed login, remembered until its cool-down is over.
    failure: Option<Remembered>,
}

/// A failed login, and when the next may be tried.
struct Remembered {
    error: AuthError,
    until: Instant,
    /// Failures in a row, this one included.
    streak: u32,
}

impl Tokens {
    pub(crate) fn new(
        source: Arc<dyn TokenSource>,
        login: Arc<Login>,
        cooldown: LoginCooldown,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            serve_stale: !source.scheme().sessions(),
            source,
            login,
            clock,
            current: ArcSwapOption::empty(),
            slot: Mutex::default(),
            cooldown,
            generation: AtomicU64::new(0),
        }
    }

    /// The key of the shared store entry, for the current secret, if there is a store.
    pub(crate) fn store_key(&self) -> Option<String> {
        self.source.store_key()
    }

    /// Whether a token is cached, whatever its state.
    pub(crate) fn has_token(&self) -> bool {
        self.current.load().is_some()
    }

    /// The header of the cached token if it can be sent without waiting: the hot path.
    /// Lock-free, and the token is borrowed, not counted: every call would otherwise write
    /// the count's cache line twice.
    pub(crate) fn fresh_header(&self) -> Option<HeaderValue> {
        let current = self.current.load();
        let token = current.as_ref()?;
        let now = self.clock.now();
        (token.freshness(now) == Freshness::Fresh).then(|| self.use_token(token, now))
    }

    /// The header to send: the cached token's, or the one fetch's outcome.
    pub(crate) async fn header(self: &Arc<Self>) -> Result<HeaderValue, AuthError> {
        if let Some(header) = self.fresh_header() {
            return Ok(header);
        }
        let token = self.get(|lease| self.start_fetch(lease)).await?;
        Ok(self.use_token(&token, self.clock.now()))
    }

    /// The header of `token`, recorded as used at `now`.
    fn use_token(&self, token: &Token, now: Instant) -> HeaderValue {
        token.touch(now);
        self.source.used(&token.header);
        token.header.clone()
    }

    /// The header of the cached token, not renewed: what a call that ends the token sends.
    pub(crate) fn current_header(&self) -> Option<HeaderValue> {
        self.current.load_full().map(|token| token.header.clone())
    }

    /// The header of the token to end: the cached one, else the shared store's (a process
    /// that has made no call yet ends the fleet's session, as [`logout`](Self::logout) does).
    pub(crate) async fn header_to_end(&self) -> Option<HeaderValue> {
        if let Some(header) = self.current_header() {
            return Some(header);
        }
        self.source.current().await.map(|token| token.header)
    }

    /// Starts a fetch in its own task, so that it finishes (and the session it creates is
    /// recorded) even if the call that needed it is cancelled.
    fn start_fetch(self: &Arc<Self>, lease: Lease) {
        let this = self.clone();
        let fetch = async move {
            let previous = lease.previous();
            let pause = |error: &AuthError| this.next_pause(error);
            let result = this.source.fetch(&this.login, previous, &pause).await;
            if let Some(outdated) = lease.complete(result) {
                this.source.discard(&outdated.header).await;
            }
        };
        tokio::spawn(fetch.in_current_span());
    }

    /// The server refused the token sent as `used` (a 401): drop it, here and in the store,
    /// unless another caller has replaced it already. Returns whether this caller dropped it.
    ///
    /// A token the user may hold only one of (a session) is retired rather than forgotten: a
    /// 401 does not prove it dead (a gateway's 401, a session bound to another address), and
    /// one left alive but forgotten would block new sessions; the next login ends it first.
    pub(crate) async fn rejected(&self, used: &HeaderValue) -> bool {
        // Before the cache lets go of it, so that no fetch from now on takes it from a
        // shared store again.
        self.source.rejected(used);
        let dropped = match self.current.load_full() {
            Some(token) if token.header == *used && !self.serve_stale => token.retire(),
            _ => self.invalidate(used),
        };
        if dropped {
            self.source.discard(used).await;
        }
        dropped
    }

    /// The token sent as `used` was refused although it was new (the retry after a 401): it
    /// is dropped, and the refusal remembered like a failed login, so that calls do not each
    /// log in again only to be refused.
    pub(crate) async fn refused_after_login(&self, used: &HeaderValue) {
        self.rejected(used).await;
        let error = AuthError::TokenRefused {
            operation: self.source.scheme().login_operation(),
            scheme: self.login.scheme,
        };
        self.remember(&mut self.slot(), &error, self.clock.now());
    }

    /// The token sent as `used` was ended by a call of the source's end operation: whoever
    /// ended it, it must not be sent again.
    pub(crate) async fn ended(&self, used: &HeaderValue) {
        self.invalidate(used);
        self.source.discard(used).await;
    }

    /// The credentials changed: the token obtained with the old ones is retired (the next call
    /// replaces it, ending an old session first), and the pause after a failed login ends (it
    /// was about the old credentials).
    ///
    /// The shared store is left as it is: its entries are named after the secret, so from now
    /// on this client reads and writes the new secret's, whose token and failure (if another
    /// process with the new secret left one) are the new secret's own. The old secret's entry
    /// stays with the processes that still use the old secret, until they too change.
    ///
    /// A login already under way with the old credentials is outdated too: its failure is
    /// not remembered, and its token is kept retired (see [`Lease::complete`]).
    pub(crate) fn credentials_changed(&self) {
        if let Some(token) = self.current.load_full() {
            token.retire();
        }
        let mut slot = self.slot();
        self.generation.fetch_add(1, Ordering::Relaxed);
        slot.failure = None;
    }

    /// Ends the pause after a failed login, here and in the shared store.
    pub(crate) async fn clear_cooldown(&self) {
        self.slot().failure = None;
        self.source.clear_failure().await;
    }

    /// Ends the token this client holds (with a shared store: the one the store holds,
    /// whichever process obtained it). A token the server already ended counts as ended.
    ///
    /// It takes the single-flight's lease, so it waits for a login in flight (and ends the
    /// token that login got) and no login starts until it is done; and it runs in its own
    /// task, so that a caller that gives up on it (a shutdown timeout) does not leave the
    /// token alive and forgotten. A token that could not be ended is kept, so that the next
    /// login or logout ends it first.
    pub(crate) async fn logout(self: &Arc<Self>) -> Result<(), AuthError> {
        if self.source.scheme().end_operation().is_none() {
            // Nothing to end (an OAuth token just expires): keep it.
            return Ok(());
        }
        let this = self.clone();
        let task = tokio::spawn(
            async move {
                let lease = this.exclusive().await;
                let token = match lease.previous() {
                    Some(token) => token,
                    // Another client sharing the tokens obtained it: the logout still ends it.
                    None => match this.source.current().await {
                        Some(token) => Arc::new(token),
                        None => {
                            lease.release(None);
                            return Ok(());
                        }
                    },
                };
                let result = this.source.scheme().end(&this.login, &token).await;
                match &result {
                    Ok(()) => {
                        this.source.discard(&token.header).await;
                        lease.release(None);
                    }
                    // Still alive server-side: keep holding it.
                    Err(_) => lease.release(Some(token)),
                }
                result
            }
            .in_current_span(),
        );
        task.await.unwrap_or_else(|join| {
            Err(AuthError::Logout {
                cause: Cause::Other(format!("the logout task failed ({join})")),
            })
        })
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The remembered failure, as callers get it while its cool-down lasts.
    fn cooling_down(slot: &Slot, now: Instant) -> Option<AuthError> {
        let remembered = slot.failure.as_ref().filter(|r| now < r.until)?;
        Some(AuthError::CoolingDown {
            retry_in: remembered.until - now,
            cause: Box::new(remembered.error.clone()),
        })
    }

    /// Remembers `error` as the latest of the failed logins in a row; returns the pause it
    /// earns, during which no login starts.
    fn remember(&self, slot: &mut Slot, error: &AuthError, now: Instant) -> Duration {
        let streak = slot.failure.as_ref().map_or(0, |r| r.streak) + 1;
        let pause = self.cooldown.pause(error, streak);
        let until = later(now, pause);
        let error = error.clone();
        slot.failure = Some(Remembered {
            error,
            until,
            streak,
        });
        pause
    }

    /// The lease of the next fetch, announced in the free `slot`.
    fn lease(self: &Arc<Self>, slot: &mut Slot) -> Lease {
        let (tx, rx) = watch::channel(None);
        slot.fetch = Some(rx);
        Lease {
            tokens: self.clone(),
            tx,
            previous: self.current.load_full(),
            completed: false,
            generation: self.generation.load(Ordering::Relaxed),
        }
    }

    /// Drops the cached token if it is the one sent as `used` (the server rejected it).
    /// Returns whether it was dropped; `false` means another caller already replaced it.
    fn invalidate(&self, used: &HeaderValue) -> bool {
        let current = self.current.load_full();
        match current {
            Some(token) if token.header == *used => {
                let previous = self.current.compare_and_swap(&Some(token.clone()), None);
                previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, &token))
            }
            _ => false,
        }
    }

    /// How long logins would pause if the next one failed with `error` (what a shared store
    /// records, so that the fleet keeps the same pause).
    fn next_pause(&self, error: &AuthError) -> Duration {
        let streak = self.slot().failure.as_ref().map_or(0, |r| r.streak) + 1;
        self.cooldown.pause(error, streak)
    }

    /// The lease, once no fetch is in flight: for a logout, which must neither race a login
    /// (whose session it would miss) nor let one start while it ends the token.
    async fn exclusive(self: &Arc<Self>) -> Lease {
        loop {
            let rx = {
                let mut slot = self.slot();
                match &slot.fetch {
                    Some(rx) => rx.clone(),
                    None => return self.lease(&mut slot),
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
    async fn get(self: &Arc<Self>, start: impl Fn(Lease)) -> Result<Arc<Token>, AuthError> {
        loop {
            let now = self.clock.now();
            let current = self.current.load_full();
            let state = current
                .as_ref()
                .map_or(Freshness::Expired, |t| t.freshness(now));
            if let (Some(token), Freshness::Fresh) = (&current, state) {
                return Ok(token.clone());
            }
            let usable = current.filter(|_| state != Freshness::Expired);
            let stale = usable.clone().filter(|_| self.serve_stale);

            let (rx, lease) = {
                let mut slot = self.slot();
                match &slot.fetch {
                    Some(rx) => (rx.clone(), None),
                    None => {
                        // A leader that finished between our load and taking the slot has
                        // already stored its token: look again before fetching a second one.
                        let current = self.current.load_full();
                        if let Some(token) =
                            current.filter(|t| t.freshness(now) == Freshness::Fresh)
                        {
                            return Ok(token);
                        }
                        // The cool-down blocks logins, not calls: a token that still works
                        // is served; otherwise the remembered failure, at once.
                        if let Some(error) = Self::cooling_down(&slot, now) {
                            return usable.ok_or(error);
                        }
                        let lease = self.lease(&mut slot);
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

/// The right, and the duty, to obtain the next token (or to end the current one): held by
/// one task at a time. Whoever holds it must [`complete`](Lease::complete) or
/// [`release`](Lease::release) it; dropped otherwise, it lets the waiting callers elect a new
/// leader.
pub(crate) struct Lease {
    tokens: Arc<Tokens>,
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
        let inner = self.tokens.clone();
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
            slot.fetch = None;
            drop(slot);
            self.completed = true;
            return retired;
        }
        let outcome = match result {
            Ok(token) => {
                inner.current.store(Some(token.clone()));
                slot.failure = None;
                Ok(token)
            }
            Err(error) => {
                let pause = inner.remember(&mut slot, &error, now);
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
        slot.fetch = None;
        self.tx.send_replace(Some(outcome));
        drop(slot);
        self.completed = true;
        None
    }

    /// Ends the lease without an outcome, leaving `current` as the cached token: the waiting
    /// callers look again (and log in if there is none). How a logout finishes.
    pub(crate) fn release(mut self, current: Option<Arc<Token>>) {
        let mut slot = self.tokens.slot();
        self.tokens.current.store(current);
        slot.fetch = None;
        drop(slot);
        self.completed = true;
        // Dropping `tx` unsent wakes the waiters with no outcome.
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.completed {
            // The fetch died (a panic): free the slot; dropping `tx` wakes the waiters.
            self.tokens.slot().fetch = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::RetryPolicy;
    use crate::scheme::ibsso::Ibsso;
    use crate::scheme::oauth2::OAuth2;
    use crate::scheme::UserCredentials;
    use crate::test_util::ManualClock;
    use crate::token::tests::{fixed, idle};
    use std::sync::atomic::AtomicUsize;

    /// The tokens of OAuth 2.0 (stale tokens served) or IBSSO (not), whose fetches each
    /// test runs itself through the lease `get` hands it.
    fn cache(serve_stale: bool, clock: &ManualClock) -> Arc<Tokens> {
        let clock: Arc<dyn Clock> = Arc::new(clock.clone());
        let credentials =
            UserCredentials::new(("username", "user".into()), ("password", "password".into()))
                .unwrap();
        let source: Arc<dyn TokenSource> = if serve_stale {
            Arc::new(OAuth2 {
                credentials,
                margin: None,
            })
        } else {
            Arc::new(Ibsso {
                credentials,
                idle: Duration::from_secs(3600),
                margin: Duration::from_secs(300),
                unsafe_session: false,
            })
        };
        let login = Login {
            http: reqwest::Client::new(),
            base_url: String::from("https://api.infobip.com"),
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            clock: clock.clone(),
            scheme: infobip_client::Scheme::OAuth2,
        };
        Arc::new(Tokens::new(
            source,
            Arc::new(login),
            LoginCooldown::default(),
            clock,
        ))
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
        cache.clear_cooldown().await;
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
        assert!(cache.current.load_full().is_none());
    }

    /// The tokens of [`cache`] holding a token of 100 s, 95 s into its life: due for renewal,
    /// not expired.
    async fn due_for_renewal(serve_stale: bool, clock: &ManualClock) -> (Arc<Tokens>, Arc<Token>) {
        let cache = cache(serve_stale, clock);
        let calls = AtomicUsize::new(0);
        let token = cache
            .get(with(&calls, || Ok(fixed(clock, Duration::from_secs(100)))))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(95));
        (cache, token)
    }

    #[tokio::test]
    async fn a_stale_token_is_served_while_the_renewal_runs() {
        let clock = ManualClock::new();
        let (cache, first) = due_for_renewal(true, &clock).await;
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
        assert!(Arc::ptr_eq(&token, &cache.current.load_full().unwrap()));
    }

    #[tokio::test]
    async fn without_stale_serving_a_failed_renewal_is_an_error() {
        // Sessions: the renewal destroyed the old session, so falling back to it is wrong.
        let clock = ManualClock::new();
        let (cache, _) = due_for_renewal(false, &clock).await;
        let calls = AtomicUsize::new(0);
        let result = cache.get(with(&calls, || Err(AuthError::NoSession))).await;
        assert!(matches!(result, Err(AuthError::NoSession)));
    }

    #[tokio::test]
    async fn a_failed_renewal_does_not_resurrect_a_token_dropped_meanwhile() {
        let clock = ManualClock::new();
        let (cache, _) = due_for_renewal(true, &clock).await;
        let parked = std::sync::Mutex::new(None);
        cache
            .get(|lease| *parked.lock().unwrap() = Some(lease))
            .await
            .unwrap();
        // A 401 drops the token while the renewal is in flight; the renewal then fails.
        assert!(cache.invalidate(&HeaderValue::from_static("Bearer t")));
        let lease = parked.lock().unwrap().take().unwrap();
        lease.complete(Err(AuthError::NoSession));
        assert!(cache.current.load_full().is_none());
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
        assert!(Arc::ptr_eq(&outdated, &cache.current.load_full().unwrap()));
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
        assert!(cache.current.load_full().is_some());
        assert!(cache.invalidate(&HeaderValue::from_static("Bearer t")));
        assert!(cache.current.load_full().is_none());
    }
}
