//! `cargo xtask import` end to end: the built binary against a fixture file and against a
//! server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../codegen/tests/fixtures/import")
        .join(name)
}

fn xtask(args: &[&str]) -> (Output, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("import")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    (output, stdout, stderr)
}

/// Serves one response per connection on an OS-picked loopback port; returns the base URL.
fn serve(status: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            // Read the request head; the body of a GET is empty.
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{address}")
}

#[test]
fn a_file_is_converted_into_the_out_path_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/demo.yaml");
    let (output, stdout, stderr) = xtask(&[
        "--from",
        fixture("published.json").to_str().unwrap(),
        "--product",
        "demo",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("\nopenapi: 3.0.3\n"));
    codegen::validate(&codegen::parse(&written).unwrap()).unwrap();
    assert!(
        stdout.starts_with("demo (published version 9.9.9): 6 of 7 operations kept"),
        "{stdout}"
    );
    assert!(
        stdout.contains(".Flexible/properties/value/type"),
        "{stdout}"
    );
    // The source is recorded: the document's name and the digest of its bytes.
    assert!(written.contains("x-source:"), "{written}");
    assert!(written.contains("document: published"), "{written}");
    assert!(stdout.contains("request body media types dropped (application/xml): 1"));
    assert!(stdout.contains("next: `cargo xtask regen`"));
    // Nothing but the result is left beside it.
    let names: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["demo.yaml"]);
}

#[test]
fn a_named_operation_that_cannot_be_converted_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.yaml");
    let (output, stdout, stderr) = xtask(&[
        "--from",
        fixture("published.json").to_str().unwrap(),
        "--product",
        "demo",
        "--operations",
        "send-messages,get-flexible",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success(), "{stdout}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(
        stderr.contains("get-flexible: /components/schemas/"),
        "{stderr}"
    );
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn operations_already_in_spec_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("account.yaml");
    let (output, stdout, stderr) = xtask(&[
        "--from",
        fixture("account.json").to_str().unwrap(),
        "--product",
        "account-management",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("create-session (POST /auth/1/session): already described in spec/"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("get-free-messages-count"));
    assert!(!written.contains("create-session"));
}

#[test]
fn a_url_is_downloaded_with_progress() {
    let body = std::fs::read(fixture("published.json")).unwrap();
    let size = body.len();
    let base = serve("200 OK", body);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.yaml");
    let url = format!("{base}/platform/1/openapi/demo");
    let (output, stdout, stderr) = xtask(&[
        "--product",
        "demo",
        "--from",
        &url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("downloading {url}: {size} bytes, done")),
        "{stderr}"
    );
    let from_file = codegen::import(
        &std::fs::read_to_string(fixture("published.json")).unwrap(),
        &codegen::ImportOptions::new("demo"),
    )
    .unwrap();
    // The same description, plus the source it names: the URL's document and its digest.
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(codegen::source_document(&written).as_deref(), Some("demo"));
    let without_source: String = written
        .lines()
        .filter(|l| {
            ![
                "  x-source:",
                "    document:",
                "    version:",
                "    sha256:",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(without_source, from_file.yaml);
}

#[test]
fn a_failed_download_names_the_status_and_writes_nothing() {
    let base = serve("404 Not Found", br#"{"errorCode":"OPENAPI404"}"#.to_vec());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.yaml");
    let url = format!("{base}/platform/1/openapi/nope");
    let (output, _, stderr) = xtask(&[
        "--product",
        "demo",
        "--from",
        &url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!(
            "{url} answered 404 Not Found: {{\"errorCode\":\"OPENAPI404\"}}"
        )),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn plain_http_to_another_host_is_refused_before_connecting() {
    let (output, _, stderr) = xtask(&[
        "--product",
        "sms",
        "--from",
        "http://api.infobip.com/platform/1/openapi/sms",
        "--out",
        "/nonexistent/sms.yaml",
    ]);
    assert!(!output.status.success());
    assert!(stderr.contains("refusing to download http://api.infobip.com/platform/1/openapi/sms over plain http: use https"), "{stderr}");
}

#[test]
fn missing_arguments_are_named() {
    let (output, _, stderr) = xtask(&["--product", "sms"]);
    assert!(!output.status.success());
    assert!(
        stderr.contains("import needs --from <file or URL>"),
        "{stderr}"
    );
}
