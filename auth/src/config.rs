//! The builder: every setting is checked here, so a bad one fails at start-up, not mid-call.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use infobip_client::security::Scheme;
use infobip_client::{Auth, Client};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::authenticator::{InfobipAuth, Kind, Lifecycle};
use crate::shared::{Shared, SharedKind, StoreSettings};
use crate::store::{EncryptionKey, TokenStore};
use crate::{AuthError, Clock, SystemClock};

/// How the token and session endpoints are retried when they fail transiently (429, 5xx,
/// connection errors, timeouts). Bad credentials are never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests sent at most, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one, with jitter.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

enum Credentials {
    Basic {
        username: String,
        password: SecretString,
    },
    ApiKey {
        key: SecretString,
    },
    Ibsso {
        username: String,
        password: SecretString,
    },
    OAuth2 {
        client_id: String,
        client_secret: SecretString,
    },
}

impl Credentials {
    fn scheme(&self) -> Scheme {
        match self {
            Credentials::Basic { .. } => Scheme::Basic,
            Credentials::ApiKey { .. } => Scheme::ApiKeyHeader,
            Credentials::Ibsso { .. } => Scheme::IbssoTokenHeader,
            Credentials::OAuth2 { .. } => Scheme::OAuth2,
        }
    }
}

/// Builds a [`infobip_client::Client`] that authenticates every request with one scheme.
///
/// Pick the scheme with [`basic`](Self::basic), [`api_key`](Self::api_key),
/// [`ibsso`](Self::ibsso) or [`oauth2`](Self::oauth2) (or [`from_env`](Self::from_env)), set
/// the [`base_url`](Self::base_url), adjust what you need, then [`build`](Self::build).
/// Everything is validated in `build`, which names the offending setting.
pub struct ClientBuilder {
    credentials: Credentials,
    base_url: Option<String>,
    http: Option<reqwest::Client>,
    timeout: Duration,
    connect_timeout: Duration,
    session_idle_timeout: Duration,
    /// `None` until set: a shared store makes sessions unsafe unless told otherwise (which
    /// `build` then refuses).
    unsafe_session: Option<bool>,
    refresh_margin: Option<Duration>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    store: Option<StoreChoice>,
    store_lease: Duration,
    store_timeout: Duration,
}

enum StoreChoice {
    Given(Arc<dyn TokenStore>, EncryptionKey),
    /// Opened in `build`, so that a bad URL is reported there with the other settings.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    RedisUrl(SecretString, EncryptionKey),
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let username = match &self.credentials {
            Credentials::Basic { username, .. } | Credentials::Ibsso { username, .. } => {
                Some(username.as_str())
            }
            Credentials::OAuth2 { client_id, .. } => Some(client_id.as_str()),
            Credentials::ApiKey { .. } => None,
        };
        f.debug_struct("ClientBuilder")
            .field("scheme", &self.credentials.scheme())
            .field("username", &username)
            .field("secret", &"[redacted]")
            // A URL with `user:password@` would print the password.
            .field(
                "base_url",
                &self.base_url.as_deref().map(|url| {
                    if url.contains('@') {
                        "[contains credentials: redacted]"
                    } else {
                        url
                    }
                }),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("session_idle_timeout", &self.session_idle_timeout)
            .field("unsafe_session", &self.unsafe_session)
            .field("refresh_margin", &self.refresh_margin)
            .field("retry", &self.retry)
            .field(
                "token_store",
                &self.store.as_ref().map(|store| match store {
                    StoreChoice::Given(store, _) => format!("{store:?}"),
                    StoreChoice::RedisUrl(..) => String::from("redis ([redacted] URL)"),
                }),
            )
            .field("store_lease", &self.store_lease)
            .field("store_timeout", &self.store_timeout)
            .finish_non_exhaustive()
    }
}

