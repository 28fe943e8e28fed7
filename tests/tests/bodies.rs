//! The body kinds codegen writes beside progenitor, called through the fixture product
//! (`codegen/fixtures/uploads.yaml`, `infobip_client::uploads_fixture`) on a connection of the
//! auth crate: multipart uploads (their parts on the wire, the one replay after a 401 with the
//! files opened again), downloads streamed past the traced path, raw request bodies sent with
//! their media type, and operations whose successes differ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::StreamExt as _;
use infobip_auth::ClientBuilder;
use infobip_client::uploads_fixture::multipart::UploadDocumentForm;
use infobip_client::uploads_fixture::Client;
use infobip_client::{ContentType as _, FilePart};
use workspace_tests::{CapturedLogs, Recorded, RecordingServer, Reply};

const UPLOAD_PATH: &str = "/uploads/1/folders/42/documents";

/// One part of a multipart body: its headers (as text) and its content.
#[derive(Debug)]
struct Part {
    headers: String,
    content: String,
}

impl Part {
    fn named(&self, name: &str) -> bool {
        self.headers.contains(&format!("name=\"{name}\""))
    }
}

/// The parts of a recorded `multipart/form-data` request, split on its boundary.
fn parts(request: &Recorded) -> Vec<Part> {
    let content_type = request.header("content-type").unwrap_or_default();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap_or_else(|| panic!("no boundary in {content_type:?}"));
    let delimiter = format!("--{boundary}");
    let body = request.body.as_str();
    assert!(
        body.trim_end().ends_with(&format!("{delimiter}--")),
        "the body is not whole: {body:?}"
    );
    body.split(delimiter.as_str())
        .filter(|chunk| !chunk.trim().is_empty() && chunk.trim() != "--")
        .map(|chunk| {
            let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
            let (headers, content) = chunk.split_once("\r\n\r\n").unwrap_or((chunk, ""));
            Part {
                headers: headers.to_owned(),
                content: content.strip_suffix("\r\n").unwrap_or(content).to_owned(),
            }
        })
        .collect()
}

fn uploads(server: &RecordingServer) -> Vec<Recorded> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == UPLOAD_PATH)
        .collect()
}

