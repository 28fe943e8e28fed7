//! `multipart/form-data` uploads, which progenitor 0.15 cannot send: codegen writes each such
//! operation's form (a struct with one field per property of the description's schema) and its
//! call, and this module turns a form into a request and sends it through the same
//! [`Authenticator`](crate::Authenticator) every other call goes through.
//!
//! File parts are streamed from their source, never read whole. A streamed body cannot be
//! cloned, so the one replay after a 401 builds the request again from the form: each
//! [`FilePart`] is opened a second time (a path is reopened, a factory called again).

use std::fmt;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::hooks::{BoxFuture, Call, PrepareError};
use crate::{Auth, Error, ErrorKind, Operation};

type Open = dyn Fn() -> BoxFuture<'static, io::Result<reqwest::Body>> + Send + Sync;

/// Where a file part's bytes come from. Each source can be read more than once, which the
/// replay after a 401 needs.
#[derive(Clone)]
enum Source {
    /// A file, opened (and streamed) each time the request is built.
    Path(PathBuf),
    /// A closure that gives a fresh body each time it is called.
    Factory(Arc<Open>),
    /// Bytes already in memory (small parts, tests).
    Bytes(bytes::Bytes),
}

/// One file of a multipart upload: a path, a factory of streams, or bytes, with the file name
/// and content type the part is sent with.
///
/// ```no_run
/// use infobip_client::FilePart;
///
/// let report = FilePart::path("reports/march.pdf"); // streamed; `application/pdf`
/// let logo = FilePart::bytes("logo.png", std::fs::read("logo.png").unwrap_or_default());
/// ```
#[derive(Clone)]
pub struct FilePart {
    source: Source,
    file_name: Option<String>,
    content_type: Option<String>,
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Path(path) => format!("path {}", path.display()),
            Source::Factory(_) => String::from("factory"),
            Source::Bytes(bytes) => format!("{} bytes", bytes.len()),
        };
        f.debug_struct("FilePart")
            .field("source", &source)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl FilePart {
    /// The file at `path`, streamed when the request is sent (and opened again for the replay
    /// after a 401). The part is named after the file, and its content type is guessed from
    /// the extension (`application/octet-stream` when it says nothing).
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        let content_type = Some(guess_content_type(&path).to_owned());
        Self {
            source: Source::Path(path),
            file_name,
            content_type,
        }
    }

    /// A part whose body `open` makes, called once per request sent: once, or twice when the
    /// call is replayed after a 401. For data that is not a file (an object store's stream).
    pub fn from_fn<F, Fut>(file_name: impl Into<String>, open: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<reqwest::Body>> + Send + 'static,
    {
        let open: Arc<Open> = Arc::new(move || Box::pin(open()));
        let file_name = file_name.into();
        let content_type = Some(guess_content_type(Path::new(&file_name)).to_owned());
        Self {
            source: Source::Factory(open),
            file_name: Some(file_name),
            content_type,
        }
    }

    /// A part made of `bytes`, held in memory.
    pub fn bytes(file_name: impl Into<String>, bytes: impl Into<bytes::Bytes>) -> Self {
        let file_name = file_name.into();
        let content_type = Some(guess_content_type(Path::new(&file_name)).to_owned());
        Self {
            source: Source::Bytes(bytes.into()),
            file_name: Some(file_name),
            content_type,
        }
    }

    /// Sends the part under another file name.
    #[must_use]
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = Some(file_name.into());
        self
    }

    /// Sends the part with this content type instead of the guessed one.
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The part, with its body opened afresh.
    async fn open(&self, field: &'static str) -> Result<reqwest::multipart::Part, FormError> {
        let opened = |error: io::Error| FormError::Open {
            field,
            source_name: self.source_name(),
            error,
        };
        let part = match &self.source {
            Source::Path(path) => {
                let file = tokio::fs::File::open(path).await.map_err(opened)?;
                // With its length the form has one, and the upload is not sent chunked.
                match file.metadata().await {
                    Ok(metadata) => reqwest::multipart::Part::stream_with_length(
                        reqwest::Body::from(file),
                        metadata.len(),
                    ),
                    Err(_) => reqwest::multipart::Part::stream(reqwest::Body::from(file)),
                }
            }
            Source::Factory(open) => {
                reqwest::multipart::Part::stream(open().await.map_err(opened)?)
            }
            Source::Bytes(bytes) => reqwest::multipart::Part::bytes(bytes.to_vec()),
        };
        let part = match &self.file_name {
            Some(name) => part.file_name(name.clone()),
            None => part,
        };
        match &self.content_type {
            Some(content_type) => part
                .mime_str(content_type)
                .map_err(|_| FormError::ContentType {
                    field,
                    content_type: content_type.clone(),
                }),
            None => Ok(part),
        }
    }

    fn source_name(&self) -> String {
        match &self.source {
            Source::Path(path) => path.display().to_string(),
            Source::Factory(_) | Source::Bytes(_) => self.file_name.clone().unwrap_or_default(),
        }
    }
}

