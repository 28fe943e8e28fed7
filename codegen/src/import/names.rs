//! Schema names: merging identical copies, and readable names for content-hash keys.
//!
//! Infobip keys most schemas `<64 hex digits>.<Name>`, where the hash names the source module.
//! The same schema often appears under several keys (`ApiException` and
//! `578c…ApiException`), which gives one operation several error types, and different schemas
//! share a readable name (`Tracking` in the v2 and v3 SMS modules).
//!
//! Rules:
//! 1. Merge: schemas with the same readable name become one when their content is identical
//!    once documentation is ignored, or when one copy accepts everything the others do
//!    because it only adds optional properties (`afc47ed3….ApiRequestErrorDetails` lacks the
//!    optional `validationErrors` of `ApiRequestErrorDetails`) or, for schemas no request
//!    uses, requires fewer (`8107508a….ApiException` requires `requestError`,
//!    `ApiException` does not); references are compared after earlier merges, repeated until
//!    nothing changes. The key kept is the one without a hash prefix if
//!    there is one, else the smallest key; it gets the fullest content. Which schemas merge
//!    does not depend on the operations chosen.
//! 2. Rename, among the schemas that are kept: each key loses its hash prefix. When several
//!    keep the same name (compared as Rust type names, so `SMSReport` and `SmsReport`
//!    collide), the key without a prefix keeps it, else the schema the kept operations reach
//!    first (operations in document order, breadth first); each other one gets the first 8
//!    hex digits of its hash appended (`Tracking87cf6d66`), more digits if that is taken too
//!    (a key without a hash gets a number: `SmsReport1`).
//! 3. A name whose type would shadow one of std's prelude names (`Box`, `Option`, `Result`...;
//!    the generated code names them unqualified) gets `Schema` appended (`BoxSchema`, then
//!    `BoxSchema2`... if taken), and is reported with the suffixed ones.
//! 4. An operationId that clashes with a name of the generated module (`error` would make
//!    the builder `Error`, `client` the method `Client::client`; see `reserved.rs`) gets its
//!    method in front (`get-error`, then `get-error-2`... if taken), recorded as a change.

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

/// What [`merge_copies`] did.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    /// Merged-away key -> the key kept.
    pub(crate) into: BTreeMap<String, String>,
    /// Keys (merged away or kept) whose own content lacked properties of the merged schema.
    pub(crate) narrower: BTreeSet<String>,
}

fn canonical(schema: &Value, renamer: &dyn Fn(&str) -> Option<String>) -> serde_json::Value {
    let mut copy = without_docs(schema);
    rewrite_refs(&mut copy, renamer);
    // serde_json's maps are sorted, so equal schemas give equal values and text.
    serde_json::to_value(&copy).unwrap_or(serde_json::Value::Null)
}

/// Whether `full` accepts every value `narrow` does because it only adds optional properties
/// (and, with `relax_required`, requires fewer of them).
fn subsumed(narrow: &serde_json::Value, full: &serde_json::Value, relax_required: bool) -> bool {
    let (Some(narrow), Some(full)) = (narrow.as_object(), full.as_object()) else {
        return false;
    };
    let rest = |m: &serde_json::Map<String, serde_json::Value>| {
        m.iter()
            .filter(|(k, _)| *k != "properties" && *k != "required")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let required = |m: &serde_json::Map<String, serde_json::Value>| {
        m.get("required")
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str())
                    .map(str::to_owned)
                    .collect::<BTreeSet<String>>()
            })
            .unwrap_or_default()
    };
    let empty = serde_json::Map::new();
    let properties = |m: &'_ serde_json::Map<String, serde_json::Value>| {
        m.get("properties")
            .and_then(|p| p.as_object())
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (narrow_properties, full_properties) = (properties(narrow), properties(full));
    let required_fits = if relax_required {
        required(full).is_subset(&required(narrow))
    } else {
        required(narrow) == required(full)
    };
    rest(narrow) == rest(full)
        && required_fits
        && narrow_properties
            .iter()
            .all(|(k, v)| full_properties.get(k) == Some(v))
}

