//! A request held against its operation's description: the parameters (presence, type,
//! allowed values), the body's media type, and a JSON body against its schema.
//!
//! The schemas are OpenAPI 3.0's dialect of JSON Schema; [`json_schema`] turns one into the
//! draft 4 the validator reads. What that changes, and why:
//! - `nullable: true` becomes a `null` alternative (draft 4 has no `nullable`);
//! - `oneOf` becomes `anyOf`: Infobip's alternatives overlap (a message whose type field
//!   decides its shape also fits its siblings), and a request that fits two of them is one
//!   Infobip takes;
//! - a read-only property is not required of a request (the server writes it);
//! - in a request, an optional property may be `null`, taken as absent: Infobip's own Python
//!   SDK sends every optional property it was not given as `null`, and Infobip takes it (a
//!   property that `allOf` requires in one part and declares in another may be `null` too);
//! - `format` stays an annotation, as in draft 4's default: Infobip's date-times carry
//!   `+0000`, which a strict RFC 3339 check refuses.

use axum::http::{header, HeaderMap};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{Draft, JsonType, Validator};
use serde_json::{Map, Value};

use crate::errors::{Failure, MAX_VIOLATIONS};
use crate::model::Endpoint;

use super::catalogue::{resolve, Location, Operation, Parameter};

/// The longest explanation of one violation, in characters: the validator's words can list
/// a request's own property names, which a hostile body makes as long as it likes.
const MAX_PROBLEM_CHARS: usize = 300;

/// What a schema checks: a request or an answer (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checked {
    Request,
    /// The tests hold the sandbox's answers to their descriptions.
    #[cfg(test)]
    Answer,
}

/// Checks the parameters, then the body.
pub(crate) fn request(
    operation: &Operation,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Failure> {
    let mut violations = Vec::new();
    let query: Vec<(String, String)> = query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let path_values = operation.path_values(path);
    for parameter in &operation.parameters {
        let values: Vec<&str> = match parameter.location {
            Location::Path => path_values
                .iter()
                .filter(|(name, _)| *name == parameter.name)
                .map(|(_, value)| *value)
                .collect(),
            Location::Query => query
                .iter()
                .filter(|(name, _)| *name == parameter.name)
                .map(|(_, value)| value.as_str())
                .collect(),
            Location::Header => headers
                .get_all(parameter.name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect(),
        };
        if values.is_empty() {
            // Sent, but not as text: saying it is missing would send the caller looking in
            // the wrong place.
            if parameter.location == Location::Header
                && headers.contains_key(parameter.name.as_str())
            {
                violations.push((
                    parameter.name.clone(),
                    "must be visible ASCII text".to_owned(),
                ));
            } else if parameter.required {
                violations.push((parameter.name.clone(), "is required".to_owned()));
            }
            continue;
        }
        for value in values {
            if let Some(problem) = parameter_problem(operation, parameter, value) {
                violations.push((parameter.name.clone(), problem));
                break;
            }
        }
    }
    if !violations.is_empty() {
        return Err(Failure::violations(violations));
    }
    self::body(operation, headers, body)
}

/// What is wrong with one value of a parameter, if anything.
fn parameter_problem(operation: &Operation, parameter: &Parameter, value: &str) -> Option<String> {
    let root = &operation.document.root;
    let schema = resolve(root, &parameter.schema);
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        let items = schema
            .get("items")
            .map_or(&Value::Null, |i| resolve(root, i));
        return value
            .split(',')
            .find_map(|item| scalar_problem(items, item));
    }
    scalar_problem(schema, value)
}

/// What is wrong with a scalar written as text, per its schema's type and `enum`.
fn scalar_problem(schema: &Value, value: &str) -> Option<String> {
    let fits = match schema.get("type").and_then(Value::as_str) {
        Some("integer") => value.parse::<i64>().is_ok(),
        Some("number") => value.parse::<f64>().is_ok_and(f64::is_finite),
        Some("boolean") => crate::http::boolean(value).is_some(),
        _ => true,
    };
    if !fits {
        return Some(match schema.get("type").and_then(Value::as_str) {
            Some("integer") => "must be an integer".to_owned(),
            Some(kind) => format!("must be a {kind}"),
            None => "is not valid".to_owned(),
        });
    }
    let allowed = schema.get("enum").and_then(Value::as_array)?;
    let known = allowed.iter().any(|a| match a {
        Value::String(s) => s == value,
        other => serde_json::from_str::<Value>(value).ok().as_ref() == Some(other),
    });
    (!known).then(|| {
        let names: Vec<String> = allowed
            .iter()
            .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned))
            .collect();
        format!("must be one of {}", names.join(", "))
    })
}

