//! A local stand-in for Infobip: every operation of the descriptions in `spec/`, with
//! authentication, API keys, balance, SMS and 2FA stateful.
//!
//! The sandbox serves every operation of `spec/account.yaml` and `spec/sms.yaml`, and those
//! of `spec/two-factor.yaml` that use SMS, on loopback,
//! with the request and response shapes of the spec, the schemes each operation's `security`
//! lists, the API scopes its `x-scopes` lists, and the error body format each endpoint uses
//! at Infobip. It keeps sessions, OAuth tokens, API keys, sent SMS messages and 2FA
//! applications, templates and PINs in memory, so
//! that a client can be run end to end without an Infobip account. Every other operation of
//! every description is checked against its description and answered from it, without
//! state: see the `described` module (and the README's "The sandbox").
//!
//! Tests drive it through [`Sandbox`]: a [`ManualClock`] expires sessions, tokens and keys,
//! and moves messages to their final status, without sleeping; [`Sandbox::deliver_due`] posts
//! the delivery reports due at webhooks; [`Sandbox::inject`] makes the next calls of an endpoint misbehave (a
//! status in the endpoint's error format, an exact reply, a delay, a cut-off body, a dropped
//! connection, calls held until N arrive together: see [`Fault`]), [`Sandbox::requests`]
//! shows exactly what the client sent (less a `client_secret` in a query string, see below)
//! and [`Sandbox::issued_tokens`] what it was given.
//!
//! # Left running
//! The sandbox listens on loopback unless [`SandboxConfig::allow_remote`] is set (its demo
//! password is public), keeps a bounded request log ([`LogLimits`]: the oldest entries leave
//! first, bodies are cut; the counts [`Sandbox::count`] and [`Sandbox::answered`] stay exact),
//! cuts off a client that sends a request head or body slower than
//! [`SandboxConfig::read_timeout`] or stays idle that long, and serves at most
//! [`SandboxConfig::max_connections`] connections at once. A reader that follows the log
//! awaits [`Sandbox::log_changed`] and asks for [`Sandbox::requests_since`].
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
//! - Each endpoint needs one of the API scopes its operation lists (`x-scopes`, read from the
//!   generated `operations` tables); a credential with none gets 403 naming them, with the
//!   resource "API Scopes" in the newer format. Accounts get [`MANAGE_SCOPE`],
//!   [`SMS_SCOPE`] and [`TWO_FACTOR_SCOPE`] by default, so keys made without `scopeGuids`
//!   get all three.
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
//! ## SMS
//! - **Send.** One answer entry per destination, in request order, each 26
//!   `PENDING_ACCEPTED` (group 1 `PENDING`). A client's `messageId` is kept, else one is
//!   made up; the same `messageId` twice in one request is a 400, and a resent one is not
//!   deduplicated (Infobip documents no idempotency). A bulk id is answered when one is given
//!   (`options.schedule.bulkId`), when the request has more than one destination in all, or
//!   when it is scheduled (`sendAt`: Infobip manages scheduled messages by bulk); otherwise
//!   none. `details.messageCount` only with `includeSmsCountInResponse`, for text only.
//! - **Validation** (400, newer format, one violation per problem with its property path):
//!   numbers are 7 to 15 digits with the country code first (no `+`, `00` or leading 0);
//!   text not blank; hex as space-separated byte pairs; `content` with `text` or `hex`, not
//!   both; `sendAt` not in the past nor beyond 180 days; a delivery window with a day; a
//!   webhook URL absolute http(s); a `webhooks.contentType` other than `application/json` is
//!   refused, since the sandbox posts JSON only. The description's types, required
//!   properties, allowed values, length limits and ranges (delivery window hours 0-23 and
//!   minutes 0-59) are checked first, every problem reported (with its path); then the rules
//!   on values, all at once; an answer lists the first 20 violations of either pass. The
//!   sender is not checked (the spec sets no limit).
//! - **Statuses** follow the sandbox clock alone: pending until `delivery_delay` (3 s) after
//!   sending (or after `sendAt`), then final: 5 `DELIVERED_TO_HANDSET` (group 3) with error
//!   0 `NO_ERROR`; for [`SandboxConfig::with_undeliverable`] numbers 9
//!   `UNDELIVERABLE_NOT_DELIVERED` (group 2) with a permanent `HANDSET_ERRORS` error 1
//!   `EC_UNKNOWN_SUBSCRIBER`; for [`SandboxConfig::with_rejected`] numbers 6
//!   `REJECTED_NETWORK` (group 5) with a permanent `OPERATOR_ERRORS` error 11
//!   `EC_TELESERVICE_NOT_PROVISIONED`. Status ids and names are Infobip's; the error ids and
//!   names are inferred (GSM MAP's codes: Infobip's documents give only the groups). No
//!   intermediate status is reported and nothing expires: validity periods, delivery time
//!   windows, speed limits, tracking, transliteration, language and regional options are
//!   accepted and change nothing. A scheduled message is sent (and logged) at its `sendAt`.
//! - **Parts and price.** GSM-7 text is 160 septets in one part, 153 per part when split
//!   (extension characters such as `€` take two); any other text is UCS-2, 70 UTF-16 units,
//!   67 when split; binary content 140 bytes, 134 when split. No transliteration is applied.
//!   Each part costs [`SMS_PRICE_PER_PART`] [`SMS_CURRENCY`] (`pricePerMessage` is per part;
//!   `messageCount` says how many); a rejected message costs 0. The balance is not debited.
//!   `mccMnc` is never reported: the sandbox knows no networks, so an `mcc` filter matches
//!   nothing (and `mnc` without `mcc` is a 400).
//! - **Delivery reports** are final ones, oldest first, of the caller's account, each
//!   returned once; they are kept 48 hours after `doneAt`. A message that names a webhook
//!   (`webhooks.delivery.url`, unless `notify` is false) is never pulled, even if its posts
//!   fail: Infobip pushes or lets you pull, not both.
//! - **Webhooks** are posted when [`Sandbox::deliver_due`] runs (a test calls it after
//!   advancing the clock; the binary's background task every
//!   [`webhook_interval`](SandboxConfig::webhook_interval), off in `for_tests`): one POST per
//!   report, a `DeliveryReports` with one result, `application/json`, no redirects followed;
//!   a 2xx answer takes it. A failed post is tried again by a later pass at least 10 s later
//!   on the sandbox clock, five attempts in all, then given up (with a warning). Only final
//!   reports are posted (`intermediateReport` changes nothing).
//! - **Logs** list the caller's messages sent in the last 48 hours, newest first (then by
//!   acceptance), with their status at the time of the call, their content as sent, an error
//!   (`NO_ERROR` while pending), `doneAt` once final and the price. Array parameters are read
//!   as repeated keys, comma-joined values or both (Infobip's spec declares the one, its prose
//!   the other), at most 2048 characters each; `sentSince` and `sentUntil` are inclusive.
//!   `cursor` is answered only with `useCursor=true`; the cursor is the position of a page's
//!   last entry, so pages do not shift as new messages arrive; a `cursor` without
//!   `useCursor=true`, or one the sandbox did not issue, is a 400.
//! - **Limits.** `limit` is 50 when absent and served as 1000 above 1000; below 1 it is a
//!   400, like any unreadable parameter (a date, a boolean, a `generalStatus`, a scalar given
//!   twice with different values), although the spec declares no 400 for reports and logs.
//!   The logs allow 120 calls per rolling minute per account (calls refused do not count),
//!   then 429 (`E429`) with `Retry-After` in seconds until the oldest call leaves the window;
//!   [`SandboxConfig::logs_throttle`] applies that limit alone. Send and reports declare no
//!   limit and have none.
//! - Times are kept to the millisecond, as Infobip writes them. Message texts never reach
//!   the log (a text can be a one-time code), nor do webhook URLs (they can carry a token);
//!   [`RecordedRequest`]'s `Debug` does not show a send's body.
//!
//! ## 2FA
//! Over SMS only: the voice and email operations (sends, resends, email templates)
//! authenticate the caller, then answer 501 (legacy body) saying the sandbox does not model
//! them. [`TWO_FACTOR_SCOPE`] reaches every 2FA operation but the email resend, whose
//! `x-scopes` are `2fa:pin:manage` and `2fa:pin:send` only. Errors use the legacy format (`requestError.serviceException`, with
//! `validationErrors` per property), as Infobip's 2FA API does. Each body is held to its
//! description first (types, required properties, allowed values such as `pinType`'s: every
//! problem at once), then to the rules below.
//! - **Applications** are kept per account, with ids of 32 upper-case hex digits; a create
//!   answers 201, as the description says (every other 2FA success is a 200). A missing
//!   `configuration` takes Infobip's defaults (`pinAttempts` 10, `pinTimeToLive` `15m`,
//!   `verifyPinLimit` `1/3s`, `sendPinPerApplicationLimit` `10000/1d`,
//!   `sendPinPerPhoneNumberLimit` `3/1d`, `allowMultiplePinVerifications` true), as does
//!   any setting a given configuration omits. Time lengths are digits then `ms`, `s`, `m`,
//!   `h` or `d`; limits are `count/length` (`3/d` reads as `3/1d`); anything else, or
//!   `pinAttempts` below 1, is a 400 naming `configuration.<setting>`. On update the name
//!   is replaced; a `configuration` or `enabled` given replaces the stored one, an omitted one
//!   is kept. A disabled application sends no PIN (400).
//! - **Templates** (SMS) belong to an application; `messageText` must contain `{{pin}}`,
//!   `pinLength` is 1 to 16 (4 when absent), `pinType` one of the four. Update replaces each
//!   field given. The voice settings are kept and change nothing.
//! - **PINs.** NUMERIC is digits, ALPHA upper-case letters, HEX `0-9A-F`, ALPHANUMERIC both
//!   (Infobip does not say which case). A send makes one and sends it at once as an SMS
//!   through the SMS store, from the request's `from` else the template's `senderId`, the
//!   text the template's `messageText` with `{{pin}}` and each `{{name}}` of `placeholders`
//!   replaced, once (a value is not searched for placeholders in turn), and at most 1 MiB
//!   long (else a 400 naming `placeholders`, the send not counted against any limit). A
//!   `pinTimeToLive` that reaches past the calendar's last date makes a PIN that never
//!   expires. It is logged, priced and reported like any SMS (pulled: the 2FA description
//!   names no webhook, so none is posted; `trackDelivery` changes nothing). The answer has
//!   `pinId`, `to`, `smsStatus` `MESSAGE_SENT` and, with `ncNeeded=true`, `ncStatus`:
//!   `NC_DESTINATION_NOT_REACHABLE` for numbers configured undeliverable or rejected (the
//!   SMS is sent anyway), else `NC_DESTINATION_REACHABLE`. `to` is checked as SMS
//!   numbers are (400 naming `to`); an unknown `applicationId` or `messageId` is a 404.
//! - **Limits.** Each send and resend counts against the application's
//!   `sendPinPerApplicationLimit` and, per number, `sendPinPerPhoneNumberLimit`; each verify
//!   against `verifyPinLimit` per (application, number), all on the sandbox clock, in
//!   rolling windows. Over a limit: 429 (`TOO_MANY_REQUESTS`) with `Retry-After`, nothing
//!   sent or counted (Infobip documents the limits, not the answer).
//! - **Verify**, in this order: no attempts left: `NO_MORE_PIN_ATTEMPTS`; past the time to
//!   live (set at sending): `PIN_EXPIRED` (no attempt counted); already verified while the
//!   application (as it is now) disallows multiple verifications: 400; the right PIN (exact,
//!   case included): `verified: true` (`verifiedAt` is the first success); else an attempt
//!   is used and the answer is `WRONG_PIN`, down to `attemptsRemaining` 0. All but the 400
//!   are 200 answers with `verified: false` and `pinError`, as Infobip's are.
//! - **Resend** sends the same PIN in a new SMS (placeholders given replace the original
//!   ones), without extending its time to live; an expired, exhausted or verified PIN is a
//!   400. Unknown ids (application, template, PIN) of the caller's account are 404s.
//! - **Verification status** lists the application's PINs sent to `msisdn` (required),
//!   newest first, `sentAt` and `verifiedAt` in epoch milliseconds; `verified` filters;
//!   every PIN kept was sent, so `sent=false` lists none. PINs are kept for the sandbox's
//!   life.
//! - **Seeing a PIN** (sandbox-only, Infobip never shows one): [`Sandbox::last_pin`] and
//!   [`Sandbox::pin`], and `GET /sandbox/2fa/pins/{pinId}`, which needs credentials of the
//!   PIN's account that the verify operation would take (its schemes and scopes; errors in
//!   its format) and answers the `pin`, `to`, ids, times (epoch milliseconds), attempts left
//!   and SMS message ids. It is not an [`Endpoint`]: it is logged with none, and faults are
//!   not injected into it. PINs never reach the log:
//!   [`RecordedRequest`]'s `Debug` hides the bodies of sends, resends and verifies.
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

mod account;
mod account_bodies;
mod clock;
mod config;
mod described;
mod errors;
mod http;
mod ids;
mod keys;
mod log;
mod model;
mod routes;
mod server;
mod sms;
mod state;
mod time;
mod two_factor;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    Account, SandboxConfig, SessionRule, DEMO_ACCOUNT_ID, DEMO_PASSWORD, DEMO_USERNAME,
    MANAGE_SCOPE, SMS_CURRENCY, SMS_PRICE_PER_PART, SMS_SCOPE, TWO_FACTOR_SCOPE,
};
pub use described::sample::{
    every_scope, sample_calls, ArgumentPlace, SampleArgument, SampleBody, SampleCall,
    SampleCredential, SampleField, SampleFieldValue, SampleShape,
};
pub use described::LoadError;
pub use keys::CreatedKey;
pub use log::{LogLimits, LogStats};
pub use model::{Endpoint, Fault, RecordedRequest, SchemeUsed};
pub use server::{Sandbox, SandboxError, StartError};
