use std::fmt;

use infobip_client::security::Operation;
use infobip_client::types::{ApiError, LegacyApiError};

use crate::Scheme;

/// Why a client could not be configured, or why credentials could not be obtained or used.
///
/// Every message names the cause and what to do about it, and none contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A builder setting or environment variable is unusable.
    #[error("invalid `{field}`: {reason}")]
    Config {
        /// The setting (builder method or environment variable).
        field: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// The operation does not accept the configured scheme; nothing was sent.
    #[error(
        "`{}` does not accept {scheme}; it accepts {}. Build a client with one of those schemes for this call",
        .operation.operation_id(),
        accepted(.operation)
    )]
    SchemeNotAccepted {
        /// The operation that was called.
        operation: Operation,
        /// The configured scheme.
        scheme: Scheme,
    },

    /// Infobip rejected the username/password (or client id/secret). Not retried.
    #[error(
        "{scheme} login was rejected by `{}` ({error}); check the username and password",
        .operation.operation_id()
    )]
    BadCredentials {
        /// The configured scheme.
        scheme: Scheme,
        /// The login operation that answered.
        operation: Operation,
        /// Infobip's error.
        error: Box<InfobipError>,
    },

    /// Infobip refused to create a session for a reason other than bad credentials. The usual
    /// cause is a session for the same user that this client does not hold.
    #[error(
        "Infobip refused to create a session ({error}). If another process or client holds a \
         session for this user (or this client could not destroy its previous one), Infobip \
         may refuse new ones until that session is destroyed (DELETE /auth/1/session with its \
         token) or idles out (60 minutes): end it there, or use OAuth 2.0 or an API key, which \
         have no such limit"
    )]
    SessionRefused {
        /// Infobip's error.
        error: Box<InfobipError>,
    },

    /// The token or session endpoint kept failing (or failed in a way that is not retried).
    #[error(
        "`{}` failed after {attempts} attempt(s): {cause}. Infobip may be unavailable or \
         throttling this account; try again later",
        .operation.operation_id()
    )]
    Unavailable {
        /// The token or session operation.
        operation: Operation,
        /// How many requests were sent.
        attempts: u32,
        /// The last failure.
        cause: String,
    },

    /// Another process sharing the token store failed to obtain a token a few seconds ago;
    /// rather than repeat its requests, this one reports its failure.
    #[error(
        "`{}` failed moments ago for a client sharing this token store (another process, or \
         this one): {cause}. It is tried again once 10 s have passed",
        .operation.operation_id()
    )]
    FailedElsewhere {
        /// The token or session operation.
        operation: Operation,
        /// The other process's error.
        cause: String,
    },

    /// The token or session endpoint answered success with a body that is not a token.
    #[error(
        "`{}` answered HTTP {status} with a body that is not a token ({detail}); this is a \
         server or proxy fault, not a credentials problem",
        .operation.operation_id()
    )]
    MalformedResponse {
        /// The token or session operation.
        operation: Operation,
        /// The HTTP status.
        status: u16,
        /// What was wrong with the body.
        detail: String,
    },

    /// `destroy-session` was called but this client holds no session.
    #[error("there is no session to destroy: this client has not logged in, or has logged out")]
    NoSession,

    /// Ending a session failed for a reason other than it being already gone.
    #[error("destroying the session failed: {cause}; it ends by itself after 60 idle minutes")]
    Logout {
        /// What went wrong.
        cause: String,
    },

    /// `logout` was called on a client that was not built by this crate.
    #[error("this client was not built by the auth crate, so it has no session to end")]
    NotAnAuthClient,
}

fn accepted(operation: &Operation) -> String {
    let schemes: Vec<String> = operation.schemes().iter().map(|s| s.to_string()).collect();
    if schemes.is_empty() {
        String::from("no authentication")
    } else {
        schemes.join(", ")
    }
}

/// An auth failure during a call, as the generated client reports it.
///
/// The generated client can only carry hook failures as text (`Error::Custom`), so this type
/// formats the operation, the scheme and the cause into one message that starts with
/// [`CallError::PREFIX`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{prefix}`{}` with {scheme}: {cause}", .operation.operation_id(), prefix = Self::PREFIX)]
pub struct CallError {
    /// The operation being called.
    pub operation: Operation,
    /// The configured scheme.
    pub scheme: Scheme,
    /// What went wrong.
    pub cause: AuthError,
}

impl CallError {
    /// The start of every auth failure message inside `infobip_client::Error::Custom`.
    pub const PREFIX: &'static str = "infobip auth failed for ";
}

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

/// Whether a JSON field of this name may hold a secret.
fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "password", "authorization"]
        .iter()
        .any(|s| name.contains(s))
}

/// Replaces, at any depth, the values of fields whose names say they hold a secret; true if
/// it replaced any.
fn redact(json: &mut serde_json::Value) -> bool {
    match json {
        serde_json::Value::Object(fields) => {
            let mut redacted = false;
            for (name, value) in fields.iter_mut() {
                if is_secret_field(name) {
                    *value = serde_json::Value::String(String::from("[redacted]"));
                    redacted = true;
                } else {
                    redacted |= redact(value);
                }
            }
            redacted
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |r, v| redact(v) | r),
        _ => false,
    }
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
    /// Reads a response body in either format; anything else is kept as `raw`.
    pub fn from_body(status: Option<u16>, body: &[u8]) -> Self {
        if let Ok(new) = serde_json::from_slice::<ApiError>(body) {
            return Self::from_new(status, &new);
        }
        if let Ok(legacy) = serde_json::from_slice::<LegacyApiError>(body) {
            return Self::from_legacy(status, &legacy);
        }
        // Re-serialised only when something was redacted, so that any other body is kept
        // byte for byte (field order and spacing included).
        let redacted = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|mut json| redact(&mut json).then(|| json.to_string()));
        let text = match redacted {
            Some(json) => std::borrow::Cow::Owned(json),
            None => String::from_utf8_lossy(body),
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
    pub fn from_legacy(status: Option<u16>, error: &LegacyApiError) -> Self {
        let exception = &error.request_error.service_exception;
        let message_id = exception.message_id.clone();
        let code = message_id
            .as_deref()
            .and_then(legacy_code)
            .map(str::to_owned)
            .or_else(|| status.map(|s| format!("E{s}")))
            .or_else(|| message_id.clone())
            .unwrap_or_default();
        // `validationErrors` is a map, read into a `HashMap` whose iteration order changes
        // from one read to the next; sorting by property makes the same body always read as
        // the same error (and the same text). Messages keep the server's order.
        let mut properties: Vec<_> = exception.validation_errors.iter().collect();
        properties.sort_by(|a, b| a.0.cmp(b.0));
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
                .into_iter()
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

impl IntoInfobipError for LegacyApiError {
    fn as_infobip_error(&self, status: Option<u16>) -> InfobipError {
        InfobipError::from_legacy(status, self)
    }
}

/// Whether an error of the generated client is an authentication failure raised by this crate
/// before or instead of sending the request (as opposed to an error answered by Infobip).
///
/// Such failures arrive as `Error::Custom` with a message naming the operation, the scheme and
/// the cause. A 401 that survived the one retry arrives as `Error::ErrorResponse` with status
/// 401 instead, since the server did answer.
pub fn is_auth_failure<E>(error: &infobip_client::Error<E>) -> bool {
    matches!(error, infobip_client::Error::Custom(m) if m.starts_with(CallError::PREFIX))
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
