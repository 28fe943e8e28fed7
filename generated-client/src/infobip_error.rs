//! Infobip's error bodies, read into one type whichever of its two formats an endpoint used.

use std::fmt;

use crate::redact::{redact_json, redact_text, redacted_text};
use crate::{ApiError, ApiException, ErrorBody};

/// Infobip's error body, whichever of its two formats the endpoint used.
///
/// The legacy format (`requestError.serviceException`, used by the session, token and balance
/// endpoints) is mapped onto the newer one (`errorCode`, `description`, `action`,
/// `violations`, `resources`) the way Infobip's own Java client does: `UNAUTHORIZED` becomes
/// `E401`, `text` the description, each validation error a violation. A body in neither
/// format is kept as [`raw`](Self::raw).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InfobipError {
    /// The HTTP status, when known.
    pub status: Option<u16>,
    /// `E400`, `E401`, `E403`, `E404`, `E429`, `E500`, ...; empty when the body was unreadable.
    pub code: String,
    /// What went wrong, in Infobip's words.
    pub description: String,
    /// What Infobip suggests doing.
    pub action: Option<String>,
    /// Per-field problems.
    pub violations: Vec<Violation>,
    /// Links to documentation.
    pub resources: Vec<Resource>,
    /// The legacy `messageId` (e.g. `UNAUTHORIZED`), when the body was in the legacy format.
    pub message_id: Option<String>,
    /// The body as received, when it was in neither format (cut to 2 KiB). In a JSON body,
    /// the values of fields that carry secrets (`token`, `access_token`, `password`,
    /// `client_secret`, `apiKeySecret`, ...) are replaced by `[redacted]`: a success body
    /// that failed to parse lands here too.
    pub raw: Option<String>,
}

/// One per-field problem in an [`InfobipError`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violation {
    /// The field.
    pub property: String,
    /// What is wrong with it.
    pub violation: String,
}

/// A documentation link in an [`InfobipError`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    /// Link text.
    pub name: String,
    /// Address.
    pub url: String,
}

/// Maps a legacy `messageId` onto the newer error codes, as Infobip's Java client does.
pub fn legacy_code(message_id: &str) -> Option<&'static str> {
    Some(match message_id {
        "BAD_REQUEST" => "E400",
        "UNAUTHORIZED" => "E401",
        "FORBIDDEN" => "E403",
        "NOT_FOUND" => "E404",
        "TOO_MANY_REQUESTS" => "E429",
        "GENERAL_ERROR" => "E500",
        _ => return None,
    })
}

impl InfobipError {
    /// How much of a body in neither format [`raw`](Self::raw) keeps, in characters.
    pub const RAW_LIMIT: usize = 2048;

