//! Typed clients for Infobip's products, generated from the descriptions in `spec/` by
//! `cargo xtask regen`: one module per product (`account`, ...), each behind a cargo feature
//! of its name, so that a service compiles only what it uses.
//!
//! The generated modules are never edited by hand. This crate adds a thin rim around them:
//! - [`Authenticator`], the seam through which every request of every product passes: the
//!   `infobip-auth` crate implements it to add credentials, renew tokens and retry after a 401;
//! - [`Operation`] and [`Scheme`]: each product's `operations` module (generated from the
//!   descriptions' `security` and `x-scopes`) says which schemes and API scopes every operation
//!   takes;
//! - [`Error`], which every operation returns when it fails: the operation, and Infobip's
//!   status, code, text and per-field problems ([`InfobipError`], read from either of
//!   Infobip's two error bodies, [`ApiError`] and [`ApiException`]), or why nothing was sent;
//!   a 403 for want of an API scope read as a [`ScopeRefusal`];
//! - [`Secret`] and [`DateTime`], the types the generator maps secrets and date-times to;
//! - [`FilePart`] and [`Form`], for the `multipart/form-data` uploads codegen writes itself,
//!   and [`ContentType`], which says what a download (a [`ByteStream`]) holds;
//! - with the `sms` feature, `sms_logs`: the SMS logs as one stream, page after page;
//! - [`Webhook`], which each product's `webhooks` module implements once per kind of event
//!   Infobip posts to a service (`sms::webhooks::OutboundSmsMessageReportV3`, the SMS
//!   delivery reports), and, with the `webhooks` feature, the receiver that takes one
//!   (`webhooks::Receiver`, an axum route: credentials, duplicates, 2xx only once handled).
//!
//! # Building requests
//!
//! Every type of a request has `new`, taking its required fields (each as `impl Into`), and a
//! setter per optional field, taking the value itself. Code written this way keeps compiling
//! when Infobip adds an optional field: the types are `#[non_exhaustive]`, so struct literals,
//! which would not, are refused outside this crate (fields stay public to read and assign).
//! String lengths and patterns in the descriptions are left to Infobip, which names the field
//! that breaks one ([`ErrorKind::Api`]).
//!
//! An SMS (feature `sms`):
//!
//! ```no_run
//! # #[cfg(feature = "sms")]
//! # async fn run(infobip: &impl infobip_client::Products) -> Result<(), infobip_client::Error> {
//! use infobip_client::sms::types::{
//!     SmsMessage, SmsRequestEnvelope, SmsTextMessageContent, SmsToDestination,
//! };
//!
//! let request = SmsRequestEnvelope::new([SmsMessage::new(
//!     SmsTextMessageContent::new("Your code is 918273"),
//!     [SmsToDestination::new("41793026727")],
//! )
//! .sender("InfoSMS")]);
//! let sent = infobip.sms().send_sms_messages().body(request).send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! A WhatsApp text (feature `whatsapp`), from a registered sender:
//!
//! ```no_run
//! # #[cfg(feature = "whatsapp")]
//! # async fn run(infobip: &impl infobip_client::Products) -> Result<(), infobip_client::Error> {
//! use infobip_client::whatsapp::types::{TextContent, TextMessage};
//!
//! let message = TextMessage::new(
//!     TextContent::new("Your table is ready").preview_url(false),
//!     "441134960000",
//!     "41793026727",
//! )
//! .callback_data("table-12");
//! let sent = infobip.whatsapp().send_whatsapp_text_message().body(message).send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! An email (feature `email`), a `multipart/form-data` upload whose attachments are streamed:
//!
//! ```no_run
//! # #[cfg(feature = "email")]
//! # async fn run(infobip: &impl infobip_client::Products) -> Result<(), infobip_client::Error> {
//! use infobip_client::email::multipart::SendFullyFeaturedEmailForm;
//! use infobip_client::FilePart;
//!
//! let form = SendFullyFeaturedEmailForm::new(["jane@example.com".to_owned()])
//!     .from("Shop <shop@example.com>")
//!     .subject("Your receipt")
//!     .text("Thank you for your order.")
//!     .attachment([FilePart::path("receipts/1042.pdf")]);
//! let sent = infobip.email().send_fully_featured_email().form(form).send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Services normally build clients through the `infobip-auth` crate. Built by hand it looks
//! like this (with [`Auth::none`], which sends no credentials, so only the session and token
//! calls succeed):
//!
//! ```no_run
//! # #[cfg(feature = "account")]
//! # async fn run() -> Result<(), infobip_client::Error> {
//! use infobip_client::account::{types, Client};
//! use infobip_client::Auth;
//!
//! let client = Client::new_with_client(
//!     "https://api.infobip.com",
//!     reqwest::Client::new(),
//!     Auth::none(),
//! );
//! let token = client
//!     .create_oauth2_token()
//!     .body(
//!         types::CreateOAuth2TokenRequest::builder()
//!             .client_id("user")
//!             .client_secret("password")
//!             .grant_type(types::GrantType::ClientCredentials),
//!     )
//!     .send()
//!     .await?;
//! println!("expires in {} s", token.expires_in);
//! # Ok(())
//! # }
//! ```

mod buffered;
mod call;
mod connection;
mod datetime;
mod deprecation;
mod error;
mod error_body;
mod hooks;
mod infobip_error;
mod multipart;
mod operation;
#[rustfmt::skip]
mod products;
#[doc(hidden)]
pub mod redact;
mod refusal;
mod response;
mod secret;
#[cfg(feature = "sms")]
mod sms_logs;
#[doc(hidden)]
pub mod time;
mod trace;
mod webhook;
#[cfg(feature = "webhooks")]
pub mod webhooks;
/// The body kinds fixture (`codegen/fixtures/uploads.yaml`): a synthetic product whose
/// generated code the workspace's tests call. Not an Infobip product; only tests enable it.
#[cfg(feature = "fixtures")]
#[doc(hidden)]
#[rustfmt::skip]
pub mod uploads_fixture;

pub use connection::{Connection, ProductClient, HAND_WRITTEN};
pub use datetime::{DateTime, DateTimeError};
pub use error::{retry_after, Error, ErrorKind};
pub use error_body::{
    ApiError, ApiErrorResource, ApiErrorViolation, ApiException, ApiRequestError,
    ApiRequestErrorDetails, ErrorBody,
};
pub use hooks::{Auth, Authenticator, BoxFuture, Call, PrepareError, Prepared, Transport};
pub use infobip_error::{legacy_code, InfobipError, Resource, Violation};
pub use multipart::{Field, FilePart, Form, FormError, Rebuild};
pub use operation::{Operation, Scheme};
pub use products::*;
pub use progenitor_client::{ByteStream, ClientInfo, ResponseValue};
pub use refusal::ScopeRefusal;
pub use response::ContentType;
pub use secret::Secret;
#[cfg(feature = "sms")]
pub use sms_logs::{sms_logs, SmsLog};
pub use webhook::Webhook;
