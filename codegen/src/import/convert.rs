//! The published form into the checked-in form, object by object: the document, its
//! operations, parameters, bodies, responses and components. Schemas are in `schema.rs`.

use serde_yaml::{Mapping, Value};

use super::doc::{child, ComponentRef, Op, METHODS};
use super::report::Change;
use super::schema::{self, strip_docs, strip_extensions};
use super::{Ctx, Log, Owner};

/// Converts the whole document in place, recording each change under the operation or
/// component it belongs to, so that only what is kept gets counted.
pub(crate) fn document(doc: &mut Value, ops: &[Op], keep_docs: bool, log: &mut Log) {
    let Some(root) = doc.as_mapping_mut() else {
        return;
    };
    top_level(root, &mut Ctx::new(Owner::Document, keep_docs, log));
    components(root, keep_docs, log);
    if let Some(Value::Mapping(paths)) = root.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            let path = path.as_str().unwrap_or_default().to_owned();
            path_item(&path, item, ops, keep_docs, log);
        }
    }
}

fn top_level(root: &mut Mapping, ctx: &mut Ctx<'_>) {
    if let Some(Value::String(version)) = root.get("openapi") {
        if !version.starts_with("3.0.") {
            ctx.change(Change::Version(version.clone()));
        }
    }
    for key in ["servers", "jsonSchemaDialect", "externalDocs"] {
        if root.contains_key(key) {
            ctx.change(Change::TopLevelDropped(key.to_owned()));
        }
    }
    let extensions: Vec<String> = root
        .keys()
        .chain(
            root.get("info")
                .and_then(Value::as_mapping)
                .into_iter()
                .flat_map(Mapping::keys),
        )
        .filter_map(Value::as_str)
        .filter(|k| k.starts_with("x-"))
        .map(str::to_owned)
        .collect();
    for key in extensions {
        ctx.change(Change::ExtensionDropped(key));
    }
}

fn components(root: &mut Mapping, keep_docs: bool, log: &mut Log) {
    let Some(Value::Mapping(components)) = root.get_mut("components") else {
        return;
    };
    for (kind, entries) in components.iter_mut() {
        let kind = kind.as_str().unwrap_or_default().to_owned();
        let Value::Mapping(entries) = entries else {
            continue;
        };
        for (name, value) in entries.iter_mut() {
            let name = name.as_str().unwrap_or_default().to_owned();
            let target = ComponentRef {
                kind: kind.clone(),
                name,
            };
            let pointer = target.pointer();
            let mut ctx = Ctx::new(Owner::Component(target), keep_docs, log);
            match kind.as_str() {
                "schemas" => schema::convert(value, &pointer, &mut ctx),
                "responses" => response(value, &pointer, &mut ctx),
                "parameters" | "headers" => parameter(value, &pointer, &mut ctx),
                "requestBodies" => request_body(value, &pointer, &mut ctx),
                "securitySchemes" => {
                    if let Some(map) = value.as_mapping_mut() {
                        strip_extensions(map, &[], &mut ctx);
                        strip_docs(map, &["description"], &mut ctx);
                    }
                }
                _ => {}
            }
        }
    }
}

fn path_item(path: &str, item: &mut Value, ops: &[Op], keep_docs: bool, log: &mut Log) {
    let Some(item) = item.as_mapping_mut() else {
        return;
    };
    let base = child("/paths", path);
    {
        // Path-level keys are shared by the path's operations: counted for the document.
        let mut ctx = Ctx::new(Owner::Document, keep_docs, log);
        strip_extensions(item, &[], &mut ctx);
        strip_docs(item, &["summary", "description"], &mut ctx);
        parameters(item, &base, &mut ctx);
    }
    for (method, operation) in item.iter_mut() {
        let Some(method) = method.as_str().filter(|m| METHODS.contains(m)) else {
            continue;
        };
        let Some(index) = ops
            .iter()
            .position(|o| o.path == path && o.method == method)
        else {
            continue;
        };
        let mut ctx = Ctx::new(Owner::Operation(index), keep_docs, log);
        self::operation(operation, &child(&base, method), &mut ctx);
    }
}