/// Environment variables read by [`ClientBuilder::from_env`].
pub mod env {
    /// The base URL, e.g. `https://xxxxx.api.infobip.com`. Required.
    pub const BASE_URL: &str = "INFOBIP_BASE_URL";
    /// `basic`, `api-key`, `ibsso` or `oauth2`. Optional when `INFOBIP_API_KEY` is set.
    pub const AUTH: &str = "INFOBIP_AUTH";
    /// The API key secret, for `api-key`.
    pub const API_KEY: &str = "INFOBIP_API_KEY";
    /// The username, for `basic` and `ibsso` (and `oauth2` without `INFOBIP_CLIENT_ID`).
    pub const USERNAME: &str = "INFOBIP_USERNAME";
    /// The password, for `basic` and `ibsso` (and `oauth2` without `INFOBIP_CLIENT_SECRET`).
    pub const PASSWORD: &str = "INFOBIP_PASSWORD";
    /// The OAuth client id (the account's username).
    pub const CLIENT_ID: &str = "INFOBIP_CLIENT_ID";
    /// The OAuth client secret (the account's password).
    pub const CLIENT_SECRET: &str = "INFOBIP_CLIENT_SECRET";
    /// A Redis URL (`redis://` or `rediss://`) to share tokens across processes; needs the
    /// `redis` feature and [`TOKEN_STORE_KEY`]. Optional.
    pub const TOKEN_STORE: &str = "INFOBIP_TOKEN_STORE";
    /// The store's encryption key: 32 bytes in standard base64 (`openssl rand -base64 32`).
    pub const TOKEN_STORE_KEY: &str = "INFOBIP_TOKEN_STORE_KEY";
}