/// The body's presence, media type and, for JSON, its schema.
fn body(operation: &Operation, headers: &HeaderMap, body: &[u8]) -> Result<(), Failure> {
    let Some(declared) = &operation.body else {
        return Ok(());
    };
    if body.is_empty() {
        return if declared.required {
            Err(Failure::bad_request("The request body is required"))
        } else {
            Ok(())
        };
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media.is_empty() {
        let accepted: Vec<&str> = declared.content.iter().map(|(m, _)| m.as_str()).collect();
        return Err(Failure::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "The request has a body but no Content-Type: send one of {}",
                accepted.join(", ")
            ),
        ));
    }
    let Some((_, schema)) = declared
        .content
        .iter()
        .find(|(declared, _)| declared.eq_ignore_ascii_case(&media))
    else {
        let accepted: Vec<&str> = declared.content.iter().map(|(m, _)| m.as_str()).collect();
        return Err(Failure::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "The request body's media type `{media}` is not one this operation takes: {}",
                accepted.join(", ")
            ),
        ));
    };
    if media != "application/json" {
        return Ok(());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Failure::bad_request(format!("The request body is not JSON: {e}")))?;
    let violations = schema_violations(operation, schema, &value)?;
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Failure::violations(violations))
    }
}

/// How a JSON body breaks the schema of `endpoint`'s operation, each violation as
/// `(property path, what is wrong)`: for the stateful handlers, which read only the properties
/// they act on into their own types and leave the rest of a body to the description.
pub(crate) fn body_violations(
    endpoint: Endpoint,
    value: &Value,
) -> Result<Vec<(String, String)>, Failure> {
    let operation = endpoint.described()?;
    let Some((_, schema)) = operation
        .body
        .iter()
        .flat_map(|declared| &declared.content)
        .find(|(media, _)| media == "application/json")
    else {
        return Ok(Vec::new());
    };
    schema_violations(operation, schema, value)
}

/// `value` against `schema`, one of `operation`'s body schemas (its validator built once).
fn schema_violations(
    operation: &Operation,
    schema: &Value,
    value: &Value,
) -> Result<Vec<(String, String)>, Failure> {
    let validator = operation
        .body_validator
        .0
        .get_or_init(|| validator(&operation.document.root, schema, Checked::Request))
        .as_ref()
        .map_err(|e| {
            Failure::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("The sandbox cannot check this operation's body: {e}"),
            )
        })?;
    let mut violations = Vec::new();
    // An answer lists no more (`Failure::violations`): looking for more is wasted.
    for error in validator.iter_errors(value) {
        reported(&error, &mut violations);
        if violations.len() >= MAX_VIOLATIONS {
            break;
        }
    }
    Ok(violations)
}

/// `error`'s violations. An optional property is an `anyOf` of its schema and `null` (see
/// [`json_schema`]): a value that breaks its schema is reported by what it breaks there, at
/// its own path (`configuration.pinAttempts`), not as the `anyOf` of its parent.
fn reported(error: &jsonschema::ValidationError<'_>, out: &mut Vec<(String, String)>) {
    if let ValidationErrorKind::AnyOf { context } = error.kind() {
        let is_null = |errors: &Vec<jsonschema::ValidationError<'static>>| {
            matches!(errors.as_slice(), [only] if matches!(
                only.kind(),
                ValidationErrorKind::Type { kind: TypeKind::Single(JsonType::Null) }
            ))
        };
        if let [first, second] = context.as_slice() {
            let schema = match (is_null(first), is_null(second)) {
                (false, true) => Some(first),
                (true, false) => Some(second),
                _ => None,
            };
            if let Some(errors) = schema {
                errors.iter().for_each(|inner| reported(inner, out));
                return;
            }
        }
    }
    out.push(violation(error));
}

