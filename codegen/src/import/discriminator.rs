//! Discriminated unions, in the form typify turns into a Rust enum.
//!
//! Infobip writes a union as a base object with `discriminator.mapping` (value -> variant
//! schema) and, in most products, no `oneOf`; each variant includes the base through `allOf`.
//! typify ignores `discriminator`, so the base becomes a struct with the common fields only:
//! a variant's own fields could neither be sent nor read. Where the base does list `oneOf`,
//! the variants include the union that includes them, and typify recurses until the stack
//! overflows.
//!
//! The rewrite, per base `B` with a mapping:
//! - `B` becomes `oneOf` of its variants (the `oneOf` members if it had them, else the mapped
//!   schemas in mapping order), keeping `discriminator` for readers;
//! - when schemas extend `B` (an `allOf` with other members, or any `allOf` of a variant), the
//!   object part of `B` moves to `<B>Base` and those `allOf`s point there instead;
//! - each variant's discriminator property is pinned to the value(s) that map to it, so that
//!   typify's untagged enum picks the right variant when reading (without the pin, the first
//!   variant whose required fields are present would win).

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::{Mapping, Value};

use super::doc::{mapping, ComponentRef};
use super::report::Change;
use super::{Log, Owner};

/// Variant -> the discriminator values that map to it, in mapping order.
type Values = Vec<(String, Vec<Value>)>;

struct Plan {
    base: String,
    /// The discriminator property, for unions with a mapping (their variants get pinned).
    property: Option<String>,
    /// `oneOf`, or `anyOf` for an undiscriminated `anyOf` union.
    keyword: &'static str,
    variants: Vec<String>,
    values: Values,
}

fn schema_name(reference: &Value) -> Option<String> {
    let target = ComponentRef::parse(reference.as_str()?)?;
    (target.kind == "schemas").then_some(target.name)
}

/// Discriminator property and mapping (variant -> values), when every target resolves.
fn mapping_of(schema: &Value, schemas: &Mapping) -> Option<(String, Values)> {
    let discriminator = schema.get("discriminator")?;
    let property = discriminator.get("propertyName")?.as_str()?.to_owned();
    let mut values: Values = Vec::new();
    for (value, target) in discriminator.get("mapping")?.as_mapping()? {
        let target = schema_name(target).filter(|t| schemas.contains_key(t.as_str()))?;
        match values.iter_mut().find(|(t, _)| *t == target) {
            Some((_, list)) => list.push(value.clone()),
            None => values.push((target, vec![value.clone()])),
        }
    }
    Some((property, values))
}

/// Whether `variant` includes the schema `base` directly through `allOf`.
fn extends(variant: &Value, base: &str) -> bool {
    let reference = ComponentRef::schema(base).reference();
    variant
        .get("allOf")
        .and_then(Value::as_sequence)
        .is_some_and(|members| {
            members
                .iter()
                .any(|m| m.get("$ref").and_then(Value::as_str) == Some(reference.as_str()))
        })
}

fn plan(name: &str, schema: &Value, schemas: &Mapping) -> Option<Plan> {
    let (keyword, members) = match ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| Some((k, schema.get(k)?.as_sequence()?)))
    {
        Some((keyword, list)) => (
            keyword,
            list.iter()
                .filter_map(|m| m.get("$ref"))
                .filter_map(schema_name)
                .collect::<Vec<String>>(),
        ),
        None => ("oneOf", Vec::new()),
    };
    if let Some((property, values)) = mapping_of(schema, schemas) {
        let variants = if members.is_empty() {
            values.iter().map(|(t, _)| t.clone()).collect()
        } else {
            members
        };
        return (!variants.is_empty()).then(|| Plan {
            base: name.to_owned(),
            property: Some(property),
            keyword: "oneOf",
            variants,
            values,
        });
    }
    // A union without a mapping only needs rewriting when a variant includes it (a cycle).
    let cyclic = members
        .iter()
        .any(|m| schemas.get(m.as_str()).is_some_and(|v| extends(v, name)));
    cyclic.then(|| Plan {
        base: name.to_owned(),
        property: None,
        keyword,
        variants: members,
        values: Vec::new(),
    })
}

/// Rewrites the unions of `components.schemas` (see the module docs).
pub(crate) fn convert(doc: &mut Value, keep_docs: bool, log: &mut Log) {
    let plans: Vec<Plan> = {
        let Some(schemas) = schemas(doc) else {
            return;
        };
        schemas
            .iter()
            .filter_map(|(name, schema)| plan(name.as_str()?, schema, schemas))
            .collect()
    };
    let bases: BTreeSet<String> = plans.iter().map(|p| p.base.clone()).collect();
    for plan in &plans {
        rewrite_base(doc, plan, keep_docs, log);
    }
    let mut pinned: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for plan in &plans {
        let Some(property) = &plan.property else {
            continue;
        };
        for (variant, values) in &plan.values {
            let owner = Owner::Component(ComponentRef::schema(variant));
            let key = (variant.clone(), property.clone());
            let change = match pinned.get(&key) {
                Some(existing) if existing == values => continue,
                Some(_) => Change::DiscriminatorVariantUnpinned,
                None if bases.contains(variant) => Change::DiscriminatorVariantUnpinned,
                None => {
                    let done = schemas_mut(doc)
                        .and_then(|s| s.get_mut(variant.as_str()))
                        .is_some_and(|schema| pin(schema, property, values));
                    if done {
                        pinned.insert(key, values.clone());
                        Change::DiscriminatorPinned
                    } else {
                        Change::DiscriminatorVariantUnpinned
                    }
                }
            };
            log.changes.push((owner, change));
        }
    }
}

