//! The project's corrections to an imported description, kept apart from it so that a
//! refresh from Infobip's documents never loses them.
//!
//! An overlay is a JSON Merge Patch (RFC 7396) written in YAML, applied to the written
//! description (after conversion and renaming, so it names schemas as `spec/` does): a
//! mapping is merged key by key, `null` removes the key, anything else (a list, a string)
//! replaces the value. `spec/overlays/<product>.yaml` holds the overlay of `spec/<product>.yaml`;
//! `spec/overlays/README.md` shows the form.

use serde_yaml::{Mapping, Value};

use super::ImportError;

/// Reads an overlay's text: it must be a mapping (the patch of the document's root).
pub(crate) fn parse(text: &str) -> Result<Value, ImportError> {
    let value: Value =
        serde_yaml::from_str(text).map_err(|e| ImportError::Overlay(e.to_string()))?;
    if value.is_mapping() {
        Ok(value)
    } else {
        Err(ImportError::Overlay(String::from(
            "the top level is not a mapping; an overlay is a merge patch of the description's \
             root",
        )))
    }
}

/// Applies `patch` to `target` (RFC 7396, section 2).
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    let Value::Mapping(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_mapping() {
        *target = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.shift_remove(key);
        } else {
            merge(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn mappings_merge_null_removes_and_lists_replace() {
        let mut target = yaml("a: {b: 1, c: 2}\nlist: [1, 2]\nkeep: x\n");
        merge(
            &mut target,
            &yaml("a: {b: null, d: 4}\nlist: [3]\nnew: {e: 5}\n"),
        );
        assert_eq!(
            target,
            yaml("a: {c: 2, d: 4}\nlist: [3]\nkeep: x\nnew: {e: 5}\n")
        );
    }

    #[test]
    fn an_overlay_that_is_not_a_mapping_is_refused_with_the_reason() {
        let error = parse("- 1\n").unwrap_err().to_string();
        assert!(error.contains("not a mapping"), "{error}");
        assert!(parse("a: [").is_err());
    }
}
