//! Infobip's error bodies, read into one type whichever of its two formats an endpoint used.

use std::fmt;

use infobip_client::{ApiError, ApiException, ErrorBody};

use crate::redact::{redact_json, redact_text};

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

const RAW_LIMIT: usize = 2048;

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
    /// Reads a response body in either format; anything else is kept as `raw`.
    pub fn from_body(status: Option<u16>, body: &[u8]) -> Self {
        if let Ok(new) = serde_json::from_slice::<ApiError>(body) {
            return Self::from_new(status, &new);
        }
        if let Ok(legacy) = serde_json::from_slice::<ApiException>(body) {
            return Self::from_legacy(status, &legacy);
        }
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
        let mut raw: String = text.chars().take(RAW_LIMIT).collect();
        if raw.len() < text.len() {
            raw.push('…');
        }
        Self {
            status,
            code: status.map(|s| format!("E{s}")).unwrap_or_default(),
            description: String::from("the error body is in neither of Infobip's formats"),
            raw: Some(raw),
            ..Self::default()
        }
    }

    /// From the newer format.
    pub fn from_new(status: Option<u16>, error: &ApiError) -> Self {
        Self {
            status,
            code: error.error_code.clone(),
            description: error.description.clone(),
            action: Some(error.action.clone()).filter(|a| !a.is_empty()),
            violations: error
                .violations
                .iter()
                .map(|v| Violation {
                    property: v.property.clone().unwrap_or_default(),
                    violation: v.violation.clone().unwrap_or_default(),
                })
                .collect(),
            resources: error
                .resources
                .iter()
                .map(|r| Resource {
                    name: r.name.clone().unwrap_or_default(),
                    url: r.url.clone().unwrap_or_default(),
                })
                .collect(),
            message_id: None,
            raw: None,
        }
    }

    /// From the legacy format.
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
            description: exception
                .text
                .clone()
                .or_else(|| error.error.clone())
                .unwrap_or_default(),
            action: None,
            violations: properties
                .flat_map(|(property, messages)| {
                    messages.iter().map(move |m| Violation {
                        property: property.clone(),
                        violation: m.clone(),
                    })
                })
                .collect(),
            resources: Vec::new(),
            message_id,
            raw: None,
        }
    }

    /// Infobip's error inside an error of the generated client, if it carries a response.
    pub fn from_client_error<E: IntoInfobipError>(
        error: &infobip_client::Error<E>,
    ) -> Option<Self> {
        match error {
            infobip_client::Error::ErrorResponse(response) => {
                Some(response.as_infobip_error(Some(response.status().as_u16())))
            }
            infobip_client::Error::InvalidResponsePayload(body, _) => {
                Some(Self::from_body(None, body))
            }
            _ => None,
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

/// The generated error types that [`InfobipError`] can be read from.
pub trait IntoInfobipError {
    /// Converts, given the HTTP status if known.
    fn as_infobip_error(&self, status: Option<u16>) -> InfobipError;
}

impl IntoInfobipError for ApiError {
    fn as_infobip_error(&self, status: Option<u16>) -> InfobipError {
        InfobipError::from_new(status, self)
    }
}

impl IntoInfobipError for ApiException {
    fn as_infobip_error(&self, status: Option<u16>) -> InfobipError {
        InfobipError::from_legacy(status, self)
    }
}

impl IntoInfobipError for ErrorBody {
    fn as_infobip_error(&self, status: Option<u16>) -> InfobipError {
        match self {
            ErrorBody::Api(new) => InfobipError::from_new(status, new),
            ErrorBody::Exception(legacy) => InfobipError::from_legacy(status, legacy),
            // The same redaction and bound as a body read from the wire.
            ErrorBody::Other(json) => InfobipError::from_body(status, json.to_string().as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_body_maps_to_the_new_codes() {
        let body = br#"{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Slow down","validationErrors":{"size":["must be at most 100","must be positive"]}}}}"#;
        let error = InfobipError::from_body(Some(429), body);
        assert_eq!(error.code, "E429");
        assert_eq!(error.message_id.as_deref(), Some("TOO_MANY_REQUESTS"));
        assert_eq!(error.description, "Slow down");
        assert_eq!(error.violations.len(), 2);
        assert_eq!(error.violations[1].violation, "must be positive");
        assert_eq!(
            error.to_string(),
            "HTTP 429 E429 Slow down; size: must be at most 100; size: must be positive"
        );
        for (id, code) in [
            ("BAD_REQUEST", "E400"),
            ("UNAUTHORIZED", "E401"),
            ("FORBIDDEN", "E403"),
            ("NOT_FOUND", "E404"),
            ("TOO_MANY_REQUESTS", "E429"),
            ("GENERAL_ERROR", "E500"),
        ] {
            assert_eq!(legacy_code(id), Some(code));
        }
    }

    #[test]
    fn unknown_legacy_ids_fall_back_to_the_status() {
        let body = br#"{"requestError":{"serviceException":{"messageId":"SOMETHING_NEW"}}}"#;
        assert_eq!(InfobipError::from_body(Some(418), body).code, "E418");
        assert_eq!(InfobipError::from_body(None, body).code, "SOMETHING_NEW");
    }

    #[test]
    fn new_body_is_read_as_is() {
        let body = br#"{"errorCode":"E403","description":"Insufficient permissions","action":"Add a scope","violations":[{"property":"scopeGuids","violation":"missing"}],"resources":[{"name":"Docs","url":"https://example.com"}]}"#;
        let error = InfobipError::from_body(Some(403), body);
        assert_eq!(error.code, "E403");
        assert_eq!(error.action.as_deref(), Some("Add a scope"));
        assert_eq!(error.resources[0].url, "https://example.com");
        assert_eq!(
            error.to_string(),
            "HTTP 403 E403 Insufficient permissions; scopeGuids: missing (action: Add a scope)"
        );
    }

    #[test]
    fn other_bodies_are_kept_raw_and_cut() {
        let error = InfobipError::from_body(Some(502), b"<html>bad gateway</html>");
        assert_eq!(error.raw.as_deref(), Some("<html>bad gateway</html>"));
        let long = vec![b'x'; 10_000];
        let error = InfobipError::from_body(None, &long);
        assert_eq!(error.raw.unwrap().chars().count(), RAW_LIMIT + 1);
    }

    #[test]
    fn secrets_in_an_unreadable_json_body_are_redacted() {
        // A token response whose `expires_in` is not a number fails to parse and lands here.
        let body = br#"{"access_token":"tok-S3CRET","expires_in":"soon","nested":[{"apiKeySecret":"key-S3CRET","Password":"pw-S3CRET","name":"kept"}]}"#;
        let error = InfobipError::from_body(Some(200), body);
        let raw = error.raw.unwrap();
        assert!(!raw.contains("S3CRET"), "{raw}");
        assert!(raw.contains(r#""access_token":"[redacted]""#), "{raw}");
        assert!(raw.contains(r#""expires_in":"soon""#), "{raw}");
        assert!(raw.contains(r#""name":"kept""#), "{raw}");
    }
}
