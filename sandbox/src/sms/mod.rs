//! The SMS product (`spec/sms.yaml`, v3): send, delivery reports and logs, with messages
//! whose status moves on the sandbox clock and final reports posted to webhooks.
//!
//! - `bodies`: the sandbox's own types for the bodies it reads and writes;
//! - `validate`: what a send request must satisfy, as violations with property paths;
//! - `catalogue`: statuses, errors, message parts and prices;
//! - `store`: the accepted messages, and the reports, logs and webhook posts made of them;
//! - `webhooks`: posting due reports, on demand or from a background task;
//! - `routes`: the three handlers.

pub(crate) mod bodies;
mod catalogue;
pub(crate) mod routes;
mod store;
pub(crate) mod validate;
pub(crate) mod webhooks;

pub(crate) use store::SmsStore;
