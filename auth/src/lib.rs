//! Infobip's four authentication schemes for the clients of `infobip-client`, each a one-line
//! choice, with tokens and sessions that look after themselves.
//!
//! | scheme | header | what this crate does |
//! |---|---|---|
//! | [`basic`](ClientBuilder::basic) | `Basic base64(user:pass)` | computes it once |
//! | [`api_key`](ClientBuilder::api_key) | `App <key>` | sends it; refuses the key-management calls, which Infobip does not allow with a key |
//! | [`ibsso`](ClientBuilder::ibsso) | `IBSSO <token>` | logs in on first use, tracks the 60-minute idle expiry from the last use, destroys a session before replacing it, logs in again when the server ends it; [`ClientExt::logout`] ends it |
//! | [`oauth2`](ClientBuilder::oauth2) | `Bearer <token>` | fetches on first use, renews before `expires_in` runs out |
//!
//! For the two token schemes: however many calls need a token at once, one request fetches it
//! and the others wait for it; a failed renewal never throws away a token that still works;
//! 429, 5xx, timeouts and connection errors from the token endpoint are retried with jittered
//! backoff (honouring `Retry-After`), bad credentials are not; a 401 on an ordinary call drops
//! the token, gets one new one (shared by every caller that saw the same 401) and retries the
//! call once.
//!
//! Secrets are held in [`secrecy`] types, headers are marked sensitive, and no `Debug`,
//! `Display`, error or tracing event of this crate contains a password, key or token.
//!
//! # One connection for every product
//!
//! [`ClientBuilder::connect`] gives an [`Infobip`]: the credentials configured once, each
//! enabled product's client taken from it (`infobip.sms()`, `infobip.account()`, through
//! [`Products`](infobip_client::Products)), all sharing one token or session. It also
//! authenticates requests written by hand ([`Infobip::authorize`], [`Infobip::send`]) and,
//! with the `middleware` feature, the requests of a `reqwest_middleware` client
//! (`Infobip::middleware`). With the `sms` feature, `Infobip::sms_logs` reads the SMS logs as
//! one stream.
//!
//! ```no_run
//! use infobip_auth::ClientBuilder;
//! use infobip_client::sms::types::{
//!     SmsMessage, SmsRequestEnvelope, SmsTextMessageContent, SmsToDestination,
//! };
//! use infobip_client::Products as _;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // One connection per account, kept for the life of the service (cheap to clone).
//! let infobip = ClientBuilder::api_key("your-api-key")
//!     .base_url("https://xxxxx.api.infobip.com")
//!     .connect()?;
//! let request = SmsRequestEnvelope::new([SmsMessage::new(
//!     SmsTextMessageContent::new("Your code is 918273"),
//!     [SmsToDestination::new("41793026727")],
//! )]);
//! let sent = infobip.sms().send_sms_messages().body(request).send().await?;
//! let balance = infobip.account().get_account_balance().send().await?;
//! println!("{} messages; {} {} left", sent.messages.len(), balance.balance, balance.currency);
//! # Ok(())
//! # }
//! ```
//!
//! # One scheme each
//!
//! The examples below use [`ClientBuilder::build`], which gives the account client directly.
//!
//! ```no_run
//! use infobip_auth::ClientBuilder;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // API key: the simplest choice for sending messages.
//! let client = ClientBuilder::api_key("your-api-key")
//!     .base_url("https://xxxxx.api.infobip.com")
//!     .build()?;
//! let balance = client.get_account_balance().send().await?;
//! println!("{} {}", balance.balance, balance.currency);
//! # Ok(())
//! # }
//! ```
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // HTTP Basic: the account's username and password on every request.
//! let client = infobip_auth::ClientBuilder::basic("username", "password")
//!     .base_url("xxxxx.api.infobip.com") // https:// is added
//!     .build()?;
//! let keys = client.get_api_keys_by_filter().enabled(true).send().await?;
//! println!("{} enabled keys", keys.api_keys.len());
//! # Ok(())
//! # }
//! ```
//!
//! ```no_run
//! use infobip_auth::ClientExt as _;
//! use std::time::Duration;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // IBSSO: one session, created on first use, ended by logout().
//! let client = infobip_auth::ClientBuilder::ibsso("username", "password")
//!     .base_url("https://xxxxx.api.infobip.com")
//!     .session_idle_timeout(Duration::from_secs(60 * 60))
//!     .build()?;
//! client.get_account_balance().send().await?;
//! client.logout().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // OAuth 2.0 client credentials: Bearer tokens renewed before they expire.
//! let client = infobip_auth::ClientBuilder::oauth2("username", "password")
//!     .base_url("https://xxxxx.api.infobip.com")
//!     .build()?;
//! client.get_account_balance().send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Telling auth failures apart
//!
//! Calls return the generated client's [`Error`](infobip_client::Error), whose `{}` names the
//! operation and says what went wrong. A failure of this crate before anything was sent (no
//! token could be obtained, the operation does not accept the scheme) is its
//! [`ErrorKind::Auth`](infobip_client::ErrorKind::Auth); [`AuthFailure::of`] gives it back
//! typed: the operation, the scheme, and an [`AuthError`] to match on, which says whether
//! trying again later can help and keeps its cause as `source()`. A 401 that survived the one
//! retry is Infobip's answer ([`Error::infobip`](infobip_client::Error::infobip), status 401);
//! so is a 401 whose re-login failed (the call returns the original 401).
//!
//! ```
//! # async fn run(client: infobip_client::account::Client) {
//! use infobip_auth::{AuthError, AuthFailure};
//!
//! match client.get_account_balance().send().await {
//!     Ok(balance) => println!("{}", balance.balance),
//!     Err(e) => match AuthFailure::of(&e) {
//!         Some(failure) => match failure.error() {
//!             AuthError::BadCredentials { .. } => eprintln!("page someone: {e}"),
//!             error if error.is_retryable() => eprintln!("retry later: {e}"),
//!             _ => eprintln!("cannot authenticate: {e}"),
//!         },
//!         None => eprintln!("{e}"), // Infobip's status, code and text, or the transport's
//!     },
//! }
//! # }
//! ```
//!
//! # Sharing tokens between clients and processes
//!
//! With the `token-store` feature, clients built with the same `store::TokenStore` (and the
//! same base URL, scheme, user and secret) fetch one OAuth token or IBSSO session per expiry
//! between them: `store::MemoryStore` within a process, `store::RedisStore` (feature
//! `redis`; `ClientBuilder::redis_token_store`, or `redis_cluster_token_store` for a Redis
//! Cluster) across a fleet, or a store of the program's own (the `infobip` command line keeps
//! its tokens in a file). One process at a time holds the store's lock and fetches; the others
//! wait for what it stores, and take over if it dies. Stored tokens are encrypted with the
//! `store::EncryptionKey` every member shares. Each store call is bounded by
//! `ClientBuilder::store_timeout`; a store that fails is bypassed, and the process fetches for
//! itself. Without the feature, none of this (nor its crypto) is compiled.
//!
//! ```
//! use infobip_auth::store::{EncryptionKey, MemoryStore};
//! use infobip_auth::ClientBuilder;
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = MemoryStore::new();
//! let key = EncryptionKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")?;
//! let sms = ClientBuilder::oauth2("username", "password")
//!     .base_url("https://xxxxx.api.infobip.com")
//!     .token_store(store.clone(), key.clone())
//!     .build()?;
//! let reports = ClientBuilder::oauth2("username", "password")
//!     .base_url("https://xxxxx.api.infobip.com")
//!     .token_store(store, key)
//!     .build()?; // shares the token `sms` fetches
//! # let _ = (sms, reports);
//! # Ok(())
//! # }
//! ```
//!
//! # Environment
//!
//! [`ClientBuilder::from_env`] reads `INFOBIP_BASE_URL`, `INFOBIP_AUTH` (`basic`, `api-key`,
//! `ibsso`, `oauth2`), and `INFOBIP_API_KEY`, `INFOBIP_USERNAME`/`INFOBIP_PASSWORD`, or
//! `INFOBIP_CLIENT_ID`/`INFOBIP_CLIENT_SECRET`, and for a shared store `INFOBIP_TOKEN_STORE`
//! (or `INFOBIP_TOKEN_STORE_CLUSTER`) and `INFOBIP_TOKEN_STORE_KEY`; see [`env`](mod@env).

