//! JSON Schema 2020-12 (OpenAPI 3.1) into the OpenAPI 3.0 schema dialect that progenitor and
//! typify read.
//!
//! The walk is schema-aware: it enters `properties`, `items`, `allOf` and the like, never
//! example values or the property maps themselves, so a property named `x-id` or `title`
//! survives while the keyword `title` does not.

use serde_yaml::{Mapping, Value};

use super::doc::child;
use super::report::Change;
use super::Ctx;

/// Keywords that only document a schema.
pub(crate) const DOC_KEYS: [&str; 5] = [
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// 2020-12 keywords without a 3.0 form that only annotate (dropping them loses no constraint
/// a Rust type could carry).
const ANNOTATIONS: [&str; 7] = [
    "$comment",
    "$schema",
    "$id",
    "$anchor",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// 2020-12 keywords without a 3.0 form that constrain: the import refuses them.
const UNSUPPORTED: [&str; 16] = [
    "if",
    "then",
    "else",
    "prefixItems",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
    "patternProperties",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
];

/// Keywords whose value is one schema.
const SCHEMA_KEYS: [&str; 3] = ["items", "additionalProperties", "not"];
/// Keywords whose value is a list of schemas.
const LIST_KEYS: [&str; 3] = ["allOf", "oneOf", "anyOf"];

/// Drops `x-*` keys of an OpenAPI object (not of a map of names), except those in `keep`.
pub(crate) fn strip_extensions(map: &mut Mapping, keep: &[&str], ctx: &mut Ctx<'_>) {
    let extensions: Vec<String> = map
        .keys()
        .filter_map(Value::as_str)
        .filter(|k| k.starts_with("x-") && !keep.contains(k))
        .map(str::to_owned)
        .collect();
    for key in extensions {
        map.shift_remove(key.as_str());
        ctx.change(Change::ExtensionDropped(key));
    }
}

/// Drops the given documentation keys unless docs are kept.
pub(crate) fn strip_docs(map: &mut Mapping, keys: &[&str], ctx: &mut Ctx<'_>) {
    if ctx.keep_docs {
        return;
    }
    for key in keys {
        if map.shift_remove(*key).is_some() {
            ctx.change(Change::DocsDropped((*key).to_owned()));
        }
    }
}

/// Converts one schema in place; `pointer` is where it sits in the published document.
pub(crate) fn convert(schema: &mut Value, pointer: &str, ctx: &mut Ctx<'_>) {
    let Value::Mapping(map) = schema else {
        // A boolean schema: 3.0 has none, but `additionalProperties: false` is handled by the
        // caller, and `true` elsewhere means "anything", which is what an empty schema says.
        if matches!(schema, Value::Bool(true)) {
            *schema = Value::Mapping(Mapping::new());
        } else if !matches!(schema, Value::Bool(_)) {
            ctx.problem(pointer, "this is not a schema (expected a mapping)");
        }
        return;
    };
    strip_extensions(map, &[], ctx);
    for key in ANNOTATIONS {
        if map.shift_remove(key).is_some() {
            ctx.change(Change::AnnotationDropped(key.to_owned()));
        }
    }
    if map.shift_remove("xml").is_some() {
        ctx.change(Change::XmlHintsDropped);
    }
    for key in UNSUPPORTED {
        if map.contains_key(key) {
            ctx.problem(
                &child(pointer, key),
                &format!(
                    "`{key}` (JSON Schema 2020-12) has no OpenAPI 3.0 form that progenitor reads"
                ),
            );
        }
    }
    examples_to_example(map, ctx);
    strip_docs(map, &DOC_KEYS, ctx);
    if let Some(value) = map.shift_remove("const") {
        if !map.contains_key("enum") {
            map.insert("enum".into(), Value::Sequence(vec![value]));
        }
        ctx.change(Change::ConstToEnum);
    }
    convert_type(map, pointer, ctx);
    null_members(map, ctx);
    if exclusive_bounds(map) {
        ctx.change(Change::ExclusiveBound);
    }
    convert_enum(map, ctx);
    check_pattern(map, ctx);
    check_default(map, ctx);
    drop_false_flags(map, ctx);
    drop_zero_minimums(map, ctx);
    unwrap_single_all_of(map, ctx);
    ref_siblings(map, ctx);

    if let Some(Value::Mapping(properties)) = map.get_mut("properties") {
        let base = child(pointer, "properties");
        for (name, property) in properties.iter_mut() {
            let name = name.as_str().unwrap_or_default().to_owned();
            convert(property, &child(&base, &name), ctx);
        }
    }
    for key in SCHEMA_KEYS {
        match map.get_mut(key) {
            Some(Value::Bool(_)) | None => {}
            Some(Value::Sequence(_)) if key == "items" => ctx.problem(
                &child(pointer, key),
                "`items` is a list (a tuple); OpenAPI 3.0 has no tuples",
            ),
            Some(value) => convert(value, &child(pointer, key), ctx),
        }
    }
    for key in LIST_KEYS {
        if let Some(Value::Sequence(members)) = map.get_mut(key) {
            let base = child(pointer, key);
            for (i, member) in members.iter_mut().enumerate() {
                convert(member, &child(&base, &i.to_string()), ctx);
            }
        }
    }
}

/// 2020-12's `examples: [..]` is a list of values; 3.0 has one `example`.
fn examples_to_example(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    if !matches!(map.get("examples"), Some(Value::Sequence(_))) {
        return;
    }
    let Some(Value::Sequence(list)) = map.shift_remove("examples") else {
        return;
    };
    if ctx.keep_docs {
        if let Some(first) = list.into_iter().next() {
            if !map.contains_key("example") {
                map.insert("example".into(), first);
            }
        }
        ctx.change(Change::ExamplesToExample);
    } else {
        ctx.change(Change::DocsDropped(String::from("examples")));
    }
}

fn set_nullable(map: &mut Mapping) {
    map.insert("nullable".into(), Value::Bool(true));
}

/// `type: [T, "null"]` -> `type: T, nullable: true`; `type: "null"` beside a composition
/// -> `nullable: true`.
fn convert_type(map: &mut Mapping, pointer: &str, ctx: &mut Ctx<'_>) {
    match map.get("type") {
        Some(Value::Sequence(types)) => {
            let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            let non_null: Vec<String> = names
                .iter()
                .filter(|t| **t != "null")
                .map(|t| (*t).to_owned())
                .collect();
            let nullable = non_null.len() < names.len();
            match non_null.as_slice() {
                [] => {
                    map.shift_remove("type");
                    set_nullable(map);
                    ctx.change(Change::NullTypeToNullable);
                }
                [single] => {
                    map.insert("type".into(), Value::String(single.clone()));
                    if nullable {
                        set_nullable(map);
                    }
                    ctx.change(Change::TypeArrayToNullable);
                }
                several => ctx.problem(
                    &child(pointer, "type"),
                    &format!(
                        "a list of several types ({}) has no OpenAPI 3.0 form; \
                         progenitor needs one type (or oneOf)",
                        several.join(", ")
                    ),
                ),
            }
        }
        Some(Value::String(t)) if t == "null" => {
            map.shift_remove("type");
            set_nullable(map);
            ctx.change(Change::NullTypeToNullable);
        }
        _ => {}
    }
}

/// A schema that only admits `null`.
fn is_null_only(schema: &Value) -> bool {
    let Some(map) = schema.as_mapping() else {
        return false;
    };
    let null_type = match map.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Sequence(types)) => types.iter().all(|t| t.as_str() == Some("null")),
        _ => false,
    };
    null_type
        && map
            .keys()
            .filter_map(Value::as_str)
            .all(|k| k == "type" || DOC_KEYS.contains(&k))
}

