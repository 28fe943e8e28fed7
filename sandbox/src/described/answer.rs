//! Answers built from a response schema, in two shapes, so that a client that decodes only
//! the happy shape fails a test:
//! - [`Shape::Required`]: only the required properties, empty lists, `null` where a required
//!   property is nullable, the first of each enum and alternative;
//! - [`Shape::Full`]: every property (read-only ones too: an answer is the server's), one
//!   item in each list, the last of each enum and alternative.
//!
//! A schema that refers to itself (a tree of folders) is followed a few levels deep, then only
//! its required properties are written, so every answer is finite.

use serde_json::{json, Map, Value};

use super::catalogue::{required_names, resolve};

/// Which answer an operation gives: its calls alternate, the first one [`Shape::Required`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Required,
    Full,
}

impl Shape {
    /// The shape of an operation's `call`-th answer (counting from 0).
    pub fn of_call(call: u64) -> Self {
        if call.is_multiple_of(2) {
            Shape::Required
        } else {
            Shape::Full
        }
    }
}

/// How deep a schema is followed before only required properties are written, each
/// reference and each property a level: 8 reaches the status object of each message in an
/// SMS send's answer, which Infobip's Python SDK reads.
const FULL_DEPTH: usize = 8;
/// How deep it is followed at all: past it, an empty object stands in.
const MAX_DEPTH: usize = 24;

/// A value of `schema`, whose `$ref`s point into `root`. `now` is the sandbox's clock in
/// Infobip's date-time form, for the `date-time` strings.
pub(crate) fn example(root: &Value, schema: &Value, shape: Shape, now: &str) -> Value {
    Builder {
        root,
        shape,
        now,
        refs: Vec::new(),
    }
    .value(schema, 0)
}

struct Builder<'a> {
    root: &'a Value,
    shape: Shape,
    now: &'a str,
    /// The references being followed, innermost last: one met again is a cycle.
    refs: Vec<String>,
}