impl ClientBuilder {
    fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            base_url: None,
            http: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            session_idle_timeout: Duration::from_secs(60 * 60),
            unsafe_session: None,
            refresh_margin: None,
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            store: None,
            store_lease: Duration::from_secs(10),
            store_timeout: Duration::from_secs(1),
        }
    }

    /// HTTP Basic: `Authorization: Basic base64(username:password)` on every request.
    /// Simple, but the password travels with each call.
    pub fn basic(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self::new(Credentials::Basic {
            username: username.into(),
            password: password.into(),
        })
    }

    /// API key: `Authorization: App <key>`. Cannot call the API key management operations.
    pub fn api_key(key: impl Into<SecretString>) -> Self {
        Self::new(Credentials::ApiKey { key: key.into() })
    }

    /// IBSSO session: logs in on first use, sends `Authorization: IBSSO <token>`, logs in
    /// again when the session idles out or is rejected. End it with
    /// [`ClientExt::logout`](crate::ClientExt::logout).
    pub fn ibsso(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self::new(Credentials::Ibsso {
            username: username.into(),
            password: password.into(),
        })
    }

    /// OAuth 2.0 client credentials (the account's username and password): fetches a token on
    /// first use, sends `Authorization: Bearer <token>`, renews it before it expires.
    pub fn oauth2(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Self::new(Credentials::OAuth2 {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        })
    }

    /// Reads the scheme, credentials and base URL from the variables in [`env`](mod@crate::env).
    pub fn from_env() -> Result<Self, AuthError> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AuthError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.is_empty());
        let require = |name: &'static str, why: &str| {
            get(name).ok_or_else(|| AuthError::Config {
                field: name,
                reason: format!("is not set; it is needed {why}"),
            })
        };
        let scheme = match get(env::AUTH) {
            Some(s) => s.to_ascii_lowercase(),
            None if get(env::API_KEY).is_some() => String::from("api-key"),
            None => {
                return Err(AuthError::Config {
                    field: env::AUTH,
                    reason: String::from(
                        "is not set; set it to basic, api-key, ibsso or oauth2 (or set INFOBIP_API_KEY)",
                    ),
                })
            }
        };
        let builder = match scheme.as_str() {
            "basic" => Self::basic(
                require(env::USERNAME, "for basic")?,
                require(env::PASSWORD, "for basic")?,
            ),
            "api-key" | "apikey" | "app" => Self::api_key(require(env::API_KEY, "for api-key")?),
            "ibsso" | "session" => Self::ibsso(
                require(env::USERNAME, "for ibsso")?,
                require(env::PASSWORD, "for ibsso")?,
            ),
            "oauth2" | "oauth" => Self::oauth2(
                get(env::CLIENT_ID).map(Ok).unwrap_or_else(|| {
                    require(env::USERNAME, "for oauth2 without INFOBIP_CLIENT_ID")
                })?,
                get(env::CLIENT_SECRET).map(Ok).unwrap_or_else(|| {
                    require(env::PASSWORD, "for oauth2 without INFOBIP_CLIENT_SECRET")
                })?,
            ),
            _ => {
                return Err(AuthError::Config {
                    field: env::AUTH,
                    reason: format!(
                        "is `{}`; expected basic, api-key, ibsso or oauth2",
                        scheme.chars().take(32).collect::<String>()
                    ),
                })
            }
        };
        let builder = builder.base_url(require(env::BASE_URL, "always")?);
        match get(env::TOKEN_STORE) {
            None => Ok(builder),
            Some(url) => {
                let key = EncryptionKey::from_base64(&require(
                    env::TOKEN_STORE_KEY,
                    "with INFOBIP_TOKEN_STORE, to encrypt the tokens in it",
                )?)
                .map_err(|e| match e {
                    AuthError::Config { reason, .. } => AuthError::Config {
                        field: env::TOKEN_STORE_KEY,
                        reason,
                    },
                    other => other,
                })?;
                Ok(Self {
                    store: Some(StoreChoice::RedisUrl(SecretString::from(url), key)),
                    ..builder
                })
            }
        }
    }

    /// Infobip's base URL: your personal `https://<subdomain>.api.infobip.com`, or the legacy
    /// `https://api.infobip.com`. A bare host gets `https://`; `http://` is refused unless the
    /// host is loopback (for the local sandbox).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sends requests with this client (its timeouts, proxy and TLS settings apply; the
    /// builder's `timeout` and `connect_timeout` do not).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Total time allowed for one request, the token and session calls included. 30 s by
    /// default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to connect. 10 s by default.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a session survives without use (IBSSO). Infobip's default, 60 minutes, unless
    /// your account is set up otherwise.
    pub fn session_idle_timeout(mut self, idle: Duration) -> Self {
        self.session_idle_timeout = idle;
        self
    }

    /// Creates sessions with `unsafe: true`: not bound to the caller's IP address (IBSSO).
    /// Off by default, except with a shared token store, where a session is used from many
    /// hosts and must not be bound to one (setting it off there is refused by `build`).
    pub fn unsafe_session(mut self, unsafe_session: bool) -> Self {
        self.unsafe_session = Some(unsafe_session);
        self
    }

    /// Shares OAuth tokens and IBSSO sessions through `store` with every client, in this
    /// process or another, built with the same store, base URL, scheme and user: together
    /// they fetch one token per expiry. Values are encrypted with `key`, which they must all
    /// use. No effect for Basic and API key, which have nothing to share.
    ///
    /// IBSSO sessions in a shared store are created with `unsafe: true` (not bound to one IP
    /// address), since every host uses them; a logout by one client ends the session for
    /// all, and the others log in again on their next call.
    pub fn token_store(mut self, store: impl TokenStore, key: EncryptionKey) -> Self {
        self.store = Some(StoreChoice::Given(Arc::new(store), key));
        self
    }

    /// [`token_store`](Self::token_store) with a [`RedisStore`](crate::RedisStore) at `url`
    /// (`redis://` or `rediss://`, with `user:password@` if needed): how a fleet of replicas
    /// shares tokens. The URL is checked by `build`.
    #[cfg(feature = "redis")]
    pub fn redis_token_store(mut self, url: impl Into<String>, key: EncryptionKey) -> Self {
        self.store = Some(StoreChoice::RedisUrl(SecretString::from(url.into()), key));
        self
    }

    /// How long another process waits for a lock holder that went silent (died) before it
    /// takes over. The holder renews it every third of it while it works, so it must be at
    /// least three [`store_timeout`](Self::store_timeout)s. 10 s by default.
    pub fn store_lease(mut self, lease: Duration) -> Self {
        self.store_lease = lease;
        self
    }

    /// The longest one call to the token store may take before the client stops waiting for
    /// it and uses its own cache. 1 s by default.
    pub fn store_timeout(mut self, timeout: Duration) -> Self {
        self.store_timeout = timeout;
        self
    }

    /// How long before expiry a token or session is renewed. By default a tenth of its life,
    /// between 10 s and 5 minutes; whatever is set, never more than half of its life.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// How the token and session endpoints are retried.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The time source for expiry and backoff. [`SystemClock`] by default; tests pass a
    /// [`ManualClock`](crate::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Validates everything and returns a ready client.
    pub fn build(self) -> Result<Client, AuthError> {
        let base_url = normalize_base_url(self.base_url.as_deref().ok_or(AuthError::Config {
            field: "base_url",
            reason: String::from(
                "is not set; use your personal https://<subdomain>.api.infobip.com",
            ),
        })?)?;
        if self.retry.max_attempts == 0 {
            return Err(AuthError::Config {
                field: "retry_policy",
                reason: String::from(
                    "max_attempts is 0; it counts the first request, so use 1 or more",
                ),
            });
        }
        if self.session_idle_timeout.is_zero() {
            return Err(AuthError::Config {
                field: "session_idle_timeout",
                reason: String::from("is zero; a session would expire before its first use"),
            });
        }
        let scheme = self.credentials.scheme();
        let shares = self.store.is_some()
            && matches!(
                self.credentials,
                Credentials::Ibsso { .. } | Credentials::OAuth2 { .. }
            );
        if shares
            && matches!(self.credentials, Credentials::Ibsso { .. })
            && self.unsafe_session == Some(false)
        {
            return Err(AuthError::Config {
                field: "unsafe_session",
                reason: String::from(
                    "is off, but a session in a shared token store is used from many hosts and must not be bound to one IP address; remove unsafe_session(false)",
                ),
            });
        }
        for (field, value) in [
            ("store_lease", self.store_lease),
            ("store_timeout", self.store_timeout),
        ] {
            if shares && value.is_zero() {
                return Err(AuthError::Config {
                    field,
                    reason: String::from("is zero"),
                });
            }
        }
        // The holder renews its lease every third of it, and a renewal may take a whole
        // store timeout: a shorter lease would lapse while its holder is alive and working.
        if shares && self.store_lease < self.store_timeout.saturating_mul(3) {
            return Err(AuthError::Config {
                field: "store_lease",
                reason: format!(
                    "is {:?}, shorter than three store timeouts ({:?}); the lock would lapse while its holder still works",
                    self.store_lease,
                    self.store_timeout.saturating_mul(3)
                ),
            });
        }
        let lifecycle = Lifecycle {
            idle: self.session_idle_timeout,
            unsafe_session: self.unsafe_session.unwrap_or(shares),
            margin: self.refresh_margin,
            retry: self.retry,
        };
        let user = match &self.credentials {
            Credentials::Ibsso { username, .. } => username.clone(),
            Credentials::OAuth2 { client_id, .. } => client_id.clone(),
            _ => String::new(),
        };
        let kind = match self.credentials {
            Credentials::Basic { username, password } => {
                check_username("username", &username)?;
                if username.contains(':') {
                    return Err(AuthError::Config {
                        field: "username",
                        reason: String::from(
                            "contains `:`, which Basic authentication uses to separate the username from the password",
                        ),
                    });
                }
                check_secret("password", &password, false)?;
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.expose_secret()));
                Kind::Static(sensitive_header("password", "Basic", &encoded)?)
            }
            Credentials::ApiKey { key } => {
                check_secret("api_key", &key, true)?;
                Kind::Static(sensitive_header("api_key", "App", key.expose_secret())?)
            }
            Credentials::Ibsso { username, password } => {
                check_username("username", &username)?;
                check_secret("password", &password, false)?;
                Kind::session(username, password)
            }
            Credentials::OAuth2 {
                client_id,
                client_secret,
            } => {
                check_username("client_id", &client_id)?;
                check_secret("client_secret", &client_secret, false)?;
                Kind::oauth(client_id, client_secret)
            }
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| AuthError::Config {
                    field: "http_client",
                    reason: format!("the HTTP client could not be created ({e})"),
                })?,
        };
        let shared = match self.store.filter(|_| shares) {
            None => None,
            Some(choice) => {
                let (store, key) = match choice {
                    StoreChoice::Given(store, key) => (store, key),
                    StoreChoice::RedisUrl(url, key) => (open_redis(&url, self.store_timeout)?, key),
                };
                let kind = match scheme {
                    Scheme::IbssoTokenHeader => SharedKind::Session {
                        idle: lifecycle.idle,
                        margin: crate::cache::refresh_margin(lifecycle.idle, lifecycle.margin),
                    },
                    _ => SharedKind::OAuth,
                };
                // A process waits for another's fetch at most as long as a fetch can take
                // (every attempt timing out, the longest waits between them), and a lease
                // more.
                let retry = lifecycle.retry;
                let longest_wait = retry.max_delay.max(retry.max_retry_after);
                let max_wait = self
                    .timeout
                    .saturating_mul(retry.max_attempts)
                    .saturating_add(longest_wait.saturating_mul(retry.max_attempts - 1))
                    .saturating_add(self.store_lease);
                Some(Shared::new(
                    store,
                    &key,
                    &base_url,
                    scheme,
                    &user,
                    kind,
                    StoreSettings {
                        lease: self.store_lease,
                        timeout: self.store_timeout,
                        max_wait,
                    },
                    self.clock.clone(),
                ))
            }
        };
        let auth = InfobipAuth::new(scheme, kind, lifecycle, self.clock, shared);
        Ok(Client::new_with_client(&base_url, http, Auth::new(auth)))
    }
}

