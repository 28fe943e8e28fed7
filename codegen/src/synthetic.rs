//! Larger descriptions made from a real one, for measuring how regeneration and the generated
//! crate's build grow with the number of operations (`cargo xtask scale`, the `render` bench).

use serde_yaml::Value;

/// `description` with its paths repeated `factor` times in all: copy `k` (from 1) lives under
/// `/copy{k}` and its operationIds and command names (`x-cli-name`) end in `-copy{k}`, so they
/// stay kebab-case and unique. The copies share the components (schemas, responses), as the
/// endpoints of one product do.
pub fn scaled(description: &str, factor: usize) -> Result<String, String> {
    let mut doc: Value = serde_yaml::from_str(description).map_err(|e| format!("not YAML: {e}"))?;
    let paths = doc
        .get("paths")
        .and_then(Value::as_mapping)
        .ok_or("the description has no paths")?
        .clone();
    let mut scaled = paths.clone();
    for copy in 1..factor {
        for (path, item) in &paths {
            let path = path.as_str().ok_or("a path is not a string")?;
            let mut item = item.clone();
            if let Some(methods) = item.as_mapping_mut() {
                for (_, operation) in methods.iter_mut() {
                    rename_operation(operation, copy);
                }
            }
            scaled.insert(format!("/copy{copy}{path}").into(), item);
        }
    }
    doc["paths"] = Value::Mapping(scaled);
    serde_yaml::to_string(&doc).map_err(|e| format!("cannot write the scaled description: {e}"))
}

fn rename_operation(operation: &mut Value, copy: usize) {
    let Some(operation) = operation.as_mapping_mut() else {
        return;
    };
    for key in ["operationId", crate::command_names::NAME_KEY] {
        if let Some(name) = operation.get(key).and_then(Value::as_str) {
            let name = format!("{name}-copy{copy}");
            operation.insert(key.into(), name.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_renamed_and_the_original_kept() {
        let spec = "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      operationId: get-a\n      x-cli-name: a\n";
        let scaled = scaled(spec, 3).unwrap();
        let doc: Value = serde_yaml::from_str(&scaled).unwrap();
        let paths = doc["paths"].as_mapping().unwrap();
        assert_eq!(paths.len(), 3);
        assert_eq!(doc["paths"]["/a"]["get"]["operationId"], "get-a");
        assert_eq!(
            doc["paths"]["/copy2/a"]["get"]["operationId"],
            "get-a-copy2"
        );
        assert_eq!(doc["paths"]["/a"]["get"]["x-cli-name"], "a");
        assert_eq!(doc["paths"]["/copy2/a"]["get"]["x-cli-name"], "a-copy2");
    }
}
