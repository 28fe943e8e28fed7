//! Keeping secrets out of what a failed call hands back: the URL a transport error or an
//! unexpected response names (a query parameter such as `apiKeySecret`), and a success body
//! that could not be read (it may hold an `apiKeySecret` or a token), which progenitor's error
//! would print whole.

use infobip_client::redact::{redact_json, redacted_url, scrub, url_has_secret, url_secret_values};
use infobip_client::Operation;

/// A transport error whose URL holds no secret.
pub(crate) fn error(mut error: reqwest::Error) -> reqwest::Error {
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
pub(crate) async fn response(
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
    let (mut parts, read) = crate::buffered::read(response, usize::MAX).await;
    parts.url = url;
    let bytes = match read {
        crate::buffered::Read::Whole(bytes) => bytes,
        // The body broke off: the caller reads the same failure, and none of what came
        // before it (it could hold a secret this function had no chance to take out).
        crate::buffered::Read::BrokeOff { error: failure, .. } => {
            let body = crate::buffered::failing(bytes::Bytes::new(), error(failure));
            return Ok(crate::buffered::rebuild(parts, body));
        }
        // Unreachable without a limit; handed on as it came.
        too_long @ crate::buffered::Read::TooLong(_) => {
            return Ok(crate::buffered::rebuild(parts, too_long.into_body()));
        }
    };
    scrub_headers(&mut parts.headers, &echoed);
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
/// reads no more than [`infobip_client::Error::ERROR_BODY_LIMIT`] bytes of an error body, so
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
    let limit = infobip_client::Error::ERROR_BODY_LIMIT + longest;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_is_handed_on_unread_with_its_url_made_safe() {
        use futures_util::{FutureExt as _, StreamExt as _};
        use reqwest::ResponseBuilderExt as _;

        // A body that never ends: reading it whole would never finish.
        let endless = futures_util::stream::once(async {
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"%PDF"))
        })
        .chain(futures_util::stream::pending());
        let url = reqwest::Url::parse("https://h/files/1?apiKeySecret=k-S3CRET").unwrap();
        let answer = http::Response::builder()
            .status(200)
            .url(url)
            .header("content-type", "application/pdf")
            .body(reqwest::Body::wrap_stream(endless))
            .unwrap();
        let handed = response(
            &infobip_client::HAND_WRITTEN,
            reqwest::Response::from(answer),
        )
        .now_or_never()
        .expect("the download was read before it was handed on")
        .unwrap();
        assert!(
            !handed.url().as_str().contains("S3CRET"),
            "{}",
            handed.url()
        );
        let first = handed.bytes_stream().next().now_or_never().flatten();
        assert_eq!(first.unwrap().unwrap(), bytes::Bytes::from_static(b"%PDF"));
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
        // Only the length is kept of a body that is not JSON.
        assert!(!kept.contains("S3CR"), "{kept}");
        assert!(kept.contains("23 bytes"), "{kept}");
    }
}