/// `oneOf: [X, {type: "null"}]` -> `oneOf: [X], nullable: true`.
fn null_members(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Sequence(members)) = map.get_mut(key) else {
            continue;
        };
        let before = members.len();
        members.retain(|m| !is_null_only(m));
        if members.len() < before {
            set_nullable(map);
            ctx.change(Change::NullTypeToNullable);
        }
    }
}

/// 2020-12's numeric `exclusiveMinimum: n` is 3.0's `minimum: n, exclusiveMinimum: true`
/// (and the same for the maximum). When both a bound and an exclusive bound are given, the
/// stricter one wins.
fn exclusive_bounds(map: &mut Mapping) -> bool {
    let mut changed = false;
    for (exclusive, bound, lower) in [
        ("exclusiveMinimum", "minimum", true),
        ("exclusiveMaximum", "maximum", false),
    ] {
        let Some(limit) = map.get(exclusive).and_then(Value::as_f64) else {
            continue;
        };
        let Some(limit_value) = map.get(exclusive).cloned() else {
            continue;
        };
        let stricter = match map.get(bound).and_then(Value::as_f64) {
            None => true,
            Some(inclusive) if lower => limit >= inclusive,
            Some(inclusive) => limit <= inclusive,
        };
        if stricter {
            map.insert(bound.into(), limit_value);
            map.insert(exclusive.into(), Value::Bool(true));
        } else {
            map.shift_remove(exclusive);
        }
        changed = true;
    }
    changed
}

