//! Keeping secrets out of what a failed call hands back: the values of secret-named fields in
//! a JSON body, and the value after every secret-named key in any other text (an error page
//! that echoes the request it refused).
//!
//! Public for `infobip-auth`, which keeps secrets out of what it logs and hands back with the
//! same rules; not part of this crate's stable API.

/// Whether a field or query parameter of this name may hold a secret.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "password", "authorization"]
        .iter()
        .any(|s| name.contains(s))
}

/// Replaces, at any depth, the values of fields whose names say they hold a secret, the
/// `value` of a name/value pair whose name does (`{"name": "Authorization", "value": ...}`,
/// as a header is echoed in HAR and by many proxies), and, in every other string, what
/// [`redact_text`] takes out (a string that quotes the request: `"client_secret=..."`); true
/// if it replaced any.
pub fn redact_json(json: &mut serde_json::Value) -> bool {
    match json {
        serde_json::Value::Object(fields) => {
            let mut redacted = false;
            let pair_names_a_secret = ["name", "key", "header", "field"].iter().any(|n| {
                fields
                    .get(*n)
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(is_secret_name)
            });
            for (name, value) in fields.iter_mut() {
                let pair_value = pair_names_a_secret && matches!(name.as_str(), "value" | "values");
                if is_secret_name(name) || pair_value {
                    *value = serde_json::Value::String(String::from("[redacted]"));
                    redacted = true;
                } else {
                    redacted |= redact_json(value);
                }
            }
            redacted
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |r, v| redact_json(v) | r),
        serde_json::Value::String(text) => match redact_text(text) {
            Some(clean) => {
                *text = clean;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// `text` with what [`redact_text`] takes out, or as it was.
pub fn redacted_text(text: &str) -> String {
    redact_text(text).unwrap_or_else(|| text.to_owned())
}

/// `text` with the value after every secret-named key taken out: `client_secret=...`,
/// `"token": "..."`, `Authorization: Bearer ...`. For bodies that are not JSON (an error page
/// that echoes the request it refused); `None` when there was nothing to take out.
pub fn redact_text(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        if !is_name(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name(bytes[i]) {
            i += 1;
        }
        if !is_secret_name(&text[start..i]) {
            continue;
        }
        // The separator: quotes, spaces, tabs and backslashes (JSON quoted in text: `\"token\":
        // \"...\"`) around `=` or `:`.
        let is_around = |b: u8| matches!(b, b'"' | b'\'' | b' ' | b'\t' | b'\\');
        let mut j = i;
        while j < bytes.len() && is_around(bytes[j]) {
            j += 1;
        }
        if j >= bytes.len() || !matches!(bytes[j], b'=' | b':') {
            continue;
        }
        j += 1;
        while j < bytes.len() && is_around(bytes[j]) {
            j += 1;
        }
        let value_start = j;
        let mut words = 0;
        loop {
            while j < bytes.len()
                && !matches!(
                    bytes[j],
                    b'&' | b'"'
                        | b'\''
                        | b'<'
                        | b'>'
                        | b','
                        | b';'
                        | b' '
                        | b'\n'
                        | b'\r'
                        | b'\t'
                        | b'\\'
                )
            {
                j += 1;
            }
            words += 1;
            // `Bearer <token>`: the scheme word and the token after it.
            let scheme = &text[value_start..j];
            let schemes = ["Bearer", "Basic", "App", "IBSSO"];
            if words == 1
                && j < bytes.len()
                && matches!(bytes[j], b' ' | b'\t')
                && schemes.iter().any(|s| scheme.eq_ignore_ascii_case(s))
            {
                while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
                    j += 1;
                }
                continue;
            }
            break;
        }
        if j > value_start {
            out.push_str(&text[copied..value_start]);
            out.push_str("[redacted]");
            copied = j;
            changed = true;
        }
        i = j;
    }
    changed.then(|| {
        out.push_str(&text[copied..]);
        out
    })
}
