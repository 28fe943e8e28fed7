//! An upload command (`multipart/form-data`, written by codegen beside progenitor's commands)
//! through the real binary, against a loopback server that records what arrives. The command
//! is the body kinds fixture's (`infobip uploads-fixture upload-document`, compiled in by the
//! `fixtures` feature the tests turn on), so that this runs whatever `spec/` holds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::mpsc;

use common::World;

/// One request as it arrived: its request line, headers (lowercase names) and body.
struct Arrived {
    line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Arrived {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The multipart parts: each part's headers (as text) and content.
    fn parts(&self) -> Vec<(String, Vec<u8>)> {
        let content_type = self.header("content-type").unwrap_or_default();
        let boundary = content_type.split("boundary=").nth(1).unwrap();
        let delimiter = format!("--{boundary}");
        let body = String::from_utf8_lossy(&self.body).into_owned();
        assert!(
            body.trim_end().ends_with(&format!("{delimiter}--")),
            "{body}"
        );
        body.split(delimiter.as_str())
            .filter(|chunk| !chunk.trim().is_empty() && chunk.trim() != "--")
            .map(|chunk| {
                let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
                let (headers, content) = chunk.split_once("\r\n\r\n").unwrap();
                let content = content.strip_suffix("\r\n").unwrap_or(content);
                (headers.to_owned(), content.as_bytes().to_vec())
            })
            .collect()
    }

    /// The contents of the parts named `name`, in order.
    fn named(&self, name: &str) -> Vec<(String, String)> {
        self.parts()
            .into_iter()
            .filter(|(headers, _)| headers.contains(&format!("name=\"{name}\"")))
            .map(|(headers, content)| (headers, String::from_utf8(content).unwrap()))
            .collect()
    }
}

/// A loopback server answering every request with `answer` (JSON, 200) and sending what
/// arrived to the returned receiver.
fn server(answer: &'static str) -> (String, mpsc::Receiver<Arrived>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse::<usize>().unwrap());
            let mut body = Vec::new();
            match length {
                Some(length) => {
                    body.resize(length, 0);
                    reader.read_exact(&mut body).unwrap();
                }
                // Chunked: the chunk sizes and their ends taken out.
                None => loop {
                    let mut size = String::new();
                    reader.read_line(&mut size).unwrap();
                    let size = usize::from_str_radix(size.trim(), 16).unwrap();
                    let mut chunk = vec![0; size + 2];
                    reader.read_exact(&mut chunk).unwrap();
                    if size == 0 {
                        break;
                    }
                    body.extend_from_slice(&chunk[..size]);
                },
            }
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            stream.write_all(reply.as_bytes()).unwrap();
            let _ = sender.send(Arrived {
                line: line.trim_end().to_owned(),
                headers,
                body,
            });
        }
    });
    (url, receiver)
}

fn command(world: &World, url: &str) -> std::process::Command {
    let mut command = world.command();
    command
        .env("INFOBIP_BASE_URL", url)
        .env("INFOBIP_AUTH", "api-key")
        .env("INFOBIP_API_KEY", "upload-test-key");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_command_sends_its_files_and_fields_as_multipart_and_prints_the_answer() {
    let world = World::start().await;
    let (url, arrived) = server(r#"{"documentId":"doc-7","size":11}"#);
    let files = tempfile::tempdir().unwrap();
    let report = files.path().join("report.pdf");
    std::fs::write(&report, "%PDF-report").unwrap();
    let first = files.path().join("notes.txt");
    std::fs::write(&first, "first notes").unwrap();
    let second = files.path().join("figures.csv");
    std::fs::write(&second, "a,b\n1,2").unwrap();
    let (report, first, second) = (
        report.display().to_string(),
        first.display().to_string(),
        second.display().to_string(),
    );
    let run = world.run_with(
        command(&world, &url),
        &[
            "uploads-fixture",
            "upload-document",
            "--folder-id",
            "42",
            "--file",
            &report,
            "--attachment",
            &first,
            "--attachment",
            &second,
            "--title",
            "March report",
            "--pages",
            "3",
            "--urgent",
            "true",
            "--send-at",
            "2026-03-01T12:00:00.000+0000",
            "--tags",
            "finance",
            "--tags",
            "q1",
        ],
        "",
    );
    let run = run.expect(0);
    let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["documentId"], "doc-7", "{}", run.stdout);

    let request = arrived
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(
        request.line,
        "POST /uploads/1/folders/42/documents HTTP/1.1"
    );
    assert_eq!(request.header("authorization"), Some("App upload-test-key"));
    assert!(request
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    let file = request.named("file");
    assert_eq!(file.len(), 1);
    assert_eq!(file[0].1, "%PDF-report");
    assert!(
        file[0].0.contains("filename=\"report.pdf\""),
        "{}",
        file[0].0
    );
    assert!(file[0].0.contains("application/pdf"), "{}", file[0].0);
    let attachments = request.named("attachment");
    let contents: Vec<&str> = attachments.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(contents, ["first notes", "a,b\n1,2"]);
    assert!(attachments[1].0.contains("filename=\"figures.csv\""));
    let text =
        |name: &str| -> Vec<String> { request.named(name).into_iter().map(|(_, c)| c).collect() };
    assert_eq!(text("title"), ["March report"]);
    assert_eq!(text("pages"), ["3"]);
    assert_eq!(text("urgent"), ["true"]);
    assert_eq!(text("tags"), ["finance", "q1"]);
    assert_eq!(text("sendAt").len(), 1);
    assert!(
        text("sendAt")[0].starts_with("2026-03-01T12:00:00"),
        "{:?}",
        text("sendAt")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_command_names_a_file_it_cannot_open_and_a_missing_required_part() {
    let world = World::start().await;
    let (url, arrived) = server(r#"{"documentId":"never"}"#);
    let missing = "/nonexistent/infobip/upload.pdf";
    let run = world.run_with(
        command(&world, &url),
        &[
            "uploads-fixture",
            "upload-document",
            "--folder-id",
            "1",
            "--file",
            missing,
            "--title",
            "x",
        ],
        "",
    );
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("--file") && run.stderr.contains(missing),
        "{}",
        run.stderr
    );
    assert!(arrived.try_recv().is_err(), "nothing is sent");

    let run = world.run_with(
        command(&world, &url),
        &[
            "uploads-fixture",
            "upload-document",
            "--folder-id",
            "1",
            "--file",
            missing,
        ],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("--title"), "{}", run.stderr);
}

#[test]
fn an_upload_command_has_the_help_of_a_generated_command() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_infobip"))
        .args(["uploads-fixture", "upload-document", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("Infobip operation `upload-document`"),
        "{text}"
    );
    assert!(text.contains("API scopes:"), "{text}");
    for flag in [
        "--folder-id",
        "--file <PATH>",
        "--attachment <PATH>",
        "--send-at",
        "--tags",
    ] {
        assert!(text.contains(flag), "{flag}: {text}");
    }
}