#[cfg(feature = "redis")]
fn open_redis(url: &SecretString, timeout: Duration) -> Result<Arc<dyn TokenStore>, AuthError> {
    Ok(Arc::new(crate::RedisStore::open_with_timeout(
        url.expose_secret(),
        timeout,
    )?))
}

#[cfg(not(feature = "redis"))]
fn open_redis(_: &SecretString, _: Duration) -> Result<Arc<dyn TokenStore>, AuthError> {
    Err(AuthError::Config {
        field: env::TOKEN_STORE,
        reason: String::from(
            "is set, but this build has no Redis support; enable the auth crate's `redis` feature",
        ),
    })
}

fn check_username(field: &'static str, value: &str) -> Result<(), AuthError> {
    if value.trim().is_empty() {
        return Err(AuthError::Config {
            field,
            reason: String::from("is empty"),
        });
    }
    if value.chars().any(char::is_control) {
        return Err(AuthError::Config {
            field,
            reason: String::from("contains a control character (such as a newline or tab)"),
        });
    }
    Ok(())
}

/// Checks a secret without ever putting its value into the error.
fn check_secret(
    field: &'static str,
    value: &SecretString,
    in_header: bool,
) -> Result<(), AuthError> {
    let value = value.expose_secret();
    let reason = if value.trim().is_empty() {
        "is empty"
    } else if value.chars().any(char::is_control) {
        "contains a control character (such as a newline or tab), which cannot be sent in an HTTP header; check for a trailing newline"
    } else if in_header && value.trim() != value {
        "has leading or trailing whitespace, which HTTP strips from header values"
    } else {
        return Ok(());
    };
    Err(AuthError::Config {
        field,
        reason: reason.to_owned(),
    })
}

