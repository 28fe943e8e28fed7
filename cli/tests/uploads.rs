//! An upload command (`multipart/form-data`, written by codegen beside progenitor's commands)
//! through the real binary, against a loopback server that records what arrives. The command
//! is the body kinds fixture's (`infobip uploads-fixture upload-document`, compiled in by the
//! `fixtures` feature the tests turn on), so that this runs whatever `spec/` holds; and a
//! download (`download-document`) to standard output or `--output-file`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::stub::server;
use common::World;

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
    let (url, arrived) = server("application/json", r#"{"documentId":"doc-7","size":11}"#);
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
    let (url, arrived) = server("application/json", r#"{"documentId":"never"}"#);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_goes_to_standard_output_or_to_a_new_output_file() {
    let world = World::start().await;
    let (url, arrived) = server("application/octet-stream", "%PDF-downloaded");
    let run = world
        .run_with(
            command(&world, &url),
            &["uploads-fixture", "download", "--document-id", "d-1"],
            "",
        )
        .expect(0);
    assert_eq!(run.stdout, "%PDF-downloaded");
    let request = arrived
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(request.line, "GET /uploads/1/documents/d-1 HTTP/1.1");

    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("document.pdf");
    let target = path.to_str().unwrap();
    let run = world
        .run_with(
            command(&world, &url),
            &[
                "uploads-fixture",
                "download",
                "--document-id",
                "d-1",
                "--output-file",
                target,
            ],
            "",
        )
        .expect(0);
    assert_eq!(run.stdout, "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "%PDF-downloaded");

    // A file that exists is left alone, and the command says so.
    std::fs::write(&path, "mine").unwrap();
    let run = world.run_with(
        command(&world, &url),
        &[
            "uploads-fixture",
            "download-document",
            "--document-id",
            "d-1",
            "--output-file",
            target,
        ],
        "",
    );
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("exists") && run.stderr.contains(target),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
}