mod authenticator;
mod builder;
mod call_retry;
pub mod clock;
mod connection;
pub mod env;
pub mod error;
mod failure;
#[cfg(feature = "token-store")]
mod fleet;
mod login;
#[cfg(feature = "middleware")]
pub mod middleware;
pub mod retry;
mod rotation;
mod scheme;
#[cfg(feature = "sms")]
pub mod sms;
#[cfg(feature = "token-store")]
pub mod store;
#[cfg(any(test, feature = "test-util"))]
mod test_util;
mod token;
mod tokens;
mod validate;

/// Secrets that change while the service runs, read again from a file or a callback
/// ([`ClientBuilder::api_key_from`] and the other `_from` settings).
pub mod secret {
    pub use crate::rotation::{SecretFile, SecretFn, SecretSource, SecretSourceError};
}

use std::future::Future;

use infobip_client::ClientInfo;

// What nearly every user names; the rest is grouped in the modules above.
pub use authenticator::InfobipAuth;
pub use builder::ClientBuilder;
pub use connection::Infobip;
pub use error::{AuthError, AuthFailure};
pub use infobip_client::Scheme;

/// What a connection ([`Infobip`]) or a product client built by this crate can do beyond the
/// generated operations: the one way to log out.
pub trait ClientExt {
    /// Ends the IBSSO session this client holds (a session the server already ended counts as
    /// ended); for the other schemes there is nothing to end and this returns `Ok`. The next
    /// call that needs a session logs in again.
    ///
    /// Call it before shutting down: a session cannot be ended from `Drop`, and an abandoned
    /// one lingers until it idles out.
    fn logout(&self) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// The scheme the client was built with, or `None` for a client not built by this crate.
    fn auth_scheme(&self) -> Option<Scheme>;

