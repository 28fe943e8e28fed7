//! Distributed single-flight over a [`TokenStore`]: a [`TokenSource`] that wraps a scheme's
//! and shares its tokens. One process fetches, the others wait for what it stores, and a dead
//! holder's lock is taken over when its lease runs out. What the token is (its expiry,
//! whether it idles out, how it is read back from the store) is the token's and the wrapped
//! source's business.
//!
//! A credential's entry, lock and remembered failure are named after the credential itself
//! (base URL, scheme, user and secret, fingerprinted with a key only the fleet holds), so
//! that a process with another secret (a wrong, revoked or newer password) shares nothing
//! with it: neither its token nor its failures. The names follow the secret when it changes.

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use infobip_client::BoxFuture;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret as _, SecretString};

use crate::clock::{millis, Clock};
use crate::error::AuthError;
use crate::login::Login;
use crate::scheme::{Pause, SharedToken, TokenScheme, TokenSource};
use crate::store::sealing::{EncryptionKey, Fingerprints};
use crate::store::{Rule, StoreError, Stored, TokenStore};
use crate::token::{Freshness, Token};

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

/// One account's tokens in a shared store: the wrapped source's, fetched by one process at a
/// time.
pub(crate) struct Fleet {
    /// Itself, for the background work a use starts.
    me: Weak<Fleet>,
    store: Arc<dyn TokenStore>,
    /// Seals what the store keeps.
    key: EncryptionKey,
    fingerprints: Fingerprints,
    base_url: String,
    source: Arc<dyn TokenScheme>,
    /// The store keys of the secret last seen, made again when it changes.
    keys: Mutex<Arc<Keys>>,
    /// This process's id in the lock.
    owner: Vec<u8>,
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

/// Where one credential lives in the store: its token, the lock of the process fetching it,
/// and the failure the fleet remembers for it.
struct Keys {
    /// The secret the keys were made for. Compared by address: the credentials hold each
    /// secret in an `Arc` of its own, replaced whole when it changes.
    secret: Arc<SecretString>,
    entry: String,
    lock: String,
    failed: String,
}

impl Keys {
    /// `infobip-auth:v2:{<fingerprint>}:<scheme>:<base URL>`, and the same with `:lock` and
    /// `:failed`. The fingerprint covers the base URL, scheme, user and secret: readable are
    /// only the base URL and scheme (for a store operator), never whose entry it is. It is the
    /// key's hash tag (`{...}`), so Redis Cluster keeps all three in one hash slot (the
    /// scripts touch an entry and its lock together), while different credentials spread
    /// over the shards.
    fn new(
        fingerprints: &Fingerprints,
        base_url: &str,
        source: &dyn TokenScheme,
        secret: Arc<SecretString>,
    ) -> Self {
        let scheme = source.name();
        let fingerprint = fingerprints.of(&[
            base_url.as_bytes(),
            scheme.as_bytes(),
            source.user().as_bytes(),
            secret.expose_secret().as_bytes(),
        ]);
        let entry = format!("infobip-auth:v2:{{{fingerprint}}}:{scheme}:{base_url}");
        Self {
            secret,
            lock: format!("{entry}:lock"),
            failed: format!("{entry}:failed"),
            entry,
        }
    }
}

#[derive(Default)]
struct Warnings {
    last: Option<Instant>,
    suppressed: u64,
}

/// A usable token read from the store, and whether it is fresh.
type Found = (Token, bool);

/// What a store read or write came to, for the caller's control flow.
enum Next {
    Done(Token),
    Hold(Option<Found>),
    /// Another process failed moments ago; its failure stands for this one too, for what is
    /// left of its pause.
    FailedElsewhere(String, Duration),
}

impl Fleet {
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        encryption: &EncryptionKey,
        base_url: &str,
        source: Arc<dyn TokenScheme>,
        settings: StoreSettings,
        clock: Arc<dyn Clock>,
    ) -> Arc<Self> {
        let fingerprints = Fingerprints::new(encryption);
        let secret = source.credentials().password();
        let keys = Keys::new(&fingerprints, base_url, &*source, secret);
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            store,
            key: encryption.clone(),
            fingerprints,
            base_url: base_url.to_owned(),
            keys: Mutex::new(Arc::new(keys)),
            owner: format!("{}-{:016x}", std::process::id(), fastrand::u64(..)).into_bytes(),
            source,
            settings,
            clock,
            warnings: Mutex::new(Warnings::default()),
            rejected: Mutex::new(None),
            last_extend: AtomicU64::new(u64::MAX),
            created: Instant::now(),
        })
    }

    /// The keys of the current secret. The secret is read here, where the store is used,
    /// rather than told of its changes: whoever replaces it, the next store call follows.
    fn keys(&self) -> Arc<Keys> {
        let secret = self.source.credentials().password();
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if !Arc::ptr_eq(&keys.secret, &secret) {
            *keys = Arc::new(Keys::new(
                &self.fingerprints,
                &self.base_url,
                &*self.source,
                secret,
            ));
        }
        keys.clone()
    }

    /// Whether `keys` are still those of the current secret.
    fn still_current(&self, keys: &Keys) -> bool {
        Arc::ptr_eq(&keys.secret, &self.source.credentials().password())
    }

    /// A token from the store, or from the token source, fetched by the one process holding
    /// the store's lock. `previous` is the token this process is replacing. When the store
    /// fails, the fetch runs anyway: the store must never stop calls. A failure is shared
    /// with the fleet for `pause(error)`: the same pause this process keeps before its next
    /// login.
    async fn obtain(
        &self,
        login: &Login,
        previous: Option<Arc<Token>>,
        pause: Pause<'_>,
    ) -> Result<Arc<Token>, AuthError> {
        let fetch = |previous| TokenScheme::fetch(&*self.source, login, previous, pause);
        let now = self.clock.now();
        let previous_valid = previous
            .as_ref()
            .is_some_and(|p| p.freshness(now) != Freshness::Expired);
        // One secret's keys from the turn to the unlock, even if the secret changes meanwhile.
        let keys = self.keys();
        let keys = &*keys;
        let next = self.wait_for_turn(keys, previous_valid).await;
        let found = match next {
            Ok(Next::Done(token)) => return Ok(Arc::new(token)),
            // A token source that serves stale tokens has them served by the cache, which
            // also starts its cooldown on this error.
            Ok(Next::FailedElsewhere(cause, retry_in)) => {
                return self.kept(&previous).ok_or(AuthError::FailedElsewhere {
                    operation: self.source.login_operation(),
                    cause,
                    retry_in,
                })
            }
            Err(error) => {
                self.warn(&error);
                return match self.kept(&previous) {
                    Some(token) => Ok(token),
                    None => fetch(previous).await,
                };
            }
            Ok(Next::Hold(found)) => found,
        };
        // A stored token that is due for renewal but still valid is what the callers get if
        // the renewal fails, where the source allows serving it.
        let found = found.map(|(token, _)| Arc::new(token));
        let fallback = found.clone().filter(|_| !self.source.sessions());
        // Whatever the store holds is being replaced: the source may have to end it first
        // (a session must be destroyed before a new one is created).
        let replaced = found.or(previous);
        let result = tokio::select! {
            result = fetch(replaced) => result,
            never = self.keep_lock(keys) => match never {},
        };
        if let Ok(token) = &result {
            // Issued (again) by Infobip: no longer one to shun, even if it was refused before
            // (a create-session may hand the same session back).
            let mut rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
            if rejected.as_ref() == Some(&token.header) {
                *rejected = None;
            }
        }
        // The secret changed while this process fetched: the outcome may be either secret's,
        // so it is stored under neither (the cache decides whether to use it).
        let current = self.still_current(keys);
        let result = match result {
            Ok(token) if !current => Ok(token),
            Ok(token) => match self.write(keys, &token).await {
                Ok(true) => Ok(token),
                // The lock was taken over while this process fetched: the new holder's token
                // stands for the fleet.
                Ok(false) => Ok(self.defer_to_fleet(login, keys, token).await),
                Err(error) => {
                    self.warn(&error);
                    Ok(token)
                }
            },
            Err(error) => {
                // Shared, so that neither this process nor the rest of the fleet repeats the
                // same failing requests one after another.
                if current {
                    self.or_warn(self.record_failure(keys, &error, pause(&error)))
                        .await;
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
        // On failure, its lease runs out on its own.
        self.or_warn(self.unlock(keys)).await;
        result
    }

    /// Without the store to say whether other processes still use it, a still-valid token
    /// that cannot be served stale (a session, which a renewal would destroy under them) is
    /// kept in use: each use keeps it alive.
    fn kept(&self, previous: &Option<Arc<Token>>) -> Option<Arc<Token>> {
        previous.clone().filter(|previous| {
            self.source.sessions() && previous.freshness(self.clock.now()) != Freshness::Expired
        })
    }

    async fn unlock(&self, keys: &Keys) -> Result<(), StoreError> {
        let key = keys.lock.clone();
        let expected = self.owner.clone();
        self.apply(Rule::RemoveIf { key, expected }).await.map(drop)
    }

    /// Waits until the store has a fresh token or this process holds the lock; an error when
    /// the store must be bypassed. `has_previous`: this process already has a token to serve while it
    /// waits (stale tokens are served by its own cache).
    async fn wait_for_turn(&self, keys: &Keys, has_previous: bool) -> Result<Next, StoreError> {
        let started = Instant::now();
        let mut waited = false;
        loop {
            let found = match self.read(keys).await? {
                Some((token, true)) => {
                    if waited {
                        tracing::debug!(
                            "token taken from the store after another process fetched it"
                        );
                    }
                    return Ok(Next::Done(token));
                }
                found => found,
            };
            // A process with nothing to serve takes a valid token due for renewal (where the
            // source allows serving it) rather than report another's failure or wait.
            let serve_found = !has_previous && !self.source.sessions();
            let locked = Rule::InsertIfAbsent {
                key: keys.lock.clone(),
                value: self.owner.clone(),
                ttl: self.settings.lease,
            };
            if self.apply(locked).await? {
                tracing::debug!("token lock acquired");
                if let Some((cause, left)) = self.recent_failure(keys).await {
                    let _ = self.unlock(keys).await;
                    return Ok(match found {
                        Some((token, _)) if serve_found => Next::Done(token),
                        _ => Next::FailedElsewhere(cause, left),
                    });
                }
                // The previous holder may have stored a token between our read and our
                // lock: look once more before asking Infobip.
                return Ok(match self.read(keys).await {
                    Ok(Some((token, true))) => {
                        let _ = self.unlock(keys).await;
                        Next::Done(token)
                    }
                    Ok(found) => Next::Hold(found),
                    // We hold the lock: keep it, fetch, and try to store the result,
                    // rather than leave the lock to lapse while the others wait.
                    Err(error) => {
                        self.warn(&error);
                        Next::Hold(None)
                    }
                });
            }
            if let (true, Some((token, _))) = (serve_found, found) {
                return Ok(Next::Done(token));
            }
            if started.elapsed() >= self.settings.max_wait {
                return Err(StoreError::new(format!(
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

    /// Renews the lock's lease while a fetch runs, until the lock is lost.
    async fn keep_lock(&self, keys: &Keys) -> Infallible {
        let every = (self.settings.lease / 3).max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            let renewed = Rule::ExtendIf {
                key: keys.lock.clone(),
                expected: self.owner.clone(),
                ttl: self.settings.lease,
            };
            match self.apply(renewed).await {
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
    async fn read(&self, keys: &Keys) -> Result<Option<Found>, StoreError> {
        let Some(stored) = self.load(&keys.entry).await? else {
            return Ok(None);
        };
        let Some(entry) = self.key.open::<SharedToken>(&keys.entry, &stored.value) else {
            self.warn(&StoreError::new(
                "an entry could not be decrypted (another encryption key, or tampered with); treating it as missing",
            ));
            return Ok(None);
        };
        let (now, wall) = (self.clock.now(), self.clock.wall());
        let found = self.source.token_from_entry(&entry, stored.ttl, now, wall);
        let rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        Ok(found.filter(|(token, _)| rejected.as_ref() != Some(&token.header)))
    }

    /// After the lock was taken over during this process's fetch: a token the user may hold
    /// only one of (a session) is ended in favour of the one the store now holds, so that the
    /// fleet does not keep two; other tokens are simply kept.
    async fn defer_to_fleet(&self, login: &Login, keys: &Keys, own: Arc<Token>) -> Arc<Token> {
        if !self.source.sessions() {
            return own;
        }
        let stored = match self.read(keys).await {
            Ok(Some((token, _))) if token.header != own.header => Arc::new(token),
            // Nothing stored yet (the new holder is still fetching) or the store failed:
            // this process keeps its own, as it would without a store.
            _ => return own,
        };
        if let Err(error) = self.source.end(login, &own).await {
            tracing::warn!(error = %error, "could not end this process's session after the lock was taken over");
        }
        tracing::info!(
            "the lock was taken over; using the fleet's session instead of this process's"
        );
        stored
    }

    /// Stores a token this process just obtained; `false` if the lock was taken over first.
    async fn write(&self, keys: &Keys, token: &Token) -> Result<bool, StoreError> {
        let Some((entry, ttl)) = SharedToken::of(token, self.clock.now(), self.clock.wall()) else {
            return Ok(true);
        };
        let sealed = self.key.seal(&keys.entry, &entry)?;
        self.last_extend
            .store(self.since_created(), Ordering::Relaxed);
        let saved = self
            .apply(self.save(keys, &keys.entry, sealed, ttl))
            .await?;
        if !saved {
            tracing::warn!("the token lock was taken over before the token was stored; the new holder's token stands");
        }
        Ok(saved)
    }

    /// Records why this process, holding the lock, failed to obtain a token, for `pause`.
    async fn record_failure(
        &self,
        keys: &Keys,
        error: &AuthError,
        pause: Duration,
    ) -> Result<(), StoreError> {
        if pause.is_zero() {
            return Ok(());
        }
        // The failure marker holds why the fetch failed, sealed like a token.
        let sealed = self.key.seal(&keys.failed, &error.to_string())?;
        let saved = self.save(keys, &keys.failed, sealed, pause);
        self.apply(saved).await.map(drop)
    }

    /// Why a process failed to obtain a token moments ago, if one did, and how long its
    /// pause has left. A marker this build cannot read (written by an earlier build in
    /// another form, under another encryption key, or damaged) counts as none: the logins it
    /// would pause go ahead, and the next failure replaces it.
    async fn recent_failure(&self, keys: &Keys) -> Option<(String, Duration)> {
        let stored = self.load(&keys.failed).await.ok()??;
        let cause = self.key.open::<String>(&keys.failed, &stored.value)?;
        Some((cause, stored.ttl.unwrap_or(Duration::ZERO)))
    }

    /// Applies the rule `act` makes of the entry's key and stored value, if the entry holds
    /// the token sent as `header` (what a compare-and-delete or compare-and-extend must name).
    async fn if_stored(&self, header: &HeaderValue, act: impl FnOnce(String, Vec<u8>) -> Rule) {
        let keys = self.keys();
        let (now, wall) = (self.clock.now(), self.clock.wall());
        let holds = |sealed: &Vec<u8>| {
            let entry = self.key.open::<SharedToken>(&keys.entry, sealed);
            // Any TTL: only the token matters here.
            entry
                .and_then(|entry| {
                    self.source
                        .token_from_entry(&entry, Some(Duration::MAX), now, wall)
                })
                .is_some_and(|(token, _)| token.header == header)
        };
        self.or_warn(async {
            let stored = self.load(&keys.entry).await?.map(|stored| stored.value);
            if let Some(expected) = stored.filter(holds) {
                self.apply(act(keys.entry.clone(), expected)).await?;
            }
            Ok(())
        })
        .await;
    }

    fn since_created(&self) -> u64 {
        millis(self.created.elapsed()).min(u64::MAX - 1)
    }

    /// What `key` holds, read within the configured timeout.
    async fn load(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        self.bounded(self.store.load(key)).await
    }

    /// Applies `rule` within the configured timeout.
    async fn apply(&self, rule: Rule) -> Result<bool, StoreError> {
        self.bounded(self.store.apply(rule)).await
    }

    /// Saves `value` at `key` for `ttl` if this process still holds the lock of `keys`.
    fn save(&self, keys: &Keys, key: &str, value: Vec<u8>, ttl: Duration) -> Rule {
        Rule::SaveIf {
            key: key.to_owned(),
            value,
            ttl,
            guard: keys.lock.clone(),
            expected: self.owner.clone(),
        }
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

    /// Runs a store step that may fail: the process carries on without it, with a warning.
    async fn or_warn(&self, step: impl Future<Output = Result<(), StoreError>>) {
        if let Err(error) = step.await {
            self.warn(&error);
        }
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

/// The wrapped source's tokens, shared: its own answers pass through, its fetches go through
/// the store's single-flight.
impl TokenSource for Fleet {
    fn scheme(&self) -> &dyn TokenScheme {
        &*self.source
    }

    fn fetch<'a>(
        &'a self,
        login: &'a Login,
        replacing: Option<Arc<Token>>,
        pause: Pause<'a>,
    ) -> BoxFuture<'a, Result<Arc<Token>, AuthError>> {
        Box::pin(self.obtain(login, replacing, pause))
    }

    fn store_key(&self) -> Option<String> {
        Some(self.keys().entry.clone())
    }

    /// For a token that idles out: restarts the stored copy's expiry if this process has not
    /// done so for a while, in the background. Called on every use; cheap when there is
    /// nothing to do.
    fn used(&self, header: &HeaderValue) {
        let Some(keep_alive) = self.source.keep_alive() else {
            return;
        };
        let every = millis(keep_alive.every);
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
        let Some(this) = self.me.upgrade() else {
            return;
        };
        let header = header.clone();
        tokio::spawn(async move {
            let ttl = keep_alive.ttl;
            let extend = |key, expected| Rule::ExtendIf { key, expected, ttl };
            this.if_stored(&header, extend).await;
        });
    }

    fn rejected(&self, header: &HeaderValue) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()) = Some(header.clone());
    }

    /// Removes the stored token if it is the one sent as `used` (the server rejected it, or
    /// it was logged out), so that no other process picks it up.
    fn discard<'a>(&'a self, used: &'a HeaderValue) -> BoxFuture<'a, ()> {
        Box::pin(self.if_stored(used, |key, expected| Rule::RemoveIf { key, expected }))
    }

    /// Removes the shared failure, so that the fleet logs in again at once.
    fn clear_failure(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.or_warn(async {
            let keys = self.keys();
            if let Some(stored) = self.load(&keys.failed).await? {
                let key = keys.failed.clone();
                let expected = stored.value;
                self.apply(Rule::RemoveIf { key, expected }).await?;
            }
            Ok(())
        }))
    }

    /// The valid token in the store, fresh or not (for a logout from a process that does
    /// not hold the token itself).
    fn current(&self) -> BoxFuture<'_, Option<Token>> {
        Box::pin(async {
            self.read(&self.keys())
                .await
                .map_err(|error| self.warn(&error))
                .ok()?
                .map(|(token, _)| token)
        })
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest as _, Sha256};

    use super::*;
    use crate::scheme::ibsso::Ibsso;
    use crate::scheme::oauth2::OAuth2;
    use crate::scheme::UserCredentials;
    use crate::store::MemoryStore;
    use crate::test_util::ManualClock;

    const BASE_URL: &str = "https://api.infobip.com";

    fn credentials(user: &str, secret: &str) -> UserCredentials {
        UserCredentials::new(
            ("client_id", user.to_owned()),
            ("client_secret", secret.into()),
        )
        .unwrap()
    }

    fn fleet_of(source: Arc<dyn TokenScheme>, base_url: &str, encryption: [u8; 32]) -> Arc<Fleet> {
        Fleet::new(
            Arc::new(MemoryStore::new()),
            &EncryptionKey::from_bytes(encryption),
            base_url,
            source,
            StoreSettings {
                lease: Duration::from_secs(10),
                timeout: Duration::from_secs(1),
                max_wait: Duration::from_secs(60),
            },
            Arc::new(ManualClock::new()),
        )
    }

    fn fleet(user: &str, secret: &str, encryption: [u8; 32]) -> Arc<Fleet> {
        let source = Arc::new(OAuth2 {
            credentials: credentials(user, secret),
            margin: None,
        });
        fleet_of(source, BASE_URL, encryption)
    }

    /// The hash tag Redis Cluster places a key by: what is between the first `{` and the
    /// next `}`.
    fn hash_tag(key: &str) -> &str {
        let open = key.find('{').unwrap();
        let close = open + key[open..].find('}').unwrap();
        &key[open + 1..close]
    }

    #[test]
    fn keys_name_the_base_url_and_scheme_but_neither_the_user_nor_the_secret() {
        let user = "alice@example.com";
        let secret = "S3CRET-password";
        let keys = fleet(user, secret, [1; 32]).keys();
        assert!(
            keys.entry.starts_with("infobip-auth:v2:{"),
            "{}",
            keys.entry
        );
        assert!(
            keys.entry.ends_with("}:oauth2:https://api.infobip.com"),
            "{}",
            keys.entry
        );
        // Nor anything a guess could be checked against without the key: the unkeyed hashes
        // of either.
        let unkeyed = |text: &str| format!("{:x}", Sha256::digest(text.as_bytes()));
        for key in [&keys.entry, &keys.lock, &keys.failed] {
            for hidden in [user, "alice", secret, &unkeyed(user), &unkeyed(secret)] {
                assert!(!key.contains(hidden), "{key} contains {hidden}");
            }
        }
        // One hash slot for the three (the scripts touch an entry and its lock together),
        // tagged by the fingerprint, so that different credentials spread over the shards.
        let tag = hash_tag(&keys.entry);
        assert_eq!(tag.len(), 64, "{tag}");
        assert_eq!(hash_tag(&keys.lock), tag);
        assert_eq!(hash_tag(&keys.failed), tag);
        assert_eq!(keys.lock, format!("{}:lock", keys.entry));
        assert_eq!(keys.failed, format!("{}:failed", keys.entry));
    }

    #[test]
    fn every_part_of_the_credential_changes_the_key() {
        let key = |fleet: Arc<Fleet>| fleet.store_key().unwrap();
        let alice = key(fleet("alice", "password-1", [1; 32]));
        let others = [
            key(fleet("alice", "password-2", [1; 32])),
            key(fleet("bob", "password-1", [1; 32])),
            key(fleet_of(
                Arc::new(OAuth2 {
                    credentials: credentials("alice", "password-1"),
                    margin: None,
                }),
                "https://xyz.api.infobip.com",
                [1; 32],
            )),
            key(fleet_of(
                Arc::new(Ibsso {
                    credentials: credentials("alice", "password-1"),
                    idle: Duration::from_secs(3600),
                    margin: Duration::from_secs(300),
                    unsafe_session: true,
                }),
                BASE_URL,
                [1; 32],
            )),
        ];
        for other in &others {
            assert_ne!(hash_tag(&alice), hash_tag(other), "{alice} / {other}");
        }
    }

    #[test]
    fn the_same_credential_has_the_same_key_only_under_the_same_encryption_key() {
        // What processes sharing a store compute each for themselves.
        let first = fleet("alice", "password-1", [1; 32]).store_key().unwrap();
        assert_eq!(
            fleet("alice", "password-1", [1; 32]).store_key().unwrap(),
            first
        );
        // Keyed: without the fleet's key, nobody can tell which credential a key names.
        assert_ne!(
            fleet("alice", "password-1", [2; 32]).store_key().unwrap(),
            first
        );
    }

    #[test]
    fn the_keys_follow_the_secret_when_it_changes() {
        let fleet = fleet("alice", "password-1", [1; 32]);
        let before = fleet.keys();
        assert!(Arc::ptr_eq(&before, &fleet.keys()), "made once per secret");
        fleet
            .source
            .credentials()
            .set_password("password-2".into())
            .unwrap();
        assert!(!fleet.still_current(&before));
        assert_eq!(
            fleet.store_key().unwrap(),
            self::fleet("alice", "password-2", [1; 32])
                .store_key()
                .unwrap()
        );
        assert_ne!(fleet.store_key().unwrap(), before.entry);
    }

    #[tokio::test]
    async fn an_unreadable_failure_marker_neither_pauses_logins_nor_panics() {
        let hour = Duration::from_secs(3600);
        let marked = |marker: Vec<u8>| async move {
            let fleet = fleet("alice", "password-1", [1; 32]);
            let keys = fleet.keys();
            let (key, value, ttl) = (keys.failed.clone(), marker, hour);
            let rule = Rule::InsertIfAbsent { key, value, ttl };
            assert!(fleet.store.apply(rule).await.unwrap());
            let turn = fleet.wait_for_turn(&keys, false).await;
            (fleet, turn)
        };
        let keys = fleet("alice", "password-1", [1; 32]).keys();
        let earlier_form = serde_json::json!({ "cause": "bad credentials" });
        for marker in [
            // The form earlier builds wrote under the same key and format byte.
            EncryptionKey::from_bytes([1; 32])
                .seal(&keys.failed, &earlier_form)
                .unwrap(),
            EncryptionKey::from_bytes([2; 32])
                .seal(&keys.failed, &"bad credentials")
                .unwrap(),
            b"\x01 not sealed".to_vec(),
            Vec::new(),
        ] {
            let (fleet, turn) = marked(marker).await;
            // This process holds the lock and logs in, at once.
            assert!(matches!(turn, Ok(Next::Hold(None))));
            fleet.unlock(&fleet.keys()).await.unwrap();
        }
        let readable = EncryptionKey::from_bytes([1; 32]).seal(&keys.failed, &"bad credentials");
        match marked(readable.unwrap()).await.1 {
            Ok(Next::FailedElsewhere(cause, left)) => {
                assert_eq!(cause, "bad credentials");
                assert!(left <= hour, "{left:?}");
            }
            _ => panic!("a readable marker pauses logins"),
        }
    }
}
