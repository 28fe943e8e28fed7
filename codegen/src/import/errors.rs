//! Error responses: every declared error body becomes one shared component, [`ERROR_BODY`].
//!
//! Infobip's documents give each status its own copy of an error schema (`ApiException401`,
//! `ApiException403`, a `StatusCodeResponse` for 400 ...), and progenitor 0.15 asserts one
//! error type per operation. The copies all describe one of Infobip's two error formats (or,
//! for a few products such as Flow, some other JSON), so the import points every error
//! response at [`ERROR_BODY`], which the client's rim reads into one type that understands both
//! formats and keeps anything else as raw JSON. The status stays on the response.

use serde_yaml::{Mapping, Value};

use super::doc::{resolve, scalar_text, Op};
use super::report::Change;
use super::{Log, Owner};

/// The shared error body's schema name; the codegen replaces it with the rim's `ErrorBody`.
pub(crate) const ERROR_BODY: &str = "ErrorBody";

pub(crate) fn is_success(status: &str) -> bool {
    matches!(status.chars().next(), Some('1' | '2' | '3'))
}

/// Drops error responses that have no body, or no schema for it (the conversion gave those an
/// empty schema): progenitor needs a body schema for each declared error, and without a
/// declaration the status still arrives as an error.
pub(crate) fn drop_bodiless(doc: &mut Value, ops: &[Op], log: &mut Log) {
    for (index, op) in ops.iter().enumerate() {
        let Some(responses) = op.get(doc).and_then(|o| o.get("responses")) else {
            continue;
        };
        let Some(map) = responses.as_mapping() else {
            continue;
        };
        let bodiless: Vec<Value> = map
            .iter()
            .filter(|(status, _)| !is_success(&scalar_text(status)))
            .filter(|(_, response)| resolve(doc, response).is_some_and(untyped))
            .map(|(status, _)| status.clone())
            .collect();
        if bodiless.is_empty() {
            continue;
        }
        if let Some(Value::Mapping(responses)) =
            op.get_mut(doc).and_then(|o| o.get_mut("responses"))
        {
            for status in bodiless {
                responses.shift_remove(&status);
                log.changes
                    .push((Owner::Operation(index), Change::BodilessErrorDropped));
            }
        }
    }
}

/// A response with no body, or only bodies whose schema says nothing (`{}`).
fn untyped(response: &Value) -> bool {
    let Some(content) = response.get("content").and_then(Value::as_mapping) else {
        return true;
    };
    content.values().all(|media| {
        media
            .get("schema")
            .is_none_or(|s| s.as_mapping().is_some_and(Mapping::is_empty))
    })
}

/// Points every error response that has a body at [`ERROR_BODY`] (written inline in the
/// operation, so that a shared `components.responses` entry is left for success responses
/// that use it) and adds the component when any operation uses it.
pub(crate) fn unify(doc: &mut Value, ops: &[Op], log: &mut Log) {
    let shared = shared_response();
    let mut used = false;
    for (index, op) in ops.iter().enumerate() {
        let Some(Value::Mapping(responses)) = op.get_mut(doc).and_then(|o| o.get_mut("responses"))
        else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if is_success(&scalar_text(status)) {
                continue;
            }
            if *response != shared {
                *response = shared.clone();
                log.changes
                    .push((Owner::Operation(index), Change::ErrorBodyShared));
            }
            used = true;
        }
        // With one body for all, `401` beside `4XX` says nothing more, and progenitor would
        // match it after the range (an unreachable arm).
        let covered: Vec<Value> = responses
            .keys()
            .filter(|status| {
                let status = scalar_text(status);
                let range = format!("{}XX", &status[..1.min(status.len())]);
                status.len() == 3
                    && status.bytes().all(|b| b.is_ascii_digit())
                    && !is_success(&status)
                    && responses.contains_key(range.as_str())
            })
            .cloned()
            .collect();
        for status in covered {
            responses.shift_remove(&status);
            log.changes
                .push((Owner::Operation(index), Change::CoveredErrorStatusDropped));
        }
    }
    if used {
        add_component(doc);
    }
}

/// An error response whose JSON body is the shared component.
fn shared_response() -> Value {
    let reference = Value::String(format!("#/components/schemas/{ERROR_BODY}"));
    let schema: Mapping = [(Value::from("$ref"), reference)].into_iter().collect();
    let json: Mapping = [(Value::from("schema"), Value::Mapping(schema))]
        .into_iter()
        .collect();
    let content: Mapping = [(Value::from("application/json"), Value::Mapping(json))]
        .into_iter()
        .collect();
    [
        (Value::from("description"), Value::from("error")),
        (Value::from("content"), Value::Mapping(content)),
    ]
    .into_iter()
    .collect::<Mapping>()
    .into()
}

/// Any JSON object: the rim's type reads Infobip's two formats and keeps the rest raw.
fn add_component(doc: &mut Value) {
    let Some(root) = doc.as_mapping_mut() else {
        return;
    };
    let components = root
        .entry("components".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    let Some(components) = components.as_mapping_mut() else {
        return;
    };
    let schemas = components
        .entry("schemas".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Some(schemas) = schemas.as_mapping_mut() {
        let schema: Mapping = [(Value::from("type"), Value::from("object"))]
            .into_iter()
            .collect();
        schemas.insert(ERROR_BODY.into(), Value::Mapping(schema));
    }
}
