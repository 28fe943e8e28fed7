//! The written form: the kept operations and what they reach, in a stable order.
//!
//! Order: `openapi`, `info`, `tags` (with `--keep-docs` only), `paths`, `x-webhooks`,
//! `components`. Paths and
//! their operations keep the published document's order; component schemas, responses,
//! parameters, request bodies, headers and examples are sorted by name; security schemes keep
//! the document's order (the generated security table lists them in that order).

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::{Mapping, Value};

use super::doc::{reach, ComponentRef, Op, METHODS};
use super::report::Suffixed;
use super::webhooks::{Hook, WEBHOOKS_KEY};
use super::{names, ImportError, ImportOptions};

/// Component kinds copied when reached, in the order they are written.
const KINDS: [&str; 6] = [
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
];

/// What [`build`] wrote.
pub(crate) struct Built {
    pub(crate) yaml: String,
    /// Original schema key -> written name.
    pub(crate) names: BTreeMap<String, String>,
    pub(crate) suffixed: Vec<Suffixed>,
    /// The components written, by their original keys.
    pub(crate) components: BTreeSet<ComponentRef>,
    pub(crate) tags: usize,
}

/// Where an imported description records its source (`info.x-source`: document, version,
/// digest); the project's own descriptions have none.
const SOURCE_KEY: &str = "x-source";

/// Whether a description under `spec/` was written by the import (it names its source), as
/// opposed to one the project writes itself, whose operations the import leaves alone.
pub fn is_imported(text: &str) -> bool {
    source_document(text).is_some()
}

/// The name of the published document an imported description was made from.
pub fn source_document(text: &str) -> Option<String> {
    let tree = serde_yaml::from_str::<Value>(text).ok()?;
    let document = tree.get("info")?.get(SOURCE_KEY)?.get("document")?;
    document.as_str().map(str::to_owned)
}

/// The published document's own `info.version`.
pub(crate) fn source_version(doc: &Value) -> String {
    doc.get("info")
        .and_then(|i| i.get("version"))
        .map(super::doc::scalar_text)
        .unwrap_or_else(|| String::from("unknown"))
}

pub(crate) fn build(
    doc: &Value,
    ops: &[Op],
    kept: &BTreeSet<usize>,
    hooks: &[Hook],
    options: &ImportOptions,
    overlay: Option<&Value>,
) -> Result<Built, ImportError> {
    let names = command_names(doc, ops, kept, options);
    let paths = paths(doc, ops, kept, &names);
    let hook_roots: Vec<Value> = hooks.iter().map(Hook::root).collect();
    // One root per operation, so that names go to the operations in document order, then the
    // webhooks' payloads.
    let roots: Vec<&Value> = paths
        .as_mapping()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_mapping)
        .flat_map(|item| item.values())
        .chain(&hook_roots)
        .collect();
    let (reached, _) = reach(doc, &roots);
    let schema_keys: Vec<String> = reached
        .iter()
        .filter(|r| r.kind == "schemas")
        .map(|r| r.name.clone())
        .collect();
    let (mut names, mut suffixed) = names::plan_names(&schema_keys);
    super::inline_names::avoid_clashes(doc, &mut names, &mut suffixed);

    let mut components = Mapping::new();
    for kind in KINDS {
        let mut entries: Vec<(String, Value)> = reached
            .iter()
            .filter(|r| r.kind == kind)
            .filter_map(|r| {
                let name = names
                    .get(&r.name)
                    .cloned()
                    .unwrap_or_else(|| r.name.clone());
                Some((name, r.get(doc)?.clone()))
            })
            .collect();
        if entries.is_empty() {
            continue;
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let map: Mapping = entries
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect();
        components.insert(kind.into(), Value::Mapping(map));
    }
    if let Some(Value::Mapping(schemes)) =
        doc.get("components").and_then(|c| c.get("securitySchemes"))
    {
        components.insert("securitySchemes".into(), Value::Mapping(schemes.clone()));
    }

    let mut root = Mapping::new();
    root.insert("openapi".into(), "3.0.3".into());
    root.insert("info".into(), info(doc, options));
    let tags = tags(doc, &paths, options);
    let tag_count = tags.as_ref().map_or(0, Vec::len);
    if let Some(tags) = tags {
        root.insert("tags".into(), Value::Sequence(tags));
    }
    root.insert("paths".into(), paths);
    if let Some(webhooks) = super::webhooks::written(hooks) {
        root.insert(WEBHOOKS_KEY.into(), webhooks);
    }
    if !components.is_empty() {
        root.insert("components".into(), Value::Mapping(components));
    }
    let mut root = Value::Mapping(root);
    names::apply(&mut root, &names);
    if let Some(overlay) = overlay {
        super::overlay::merge(&mut root, overlay);
    }
    let body = serde_yaml::to_string(&root).map_err(|e| ImportError::Yaml(e.to_string()))?;
    Ok(Built {
        yaml: format!("{}{body}", header(doc, options)),
        names,
        suffixed,
        components: reached.into_iter().collect(),
        tags: tag_count,
    })
}

/// The command name of each kept operation, by operationId: the one the description being
/// refreshed gives it, else one the rule derives (`command_names.rs`).
fn command_names(
    doc: &Value,
    ops: &[Op],
    kept: &BTreeSet<usize>,
    options: &ImportOptions,
) -> BTreeMap<String, String> {
    let previous = options
        .previous
        .as_deref()
        .map(previous_names)
        .unwrap_or_default();
    let unnamed: Vec<crate::command_names::Unnamed<'_>> = kept
        .iter()
        .filter_map(|i| {
            let op = &ops[*i];
            let id = op.id.as_deref()?;
            Some(crate::command_names::Unnamed {
                operation_id: id,
                deprecated: op.deprecated
                    || op
                        .get(doc)
                        .and_then(|o| o.get("deprecated"))
                        .and_then(Value::as_bool)
                        == Some(true),
                kept: previous.get(id).map(String::as_str),
            })
        })
        .collect();
    crate::command_names::derive(&options.product, &unnamed)
}