/// Merges copies of a schema (rule 1) in place; `sent` holds the schemas that requests use,
/// whose `required` must stay as published.
pub(crate) fn merge_copies(doc: &mut Value, sent: &BTreeSet<String>) -> Merged {
    let mut all = schemas(doc);
    let mut merged = Merged::default();
    let mut replaced: BTreeMap<String, Value> = BTreeMap::new();
    loop {
        let current = merged.into.clone();
        let renamer = schema_renamer(&current);
        let mut groups: BTreeMap<&str, Vec<(&str, serde_json::Value)>> = BTreeMap::new();
        for (key, schema) in all.iter().filter(|(k, _)| !merged.into.contains_key(k)) {
            groups
                .entry(readable(key))
                .or_default()
                .push((key, canonical(schema, &renamer)));
        }
        let mut new: Vec<(String, String)> = Vec::new();
        let mut content: Vec<(String, Value)> = Vec::new();
        for members in groups.values().filter(|m| m.len() > 1) {
            let kept = members
                .iter()
                .map(|(k, _)| *k)
                .find(|k| split_hash(k).is_none())
                .or_else(|| members.iter().map(|(k, _)| *k).min())
                .unwrap_or_default();
            // The fullest form, if every other form is it or a narrower copy of it.
            let full = members.iter().find(|(full_key, form)| {
                members.iter().all(|(key, other)| {
                    let relax = !sent.contains(*key) && !sent.contains(*full_key);
                    other == form || subsumed(other, form, relax)
                })
            });
            match full {
                Some((full_key, full_form)) => {
                    for (key, form) in members {
                        if form != full_form {
                            merged.narrower.insert((*key).to_owned());
                        }
                        if *key != kept {
                            new.push(((*key).to_owned(), kept.to_owned()));
                        }
                    }
                    if *full_key != kept
                        && members.iter().any(|(k, f)| *k == kept && f != full_form)
                    {
                        if let Some((_, schema)) = all.iter().find(|(k, _)| k == full_key) {
                            content.push((kept.to_owned(), schema.clone()));
                        }
                    }
                }
                None => {
                    let mut by_form: Vec<(&serde_json::Value, Vec<&str>)> = Vec::new();
                    for (key, form) in members {
                        match by_form.iter_mut().find(|(f, _)| *f == form) {
                            Some((_, keys)) => keys.push(key),
                            None => by_form.push((form, vec![key])),
                        }
                    }
                    for (_, keys) in by_form.iter().filter(|(_, keys)| keys.len() > 1) {
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
                }
            }
        }
        if new.is_empty() {
            break;
        }
        for (key, schema) in content {
            if let Some(entry) = all.iter_mut().find(|(k, _)| *k == key) {
                entry.1 = schema.clone();
            }
            replaced.insert(key, schema);
        }
        merged.into.extend(new);
    }
    if merged.into.is_empty() {
        return merged;
    }
    if let Some(schemas) = doc
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_mapping_mut)
    {
        for key in merged.into.keys() {
            schemas.shift_remove(key.as_str());
        }
        for (key, schema) in replaced {
            schemas.insert(Value::String(key), schema);
        }
    }
    rewrite_refs(doc, &schema_renamer(&merged.into));
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
    for (key, name) in names.iter_mut() {
        if crate::reserved::schema_name_clash(name).is_none() {
            continue;
        }
        let free = (1..)
            .map(|n| match n {
                1 => format!("{name}Schema"),
                n => format!("{name}Schema{n}"),
            })
            .find(|candidate| !taken.contains(&candidate.to_pascal_case()))
            .unwrap_or_default();
        taken.insert(free.to_pascal_case());
        match suffixed.iter_mut().find(|s| s.original == *key) {
            Some(entry) => entry.name.clone_from(&free),
            None => suffixed.push(Suffixed {
                original: key.clone(),
                name: free.clone(),
            }),
        }
        *name = free;
    }
    (names, suffixed)
}

/// An operationId renamed by rule 4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenamedOperation {
    pub(crate) path: String,
    /// Lower case.
    pub(crate) method: String,
    pub(crate) from: String,
    pub(crate) to: String,
}

