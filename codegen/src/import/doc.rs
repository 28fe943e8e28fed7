//! Reading the published document: the tree, its operations, JSON pointers and `$ref`s.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_yaml::{Mapping, Value};

use super::report::OperationRef;
use super::ImportError;

/// The HTTP methods an OpenAPI path item can hold, in the order OpenAPI lists them.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Reads JSON or YAML into a tree that keeps the document's key order.
///
/// JSON goes through serde_json (faster, and exact about JSON's escapes); anything else, or
/// JSON that serde_json refuses, is read as YAML.
pub(crate) fn parse(text: &str) -> Result<Value, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value = if text.trim_start().starts_with('{') {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => value,
            // A YAML flow mapping starts with `{` too; when neither reads it, JSON's
            // message is the one that helps.
            Err(json) => serde_yaml::from_str::<Value>(text)
                .map_err(|_| ImportError::NotJsonOrYaml(json.to_string()))?,
        }
    } else {
        serde_yaml::from_str::<Value>(text)
            .map_err(|e| ImportError::NotJsonOrYaml(e.to_string()))?
    };
    let Some(root) = value.as_mapping() else {
        return Err(ImportError::NotOpenApi(
            "the top level is not a mapping".to_owned(),
        ));
    };
    if let Some(swagger) = root.get("swagger") {
        return Err(ImportError::UnsupportedVersion(format!(
            "swagger {}",
            scalar_text(swagger)
        )));
    }
    let version = match root.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(other) => scalar_text(other),
        None => {
            return Err(ImportError::NotOpenApi(
                "there is no `openapi` version field".to_owned(),
            ))
        }
    };
    if !(version.starts_with("3.0.") || version.starts_with("3.1.")) {
        return Err(ImportError::UnsupportedVersion(version));
    }
    if !root.get("paths").is_some_and(Value::is_mapping) {
        return Err(ImportError::NotOpenApi(
            "there is no `paths` mapping".to_owned(),
        ));
    }
    Ok(value)
}

/// A number, boolean or string as text.
pub(crate) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::from("null"),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// One operation of the published document.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub(crate) path: String,
    /// Lower case, as in the document.
    pub(crate) method: String,
    pub(crate) id: Option<String>,
    pub(crate) deprecated: bool,
}

impl Op {
    /// JSON pointer to the operation in the published document.
    pub(crate) fn pointer(&self) -> String {
        format!("/paths/{}/{}", escape(&self.path), self.method)
    }

    /// The operationId, or `METHOD /path`.
    pub(crate) fn name(&self) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.method.to_uppercase(), self.path))
    }

    pub(crate) fn to_ref(&self) -> OperationRef {
        OperationRef {
            name: self.name(),
            method: self.method.to_uppercase(),
            path: self.path.clone(),
            deprecated: self.deprecated,
        }
    }

    /// The operation's tree in `doc`.
    pub(crate) fn get<'a>(&self, doc: &'a Value) -> Option<&'a Value> {
        doc.get("paths")?.get(&self.path)?.get(&self.method)
    }

    pub(crate) fn get_mut<'a>(&self, doc: &'a mut Value) -> Option<&'a mut Value> {
        doc.get_mut("paths")?
            .get_mut(&self.path)?
            .get_mut(&self.method)
    }
}

/// The operations in document order.
pub(crate) fn operations(doc: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_mapping) else {
        return ops;
    };
    for (path, item) in paths {
        let (Some(path), Some(item)) = (path.as_str(), item.as_mapping()) else {
            continue;
        };
        for (method, operation) in item {
            let Some(method) = method.as_str().filter(|m| METHODS.contains(m)) else {
                continue;
            };
            ops.push(Op {
                path: path.to_owned(),
                method: method.to_owned(),
                id: operation
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                deprecated: operation.get("deprecated").and_then(Value::as_bool) == Some(true),
            });
        }
    }
    ops
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// `base` followed by `segment`, escaped.
pub(crate) fn child(base: &str, segment: &str) -> String {
    format!("{base}/{}", escape(segment))
}

/// A local reference to a component: `#/components/<kind>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ComponentRef {
    pub(crate) kind: String,
    pub(crate) name: String,
}

impl ComponentRef {
    pub(crate) fn parse(reference: &str) -> Option<ComponentRef> {
        let rest = reference.strip_prefix("#/components/")?;
        let (kind, name) = rest.split_once('/')?;
        let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
        Some(ComponentRef {
            kind: kind.to_owned(),
            name: unescape(name),
        })
    }

    pub(crate) fn schema(name: &str) -> ComponentRef {
        ComponentRef {
            kind: String::from("schemas"),
            name: name.to_owned(),
        }
    }

