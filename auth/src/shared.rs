//! Distributed single-flight over a [`TokenStore`]: one process fetches, the others wait for
//! what it stores, and a dead holder's lock is taken over when its lease runs out.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use infobip_client::security::Scheme;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::cache::{Freshness, Lifetime, Token};
use crate::config::sensitive_header;
use crate::store::{EncryptionKey, StoreError, TokenStore};
use crate::{AuthError, Clock};

/// The first byte of every stored value: the layout (nonce, then ciphertext) and what is
/// encrypted may change; a reader that does not know the version treats the entry as missing.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;
/// At most one warning about the store per this period; the others are counted.
const WARN_EVERY: Duration = Duration::from_secs(30);
/// After a process failed to obtain a token, how long the others take its failure as theirs
/// instead of asking Infobip again (the same cooldown a lone client keeps between failed
/// renewals).
const SHARED_FAILURE_FOR: Duration = Duration::from_secs(10);

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

/// What the store holds for one account and scheme.
pub(crate) enum SharedKind {
    /// OAuth: times are wall-clock milliseconds, since an `Instant` means nothing elsewhere.
    OAuth,
    /// IBSSO: the store's own expiry is the session's idle clock, restarted on use.
    Session { idle: Duration, margin: Duration },
}

pub(crate) struct Shared {
    store: Arc<dyn TokenStore>,
    cipher: XChaCha20Poly1305,
    key: String,
    lock_key: String,
    failed_key: String,
    owner: String,
    kind: SharedKind,
    prefix: &'static str,
    settings: StoreSettings,
    clock: Arc<dyn Clock>,
    warnings: Mutex<Warnings>,
    /// The last token the server rejected with a 401: never taken from the store again, even
    /// before another process has replaced it there.
    rejected: Mutex<Option<HeaderValue>>,
    /// When this process last restarted the stored session's idle clock, in milliseconds
    /// since `created`; `u64::MAX` for never.
    last_extend: AtomicU64,
    created: Instant,
}

#[derive(Default)]
struct Warnings {
    last: Option<Instant>,
    suppressed: u64,
}

/// The encrypted content of an entry.
#[derive(Serialize, Deserialize)]
struct Plain {
    token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at_ms: Option<u64>,
}

/// The encrypted content of a failure marker: why the last fetch failed.
#[derive(Serialize, Deserialize)]
struct SharedFailure {
    cause: String,
}

impl Drop for Plain {
    fn drop(&mut self) {
        self.token.zeroize();
    }
}

/// A usable token read from the store.
pub(crate) struct Found {
    token: Token,
    fresh: bool,
}

/// What a store read or write came to, for the caller's control flow.
enum Next {
    Done(Token),
    Hold(Option<Found>),
    Bypass(StoreError),
    /// Another process failed moments ago; its failure stands for this one too.
    FailedElsewhere(String),
}

