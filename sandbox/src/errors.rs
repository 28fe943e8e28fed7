//! Error answers in the two body formats Infobip uses.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::model::{Endpoint, ErrorFormat};

/// Infobip's page on API scopes: the resource a 403 for a missing scope points to.
const API_SCOPES_URL: &str =
    "https://www.infobip.com/docs/essentials/api-essentials/api-authorization";

/// The most violations an answer lists: the first 20 are enough to fix a request by, and a
/// body with a fault in each of its thousands of values must not make an answer many times
/// its own size.
pub(crate) const MAX_VIOLATIONS: usize = 20;

/// An error answer, rendered in whichever format the endpoint uses.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub text: String,
    /// `(property path, what is wrong)`.
    pub violations: Vec<(String, String)>,
    /// `(name, url)`: the newer format's `resources`; the legacy format has no place for them.
    pub resources: Vec<(String, String)>,
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn new(status: StatusCode, text: impl Into<String>) -> Self {
        Self {
            status,
            text: text.into(),
            violations: Vec::new(),
            resources: Vec::new(),
            retry_after: None,
        }
    }

    pub fn unauthorized(text: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, text)
    }

    pub fn forbidden(text: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, text)
    }

    pub fn bad_request(text: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, text)
    }

    pub fn invalid(property: &str, violation: impl Into<String>) -> Self {
        let violation = violation.into();
        Self {
            violations: vec![(property.to_owned(), violation.clone())],
            ..Self::bad_request(format!("Invalid `{property}`: {violation}"))
        }
    }

    /// A 400 listing the violations found (the first [`MAX_VIOLATIONS`]), each
    /// `(property path, what is wrong)`.
    pub fn violations(mut violations: Vec<(String, String)>) -> Self {
        violations.truncate(MAX_VIOLATIONS);
        match violations.as_slice() {
            [(property, violation)] => Self::invalid(property, violation.clone()),
            _ => Self {
                violations,
                ..Self::bad_request("The request is not valid: see the violations")
            },
        }
    }

    /// A 403 for a credential none of whose API scopes is one of `scopes`, the alternatives
    /// the operation's `x-scopes` lists.
    pub fn missing_scope(scopes: &[&str]) -> Self {
        let wanted = scopes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let text = match scopes {
            [_] => {
                format!("Insufficient permissions: this endpoint requires the API scope {wanted}")
            }
            _ => format!(
                "Insufficient permissions: this endpoint requires one of the API scopes {wanted}"
            ),
        };
        Self {
            resources: vec![("API Scopes".to_owned(), API_SCOPES_URL.to_owned())],
            ..Self::forbidden(text)
        }
    }

    pub fn not_found(text: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, text)
    }

    pub fn too_many(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
        }
    }

    pub fn with_retry_after(mut self, seconds: Option<u64>) -> Self {
        self.retry_after = seconds;
        self
    }

    pub fn render(self, endpoint: Endpoint) -> Response {
        self.render_as(endpoint.error_format())
    }

    /// The answer in `format`.
    pub fn render_as(self, format: ErrorFormat) -> Response {
        let mut response = match format {
            ErrorFormat::Legacy => (self.status, Json(self.legacy(None))).into_response(),
            ErrorFormat::LegacyOAuth => {
                let error = oauth_error(self.status);
                (self.status, Json(self.legacy(Some(error)))).into_response()
            }
            ErrorFormat::New => (self.status, Json(self.new_format())).into_response(),
        };
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }

    fn legacy(&self, error: Option<String>) -> LegacyBody<'_> {
        let mut validation_errors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (property, violation) in &self.violations {
            validation_errors
                .entry(property.as_str())
                .or_default()
                .push(violation.as_str());
        }
        LegacyBody {
            request_error: LegacyRequestError {
                service_exception: LegacyDetails {
                    message_id: legacy_message_id(self.status),
                    text: &self.text,
                    validation_errors,
                },
            },
            error,
        }
    }

    fn new_format(&self) -> NewBody<'_> {
        NewBody {
            error_code: format!("E{}", self.status.as_u16()),
            description: &self.text,
            action: action(self.status),
            violations: self
                .violations
                .iter()
                .map(|(property, violation)| Violation {
                    property,
                    violation,
                })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|(name, url)| Resource { name, url })
                .collect(),
        }
    }
}

