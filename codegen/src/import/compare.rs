//! What a refresh changed in a description: operations added, removed and changed, so that
//! `cargo xtask import --all` can say per product what a new published version brings.

use std::collections::BTreeMap;
use std::fmt;

use serde_yaml::Value;

use super::doc;

/// The operations of two versions of one description, compared by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// In the new version only.
    pub added: Vec<String>,
    /// In the old version only.
    pub removed: Vec<String>,
    /// In both, with a different request, answer or schema (anything they reach).
    pub changed: Vec<String>,
}

impl Comparison {
    /// Whether the two versions describe the same operations the same way.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no operation changed");
        }
        let mut parts = Vec::new();
        for (what, list) in [
            ("added", &self.added),
            ("removed", &self.removed),
            ("changed", &self.changed),
        ] {
            if !list.is_empty() {
                parts.push(format!("{} {what} ({})", list.len(), list.join(", ")));
            }
        }
        f.write_str(&parts.join("; "))
    }
}

/// Compares two texts of one description (either may be empty: a new or a dropped product).
pub fn compare(old: &str, new: &str) -> Comparison {
    let old = fingerprints(old);
    let new = fingerprints(new);
    Comparison {
        added: new
            .keys()
            .filter(|k| !old.contains_key(*k))
            .cloned()
            .collect(),
        removed: old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect(),
        changed: new
            .iter()
            .filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v))
            .map(|(k, _)| k.clone())
            .collect(),
    }
}

/// Each operation's name, with its own tree and every component it reaches, as text.
fn fingerprints(text: &str) -> BTreeMap<String, String> {
    let Ok(tree) = serde_yaml::from_str::<Value>(text) else {
        return BTreeMap::new();
    };
    doc::operations(&tree)
        .iter()
        .filter_map(|op| {
            let operation = op.get(&tree)?;
            let (reached, _) = doc::reach(&tree, &[operation]);
            let mut parts = vec![serde_yaml::to_string(operation).unwrap_or_default()];
            parts.extend(reached.iter().filter_map(|r| {
                let body = serde_yaml::to_string(r.get(&tree)?).ok()?;
                Some(format!("{}/{}: {body}", r.kind, r.name))
            }));
            Some((op.name(), parts.join("\n")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      operationId: get-a\n      \
        responses:\n        '200':\n          description: ok\n          content:\n            \
        application/json:\n              schema: {$ref: '#/components/schemas/A'}\n  /b:\n    \
        get:\n      operationId: get-b\n      responses: {}\ncomponents:\n  schemas:\n    A: \
        {type: string}\n";

    #[test]
    fn added_removed_and_changed_through_a_schema_are_told_apart() {
        let new = OLD
            .replace("A: {type: string}", "A: {type: integer}")
            .replace("operationId: get-b", "operationId: get-c");
        let comparison = compare(OLD, &new);
        assert_eq!(comparison.added, ["get-c"]);
        assert_eq!(comparison.removed, ["get-b"]);
        assert_eq!(comparison.changed, ["get-a"]);
        assert_eq!(
            comparison.to_string(),
            "1 added (get-c); 1 removed (get-b); 1 changed (get-a)"
        );
        assert!(compare(OLD, OLD).is_empty());
        assert_eq!(compare("", OLD).added, ["get-a", "get-b"]);
    }
}
