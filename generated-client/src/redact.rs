//! Keeping secrets out of what a failed call hands back: the values of secret-named fields in
//! a JSON body, and the value after every secret-named key in any other text (an error page
//! that echoes the request it refused).
//!
//! Every call's answer passes here on its way back ([`response`], [`error`]): a secret in its
//! URL (a query parameter such as `apiKeySecret`) or its echo in the answer is taken out, and
//! a success body of an operation that returns secrets that could not be read (progenitor's
//! error would print it whole) keeps none of them.
//!
//! Public for `infobip-auth`, which keeps secrets out of what it logs and hands back with the
//! same rules; not part of this crate's stable API.

use crate::Operation;

/// Whether a field or query parameter of this name may hold a secret: one that names a token,
/// a secret, a password or credentials anywhere in it, or ends in an API key or a short form of
/// password (`apiKey`, `x-api-key`, `pwd`). An API key's id or name (`apiKeyId`) is no secret
/// and stays.
fn is_secret_name(name: &str) -> bool {
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
pub(crate) fn url_has_secret(url: &reqwest::Url) -> bool {
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
fn url_secret_values(url: &reqwest::Url) -> Vec<String> {
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
fn scrub(bytes: &[u8], secrets: &[String]) -> Vec<u8> {
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

/// A transport error whose URL holds no secret.
pub fn error(mut error: reqwest::Error) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        if url_has_secret(url) {
            *url = redacted_url(url);
        }
    }
    error
}

/// A response that names no secret in its URL and, for an operation whose success body holds
/// secrets, carries a body progenitor can read or none of the secrets: its error for an
/// unreadable body prints the body whole.
pub async fn response(
    operation: &'static Operation,
    response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    let check = operation
        .reads_secrets
        .filter(|_| response.status().is_success());
    if check.is_none() && !url_has_secret(response.url()) {
        return Ok(response);
    }
    if check.is_none() && response.status().is_success() && !crate::trace::is_json(&response) {
        // A download (a file, a CSV export, a recording) is handed on as it streams, never
        // read whole: only where it came from is made safe to show.
        return Ok(streamed(response));
    }
    // Boxed apart: the rare path's state would otherwise make every call's future larger.
    Box::pin(rewrite(response, check)).await
}

/// `response` with its URL's secrets and their echoes in its headers taken out, its body
/// untouched.
fn streamed(response: reqwest::Response) -> reqwest::Response {
    let echoed = url_secret_values(response.url());
    let mut parts = crate::buffered::Parts::of(&response);
    parts.url = redacted_url(response.url());
    scrub_headers(&mut parts.headers, &echoed);
    let body = reqwest::Body::wrap_stream(response.bytes_stream());
    crate::buffered::rebuild(parts, body)
}

fn scrub_headers(headers: &mut reqwest::header::HeaderMap, echoed: &[String]) {
    if echoed.is_empty() {
        return;
    }
    for value in headers.values_mut() {
        let scrubbed = scrub(value.as_bytes(), echoed);
        if scrubbed != value.as_bytes() {
            if let Ok(clean) = reqwest::header::HeaderValue::from_bytes(&scrubbed) {
                *value = clean;
            }
        }
    }
}

/// [`response`]'s work when there is something to take out.
async fn rewrite(
    response: reqwest::Response,
    check: Option<fn(&[u8]) -> bool>,
) -> reqwest::Result<reqwest::Response> {
    // What the request's URL held may come back in the answer (an error page that echoes the
    // request line, a `Location` back to it): it is taken out of the headers and the body.
    let echoed = url_secret_values(response.url());
    let url = redacted_url(response.url());
    if !response.status().is_success() {
        return Ok(error_answer(response, url, &echoed).await);
    }
    // No more is read than the client reads of a success: a longer body (one that never
    // ends, a length declared and never sent) is handed on as it came, and the client refuses
    // it without showing any of it.
    let (mut parts, read) = crate::buffered::read(response, crate::Error::SUCCESS_BODY_LIMIT).await;
    parts.url = url;
    scrub_headers(&mut parts.headers, &echoed);
    let bytes = match read {
        crate::buffered::Read::Whole(bytes) => bytes,
        // The body broke off: the caller reads the same failure, and none of what came
        // before it (it could hold a secret this function had no chance to take out).
        crate::buffered::Read::BrokeOff { error: failure, .. } => {
            let body = crate::buffered::failing(bytes::Bytes::new(), error(failure));
            return Ok(crate::buffered::rebuild(parts, body));
        }
        too_long @ crate::buffered::Read::TooLong(_) => {
            return Ok(crate::buffered::rebuild(parts, too_long.into_body()));
        }
    };
    let bytes = if echoed.is_empty() {
        bytes.to_vec()
    } else {
        scrub(&bytes, &echoed)
    };
    let body = match check {
        Some(parses) if !parses(&bytes) => withheld(&bytes),
        _ => bytes,
    };
    Ok(crate::buffered::rebuild(parts, body))
}

/// An error answer with the echoes of `echoed` taken out of its headers and body. The client
/// reads no more than [`crate::Error::ERROR_BODY_LIMIT`] bytes of an error body, so
/// no more is read here than that and the longest secret (so that an echo that straddles the
/// limit is still whole, and taken out): a body that never ends, or one of gigabytes, would
/// otherwise be read whole before the client saw its first bytes.
async fn error_answer(
    mut response: reqwest::Response,
    url: reqwest::Url,
    echoed: &[String],
) -> reqwest::Response {
    let mut parts = crate::buffered::Parts::of(&response);
    parts.url = url;
    scrub_headers(&mut parts.headers, echoed);
    let longest = echoed.iter().map(String::len).max().unwrap_or(0);
    let limit = crate::Error::ERROR_BODY_LIMIT + longest;
    let mut read = Vec::new();
    let mut cut = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - read.len();
                read.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if read.len() == limit {
                    cut = true;
                    break;
                }
            }
            Ok(None) => break,
            // As in `rewrite`: the same failure, and none of what came before it.
            Err(failure) => {
                let body = crate::buffered::failing(bytes::Bytes::new(), error(failure));
                return crate::buffered::rebuild(parts, body);
            }
        }
    }
    let mut body = if echoed.is_empty() {
        read
    } else {
        scrub(&read, echoed)
    };
    if cut {
        // The rest is not read: an echo cut at the end is not left half.
        for secret in echoed {
            let secret = secret.as_bytes();
            if let Some(k) = (1..secret.len())
                .rev()
                .find(|&k| body.ends_with(&secret[..k]))
            {
                body.truncate(body.len() - k);
            }
        }
    }
    crate::buffered::rebuild(parts, body)
}

/// An unreadable body with its secrets taken out: JSON with the secret fields replaced, or,
/// when it is not JSON at all (a cut-off body can hold half a token), only its length.
fn withheld(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut json) => {
            redact_json(&mut json);
            json.to_string().into_bytes()
        }
        Err(_) => format!(
            "[{} bytes withheld: the body is not JSON and may hold a secret]",
            body.len()
        )
        .into_bytes(),
    }
}
