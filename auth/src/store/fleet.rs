//! Distributed single-flight over a [`TokenStore`]: one process fetches, the others wait for
//! what it stores, and a dead holder's lock is taken over when its lease runs out. What the
//! token is (its store entry, its expiry, whether it idles out) is the token source's business.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use infobip_client::Operation;
use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::sealing::{EncryptionKey, Sealer};
use super::{StoreError, TokenStore};
use crate::cache::{Freshness, Token};
use crate::login::Login;
use crate::scheme::{Entry, TokenSource};
use crate::{AuthError, Clock};

/// At most one warning about the store per this period; the others are counted.
const WARN_EVERY: Duration = Duration::from_secs(30);

/// The settings of a shared store.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoreSettings {
    /// How long a lock holder may go silent before another process takes over.
    pub(crate) lease: Duration,
    /// The longest any one store call may take.
    pub(crate) timeout: Duration,
    /// The longest a process waits for another's fetch before fetching itself.
    pub(crate) max_wait: Duration,
}

/// One account's tokens in a shared store.
pub(crate) struct Fleet {
    store: Arc<dyn TokenStore>,
    sealer: Sealer,
    source: Arc<dyn TokenSource>,
    login: Arc<Login>,
    key: String,
    lock_key: String,
    failed_key: String,
    /// This process's id in the lock.
    owner: String,
    settings: StoreSettings,
    clock: Arc<dyn Clock>,
    warnings: Mutex<Warnings>,
    /// The last token the server rejected with a 401: never taken from the store again, even
    /// before another process has replaced it there.
    rejected: Mutex<Option<HeaderValue>>,
    /// When this process last restarted the stored token's expiry, in milliseconds since
    /// `created`; `u64::MAX` for never.
    last_extend: AtomicU64,
    created: Instant,
}

#[derive(Default)]
struct Warnings {
    last: Option<Instant>,
    suppressed: u64,
}

/// The encrypted content of a failure marker: why the last fetch failed.
#[derive(Serialize, Deserialize)]
struct SharedFailure {
    cause: String,
}

/// A usable token read from the store.
struct Found {
    token: Token,
    fresh: bool,
}

/// What a store read or write came to, for the caller's control flow.
enum Next {
    Done(Token),
    Hold(Option<Found>),
    Bypass(StoreError),
    /// Another process failed moments ago; its failure stands for this one too, for what is
    /// left of its pause.
    FailedElsewhere(String, Duration),
}