/// A validator for `schema`, whose `$ref`s point into the description `root`.
pub(crate) fn validator(
    root: &Value,
    schema: &Value,
    checked: Checked,
) -> Result<Validator, String> {
    // `allOf` around the schema: draft 4 ignores whatever sits beside a `$ref`, and the root
    // must hold the components the references point to.
    let document = serde_json::json!({
        "allOf": [json_schema(root, schema, false, checked)],
        "components": {"schemas": reachable(root, schema, checked)},
    });
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .should_validate_formats(false)
        .build(&document)
        .map_err(|e| e.to_string())
}

/// The components `schema` refers to, directly or through one another, as draft 4: only
/// those, since every validator keeps its own copy (the whole of a large description's, for
/// each of its operations, came to hundreds of megabytes once all were built).
fn reachable(root: &Value, schema: &Value, checked: Checked) -> Map<String, Value> {
    const PREFIX: &str = "#/components/schemas/";
    let mut kept = Map::new();
    let mut pending = vec![schema];
    while let Some(value) = pending.pop() {
        let mut refs = Vec::new();
        references(value, &mut refs);
        for reference in refs {
            let Some(name) = reference.strip_prefix(PREFIX) else {
                continue;
            };
            let name = name.replace("~1", "/").replace("~0", "~");
            if kept.contains_key(&name) {
                continue;
            }
            let Some(target) = root.pointer(&reference[1..]) else {
                continue;
            };
            kept.insert(name, json_schema(root, target, false, checked));
            pending.push(target);
        }
    }
    kept
}

/// Every `$ref` within `value`, at any depth.
fn references<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(reference)) => out.push(reference),
                    _ => references(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, out)),
        _ => {}
    }
}