    /// Ends the pause after a failed login (see [`LoginCooldown`](retry::LoginCooldown)): the
    /// next call that needs a token logs in at once. Call it after fixing what made the login
    /// fail (rotated credentials, say); with a shared token store it also clears the failure
    /// the fleet shares. A no-op for schemes without logins.
    fn clear_login_cooldown(&self) -> impl Future<Output = ()> + Send;
}

impl<C: ClientInfo<infobip_client::Auth> + Sync> ClientExt for C {
    async fn logout(&self) -> Result<(), AuthError> {
        let auth = self.inner().downcast_ref::<InfobipAuth>();
        auth.ok_or(AuthError::NotAnAuthClient)?.logout().await
    }

    fn auth_scheme(&self) -> Option<Scheme> {
        self.inner().downcast_ref().map(InfobipAuth::scheme)
    }

    async fn clear_login_cooldown(&self) {
        if let Some(auth) = self.inner().downcast_ref::<InfobipAuth>() {
            auth.clear_login_cooldown().await;
        }
    }
}

impl ClientExt for Infobip {
    async fn logout(&self) -> Result<(), AuthError> {
        self.authenticator().logout().await
    }

    fn auth_scheme(&self) -> Option<Scheme> {
        Some(self.scheme())
    }

    async fn clear_login_cooldown(&self) {
        self.authenticator().clear_login_cooldown().await;
    }
}

/// The README's examples, compiled as doctests so that it stays true. Its fleet example
/// needs the `redis` feature, which the workspace's test build turns on.
#[doc = include_str!("../../README.md")]
#[cfg(all(doctest, feature = "redis"))]
pub struct ReadmeDoctests;
