//! The builder: every setting is checked here, so a bad one fails at start-up, not mid-call.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use infobip_client::account::Client;
use infobip_client::{Products as _, Scheme};
use secrecy::SecretString;

use crate::authenticator::{HeaderSource, InfobipAuth, StaticKind};
use crate::call_retry::CallRetry;
use crate::clock::{Clock, SystemClock};
use crate::connection::Infobip;
use crate::error::ConfigError;
#[cfg(feature = "token-store")]
use crate::fleet::{Fleet, StoreSettings};
use crate::login::{login_client, Login};
use crate::retry::{LoginCooldown, RetryPolicy};
use crate::rotation::{read_at_connect, Rotation, SecretSource};
use crate::scheme::ibsso::Ibsso;
use crate::scheme::oauth2::OAuth2;
use crate::scheme::{TokenScheme, UserCredentials};
#[cfg(feature = "redis")]
use crate::store::RedisStore;
use crate::token::refresh_margin;
use crate::tokens::Tokens;
use crate::validate::normalize_base_url;
#[cfg(feature = "token-store")]
use crate::{
    scheme::TokenSource,
    store::{EncryptionKey, TokenStore},
};
#[cfg(feature = "redis")]
use secrecy::ExposeSecret as _;

/// A secret as given: fixed, or read from a source (by `connect`, and again when it may have
/// changed).
enum SecretInput {
    Fixed(SecretString),
    From(Arc<dyn SecretSource>),
}

/// A secret given as it is.
fn fixed(secret: impl Into<SecretString>) -> SecretInput {
    SecretInput::Fixed(secret.into())
}

/// A secret read from `source`.
fn read_from(source: impl SecretSource) -> SecretInput {
    SecretInput::From(Arc::new(source))
}

/// Builds a client whose every request is authenticated with one scheme.
///
/// Pick the scheme with [`basic`](Self::basic), [`api_key`](Self::api_key),
/// [`ibsso`](Self::ibsso) or [`oauth2`](Self::oauth2) (or [`from_env`](Self::from_env)), set
/// the [`base_url`](Self::base_url), adjust what you need, then [`build`](Self::build).
/// Everything is validated in `build`, which names the offending setting.
pub struct ClientBuilder {
    scheme: Scheme,
    /// The username (the client ID for OAuth 2.0); none for an API key.
    user: Option<String>,
    /// The password, client secret or API key.
    secret: SecretInput,
    /// Checked when given (a URL with `user:password@` is refused, so never shown), the
    /// error reported by `connect`.
    base_url: Option<Result<String, ConfigError>>,
    http: Option<reqwest::Client>,
    settings: Settings,
    clock: Arc<dyn Clock>,
    #[cfg(feature = "token-store")]
    sharing: Sharing,
}

/// The settings that are plain values.
#[derive(Debug)]
struct Settings {
    timeout: Duration,
    connect_timeout: Duration,
    session_idle_timeout: Duration,
    /// `None` until set: a shared store makes sessions unsafe unless told otherwise (which
    /// `build` then refuses).
    unsafe_session: Option<bool>,
    refresh_margin: Option<Duration>,
    retry: RetryPolicy,
    /// `read_retry` and `write_retry`.
    calls: CallRetry,
    login_cooldown: LoginCooldown,
    secret_check_interval: Duration,
    secret_read_timeout: Duration,
}

/// The shared token store, if any, with its encryption key, and how it is used.
#[cfg(feature = "token-store")]
#[derive(Debug)]
struct Sharing {
    store: Option<(StoreChoice, EncryptionKey)>,
    lease: Duration,
    timeout: Duration,
}

/// The store's URLs show as `[REDACTED]`: they may hold a password.
#[cfg(feature = "token-store")]
#[derive(Debug)]
enum StoreChoice {
    Given(Arc<dyn TokenStore>),
    /// Opened in `build`, so that a bad URL is reported there with the other settings: one
    /// server's URL ...
    #[cfg(feature = "redis")]
    Redis(SecretString),
    /// ... or the URLs of a Redis Cluster's nodes.
    #[cfg(feature = "redis")]
    Cluster(Vec<SecretString>),
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = f.debug_struct("ClientBuilder");
        shown
            .field("scheme", &self.scheme)
            .field("username", &self.user)
            .field("secret", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("settings", &self.settings);
        #[cfg(feature = "token-store")]
        shown.field("sharing", &self.sharing);
        shown.finish_non_exhaustive()
    }
}

