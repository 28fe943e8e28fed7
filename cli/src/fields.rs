//! `infobip api --field KEY=VALUE`: fields as `gh api` takes them, built into a JSON body
//! (nested by their keys) or into query parameters.

use serde_json::{Map, Value};

use crate::failure::Failure;

/// One `KEY=VALUE`, its value typed (`--field`) or a string (`--raw-field`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key as given (`messages[0].content.text`).
    pub key: String,
    /// The value.
    pub value: Value,
}

/// A step of a key: `name`, `[3]` or `[]` (a new last element).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Name(String),
    Index(usize),
    Append,
}

/// Parses `KEY=VALUE`. Typed (`--field`, as `gh api -F`): `true`, `false`, `null` and
/// integers become JSON literals, `@FILE` the file's text; anything else stays a string.
pub fn parse(text: &str, typed: bool) -> Result<Field, Failure> {
    let flag = if typed { "--field" } else { "--raw-field" };
    let Some((key, raw)) = text.split_once('=') else {
        return Err(Failure::usage(format!(
            "{flag} {text}: a field is KEY=VALUE"
        )));
    };
    if key.is_empty() {
        return Err(Failure::usage(format!("{flag} {text}: the key is empty")));
    }
    let value = if !typed {
        Value::String(raw.to_owned())
    } else if let Some(path) = raw.strip_prefix('@') {
        // Not quoted back on failure: the file may be a secret's.
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::local(format!("{flag} {key}=@{path}: cannot be read ({e})")))?;
        Value::String(text)
    } else {
        match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            // A phone number is digits too: `--raw-field to=41793026727` keeps it a string.
            _ => raw
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(raw.to_owned())),
        }
    };
    Ok(Field {
        key: key.to_owned(),
        value,
    })
}

/// The fields as one JSON object, each placed where its key says: `a.b` and `a[b]` in
/// objects, `a[0]` at an index, `a[]` as a new last element.
pub fn body(fields: &[Field]) -> Result<Value, Failure> {
    let mut body = Value::Object(Map::new());
    for field in fields {
        let steps = steps(&field.key)?;
        place(&mut body, &steps, field.value.clone()).map_err(|why| {
            Failure::usage(format!("--field {}: {why}", field.key))
                .hint("`infobip api --help` shows how keys nest")
        })?;
    }
    Ok(body)
}

/// The fields as query parameters: keys as given, values as text.
pub fn query(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|field| {
            let value = match &field.value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (field.key.clone(), value)
        })
        .collect()
}

fn steps(key: &str) -> Result<Vec<Step>, Failure> {
    let bad = |why: &str| Failure::usage(format!("--field {key}: {why}"));
    let mut steps = Vec::new();
    for (i, part) in key.split('.').enumerate() {
        let (name, mut rest) = match part.find('[') {
            Some(at) => part.split_at(at),
            None => (part, ""),
        };
        if name.is_empty() && (i > 0 || rest.is_empty()) {
            return Err(bad("a key has an empty name"));
        }
        if !name.is_empty() {
            steps.push(Step::Name(name.to_owned()));
        }
        while !rest.is_empty() {
            let Some(end) = rest.find(']').filter(|_| rest.starts_with('[')) else {
                return Err(bad("a `[` without its `]`"));
            };
            let inner = &rest[1..end];
            steps.push(if inner.is_empty() {
                Step::Append
            } else if let Ok(index) = inner.parse::<usize>() {
                Step::Index(index)
            } else {
                Step::Name(inner.to_owned())
            });
            rest = &rest[end + 1..];
        }
    }
    Ok(steps)
}

fn place(target: &mut Value, steps: &[Step], value: Value) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        if !target.is_null() {
            return Err(String::from("given twice, or inside another field's value"));
        }
        *target = value;
        return Ok(());
    };
    match step {
        Step::Name(name) => {
            if target.is_null() {
                *target = Value::Object(Map::new());
            }
            let Value::Object(fields) = target else {
                return Err(format!("`{name}` is a name, but here is a list"));
            };
            place(
                fields.entry(name.clone()).or_insert(Value::Null),
                rest,
                value,
            )
        }
        Step::Index(_) | Step::Append => {
            if target.is_null() {
                *target = Value::Array(Vec::new());
            }
            let Value::Array(items) = target else {
                return Err(String::from("an index, but here is an object"));
            };
            let index = match step {
                Step::Index(index) => *index,
                _ => items.len(),
            };
            if index > items.len() {
                return Err(format!(
                    "index {index} skips entries (the list has {})",
                    items.len()
                ));
            }
            if index == items.len() {
                items.push(Value::Null);
            }
            place(&mut items[index], rest, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[&str]) -> Value {
        let fields: Vec<Field> = list.iter().map(|f| parse(f, true).unwrap()).collect();
        body(&fields).unwrap()
    }

    #[test]
    fn keys_nest_into_objects_and_lists() {
        assert_eq!(
            fields(&[
                "messages[0].sender=InfoSMS",
                "messages[0].destinations[0].to=x",
                "messages[0].content[text]=Hello",
                "tags[]=a",
                "tags[]=b",
                "limit=5",
                "flash=true",
            ]),
            serde_json::json!({
                "messages": [{"sender": "InfoSMS", "destinations": [{"to": "x"}], "content": {"text": "Hello"}}],
                "tags": ["a", "b"],
                "limit": 5,
                "flash": true,
            })
        );
        let raw = parse("to=41793026727", false).unwrap();
        assert_eq!(raw.value, Value::String(String::from("41793026727")));
    }

    #[test]
    fn keys_that_cannot_be_placed_are_refused() {
        for list in [
            &["a=1", "a=2"][..],
            &["a=1", "a.b=2"],
            &["a[3]=1"],
            &["a[0=1"],
        ] {
            let fields: Vec<Field> = list.iter().map(|f| parse(f, true).unwrap()).collect();
            assert!(body(&fields).is_err(), "{list:?}");
        }
        assert!(parse("novalue", true).is_err());
    }
}
