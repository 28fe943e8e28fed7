//! Reading an answer's body before the product client does, and handing the client a response
//! that still has it (with the same status, headers and URL, or ones made safe).

use reqwest::ResponseBuilderExt as _;

/// Everything of a response but its body.
pub(crate) struct Parts {
    pub(crate) status: reqwest::StatusCode,
    pub(crate) version: reqwest::Version,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: reqwest::header::HeaderMap,
}

/// The response's parts and its whole body.
pub(crate) async fn read(response: reqwest::Response) -> reqwest::Result<(Parts, bytes::Bytes)> {
    let parts = Parts {
        status: response.status(),
        version: response.version(),
        url: response.url().clone(),
        headers: response.headers().clone(),
    };
    let body = response.bytes().await?;
    Ok((parts, body))
}

/// A response made of `parts` and `body`.
pub(crate) fn rebuild(parts: Parts, body: impl Into<reqwest::Body>) -> reqwest::Response {
    let mut rebuilt = http::Response::builder()
        .status(parts.status)
        .version(parts.version)
        .url(parts.url);
    if let Some(map) = rebuilt.headers_mut() {
        *map = parts.headers;
    }
    rebuilt
        .body(body.into())
        .map(reqwest::Response::from)
        .unwrap_or_else(|_| {
            // The parts came from a valid response; this cannot fail.
            reqwest::Response::from(http::Response::new(reqwest::Body::from(Vec::new())))
        })
}