/// Answers logins (OAuth 2.0 tokens, IBSSO sessions, each numbered) and the upload: 401 for
/// the first `refused` uploads, then the upload's result.
fn infobip_like(refused: usize) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let logins = AtomicUsize::new(0);
    let uploads = AtomicUsize::new(0);
    move |request: &Recorded| match request.path.as_str() {
        "/auth/1/oauth2/token" => {
            let n = logins.fetch_add(1, Ordering::SeqCst);
            Reply::json(
                200,
                format!(
                    r#"{{"access_token":"token-{n}","expires_in":3600,"token_type":"Bearer"}}"#
                ),
            )
        }
        "/auth/1/session" => {
            let n = logins.fetch_add(1, Ordering::SeqCst);
            Reply::json(200, format!(r#"{{"token":"session-{n}"}}"#))
        }
        "/auth/1/session/destroy" => Reply::empty(204),
        UPLOAD_PATH if uploads.fetch_add(1, Ordering::SeqCst) < refused => Reply::json(
            401,
            r#"{"errorCode":"E401","description":"Unauthorized","action":"","violations":[],"resources":[]}"#,
        ),
        UPLOAD_PATH => Reply::json(200, r#"{"documentId":"doc-1","size":12}"#),
        _ => Reply::empty(404),
    }
}

fn temp_file(name: &str, content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

#[tokio::test]
async fn an_upload_arrives_whole_with_its_parts_and_their_content_types() {
    let server = RecordingServer::start_with(infobip_like(0)).await.unwrap();
    let infobip = ClientBuilder::api_key("key-1")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let (_dir, report) = temp_file("report.pdf", "%PDF-1.7 quarterly report");

    // What a service writes: a form with a file from a path, sent in a few lines.
    let mut form = UploadDocumentForm::new(FilePart::path(&report), String::from("Q1 report"));
    form.attachment = vec![
        FilePart::bytes("notes.txt", "first note"),
        FilePart::bytes("data.bin", vec![b'x'; 3]).content_type("application/x-custom"),
    ];
    form.pages = Some(12);
    form.urgent = Some(true);
    form.tags = vec![String::from("finance"), String::from("q1")];
    let sent = infobip
        .client::<Client>()
        .upload_document()
        .folder_id(42)
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.document_id, "doc-1");

    let requests = uploads(&server);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("authorization"), Some("App key-1"));
    assert!(request
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    let parts = parts(request);
    let names: Vec<&str> = parts
        .iter()
        .map(|p| {
            ["file", "attachment", "title", "pages", "urgent", "tags"]
                .into_iter()
                .find(|n| p.named(n))
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(
        names,
        [
            "file",
            "attachment",
            "attachment",
            "title",
            "pages",
            "urgent",
            "tags",
            "tags"
        ]
    );
    assert!(
        parts[0].headers.contains("filename=\"report.pdf\""),
        "{:?}",
        parts[0]
    );
    assert!(
        parts[0].headers.contains("Content-Type: application/pdf"),
        "{:?}",
        parts[0]
    );
    assert_eq!(parts[0].content, "%PDF-1.7 quarterly report");
    assert!(
        parts[1].headers.contains("Content-Type: text/plain"),
        "{:?}",
        parts[1]
    );
    assert_eq!(parts[1].content, "first note");
    assert!(parts[2]
        .headers
        .contains("Content-Type: application/x-custom"));
    assert_eq!(parts[2].content, "xxx");
    assert_eq!(parts[3].content, "Q1 report");
    assert!(!parts[3].headers.contains("filename"), "{:?}", parts[3]);
    assert_eq!(
        (parts[4].content.as_str(), parts[5].content.as_str()),
        ("12", "true")
    );
    assert_eq!(
        (parts[6].content.as_str(), parts[7].content.as_str()),
        ("finance", "q1")
    );
}

/// A part's content type comes from its file name's extension, whatever its case; a name
/// without one goes out as bytes.
#[tokio::test]
async fn a_parts_content_type_follows_its_extension() {
    let server = RecordingServer::start_with(infobip_like(0)).await.unwrap();
    let infobip = ClientBuilder::api_key("key-1")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let (_dir, report) = temp_file("Report.PDF", "%PDF-1.7");
    let mut form = UploadDocumentForm::new(FilePart::path(&report), String::from("t"));
    form.attachment = vec![FilePart::bytes("key", vec![1, 2])];
    infobip
        .client::<Client>()
        .upload_document()
        .folder_id(42)
        .form(form)
        .send()
        .await
        .unwrap();

    let parts = parts(&uploads(&server)[0]);
    assert!(
        parts[0].headers.contains("filename=\"Report.PDF\""),
        "{:?}",
        parts[0]
    );
    assert!(
        parts[0].headers.contains("Content-Type: application/pdf"),
        "{:?}",
        parts[0]
    );
    assert!(
        parts[1]
            .headers
            .contains("Content-Type: application/octet-stream"),
        "{:?}",
        parts[1]
    );
}

/// The upload is refused once with a 401: it is sent again, once, with a new token, and every
/// file part is opened a second time for it (a path reopened, a factory called again).
async fn replayed_after_a_401(builder: ClientBuilder) {
    let server = RecordingServer::start_with(infobip_like(1)).await.unwrap();
    let infobip = builder.base_url(server.base_url()).connect().unwrap();
    let (_dir, report) = temp_file("report.csv", "a,b\n1,2\n");
    let opened = Arc::new(AtomicUsize::new(0));
    let counter = opened.clone();
    let streamed = FilePart::from_fn("stream.wav", move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            let chunks = ["RIFF", "-audio-", "attempt"]
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(c.to_owned()))
                .chain(std::iter::once(Ok(n.to_string())));
            Ok(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
        }
    });
    let mut form = UploadDocumentForm::new(FilePart::path(&report), String::from("t"));
    form.attachment = vec![streamed];

    let sent = infobip
        .client::<Client>()
        .upload_document()
        .folder_id(42)
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert_eq!(
        opened.load(Ordering::SeqCst),
        2,
        "the factory runs once per attempt"
    );

    let requests = uploads(&server);
    assert_eq!(requests.len(), 2, "one replay after the 401");
    let tokens: Vec<_> = requests.iter().map(|r| r.header("authorization")).collect();
    assert_ne!(tokens[0], tokens[1], "the replay carries the new token");
    for (attempt, request) in requests.iter().enumerate() {
        let parts = parts(request);
        assert_eq!(parts[0].content, "a,b\n1,2\n", "attempt {attempt}");
        assert!(parts[0].headers.contains("Content-Type: text/csv"));
        assert_eq!(parts[1].content, format!("RIFF-audio-attempt{attempt}"));
        assert!(parts[1].headers.contains("Content-Type: audio/wav"));
        assert_eq!(parts[2].content, "t");
    }
}

#[tokio::test]
async fn an_upload_is_replayed_once_after_a_401_with_oauth2_and_its_files_reopened() {
    replayed_after_a_401(ClientBuilder::oauth2("client", "client-secret-1")).await;
}

#[tokio::test]
async fn an_upload_is_replayed_once_after_a_401_with_ibsso_and_its_files_reopened() {
    replayed_after_a_401(ClientBuilder::ibsso("user", "password-1")).await;
}

#[tokio::test]
async fn an_upload_refused_twice_returns_the_401_without_a_third_attempt() {
    let server = RecordingServer::start_with(infobip_like(2)).await.unwrap();
    let infobip = ClientBuilder::oauth2("client", "client-secret-1")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let form = UploadDocumentForm::new(FilePart::bytes("a.txt", "x"), String::from("t"));
    let error = infobip
        .client::<Client>()
        .upload_document()
        .folder_id(42)
        .form(form)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(uploads(&server).len(), 2);
}

#[tokio::test]
async fn an_upload_is_sent_and_replayed_from_a_spawned_task() {
    // A service sends from spawned tasks, which need the future `Send`: an upload's holds
    // the authenticator's prepared outcome, the form and what rebuilds it across its awaits
    // (generated-client/src/multipart.rs), the 401 replay's included.
    let server = RecordingServer::start_with(infobip_like(1)).await.unwrap();
    let infobip = ClientBuilder::oauth2("client", "client-secret-1")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let upload = tokio::spawn(async move {
        let form = UploadDocumentForm::new(FilePart::bytes("a.txt", "x"), String::from("t"));
        infobip
            .client::<Client>()
            .upload_document()
            .folder_id(42)
            .form(form)
            .send()
            .await
            .map(|sent| sent.into_inner().document_id)
    });
    assert_eq!(upload.await.unwrap().unwrap(), "doc-1");
    assert_eq!(uploads(&server).len(), 2, "refused once, then replayed");
}

#[tokio::test]
async fn a_file_that_cannot_be_opened_fails_before_anything_is_sent() {
    let server = RecordingServer::start_with(infobip_like(0)).await.unwrap();
    let infobip = ClientBuilder::api_key("key-1")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let form = UploadDocumentForm::new(
        FilePart::path("/nonexistent/infobip-tests/report.pdf"),
        String::from("t"),
    );
    let error = infobip
        .client::<Client>()
        .upload_document()
        .folder_id(42)
        .form(form)
        .send()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "cannot open `/nonexistent/infobip-tests/report.pdf` for the file part `file`"
        ),
        "{error}"
    );
    assert!(uploads(&server).is_empty());
}