/// Setters that store their argument, as the expression after `=` makes it, in the field
/// before it.
macro_rules! setters {
    ($($(#[$attr:meta])* fn $name:ident($value:ident: $ty:ty) $($field:ident).+ = $set:expr;)*) => {
        $(
            $(#[$attr])*
            pub fn $name(mut self, $value: $ty) -> Self {
                self.$($field).+ = $set;
                self
            }
        )*
    };
}

impl ClientBuilder {
    fn new(scheme: Scheme, user: Option<String>, secret: SecretInput) -> Self {
        let settings = Settings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            session_idle_timeout: Duration::from_secs(60 * 60),
            unsafe_session: None,
            refresh_margin: None,
            retry: RetryPolicy::default(),
            calls: CallRetry {
                reads: RetryPolicy::default(),
                writes: RetryPolicy::never(),
            },
            login_cooldown: LoginCooldown::default(),
            secret_check_interval: Duration::from_secs(10),
            secret_read_timeout: Duration::from_secs(5),
        };
        Self {
            scheme,
            user,
            secret,
            base_url: None,
            http: None,
            settings,
            clock: Arc::new(SystemClock),
            #[cfg(feature = "token-store")]
            sharing: Sharing {
                store: None,
                lease: Duration::from_secs(10),
                timeout: Duration::from_secs(1),
            },
        }
    }

    /// HTTP Basic: `Authorization: Basic base64(username:password)` on every request.
    /// Simple, but the password travels with each call.
    pub fn basic(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self::new(Scheme::Basic, Some(username.into()), fixed(password))
    }

    /// API key: `Authorization: App <key>`. Cannot call the API key management operations.
    pub fn api_key(key: impl Into<SecretString>) -> Self {
        Self::new(Scheme::ApiKeyHeader, None, fixed(key))
    }

    /// The scheme these credentials authenticate with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// [`api_key`](Self::api_key) with the key read from `source` (a
    /// [`SecretFile`](crate::secret::SecretFile) a secrets manager rewrites, say), and read again every
    /// [`secret_check_interval`](Self::secret_check_interval) and after a 401: a rotated key
    /// takes effect without a restart.
    pub fn api_key_from(source: impl SecretSource) -> Self {
        Self::new(Scheme::ApiKeyHeader, None, read_from(source))
    }

    /// [`basic`](Self::basic) with the password read from `source`, and read again as
    /// [`api_key_from`](Self::api_key_from) does.
    pub fn basic_from(username: impl Into<String>, source: impl SecretSource) -> Self {
        Self::new(Scheme::Basic, Some(username.into()), read_from(source))
    }

    /// [`ibsso`](Self::ibsso) with the password read from `source`, and read again as
    /// [`api_key_from`](Self::api_key_from) does; when it changes, the session obtained with
    /// the old one is ended and the next call logs in with the new one.
    pub fn ibsso_from(username: impl Into<String>, source: impl SecretSource) -> Self {
        Self::new(
            Scheme::IbssoTokenHeader,
            Some(username.into()),
            read_from(source),
        )
    }

    /// [`oauth2`](Self::oauth2) with the client secret read from `source`, and read again as
    /// [`api_key_from`](Self::api_key_from) does; when it changes, the token obtained with the
    /// old one is dropped and the next call fetches one with the new one.
    pub fn oauth2_from(client_id: impl Into<String>, source: impl SecretSource) -> Self {
        Self::new(Scheme::OAuth2, Some(client_id.into()), read_from(source))
    }

    /// IBSSO session: logs in on first use, sends `Authorization: IBSSO <token>`, logs in
    /// again when the session idles out or is rejected. End it with
    /// [`ClientExt::logout`](crate::ClientExt::logout).
    pub fn ibsso(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self::new(
            Scheme::IbssoTokenHeader,
            Some(username.into()),
            fixed(password),
        )
    }

    /// OAuth 2.0 client credentials (the account's username and password): fetches a token on
    /// first use, sends `Authorization: Bearer <token>`, renews it before it expires.
    pub fn oauth2(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Self::new(Scheme::OAuth2, Some(client_id.into()), fixed(client_secret))
    }

    setters! {
        /// Infobip's base URL: your personal `https://<subdomain>.api.infobip.com`, or the legacy
        /// `https://api.infobip.com`. A bare host gets `https://`; `http://` is refused unless the
        /// host is loopback (for the local sandbox).
        fn base_url(url: impl Into<String>) base_url = Some(normalize_base_url(&url.into()));

        /// Sends the product calls with this client (its timeouts, proxy and TLS settings apply;
        /// the builder's `timeout` and `connect_timeout` do not). The login calls (token, session)
        /// always go through a client of this crate's own, with the builder's timeouts and no
        /// redirects, whatever this one does.
        ///
        /// Mind its redirect policy: reqwest follows up to 10 redirects by default, and while it
        /// drops `Authorization` when a redirect leaves the origin, it sends a request's body and
        /// query again (a 307 or 308 keeps the body), so a credential in either could reach
        /// another host. This crate's own default client follows no redirects; build yours with
        /// `.redirect(reqwest::redirect::Policy::none())` to keep that.
        fn http_client(client: reqwest::Client) http = Some(client);

        /// Total time allowed for one request, the token and session calls included. 30 s by
        /// default.
        fn timeout(timeout: Duration) settings.timeout = timeout;

        /// Time allowed to connect. 10 s by default.
        fn connect_timeout(timeout: Duration) settings.connect_timeout = timeout;

        /// How long a session survives without use (IBSSO). Infobip's default, 60 minutes, unless
        /// your account is set up otherwise.
        fn session_idle_timeout(idle: Duration) settings.session_idle_timeout = idle;

        /// Creates sessions with `unsafe: true`: not bound to the caller's IP address (IBSSO).
        /// Off by default, except with a shared token store, where a session is used from many
        /// hosts and must not be bound to one (setting it off there is refused by `build`).
        fn unsafe_session(unsafe_session: bool) settings.unsafe_session = Some(unsafe_session);

        /// How long another process waits for a lock holder that went silent (died) before it
        /// takes over. The holder renews it every third of it while it works, so it must be at
        /// least three [`store_timeout`](Self::store_timeout)s. 10 s by default.
        #[cfg(feature = "token-store")]
        fn store_lease(lease: Duration) sharing.lease = lease;

        /// The longest one call to the token store may take before the client stops waiting for
        /// it and uses its own cache. 1 s by default.
        #[cfg(feature = "token-store")]
        fn store_timeout(timeout: Duration) sharing.timeout = timeout;

        /// How long before expiry a token or session is renewed. By default a tenth of its life,
        /// between 10 s and 5 minutes; whatever is set, never more than half of its life.
        fn refresh_margin(margin: Duration) settings.refresh_margin = Some(margin);

        /// How the token and session endpoints are retried.
        fn retry_policy(retry: RetryPolicy) settings.retry = retry;

        /// How product calls that can be sent again without doing anything twice (reads: `GET`s
        /// other than delivery reports and inbound messages, which are handed out once; see
        /// [`Operation::repeatable`](infobip_client::Operation::repeatable)) are retried after a
        /// 429, 502, 503 or 504, a failed connection or a timeout: 3 attempts by default, with
        /// jittered backoff from 200 ms, honouring a `Retry-After` of up to 60 s (a longer one
        /// ends the retries). [`RetryPolicy::never`] turns it off.
        fn read_retry(retry: RetryPolicy) settings.calls.reads = retry;

        /// How every other product call (sends, changes, report reads) is retried: never, by
        /// default. With a policy, such a call is sent again only after what proves Infobip did
        /// not act on it: a 429 or 503 (Infobip says it did not process the request) or a
        /// connection that was never made; never after a timeout or a 5xx that may have come
        /// after the work was done.
        fn write_retry(retry: RetryPolicy) settings.calls.writes = retry;

        /// How long logins pause after one failed (see [`LoginCooldown`]): 1 s doubling to 60 s
        /// by default, honouring a `Retry-After` of up to 5 minutes.
        fn login_cooldown(cooldown: LoginCooldown) settings.login_cooldown = cooldown;

        /// How often a secret given by a [`SecretSource`] (`api_key_from`, ...) is read again to
        /// see whether it changed: 10 s by default. A 401 makes it read again at once.
        fn secret_check_interval(interval: Duration) settings.secret_check_interval = interval;

        /// How long a call waits for a [`SecretSource`] to be read (and `connect` for its first
        /// read): 5 s by default. Sources are read on a thread of their own, never on the async
        /// runtime; one that takes longer (a FIFO nobody writes, a network mount that does not
        /// answer) is left to finish and reported with a warning, the calls go on with the
        /// current secret, and no other read of the source starts until it ends.
        fn secret_read_timeout(timeout: Duration) settings.secret_read_timeout = timeout;

        /// The time source for expiry and backoff. [`SystemClock`] by default; tests pass a
        /// `ManualClock` (feature `test-util`).
        fn clock(clock: impl Clock) clock = Arc::new(clock);
    }

    /// Shares OAuth tokens and IBSSO sessions through `store` with every client, in this
    /// process or another, built with the same store, base URL, scheme, user and secret:
    /// together they fetch one token per expiry. Values are encrypted with `key`, which they
    /// must all use; it also keys the fingerprint of the credentials that names their entry,
    /// so a client with another secret (a mistyped or revoked password) never uses their token
    /// nor inherits their failures. No effect for Basic and API key, which have nothing to
    /// share.
    ///
    /// IBSSO sessions in a shared store are created with `unsafe: true` (not bound to one IP
    /// address), since every host uses them; a logout by one client ends the session for
    /// all, and the others log in again on their next call.
    #[cfg(feature = "token-store")]
    pub fn token_store(mut self, store: impl TokenStore, key: EncryptionKey) -> Self {
        self.sharing.store = Some((StoreChoice::Given(Arc::new(store)), key));
        self
    }

    /// [`token_store`](Self::token_store) with a [`RedisStore`](crate::store::RedisStore) at `url`
    /// (`redis://` or `rediss://`, `valkey://` or `valkeys://`, with `user:password@` if
    /// needed): how a fleet of replicas shares tokens. The URL is checked by `build`.
    #[cfg(feature = "redis")]
    pub fn redis_token_store(mut self, url: impl Into<String>, key: EncryptionKey) -> Self {
        self.sharing.store = Some((StoreChoice::Redis(url.into().into()), key));
        self
    }

    /// [`token_store`](Self::token_store) with a [`RedisStore`](crate::store::RedisStore) on the
    /// Redis Cluster (or Valkey cluster) that `nodes` belong to: one URL or more, of any of
    /// its nodes (`redis://host:port`, `rediss://` for TLS, with `user:password@` if needed,
    /// the same on each). The client finds the rest of the cluster, and follows failovers.
    /// The list is checked by `build` (an empty one is refused).
    #[cfg(feature = "redis")]
    pub fn redis_cluster_token_store<I, S>(mut self, nodes: I, key: EncryptionKey) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let urls = nodes.into_iter().map(|url| url.into().into()).collect();
        self.sharing.store = Some((StoreChoice::Cluster(urls), key));
        self
    }

    /// Validates everything and returns a ready client of the account product: the one-line
    /// way for a service that calls nothing else. Use [`connect`](Self::connect) for a
    /// connection whose token every product's client shares.
    pub fn build(self) -> Result<Client, ConfigError> {
        Ok(self.connect()?.account())
    }

    /// Validates everything and returns the connection every product client is taken from.
    pub fn connect(mut self) -> Result<Infobip, ConfigError> {
        let base_url = self.base_url.take().unwrap_or_else(|| {
            let reason = "is not set; use your personal https://<subdomain>.api.infobip.com";
            Err(ConfigError::new("base_url", reason))
        })?;
        self.check()?;
        let settings = &self.settings;
        let login_http = login_client(settings.timeout, settings.connect_timeout)?;
        // Without a client of the caller's, product calls go through the login client (the
        // builder's timeouts, no redirects), sharing its connections.
        let http = self.http.take().unwrap_or_else(|| login_http.clone());
        let (secret, rotation) = match &self.secret {
            SecretInput::Fixed(secret) => (secret.clone(), None),
            SecretInput::From(source) => {
                let (interval, timeout) =
                    (settings.secret_check_interval, settings.secret_read_timeout);
                let secret = read_at_connect(source, timeout)?;
                let (source, clock) = (source.clone(), self.clock.clone());
                let rotation = Rotation::new(source, secret.clone(), interval, timeout, clock);
                (secret, Some(rotation))
            }
        };
        let auth = InfobipAuth {
            scheme: self.scheme,
            clock: self.clock.clone(),
            rotation,
            calls: settings.calls,
            header_source: self.header_source(secret, &base_url, &login_http)?,
            login_http,
        };
        Infobip::new(base_url, http, auth)
    }

    /// The header of a static scheme, computed once, or the tokens of a renewing one.
    fn header_source(
        self,
        secret: SecretString,
        base_url: &str,
        login_http: &reqwest::Client,
    ) -> Result<HeaderSource, ConfigError> {
        let settings = &self.settings;
        // Every scheme but the API key's is given a user: `new` sees to it.
        let user = self.user.clone().unwrap_or_default();
        let source: Arc<dyn TokenScheme> = match self.scheme {
            Scheme::Basic => return HeaderSource::fixed(StaticKind::Basic(user), &secret),
            Scheme::ApiKeyHeader => return HeaderSource::fixed(StaticKind::ApiKey, &secret),
            Scheme::IbssoTokenHeader => {
                let credentials = UserCredentials::new(("username", user), ("password", secret))?;
                Arc::new(Ibsso {
                    credentials,
                    idle: settings.session_idle_timeout,
                    margin: refresh_margin(settings.session_idle_timeout, settings.refresh_margin),
                    unsafe_session: settings.unsafe_session.unwrap_or(self.shares()),
                })
            }
            Scheme::OAuth2 => {
                let credentials =
                    UserCredentials::new(("client_id", user), ("client_secret", secret))?;
                Arc::new(OAuth2 {
                    credentials,
                    margin: settings.refresh_margin,
                })
            }
        };
        let login = Login {
            http: login_http.clone(),
            base_url: base_url.to_owned(),
            timeout: settings.timeout,
            retry: settings.retry,
            clock: self.clock.clone(),
            scheme: self.scheme,
        };
        let cooldown = settings.login_cooldown;
        // A shared store wraps the scheme's source.
        #[cfg(feature = "token-store")]
        let source = self.fleet(source, base_url)?;
        let tokens = Tokens::new(source, Arc::new(login), cooldown, self.clock);
        Ok(HeaderSource::Renewing(Arc::new(tokens)))
    }

    /// Whether the scheme's tokens are shared through a store.
    fn shares(&self) -> bool {
        #[cfg(feature = "token-store")]
        let store = self.sharing.store.is_some();
        #[cfg(not(feature = "token-store"))]
        let store = false;
        store && matches!(self.scheme, Scheme::IbssoTokenHeader | Scheme::OAuth2)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let settings = &self.settings;
        for (field, policy) in [
            ("retry_policy", &settings.retry),
            ("read_retry", &settings.calls.reads),
            ("write_retry", &settings.calls.writes),
        ] {
            if policy.max_attempts == 0 {
                return Err(ConfigError::new(
                    field,
                    "max_attempts is 0; it counts the first request, so use 1 or more",
                ));
            }
        }
        if settings.secret_read_timeout.is_zero() {
            return Err(ConfigError::new(
                "secret_read_timeout",
                "is zero; no secret source could ever be read in time, so use a few seconds",
            ));
        }
        if settings.session_idle_timeout.is_zero() {
            return Err(ConfigError::new(
                "session_idle_timeout",
                "is zero; a session would expire before its first use",
            ));
        }
        if !self.shares() {
            return Ok(());
        }
        if self.scheme == Scheme::IbssoTokenHeader && settings.unsafe_session == Some(false) {
            return Err(ConfigError::new(
                "unsafe_session",
                "is off, but a session in a shared token store is used from many hosts and must not be bound to one IP address; remove unsafe_session(false)",
            ));
        }
        #[cfg(feature = "token-store")]
        {
            let Sharing { lease, timeout, .. } = &self.sharing;
            if timeout.is_zero() {
                return Err(ConfigError::new("store_timeout", "is zero"));
            }
            // The holder renews its lease every third of it, and a renewal may take a whole
            // store timeout: a shorter lease (a zero one too) would lapse while its holder is
            // alive and working.
            if *lease < timeout.saturating_mul(3) {
                return Err(ConfigError::new(
                    "store_lease",
                    format!(
                        "is {lease:?}, shorter than three store timeouts ({:?}); the lock would lapse while its holder still works",
                        timeout.saturating_mul(3)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `source` wrapped in the fleet of the shared store, if there is one.
    #[cfg(feature = "token-store")]
    fn fleet(
        &self,
        source: Arc<dyn TokenScheme>,
        base_url: &str,
    ) -> Result<Arc<dyn TokenSource>, ConfigError> {
        let Some((choice, key)) = &self.sharing.store else {
            return Ok(source);
        };
        let (lease, timeout) = (self.sharing.lease, self.sharing.timeout);
        let store: Arc<dyn TokenStore> = match choice {
            StoreChoice::Given(store) => store.clone(),
            #[cfg(feature = "redis")]
            StoreChoice::Redis(url) => {
                Arc::new(RedisStore::open_with_timeout(url.expose_secret(), timeout)?)
            }
            #[cfg(feature = "redis")]
            StoreChoice::Cluster(urls) => Arc::new(RedisStore::cluster_with_timeout(
                urls.iter().map(|url| url.expose_secret()),
                timeout,
            )?),
        };
        // A process waits for another's fetch at most as long as a fetch can take (every
        // attempt timing out, the longest waits between them), and a lease more.
        let retry = self.settings.retry;
        let longest_wait = retry.max_delay.max(retry.max_retry_after);
        let max_wait = (self.settings.timeout.saturating_mul(retry.max_attempts))
            .saturating_add(longest_wait.saturating_mul(retry.max_attempts - 1))
            .saturating_add(lease);
        let settings = StoreSettings {
            lease,
            timeout,
            max_wait,
        };
        let clock = self.clock.clone();
        Ok(Fleet::new(store, key, base_url, source, settings, clock))
    }
}