/// The content type of a file, from its extension: the types Infobip's uploads take (images,
/// audio, documents, keys), `application/octet-stream` for the rest.
fn guess_content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "mp4" => "video/mp4",
        "pem" => "application/x-pem-file",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// One part of a form, as a generated form lists it.
#[derive(Debug)]
pub enum Field<'a> {
    /// A text part: the value as Infobip reads it (numbers and booleans as written in JSON,
    /// date-times in RFC 3339).
    Text(String),
    /// A file part.
    File(&'a FilePart),
    /// An object, sent as its JSON text with the content type `application/json`.
    Json(&'a serde_json::Value),
}

/// A generated multipart form: its parts, in the description's property order, a property
/// listed once per value (arrays) and not at all when unset.
pub trait Form: Send + Sync {
    /// The form's parts: each property's name and value.
    fn fields(&self) -> Vec<(&'static str, Field<'_>)>;
}

/// Why a multipart request could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// A file part could not be opened.
    #[error("cannot open `{source_name}` for the file part `{field}`: {error}; check the path (or what the part's factory opens) and its permissions")]
    Open {
        /// The form's property.
        field: &'static str,
        /// The path, or the part's file name.
        source_name: String,
        /// Why.
        error: io::Error,
    },
    /// A file part's content type is not a media type.
    #[error("the file part `{field}` has the content type `{content_type}`, which is not a media type; give one such as `application/pdf`")]
    ContentType {
        /// The form's property.
        field: &'static str,
        /// What was given.
        content_type: String,
    },
    /// The request could not be built (the URL, a header).
    #[error("cannot build the upload request: {0}")]
    Request(#[source] reqwest::Error),
}

/// A request whose body can be sent once only, with what builds it again: a multipart upload,
/// rebuilt for the one replay after a 401 with its file parts opened afresh.
pub trait Rebuild: Send + Sync {
    /// The request as it was first built, before credentials: a new body, the same headers.
    fn rebuild(&self) -> BoxFuture<'_, Result<reqwest::Request, PrepareError>>;
}

/// What builds one upload: where it goes and its form.
struct Upload<'a> {
    http: &'a reqwest::Client,
    method: reqwest::Method,
    url: &'a str,
    form: &'a dyn Form,
}

impl Upload<'_> {
    async fn build(&self) -> Result<reqwest::Request, FormError> {
        let mut multipart = reqwest::multipart::Form::new();
        for (name, field) in self.form.fields() {
            multipart = match field {
                Field::Text(text) => multipart.text(name, text),
                Field::File(file) => multipart.part(name, file.open(name).await?),
                Field::Json(value) => {
                    let part = reqwest::multipart::Part::text(value.to_string())
                        .mime_str("application/json")
                        .map_err(FormError::Request)?;
                    multipart.part(name, part)
                }
            };
        }
        self.http
            .request(self.method.clone(), self.url)
            .header(
                reqwest::header::ACCEPT,
                reqwest::header::HeaderValue::from_static("application/json"),
            )
            .multipart(multipart)
            .build()
            .map_err(FormError::Request)
    }
}

impl Rebuild for Upload<'_> {
    fn rebuild(&self) -> BoxFuture<'_, Result<reqwest::Request, PrepareError>> {
        Box::pin(async move { self.build().await.map_err(|e| Box::new(e) as PrepareError) })
    }
}

/// Sends a generated multipart operation: the form built into a request, prepared by the
/// authenticator (credentials, or a local refusal), and sent by it with what rebuilds the
/// request for a replay.
#[allow(dead_code)]
pub(crate) async fn send(
    auth: &Auth,
    http: &reqwest::Client,
    operation: &'static Operation,
    method: reqwest::Method,
    url: &str,
    form: &dyn Form,
) -> Result<reqwest::Response, Error> {
    let upload = Upload {
        http,
        method,
        url,
        form,
    };
    // A file that cannot be opened is an input of the caller's that makes no request.
    let mut request = upload
        .build()
        .await
        .map_err(|e| crate::call::invalid_request(operation, e))?;
    let call = Call {
        operation,
        transport: http,
    };
    auth.authenticator()
        .prepare(call, &mut request)
        .outcome()
        .await
        .map_err(|e| Error::new(operation, ErrorKind::Auth(e)))?;
    crate::call::send(auth, call, request, Some(&upload))
        .await
        .map_err(|e| crate::call::transport_error(operation, e))
}

/// Percent-encodes a path parameter as progenitor does.
#[allow(dead_code)]
pub(crate) fn encode_path(value: &str) -> String {
    progenitor_client::encode_path(value)
}
