//! The webhook receiver (feature `webhooks`): an axum route per kind of event Infobip posts
//! to a service, which checks the delivery's credentials, drops the events already handled,
//! decodes the rest and hands them to the service's handler.
//!
//! # What it guarantees
//!
//! Infobip delivers each event **at least once**: it posts it again when the service does
//! not answer 2xx (or does not answer in time), and a delivery it believes failed may in
//! fact have been handled. The [`Receiver`] turns that into **at most once per window** for
//! the handler, and keeps the at-least-once on the way to it:
//!
//! - It answers 2xx only after the handler returned `Ok`. An error or a panic of the
//!   handler is answered 500, so Infobip delivers the events again: nothing is lost because
//!   the service failed halfway. (Answering 2xx first and handling afterwards would lose
//!   every event whose handling fails or whose process dies.)
//! - With a duplicate store ([`Receiver::dedup`]), an event handled within the window
//!   ([`Receiver::window`], 24 hours by default) is not handed to the handler again. An
//!   event is identified by its product, kind, message id, and status or time ([`EventKey`]).
//!   A body with a `results` array (most of Infobip's webhooks) is a batch, one event per
//!   element: the elements already handled are removed before the rest is decoded and
//!   handed over; when none is left, the delivery is answered 2xx without calling the
//!   handler.
//! - A handler error releases the delivery's events, so the redelivery is handled again.
//! - When another delivery (a replica handling the same redelivery) holds some of the
//!   events, the receiver handles those it holds, then answers 503 with `Retry-After`, so
//!   Infobip delivers again once they are settled.
//! - Within one process use [`MemoryDedup`]; replicas must share [`RedisDedup`] (feature
//!   `webhooks-redis`). Without a store every delivery reaches the handler, duplicates
//!   included: make the handler idempotent.
//!
//! "At most once" holds within the window and while the store works: a store that fails at a
//! claim is answered 503 (nothing is handled but, when a full [`MemoryDedup`] is the
//! failure, the events claimed before it); one that fails when confirming lets a later
//! redelivery through. A handler that outlives its [`lease`](Receiver::lease) may run twice.
//!
//! # Credentials
//!
//! [`Receiver::basic`] checks the HTTP Basic user and password of the subscription's security
//! settings at Infobip, in constant time. [`Receiver::check`] adds any other check
//! ([`Check`]), such as an HMAC over the raw body in the form your subscription uses.
//!
//! **Without a check, anyone who finds the URL can post events** that the handler will
//! believe came from Infobip (fake delivery reports, fake inbound messages). Configure
//! credentials in production; a receiver without them is for tests and for networks where
//! only Infobip can reach the route.
//!
//! The password is kept only as a SHA-256 digest inside a [`secrecy`] box; `Debug` shows
//! `[redacted]`, and no answer, error or log line holds it, the presented credentials, the
//! payload or the request's headers.
//!
//! # Example
//!
//! SMS delivery reports, with Basic credentials and a duplicate store in memory:
//!
//! ```no_run
//! # #[cfg(all(feature = "sms", feature = "webhooks"))]
//! # mod example {
//! use infobip_client::sms::types::DeliveryReports;
//! use infobip_client::sms::webhooks::OutboundSmsMessageReportV3;
//! use infobip_client::webhooks::{MemoryDedup, Receiver};
//! use secrecy::SecretString;
//!
//! #[derive(Debug, thiserror::Error)]
//! #[error("the reports could not be stored")]
//! pub struct StoreFailed;
//!
//! async fn store_reports(reports: DeliveryReports) -> Result<(), StoreFailed> {
//!     for report in reports.results {
//!         let status = report.status.and_then(|s| s.name);
//!         println!("{:?}: {:?} at {:?}", report.message_id, status, report.done_at);
//!     }
//!     Ok(())
//! }
//!
//! pub async fn serve() -> std::io::Result<()> {
//!     let password = SecretString::from(std::env::var("WEBHOOK_PASSWORD").unwrap_or_default());
//!     let reports = Receiver::new(OutboundSmsMessageReportV3, store_reports)
//!         .basic("infobip", password)
//!         .dedup(MemoryDedup::new())
//!         .body_limit(256 * 1024);
//!     let app = axum::Router::new().route("/webhooks/sms/reports", reports.post());
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//!     axum::serve(listener, app).await
//! }
//! # }
//! # fn main() {}
//! ```

mod check;
mod dedup;
mod memory;
mod receiver;
#[cfg(feature = "webhooks-redis")]
mod redis;

#[cfg(feature = "webhooks-redis")]
pub use self::redis::{RedisDedup, DEFAULT_PREFIX};
/// The headers a [`Check`] reads (`http::HeaderMap`, as axum uses).
pub use axum::http::HeaderMap;
pub use check::{Check, Refused};
pub use dedup::{Claimed, DedupError, DedupStore, EventKey};
pub use memory::{Clock, MemoryDedup, SystemClock, DEFAULT_CAPACITY};
pub use receiver::{
    BoxError, Receiver, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_LEASE,
    DEFAULT_MAX_EVENTS, DEFAULT_REALM, DEFAULT_RETRY_AFTER, DEFAULT_WINDOW,
};
