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

/// Replaces, at any depth, the values of fields whose names say they hold a secret; true if
/// it replaced any.
pub fn redact_json(json: &mut serde_json::Value) -> bool {
    match json {
        serde_json::Value::Object(fields) => {
            let mut redacted = false;
            for (name, value) in fields.iter_mut() {
                if is_secret_name(name) {
                    *value = serde_json::Value::String(String::from("[redacted]"));
                    redacted = true;
                } else {
                    redacted |= redact_json(value);
                }
            }
            redacted
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |r, v| redact_json(v) | r),
        _ => false,
    }
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
        // The separator: quotes and spaces around `=` or `:`.
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b' ') {
            j += 1;
        }
        if j >= bytes.len() || !matches!(bytes[j], b'=' | b':') {
            continue;
        }
        j += 1;
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b' ') {
            j += 1;
        }
        let value_start = j;
        let mut words = 0;
        loop {
            while j < bytes.len()
                && !matches!(
                    bytes[j],
                    b'&' | b'"' | b'\'' | b'<' | b'>' | b',' | b';' | b' ' | b'\n' | b'\r' | b'\t'
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
                && bytes[j] == b' '
                && schemes.iter().any(|s| scheme.eq_ignore_ascii_case(s))
            {
                j += 1;
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
