//! Reading an answer's body before the product client does, and handing the client a response
//! that still has it: the same status, headers and URL (or ones made safe), and the same body,
//! or the same failure to read it.

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, StreamExt as _};
use reqwest::ResponseBuilderExt as _;

/// Everything of a response but its body.
pub(crate) struct Parts {
    pub(crate) status: reqwest::StatusCode,
    pub(crate) version: reqwest::Version,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: reqwest::header::HeaderMap,
}

impl Parts {
    /// The parts of `response`.
    pub(crate) fn of(response: &reqwest::Response) -> Self {
        Self {
            status: response.status(),
            version: response.version(),
            url: response.url().clone(),
            headers: response.headers().clone(),
        }
    }
}

/// What was read of a body.
pub(crate) enum Read {
    /// All of it.
    Whole(Bytes),
    /// More than the limit: the caller gets these bytes and then the rest, as it would have.
    TooLong(reqwest::Body),
    /// The body broke off after `read` with `error`.
    BrokeOff { read: Bytes, error: reqwest::Error },
}

impl Read {
    /// The body as the caller would have read it.
    pub(crate) fn into_body(self) -> reqwest::Body {
        match self {
            Read::Whole(bytes) => reqwest::Body::from(bytes),
            Read::TooLong(body) => body,
            Read::BrokeOff { read, error } => failing(read, error),
        }
    }
}

/// The response's parts and its body, read whole if it ends within `limit` bytes. A body
/// declared longer than `limit` is not read at all: waiting for bytes a server may never send
/// would hold the call, which the client's reader refuses at once for that length.
pub(crate) async fn read(mut response: reqwest::Response, limit: usize) -> (Parts, Read) {
    let parts = Parts::of(&response);
    if crate::error::declared_over(&response, limit) {
        // The response as a body keeps its declared length for the reader after this one.
        return (parts, Read::TooLong(reqwest::Body::from(response)));
    }
    let mut read = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read.extend_from_slice(&chunk);
                if read.len() > limit {
                    let first = stream::once(std::future::ready(Ok(read.freeze())));
                    let body = reqwest::Body::wrap_stream(first.chain(response.bytes_stream()));
                    return (parts, Read::TooLong(body));
                }
            }
            Ok(None) => return (parts, Read::Whole(read.freeze())),
            Err(error) => {
                let read = read.freeze();
                return (parts, Read::BrokeOff { read, error });
            }
        }
    }
}

/// A body that yields `read` and then fails with `error`, as the original did.
pub(crate) fn failing(read: Bytes, error: reqwest::Error) -> reqwest::Body {
    let chunks = [Ok(read), Err(error)].into_iter().filter(|c| match c {
        Ok(bytes) => !bytes.is_empty(),
        Err(_) => true,
    });
    reqwest::Body::wrap_stream(stream::iter(chunks))
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
