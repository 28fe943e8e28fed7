//! Infobip's two error bodies, shared by every product: the generator replaces each product's
//! copy of these schemas with the types here, so that one piece of code reads them all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The newer error body (`errorCode`, `description`, `action`, `violations`, `resources`), used
/// by the API key endpoints and by every version-3 product endpoint.
// Every field but the code may be missing: a body that has Infobip's code is read as its
// error, not shown raw, when it leaves out the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiError {
    /// `E400`, `E401`, `E403`, `E404`, `E429`, `E500`, ...
    #[serde(rename = "errorCode")]
    pub error_code: String,
    /// What went wrong.
    #[serde(default)]
    pub description: String,
    /// What to do about it.
    #[serde(default)]
    pub action: String,
    /// Per-field problems.
    #[serde(default)]
    pub violations: Vec<ApiErrorViolation>,
    /// Links to documentation.
    #[serde(default)]
    pub resources: Vec<ApiErrorResource>,
}

/// One per-field problem in an [`ApiError`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiErrorViolation {
    /// The field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// What is wrong with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<String>,
}

/// A documentation link in an [`ApiError`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiErrorResource {
    /// Link text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The legacy error body (`requestError.serviceException`), used by the session, token and
/// balance endpoints and by the older versions of the products.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiException {
    /// The error itself.
    #[serde(rename = "requestError")]
    pub request_error: ApiRequestError,
    /// A deprecated summary the token endpoint adds (`invalid_client`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The `requestError` of an [`ApiException`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiRequestError {
    /// The details.
    #[serde(rename = "serviceException")]
    pub service_exception: ApiRequestErrorDetails,
}

/// The `serviceException` of an [`ApiException`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiRequestErrorDetails {
    /// `BAD_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `TOO_MANY_REQUESTS`,
    /// `GENERAL_ERROR`, ...
    #[serde(rename = "messageId", default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Messages per field, in field order (so the same body always reads the same).
    #[serde(
        rename = "validationErrors",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub validation_errors: BTreeMap<String, Vec<String>>,
}

/// Any error body, as every imported operation declares it: Infobip's newer format, its
/// legacy format, or (for the few products that answer errors in a shape of their own) the
/// JSON as sent.
///
/// Infobip's documents give each status its own copy of an error schema; the import points
/// them all at this one type, so an operation has one error type whatever its statuses
/// declare, and code that reads errors works for every product.
///
/// ```
/// use infobip_client::ErrorBody;
///
/// let body: ErrorBody = serde_json::from_str(
///     r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}"#,
/// )?;
/// assert!(matches!(body, ErrorBody::Exception(_)));
/// let other: ErrorBody = serde_json::from_str(r#"{"code":42}"#)?;
/// assert!(matches!(other, ErrorBody::Other(_)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum ErrorBody {
    /// The newer format (`errorCode`, `description`, `action`, `violations`, `resources`).
    Api(ApiError),
    /// The legacy format (`requestError.serviceException`).
    Exception(ApiException),
    /// Neither: the body as sent.
    Other(serde_json::Value),
}

impl ErrorBody {
    /// Reads a parsed body: the format is told by its keys, and a body that has a format's
    /// key but not its shape is kept as sent rather than half read.
    pub fn from_value(value: serde_json::Value) -> ErrorBody {
        if value.get("requestError").is_some() {
            if let Ok(legacy) = ApiException::deserialize(&value) {
                return ErrorBody::Exception(legacy);
            }
        } else if value.get("errorCode").is_some() {
            if let Ok(newer) = ApiError::deserialize(&value) {
                return ErrorBody::Api(newer);
            }
        }
        ErrorBody::Other(value)
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(ErrorBody::from_value)
    }
}
