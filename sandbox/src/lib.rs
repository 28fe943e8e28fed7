//! A local, stateful stand-in for Infobip's authentication endpoints.
//!
//! The sandbox serves every operation of `spec/account.yaml` on loopback, with the
//! request and response shapes of the spec, the schemes each operation's `security` lists,
//! and the error body format each endpoint uses at Infobip. It keeps sessions, OAuth tokens
//! and API keys in memory, so that a client can be run end to end without an Infobip account.
//!
//! Tests drive it through [`Sandbox`]: a [`ManualClock`] expires sessions, tokens and keys
//! without sleeping, [`Sandbox::inject`] makes the next calls of an endpoint misbehave (a
//! status in the endpoint's error format, an exact reply, a delay, a cut-off body, a dropped
//! connection, calls held until N arrive together: see [`Fault`]), [`Sandbox::requests`]
//! shows exactly what the client sent (less a `client_secret` in a query string, see below)
//! and [`Sandbox::issued_tokens`] what it was given.
//!
//! # Choices where Infobip's documentation is silent
//! - A create-session while the user holds a valid session follows [`SessionRule`]; `Strict`
//!   answers 403 `FORBIDDEN` (legacy body) because the request is well formed but refused.
//! - `oauth_expires_in` of zero or below issues a token that is already expired, and reports
//!   that value in `expires_in`.
//! - Sessions are bound to the creator's address unless created with `unsafe: true`.
//! - API keys need the `PUBLIC_API` permission to reach the balance endpoint; keys are
//!   visible to, and can be made for, their own account only (another `accountId`: 403).
//! - `size` above 100 is served as 100; `size` below 1, a negative `page`, or an unknown
//!   `orderBy` (supported: `name`, `id`, `validFrom`, `validTo`) is a 400.
//! - On update, an `allowedIPs`, `permissions` or `platform` that is present replaces the
//!   stored one even when empty; an omitted one is kept.
//! - Throttling counts per account and endpoint: 10 per rolling second for create-session,
//!   destroy-session, token, list and get; 40 per rolling day for creates and for updates;
//!   the balance endpoint declares no limit. A 429 carries `Retry-After`.
//! - Injected faults apply before authentication, as a failing gateway would; a held call
//!   ([`Fault::Hold`]) or a delayed one is then authenticated and answered as usual.
//! - The token endpoint's `error` string uses OAuth 2.0 codes: `invalid_request` (400),
//!   `invalid_client` (401), otherwise the legacy `messageId` in lower case.
//! - The token endpoint reads `client_id`, `client_secret` and `grant_type` from the query
//!   string as well as from the form body, because Infobip's community Node SDK sends them in
//!   the query with an empty body (Infobip does not document either way). A field given more
//!   than once, in one place or both, must have the same value every time, else 400: with two
//!   values there is no telling which one Infobip would read, and a sandbox that picked one
//!   would let a test pass that Infobip might fail. A `client_secret` in the query string is
//!   warned about in the log (field names only) and is redacted in [`Sandbox::requests`]. An
//!   empty body needs no content type.
//!
//! ```no_run
//! use infobip_sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};
//!
//! # async fn run() -> std::io::Result<()> {
//! let sandbox = Sandbox::start(SandboxConfig::for_tests()).await?;
//! let balance = reqwest::Client::new()
//!     .get(format!("{}/account/1/balance", sandbox.base_url()))
//!     .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
//!     .send()
//!     .await;
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod config;
mod errors;
mod keys;
mod model;
mod routes;
mod server;
mod sms;
mod state;

pub use config::{
    Account, Clock, ManualClock, SandboxConfig, SessionRule, SystemClock, DEMO_ACCOUNT_ID,
    DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE, SMS_CURRENCY, SMS_PRICE_PER_PART, SMS_SCOPE,
};
pub use model::{Endpoint, Fault, RecordedRequest, SchemeUsed};
pub use server::{Sandbox, SandboxError};
