//! Keeping secrets out of what a failed call hands back: the values of secret-named fields in
//! a JSON body, and the value after every secret-named key in any other text (an error page
//! that echoes the request it refused).
//!
//! Public for `infobip-auth`, which keeps secrets out of what it logs and hands back with the
//! same rules; not part of this crate's stable API.

/// Whether a field or query parameter of this name may hold a secret: one that names a token,
/// a secret, a password or credentials anywhere in it, or ends in an API key or a short form of
/// password (`apiKey`, `x-api-key`, `pwd`). An API key's id or name (`apiKeyId`) is no secret
/// and stays.
pub fn is_secret_name(name: &str) -> bool {
    let name: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    ["token", "secret", "password", "authorization", "credential"]
        .iter()
        .any(|s| name.contains(s))
        || ["apikey", "pwd", "passwd"]
            .iter()
            .any(|s| name.ends_with(s))
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

/// Whether `url` carries a secret: a user-info password, or a query parameter whose name says
/// it is one.
pub fn url_has_secret(url: &reqwest::Url) -> bool {
    url.password().is_some() || url.query_pairs().any(|(name, _)| is_secret_name(&name))
}

/// `url` with its user-info password and the values of its secret query parameters replaced
/// by `[redacted]`: what is shown of a URL in an error, a log line or a trace.
pub fn redacted_url(url: &reqwest::Url) -> reqwest::Url {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("[redacted]"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_secret_name(&name) {
                    String::from("[redacted]")
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url
}

/// The secrets of `url` (its secret query parameters' values, as sent and as decoded, and its
/// user-info password), longest first: what an answer that echoes the request could quote.
pub fn url_secret_values(url: &reqwest::Url) -> Vec<String> {
    let query = url.query().unwrap_or_default();
    // `query_pairs` decodes the same non-empty `&`-separated pieces, in order.
    let raw_pairs = query.split('&').filter(|pair| !pair.is_empty());
    let mut values = Vec::new();
    for (raw, (name, value)) in raw_pairs.zip(url.query_pairs()) {
        if is_secret_name(&name) {
            values.extend(raw.split_once('=').map(|(_, raw)| raw.to_owned()));
            values.push(value.into_owned());
        }
    }
    values.extend(url.password().map(str::to_owned));
    values.retain(|v| !v.is_empty());
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

/// `bytes` with every occurrence of each of `secrets` replaced by `[redacted]`.
pub fn scrub(bytes: &[u8], secrets: &[String]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for secret in secrets.iter().map(String::as_bytes) {
        let mut scrubbed = Vec::with_capacity(out.len());
        let mut rest = out.as_slice();
        while !rest.is_empty() {
            if rest.starts_with(secret) {
                scrubbed.extend_from_slice(b"[redacted]");
                rest = &rest[secret.len()..];
            } else {
                scrubbed.push(rest[0]);
                rest = &rest[1..];
            }
        }
        out = scrubbed;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_shows_no_password_and_no_secret_query_value_and_keeps_the_rest() {
        let url = reqwest::Url::parse(
            "https://u:pw-S3CRET@h.example/a?name=a%20b&apiKeySecret=k-S3CRET&access_token=t-S3CRET&page=2",
        )
        .unwrap();
        assert!(url_has_secret(&url));
        let shown = redacted_url(&url).to_string();
        assert!(!shown.contains("S3CRET"), "{shown}");
        assert!(
            shown.starts_with("https://u:%5Bredacted%5D@h.example/a?"),
            "{shown}"
        );
        assert!(
            shown.contains("name=a+b") && shown.contains("page=2"),
            "{shown}"
        );
        assert!(shown.contains("apiKeySecret=%5Bredacted%5D"), "{shown}");
        let plain = reqwest::Url::parse("https://h.example/account/1/balance?page=2").unwrap();
        assert!(!url_has_secret(&plain));
        assert_eq!(redacted_url(&plain), plain);
    }

    #[test]
    fn names_of_secrets_are_known_however_they_are_written() {
        for secret in [
            "token",
            "access_token",
            "apiKeySecret",
            "client-secret",
            "Password",
            "Authorization",
            "credentials",
            "clientCredential",
            "apiKey",
            "api_key",
            "X-Api-Key",
            "APIKEY",
            "pwd",
            "db_passwd",
        ] {
            assert!(is_secret_name(secret), "{secret}");
        }
        for plain in [
            "apiKeyId",
            "apiKeyName",
            "name",
            "page",
            "pinId",
            "keyword",
            "to",
        ] {
            assert!(!is_secret_name(plain), "{plain}");
        }
    }

    #[test]
    fn a_urls_secrets_are_found_as_sent_and_decoded_and_scrubbed_from_an_echo() {
        let url =
            reqwest::Url::parse("https://u:pw@h/p?apiKeySecret=a%2Fb+c&name=x&&token=").unwrap();
        let values = url_secret_values(&url);
        assert_eq!(values, ["a%2Fb+c", "a/b c", "pw"]);
        assert_eq!(
            scrub(b"echo a/b c and a%2Fb+c, name=x", &values),
            b"echo [redacted] and [redacted], name=x"
        );
    }
}
