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

/// `field  value` lines, a nested object's fields one level down (`paging.page`), each
/// value cut to [`MAX_CELL`].
fn pairs(fields: &serde_json::Map<String, Value>) -> String {
    let rows: Vec<Vec<String>> = flatten(&Value::Object(fields.clone()))
        .into_iter()
        .map(|(k, v)| vec![k, cut(&v)])
        .collect();
    align(&[], &rows)
}

/// At most this many columns in a table of rows: an answer's items can have hundreds of
/// fields once nested ones are counted (an SMS log has about 400), which no terminal shows.
pub const MAX_COLUMNS: usize = 8;

/// At most this many characters in a cell; longer text is cut, ending with `…`.
pub const MAX_CELL: usize = 40;

/// The columns a table of rows shows first, in this order, when its rows have them: what
/// tells one entry from another (ids, names, numbers), its state, its text and its times.
/// Infobip's lists have dozens of fields, and JSON objects here keep no order of their own.
const FIRST_COLUMNS: &[&str] = &[
    "id",
    "messageId",
    "name",
    "destination",
    "to",
    "sender",
    "from",
    "status",
    "enabled",
    "content.text",
    "text",
    "sentAt",
    "doneAt",
    "createdAt",
    "bulkId",
];

/// One row per object. Columns are the fields, [`FIRST_COLUMNS`] first, then in the order
/// the rows give them; a nested object is its `name` (`status` reads `PENDING_ACCEPTED`),
/// or else its fields one level down (`price.currency`); deeper ones are summarised as
/// `{…}`, a list of objects as its length. Fields empty in every row are left out, and past
/// [`MAX_COLUMNS`] the rest are left to `--output json` (said on standard error).
fn rows(items: &[Value]) -> String {
    if items.is_empty() {
        return String::from("(none)");
    }
    let flat: Vec<Vec<(String, String)>> = items.iter().map(flatten).collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &flat {
        for (key, text) in row {
            if !text.is_empty() && !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    if columns.is_empty() {
        return items
            .iter()
            .map(|v| cut(&cell(v)))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let rank = |column: &String| {
        FIRST_COLUMNS
            .iter()
            .position(|first| first == column)
            .unwrap_or(FIRST_COLUMNS.len())
    };
    // Stable: the other columns keep their order.
    columns.sort_by_key(rank);
    if columns.len() > MAX_COLUMNS {
        eprintln!(
            "note: {} of {} columns shown; --output json prints every field",
            MAX_COLUMNS,
            columns.len()
        );
        columns.truncate(MAX_COLUMNS);
    }
    let rows: Vec<Vec<String>> = flat
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| {
                    row.iter()
                        .find(|(key, _)| key == c)
                        .map(|(_, text)| cut(text))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    let header: Vec<String> = columns.iter().map(|c| heading(c)).collect();
    align(&header, &rows)
}

/// An item's cells by column: its fields, a nested object's one level down.
fn flatten(item: &Value) -> Vec<(String, String)> {
    let Value::Object(fields) = item else {
        return vec![(String::new(), cell(item))];
    };
    let mut out = Vec::new();
    for (key, value) in fields {
        match value {
            Value::Object(inner) => match inner.get("name") {
                Some(Value::String(name)) => out.push((key.clone(), name.clone())),
                _ => {
                    for (name, value) in inner {
                        out.push((format!("{key}.{name}"), summary(value)));
                    }
                }
            },
            other => out.push((key.clone(), summary(other))),
        }
    }
    out
}

/// A value in a cell of a table of rows: as [`cell`], but an object as `{…}` and a list of
/// objects as its length.
fn summary(value: &Value) -> String {
    match value {
        Value::Object(fields) if fields.is_empty() => String::new(),
        Value::Object(_) => String::from("{…}"),
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            format!("({} items)", items.len())
        }
        other => cell(other),
    }
}

/// `text` cut to [`MAX_CELL`] characters.
fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_CELL {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX_CELL - 1).collect();
    out.push('…');
    out
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

/// A column heading from a field name: `apiKeys` reads `API KEYS`, `status.groupName`
/// reads `STATUS.GROUP NAME`.
fn heading(name: &str) -> String {
    let mut out = String::new();
    let mut previous = '.';
    for c in name.chars() {
        if c.is_uppercase() && previous != '.' {
            out.push(' ');
        }
        out.extend(c.to_uppercase());
        previous = c;
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
            "bulkId  B\n\nID  TO    STATUS\n1         OK\n22  a, b  PENDING\n"
        );
        assert_eq!(
            table_of(&serde_json::json!({"balance": 100.0, "currency": "EUR"})),
            "balance   100.0\ncurrency  EUR\n"
        );
        assert_eq!(table_of(&serde_json::json!([])), "(none)");
        assert_eq!(
            table_of(&serde_json::json!({"balance": 1, "paging": {"page": 0}})),
            "balance      1\npaging.page  0\n"
        );
        assert_eq!(cell(&serde_json::json!("two\nlines")), "two lines");
    }

    /// Found trying it: a table of SMS logs had about 400 columns, nested JSON in its cells.
    #[test]
    fn rows_are_flattened_one_level_capped_and_cut() {
        let long = "x".repeat(100);
        let mut item = serde_json::json!({
            "status": {"groupName": "PENDING", "name": "PENDING_ACCEPTED"},
            "price": {"currency": "EUR", "deep": {"a": 1}},
            "content": {"text": long},
            "destinations": [{"to": "1"}, {"to": "2"}],
            "messageId": "m1",
            "unused": null,
        });
        for i in 0..20 {
            item[format!("field{i}")] = serde_json::json!(i);
        }
        let table = table_of(&serde_json::json!([item]));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            [
                "MESSAGE",
                "ID",
                "STATUS",
                "CONTENT.TEXT",
                "DESTINATIONS",
                "FIELD0",
                "FIELD1",
                "FIELD10",
                "FIELD11"
            ]
        );
        assert!(
            lines[1].starts_with("m1          PENDING_ACCEPTED  "),
            "{table}"
        );
        assert!(
            lines[1].contains(&format!("{}…", "x".repeat(MAX_CELL - 1))),
            "{table}"
        );
        assert!(lines[1].contains("(2 items)"), "{table}");
        assert!(
            !table.contains("UNUSED") && !table.contains("PRICE"),
            "{table}"
        );
        assert_eq!(cut("short"), "short");
    }
}
