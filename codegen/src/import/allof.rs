//! `allOf` whose members define the same property differently.
//!
//! Infobip's schemas extend a base through `allOf` and narrow a property the base defines
//! (`BoxComponentBase.contents: Component[]`, `HorizontalVerticalBoxComponent.contents:
//! HorizontalVerticalComponent[]`): a subclass overriding a field. typify reads `allOf` as an
//! intersection and merges the two definitions; when they are references into recursive
//! types, the merge never ends and the process dies of a stack overflow (not a panic that
//! can be caught).
//!
//! Such an `allOf` is flattened here into one object with override semantics, which is what
//! the published form means and what typify would have generated for the rest: properties of
//! the referenced members first (in order), then those written inline in the `allOf`, then
//! the schema's own; a later definition replaces an earlier one; `required` is the union.
//! Conflicts between plain values (strings, numbers, enums) are left to typify, which
//! intersects them correctly (that is how a pinned discriminator narrows an enum).

use std::collections::BTreeSet;

use serde_yaml::{Mapping, Value};

use super::doc::ComponentRef;
use super::report::Change;
use super::schema::without_docs;
use super::{Log, Owner, Problem};

/// The properties and required names an `allOf` member contributes, with whether it was
/// written inline; `None` when the member is a union or cannot be followed.
struct Part {
    inline: bool,
    properties: Vec<(String, Value)>,
    required: Vec<String>,
}

fn lookup<'a>(schemas: &'a Mapping, reference: &str) -> Option<(String, &'a Value)> {
    let target = ComponentRef::parse(reference)?;
    if target.kind != "schemas" {
        return None;
    }
    let value = schemas.get(target.name.as_str())?;
    Some((target.name, value))
}

/// The object a schema describes, through references and `allOf`; `None` for unions.
fn parts(
    schema: &Value,
    schemas: &Mapping,
    inline: bool,
    visiting: &mut BTreeSet<String>,
) -> Option<Vec<Part>> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let (name, target) = lookup(schemas, reference)?;
        if !visiting.insert(name.clone()) {
            return None;
        }
        let result = parts(target, schemas, false, visiting);
        visiting.remove(&name);
        return result;
    }
    if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
        return None;
    }
    let mut out = Vec::new();
    if let Some(members) = schema.get("allOf").and_then(Value::as_sequence) {
        for member in members {
            let is_inline = member.get("$ref").is_none();
            out.extend(parts(member, schemas, inline && is_inline, visiting)?);
        }
    }
    let properties = schema
        .get("properties")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let required = schema
        .get("required")
        .and_then(Value::as_sequence)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    out.push(Part {
        inline,
        properties,
        required,
    });
    Some(out)
}

/// A definition typify intersects safely: a string, number, boolean or enum.
fn is_plain(definition: &Value, schemas: &Mapping, depth: usize) -> bool {
    if let Some(reference) = definition.get("$ref").and_then(Value::as_str) {
        return depth < 8
            && lookup(schemas, reference).is_some_and(|(_, t)| is_plain(t, schemas, depth + 1));
    }
    definition.get("enum").is_some()
        || matches!(
            definition.get("type").and_then(Value::as_str),
            Some("string" | "integer" | "number" | "boolean")
        )
}

/// The first property that two members define differently, where one definition is not plain.
fn conflict(parts: &[Part], schemas: &Mapping) -> Option<String> {
    let mut seen: Vec<(&str, Value)> = Vec::new();
    for part in parts {
        for (name, definition) in &part.properties {
            let canonical = without_docs(definition);
            match seen.iter().find(|(n, _)| n == name) {
                Some((_, earlier))
                    if *earlier != canonical
                        && !(is_plain(earlier, schemas, 0) && is_plain(&canonical, schemas, 0)) =>
                {
                    return Some(name.clone());
                }
                Some(_) => {}
                None => seen.push((name, canonical)),
            }
        }
    }
    None
}

fn flatten(schema: &Value, parts: Vec<Part>) -> Value {
    let (referenced, inline): (Vec<Part>, Vec<Part>) = parts.into_iter().partition(|p| !p.inline);
    let mut properties = Mapping::new();
    let mut required: Vec<String> = Vec::new();
    for part in referenced.into_iter().chain(inline) {
        for (name, definition) in part.properties {
            properties.insert(Value::String(name), definition);
        }
        for name in part.required {
            if !required.contains(&name) {
                required.push(name);
            }
        }
    }
    let mut out = Mapping::new();
    out.insert("type".into(), "object".into());
    if let Some(own) = schema.as_mapping() {
        for (key, value) in own {
            if !matches!(
                key.as_str(),
                Some("allOf" | "properties" | "required" | "type")
            ) {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out.insert("properties".into(), Value::Mapping(properties));
    if !required.is_empty() {
        out.insert(
            "required".into(),
            Value::Sequence(required.into_iter().map(Value::String).collect()),
        );
    }
    Value::Mapping(out)
}

/// Flattens every component schema whose `allOf` members redefine a property (see the module
/// docs); one that cannot be flattened (a member is a union) is a problem.
pub(crate) fn flatten_overrides(doc: &mut Value, log: &mut Log) {
    let Some(schemas) = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_mapping)
        .cloned()
    else {
        return;
    };
    let mut replaced: Vec<(String, Value)> = Vec::new();
    for (name, schema) in &schemas {
        let Some(name) = name.as_str() else {
            continue;
        };
        if schema.get("allOf").is_none() {
            continue;
        }
        let owner = Owner::Component(ComponentRef::schema(name));
        let mut visiting = BTreeSet::from([name.to_owned()]);
        match parts(schema, &schemas, true, &mut visiting) {
            Some(found) => {
                if conflict(&found, &schemas).is_some() {
                    replaced.push((name.to_owned(), flatten(schema, found)));
                    log.changes.push((owner, Change::AllOfFlattened));
                }
            }
            None => {
                // A union member: harmless unless a property is redefined, which typify's
                // merge cannot survive if the types are recursive; refuse rather than crash.
                let members = schema.get("allOf").and_then(Value::as_sequence);
                let defined: Vec<Part> = members
                    .into_iter()
                    .flatten()
                    .filter_map(|m| parts(m, &schemas, true, &mut visiting.clone()))
                    .flatten()
                    .collect();
                if let Some(property) = conflict(&defined, &schemas) {
                    log.problems.push(Problem {
                        owner,
                        pointer: format!("{}/allOf", ComponentRef::schema(name).pointer()),
                        reason: format!(
                            "allOf members define `{property}` differently and one member is a \
                             union; typify would merge them without end"
                        ),
                    });
                }
            }
        }
    }
    if let Some(target) = doc
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_mapping_mut)
    {
        for (name, value) in replaced {
            target.insert(Value::String(name), value);
        }
    }
}