fn schemas(doc: &Value) -> Option<&Mapping> {
    doc.get("components")?.get("schemas")?.as_mapping()
}

fn schemas_mut(doc: &mut Value) -> Option<&mut Mapping> {
    doc.get_mut("components")?
        .get_mut("schemas")?
        .as_mapping_mut()
}

fn schema_ref(name: &str) -> Value {
    mapping([(
        "$ref",
        Value::String(ComponentRef::schema(name).reference()),
    )])
}

fn rewrite_base(doc: &mut Value, plan: &Plan, keep_docs: bool, log: &mut Log) {
    let owner = Owner::Component(ComponentRef::schema(&plan.base));
    let Some(original) = schemas(doc)
        .and_then(|s| s.get(plan.base.as_str()))
        .cloned()
    else {
        return;
    };
    let base_name = fresh_name(doc, &format!("{}Base", plan.base));
    let from = ComponentRef::schema(&plan.base).reference();
    let to = ComponentRef::schema(&base_name).reference();
    let variants: BTreeSet<&str> = plan.variants.iter().map(String::as_str).collect();
    let mut extended = false;
    if let Some(schemas) = schemas_mut(doc) {
        for (name, schema) in schemas.iter_mut() {
            let is_variant = name.as_str().is_some_and(|n| variants.contains(n));
            extended |= point_extensions(schema, &from, &to, is_variant);
        }
    }
    if let Some(paths) = doc.get_mut("paths") {
        extended |= point_extensions(paths, &from, &to, false);
    }
    let mut union = Mapping::new();
    if keep_docs {
        if let Some(description) = original.get("description") {
            union.insert("description".into(), description.clone());
        }
    }
    union.insert(
        plan.keyword.into(),
        Value::Sequence(plan.variants.iter().map(|v| schema_ref(v)).collect()),
    );
    if let Some(discriminator) = original.get("discriminator") {
        union.insert("discriminator".into(), discriminator.clone());
    }
    let Some(schemas) = schemas_mut(doc) else {
        return;
    };
    if extended {
        let mut object = original.as_mapping().cloned().unwrap_or_default();
        for key in ["discriminator", "oneOf", "anyOf"] {
            object.shift_remove(key);
        }
        schemas.insert(base_name.into(), Value::Mapping(object));
        log.changes
            .push((owner.clone(), Change::DiscriminatorBaseSplit));
    }
    schemas.insert(plan.base.clone().into(), Value::Mapping(union));
    if plan.property.is_some() {
        log.changes.push((owner, Change::DiscriminatorToOneOf));
    }
}

fn fresh_name(doc: &Value, wanted: &str) -> String {
    let taken = |name: &str| schemas(doc).is_some_and(|s| s.contains_key(name));
    let mut name = wanted.to_owned();
    let mut n = 2;
    while taken(&name) {
        name = format!("{wanted}{n}");
        n += 1;
    }
    name
}

/// Points `allOf` members `{$ref: from}` at `to` where they extend the base: in `allOf`s with
/// other members, and anywhere in a variant. A lone `allOf: [{$ref}]` elsewhere is a use of the
/// union (a `$ref` with siblings, wrapped), and keeps pointing at it.
fn point_extensions(value: &mut Value, from: &str, to: &str, in_variant: bool) -> bool {
    let mut changed = false;
    match value {
        Value::Mapping(map) => {
            if let Some(Value::Sequence(members)) = map.get_mut("allOf") {
                if in_variant || members.len() > 1 {
                    for member in members.iter_mut() {
                        if member.get("$ref").and_then(Value::as_str) == Some(from)
                            && member.as_mapping().is_some_and(|m| m.len() == 1)
                        {
                            *member = mapping([("$ref", Value::String(to.to_owned()))]);
                            changed = true;
                        }
                    }
                }
            }
            for (_, child) in map.iter_mut() {
                changed |= point_extensions(child, from, to, in_variant);
            }
        }
        Value::Sequence(items) => {
            for item in items {
                changed |= point_extensions(item, from, to, in_variant);
            }
        }
        _ => {}
    }
    changed
}

/// Pins `property` of a variant to `values`; false when the variant has no place for it.
fn pin(schema: &mut Value, property: &str, values: &[Value]) -> bool {
    let Some(map) = schema.as_mapping_mut() else {
        return false;
    };
    let pinned = mapping([
        ("type", Value::String(String::from("string"))),
        ("enum", Value::Sequence(values.to_vec())),
    ]);
    let required = Value::Sequence(vec![Value::String(property.to_owned())]);
    if let Some(Value::Sequence(members)) = map.get_mut("allOf") {
        members.push(mapping([
            ("type", Value::String(String::from("object"))),
            ("properties", mapping([(property, pinned)])),
            ("required", required),
        ]));
        return true;
    }
    let composed = ["$ref", "oneOf", "anyOf"]
        .iter()
        .any(|k| map.contains_key(*k));
    if composed {
        return false;
    }
    let Some(Value::Mapping(properties)) = map.get_mut("properties") else {
        return false;
    };
    properties.insert(property.into(), pinned);
    match map.get_mut("required") {
        Some(Value::Sequence(list)) => {
            if !list.iter().any(|r| r.as_str() == Some(property)) {
                list.push(Value::String(property.to_owned()));
            }
        }
        _ => {
            map.insert("required".into(), required);
        }
    }
    true
}