    pub(crate) fn reference(&self) -> String {
        format!("#/components/{}/{}", self.kind, escape(&self.name))
    }

    pub(crate) fn pointer(&self) -> String {
        format!("/components/{}/{}", self.kind, escape(&self.name))
    }

    pub(crate) fn get<'a>(&self, doc: &'a Value) -> Option<&'a Value> {
        doc.get("components")?.get(&self.kind)?.get(&self.name)
    }
}

/// `value`, or the component its `$ref` points at.
pub(crate) fn resolve<'a>(doc: &'a Value, value: &'a Value) -> Option<&'a Value> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => ComponentRef::parse(reference)?.get(doc),
        None => Some(value),
    }
}

/// Every `$ref` below `value`, and the targets of `discriminator.mapping`, in document order.
///
/// Mapping targets count because the written form keeps the mapping, whose targets must exist.
pub(crate) fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    (Some("$ref"), Value::String(r)) => out.push(r.clone()),
                    (Some("discriminator"), Value::Mapping(d)) => {
                        if let Some(mapping) = d.get("mapping").and_then(Value::as_mapping) {
                            out.extend(
                                mapping
                                    .values()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned),
                            );
                        }
                    }
                    _ => refs(child, out),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

/// Rewrites every `$ref` and `discriminator.mapping` target below `value` through `rename`.
pub(crate) fn rewrite_refs(value: &mut Value, rename: &dyn Fn(&str) -> Option<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    (Some("$ref"), Value::String(r)) => {
                        if let Some(new) = rename(r) {
                            *r = new;
                        }
                    }
                    (Some("discriminator"), Value::Mapping(d)) => {
                        if let Some(mapping) = d.get_mut("mapping").and_then(Value::as_mapping_mut)
                        {
                            for target in mapping.values_mut() {
                                if let Some(new) = target.as_str().and_then(rename) {
                                    *target = Value::String(new);
                                }
                            }
                        }
                    }
                    (_, child) => rewrite_refs(child, rename),
                }
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|item| rewrite_refs(item, rename)),
        _ => {}
    }
}

/// The components reached from `roots`, transitively, in the order they are first reached
/// (each root in turn, breadth first below it), with the references that do not resolve.
pub(crate) fn reach(doc: &Value, roots: &[&Value]) -> (Vec<ComponentRef>, BTreeSet<String>) {
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    let mut broken = BTreeSet::new();
    for root in roots {
        let mut queue = VecDeque::new();
        let mut found = Vec::new();
        refs(root, &mut found);
        queue.extend(found);
        while let Some(reference) = queue.pop_front() {
            let Some(target) = ComponentRef::parse(&reference) else {
                broken.insert(reference);
                continue;
            };
            if seen.contains(&target) {
                continue;
            }
            let Some(value) = target.get(doc) else {
                broken.insert(reference);
                continue;
            };
            seen.insert(target.clone());
            let mut found = Vec::new();
            refs(value, &mut found);
            queue.extend(found);
            order.push(target);
        }
    }
    (order, broken)
}

/// Operations of the other descriptions under `spec/`: operationId -> file, and
/// `METHOD /path` (path parameters blanked) -> file.
#[derive(Debug, Default)]
pub(crate) struct Existing {
    pub(crate) ids: BTreeMap<String, String>,
    pub(crate) routes: BTreeMap<String, String>,
}

/// `/a/{x}/b` and `/a/{y}/b` are the same route.
pub(crate) fn route(method: &str, path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    format!("{} {out}", method.to_uppercase())
}

pub(crate) fn existing(specs: &[super::ExistingSpec]) -> Result<Existing, ImportError> {
    let mut existing = Existing::default();
    for spec in specs {
        let value: Value =
            serde_yaml::from_str(&spec.text).map_err(|e| ImportError::ExistingSpec {
                path: spec.path.clone(),
                cause: e.to_string(),
            })?;
        for op in operations(&value) {
            if let Some(id) = &op.id {
                existing
                    .ids
                    .entry(id.clone())
                    .or_insert_with(|| spec.path.clone());
            }
            existing
                .routes
                .entry(route(&op.method, &op.path))
                .or_insert_with(|| spec.path.clone());
        }
    }
    Ok(existing)
}

/// A mapping from string keys, for building the written form.
pub(crate) fn mapping<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let mut map = Mapping::new();
    for (key, value) in entries {
        map.insert(Value::String(key.to_owned()), value);
    }
    Value::Mapping(map)
}

/// The string keys of a mapping, in order.
pub(crate) fn keys(value: &Value) -> Vec<String> {
    value
        .as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
