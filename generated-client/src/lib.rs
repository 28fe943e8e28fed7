//! A typed client for Infobip's authentication endpoints, generated from
//! `spec/infobip-auth.yaml` by `cargo xtask regen`.
//!
//! The generated code ([`Client`], [`types`], [`builder`]) is never edited by hand. This crate
//! adds a thin rim around it:
//! - [`Authenticator`], the seam through which every request passes: the `auth` crate implements
//!   it to add credentials, renew tokens and retry after a 401;
//! - [`security`], the schemes each operation accepts, also generated from the description;
//! - [`Secret`] and [`DateTime`], the types the generator maps secrets and date-times to.
//!
//! Services normally build the client through the `auth` crate. Built by hand it looks like
//! this (with [`Auth::none`], which sends no credentials, so only the session and token calls
//! succeed):
//!
//! ```no_run
//! use infobip_client::{Auth, Client};
//!
//! # async fn run() -> Result<(), infobip_client::Error<infobip_client::types::LegacyApiError>> {
//! let client = Client::new_with_client(
//!     "https://api.infobip.com",
//!     reqwest::Client::new(),
//!     Auth::none(),
//! );
//! let token = client
//!     .create_oauth2_token()
//!     .body(
//!         infobip_client::types::CreateOAuth2TokenRequest::builder()
//!             .client_id("user")
//!             .client_secret("password")
//!             .grant_type(infobip_client::types::GrantType::ClientCredentials),
//!     )
//!     .send()
//!     .await?;
//! println!("expires in {} s", token.expires_in);
//! # Ok(())
//! # }
//! ```

mod datetime;
#[rustfmt::skip]
#[allow(
    missing_docs,
    unused_imports,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used,
    rustdoc::all
)]
mod generated;
mod hooks;
mod secret;
#[rustfmt::skip]
pub mod security;

pub use datetime::{DateTime, DateTimeError};
pub use generated::*;
pub use hooks::{Auth, Authenticator, BoxFuture};
pub use secret::Secret;
