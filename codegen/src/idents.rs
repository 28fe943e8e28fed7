//! The Rust names typify and progenitor derive from enum values and parameter names, computed
//! the way they compute them, so that two values or parameters that would get the same name
//! are found before the generators panic on them.

use heck::{ToPascalCase, ToSnakeCase};
use unicode_ident::{is_xid_continue, is_xid_start};

/// Which generator's rules: they differ only in the prefix of a name that cannot start an
/// identifier (typify writes `x`/`X`, progenitor `_`).
#[derive(Clone, Copy)]
enum Rules {
    Typify,
    Progenitor,
}

fn sanitize(input: &str, pascal: bool, rules: Rules) -> String {
    let to_case = |s: &str| {
        if pascal {
            s.to_pascal_case()
        } else {
            s.to_snake_case()
        }
    };
    let out = match input {
        "+1" => String::from("plus1"),
        "-1" => String::from("minus1"),
        _ => to_case(
            &input
                .replace('\'', "")
                .replace(|c| !is_xid_continue(c), "-"),
        ),
    };
    let out = match (out.chars().next(), rules) {
        (None, _) => to_case("x"),
        (Some(c), _) if is_xid_start(c) => out,
        (Some(_), Rules::Typify) => format!("{}{out}", to_case("x")),
        (Some(_), Rules::Progenitor) => format!("_{out}"),
    };
    if syn::parse_str::<syn::Ident>(&out).is_ok() && out != "gen" {
        out
    } else {
        format!("{out}_")
    }
}

/// The first two values that typify would give the same variant name, with that name.
fn first_clash(values: &[&str], name: impl Fn(&str) -> String) -> Option<(String, String, String)> {
    let names: Vec<String> = values.iter().map(|v| name(v)).collect();
    names.iter().enumerate().find_map(|(j, later)| {
        let i = names[..j].iter().position(|earlier| earlier == later)?;
        Some((values[i].to_owned(), values[j].to_owned(), later.clone()))
    })
}

/// Two string values of one enum that typify 0.8 would name alike, and the name: typify
/// PascalCases each value, and when two collide tries once more with the dropped characters
/// (and `_`) written as `X`; a collision then is a panic.
pub(crate) fn enum_variant_clash(values: &[&str]) -> Option<(String, String, String)> {
    first_clash(values, |v| sanitize(v, true, Rules::Typify))?;
    first_clash(values, |v| {
        sanitize(
            &v.replace(|c| c == '_' || !is_xid_continue(c), "X"),
            true,
            Rules::Typify,
        )
    })
}

/// The Rust field name progenitor gives a parameter (`messageId` as `message_id`).
pub(crate) fn parameter_field(name: &str) -> String {
    sanitize(name, false, Rules::Progenitor)
}

/// The index of the first parameter whose Rust field name (progenitor snake_cases each
/// parameter name) an earlier one already has, with the earlier name and the field.
pub(crate) fn parameter_clash(names: &[&str]) -> Option<(usize, String, String)> {
    let fields: Vec<String> = names.iter().map(|n| parameter_field(n)).collect();
    fields.iter().enumerate().find_map(|(j, later)| {
        let i = fields[..j].iter().position(|earlier| earlier == later)?;
        Some((j, names[i].to_owned(), later.clone()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_generators() {
        assert_eq!(
            enum_variant_clash(&["DELIVERED", "delivered"]),
            Some(("DELIVERED".into(), "delivered".into(), "Delivered".into()))
        );
        assert_eq!(
            enum_variant_clash(&["a-b", "a_b"]).map(|c| c.2),
            Some(String::from("AXb"))
        );
        // The second try tells `a-b` from `ab`'s neighbours.
        assert_eq!(enum_variant_clash(&["a-b", "ab"]), None);
        assert!(enum_variant_clash(&["a b", "a-b", "a.b"]).is_some());
        assert_eq!(
            parameter_clash(&["q", "a-b", "a_b"]),
            Some((2, String::from("a-b"), String::from("a_b")))
        );
        assert_eq!(parameter_clash(&["type", "r#type"]), None);
        assert_eq!(sanitize("type", false, Rules::Progenitor), "type_");
        assert_eq!(sanitize("@timestamp", true, Rules::Typify), "Timestamp");
        assert_eq!(sanitize("1x", true, Rules::Typify), "X1x");
    }
}
