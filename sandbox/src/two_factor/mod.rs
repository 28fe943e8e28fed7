//! The 2FA product (`spec/two-factor.yaml`) over SMS: applications and message templates per
//! account, PINs sent as SMS messages through the SMS store, verified on the sandbox clock.
//!
//! - `bodies`: the sandbox's own types for the bodies it reads and writes;
//! - `pin`: the PIN generator and the readers of time lengths and limits;
//! - `store`: applications, templates, PINs and the counts behind the limits;
//! - `routes`: the handlers, the voice and email ones answering 501, and the sandbox's own
//!   `GET /sandbox/2fa/pins/{pinId}`.

mod bodies;
mod pin;
pub(crate) mod routes;
mod store;

pub(crate) use store::TwoFactorStore;