/// Whether a value has the JSON type a schema's `type` names.
fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "array" => value.is_sequence(),
        "object" => value.is_mapping(),
        "string" => value.is_string(),
        "boolean" => value.is_bool(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => true,
    }
}

fn convert_enum(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    let kind = map.get("type").and_then(Value::as_str).map(str::to_owned);
    if let (Some(kind), Some(Value::Sequence(values))) = (&kind, map.get("enum")) {
        if values.iter().any(|v| !v.is_null() && !has_type(v, kind)) {
            map.shift_remove("enum");
            ctx.change(Change::MisplacedEnumDropped);
            return;
        }
    }
    let Some(Value::Sequence(values)) = map.get_mut("enum") else {
        return;
    };
    let before = values.len();
    let mut unique: Vec<Value> = Vec::with_capacity(before);
    for value in values.drain(..) {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    let deduplicated = unique.len() < before;
    let padded = unique
        .iter()
        .filter_map(Value::as_str)
        .any(|s| s.trim() != s);
    *values = unique;
    if deduplicated {
        ctx.change(Change::EnumDuplicatesRemoved);
    }
    if padded {
        ctx.change(Change::PaddedEnumValuesKept);
    }
    widen_clashing_enum(map, ctx);
}

/// A string enum with two values that typify would give the same variant name (it panics on
/// them) becomes a plain string: narrowing it would refuse a value Infobip sends.
fn widen_clashing_enum(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    let Some(Value::Sequence(values)) = map.get("enum") else {
        return;
    };
    let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    if crate::idents::enum_variant_clash(&strings).is_none() {
        return;
    }
    let nullable = values.iter().any(Value::is_null);
    map.shift_remove("enum");
    if !map.contains_key("type") {
        map.insert("type".into(), "string".into());
    }
    if nullable {
        map.insert("nullable".into(), Value::Bool(true));
    }
    ctx.change(Change::ClashingEnumToString);
}

fn check_pattern(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    let refused = map
        .get("pattern")
        .and_then(Value::as_str)
        .is_some_and(|p| regress::Regex::new(p).is_err());
    if refused {
        map.shift_remove("pattern");
        ctx.change(Change::PatternDropped);
    }
}

fn check_default(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    let Some(default) = map.get("default") else {
        return;
    };
    let wrong_type = map
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|kind| !default.is_null() && !has_type(default, kind));
    let not_listed = map
        .get("enum")
        .and_then(Value::as_sequence)
        .is_some_and(|values| !values.contains(default));
    if wrong_type || not_listed {
        map.shift_remove("default");
        ctx.change(Change::DefaultDropped);
    }
}

/// `minLength: 0` and the like bound nothing, and typify writes a check for them that the
/// compiler warns is always false.
fn drop_zero_minimums(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    for key in ["minLength", "minItems", "minProperties"] {
        if map.get(key).and_then(Value::as_u64) == Some(0) {
            map.shift_remove(key);
            ctx.change(Change::ZeroMinimumDropped(key.to_owned()));
        }
    }
}