/// `<prefix> <value>` as a header value that `Debug` and HTTP/2 header compression treat as
/// sensitive.
pub(crate) fn sensitive_header(
    field: &'static str,
    prefix: &str,
    value: &str,
) -> Result<HeaderValue, AuthError> {
    let invalid = || {
        AuthError::Config {
        field,
        reason: String::from(
            "contains characters that cannot be sent in an HTTP header (only visible ASCII is allowed)",
        ),
    }
    };
    // HTTP tolerates other bytes as "obs-text", but servers and proxies mangle them.
    if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(invalid());
    }
    let mut header = HeaderValue::try_from(format!("{prefix} {value}")).map_err(|_| invalid())?;
    header.set_sensitive(true);
    Ok(header)
}

/// Applies the base URL rules of Infobip's own clients; the result has no trailing slash.
pub(crate) fn normalize_base_url(input: &str) -> Result<String, AuthError> {
    let fail = |reason: String| AuthError::Config {
        field: "base_url",
        reason,
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(fail(String::from(
            "is empty; use your personal https://<subdomain>.api.infobip.com",
        )));
    }
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(fail(String::from(
            "contains whitespace or control characters",
        )));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url =
        reqwest::Url::parse(&with_scheme).map_err(|e| fail(format!("is not a valid URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // The URL is not echoed: it holds credentials.
        return Err(fail(String::from(
            "contains credentials; pass them to the builder's scheme method instead",
        )));
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    if host.is_empty() {
        return Err(fail(String::from("has no host")));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(fail(format!(
                "uses http:// with `{host}`; Infobip needs https:// (http:// is allowed only for \
                 localhost and loopback addresses, for local testing)"
            )))
        }
        other => return Err(fail(format!("has the scheme `{other}`; use https://"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail(String::from(
            "has a query or fragment; give only scheme, host, port and path",
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let ok = |s: &str| normalize_base_url(s).unwrap();
        let err = |s: &str| normalize_base_url(s).unwrap_err().to_string();
        assert_eq!(ok("xyz.api.infobip.com"), "https://xyz.api.infobip.com");
        assert_eq!(ok(" https://api.infobip.com/ "), "https://api.infobip.com");
        assert_eq!(ok("http://localhost:8080"), "http://localhost:8080");
        assert_eq!(ok("http://127.0.0.1:9/stem/"), "http://127.0.0.1:9/stem");
        assert_eq!(ok("http://[::1]:9"), "http://[::1]:9");
        assert!(err("http://api.infobip.com").contains("needs https://"));
        assert!(err("http://10.0.0.1").contains("needs https://"));
        assert!(err("ftp://api.infobip.com").contains("scheme `ftp`"));
        assert!(err("").contains("is empty"));
        assert!(err("https://exa mple.com").contains("whitespace"));
        assert!(err("https://user:pw@api.infobip.com").contains("contains credentials"));
        assert!(!err("https://user:pw@api.infobip.com").contains("pw"));
        assert!(err("https://api.infobip.com/?x=1").contains("query"));
        assert!(err("https://").contains("not a valid URL") || err("https://").contains("no host"));
    }

    #[test]
    fn secrets_are_checked_without_being_echoed() {
        let e = check_secret("api_key", &SecretString::from("abc\n"), true).unwrap_err();
        assert!(!e.to_string().contains("abc"));
        assert!(e
            .to_string()
            .starts_with("invalid `api_key`: contains a control character"));
        let e = check_secret("api_key", &SecretString::from(" abc"), true).unwrap_err();
        assert!(e.to_string().contains("whitespace"));
        check_secret("password", &SecretString::from(" spaces are fine "), false).unwrap();
        let e = sensitive_header("api_key", "App", "ключ").unwrap_err();
        assert!(e.to_string().contains("only visible ASCII"));
        assert!(sensitive_header("api_key", "App", "k")
            .unwrap()
            .is_sensitive());
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder, AuthError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ClientBuilder::from_env_with(|name| vars.get(name).cloned())
    }

    #[test]
    fn reads_each_scheme() {
        let base = (env::BASE_URL, "https://x.api.infobip.com");
        let cases = [
            (vec![base, (env::API_KEY, "k")], Scheme::ApiKeyHeader),
            (
                vec![
                    base,
                    (env::AUTH, "basic"),
                    (env::USERNAME, "u"),
                    (env::PASSWORD, "p"),
                ],
                Scheme::Basic,
            ),
            (
                vec![
                    base,
                    (env::AUTH, "IBSSO"),
                    (env::USERNAME, "u"),
                    (env::PASSWORD, "p"),
                ],
                Scheme::IbssoTokenHeader,
            ),
            (
                vec![
                    base,
                    (env::AUTH, "oauth2"),
                    (env::CLIENT_ID, "u"),
                    (env::CLIENT_SECRET, "p"),
                ],
                Scheme::OAuth2,
            ),
            (
                vec![
                    base,
                    (env::AUTH, "oauth2"),
                    (env::USERNAME, "u"),
                    (env::PASSWORD, "p"),
                ],
                Scheme::OAuth2,
            ),
        ];
        for (vars, scheme) in cases {
            let builder = from(&vars).unwrap();
            assert_eq!(builder.credentials.scheme(), scheme);
            builder.build().unwrap();
        }
    }

    #[test]
    fn says_which_variable_is_missing_or_wrong() {
        let err = |vars: &[(&str, &str)]| from(vars).unwrap_err().to_string();
        assert_eq!(
            err(&[]),
            "invalid `INFOBIP_AUTH`: is not set; set it to basic, api-key, ibsso or oauth2 (or set INFOBIP_API_KEY)"
        );
        assert_eq!(
            err(&[(env::AUTH, "basic"), (env::USERNAME, "u")]),
            "invalid `INFOBIP_PASSWORD`: is not set; it is needed for basic"
        );
        assert_eq!(
            err(&[(env::API_KEY, "k")]),
            "invalid `INFOBIP_BASE_URL`: is not set; it is needed always"
        );
        assert_eq!(
            err(&[(env::AUTH, "kerberos")]),
            "invalid `INFOBIP_AUTH`: is `kerberos`; expected basic, api-key, ibsso or oauth2"
        );
    }

    #[test]
    fn build_names_the_bad_setting() {
        let err = |b: ClientBuilder| b.build().unwrap_err().to_string();
        let url = "https://api.infobip.com";
        assert_eq!(
            err(ClientBuilder::api_key("")),
            "invalid `base_url`: is not set; use your personal https://<subdomain>.api.infobip.com"
        );
        assert_eq!(
            err(ClientBuilder::api_key("").base_url(url)),
            "invalid `api_key`: is empty"
        );
        assert_eq!(
            err(ClientBuilder::basic("a:b", "p").base_url(url)),
            "invalid `username`: contains `:`, which Basic authentication uses to separate the username from the password"
        );
        assert_eq!(
            err(ClientBuilder::ibsso("u\n", "p").base_url(url)),
            "invalid `username`: contains a control character (such as a newline or tab)"
        );
        assert_eq!(
            err(ClientBuilder::oauth2("u", " ").base_url(url)),
            "invalid `client_secret`: is empty"
        );
        assert!(err(ClientBuilder::api_key("k")
            .base_url(url)
            .retry_policy(RetryPolicy {
                max_attempts: 0,
                ..RetryPolicy::default()
            }))
        .starts_with("invalid `retry_policy`"));
    }
}