/// A server whose download sends its first chunk and then holds the rest until the test lets
/// it go: a client that read the body whole before answering would never answer.
async fn held_download() -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let released = Arc::new(tokio::sync::Mutex::new(Some(released)));
    let app = axum::Router::new().fallback(move || {
        let released = released.clone();
        async move {
            let gate = released.lock().await.take();
            let first = futures_util::stream::once(async {
                Ok::<_, std::io::Error>(bytes_of(b'a', 64 * 1024))
            });
            let rest = futures_util::stream::once(async move {
                if let Some(gate) = gate {
                    let _ = gate.await;
                }
                Ok(bytes_of(b'b', 4 * 1024 * 1024))
            });
            axum::response::Response::builder()
                .status(200)
                .header("content-type", "application/octet-stream")
                .body(axum::body::Body::from_stream(first.chain(rest)))
                .unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, release, task)
}

fn bytes_of(byte: u8, len: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![byte; len])
}

#[tokio::test]
async fn a_large_download_streams_through_the_traced_path() {
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let (url, release, task) = held_download().await;
    let infobip = ClientBuilder::basic("user", "password-1")
        .base_url(url)
        .connect()
        .unwrap();
    let client = infobip.client::<Client>();
    // Answered while the server still holds most of the body: nothing read it whole.
    let download = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        client.download_document().document_id("doc-1").send(),
    )
    .await
    .expect("the download was buffered whole before the caller got it")
    .unwrap();
    assert_eq!(download.content_type(), Some("application/octet-stream"));
    release.send(()).unwrap();
    let mut stream = download.into_inner();
    let mut total = 0;
    while let Some(chunk) = stream.next().await {
        total += chunk.unwrap().len();
    }
    assert_eq!(total, 64 * 1024 + 4 * 1024 * 1024);
    assert!(logs.text().contains("infobip.call"), "the call was traced");
    task.abort();
}

#[tokio::test]
async fn raw_request_bodies_go_out_with_their_media_type() {
    let server = RecordingServer::start_with(|request| match request.path.as_str() {
        "/uploads/1/documents/doc-1" => Reply::empty(204),
        _ => Reply::empty(204),
    })
    .await
    .unwrap();
    let infobip = ClientBuilder::basic("user", "password-1")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let client = infobip.client::<Client>();
    client
        .replace_document()
        .document_id("doc-1")
        .body(b"raw bytes \x01".to_vec())
        .send()
        .await
        .unwrap();
    let note = client
        .create_note()
        .body("a plain note")
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 204);

    let requests = server.requests();
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(requests[0].body, "raw bytes \u{1}");
    assert_eq!(requests[1].header("content-type"), Some("text/plain"));
    assert_eq!(requests[1].body, "a plain note");
}

#[tokio::test]
async fn successes_that_differ_are_told_apart_by_their_status() {
    let server = RecordingServer::start().await.unwrap();
    server.reply(Reply::json(200, r#"{"documentId":"doc-2"}"#));
    server.reply(Reply::empty(204));
    let infobip = ClientBuilder::basic("user", "password-1")
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let client = infobip.client::<Client>();

    let created = client.create_note().body("n").send().await.unwrap();
    assert_eq!(created.status(), 200);
    assert_eq!(created.content_type(), Some("application/json"));
    let bytes: Vec<u8> = created
        .into_inner_stream()
        .map(|chunk| chunk.unwrap().to_vec())
        .concat()
        .await;
    let result: infobip_client::uploads_fixture::types::UploadResult =
        serde_json::from_slice(&bytes).unwrap();
    assert_eq!(result.document_id, "doc-2");

    let empty = client.create_note().body("n").send().await.unwrap();
    assert_eq!(empty.status(), 204);
}