/// `readOnly: false` and the like say what the keyword's absence says; dropped so that copies
/// of a schema that differ only by them compare equal.
fn drop_false_flags(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    for key in [
        "readOnly",
        "writeOnly",
        "nullable",
        "deprecated",
        "uniqueItems",
    ] {
        if map.get(key) == Some(&Value::Bool(false)) {
            map.shift_remove(key);
            ctx.change(Change::FalseFlagDropped(key.to_owned()));
        }
    }
}

/// `allOf: [{$ref: X}]` with nothing else but documentation is `$ref: X`.
fn unwrap_single_all_of(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    let single_ref = match map.get("allOf") {
        Some(Value::Sequence(members)) if members.len() == 1 => members[0]
            .as_mapping()
            .filter(|m| m.len() == 1 && m.contains_key("$ref"))
            .cloned(),
        _ => None,
    };
    let Some(reference) = single_ref else {
        return;
    };
    let only_docs = map
        .keys()
        .filter_map(Value::as_str)
        .all(|k| k == "allOf" || DOC_KEYS.contains(&k));
    if !only_docs {
        return;
    }
    map.shift_remove("allOf");
    let docs = std::mem::take(map);
    *map = reference;
    // Documentation stays beside the `$ref` for `ref_siblings` to deal with.
    for (key, value) in docs {
        map.insert(key, value);
    }
    ctx.change(Change::SingleAllOfUnwrapped);
}

/// 3.0 ignores every key beside `$ref`. Documentation there is dropped; anything else
/// (`nullable`, `default`, `readOnly`, ...) is kept by wrapping the reference in `allOf`.
fn ref_siblings(map: &mut Mapping, ctx: &mut Ctx<'_>) {
    if !map.contains_key("$ref") || map.len() == 1 {
        return;
    }
    let mut docs_dropped = false;
    for key in DOC_KEYS {
        if map.shift_remove(key).is_some() {
            docs_dropped = true;
        }
    }
    if docs_dropped {
        ctx.change(Change::RefSiblingDocsDropped);
    }
    if map.len() == 1 {
        return;
    }
    let Some(reference) = map.shift_remove("$ref") else {
        return;
    };
    let mut target = Mapping::new();
    target.insert("$ref".into(), reference);
    let mut wrapped = Mapping::new();
    wrapped.insert(
        "allOf".into(),
        Value::Sequence(vec![Value::Mapping(target)]),
    );
    for (key, value) in std::mem::take(map) {
        wrapped.insert(key, value);
    }
    *map = wrapped;
    ctx.change(Change::RefSiblingsWrapped);
}

/// The schema without documentation at any depth, for comparing two schemas by meaning.
pub(crate) fn without_docs(schema: &Value) -> Value {
    let mut copy = schema.clone();
    strip_docs_deep(&mut copy);
    copy
}

fn strip_docs_deep(schema: &mut Value) {
    let Value::Mapping(map) = schema else {
        return;
    };
    for key in DOC_KEYS {
        map.shift_remove(key);
    }
    if let Some(Value::Mapping(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(strip_docs_deep);
    }
    for key in SCHEMA_KEYS {
        if let Some(value) = map.get_mut(key) {
            strip_docs_deep(value);
        }
    }
    for key in LIST_KEYS {
        if let Some(Value::Sequence(members)) = map.get_mut(key) {
            members.iter_mut().for_each(strip_docs_deep);
        }
    }
}

/// The references a schema includes structurally (`allOf`/`oneOf`/`anyOf`/`not` members,
/// at any depth of composition), which typify expands in place; references under
/// `properties` or `items` become named fields and are not included.
pub(crate) fn included_refs(schema: &Value, out: &mut Vec<String>) {
    let Some(map) = schema.as_mapping() else {
        return;
    };
    if let Some(Value::String(reference)) = map.get("$ref") {
        out.push(reference.clone());
    }
    for key in LIST_KEYS {
        if let Some(Value::Sequence(members)) = map.get(key) {
            members.iter().for_each(|m| included_refs(m, out));
        }
    }
    if let Some(not) = map.get("not") {
        included_refs(not, out);
    }
}