impl Builder<'_> {
    fn value(&mut self, schema: &Value, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return json!({});
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = resolve(self.root, schema);
            if std::ptr::eq(target, schema) {
                return json!({});
            }
            let again = self.refs.iter().any(|r| r == reference);
            self.refs.push(reference.to_owned());
            let value = self.value(
                target,
                if again {
                    depth.max(FULL_DEPTH)
                } else {
                    depth + 1
                },
            );
            self.refs.pop();
            return value;
        }
        if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            // A lone part (the descriptions wrap a `$ref` so to annotate it) is that part,
            // whatever its type.
            if schema.get("properties").is_none() {
                return self.value(only, depth);
            }
        }
        if schema.get("allOf").is_some() {
            // One object from every part: their properties together, and every part's
            // `required` (a subtype often lists, beside its `allOf`, properties one part has).
            let merged = self.merge(schema, 0);
            return self.object(&merged, depth);
        }
        if let Some(branches) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            let branch = match self.shape {
                Shape::Required => branches.first(),
                Shape::Full => branches.last(),
            };
            let Some(branch) = branch else {
                return json!({});
            };
            let mut value = self.value(branch, depth + 1);
            self.tag(schema, branch, &mut value);
            return value;
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let chosen = match self.shape {
                Shape::Required => values.first(),
                Shape::Full => values.last(),
            };
            return chosen.cloned().unwrap_or(Value::Null);
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.object(schema, depth),
            Some("array") => self.array(schema, depth),
            Some("string") => self.string(schema),
            Some("integer") => json!(number(schema, 1.0) as i64),
            Some("number") => json!(number(schema, 1.5)),
            Some("boolean") => json!(self.shape == Shape::Full),
            _ if ["properties", "additionalProperties", "minProperties"]
                .iter()
                .any(|k| schema.get(k).is_some()) =>
            {
                self.object(schema, depth)
            }
            _ => json!({}),
        }
    }

    /// The schema an `allOf` stands for: the parts' (and its own) properties, later ones
    /// overriding, and the union of their `required`.
    fn merge(&self, schema: &Value, level: usize) -> Value {
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        let mut add = |part: &Value| {
            if let Some(own) = part.get("properties").and_then(Value::as_object) {
                properties.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            for name in part
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !required.contains(name) {
                    required.push(name.clone());
                }
            }
        };
        // Nested `allOf`s are merged too, a few levels deep (deeper is a loop).
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let part = resolve(self.root, part);
            if part.get("allOf").is_some() && level < 8 {
                add(&self.merge(part, level + 1));
            } else {
                add(part);
            }
        }
        add(schema);
        json!({"type": "object", "properties": properties, "required": required})
    }

    fn object(&mut self, schema: &Value, depth: usize) -> Value {
        let required = required_names(schema);
        let all = self.shape == Shape::Full && depth < FULL_DEPTH;
        let mut object = Map::new();
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let is_required = required.contains(&name.as_str());
            if !is_required && !all {
                continue;
            }
            let target = resolve(self.root, property);
            if target.get("writeOnly") == Some(&Value::Bool(true)) && !is_required {
                continue;
            }
            let nullable = target.get("nullable") == Some(&Value::Bool(true));
            let value = if is_required && nullable && self.shape == Shape::Required {
                Value::Null
            } else {
                self.value(property, depth + 1)
            };
            object.insert(name.clone(), value);
        }
        // `minProperties` asks for more than the shape gave: the optional properties first,
        // then keys of the map's values.
        let least = schema
            .get("minProperties")
            .and_then(Value::as_u64)
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX).min(8));
        let least = if all { least.max(1) } else { least };
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if object.len() >= least {
                break;
            }
            if !object.contains_key(name) {
                let value = self.value(property, depth + 1);
                object.insert(name.clone(), value);
            }
        }
        // Keys of the map's values; a schema silent on other keys allows any.
        let values = match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) => Some(values),
            Some(Value::Bool(false)) => None,
            _ => Some(&Value::Null),
        };
        if let Some(values) = values {
            let mut key = 1;
            while object.len() < least {
                let value = if values.is_null() {
                    json!("sandbox")
                } else {
                    self.value(values, depth + 1)
                };
                object.insert(format!("key{key}"), value);
                key += 1;
            }
        }
        Value::Object(object)
    }

    fn array(&mut self, schema: &Value, depth: usize) -> Value {
        let least = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let count = match self.shape {
            Shape::Required => least,
            Shape::Full if depth < FULL_DEPTH => least.max(1),
            Shape::Full => least,
        };
        let Some(items) = schema.get("items") else {
            return json!([]);
        };
        Value::Array(
            (0..count.min(3))
                .map(|_| self.value(items, depth + 1))
                .collect(),
        )
    }

    fn string(&self, schema: &Value) -> Value {
        let text = match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => self.now.to_owned(),
            Some("date") => self.now.get(..10).unwrap_or("2026-01-01").to_owned(),
            Some("uuid") => "3f2a9c1e-8b7d-4e6f-a5c4-2d1b0e9f8a7c".to_owned(),
            Some("uri" | "url") => "https://example.com/sandbox".to_owned(),
            Some("email") => "sandbox@example.com".to_owned(),
            Some("byte") => "c2FuZGJveA==".to_owned(),
            _ => "sandbox".to_owned(),
        };
        let text = match schema.get("pattern").and_then(Value::as_str) {
            Some(pattern) => patterned(pattern, text),
            None => text,
        };
        let least = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
        let least = usize::try_from(least).unwrap_or(usize::MAX).min(1024);
        let mut text = text;
        while text.len() < least {
            text.push('x');
        }
        if let Some(most) = schema.get("maxLength").and_then(Value::as_u64) {
            text.truncate(usize::try_from(most).unwrap_or(usize::MAX));
        }
        Value::String(text)
    }

    /// Writes the discriminator's value for the chosen branch, when the alternatives have
    /// one and its mapping names the branch (otherwise the branch's own schema says what the
    /// property holds).
    fn tag(&self, schema: &Value, branch: &Value, value: &mut Value) {
        let Some(discriminator) = schema.get("discriminator") else {
            return;
        };
        let (Some(property), Some(reference), Value::Object(object)) = (
            discriminator.get("propertyName").and_then(Value::as_str),
            branch.get("$ref").and_then(Value::as_str),
            value,
        ) else {
            return;
        };
        let key = discriminator
            .get("mapping")
            .and_then(Value::as_object)
            .and_then(|mapping| {
                mapping
                    .iter()
                    .find(|(_, target)| target.as_str() == Some(reference))
                    .map(|(key, _)| key.clone())
            });
        if let Some(key) = key {
            object.insert(property.to_owned(), Value::String(key));
        }
    }
}

