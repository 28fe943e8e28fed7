//! How answers are printed: JSON, or tables for people; secrets taken out unless asked for.

use std::io::Write as _;

use schemars::schema::{RootSchema, Schema, SchemaObject, SingleOrVec};
use serde_json::Value;

/// `--output`: how a command prints what it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// JSON, for scripts (`jq`).
    Json,
    /// Aligned columns, for people.
    Table,
}

/// What stands for a secret taken out of an answer.
pub const REDACTED: &str = "[redacted: add --show-secrets to print it]";

/// Prints `value` as `output` asks, to standard output.
pub fn print(value: &Value, output: Output) {
    let text = match output {
        Output::Json => serde_json::to_string_pretty(value).unwrap_or_default(),
        Output::Table => table_of(value),
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not worth a panic.
    let _ = writeln!(stdout, "{}", text.trim_end());
}

/// A value as a table: an array of objects as rows, an object holding one such array as
/// that array (its other fields above it), any other object as `field  value` lines.
pub fn table_of(value: &Value) -> String {
    match value {
        Value::Array(items) => rows(items),
        Value::Object(fields) => {
            let lists: Vec<(&String, &Vec<Value>)> = fields
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::Array(items) if items.iter().all(Value::is_object) => Some((k, items)),
                    _ => None,
                })
                .collect();
            match lists.as_slice() {
                [(name, items)] => {
                    let others: serde_json::Map<String, Value> = fields
                        .iter()
                        .filter(|(k, _)| k != name)
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    let mut text = String::new();
                    if !others.is_empty() {
                        text.push_str(&pairs(&others));
                        text.push('\n');
                    }
                    text.push_str(&rows(items));
                    text
                }
                _ => pairs(fields),
            }
        }
        other => cell(other),
    }
}

/// `field  value` lines.
fn pairs(fields: &serde_json::Map<String, Value>) -> String {
    let rows: Vec<Vec<String>> = fields
        .iter()
        .map(|(k, v)| vec![k.clone(), cell(v)])
        .collect();
    align(&[], &rows)
}

/// One row per object, one column per field any of them has, in first-seen order.
fn rows(items: &[Value]) -> String {
    if items.is_empty() {
        return String::from("(none)");
    }
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        if let Value::Object(fields) = item {
            for key in fields.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    if columns.is_empty() {
        return items.iter().map(cell).collect::<Vec<_>>().join("\n");
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|c| item.get(c).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    let header: Vec<String> = columns.iter().map(|c| heading(c)).collect();
    align(&header, &rows)
}

/// Columns padded to their widest cell; the last column is not padded.
pub fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let mut all: Vec<&[String]> = Vec::new();
    if !header.is_empty() {
        all.push(header);
    }
    all.extend(rows.iter().map(Vec::as_slice));
    let columns = all.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            all.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in all {
        let mut line = String::new();
        for (c, text) in row.iter().enumerate() {
            if c + 1 < row.len() {
                line.push_str(&format!("{text:<width$}  ", width = widths[c]));
            } else {
                line.push_str(text);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A column heading from a field name: `apiKeys` reads `API KEYS`.
fn heading(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// A value in one cell: strings bare, lists comma-joined, objects as compact JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        // One line per row, whatever the text holds.
        Value::String(s) => s.replace(['\n', '\r'], " "),
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            items.iter().map(cell).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// Replaces every string of `value` that its schema marks as a secret (`format: password`,
/// what the descriptions' secrets become) with [`REDACTED`]; returns how many it replaced.
pub fn redact_secrets(value: &mut Value, schema: &RootSchema) -> usize {
    let root = Schema::Object(schema.schema.clone());
    redact(value, &root, schema, 0)
}

fn redact(value: &mut Value, schema: &Schema, root: &RootSchema, depth: usize) -> usize {
    // Schemas can be recursive; answers are not that deep.
    if depth > 64 {
        return 0;
    }
    let Schema::Object(object) = schema else {
        return 0;
    };
    let Some(object) = resolve(object, root) else {
        return 0;
    };
    let mut count = 0;
    if object.format.as_deref() == Some("password") {
        if let Value::String(s) = value {
            *s = REDACTED.to_owned();
            return 1;
        }
    }
    // Alternatives (`Option`, untagged enums): each may describe part of the value.
    if let Some(sub) = &object.subschemas {
        for list in [&sub.all_of, &sub.any_of, &sub.one_of]
            .into_iter()
            .flatten()
        {
            for alternative in list {
                count += redact(value, alternative, root, depth + 1);
            }
        }
    }
    match value {
        Value::Object(fields) => {
            if let Some(validation) = &object.object {
                for (name, field) in fields.iter_mut() {
                    if let Some(property) = validation.properties.get(name) {
                        count += redact(field, property, root, depth + 1);
                    } else if let Some(extra) = &validation.additional_properties {
                        count += redact(field, extra, root, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(array) = &object.array {
                if let Some(SingleOrVec::Single(item)) = &array.items {
                    for element in items.iter_mut() {
                        count += redact(element, item, root, depth + 1);
                    }
                }
            }
        }
        _ => {}
    }
    count
}

/// The schema a `$ref` points at, or the schema itself.
fn resolve<'a>(object: &'a SchemaObject, root: &'a RootSchema) -> Option<&'a SchemaObject> {
    match &object.reference {
        None => Some(object),
        Some(reference) => {
            let name = reference.rsplit('/').next()?;
            match root.definitions.get(name)? {
                Schema::Object(target) => Some(target),
                Schema::Bool(_) => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infobip_client::account::types::{ApiKey, ApiKeyPage};

    fn schema<T: schemars::JsonSchema>() -> RootSchema {
        schemars::gen::SchemaGenerator::default().into_root_schema_for::<T>()
    }

    #[test]
    fn secrets_are_found_by_their_schema_wherever_they_are() {
        let mut page = serde_json::json!({
            "apiKeys": [
                {"id": "1", "name": "a", "apiKeySecret": "S3CRET-1", "allowedIPs": []},
                {"id": "2", "name": "b", "apiKeySecret": "S3CRET-2"}
            ],
            "paging": {"page": 0, "totalPages": 1}
        });
        assert_eq!(redact_secrets(&mut page, &schema::<ApiKeyPage>()), 2);
        let text = page.to_string();
        assert!(!text.contains("S3CRET"), "{text}");
        assert_eq!(page["apiKeys"][1]["apiKeySecret"], REDACTED);
        assert_eq!(page["apiKeys"][1]["name"], "b");

        let mut key = serde_json::json!({"name": "a", "apiKeySecret": "S3CRET"});
        assert_eq!(redact_secrets(&mut key, &schema::<ApiKey>()), 1);
        // Nothing secret: nothing changed.
        let mut key = serde_json::json!({"name": "a"});
        assert_eq!(redact_secrets(&mut key, &schema::<ApiKey>()), 0);
    }

    #[test]
    fn tables_read_lists_objects_and_values() {
        let page = serde_json::json!({
            "results": [{"id": "1", "status": "OK"}, {"id": "22", "status": "PENDING", "to": ["a", "b"]}],
            "bulkId": "B"
        });
        assert_eq!(
            table_of(&page),
            "bulkId  B\n\nID  STATUS   TO\n1   OK\n22  PENDING  a, b\n"
        );
        assert_eq!(
            table_of(&serde_json::json!({"balance": 100.0, "currency": "EUR"})),
            "balance   100.0\ncurrency  EUR\n"
        );
        assert_eq!(table_of(&serde_json::json!([])), "(none)");
        assert_eq!(cell(&serde_json::json!("two\nlines")), "two lines");
    }
}
