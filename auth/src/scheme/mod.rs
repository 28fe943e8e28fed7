//! The four schemes. Basic and API key are one header, computed when the client is built
//! ([`static_header`]). OAuth 2.0 and IBSSO obtain tokens from Infobip and renew them: each is
//! a [`TokenScheme`] in the file named for it, which holds everything particular to it, so that
//! the cache, the store and the hooks never ask which scheme they serve.

pub(crate) mod ibsso;
pub(crate) mod oauth2;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use base64::Engine as _;
use infobip_client::{BoxFuture, Operation};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::clock::{epoch_millis, millis};
use crate::error::{AuthError, ConfigError};
use crate::login::Login;
use crate::token::{Lifetime, Token};
use crate::validate::{check_secret, check_username, sensitive_header};

/// A scheme whose credential is a token that Infobip issues and this crate renews: what is
/// particular to it. Every scheme is a [`TokenSource`] of its own tokens.
pub(crate) trait TokenScheme: TokenSource {
    /// The scheme's name in store keys (`oauth2`, `ibsso`).
    #[cfg_attr(not(feature = "token-store"), allow(dead_code))]
    fn name(&self) -> &'static str;

    /// The user the tokens belong to (hashed in store keys).
    fn user(&self) -> &str {
        &self.credentials().username
    }

    /// The operation that obtains a token.
    fn login_operation(&self) -> &'static Operation;

    /// The operation that ends a token at Infobip, if the scheme has one. A call of it sends
    /// the current token without renewing it, and the token is forgotten once it succeeds.
    fn end_operation(&self) -> Option<&'static Operation> {
        None
    }

    /// Whether the tokens are sessions, which the end operation ends. The user should hold
    /// one at a time (Infobip wants a session destroyed before the same user gets another), so
    /// processes sharing a store never keep one each; and a renewal ends the old one first, so
    /// a session due for renewal is not sent while it is renewed, nor after a renewal failed.
    fn sessions(&self) -> bool {
        self.end_operation().is_some()
    }

    /// Obtains a new token. `replacing` is the token it replaces, if any; `pause` says how
    /// long this client will wait before its next login if this one fails (a source shared
    /// with other clients shares the failure for as long).
    fn fetch<'a>(
        &'a self,
        login: &'a Login,
        replacing: Option<Arc<Token>>,
        pause: Pause<'a>,
    ) -> BoxFuture<'a, Result<Arc<Token>, AuthError>>;

    /// Ends `token` at Infobip (a logout); `Ok` when there is nothing to end (an OAuth token
    /// has no revocation: it expires).
    fn end<'a>(
        &'a self,
        _login: &'a Login,
        _token: &'a Token,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    /// The token a store entry holds, with `ttl` left in the store, and whether it is fresh;
    /// `None` if it is no longer usable.
    #[cfg_attr(not(feature = "token-store"), allow(dead_code))]
    fn token_from_entry(
        &self,
        entry: &SharedToken,
        ttl: Option<Duration>,
        now: Instant,
        wall: SystemTime,
    ) -> Option<(Token, bool)>;

    /// For a token that idles out: how often a process that uses it restarts the stored
    /// copy's expiry, and to what. `None` for a token with a fixed life.
    #[cfg_attr(not(feature = "token-store"), allow(dead_code))]
    fn keep_alive(&self) -> Option<KeepAlive> {
        None
    }

    /// The user's credentials, whose password a rotating secret replaces.
    fn credentials(&self) -> &UserCredentials;
}

/// Where the tokens of a scheme come from: the scheme itself, or a source that wraps it (the
/// fleet, which shares them with other clients). What a wrapper is not asked about, it
/// passes on to the scheme.
pub(crate) trait TokenSource: Send + Sync + 'static {
    /// The scheme whose tokens these are.
    fn scheme(&self) -> &dyn TokenScheme;

    /// Obtains a new token: see [`TokenScheme::fetch`].
    fn fetch<'a>(
        &'a self,
        login: &'a Login,
        replacing: Option<Arc<Token>>,
        pause: Pause<'a>,
    ) -> BoxFuture<'a, Result<Arc<Token>, AuthError>> {
        TokenScheme::fetch(self.scheme(), login, replacing, pause)
    }

    // What a source that shares its tokens with other clients is told of their use; a
    // scheme's own source shares nothing.

    /// Where the tokens are shared: the store key of the current secret's entry.
    fn store_key(&self) -> Option<String> {
        None
    }

    /// A token of this source is about to be sent.
    fn used(&self, _header: &HeaderValue) {}

    /// The server refused the token sent as `header` (a 401): it is never handed out again.
    fn rejected(&self, _header: &HeaderValue) {}

    /// The token sent as `header` is dropped (refused, ended or replaced): nobody may use it.
    fn discard<'a>(&'a self, _header: &'a HeaderValue) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }

    /// The pause after a failed login is over for every client sharing the tokens.
    fn clear_failure(&self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    /// A valid token another client obtained (for a logout from a client that holds none).
    fn current(&self) -> BoxFuture<'_, Option<Token>> {
        Box::pin(std::future::ready(None))
    }
}