/// Renames, in place, the operationIds that clash with the generated module (rule 4).
pub(crate) fn rename_operation_ids(doc: &mut Value) -> Vec<RenamedOperation> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_mapping_mut) else {
        return Vec::new();
    };
    let mut taken: BTreeSet<String> = paths
        .values()
        .filter_map(Value::as_mapping)
        .flat_map(|item| item.values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let mut renamed = Vec::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_mapping_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let (Some(method), Some(operation)) = (method.as_str(), operation.as_mapping_mut())
            else {
                continue;
            };
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            if crate::reserved::operation_id_clash(id).is_none() {
                continue;
            }
            let base = format!("{method}-{id}");
            let Some(to) = (1..)
                .map(|n| match n {
                    1 => base.clone(),
                    n => format!("{base}-{n}"),
                })
                .find(|c| !taken.contains(c) && crate::reserved::operation_id_clash(c).is_none())
            else {
                continue;
            };
            taken.insert(to.clone());
            renamed.push(RenamedOperation {
                path: path.as_str().unwrap_or_default().to_owned(),
                method: method.to_owned(),
                from: id.to_owned(),
                to: to.clone(),
            });
            operation.insert("operationId".into(), Value::String(to));
        }
    }
    renamed
}

/// Renames the schemas of `doc` (keys and every reference) through `names`.
pub(crate) fn apply(doc: &mut Value, names: &BTreeMap<String, String>) {
    rewrite_refs(doc, &schema_renamer(names));
}

#[cfg(test)]
mod tests {
    use super::*;

    const COPY: &str = "0000000000000000000000000000000000000000000000000000000000000001.Error";

    fn doc(copy: &str) -> Value {
        let text = format!(
            "components:\n  schemas:\n    Error:\n      type: object\n      properties:\n        \
             code: {{type: string}}\n        text: {{type: string}}\n    '{COPY}':\n{copy}"
        );
        serde_yaml::from_str(&text).unwrap()
    }

    #[test]
    fn a_copy_that_requires_more_merges_only_when_no_request_sends_it() {
        let stricter =
            "      type: object\n      properties:\n        code: {type: string}\n      required: [code]\n";
        let mut received = doc(stricter);
        let merged = merge_copies(&mut received, &BTreeSet::new());
        assert_eq!(merged.into.get(COPY).map(String::as_str), Some("Error"));
        assert!(merged.narrower.contains(COPY));

        let mut sent = doc(stricter);
        let merged = merge_copies(&mut sent, &BTreeSet::from([COPY.to_owned()]));
        assert!(merged.into.is_empty());
    }

    #[test]
    fn the_key_without_a_hash_gets_the_fuller_content() {
        let fuller =
            "      type: object\n      properties:\n        code: {type: string}\n        \
                      text: {type: string}\n        hint: {type: string}\n";
        let mut value = doc(fuller);
        let merged = merge_copies(&mut value, &BTreeSet::new());
        assert_eq!(merged.into.get(COPY).map(String::as_str), Some("Error"));
        let kept = &value["components"]["schemas"]["Error"]["properties"];
        assert!(kept.get("hint").is_some());
        assert!(merged.narrower.contains("Error"));
    }

    #[test]
    fn different_copies_keep_their_names_apart() {
        let (names, suffixed) = plan_names(&[
            String::from(
                "87cf6d665490382407be009353007f071b1d6d4a375e96d31d3bf0b04b7fb3c7.Tracking",
            ),
            String::from(
                "20085a4036d67f66ebf204560d55d58a7c131c15d42c8ed9442747c488e08630.Tracking",
            ),
            String::from("SMSReport"),
            String::from("SmsReport"),
        ]);
        let name = |k: &str| names.get(k).map(String::as_str);
        assert_eq!(
            name("87cf6d665490382407be009353007f071b1d6d4a375e96d31d3bf0b04b7fb3c7.Tracking"),
            Some("Tracking")
        );
        assert_eq!(
            name("20085a4036d67f66ebf204560d55d58a7c131c15d42c8ed9442747c488e08630.Tracking"),
            Some("Tracking20085a40")
        );
        // Different keys that are the same Rust type name collide too.
        assert_eq!(name("SMSReport"), Some("SMSReport"));
        assert_eq!(name("SmsReport"), Some("SmsReport1"));
        assert_eq!(suffixed.len(), 2);
    }
}
