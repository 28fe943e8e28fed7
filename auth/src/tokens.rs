//! A renewing credential: a token source (a scheme's, or the fleet wrapping it) behind the
//! cache. The hooks ask it for a header; it decides whether the cached token will do, and
//! starts the one fetch when it will not.

use std::sync::Arc;
use std::time::Instant;

use reqwest::header::HeaderValue;
use tracing::Instrument;

use crate::cache::{Lease, TokenCache};
use crate::clock::Clock;
use crate::error::AuthError;
use crate::login::Login;
use crate::retry::LoginCooldown;
use crate::scheme::TokenSource;
use crate::token::Token;

pub(crate) struct Tokens {
    pub(crate) source: Arc<dyn TokenSource>,
    cache: TokenCache,
    login: Arc<Login>,
    clock: Arc<dyn Clock>,
}

impl Tokens {
    pub(crate) fn new(
        source: Arc<dyn TokenSource>,
        login: Arc<Login>,
        cooldown: LoginCooldown,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            cache: TokenCache::new(!source.scheme().sessions(), cooldown, clock.clone()),
            source,
            login,
            clock,
        }
    }

    /// The key of the shared store entry, for the current secret, if there is a store.
    pub(crate) fn store_key(&self) -> Option<String> {
        self.source.store_key()
    }

    /// Whether a token is cached, whatever its state.
    pub(crate) fn has_token(&self) -> bool {
        self.cache.peek().is_some()
    }

    /// The header of the cached token if it can be sent without waiting: the hot path.
    pub(crate) fn fresh_header(&self) -> Option<HeaderValue> {
        self.cache
            .with_fresh(|token, now| self.use_token_at(token, now))
    }

    /// The header to send: the cached token's, or the one fetch's outcome.
    pub(crate) async fn header(self: &Arc<Self>) -> Result<HeaderValue, AuthError> {
        if let Some(header) = self.fresh_header() {
            return Ok(header);
        }
        let token = self.cache.get(|lease| self.start_fetch(lease)).await?;
        Ok(self.use_token(&token))
    }

    fn use_token(&self, token: &Token) -> HeaderValue {
        self.use_token_at(token, self.clock.now())
    }

    /// The header of `token`, recorded as used at `now`.
    fn use_token_at(&self, token: &Token, now: Instant) -> HeaderValue {
        token.touch(now);
        self.source.used(&token.header);
        token.header.clone()
    }

    /// The header of the cached token, not renewed: what a call that ends the token sends.
    pub(crate) fn current_header(&self) -> Option<HeaderValue> {
        self.cache.peek().map(|token| token.header.clone())
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
            let pause = |error: &AuthError| this.cache.next_pause(error);
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
        let dropped = if self.source.scheme().sessions() {
            self.cache.retire_if(used)
        } else {
            self.cache.invalidate(used)
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
        self.cache.remember(AuthError::TokenRefused {
            operation: self.source.scheme().login_operation(),
            scheme: self.login.scheme,
        });
    }

    /// The token sent as `used` was ended by a call of the source's end operation: whoever
    /// ended it, it must not be sent again.
    pub(crate) async fn ended(&self, used: &HeaderValue) {
        self.cache.invalidate(used);
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
    pub(crate) fn credentials_changed(&self) {
        self.cache.retire();
        self.cache.credentials_changed();
    }

    /// Ends the pause after a failed login, here and in the shared store.
    pub(crate) async fn clear_cooldown(&self) {
        self.cache.clear_failure();
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
                let lease = this.cache.exclusive().await;
                let held = lease.previous();
                let token = match held {
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
                cause: crate::error::Cause::Other(format!("the logout task failed ({join})")),
            })
        })
    }
}
