//! The bodies of the SMS endpoints (`spec/sms.yaml`), the sandbox's own: only the properties
//! the handlers read or write, named as the description has them. Every other property of a
//! send is held to the description's schema alone (`crate::described::check`), so a fault in
//! the client's types is caught by the stand-in rather than mirrored by it.
//!
//! The answers' properties are in the order the client's types write them (alphabetical), so
//! the wire stays what it was when the sandbox wrote them with those types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /sms/3/messages`'s body.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SendRequest {
    pub messages: Vec<Message>,
    pub options: Option<RequestOptions>,
}

/// One message of a send: a content for one or more destinations.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Message {
    pub content: Content,
    pub destinations: Vec<Destination>,
    pub options: Option<MessageOptions>,
    pub sender: Option<String>,
    pub webhooks: Option<Webhooks>,
}

/// A message's content, text or binary, written back as it was read in the logs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(TextContent),
    Binary(BinaryContent),
}

/// `SmsTextMessageContent`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct TextContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transliteration: Option<String>,
}

/// `SmsLanguage`; the two shifts default to `false`, and are written so.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Language {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    #[serde(default)]
    pub locking_shift: bool,
    #[serde(default)]
    pub single_shift: bool,
}

/// `SmsBinaryMessageContent`; `dataCoding` and `esmClass` default to 0, and are written so.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BinaryContent {
    #[serde(default)]
    pub data_coding: i32,
    #[serde(default)]
    pub esm_class: i32,
    pub hex: String,
}

/// `SmsToDestination`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Destination {
    pub to: String,
    pub message_id: Option<String>,
}

/// `SmsMessageOptions`, the parts the sandbox keeps or checks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MessageOptions {
    pub campaign_reference_id: Option<String>,
    pub delivery_time_window: Option<DeliveryTimeWindow>,
    pub platform: Option<Platform>,
}

/// `DeliveryTimeWindow`: its hours and minutes are the description's to check.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DeliveryTimeWindow {
    pub days: Vec<String>,
}

/// `Platform`, read from a send and written in reports and logs.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Platform {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

/// `Webhooks`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Webhooks {
    pub callback_data: Option<String>,
    pub content_type: Option<String>,
    pub delivery: Option<DeliveryReporting>,
}

/// `MessageDeliveryReporting`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DeliveryReporting {
    pub notify: Option<bool>,
    pub url: Option<String>,
}

/// `SmsMessageRequestOptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestOptions {
    pub include_sms_count_in_response: Option<bool>,
    pub schedule: Option<Schedule>,
}

/// `RequestSchedulingSettings`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Schedule {
    pub bulk_id: Option<String>,
    #[serde(default, deserialize_with = "crate::time::deserialize_optional")]
    pub send_at: Option<DateTime<Utc>>,
}

/// `SmsResponseEnvelope`, the send's answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    pub messages: Vec<Accepted>,
}

/// One destination of a send, as the answer lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Accepted {
    pub destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<AcceptedDetails>,
    pub message_id: String,
    pub status: Status,
}

/// `SmsMessageResponseDetails`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AcceptedDetails {
    pub message_count: i32,
}

/// A status group (`MessageGeneralStatus`), which the logs can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum GeneralStatus {
    Accepted,
    Pending,
    Undeliverable,
    Delivered,
    Expired,
    Rejected,
}

impl GeneralStatus {
    /// Every group, in the description's order.
    pub const ALL: [GeneralStatus; 6] = [
        GeneralStatus::Accepted,
        GeneralStatus::Pending,
        GeneralStatus::Undeliverable,
        GeneralStatus::Delivered,
        GeneralStatus::Expired,
        GeneralStatus::Rejected,
    ];

    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            GeneralStatus::Accepted => "ACCEPTED",
            GeneralStatus::Pending => "PENDING",
            GeneralStatus::Undeliverable => "UNDELIVERABLE",
            GeneralStatus::Delivered => "DELIVERED",
            GeneralStatus::Expired => "EXPIRED",
            GeneralStatus::Rejected => "REJECTED",
        }
    }

    /// The group named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// `MessageStatus`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Status {
    pub description: &'static str,
    pub group_id: i32,
    pub group_name: GeneralStatus,
    pub id: i32,
    pub name: &'static str,
}

/// `MessageError`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Error {
    pub description: &'static str,
    pub group_id: i32,
    /// `MessageErrorGroup`: `OK`, `HANDSET_ERRORS`, `USER_ERRORS` or `OPERATOR_ERRORS`.
    pub group_name: &'static str,
    pub id: i32,
    pub name: &'static str,
    pub permanent: bool,
}

/// `MessagePrice`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Price {
    pub currency: &'static str,
    pub price_per_message: f64,
}

/// `DeliveryReports`: `results` is left out when empty, as the client's type writes it.
#[derive(Debug, Serialize)]
pub(crate) struct DeliveryReports {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<DeliveryReport>,
}

/// `DeliveryReport`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_reference_id: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub done_at: DateTime<Utc>,
    pub error: Error,
    pub message_count: i32,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    pub price: Price,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub sent_at: DateTime<Utc>,
    pub status: Status,
    pub to: String,
}

/// `LogResponseSmsLogSmsMessageContent`: `results` is left out when empty.
#[derive(Debug, Serialize)]
pub(crate) struct Logs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<LogEntry>,
}

/// `SmsLogSmsMessageContent`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_reference_id: Option<String>,
    pub content: Content,
    pub destination: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_time"
    )]
    pub done_at: Option<DateTime<Utc>>,
    pub error: Error,
    pub message_count: i32,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    pub price: Price,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub sent_at: DateTime<Utc>,
    pub status: Status,
}

/// `CursorPageInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Cursor {
    pub limit: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A present optional date-time, in Infobip's form (`skip_serializing_if` leaves out `None`).
fn serialize_optional_time<S: serde::Serializer>(
    instant: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match instant {
        Some(instant) => crate::time::serialize(instant, serializer),
        None => serializer.serialize_none(),
    }
}
