//! Keeping secrets out of what a failed call hands back: the URL a transport error or an
//! unexpected response names (a query parameter such as `apiKeySecret`), and a success body
//! that could not be read (it may hold an `apiKeySecret` or a token), which progenitor's error
//! would print whole.

use infobip_client::Operation;
use reqwest::ResponseBuilderExt as _;

/// Whether a field or query parameter of this name may hold a secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "password", "authorization"]
        .iter()
        .any(|s| name.contains(s))
}

/// Replaces, at any depth, the values of fields whose names say they hold a secret; true if
/// it replaced any.
pub(crate) fn redact_json(json: &mut serde_json::Value) -> bool {
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

/// Whether `url` carries a secret: a user-info password, or a query parameter whose name
/// says it is one.
fn has_secret(url: &reqwest::Url) -> bool {
    url.password().is_some() || url.query_pairs().any(|(name, _)| is_secret_name(&name))
}

/// `url` with its secret query values and user-info password replaced by `[redacted]`.
fn redacted(url: &reqwest::Url) -> reqwest::Url {
    let mut url = url.clone();
    let _ = url.set_password(None);
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
    if !pairs.is_empty() {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url
}

/// A transport error whose URL holds no secret.
pub(crate) fn error(mut error: reqwest::Error) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        if has_secret(url) {
            *url = redacted(url);
        }
    }
    error
}

/// A response that names no secret in its URL and, for an operation whose success body holds
/// secrets, carries a body progenitor can read or none of the secrets: its error for an
/// unreadable body prints the body whole.
pub(crate) async fn response(
    operation: &'static Operation,
    response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    let check = operation
        .reads_secrets
        .filter(|_| response.status().is_success());
    if check.is_none() && !has_secret(response.url()) {
        return Ok(response);
    }
    let url = redacted(response.url());
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = match check {
        None => reqwest::Body::from(response.bytes().await.map_err(error)?),
        Some(parses) => {
            let bytes = response.bytes().await.map_err(error)?;
            if parses(&bytes) {
                reqwest::Body::from(bytes)
            } else {
                reqwest::Body::from(withheld(&bytes))
            }
        }
    };
    let mut rebuilt = http::Response::builder()
        .status(status)
        .version(version)
        .url(url);
    if let Some(map) = rebuilt.headers_mut() {
        *map = headers;
    }
    Ok(rebuilt
        .body(body)
        .map(reqwest::Response::from)
        .unwrap_or_else(|_| {
            // The parts came from a valid response; this cannot fail.
            reqwest::Response::from(http::Response::new(reqwest::Body::from(Vec::new())))
        }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_query_values_and_passwords_are_redacted_and_the_rest_kept() {
        let url = reqwest::Url::parse(
            "https://u:pw-S3CRET@x.api.infobip.com/settings/2/api-keys?name=a%20b&apiKeySecret=k-S3CRET&page=2",
        )
        .unwrap();
        assert!(has_secret(&url));
        let shown = redacted(&url).to_string();
        assert!(!shown.contains("S3CRET"), "{shown}");
        assert!(
            shown.contains("name=a+b") && shown.contains("page=2"),
            "{shown}"
        );
        assert!(shown.contains("apiKeySecret=%5Bredacted%5D"), "{shown}");
        let plain = reqwest::Url::parse("https://x.api.infobip.com/account/1/balance").unwrap();
        assert!(!has_secret(&plain));
    }

    #[test]
    fn unreadable_bodies_keep_no_secret() {
        let json =
            br#"{"apiKeySecret":"k-S3CRET","validFrom":"later","items":[{"token":"t-S3CRET"}]}"#;
        let kept = String::from_utf8(withheld(json)).unwrap();
        assert!(!kept.contains("S3CRET"), "{kept}");
        assert!(kept.contains(r#""validFrom":"later""#), "{kept}");
        let cut = br#"{"apiKeySecret":"k-S3CR"#;
        let kept = String::from_utf8(withheld(cut)).unwrap();
        assert_eq!(
            kept,
            "[23 bytes withheld: the body is not JSON and may hold a secret]"
        );
    }
}
