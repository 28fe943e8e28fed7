//! The bodies of the 2FA endpoints (`spec/two-factor.yaml`), the sandbox's own: only the
//! properties the handlers read or write, named as the description has them. A request is
//! held to the description's schema first (`crate::described::check`), so these types read
//! only bodies that fit it, and a fault in the client's types is caught rather than mirrored.
//!
//! The answers' properties are in the order the client's types write them (alphabetical), so
//! the wire stays what it was when the sandbox wrote them with those types.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// `ApplicationRequest`, the body of an application's create and update.
#[derive(Debug, Deserialize)]
pub(crate) struct ApplicationRequest {
    pub configuration: Option<Configuration>,
    pub enabled: Option<bool>,
    pub name: String,
}

/// `ApplicationConfiguration`; an omitted setting takes the description's default.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Configuration {
    #[serde(default = "default_true")]
    pub allow_multiple_pin_verifications: bool,
    #[serde(default = "default_pin_attempts")]
    pub pin_attempts: i32,
    #[serde(default = "default_pin_time_to_live")]
    pub pin_time_to_live: String,
    #[serde(default = "default_send_pin_per_application_limit")]
    pub send_pin_per_application_limit: String,
    #[serde(default = "default_send_pin_per_phone_number_limit")]
    pub send_pin_per_phone_number_limit: String,
    #[serde(default = "default_verify_pin_limit")]
    pub verify_pin_limit: String,
}

impl Default for Configuration {
    fn default() -> Self {
        Self {
            allow_multiple_pin_verifications: default_true(),
            pin_attempts: default_pin_attempts(),
            pin_time_to_live: default_pin_time_to_live(),
            send_pin_per_application_limit: default_send_pin_per_application_limit(),
            send_pin_per_phone_number_limit: default_send_pin_per_phone_number_limit(),
            verify_pin_limit: default_verify_pin_limit(),
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_pin_attempts() -> i32 {
    10
}

fn default_pin_time_to_live() -> String {
    "15m".to_owned()
}

fn default_send_pin_per_application_limit() -> String {
    "10000/1d".to_owned()
}

fn default_send_pin_per_phone_number_limit() -> String {
    "3/1d".to_owned()
}

fn default_verify_pin_limit() -> String {
    "1/3s".to_owned()
}

/// `ApplicationResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Application {
    pub application_id: String,
    pub configuration: Configuration,
    pub enabled: bool,
    pub name: String,
}

/// `PinType`: the characters a PIN is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum PinType {
    Numeric,
    Alpha,
    Hex,
    Alphanumeric,
}

/// `RegionalOptions` of a template.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Regional {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub india_dlt: Option<IndiaDlt>,
}

/// `IndiaDltOptions`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndiaDlt {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_template_id: Option<String>,
    pub principal_entity_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tele_marketer_id: Option<String>,
}

/// `CreateSmsOrVoiceMessageRequest`, a template's create.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewTemplate {
    pub message_text: String,
    pub pin_type: PinType,
    #[serde(flatten)]
    pub settings: TemplateSettings,
}

/// `UpdateSmsOrVoiceMessageRequest`, a template's update: each property given replaces the
/// stored one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateUpdate {
    pub message_text: Option<String>,
    pub pin_type: Option<PinType>,
    #[serde(flatten)]
    pub settings: TemplateSettings,
}

/// The optional properties of a template's create and update alike.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateSettings {
    pub language: Option<String>,
    pub pin_length: Option<i32>,
    pub regional: Option<Regional>,
    #[serde(rename = "repeatDTMF")]
    pub repeat_dtmf: Option<String>,
    pub sender_id: Option<String>,
    pub speech_rate: Option<f64>,
    pub voice_name: Option<String>,
}

/// `SmsOrVoiceMessage`, a template as the sandbox keeps and answers it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Template {
    pub application_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub message_id: String,
    pub message_text: String,
    pub pin_length: i32,
    pub pin_placeholder: &'static str,
    pub pin_type: PinType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional: Option<Regional>,
    #[serde(rename = "repeatDTMF", skip_serializing_if = "Option::is_none")]
    pub repeat_dtmf: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speech_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice_name: Option<String>,
}

/// `StartAuthenticationRequest`, a PIN's send.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StartRequest {
    pub application_id: String,
    pub from: Option<String>,
    pub message_id: String,
    #[serde(default)]
    pub placeholders: HashMap<String, String>,
    pub to: String,
}

/// `ResendPinRequest`.
#[derive(Debug, Deserialize)]
pub(crate) struct ResendRequest {
    #[serde(default)]
    pub placeholders: HashMap<String, String>,
}

/// `VerifyPinRequest`.
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyRequest {
    pub pin: String,
}

/// `StartAuthenticationResponse`, the answer of a send and a resend.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Started {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nc_status: Option<&'static str>,
    pub pin_id: String,
    pub sms_status: &'static str,
    pub to: String,
}

/// `VerifyPinResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verified {
    pub attempts_remaining: i32,
    pub msisdn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_error: Option<&'static str>,
    pub pin_id: String,
    pub verified: bool,
}

/// `VerificationResponse`: `verifications` is left out when empty, as the client's type
/// writes it.
#[derive(Debug, Serialize)]
pub(crate) struct Verifications {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verifications: Vec<Verification>,
}

/// `Verification`; times in milliseconds since the epoch, as the description has them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verification {
    pub msisdn: String,
    pub sent_at: i64,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<i64>,
}
