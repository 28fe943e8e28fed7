//! What a caller needs from an answer besides its body: a download's content type.

use progenitor_client::ResponseValue;

/// The media type of an answer, for downloads whose description allows several (a recording
/// as `audio/wav` or `audio/mpeg`, a document as PDF or an image): operations with a non-JSON
/// success body return a [`ByteStream`](crate::ByteStream) that is read as it arrives.
///
/// ```no_run
/// use infobip_client::{ByteStream, ContentType as _, ResponseValue};
///
/// fn describe(download: &ResponseValue<ByteStream>) -> String {
///     format!("{} ({:?} bytes)", download.content_type().unwrap_or("unknown"), download.content_length())
/// }
/// ```
pub trait ContentType {
    /// The `Content-Type` header's value, if the answer has a readable one.
    fn content_type(&self) -> Option<&str>;
}

impl<T> ContentType for ResponseValue<T> {
    fn content_type(&self) -> Option<&str> {
        self.headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }
}