fn operation(operation: &mut Value, pointer: &str, ctx: &mut Ctx<'_>) {
    let Some(map) = operation.as_mapping_mut() else {
        return;
    };
    // Structure the client uses: the API scopes (the security table, the auth layer) and the
    // successor of a deprecated operation (its `#[deprecated]` note).
    strip_extensions(map, &["x-scopes", "x-deprecationInformation"], ctx);
    strip_docs(map, &["summary", "description", "externalDocs"], ctx);
    if map.shift_remove("callbacks").is_some() {
        ctx.change(Change::CallbacksDropped);
    }
    parameters(map, pointer, ctx);
    if let Some(body) = map.get_mut("requestBody") {
        request_body(body, &child(pointer, "requestBody"), ctx);
    }
    if let Some(Value::Mapping(responses)) = map.get_mut("responses") {
        let base = child(pointer, "responses");
        strip_extensions(responses, &[], ctx);
        for (status, value) in responses.iter_mut() {
            let status = super::doc::scalar_text(status);
            response(value, &child(&base, &status), ctx);
        }
    }
}

fn parameters(map: &mut Mapping, pointer: &str, ctx: &mut Ctx<'_>) {
    if let Some(Value::Sequence(parameters)) = map.get_mut("parameters") {
        let base = child(pointer, "parameters");
        for (i, value) in parameters.iter_mut().enumerate() {
            parameter(value, &child(&base, &i.to_string()), ctx);
        }
    }
}

fn is_reference(map: &Mapping) -> bool {
    map.contains_key("$ref")
}

/// A parameter or a header (the same shape without `name` and `in`).
fn parameter(value: &mut Value, pointer: &str, ctx: &mut Ctx<'_>) {
    let Some(map) = value.as_mapping_mut().filter(|m| !is_reference(m)) else {
        return;
    };
    strip_extensions(map, &[], ctx);
    strip_docs(map, &["description", "example", "examples"], ctx);
    if let Some(schema) = map.get_mut("schema") {
        schema::convert(schema, &child(pointer, "schema"), ctx);
    }
    if let Some(Value::Mapping(content)) = map.get_mut("content") {
        media_types(content, &child(pointer, "content"), ctx);
    }
    mark_secret(map, ctx);
}

/// Parameter names that carry a secret (Infobip's older operations take `username` and
/// `password` in the query).
const SECRET_PARAMETERS: [&str; 4] = ["password", "apiKey", "apiKeySecret", "clientSecret"];

/// A string parameter named like a secret is marked `format: password`, so that the client
/// holds it in its redacting `Secret` type and the command line never takes it as a flag
/// (any local user can read a command line).
fn mark_secret(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    let named = map
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|name| SECRET_PARAMETERS.contains(&name));
    let Some(Value::Mapping(schema)) = map.get_mut("schema") else {
        return;
    };
    let is_plain_string = schema.get("type").and_then(Value::as_str) == Some("string")
        && !schema.contains_key("format");
    if named && is_plain_string {
        schema.insert("format".into(), "password".into());
        ctx.change(Change::SecretParameterMarked);
    }
}

fn request_body(value: &mut Value, pointer: &str, ctx: &mut Ctx<'_>) {
    let Some(map) = value.as_mapping_mut().filter(|m| !is_reference(m)) else {
        return;
    };
    strip_extensions(map, &[], ctx);
    strip_docs(map, &["description"], ctx);
    if let Some(Value::Mapping(content)) = map.get_mut("content") {
        drop_non_media_types(content, ctx);
        keep_only_json(content, ctx, Change::RequestMediaDropped);
        media_types(content, &child(pointer, "content"), ctx);
    }
}