impl Fleet {
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        encryption: &EncryptionKey,
        base_url: &str,
        source: Arc<dyn TokenSource>,
        login: Arc<Login>,
        settings: StoreSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        // The user name is hashed: a store operator sees which base URL and scheme an entry
        // belongs to, not whose it is.
        let user = hex(&Sha256::digest(source.user().as_bytes()));
        let key = format!("infobip-auth:v1:{base_url}:{}:{user}", source.name());
        Self {
            store,
            sealer: Sealer::new(encryption),
            lock_key: format!("{key}:lock"),
            failed_key: format!("{key}:failed"),
            key,
            owner: format!("{}-{:016x}", std::process::id(), fastrand::u64(..)),
            source,
            login,
            settings,
            clock,
            warnings: Mutex::new(Warnings::default()),
            rejected: Mutex::new(None),
            last_extend: AtomicU64::new(u64::MAX),
            created: Instant::now(),
        }
    }

    /// The store key of this client's entry (tests inspect the store through it).
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// A token from the store, or from the token source, fetched by the one process holding
    /// the store's lock. `previous` is the token this process is replacing. When the store
    /// fails, the fetch runs anyway: the store must never stop calls. A failure is shared
    /// with the fleet for `pause(error)`: the same pause this process keeps before its next
    /// login.
    pub(crate) async fn obtain(
        &self,
        previous: Option<Arc<Token>>,
        pause: impl FnOnce(&AuthError) -> Duration,
    ) -> Result<Token, AuthError> {
        let fetch = |previous| self.source.fetch(&self.login, previous);
        let now = self.clock.now();
        let previous_valid = previous
            .as_ref()
            .is_some_and(|p| p.freshness(now) != Freshness::Expired);
        let next = self.wait_for_turn(previous_valid).await;
        let found = match next {
            Next::Done(token) => return Ok(token),
            // A token source that serves stale tokens has them served by the cache, which
            // also starts its cooldown on this error.
            Next::FailedElsewhere(cause, retry_in) => {
                return self.kept(&previous).ok_or(AuthError::FailedElsewhere {
                    operation: self.operation(),
                    cause,
                    retry_in,
                })
            }
            Next::Bypass(error) => {
                self.warn(&error);
                return match self.kept(&previous) {
                    Some(token) => Ok(token),
                    None => fetch(previous).await,
                };
            }
            Next::Hold(found) => found,
        };
        // A stored token that is due for renewal but still valid is what the callers get if
        // the renewal fails, where the source allows serving it.
        let fallback = match &found {
            Some(found) if self.source.serves_stale() => Some(found.token.duplicate()),
            _ => None,
        };
        // Whatever the store holds is being replaced: the source may have to end it first
        // (a session must be destroyed before a new one is created).
        let replaced = found.map(|f| Arc::new(f.token)).or(previous);
        let result = {
            let fetch = std::pin::pin!(fetch(replaced));
            let renew = std::pin::pin!(self.keep_lock());
            match futures_util::future::select(fetch, renew).await {
                futures_util::future::Either::Left((result, _)) => result,
                futures_util::future::Either::Right(((), fetch)) => fetch.await,
            }
        };
        if let Ok(token) = &result {
            // Issued (again) by Infobip: no longer one to shun, even if it was refused before
            // (a create-session may hand the same session back).
            let mut rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
            if rejected.as_ref() == Some(&token.header) {
                *rejected = None;
            }
        }
        let result = match result {
            Ok(token) => match self.write(&token).await {
                Ok(true) => Ok(token),
                // The lock was taken over while this process fetched: the new holder's token
                // stands for the fleet.
                Ok(false) => Ok(self.defer_to_fleet(token).await),
                Err(error) => {
                    self.warn(&error);
                    Ok(token)
                }
            },
            Err(error) => {
                // Shared, so that neither this process nor the rest of the fleet repeats the
                // same failing requests one after another.
                if let Err(store_error) = self.record_failure(&error, pause(&error)).await {
                    self.warn(&store_error);
                }
                match fallback {
                    // Without a token of its own, this process serves the stored one; with
                    // one, its cache keeps serving it and starts its cooldown on the error.
                    Some(fallback) if !previous_valid => {
                        tracing::warn!(error = %error, "renewal failed; using the stored token, which is still valid");
                        Ok(fallback)
                    }
                    _ => Err(error),
                }
            }
        };
        if let Err(error) = self.unlock().await {
            // Its lease runs out on its own.
            self.warn(&error);
        }
        result
    }

    /// Without the store to say whether other processes still use it, a still-valid token
    /// that cannot be served stale (a session, which a renewal would destroy under them) is
    /// kept in use: each use keeps it alive.
    fn kept(&self, previous: &Option<Arc<Token>>) -> Option<Token> {
        match previous {
            Some(previous)
                if !self.source.serves_stale()
                    && previous.freshness(self.clock.now()) != Freshness::Expired =>
            {
                Some(previous.duplicate())
            }
            _ => None,
        }
    }

    async fn unlock(&self) -> Result<(), StoreError> {
        self.bounded(self.store.remove_if(&self.lock_key, self.owner.as_bytes()))
            .await
            .map(drop)
    }

    /// Waits until the store has a fresh token, this process holds the lock, or the store
    /// must be bypassed. `has_previous`: this process already has a token to serve while it
    /// waits (stale tokens are served by its own cache).
    async fn wait_for_turn(&self, has_previous: bool) -> Next {
        let started = Instant::now();
        let mut waited = false;
        loop {
            let found = match self.read().await {
                Ok(found) => found,
                Err(error) => return Next::Bypass(error),
            };
            let found = match found {
                Some(found) if found.fresh => {
                    if waited {
                        tracing::debug!(
                            "token taken from the store after another process fetched it"
                        );
                    }
                    return Next::Done(found.token);
                }
                found => found,
            };
            // A process with nothing to serve takes a valid token due for renewal (where the
            // source allows serving it) rather than report another's failure or wait.
            let serve_found = !has_previous && self.source.serves_stale();
            let lease = self.settings.lease;
            let locked = self
                .store
                .insert_if_absent(&self.lock_key, self.owner.as_bytes(), lease);
            match self.bounded(locked).await {
                Err(error) => return Next::Bypass(error),
                Ok(true) => {
                    tracing::debug!("token lock acquired");
                    if let Some((cause, left)) = self.recent_failure().await {
                        let _ = self.unlock().await;
                        return match found {
                            Some(found) if serve_found => Next::Done(found.token),
                            _ => Next::FailedElsewhere(cause, left),
                        };
                    }
                    // The previous holder may have stored a token between our read and our
                    // lock: look once more before asking Infobip.
                    return match self.read().await {
                        Ok(Some(found)) if found.fresh => {
                            let _ = self.unlock().await;
                            Next::Done(found.token)
                        }
                        Ok(found) => Next::Hold(found),
                        // We hold the lock: keep it, fetch, and try to store the result,
                        // rather than leave the lock to lapse while the others wait.
                        Err(error) => {
                            self.warn(&error);
                            Next::Hold(None)
                        }
                    };
                }
                Ok(false) => {
                    if let (true, Some(found)) = (serve_found, found) {
                        return Next::Done(found.token);
                    }
                    if started.elapsed() >= self.settings.max_wait {
                        return Next::Bypass(StoreError::new(format!(
                            "another process has held the token lock for over {:?} without storing a token",
                            self.settings.max_wait
                        )));
                    }
                    waited = true;
                    // Real time, not the injectable clock: this waits for other processes.
                    let poll = Duration::from_millis(25 + fastrand::u64(0..50));
                    tokio::time::sleep(poll).await;
                }
            }
        }
    }

    /// Renews the lock's lease while a fetch runs; returns if the lock was lost.
    async fn keep_lock(&self) {
        let every = (self.settings.lease / 3).max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            let renewed =
                self.store
                    .extend_if(&self.lock_key, self.owner.as_bytes(), self.settings.lease);
            match self.bounded(renewed).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("the token lock was taken over while this process was fetching; another process may fetch too");
                    return std::future::pending().await;
                }
                Err(error) => self.warn(&error),
            }
        }
    }

    /// The token in the store, if it is there, readable with our key, and still valid.
    async fn read(&self) -> Result<Option<Found>, StoreError> {
        let Some(stored) = self.bounded(self.store.load(&self.key)).await? else {
            return Ok(None);
        };
        let Some(entry) = self.sealer.open::<Entry>(&self.key, &stored.value) else {
            self.warn(&StoreError::new(
                "an entry could not be decrypted (another encryption key, or tampered with); treating it as missing",
            ));
            return Ok(None);
        };
        let now = self.clock.now();
        let Some((token, fresh)) =
            self.source
                .token_from_entry(&entry, stored.ttl, now, self.clock.wall())
        else {
            return Ok(None);
        };
        let rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        if rejected.as_ref() == Some(&token.header) {
            return Ok(None);
        }
        drop(rejected);
        Ok(Some(Found { token, fresh }))
    }

    /// After the lock was taken over during this process's fetch: a token the user may hold
    /// only one of (a session) is ended in favour of the one the store now holds, so that the
    /// fleet does not keep two; other tokens are simply kept.
    async fn defer_to_fleet(&self, own: Token) -> Token {
        if !self.source.one_per_user() {
            return own;
        }
        let stored = match self.read().await {
            Ok(Some(found)) if found.token.header != own.header => found.token,
            // Nothing stored yet (the new holder is still fetching) or the store failed:
            // this process keeps its own, as it would without a store.
            _ => return own,
        };
        if let Err(error) = self.source.end(&self.login, &own).await {
            tracing::warn!(error = %error, "could not end this process's session after the lock was taken over");
        }
        tracing::info!(
            "the lock was taken over; using the fleet's session instead of this process's"
        );
        stored
    }

    /// Stores a token this process just obtained; `false` if the lock was taken over first.
    async fn write(&self, token: &Token) -> Result<bool, StoreError> {
        let Some((entry, ttl)) = self
            .source
            .entry_for(token, self.clock.now(), self.clock.wall())
        else {
            return Ok(true);
        };
        let sealed = self.sealer.seal(&self.key, &entry)?;
        self.last_extend
            .store(self.since_created(), Ordering::Relaxed);
        let saved = self.store.save_if(
            &self.key,
            sealed,
            ttl,
            &self.lock_key,
            self.owner.as_bytes(),
        );
        let saved = self.bounded(saved).await?;
        if !saved {
            tracing::warn!("the token lock was taken over before the token was stored; the new holder's token stands");
        }
        Ok(saved)
    }

    /// The token or session operation this store entry comes from.
    fn operation(&self) -> &'static Operation {
        self.source.login_operation()
    }

    /// Records why this process, holding the lock, failed to obtain a token, for `pause`.
    async fn record_failure(&self, error: &AuthError, pause: Duration) -> Result<(), StoreError> {
        if pause.is_zero() {
            return Ok(());
        }
        let failure = SharedFailure {
            cause: error.to_string(),
        };
        let sealed = self.sealer.seal(&self.failed_key, &failure)?;
        let saved = self.store.save_if(
            &self.failed_key,
            sealed,
            pause,
            &self.lock_key,
            self.owner.as_bytes(),
        );
        self.bounded(saved).await.map(drop)
    }

    /// Why a process failed to obtain a token moments ago, if one did, and how long its
    /// pause has left.
    async fn recent_failure(&self) -> Option<(String, Duration)> {
        let stored = self
            .bounded(self.store.load(&self.failed_key))
            .await
            .ok()??;
        let failure = self
            .sealer
            .open::<SharedFailure>(&self.failed_key, &stored.value)?;
        Some((failure.cause.clone(), stored.ttl.unwrap_or(Duration::ZERO)))
    }

    /// Removes the shared failure, so that the fleet logs in again at once.
    pub(crate) async fn clear_failure(&self) {
        let result = async {
            if let Some(stored) = self.bounded(self.store.load(&self.failed_key)).await? {
                let removed = self.store.remove_if(&self.failed_key, &stored.value);
                self.bounded(removed).await?;
            }
            Ok(())
        }
        .await;
        if let Err(error) = result {
            self.warn(&error);
        }
    }

    /// The valid token in the store, fresh or not (for a logout from a process that does
    /// not hold the token itself).
    pub(crate) async fn current(&self) -> Option<Token> {
        match self.read().await {
            Ok(found) => found.map(|f| f.token),
            Err(error) => {
                self.warn(&error);
                None
            }
        }
    }

    /// Marks the token sent as `used` as rejected by the server.
    pub(crate) fn reject(&self, used: &HeaderValue) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()) = Some(used.clone());
    }

    /// Removes the stored token if it is the one sent as `used` (the server rejected it, or
    /// it was logged out), so that no other process picks it up.
    pub(crate) async fn discard(&self, used: &HeaderValue) {
        let result = async {
            if let Some(sealed) = self.stored_as(used).await? {
                self.bounded(self.store.remove_if(&self.key, &sealed))
                    .await?;
            }
            Ok(())
        }
        .await;
        if let Err(error) = result {
            self.warn(&error);
        }
    }

    /// The stored value, if it holds the token sent as `header` (what a compare-and-delete
    /// or compare-and-extend must name).
    async fn stored_as(&self, header: &HeaderValue) -> Result<Option<Vec<u8>>, StoreError> {
        let stored = self.bounded(self.store.load(&self.key)).await?;
        Ok(stored
            .map(|stored| stored.value)
            .filter(|sealed| self.holds(sealed, header)))
    }

    /// For a token that idles out: restarts the stored copy's expiry if this process has not
    /// done so for a while, in the background. Called on every use; cheap when there is
    /// nothing to do.
    pub(crate) fn used(self: &Arc<Self>, header: &HeaderValue) {
        let Some(keep_alive) = self.source.keep_alive() else {
            return;
        };
        let every = u64::try_from(keep_alive.every.as_millis()).unwrap_or(u64::MAX);
        let now = self.since_created();
        let last = self.last_extend.load(Ordering::Relaxed);
        if last != u64::MAX && now.saturating_sub(last) < every {
            return;
        }
        if self
            .last_extend
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let this = self.clone();
        let header = header.clone();
        tokio::spawn(async move {
            let result = async {
                if let Some(sealed) = this.stored_as(&header).await? {
                    this.bounded(this.store.extend_if(&this.key, &sealed, keep_alive.ttl))
                        .await?;
                }
                Ok(())
            }
            .await;
            if let Err(error) = result {
                this.warn(&error);
            }
        });
    }

    fn since_created(&self) -> u64 {
        u64::try_from(self.created.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// Whether `sealed` holds the token sent as `header`.
    fn holds(&self, sealed: &[u8], header: &HeaderValue) -> bool {
        let now = self.clock.now();
        self.sealer
            .open::<Entry>(&self.key, sealed)
            .and_then(|entry| {
                // Any TTL: only the token matters here.
                self.source
                    .token_from_entry(&entry, Some(Duration::MAX), now, self.clock.wall())
            })
            .is_some_and(|(token, _)| token.header == header)
    }

    /// Bounds a store call by the configured timeout.
    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.settings.timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::new(format!(
                    "no answer within {:?}",
                    self.settings.timeout
                )))
            })
    }

    fn warn(&self, error: &StoreError) {
        let mut warnings = self.warnings.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if warnings.last.is_some_and(|last| now < last + WARN_EVERY) {
            warnings.suppressed += 1;
            return;
        }
        let suppressed = std::mem::take(&mut warnings.suppressed);
        warnings.last = Some(now);
        drop(warnings);
        tracing::warn!(
            suppressed,
            "token store: {error}; this process relies on its own cache meanwhile"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::oauth2::OAuth2;
    use crate::scheme::UserCredentials;
    use crate::{ManualClock, MemoryStore};

    fn fleet(user: &str) -> Fleet {
        let credentials = UserCredentials::new(
            ("client_id", user.to_owned()),
            ("client_secret", "secret".into()),
        )
        .unwrap();
        Fleet::new(
            Arc::new(MemoryStore::new()),
            &EncryptionKey::from_bytes([1; 32]),
            "https://api.infobip.com",
            Arc::new(OAuth2::new(credentials, None)),
            Arc::new(Login::new(
                String::from("https://api.infobip.com"),
                reqwest::Client::new(),
                Duration::from_secs(1),
                crate::RetryPolicy::default(),
                Arc::new(ManualClock::new()),
                infobip_client::Scheme::OAuth2,
            )),
            StoreSettings {
                lease: Duration::from_secs(10),
                timeout: Duration::from_secs(1),
                max_wait: Duration::from_secs(60),
            },
            Arc::new(ManualClock::new()),
        )
    }

    #[test]
    fn keys_name_the_base_url_and_scheme_but_not_the_user() {
        let key = fleet("alice@example.com").key;
        assert!(
            key.starts_with("infobip-auth:v1:https://api.infobip.com:oauth2:"),
            "{key}"
        );
        assert!(!key.contains("alice"), "{key}");
        assert_ne!(key, fleet("bob").key);
    }
}
