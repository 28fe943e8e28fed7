//! A call of every described operation that its description allows, built from the
//! description alone: what the sandbox's own test sends over plain HTTP, and what the command
//! line's test sends through the generated client (its commands), so that both prove the same
//! requests.

use axum::http::Method;
use serde_json::Value;

use super::answer::{example, Shape};
use super::catalogue::{required_names, resolve, Catalogue, LoadError, Location, Operation};
use crate::model::{Endpoint, SchemeUsed};

/// The time the date-time values of a sample call stand for.
const NOW: &str = "2026-12-06T10:00:00.000+0000";

/// Which of the two calls of an operation: the first sends required parameters and
/// properties only and gets the answer with only the required properties, the second sends
/// every one and gets the answer with every property (a sandbox's calls of one operation
/// alternate between the two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleShape {
    /// Required parameters and properties only.
    Required,
    /// Every parameter and property.
    Full,
}

impl SampleShape {
    /// Both shapes, in the order a fresh sandbox answers them.
    pub const BOTH: [SampleShape; 2] = [SampleShape::Required, SampleShape::Full];

    fn answer(self) -> Shape {
        match self {
            SampleShape::Required => Shape::Required,
            SampleShape::Full => Shape::Full,
        }
    }
}

/// Where a [`SampleArgument`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentPlace {
    /// Into the path template.
    Path,
    /// The query string.
    Query,
    /// A header.
    Header,
}

/// One parameter of a [`SampleCall`].
#[derive(Debug, Clone)]
pub struct SampleArgument {
    /// As in the description (`messageId`).
    pub name: String,
    /// Where it goes.
    pub place: ArgumentPlace,
    /// Its value as text (a list's first item).
    pub value: String,
    /// The description requires it.
    pub required: bool,
    /// A secret (`format: password`), which a command line reads from standard input.
    pub secret: bool,
}

/// The body of a [`SampleCall`].
#[derive(Debug, Clone)]
pub enum SampleBody {
    /// A JSON value that fits the body's schema.
    Json(Value),
    /// A `multipart/form-data` body's fields.
    Multipart(Vec<SampleField>),
    /// Another media type, with a few bytes standing in.
    Other(String),
}

/// One field of a [`SampleBody::Multipart`].
#[derive(Debug, Clone)]
pub struct SampleField {
    /// As in the description (`fileName`).
    pub name: String,
    /// Its value.
    pub value: SampleFieldValue,
}

/// What a [`SampleField`] holds.
#[derive(Debug, Clone)]
pub enum SampleFieldValue {
    /// Text: a scalar, a list's first item, or an object as JSON.
    Text(String),
    /// A file (`format: binary`), whatever its content.
    File,
}

/// The credential a [`SampleCall`] can be signed with: the demo account's Basic where the
/// operation takes it, else an API key with every scope (see [`every_scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleCredential {
    /// The operation takes no credentials.
    None,
    /// The demo account's username and password.
    Basic,
    /// An API key of the demo account.
    ApiKey,
    /// None the demo account can give (only IBSSO or OAuth 2.0).
    Other,
}

/// One call of a described operation, fitting its description.
#[derive(Debug, Clone)]
pub struct SampleCall {
    /// The product (`whatsapp`), the description's file name in `spec/`.
    pub product: &'static str,
    /// The operation's `operationId`.
    pub operation_id: String,
    /// The HTTP method.
    pub method: Method,
    /// The path, its parameters filled in.
    pub path: String,
    /// Its parameters, in the description's order.
    pub arguments: Vec<SampleArgument>,
    /// Its body, where the operation takes one.
    pub body: Option<SampleBody>,
    /// What to sign it with.
    pub credential: SampleCredential,
    /// The status of a success.
    pub success_status: u16,
    /// A stateful handler serves it (auth, account, SMS, 2FA): its own tests prove it, and
    /// this request need not suit that state.
    pub stateful: bool,
}

/// A call of every described operation, in `shape`, in the descriptions' order.
///
/// # Errors
/// When a built-in description cannot be read (a stale copy: run `cargo xtask regen`).
pub fn sample_calls(shape: SampleShape) -> Result<Vec<SampleCall>, LoadError> {
    Ok(Catalogue::get()?
        .operations
        .iter()
        .map(|operation| sample(operation, shape))
        .collect())
}

/// Every API scope the descriptions name: a key with all of them reaches every operation.
///
/// # Errors
/// As [`sample_calls`].
pub fn every_scope() -> Result<Vec<String>, LoadError> {
    Ok(Catalogue::get()?
        .operations
        .iter()
        .flat_map(|o| o.scopes.iter().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// A parameter's value as text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.first().map(text).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// The fields of a form whose schema is `schema`: the required ones, or every one.
fn fields(root: &Value, schema: &Value, shape: SampleShape) -> Vec<SampleField> {
    let schema = resolve(root, schema);
    let required = required_names(schema);
    let binary = |schema: &Value| {
        resolve(root, schema).get("format").and_then(Value::as_str) == Some("binary")
    };
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(name, _)| shape == SampleShape::Full || required.contains(&name.as_str()))
        .map(|(name, property)| {
            let items = resolve(root, property).get("items");
            let value = if binary(property) || items.is_some_and(binary) {
                SampleFieldValue::File
            } else {
                SampleFieldValue::Text(text(&example(root, property, Shape::Full, NOW)))
            };
            SampleField {
                name: name.clone(),
                value,
            }
        })
        .collect()
}

fn sample(operation: &Operation, shape: SampleShape) -> SampleCall {
    let root = &operation.document.root;
    let mut path = operation.path.clone();
    let mut arguments = Vec::new();
    for parameter in &operation.parameters {
        if !parameter.required && shape == SampleShape::Required {
            continue;
        }
        let value = text(&example(root, &parameter.schema, Shape::Full, NOW));
        let place = match parameter.location {
            Location::Path => {
                path = path.replace(&format!("{{{}}}", parameter.name), &value);
                ArgumentPlace::Path
            }
            Location::Query => ArgumentPlace::Query,
            Location::Header => ArgumentPlace::Header,
        };
        let secret = resolve(root, &parameter.schema)
            .get("format")
            .and_then(Value::as_str)
            == Some("password");
        arguments.push(SampleArgument {
            name: parameter.name.clone(),
            place,
            value,
            required: parameter.required,
            secret,
        });
    }
    let body = operation.body.as_ref().and_then(|body| {
        let (media, schema) = body.content.first()?;
        Some(match media.as_str() {
            "application/json" => SampleBody::Json(example(root, schema, shape.answer(), NOW)),
            "multipart/form-data" => SampleBody::Multipart(fields(root, schema, shape)),
            other => SampleBody::Other(other.to_owned()),
        })
    });
    let credential = if operation.schemes.is_empty() {
        SampleCredential::None
    } else if operation.accepts(SchemeUsed::Basic) {
        SampleCredential::Basic
    } else if operation.accepts(SchemeUsed::ApiKey) {
        SampleCredential::ApiKey
    } else {
        SampleCredential::Other
    };
    // Any value stands for a path parameter when asking which handler serves the path.
    let template = operation
        .path
        .split('/')
        .map(|s| if s.starts_with('{') { "X1" } else { s })
        .collect::<Vec<_>>()
        .join("/");
    SampleCall {
        product: operation.document.product,
        operation_id: operation.id.clone(),
        method: operation.method.clone(),
        path,
        arguments,
        body,
        credential,
        success_status: operation.success.status,
        stateful: Endpoint::route(&operation.method, &template).is_some(),
    }
}