/// `(property path, what is wrong)` for one validation error: the path in the form Infobip's
/// violations use (`messages[0].destinations`), a missing property named in full.
fn violation(error: &jsonschema::ValidationError<'_>) -> (String, String) {
    let mut path = String::new();
    for segment in error.instance_path().iter() {
        match segment {
            LocationSegment::Property(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&name);
            }
            LocationSegment::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    let problem = match error.kind() {
        ValidationErrorKind::Required { property } => {
            if let Some(name) = property.as_str() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            "is required".to_owned()
        }
        // Masked: the validator's own words repeat the offending value, which may be a
        // secret, and which a 1 MiB body would turn into a 20 MiB answer.
        _ => shortened(error.masked_with("the value").to_string()),
    };
    if path.is_empty() {
        path.push_str("(body)");
    }
    (path, problem)
}

/// `text` cut to [`MAX_PROBLEM_CHARS`], marked as cut.
fn shortened(text: String) -> String {
    match text.char_indices().nth(MAX_PROBLEM_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// OpenAPI 3.0's schema dialect as draft 4 (see the module documentation). `schemas` is true
/// for the `components.schemas` map itself, whose keys are names, not keywords.
pub(crate) fn json_schema(root: &Value, value: &Value, schemas: bool, checked: Checked) -> Value {
    let Value::Object(object) = value else {
        return value.clone();
    };
    if schemas {
        return Value::Object(
            object
                .iter()
                .map(|(name, schema)| (name.clone(), json_schema(root, schema, false, checked)))
                .collect(),
        );
    }
    let mut out = Map::new();
    for (key, value) in object {
        let converted = match key.as_str() {
            "properties" | "definitions" => json_schema(root, value, true, checked),
            "items" | "additionalProperties" | "not" => json_schema(root, value, false, checked),
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| json_schema(root, v, false, checked))
                    .collect(),
            ),
            "nullable" | "discriminator" | "readOnly" | "writeOnly" | "example" | "xml"
            | "externalDocs" | "deprecated" => continue,
            _ if key.starts_with("x-") => continue,
            _ => value.clone(),
        };
        let key = if key == "oneOf" {
            "anyOf"
        } else {
            key.as_str()
        };
        out.insert(key.to_owned(), converted);
    }
    if let (Some(Value::Array(required)), Some(Value::Object(properties))) =
        (out.get("required"), object.get("properties"))
    {
        let kept: Vec<Value> = required
            .iter()
            .filter(|name| {
                name.as_str()
                    .and_then(|n| properties.get(n))
                    .is_none_or(|p| resolve(root, p).get("readOnly") != Some(&Value::Bool(true)))
            })
            .cloned()
            .collect();
        if kept.is_empty() {
            out.remove("required");
        } else {
            out.insert("required".to_owned(), Value::Array(kept));
        }
    }
    if checked == Checked::Request {
        let required: Vec<Value> = match out.get("required") {
            Some(Value::Array(required)) => required.clone(),
            _ => Vec::new(),
        };
        if let Some(Value::Object(properties)) = out.get_mut("properties") {
            for (name, property) in properties.iter_mut() {
                if !required.iter().any(|r| r.as_str() == Some(name)) {
                    *property = serde_json::json!({"anyOf": [property.take(), {"type": "null"}]});
                }
            }
        }
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        return serde_json::json!({"anyOf": [Value::Object(out), {"type": "null"}]});
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nullable_and_one_of_become_draft_4() {
        let root = json!({});
        let converted = json_schema(
            &root,
            &json!({"type": "string", "nullable": true, "example": "x"}),
            false,
            Checked::Answer,
        );
        assert_eq!(
            converted,
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
        );
        let converted = json_schema(
            &root,
            &json!({"oneOf": [{"type": "string"}]}),
            false,
            Checked::Answer,
        );
        assert_eq!(converted, json!({"anyOf": [{"type": "string"}]}));
    }

    #[test]
    fn a_read_only_property_is_not_required_of_a_request() {
        let root = json!({});
        let converted = json_schema(
            &root,
            &json!({
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "string", "readOnly": true}, "name": {"type": "string"}}
            }),
            false,
            Checked::Request,
        );
        assert_eq!(converted["required"], json!(["name"]));
    }

    /// Infobip's Python SDK sends each optional property it was not given as `null`.
    #[test]
    fn a_request_may_send_an_optional_property_as_null_an_answer_may_not() {
        let root = json!({});
        let schema = json!({
            "type": "object",
            "required": ["to"],
            "properties": {"to": {"type": "string"}, "bulkId": {"type": "string"}}
        });
        let request = validator(&root, &schema, Checked::Request).unwrap();
        assert!(request.is_valid(&json!({"to": "41793026727", "bulkId": null})));
        assert!(!request.is_valid(&json!({"to": null})));
        assert!(!request.is_valid(&json!({"to": "41793026727", "bulkId": 1})));
        let answer = validator(&root, &schema, Checked::Answer).unwrap();
        assert!(!answer.is_valid(&json!({"to": "41793026727", "bulkId": null})));
    }

    #[test]
    fn a_validator_holds_only_the_components_it_reaches() {
        let root = json!({"components": {"schemas": {
            "Outer": {"type": "object", "properties": {"inner": {"$ref": "#/components/schemas/Inner"}}},
            "Inner": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
            "Unrelated": {"type": "string"}
        }}});
        let kept = reachable(
            &root,
            &json!({"$ref": "#/components/schemas/Outer"}),
            Checked::Request,
        );
        let mut names: Vec<&str> = kept.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["Inner", "Outer"]);
        let validator = validator(
            &root,
            &json!({"$ref": "#/components/schemas/Outer"}),
            Checked::Request,
        )
        .unwrap();
        assert!(validator.is_valid(&json!({"inner": {"name": "x"}})));
        assert!(!validator.is_valid(&json!({"inner": {}})));
    }

    #[test]
    fn scalars_are_checked_by_type_and_enum() {
        assert_eq!(scalar_problem(&json!({"type": "integer"}), "12"), None);
        assert_eq!(
            scalar_problem(&json!({"type": "integer"}), "twelve").as_deref(),
            Some("must be an integer")
        );
        assert_eq!(
            scalar_problem(&json!({"type": "string", "enum": ["A", "B"]}), "C").as_deref(),
            Some("must be one of A, B")
        );
        assert_eq!(scalar_problem(&json!({"type": "boolean"}), "true"), None);
        // Python's spelling, which Infobip's Python SDK sends.
        assert_eq!(scalar_problem(&json!({"type": "boolean"}), "False"), None);
        assert_eq!(
            scalar_problem(&json!({"type": "boolean"}), "no").as_deref(),
            Some("must be a boolean")
        );
    }
}