// The two bodies are the sandbox's own, written from the descriptions' error schemas rather
// than taken from the client, so a fault in the client's error types is not mirrored here.
// Field order is the wire order clients have always seen.

/// The legacy body: `{"requestError":{"serviceException":{...}},"error":...}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyBody<'a> {
    request_error: LegacyRequestError<'a>,
    /// The token endpoint's deprecated OAuth summary; absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyRequestError<'a> {
    service_exception: LegacyDetails<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyDetails<'a> {
    message_id: &'static str,
    text: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    validation_errors: BTreeMap<&'a str, Vec<&'a str>>,
}

/// The newer body: `errorCode`, `description`, `action`, `violations`, `resources`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewBody<'a> {
    error_code: String,
    description: &'a str,
    action: &'static str,
    violations: Vec<Violation<'a>>,
    resources: Vec<Resource<'a>>,
}

#[derive(Serialize)]
struct Violation<'a> {
    property: &'a str,
    violation: &'a str,
}

#[derive(Serialize)]
struct Resource<'a> {
    name: &'a str,
    url: &'a str,
}

/// The legacy `messageId`, per Infobip's Java client's mapping to the E-codes.
fn legacy_message_id(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        429 => "TOO_MANY_REQUESTS",
        _ => "GENERAL_ERROR",
    }
}

/// The token endpoint's deprecated `error` string, in OAuth 2.0's (RFC 6749) vocabulary where
/// one applies.
fn oauth_error(status: StatusCode) -> String {
    match status.as_u16() {
        400 => "invalid_request".to_owned(),
        401 => "invalid_client".to_owned(),
        _ => legacy_message_id(status).to_ascii_lowercase(),
    }
}

fn action(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Check the credentials and the Authorization header's scheme, then try again.",
        403 => "Use credentials whose API scopes include one this endpoint requires.",
        404 => "Check the identifier in the path.",
        429 => "Slow down; retry after the time in the Retry-After header.",
        // A 400, or a wrong method, media type or size: the same request fails again,
        // however late.
        code if (400..500).contains(&code) => {
            "Check the request against the API description and correct it."
        }
        _ => "Try again later.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Failure {
        Failure {
            resources: vec![("API Scopes".to_owned(), API_SCOPES_URL.to_owned())],
            ..Failure::violations(vec![
                ("to".to_owned(), "must not be blank".to_owned()),
                ("to".to_owned(), "must be a number".to_owned()),
                ("from".to_owned(), "too long".to_owned()),
            ])
        }
    }

    // The exact bytes clients have always received, key order included: the bodies are the
    // sandbox's own structs, so nothing else pins their order.
    #[test]
    fn legacy_body_has_the_wire_order_and_groups_violations_by_property() {
        let failure = sample();
        let json = serde_json::to_string(&failure.legacy(Some("invalid_request".to_owned())));
        assert_eq!(
            json.ok().as_deref(),
            Some(
                r#"{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"The request is not valid: see the violations","validationErrors":{"from":["too long"],"to":["must not be blank","must be a number"]}}},"error":"invalid_request"}"#
            )
        );
        let bare = serde_json::to_string(&Failure::not_found("No such key").legacy(None));
        assert_eq!(
            bare.ok().as_deref(),
            Some(
                r#"{"requestError":{"serviceException":{"messageId":"NOT_FOUND","text":"No such key"}}}"#
            )
        );
    }

    #[test]
    fn new_body_has_the_wire_order() {
        let json = serde_json::to_string(&sample().new_format());
        assert_eq!(
            json.ok().as_deref(),
            Some(concat!(
                r#"{"errorCode":"E400","description":"The request is not valid: see the violations","#,
                r#""action":"Check the request against the API description and correct it.","#,
                r#""violations":[{"property":"to","violation":"must not be blank"},"#,
                r#"{"property":"to","violation":"must be a number"},"#,
                r#"{"property":"from","violation":"too long"}],"#,
                r#""resources":[{"name":"API Scopes","url":"https://www.infobip.com/docs/essentials/api-essentials/api-authorization"}]}"#
            ))
        );
    }
}