impl Shared {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        store: Arc<dyn TokenStore>,
        encryption: &EncryptionKey,
        base_url: &str,
        scheme: Scheme,
        username: &str,
        kind: SharedKind,
        settings: StoreSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let (scheme_name, prefix) = match kind {
            SharedKind::OAuth => ("oauth2", "Bearer"),
            SharedKind::Session { .. } => ("ibsso", "IBSSO"),
        };
        debug_assert!(matches!(scheme, Scheme::OAuth2 | Scheme::IbssoTokenHeader));
        // The user name is hashed: a store operator sees which base URL and scheme an entry
        // belongs to, not whose it is.
        let user = hex(&Sha256::digest(username.as_bytes()));
        let key = format!("infobip-auth:v1:{base_url}:{scheme_name}:{user}");
        Self {
            store,
            cipher: XChaCha20Poly1305::new(encryption.bytes().into()),
            lock_key: format!("{key}:lock"),
            failed_key: format!("{key}:failed"),
            key,
            owner: format!("{}-{:016x}", std::process::id(), fastrand::u64(..)),
            kind,
            prefix,
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

    /// A token from the store, or from `fetch` run by the one process holding the store's
    /// lock. `previous` is the token this process is replacing (an IBSSO session to destroy
    /// first). When the store fails, `fetch` runs anyway: the store must never stop calls.
    pub(crate) async fn obtain<F, Fut>(
        &self,
        previous: Option<Arc<Token>>,
        fetch: F,
    ) -> Result<Token, AuthError>
    where
        F: FnOnce(Option<Arc<Token>>) -> Fut,
        Fut: Future<Output = Result<Token, AuthError>>,
    {
        let now = self.clock.now();
        let previous_valid = previous
            .as_ref()
            .is_some_and(|p| p.freshness(now) != Freshness::Expired);
        let next = self.wait_for_turn(previous_valid).await;
        let found = match next {
            Next::Done(token) => return Ok(token),
            // OAuth callers are served the current token by the cache, which also starts
            // its cooldown on this error.
            Next::FailedElsewhere(cause) => {
                return self
                    .session_kept(&previous)
                    .ok_or(AuthError::FailedElsewhere {
                        operation: self.operation(),
                        cause,
                    })
            }
            Next::Bypass(error) => {
                self.warn(&error);
                return match self.session_kept(&previous) {
                    Some(session) => Ok(session),
                    None => fetch(previous).await,
                };
            }
            Next::Hold(found) => found,
        };
        // An OAuth token in the store that is due for renewal but still valid is what the
        // callers get if the renewal fails.
        let fallback = match (&self.kind, &found) {
            (SharedKind::OAuth, Some(found)) => Some(found.token.duplicate()),
            _ => None,
        };
        // Whatever the store holds is being replaced: a session in it must be destroyed
        // before a new one can be created (it is ours, shared or not).
        let replaced = found.map(|f| Arc::new(f.token)).or(previous);
        let result = {
            let fetch = std::pin::pin!(fetch(replaced));
            let renew = std::pin::pin!(self.keep_lock());
            match futures_util::future::select(fetch, renew).await {
                futures_util::future::Either::Left((result, _)) => result,
                futures_util::future::Either::Right(((), fetch)) => fetch.await,
            }
        };
        let result = match result {
            Ok(token) => {
                if let Err(error) = self.write(&token).await {
                    self.warn(&error);
                }
                Ok(token)
            }
            Err(error) => {
                // Shared, so that neither this process nor the rest of the fleet repeats the
                // same failing requests one after another.
                if let Err(store_error) = self.record_failure(&error).await {
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

    /// Without the store to say whether other processes still use it, a session that is
    /// still valid is kept in use (each use keeps it alive) rather than destroyed under
    /// them; the session cache has no stale fallback of its own.
    fn session_kept(&self, previous: &Option<Arc<Token>>) -> Option<Token> {
        match (&self.kind, previous) {
            (SharedKind::Session { .. }, Some(previous))
                if previous.freshness(self.clock.now()) != Freshness::Expired =>
            {
                Some(previous.duplicate())
            }
            _ => None,
        }
    }

    async fn unlock(&self) -> Result<(), StoreError> {
        self.bounded(self.store.unlock(&self.lock_key, &self.owner))
            .await
    }

    /// Waits until the store has a fresh token, this process holds the lock, or the store
    /// must be bypassed. `has_previous`: this process already has a token to serve while it
    /// waits (stale OAuth tokens are served by its own cache).
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
            match self
                .bounded(
                    self.store
                        .try_lock(&self.lock_key, &self.owner, self.settings.lease),
                )
                .await
            {
                Err(error) => return Next::Bypass(error),
                Ok(true) => {
                    tracing::debug!("token lock acquired");
                    if let Some(cause) = self.recent_failure().await {
                        let _ = self.unlock().await;
                        // A process with nothing to serve takes a valid stored OAuth token
                        // rather than report another process's failure.
                        return match (&self.kind, found, has_previous) {
                            (SharedKind::OAuth, Some(found), false) => Next::Done(found.token),
                            _ => Next::FailedElsewhere(cause),
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
                    // A process with nothing to serve takes a valid OAuth token due for
                    // renewal rather than wait: its cache serves it while renewing.
                    if let (SharedKind::OAuth, Some(found), false) =
                        (&self.kind, &found, has_previous)
                    {
                        return Next::Done(found.token.duplicate());
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
            match self
                .bounded(
                    self.store
                        .renew_lock(&self.lock_key, &self.owner, self.settings.lease),
                )
                .await
            {
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
        let Some(plain) = self.open(&stored.value) else {
            self.warn(&StoreError::new(
                "an entry could not be decrypted (another encryption key, or tampered with); treating it as missing",
            ));
            return Ok(None);
        };
        let now = self.clock.now();
        let (lifetime, fresh) = match &self.kind {
            SharedKind::OAuth => {
                let wall = millis(self.clock.wall());
                let (Some(refresh_at), Some(expires_at)) =
                    (plain.refresh_at_ms, plain.expires_at_ms)
                else {
                    return Ok(None);
                };
                // What is left by this host's clock, and no more than the store's own expiry
                // allows (one clock for the whole fleet): a host whose clock runs behind
                // never sends a token the others know to have expired.
                let mut left = expires_at.saturating_sub(wall);
                if let Some(ttl) = stored.ttl {
                    left = left.min(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
                }
                if left == 0 {
                    return Ok(None);
                }
                let margin = expires_at.saturating_sub(refresh_at);
                let after = |ms: u64| now + Duration::from_millis(ms);
                (
                    Lifetime::Fixed {
                        refresh_at: after(left.saturating_sub(margin)),
                        expires_at: after(left),
                    },
                    left > margin,
                )
            }
            SharedKind::Session { idle, margin } => {
                // No TTL: not an entry this crate wrote, or one that vanished as it was read.
                let Some(left) = stored.ttl.map(|ttl| ttl.min(*idle)) else {
                    return Ok(None);
                };
                if left.is_zero() {
                    return Ok(None);
                }
                // As if last used `idle - left` ago, which is what the store's expiry says.
                (
                    Lifetime::Idle {
                        idle: *idle,
                        margin: *margin,
                        last_use: AtomicU64::new(0),
                    },
                    left > *margin,
                )
            }
        };
        let obtained_at = match (&self.kind, stored.ttl) {
            (SharedKind::Session { idle, .. }, Some(left)) => {
                now.checked_sub(idle.saturating_sub(left)).unwrap_or(now)
            }
            _ => now,
        };
        let header = sensitive_header("token", self.prefix, &plain.token)
            .map_err(|_| StoreError::new("a stored token is not a valid header value"))?;
        let rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        if rejected.as_ref() == Some(&header) {
            return Ok(None);
        }
        drop(rejected);
        Ok(Some(Found {
            token: Token::new(
                SecretString::from(plain.token.as_str()),
                header,
                obtained_at,
                lifetime,
            ),
            fresh,
        }))
    }

    /// Stores a token this process just obtained.
    async fn write(&self, token: &Token) -> Result<(), StoreError> {
        let now = self.clock.now();
        let (plain, ttl) = match (&self.kind, &token.lifetime) {
            (
                SharedKind::OAuth,
                Lifetime::Fixed {
                    refresh_at,
                    expires_at,
                },
            ) => {
                let left = expires_at.saturating_duration_since(now);
                if left.is_zero() {
                    // `expires_in` of 0 or less: for the callers that waited, for nobody else.
                    return Ok(());
                }
                let wall = millis(self.clock.wall());
                let at = |i: &Instant| {
                    wall.saturating_add(
                        u64::try_from(i.saturating_duration_since(now).as_millis())
                            .unwrap_or(u64::MAX),
                    )
                };
                (
                    Plain {
                        token: token.secret.expose_secret().to_owned(),
                        refresh_at_ms: Some(at(refresh_at)),
                        expires_at_ms: Some(at(expires_at)),
                    },
                    left,
                )
            }
            (SharedKind::Session { idle, .. }, _) => (
                Plain {
                    token: token.secret.expose_secret().to_owned(),
                    refresh_at_ms: None,
                    expires_at_ms: None,
                },
                *idle,
            ),
            (SharedKind::OAuth, Lifetime::Idle { .. }) => return Ok(()),
        };
        let sealed = self.seal(&plain)?;
        self.last_extend
            .store(self.since_created(), Ordering::Relaxed);
        let saved = self
            .bounded(
                self.store
                    .save_if_locked(&self.key, sealed, ttl, &self.lock_key, &self.owner),
            )
            .await?;
        if !saved {
            tracing::warn!("the token lock was taken over before the token was stored; the new holder's token stands");
        }
        Ok(())
    }

    /// The token or session operation this store entry comes from.
    fn operation(&self) -> infobip_client::security::Operation {
        match self.kind {
            SharedKind::OAuth => infobip_client::security::Operation::CreateOauth2Token,
            SharedKind::Session { .. } => infobip_client::security::Operation::CreateSession,
        }
    }

    /// Records why this process, holding the lock, failed to obtain a token.
    async fn record_failure(&self, error: &AuthError) -> Result<(), StoreError> {
        let sealed = self.seal_at(
            &self.failed_key,
            &SharedFailure {
                cause: error.to_string(),
            },
        )?;
        self.bounded(self.store.save_if_locked(
            &self.failed_key,
            sealed,
            SHARED_FAILURE_FOR,
            &self.lock_key,
            &self.owner,
        ))
        .await
        .map(drop)
    }

    /// Why a process failed to obtain a token in the last few seconds, if one did.
    async fn recent_failure(&self) -> Option<String> {
        let stored = self
            .bounded(self.store.load(&self.failed_key))
            .await
            .ok()??;
        self.open_at::<SharedFailure>(&self.failed_key, &stored.value)
            .map(|failure| failure.cause.clone())
    }

    /// The valid token in the store, fresh or not (for a logout from a process that does
    /// not hold the session itself).
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

    /// For sessions: restarts the stored session's idle clock if this process has not done
    /// so for a while, in the background. Called on every use; cheap when there is nothing
    /// to do.
    pub(crate) fn used(self: &Arc<Self>, header: &HeaderValue) {
        let SharedKind::Session { idle, margin } = self.kind else {
            return;
        };
        // A twelfth of the idle timeout (5 minutes of 60), and more often than half the
        // renewal margin: the store's idle clock never lags far enough behind the fleet's
        // last use to make another process think the session is due for replacement.
        let every = (idle / 12).min(margin / 2);
        let every = u64::try_from(every.as_millis()).unwrap_or(u64::MAX);
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
                    this.bounded(this.store.extend_if(&this.key, &sealed, idle))
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
        self.open(sealed).is_some_and(|plain| {
            sensitive_header("token", self.prefix, &plain.token).is_ok_and(|h| h == header)
        })
    }

    fn seal(&self, plain: &Plain) -> Result<Vec<u8>, StoreError> {
        self.seal_at(&self.key, plain)
    }

    fn open(&self, sealed: &[u8]) -> Option<Plain> {
        self.open_at(&self.key, sealed)
    }

    /// Encrypts `plain` for the store key `key`.
    fn seal_at<T: Serialize>(&self, key: &str, plain: &T) -> Result<Vec<u8>, StoreError> {
        let json = Zeroizing::new(
            serde_json::to_vec(plain).map_err(|_| StoreError::new("could not encode a token"))?,
        );
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &json,
                    // Binds the value to its key: an entry copied under another account's
                    // key does not decrypt.
                    aad: key.as_bytes(),
                },
            )
            .map_err(|_| StoreError::new("could not encrypt a token"))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`seal_at`](Self::seal_at) wrote for `key`; `None` if it cannot.
    fn open_at<T: serde::de::DeserializeOwned>(&self, key: &str, sealed: &[u8]) -> Option<T> {
        let (&format, rest) = sealed.split_first()?;
        if format != FORMAT || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let json = Zeroizing::new(
            self.cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: key.as_bytes(),
                    },
                )
                .ok()?,
        );
        serde_json::from_slice(&json).ok()
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

fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
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
    use crate::{ManualClock, MemoryStore};

    fn shared(user: &str, key: [u8; 32]) -> Shared {
        Shared::new(
            Arc::new(MemoryStore::new()),
            &EncryptionKey::from_bytes(key),
            "https://api.infobip.com",
            Scheme::OAuth2,
            user,
            SharedKind::OAuth,
            StoreSettings {
                lease: Duration::from_secs(10),
                timeout: Duration::from_secs(1),
                max_wait: Duration::from_secs(60),
            },
            Arc::new(ManualClock::new()),
        )
    }

    fn plain(token: &str) -> Plain {
        Plain {
            token: token.to_owned(),
            refresh_at_ms: Some(1),
            expires_at_ms: Some(2),
        }
    }

    #[test]
    fn entries_open_only_with_their_key_under_their_name_and_untouched() {
        let alice = shared("alice", [1; 32]);
        let sealed = alice.seal(&plain("tok-SECRET")).unwrap();
        assert_eq!(alice.open(&sealed).unwrap().token, "tok-SECRET");
        // Random nonces: the same token never seals to the same bytes.
        assert_ne!(alice.seal(&plain("tok-SECRET")).unwrap(), sealed);
        assert!(!String::from_utf8_lossy(&sealed).contains("tok-SECRET"));

        // Another key; the same key under another user's name (copied entry); a flipped bit;
        // a cut value; an unknown format version.
        assert!(shared("alice", [2; 32]).open(&sealed).is_none());
        assert!(shared("bob", [1; 32]).open(&sealed).is_none());
        for i in [0, 1, 30, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(alice.open(&tampered).is_none(), "bit flipped at {i}");
        }
        assert!(alice.open(&sealed[..sealed.len() - 1]).is_none());
        assert!(alice.open(&[]).is_none());
    }

    #[test]
    fn keys_name_the_base_url_and_scheme_but_not_the_user() {
        let key = shared("alice@example.com", [1; 32]).key;
        assert!(
            key.starts_with("infobip-auth:v1:https://api.infobip.com:oauth2:"),
            "{key}"
        );
        assert!(!key.contains("alice"), "{key}");
        assert_ne!(key, shared("bob", [1; 32]).key);
    }
}
