//! What progenitor (and the codegen's validation) needs of each operation, checked on the
//! converted document, so that an operation that cannot be generated is named with the JSON
//! pointer of the construct at fault instead of failing the whole description.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use super::convert::is_json;
use super::doc::{child, reach, resolve, scalar_text, ComponentRef, Op};
use super::errors::is_success;
use super::schema::included_refs;
use super::{Log, Owner, Problem};

/// Request body media types the generated client can send: progenitor 0.15's, and
/// `multipart/form-data`, which codegen writes itself.
const SENDABLE: [&str; 6] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "text/plain",
    "text/x-markdown",
    "multipart/form-data",
];

/// Whether an operationId maps predictably onto a Rust method name (the codegen's rule).
fn is_kebab(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The first thing that stops `op` from being generated, as a JSON pointer and a reason.
pub(crate) fn operation(doc: &Value, op: &Op, index: usize, log: &Log) -> Option<Problem> {
    let pointer = op.pointer();
    let problem = |at: String, reason: String| Problem {
        owner: Owner::Operation(index),
        pointer: at,
        reason,
    };
    if let Some(own) = log
        .problems
        .iter()
        .find(|p| p.owner == Owner::Operation(index))
    {
        return Some(own.clone());
    }
    let value = op.get(doc)?;
    match &op.id {
        None => {
            return Some(problem(
                pointer,
                String::from("no operationId; progenitor names each client method after it"),
            ))
        }
        Some(id) if !is_kebab(id) => {
            return Some(problem(
                child(&pointer, "operationId"),
                format!(
                    "`{id}` is not lowercase words joined by `-`, so its Rust method name is \
                     not predictable"
                ),
            ))
        }
        Some(_) => {}
    }
    let checks = [
        parameters(doc, value, &pointer),
        request_body(doc, value, &pointer),
        responses(doc, value, &pointer),
        security(doc, value, &pointer),
    ];
    if let Some((at, reason)) = checks.into_iter().flatten().next() {
        return Some(problem(at, reason));
    }
    reached(doc, value, log, &pointer).map(|mut p| {
        p.owner = Owner::Operation(index);
        p
    })
}

type Found = Option<(String, String)>;

fn parameters(doc: &Value, operation: &Value, pointer: &str) -> Found {
    let list = operation.get("parameters")?.as_sequence()?;
    let names: Vec<&str> = list
        .iter()
        .map(|p| {
            resolve(doc, p)
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
        })
        .collect();
    if let Some((j, earlier, field)) = crate::idents::parameter_clash(&names) {
        return Some((
            child(&child(pointer, "parameters"), &j.to_string()),
            format!(
                "parameters `{earlier}` and `{}` both become the Rust field `{field}`; \
                 progenitor cannot generate the operation",
                names[j]
            ),
        ));
    }
    for (i, parameter) in list.iter().enumerate() {
        let at = child(&child(pointer, "parameters"), &i.to_string());
        let Some(parameter) = resolve(doc, parameter) else {
            continue;
        };
        if parameter.get("in").and_then(Value::as_str) == Some("cookie") {
            return Some((
                at,
                String::from("progenitor does not support cookie parameters"),
            ));
        }
        if parameter.get("content").is_some() {
            return Some((
                child(&at, "content"),
                String::from("a parameter described by `content`; progenitor reads `schema` only"),
            ));
        }
    }
    None
}

fn request_body(doc: &Value, operation: &Value, pointer: &str) -> Found {
    let body = operation.get("requestBody")?;
    let at = child(pointer, "requestBody");
    let content = resolve(doc, body)
        .and_then(|b| b.get("content"))
        .and_then(Value::as_mapping)?;
    let media: Vec<String> = content.keys().map(scalar_text).collect();
    match media.as_slice() {
        [] => None,
        [single] => {
            let base = single.split(';').next().unwrap_or_default().trim();
            (!SENDABLE.contains(&base)).then(|| {
                (
                    child(&child(&at, "content"), single),
                    format!(
                        "the generated client cannot send `{single}` request bodies (it sends \
                         JSON, form, octet-stream, text/plain and multipart/form-data)"
                    ),
                )
            })
        }
        several => Some((
            child(&at, "content"),
            format!(
                "the request body offers {} and none is application/json; progenitor needs \
                 exactly one media type",
                several.join(", ")
            ),
        )),
    }
}

/// The media types of a body that offers no JSON (a file, which the client hands back as a
/// byte stream); `None` for a JSON body or none.
fn non_json_media(response: &Value) -> Option<Vec<String>> {
    let content = response.get("content").and_then(Value::as_mapping)?;
    let json = content
        .keys()
        .any(|media| media.as_str().is_some_and(is_json));
    (!content.is_empty() && !json).then(|| content.keys().map(scalar_text).collect())
}

/// Every success body is generated: JSON typed, others as byte streams, successes that differ
/// as byte streams told apart by their status (codegen's `bodies.rs`); a wildcard says neither,
/// and the conversion leaves one only where it could not tell. Error responses need no check:
/// by now each one carries the shared `ErrorBody` (see `errors.rs`).
fn responses(doc: &Value, operation: &Value, pointer: &str) -> Found {
    let responses = operation.get("responses")?.as_mapping()?;
    let base = child(pointer, "responses");
    responses.iter().find_map(|(status, response)| {
        let status = scalar_text(status);
        if !is_success(&status) {
            return None;
        }
        let media = non_json_media(resolve(doc, response)?)?;
        media.iter().any(|m| m.contains('*')).then(|| {
            (
                child(&child(&base, &status), "content"),
                format!(
                    "the success body is {}, which says neither JSON nor a file type",
                    media.join(", ")
                ),
            )
        })
    })
}

fn security(doc: &Value, operation: &Value, pointer: &str) -> Found {
    let requirements = operation.get("security")?.as_sequence()?;
    let declared: BTreeSet<String> = doc
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .map(super::doc::keys)
        .unwrap_or_default()
        .into_iter()
        .collect();
    for (i, requirement) in requirements.iter().enumerate() {
        let at = child(&child(pointer, "security"), &i.to_string());
        let names = super::doc::keys(requirement);
        if names.len() > 1 {
            return Some((
                at,
                format!(
                    "a requirement combines {}; the codegen needs one scheme per requirement",
                    names.join(" + ")
                ),
            ));
        }
        if let Some(unknown) = names.iter().find(|n| !declared.contains(*n)) {
            return Some((
                at,
                format!("`{unknown}` is not declared under components.securitySchemes"),
            ));
        }
    }
    None
}

/// A problem in what the operation reaches: a schema the conversion refused, a reference
/// that does not resolve, or schemas that include each other.
fn reached(doc: &Value, operation: &Value, log: &Log, pointer: &str) -> Option<Problem> {
    let (components, broken) = reach(doc, &[operation]);
    if let Some(reference) = broken.into_iter().next() {
        return Some(Problem {
            owner: Owner::Document,
            pointer: pointer.to_owned(),
            reason: format!(
                "`{reference}` does not resolve; the import follows local references to \
                 components only"
            ),
        });
    }
    let reached: BTreeSet<&ComponentRef> = components.iter().collect();
    if let Some(problem) = log.problems.iter().find(|p| match &p.owner {
        Owner::Component(target) => reached.contains(target),
        _ => false,
    }) {
        return Some(problem.clone());
    }
    cycle(doc, &components).map(|names| Problem {
        owner: Owner::Document,
        pointer: ComponentRef::schema(&names[0]).pointer(),
        reason: format!(
            "schemas include each other through allOf/oneOf/anyOf ({}); typify would expand \
             them forever",
            names.join(" -> ")
        ),
    })
}

/// A cycle of structural inclusion among the reached schemas, if any.
fn cycle(doc: &Value, reached: &[ComponentRef]) -> Option<Vec<String>> {
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for target in reached.iter().filter(|t| t.kind == "schemas") {
        let Some(schema) = target.get(doc) else {
            continue;
        };
        let mut found = Vec::new();
        included_refs(schema, &mut found);
        let names = found
            .iter()
            .filter_map(|r| ComponentRef::parse(r))
            .filter(|r| r.kind == "schemas")
            .map(|r| r.name)
            .collect();
        edges.insert(target.name.clone(), names);
    }
    // Iterative depth-first search with colours: 1 = on the stack, 2 = done.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for start in edges.keys() {
        if colour.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        colour.insert(start.as_str(), 1);
        while let Some((node, next)) = stack.last().cloned() {
            let successors = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            if let Some(successor) = successors.get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match colour.get(successor.as_str()) {
                    Some(1) => {
                        let from = stack.iter().position(|(n, _)| *n == successor.as_str())?;
                        let mut names: Vec<String> =
                            stack[from..].iter().map(|(n, _)| (*n).to_owned()).collect();
                        names.push(successor.clone());
                        return Some(names);
                    }
                    Some(_) => {}
                    None => {
                        colour.insert(successor.as_str(), 1);
                        stack.push((successor.as_str(), 0));
                    }
                }
            } else {
                colour.insert(node, 2);
                stack.pop();
            }
        }
    }
    None
}