/// A string that matches `pattern`, when one of a few common forms does (digits, a phone
/// number, a word, a date, a code, a country), else `preferred`: writing a string for any regular
/// expression is out of scope, and the descriptions' patterns are simple.
fn patterned(pattern: &str, preferred: String) -> String {
    let Ok(regex) = regex::Regex::new(pattern) else {
        return preferred;
    };
    // `^(A|B|C)$`: a list of values, the first of which fits.
    let alternatives = pattern
        .trim_start_matches('^')
        .trim_end_matches('$')
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split('|')
        .map(str::to_owned)
        .collect::<Vec<_>>();
    if let Some(found) = alternatives.into_iter().find(|a| regex.is_match(a)) {
        return found;
    }
    [
        preferred.as_str(),
        "41793026727",
        "1",
        "SANDBOX",
        "Sandbox1",
        "2026-12-06",
        "sandbox@example.com",
        "https://example.com/sandbox",
        "ab",
        "A1",
        "en",
        "EUR",
        "true",
        "192.0.2.1",
        "2001:db8::1",
        "+41793026727",
        "12:30",
        "#1A2B3C",
        "sandbox.pdf",
        // ISO 3166's two capitals (`^[A-Z]{2}$`), which none of the above is.
        "CH",
    ]
    .into_iter()
    .find(|candidate| regex.is_match(candidate))
    .map_or(preferred.clone(), str::to_owned)
}

/// A number within the schema's bounds: `preferred` unless a minimum or maximum excludes it.
fn number(schema: &Value, preferred: f64) -> f64 {
    let minimum = schema.get("minimum").and_then(Value::as_f64);
    let maximum = schema.get("maximum").and_then(Value::as_f64);
    let mut value = preferred;
    if let Some(minimum) = minimum {
        if value < minimum {
            value = minimum;
        }
        if schema.get("exclusiveMinimum") == Some(&Value::Bool(true)) && value <= minimum {
            value = minimum + 1.0;
        }
    }
    if let Some(maximum) = maximum {
        if value > maximum {
            value = maximum;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-12-06T10:00:00.000+0000";

    fn root() -> Value {
        json!({"components": {"schemas": {
            "Folder": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "note": {"type": "string", "nullable": true},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Folder"}}
                }
            },
            "Sms": {"type": "object", "properties": {"text": {"type": "string"}}},
            "Mms": {"type": "object", "properties": {"subject": {"type": "string"}}},
            "Message": {
                "oneOf": [{"$ref": "#/components/schemas/Sms"}, {"$ref": "#/components/schemas/Mms"}],
                "discriminator": {"propertyName": "type", "mapping": {
                    "SMS": "#/components/schemas/Sms", "MMS": "#/components/schemas/Mms"
                }}
            }
        }}})
    }

    #[test]
    fn the_required_shape_has_only_required_properties() {
        let root = root();
        let folder = json!({"$ref": "#/components/schemas/Folder"});
        assert_eq!(
            example(&root, &folder, Shape::Required, NOW),
            json!({"name": "sandbox"})
        );
    }

    #[test]
    fn the_full_shape_has_every_property_and_ends_on_a_cycle() {
        let root = root();
        let folder = json!({"$ref": "#/components/schemas/Folder"});
        let full = example(&root, &folder, Shape::Full, NOW);
        assert_eq!(full["note"], json!("sandbox"));
        assert_eq!(full["children"][0]["name"], json!("sandbox"));
        // Finite: somewhere down the tree a folder has no children.
        let mut depth = 0;
        let mut node = &full;
        while let Some(child) = node["children"].get(0) {
            node = child;
            depth += 1;
        }
        assert!(depth < MAX_DEPTH, "{depth}");
    }

    #[test]
    fn alternatives_carry_their_discriminator() {
        let root = root();
        let message = json!({"$ref": "#/components/schemas/Message"});
        assert_eq!(
            example(&root, &message, Shape::Required, NOW),
            json!({"type": "SMS"})
        );
        assert_eq!(
            example(&root, &message, Shape::Full, NOW),
            json!({"type": "MMS", "subject": "sandbox"})
        );
    }

    #[test]
    fn strings_numbers_and_enums_respect_their_schema() {
        let root = json!({});
        let value = |schema: Value, shape| example(&root, &schema, shape, NOW);
        assert_eq!(
            value(
                json!({"type": "string", "format": "date-time"}),
                Shape::Full
            ),
            json!(NOW)
        );
        assert_eq!(
            value(json!({"type": "string", "minLength": 10}), Shape::Full),
            json!("sandboxxxx")
        );
        assert_eq!(
            value(
                json!({"type": "string", "pattern": "^[A-Z]{2}$"}),
                Shape::Required
            ),
            json!("CH")
        );
        assert_eq!(
            value(json!({"type": "integer", "minimum": 5}), Shape::Full),
            json!(5)
        );
        assert_eq!(
            value(
                json!({"type": "string", "enum": ["A", "B"]}),
                Shape::Required
            ),
            json!("A")
        );
        assert_eq!(
            value(json!({"type": "string", "enum": ["A", "B"]}), Shape::Full),
            json!("B")
        );
    }
}
