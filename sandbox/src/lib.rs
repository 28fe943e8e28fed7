//! A local, stateful stand-in for Infobip's authentication endpoints.
//!
//! The sandbox serves every operation of `spec/infobip-auth.yaml` on loopback, with the
//! request and response shapes of the spec, the schemes each operation's `security` lists,
//! and the error body format each endpoint uses at Infobip. It keeps sessions, OAuth tokens
//! and API keys in memory, so that a client can be run end to end without an Infobip account.
//!
//! Tests drive it through [`Sandbox`]: a [`ManualClock`] expires sessions, tokens and keys
//! without sleeping, [`Sandbox::inject`] makes the next calls fail, and
//! [`Sandbox::requests`] shows exactly what the client sent.
//!
//! ```no_run
//! use sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};
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
mod state;

pub use config::{
    Account, Clock, ManualClock, SandboxConfig, SessionRule, SystemClock, DEMO_ACCOUNT_ID,
    DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE,
};
pub use model::{Endpoint, Fault, RecordedRequest, SchemeUsed};
pub use server::{Sandbox, SandboxError};
