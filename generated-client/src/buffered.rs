//! Reading an answer's body within a limit: for the product client, which decodes it
//! ([`read_bounded`]), and before the client does ([`read`]), handing it a response that still
//! has it: the same status, headers and URL (or ones made safe), and the same body, or the same
//! failure to read it.

use std::future::Future;

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
    if declared_over(&response, limit) {
        // The response as a body keeps its declared length for the reader after this one.
        return (parts, Read::TooLong(reqwest::Body::from(response)));
    }
    // Grown as the body comes, not reserved for what it declares: the length is the server's
    // word, and a body read for its ids or its secrets is read whatever the operation.
    let mut read = Gathered::default();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read.push(chunk);
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

/// Whether `response` declares a body longer than `limit` bytes: one not worth waiting for,
/// since it would be refused (or handed on unread) once it came.
pub(crate) fn declared_over(response: &reqwest::Response, limit: usize) -> bool {
    response
        .content_length()
        .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit))
}

/// The first `limit` bytes of `response`'s body, and whether it held more (not read).
///
/// A plain function whose future uses the response where it was captured: an `async fn`
/// keeps its argument and a moved copy of it, and so would every future that holds this one
/// (a generated call's, moved on every call).
pub(crate) fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
) -> impl Future<Output = reqwest::Result<(Bytes, bool)>> + Send {
    let mut body = Gathered::for_body_of(&response, limit);
    async move {
        while let Some(chunk) = response.chunk().await? {
            let room = limit - body.len();
            if chunk.len() > room {
                body.push(chunk.slice(..room));
                return Ok((body.freeze(), true));
            }
            body.push(chunk);
        }
        Ok((body.freeze(), false))
    }
}

/// A body as it is read. Most answers come in one chunk, which is kept as it came: copying it
/// would cost every call an allocation and a copy of its answer. A second chunk gathers both,
/// and what follows, into one buffer (of `reserve` bytes at least).
#[derive(Default)]
struct Gathered {
    first: Bytes,
    more: Option<BytesMut>,
    reserve: usize,
}

impl Gathered {
    /// For the body of `response`, of which at most `limit` bytes are kept, in one buffer of
    /// the length it declares: what the operation's own answer is read into.
    fn for_body_of(response: &reqwest::Response, limit: usize) -> Self {
        let declared = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok());
        Self {
            reserve: declared.unwrap_or(0).min(limit),
            ..Self::default()
        }
    }

    fn len(&self) -> usize {
        self.more.as_ref().map_or(self.first.len(), BytesMut::len)
    }

    fn push(&mut self, chunk: Bytes) {
        // An empty chunk (a stream may yield one; a cut at the limit makes one) would start
        // the buffer, and copy the first chunk, for nothing.
        if chunk.is_empty() {
            return;
        }
        if let Some(more) = &mut self.more {
            more.extend_from_slice(&chunk);
        } else if self.first.is_empty() {
            self.first = chunk;
        } else {
            let mut more =
                BytesMut::with_capacity(self.reserve.max(self.first.len() + chunk.len()));
            more.extend_from_slice(&std::mem::take(&mut self.first));
            more.extend_from_slice(&chunk);
            self.more = Some(more);
        }
    }

    fn freeze(self) -> Bytes {
        self.more.map_or(self.first, BytesMut::freeze)
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