fn response(value: &mut Value, pointer: &str, ctx: &mut Ctx<'_>) {
    let Some(map) = value.as_mapping_mut().filter(|m| !is_reference(m)) else {
        return;
    };
    strip_extensions(map, &[], ctx);
    if !ctx.keep_docs {
        // 3.0 requires a description; an empty one says nothing in anyone's words.
        let had_text = map
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.is_empty());
        if had_text {
            ctx.change(Change::DocsDropped(String::from("description")));
        }
        map.insert("description".into(), Value::String(String::new()));
    } else if !map.contains_key("description") {
        map.insert("description".into(), Value::String(String::new()));
    }
    let mut dropped_headers = false;
    for key in ["headers", "links"] {
        dropped_headers |= map.shift_remove(key).is_some();
    }
    if dropped_headers {
        ctx.change(Change::ResponseHeadersDropped);
    }
    if let Some(Value::Mapping(content)) = map.get_mut("content") {
        drop_non_media_types(content, ctx);
        any_to_json(content, ctx);
        keep_only_json(content, ctx, Change::ResponseMediaDropped);
        media_types(content, &child(pointer, "content"), ctx);
    }
}

/// Where a body is offered as JSON and as other media types (XML), keeps the JSON one alone,
/// recording each one dropped as `dropped` says.
fn keep_only_json(content: &mut Mapping, ctx: &mut Ctx<'_>, dropped: fn(String) -> Change) {
    let Some(json) = first_json(content) else {
        return;
    };
    let others: Vec<String> = media_keys(content)
        .into_iter()
        .filter(|m| *m != json)
        .collect();
    for media in others {
        content.shift_remove(media.as_str());
        ctx.change(dropped(media));
    }
}

/// `*/*` whose schema describes JSON is `application/json` (Infobip serves JSON there);
/// progenitor would otherwise hand back an untyped byte stream.
fn any_to_json(content: &mut Mapping, ctx: &mut Ctx<'_>) {
    let Some(any) = content.get("*/*") else {
        return;
    };
    if first_json(content).is_some() {
        content.shift_remove("*/*");
        ctx.change(Change::ResponseMediaDropped(String::from("*/*")));
        return;
    }
    if !any.get("schema").is_some_and(describes_json) {
        // A file of whatever type the server picks: a byte stream, whose content type the
        // caller reads from the answer.
        rename_media(content, "*/*", "application/octet-stream");
        ctx.change(Change::AnyMediaToOctetStream);
        return;
    }
    rename_media(content, "*/*", "application/json");
    ctx.change(Change::AnyMediaToJson);
}

/// `content` with the media type `from` renamed `to`, in place.
fn rename_media(content: &mut Mapping, from: &str, to: &str) {
    let entries = std::mem::take(content);
    for (key, value) in entries {
        let key = if key.as_str() == Some(from) {
            Value::String(to.to_owned())
        } else {
            key
        };
        content.insert(key, value);
    }
}

/// Any schema but a string of bytes.
fn describes_json(schema: &Value) -> bool {
    let binary = schema.get("type").and_then(Value::as_str) == Some("string")
        && matches!(
            schema.get("format").and_then(Value::as_str),
            Some("binary" | "byte")
        );
    !binary
}

fn drop_non_media_types(content: &mut Mapping, ctx: &mut Ctx<'_>) {
    let bogus: Vec<String> = media_keys(content)
        .into_iter()
        .filter(|k| !k.contains('/'))
        .collect();
    for key in bogus {
        content.shift_remove(key.as_str());
        ctx.change(Change::NotAMediaType(key));
    }
}

fn media_keys(content: &Mapping) -> Vec<String> {
    content
        .keys()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// `application/json`, with or without parameters.
pub(crate) fn is_json(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

fn first_json(content: &Mapping) -> Option<String> {
    media_keys(content).into_iter().find(|m| is_json(m))
}

fn media_types(content: &mut Mapping, pointer: &str, ctx: &mut Ctx<'_>) {
    for (media, value) in content.iter_mut() {
        let media = media.as_str().unwrap_or_default().to_owned();
        let Some(map) = value.as_mapping_mut() else {
            continue;
        };
        strip_extensions(map, &[], ctx);
        strip_docs(map, &["example", "examples"], ctx);
        if is_json(&media) && !map.contains_key("schema") {
            // progenitor panics on a JSON body without a schema; "any JSON" is what it says.
            map.insert("schema".into(), Value::Mapping(Mapping::new()));
            ctx.change(Change::MissingSchemaAsAny);
        }
        if let Some(schema) = map.get_mut("schema") {
            schema::convert(schema, &child(&child(pointer, &media), "schema"), ctx);
        }
    }
}