impl<T: TokenScheme> TokenSource for T {
    fn scheme(&self) -> &dyn TokenScheme {
        self
    }
}

/// How long a client pauses its logins after `error`: see [`TokenScheme::fetch`].
pub(crate) type Pause<'a> = &'a (dyn Fn(&AuthError) -> Duration + Send + Sync);

/// How the stored copy of an idle-expiring token is kept alive by its users.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "token-store"), allow(dead_code))]
pub(crate) struct KeepAlive {
    /// At most this often per process.
    pub(crate) every: Duration,
    /// The expiry set each time.
    pub(crate) ttl: Duration,
}

/// What a shared store keeps for a token (encrypted before it leaves the process).
#[cfg_attr(not(feature = "token-store"), allow(dead_code))]
#[derive(Serialize, Deserialize)]
pub(crate) struct SharedToken {
    pub(crate) token: String,
    /// Wall-clock milliseconds; a fixed-life token's renewal time and expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at_ms: Option<u64>,
}

#[cfg_attr(not(feature = "token-store"), allow(dead_code))]
impl SharedToken {
    /// What a shared store keeps for `token`, and for how long; `None` if it must not be
    /// shared (it has no life left). The token's lifetime says it all: a fixed life travels
    /// as wall-clock times, an idle one as the store's own expiry.
    pub(crate) fn of(token: &Token, now: Instant, wall: SystemTime) -> Option<(Self, Duration)> {
        let (refresh_at_ms, expires_at_ms, ttl) = match &token.lifetime {
            Lifetime::Fixed {
                refresh_at,
                expires_at,
            } => {
                let left = expires_at.saturating_duration_since(now);
                if left.is_zero() {
                    // `expires_in` of 0 or less: for the callers that waited, for nobody else.
                    return None;
                }
                // Another process's `Instant`s mean nothing: times travel as wall-clock time.
                let wall = epoch_millis(wall);
                let at =
                    |i: &Instant| wall.saturating_add(millis(i.saturating_duration_since(now)));
                (Some(at(refresh_at)), Some(at(expires_at)), left)
            }
            // The store's expiry is the session's idle clock, restarted by every user.
            Lifetime::Idle { idle, .. } => (None, None, *idle),
        };
        let token = token.secret.expose_secret().to_owned();
        let entry = Self {
            token,
            refresh_at_ms,
            expires_at_ms,
        };
        Some((entry, ttl))
    }

    /// The token the entry holds, sent as `<prefix> <token>`; `None` if it cannot be sent.
    fn token(&self, prefix: &str, obtained_at: Instant, lifetime: Lifetime) -> Option<Token> {
        let header = sensitive_header("token", prefix, &self.token).ok()?;
        let secret = SecretString::from(self.token.as_str());
        Some(Token::new(secret, header, obtained_at, lifetime))
    }
}

impl Drop for SharedToken {
    fn drop(&mut self) {
        self.token.zeroize();
    }
}

/// The user's credentials, checked.
pub(crate) struct UserCredentials {
    pub(crate) username: String,
    /// Swapped when a rotating secret changes (see `rotation`).
    password: ArcSwap<SecretString>,
}

impl UserCredentials {
    /// Checks a username and password, naming the settings they came from.
    pub(crate) fn new(
        (user_field, username): (&'static str, String),
        (password_field, password): (&'static str, SecretString),
    ) -> Result<Self, ConfigError> {
        check_username(user_field, &username)?;
        check_secret(password_field, &password, false)?;
        Ok(Self {
            username,
            password: ArcSwap::from_pointee(password),
        })
    }

    /// The current password.
    pub(crate) fn password(&self) -> Arc<SecretString> {
        self.password.load_full()
    }

    /// Replaces the password (checked like the first one).
    pub(crate) fn set_password(&self, password: SecretString) -> Result<(), ConfigError> {
        check_secret("password", &password, false)?;
        self.password.store(Arc::new(password));
        Ok(())
    }
}

/// `Authorization: Basic base64(username:password)`.
pub(crate) fn basic_header(credentials: &UserCredentials) -> Result<HeaderValue, ConfigError> {
    if credentials.username.contains(':') {
        return Err(ConfigError::new(
            "username",
            "contains `:`, which Basic authentication uses to separate the username from the password",
        ));
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        credentials.username,
        credentials.password().expose_secret()
    ));
    sensitive_header("password", "Basic", &encoded)
}

/// `Authorization: App <key>`.
pub(crate) fn api_key_header(key: &SecretString) -> Result<HeaderValue, ConfigError> {
    check_secret("api_key", key, true)?;
    sensitive_header("api_key", "App", key.expose_secret())
}
