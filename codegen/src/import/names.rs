//! Schema names: merging identical copies, and readable names for content-hash keys.
//!
//! Infobip keys most schemas `<64 hex digits>.<Name>`, where the hash names the source module.
//! The same schema often appears under several keys (`ApiException` and
//! `578c…ApiException`), which gives one operation several error types, and different schemas
//! share a readable name (`Tracking` in the v2 and v3 SMS modules).
//!
//! Rules:
//! 1. Merge: schemas with the same readable name whose content is identical once documentation
//!    is ignored (references compared after earlier merges, repeated until nothing changes)
//!    become one; the key kept is the one without a hash prefix if there is one, else the
//!    smallest key. Which schemas merge does not depend on the operations chosen.
//! 2. Rename, among the schemas that are kept: each key loses its hash prefix. When several
//!    keep the same name (compared as Rust type names, so `SMSReport` and `SmsReport`
//!    collide), the key without a prefix keeps it, else the schema the kept operations reach
//!    first (operations in document order, breadth first); each other one gets the first 8
//!    hex digits of its hash appended (`Tracking87cf6d66`), more digits if that is taken too.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToPascalCase;
use serde_yaml::Value;

use super::doc::{rewrite_refs, ComponentRef};
use super::report::Suffixed;
use super::schema::without_docs;

/// The hash prefix and the readable name of a key, when it has a prefix.
pub(crate) fn split_hash(key: &str) -> Option<(&str, &str)> {
    let (hash, name) = key.split_once('.')?;
    let is_hash = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (is_hash && !name.is_empty()).then_some((hash, name))
}

/// The key without its hash prefix.
pub(crate) fn readable(key: &str) -> &str {
    split_hash(key).map_or(key, |(_, name)| name)
}

fn schemas(doc: &Value) -> Vec<(String, Value)> {
    doc.get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn schema_renamer(map: &BTreeMap<String, String>) -> impl Fn(&str) -> Option<String> + '_ {
    move |reference: &str| {
        let target = ComponentRef::parse(reference)?;
        if target.kind != "schemas" {
            return None;
        }
        map.get(&target.name)
            .map(|name| ComponentRef::schema(name).reference())
    }
}

/// Merges identical schemas (rule 1) in place; returns merged-away key -> key kept.
pub(crate) fn merge_identical(doc: &mut Value) -> BTreeMap<String, String> {
    let all = schemas(doc);
    let mut merged: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let current = merged.clone();
        let renamer = schema_renamer(&current);
        let mut groups: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
        for (key, schema) in all.iter().filter(|(k, _)| !merged.contains_key(k)) {
            let mut canonical = without_docs(schema);
            rewrite_refs(&mut canonical, &renamer);
            // serde_json's maps are sorted, so equal schemas give equal text.
            let text = serde_json::to_string(&canonical).unwrap_or_default();
            groups
                .entry((readable(key).to_owned(), text))
                .or_default()
                .push(key);
        }
        let mut new = Vec::new();
        for keys in groups.values().filter(|keys| keys.len() > 1) {
            let kept = keys
                .iter()
                .find(|k| split_hash(k).is_none())
                .or_else(|| keys.iter().min())
                .copied()
                .unwrap_or_default();
            new.extend(
                keys.iter()
                    .filter(|k| **k != kept)
                    .map(|k| ((*k).to_owned(), kept.to_owned())),
            );
        }
        if new.is_empty() {
            break;
        }
        merged.extend(new);
    }
    if merged.is_empty() {
        return merged;
    }
    if let Some(schemas) = doc
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_mapping_mut)
    {
        for key in merged.keys() {
            schemas.shift_remove(key.as_str());
        }
    }
    rewrite_refs(doc, &schema_renamer(&merged));
    merged
}

/// Final names for the kept schema keys (rule 2), given in the order they are reached.
pub(crate) fn plan_names(reached: &[String]) -> (BTreeMap<String, String>, Vec<Suffixed>) {
    let type_name = |key: &str| readable(key).to_pascal_case();
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut group_order: Vec<String> = Vec::new();
    for key in reached {
        let name = type_name(key);
        if !groups.contains_key(&name) {
            group_order.push(name.clone());
        }
        groups.entry(name).or_default().push(key);
    }
    let mut names = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut later: Vec<&str> = Vec::new();
    for group in &group_order {
        let keys = groups.get(group).cloned().unwrap_or_default();
        let first = keys
            .iter()
            .find(|k| split_hash(k).is_none())
            .or_else(|| keys.first())
            .copied()
            .unwrap_or_default();
        names.insert(first.to_owned(), readable(first).to_owned());
        taken.insert(type_name(first));
        later.extend(keys.into_iter().filter(|k| *k != first));
    }
    let mut suffixed = Vec::new();
    for key in later {
        let (hash, name) = split_hash(key).unwrap_or(("", key));
        let mut digits = 8;
        let candidate = loop {
            let suffix = if hash.is_empty() {
                format!("{}", digits - 7)
            } else {
                hash.chars().take(digits).collect::<String>()
            };
            let candidate = format!("{name}{suffix}");
            if !taken.contains(&candidate.to_pascal_case()) || digits >= hash.len().max(64) {
                break candidate;
            }
            digits += 4;
        };
        taken.insert(candidate.to_pascal_case());
        names.insert(key.to_owned(), candidate.clone());
        suffixed.push(Suffixed {
            original: key.to_owned(),
            name: candidate,
        });
    }
    (names, suffixed)
}

/// Renames the schemas of `doc` (keys and every reference) through `names`.
pub(crate) fn apply(doc: &mut Value, names: &BTreeMap<String, String>) {
    rewrite_refs(doc, &schema_renamer(names));
}
