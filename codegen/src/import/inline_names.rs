//! Names typify gives inline schemas, kept clear of the components' names.
//!
//! Typify names an inline enum or object after its place: the property `type` of the schema
//! `BlockAction` becomes `BlockActionType`. When a component already has that name, both end
//! up as one Rust type defined twice (E0428 and a dozen conflicting impls). The component
//! gives way: it is renamed `<Name>Value` (or `<Name>Value2`, ...), which the report lists
//! with the other renames.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToPascalCase;
use serde_yaml::Value;

use super::report::Suffixed;

/// Renames (in `names`: original key -> written name) the components whose written name is
/// one typify will give an inline schema of another component.
pub(crate) fn avoid_clashes(
    doc: &Value,
    names: &mut BTreeMap<String, String>,
    suffixed: &mut Vec<Suffixed>,
) {
    let Some(schemas) = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_mapping)
    else {
        return;
    };
    let mut inline: BTreeSet<String> = BTreeSet::new();
    for (key, schema) in schemas {
        let Some(written) = key.as_str().and_then(|k| names.get(k)) else {
            continue;
        };
        inline_property_names(&written.to_pascal_case(), schema, &mut inline);
    }
    let mut taken: BTreeSet<String> = names.values().map(|n| n.to_pascal_case()).collect();
    let clashing: Vec<String> = names
        .iter()
        .filter(|(_, written)| inline.contains(&written.to_pascal_case()))
        .map(|(key, _)| key.clone())
        .collect();
    for key in clashing {
        let Some(written) = names.get(&key).cloned() else {
            continue;
        };
        let renamed = (1..)
            .map(|n| match n {
                1 => format!("{written}Value"),
                n => format!("{written}Value{n}"),
            })
            .find(|candidate| {
                let pascal = candidate.to_pascal_case();
                !taken.contains(&pascal) && !inline.contains(&pascal)
            })
            .unwrap_or_else(|| format!("{written}Value"));
        taken.insert(renamed.to_pascal_case());
        suffixed.push(Suffixed {
            original: key.clone(),
            name: renamed.clone(),
        });
        names.insert(key, renamed);
    }
}

/// `<Parent><Property>` for each property of `schema` (and of its `allOf` members) that is
/// written inline as an enum, an object or a union: the names typify will make up.
fn inline_property_names(parent: &str, schema: &Value, out: &mut BTreeSet<String>) {
    if let Some(members) = schema.get("allOf").and_then(Value::as_sequence) {
        for member in members {
            inline_property_names(parent, member, out);
        }
    }
    let Some(properties) = schema.get("properties").and_then(Value::as_mapping) else {
        return;
    };
    for (name, property) in properties {
        let Some(name) = name.as_str() else {
            continue;
        };
        let named_by_typify = property.get("$ref").is_none()
            && ["enum", "properties", "oneOf", "anyOf", "allOf"]
                .iter()
                .any(|k| property.get(*k).is_some());
        if named_by_typify {
            out.insert(format!("{parent}{}", name.to_pascal_case()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_named_like_an_inline_property_type_gives_way() {
        let doc: Value = serde_yaml::from_str(
            "components:\n  schemas:\n    BlockAction:\n      allOf:\n      - type: object\n        \
             properties:\n          type: {type: string, enum: [BLOCK]}\n    BlockActionType:\n      \
             type: string\n      enum: [A, B]\n",
        )
        .unwrap();
        let mut names: BTreeMap<String, String> = [
            ("BlockAction", "BlockAction"),
            ("BlockActionType", "BlockActionType"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        let mut suffixed = Vec::new();
        avoid_clashes(&doc, &mut names, &mut suffixed);
        assert_eq!(names["BlockActionType"], "BlockActionTypeValue");
        assert_eq!(names["BlockAction"], "BlockAction");
        assert_eq!(suffixed.len(), 1);
    }
}