/// The `x-cli-name` of each operation of a written description, by operationId.
fn previous_names(text: &str) -> BTreeMap<String, String> {
    let Ok(tree) = serde_yaml::from_str::<Value>(text) else {
        return BTreeMap::new();
    };
    let items = tree
        .get("paths")
        .and_then(Value::as_mapping)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_mapping)
        .flat_map(|item| item.values());
    items
        .filter_map(|op| {
            let id = op.get("operationId")?.as_str()?;
            let name = op.get(crate::command_names::NAME_KEY)?.as_str()?;
            Some((id.to_owned(), name.to_owned()))
        })
        .collect()
}

/// The operation with its command's name written right after its operationId.
fn named(operation: &Value, names: &BTreeMap<String, String>) -> Value {
    let Some(map) = operation.as_mapping() else {
        return operation.clone();
    };
    let name = map
        .get("operationId")
        .and_then(Value::as_str)
        .and_then(|id| names.get(id));
    let Some(name) = name else {
        return operation.clone();
    };
    let mut out = Mapping::new();
    for (key, value) in map {
        if key.as_str() == Some(crate::command_names::NAME_KEY) {
            continue;
        }
        out.insert(key.clone(), value.clone());
        if key.as_str() == Some("operationId") {
            out.insert(crate::command_names::NAME_KEY.into(), name.as_str().into());
        }
    }
    Value::Mapping(out)
}

/// The kept operations, in document order, with the path-level keys of their path items.
fn paths(
    doc: &Value,
    ops: &[Op],
    kept: &BTreeSet<usize>,
    names: &BTreeMap<String, String>,
) -> Value {
    let mut paths = Mapping::new();
    let Some(source) = doc.get("paths").and_then(Value::as_mapping) else {
        return Value::Mapping(paths);
    };
    for (path, item) in source {
        let (Some(path), Some(item)) = (path.as_str(), item.as_mapping()) else {
            continue;
        };
        let is_kept = |method: &str| {
            ops.iter()
                .enumerate()
                .any(|(i, o)| kept.contains(&i) && o.path == path && o.method == method)
        };
        let mut out = Mapping::new();
        let mut any = false;
        for (key, value) in item {
            let Some(key) = key.as_str() else {
                continue;
            };
            if METHODS.contains(&key) {
                if is_kept(key) {
                    out.insert(key.into(), named(value, names));
                    any = true;
                }
            } else if key != "servers" {
                out.insert(key.into(), value.clone());
            }
        }
        if any {
            paths.insert(path.into(), Value::Mapping(out));
        }
    }
    Value::Mapping(paths)
}

fn info(doc: &Value, options: &ImportOptions) -> Value {
    let mut info = Mapping::new();
    info.insert(
        "title".into(),
        Value::String(format!("Infobip {} API", options.product)),
    );
    if options.keep_docs {
        if let Some(description) = doc.get("info").and_then(|i| i.get("description")) {
            info.insert("description".into(), description.clone());
        }
    }
    info.insert("version".into(), Value::String(source_version(doc)));
    if let Some(source) = &options.source {
        let mut recorded = Mapping::new();
        recorded.insert("document".into(), Value::String(source.document.clone()));
        recorded.insert("version".into(), Value::String(source_version(doc)));
        recorded.insert("sha256".into(), Value::String(source.sha256.clone()));
        info.insert(SOURCE_KEY.into(), Value::Mapping(recorded));
    }
    Value::Mapping(info)
}

/// With `--keep-docs`, the tag definitions the kept operations use (name and description).
fn tags(doc: &Value, paths: &Value, options: &ImportOptions) -> Option<Vec<Value>> {
    if !options.keep_docs {
        return None;
    }
    let used: BTreeSet<&str> = paths
        .as_mapping()?
        .values()
        .filter_map(Value::as_mapping)
        .flat_map(|item| item.values())
        .filter_map(|op| op.get("tags").and_then(Value::as_sequence))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let tags: Vec<Value> = doc
        .get("tags")?
        .as_sequence()?
        .iter()
        .filter(|t| {
            t.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| used.contains(n))
        })
        .map(|t| {
            let mut tag = Mapping::new();
            for key in ["name", "description"] {
                if let Some(value) = t.get(key) {
                    tag.insert(key.into(), value.clone());
                }
            }
            Value::Mapping(tag)
        })
        .collect();
    (!tags.is_empty()).then_some(tags)
}

/// A comment that says where the file came from and how to make it again.
fn header(doc: &Value, options: &ImportOptions) -> String {
    let mut command = format!("cargo xtask import --product {}", options.product);
    if let Some(operations) = &options.operations {
        command.push_str(" --operations ");
        command.push_str(&operations.join(","));
    }
    if options.keep_docs {
        command.push_str(" --keep-docs");
    }
    let overlay = if options.overlay.is_some() {
        format!(
            "\n# with the project's corrections from spec/overlays/{}.yaml applied.",
            options.product
        )
    } else {
        String::new()
    };
    format!(
        "# Infobip's published `{product}` description (version {version}), converted to \
         OpenAPI 3.0.3 by\n#   {command} --from <the published document>{overlay}\n# Importing \
         again (or `cargo xtask import --all`) overwrites this file: correct it in an overlay.\n",
        product = options.product,
        version = source_version(doc),
    )
}