    /// Reads a response body in either format; anything else is kept as `raw`.
    pub fn from_body(status: Option<u16>, body: &[u8]) -> Self {
        if let Ok(new) = serde_json::from_slice::<ApiError>(body) {
            return Self::from_new(status, &new);
        }
        if let Ok(legacy) = serde_json::from_slice::<ApiException>(body) {
            return Self::from_legacy(status, &legacy);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            // An empty answer (a proxy's 502, a bare 429): the status is all there is.
            let reason = status
                .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason());
            return Self {
                status,
                code: status.map(|s| format!("E{s}")).unwrap_or_default(),
                description: format!("{} (no body)", reason.unwrap_or("no answer text")),
                ..Self::default()
            };
        }
        let raw = Self::shown(body);
        Self {
            status,
            code: status.map(|s| format!("E{s}")).unwrap_or_default(),
            description: String::from("the error body is in neither of Infobip's formats"),
            raw: Some(raw),
            ..Self::default()
        }
    }

    /// A body fit to show: the values of secret-named fields taken out, cut to
    /// [`RAW_LIMIT`](Self::RAW_LIMIT) characters.
    pub(crate) fn shown(body: &[u8]) -> String {
        // Re-serialised only when something was redacted, so that any other body is kept
        // byte for byte (field order and spacing included). A body that is not JSON (an
        // error page that echoes the request) loses the values of secret-named keys.
        let text = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut json) => {
                if redact_json(&mut json) {
                    std::borrow::Cow::Owned(json.to_string())
                } else {
                    String::from_utf8_lossy(body)
                }
            }
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                match redact_text(&text) {
                    Some(clean) => std::borrow::Cow::Owned(clean),
                    None => text,
                }
            }
        };
        let mut raw: String = text.chars().take(Self::RAW_LIMIT).collect();
        if raw.len() < text.len() {
            raw.push('…');
        }
        raw
    }

    /// From the newer format. Its words are Infobip's, but a server (or a proxy answering in
    /// Infobip's format) can quote the request in them: what [`redact_text`] finds there is
    /// taken out, as it is from a body in neither format.
    pub fn from_new(status: Option<u16>, error: &ApiError) -> Self {
        Self {
            status,
            code: error.error_code.clone(),
            description: redacted_text(&error.description),
            action: Some(redacted_text(&error.action)).filter(|a| !a.is_empty()),
            violations: error
                .violations
                .iter()
                .map(|v| Violation {
                    property: v.property.clone().unwrap_or_default(),
                    violation: redacted_text(v.violation.as_deref().unwrap_or_default()),
                })
                .collect(),
            resources: error
                .resources
                .iter()
                .map(|r| Resource {
                    name: r.name.clone().unwrap_or_default(),
                    url: redacted_text(r.url.as_deref().unwrap_or_default()),
                })
                .collect(),
            message_id: None,
            raw: None,
        }
    }

    /// From the legacy format; its words redacted as [`from_new`](Self::from_new)'s are.
    pub fn from_legacy(status: Option<u16>, error: &ApiException) -> Self {
        let exception = &error.request_error.service_exception;
        let message_id = exception.message_id.clone();
        let code = message_id
            .as_deref()
            .and_then(legacy_code)
            .map(str::to_owned)
            .or_else(|| status.map(|s| format!("E{s}")))
            .or_else(|| message_id.clone())
            .unwrap_or_default();
        // `validationErrors` is read into an ordered map, so the same body always reads as the
        // same error (and the same text); messages keep the server's order.
        let properties = exception.validation_errors.iter();
        Self {
            status,
            code,
            description: redacted_text(
                exception
                    .text
                    .as_deref()
                    .or(error.error.as_deref())
                    .unwrap_or_default(),
            ),
            action: None,
            violations: properties
                .flat_map(|(property, messages)| {
                    messages.iter().map(move |m| Violation {
                        property: property.clone(),
                        violation: redacted_text(m),
                    })
                })
                .collect(),
            resources: Vec::new(),
            message_id,
            raw: None,
        }
    }

    /// From a body already read as [`ErrorBody`]: either format, or any other JSON (redacted
    /// and cut like a body read from the wire).
    pub fn from_error_body(status: Option<u16>, body: &ErrorBody) -> Self {
        match body {
            ErrorBody::Api(new) => Self::from_new(status, new),
            ErrorBody::Exception(legacy) => Self::from_legacy(status, legacy),
            ErrorBody::Other(json) => Self::from_body(status, json.to_string().as_bytes()),
        }
    }
}

impl fmt::Display for InfobipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(status) = self.status {
            write!(f, "HTTP {status} ")?;
        }
        if !self.code.is_empty() {
            write!(f, "{} ", self.code)?;
        }
        f.write_str(&self.description)?;
        for v in &self.violations {
            write!(f, "; {}: {}", v.property, v.violation)?;
        }
        if let Some(action) = &self.action {
            write!(f, " (action: {action})")?;
        }
        if let Some(raw) = &self.raw {
            let short: String = raw.chars().take(200).collect();
            write!(f, ": {short}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InfobipError {}
