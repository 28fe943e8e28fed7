//! The import of Infobip's published form, on fixtures written for this project in that form
//! (`tests/fixtures/import/`): what it converts, what it refuses, and that the result
//! generates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

use codegen::{ExistingSpec, ImportError, ImportOptions, SkipReason};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn published() -> String {
    fixture("published.json")
}

fn import(options: &ImportOptions) -> Result<codegen::Imported, ImportError> {
    codegen::import(&published(), options)
}

fn demo() -> ImportOptions {
    ImportOptions::new("demo")
}

fn named(operations: &[&str]) -> ImportOptions {
    ImportOptions {
        operations: Some(operations.iter().map(|s| (*s).to_owned()).collect()),
        ..demo()
    }
}

/// The project's own descriptions (those the import did not write), whatever their file names.
fn project_specs() -> Vec<ExistingSpec> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("spec"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| ExistingSpec {
            path: format!("spec/{}", path.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&path).unwrap(),
        })
        .filter(|spec| !codegen::is_imported(&spec.text))
        .collect()
}

fn skip_reason<'a>(report: &'a codegen::ImportReport, operation: &str) -> &'a SkipReason {
    &report
        .skipped
        .iter()
        .find(|s| s.operation.name == operation)
        .unwrap_or_else(|| panic!("{operation} was not skipped:\n{report}"))
        .reason
}

#[test]
fn the_published_form_is_converted() {
    let imported = import(&demo()).unwrap();
    insta::assert_snapshot!("published_yaml", imported.yaml);
    insta::assert_snapshot!("published_report", imported.report.to_string());
}

#[test]
fn the_result_generates_a_client_that_parses_as_rust() {
    let imported = import(&demo()).unwrap();
    let output = codegen::render_product("demo", &imported.yaml).unwrap();
    assert_eq!(output.operations, 6);
    for file in &output.files {
        syn::parse_file(&file.contents).unwrap_or_else(|e| panic!("{}: {e}", file.path));
    }
    let client = &output.files[0].contents;
    // The union is an enum of its variants; each variant pins its discriminator value.
    assert!(client.contains("pub enum Channel {"), "{client}");
    assert!(client.contains("SmsChannel(SmsChannel)"));
    assert!(client.contains("pub enum SmsChannelType {"));
    // A padded wire value keeps its spaces; the Rust name does not have them.
    assert!(client.contains("#[serde(rename = \"authorization_code \")]"));
    assert!(client.contains("AuthorizationCode,"));
    // Deduplicated enum values: one MINUTES variant.
    assert_eq!(client.matches("#[serde(rename = \"MINUTES\")]").count(), 1);
    // Hashed names are gone; the colliding Tracking got its hash suffix.
    assert!(client.contains("pub struct Tracking {"));
    assert!(client.contains("pub struct Tracking774890dd {"));
    assert!(!client.contains("Ecdfd389"));
    // One error type for every operation, whatever schema each status declared (copies of
    // ApiException, a different schema for 4XX): the rim's, with no body type.
    assert!(client.contains(", Error> {"), "{client}");
    assert!(!client.contains("Error<"), "{client}");
    assert!(!client.contains("878ca27d"), "{client}");
    // The multipart upload is written by codegen: a form with the file as a `FilePart`, its
    // call through the seam, and no progenitor type for the form's schema.
    assert!(client.contains("pub struct UploadMediaForm {"), "{client}");
    assert!(
        client.contains("pub file: ::std::option::Option<crate::FilePart>,"),
        "{client}"
    );
    assert!(client.contains("crate::multipart::send("), "{client}");
    assert!(client.contains("pub fn upload_media(&self) -> multipart::UploadMedia<'_>"));
}

#[test]
fn multipart_uploads_are_imported_with_their_form_schema() {
    let imported = import(&demo()).unwrap();
    assert!(
        imported
            .report
            .kept
            .iter()
            .any(|o| o.name == "upload-media"),
        "{}",
        imported.report
    );
    let doc: serde_yaml::Value = serde_yaml::from_str(&imported.yaml).unwrap();
    let body = &doc["paths"]["/demo/1/media"]["post"]["requestBody"]["content"];
    let schema = &body["multipart/form-data"]["schema"];
    assert!(!schema.is_null(), "{}", imported.yaml);
}

#[test]
fn importing_twice_gives_the_same_bytes_from_json_or_yaml() {
    let first = import(&demo()).unwrap();
    let second = import(&demo()).unwrap();
    assert_eq!(first.yaml, second.yaml);
    assert_eq!(first.report, second.report);
    let as_yaml: serde_yaml::Value = serde_json::from_str(&published()).unwrap();
    let from_yaml = codegen::import(&serde_yaml::to_string(&as_yaml).unwrap(), &demo()).unwrap();
    assert_eq!(first.yaml, from_yaml.yaml);
}

#[test]
fn unconvertible_operations_are_skipped_with_a_pointer() {
    let report = import(&demo()).unwrap().report;
    let pointer = |operation: &str| match skip_reason(&report, operation) {
        SkipReason::Unconvertible { pointer, .. } => pointer.clone(),
        other => panic!("{operation}: {other}"),
    };
    // Different error schemas per status no longer keep an operation out.
    assert!(report.kept.iter().any(|op| op.name == "track-message"));
    assert_eq!(
        pointer("get-flexible"),
        "/components/schemas/774890dd717f41cf4de2a0e5fd041c080623f9d03c770c4abd3addd228b5f0dd\
         .Flexible/properties/value/type"
    );
    let deprecated = report
        .kept
        .iter()
        .find(|op| op.name == "get-messages-v1")
        .expect("deprecated operations are imported");
    assert!(deprecated.deprecated);
}

#[test]
fn an_unconvertible_operation_asked_for_by_name_fails_the_import() {
    let error = import(&named(&["send-messages", "get-flexible"])).unwrap_err();
    let ImportError::Unconvertible(refused) = &error else {
        panic!("{error}");
    };
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].operation, "get-flexible");
    assert_eq!(
        refused[0].pointer,
        "/components/schemas/774890dd717f41cf4de2a0e5fd041c080623f9d03c770c4abd3addd228b5f0dd\
         .Flexible/properties/value/type"
    );
    insta::assert_snapshot!("refused_by_name", error.to_string());
}

#[test]
fn named_operations_are_imported_even_when_deprecated() {
    let imported = import(&named(&["get-messages-v1"])).unwrap();
    let kept: Vec<&str> = imported
        .report
        .kept
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(kept, ["get-messages-v1"]);
    assert!(imported.yaml.contains("deprecated: true"));
    assert!(imported.yaml.contains("--operations get-messages-v1"));
    assert!(imported
        .report
        .to_string()
        .contains("not named in --operations: 6 operations"));
}

#[test]
fn unknown_operation_names_are_refused_with_the_ones_that_exist() {
    let error = import(&named(&["send-message"])).unwrap_err().to_string();
    assert!(
        error.contains("the document has no operation send-message"),
        "{error}"
    );
    assert!(
        error.contains("send-messages, get-message, get-messages-v1"),
        "{error}"
    );
}

#[test]
fn operations_of_the_project_s_own_descriptions_are_not_imported_again() {
    let options = ImportOptions {
        existing: project_specs(),
        ..ImportOptions::new("account")
    };
    let imported = codegen::import(&fixture("account.json"), &options).unwrap();
    let kept: Vec<&str> = imported
        .report
        .kept
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(kept, ["get-free-messages-count"]);
    // Same operationId, and the same method and path under another operationId.
    for (operation, matched) in [
        ("create-session", "operationId create-session"),
        ("read-balance", "GET /account/1/balance"),
    ] {
        match skip_reason(&imported.report, operation) {
            SkipReason::DescribedElsewhere { file, matched: m } => {
                assert!(file.starts_with("spec/"), "{file}");
                assert_eq!(m, matched);
            }
            other => panic!("{operation}: {other}"),
        }
    }
    assert!(!imported.yaml.contains("/auth/1/session"));

    let named = ImportOptions {
        operations: Some(vec![String::from("create-session")]),
        ..options
    };
    let error = codegen::import(&fixture("account.json"), &named)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("`create-session` is already described in spec/"),
        "{error}"
    );
    assert!(error.contains("leave it out of --operations"), "{error}");
}

#[test]
fn nothing_left_is_an_error_that_lists_why() {
    let options = ImportOptions {
        existing: vec![ExistingSpec {
            path: String::from("spec/everything.yaml"),
            text: fixture("account.json"),
        }],
        ..ImportOptions::new("account")
    };
    let error = codegen::import(&fixture("account.json"), &options)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("no operation is left to import:"),
        "{error}"
    );
    assert!(error.contains("get-free-messages-count (GET /account/1/free-messages): already described in spec/everything.yaml"), "{error}");
}

#[test]
fn documentation_is_dropped_unless_asked_for() {
    let prose = [
        "Sends one or more messages",
        "The older error body",
        "Who owns the settings",
    ];
    let plain = import(&demo()).unwrap();
    for text in prose {
        assert!(!plain.yaml.contains(text), "{text}");
    }
    assert!(!plain.yaml.contains("example"));

    let with_docs = import(&ImportOptions {
        keep_docs: true,
        ..demo()
    })
    .unwrap();
    assert!(with_docs.yaml.contains("Sends one or more messages"));
    assert!(with_docs.yaml.contains("description: Which message."));
    // An examples list becomes one example.
    assert!(with_docs.yaml.contains("example: '41793026727'"));
    assert!(with_docs
        .report
        .to_string()
        .contains("schema examples arrays written as example: 1"));
    // Prose beside a $ref, which 3.0 ignores, is dropped in either case.
    assert!(!with_docs.yaml.contains("How the message travels"));
    codegen::render_product("demo", &with_docs.yaml).unwrap();
}

#[test]
fn bad_input_gets_an_error_that_says_what_to_do() {
    let error = |text: &str, product: &str| {
        codegen::import(text, &ImportOptions::new(product))
            .unwrap_err()
            .to_string()
    };
    let messages = [
        error("{\"openapi\": ", "demo"),
        error("swagger: '2.0'\npaths: {}\n", "demo"),
        error("openapi: 2.0.0\npaths: {}\n", "demo"),
        error("openapi: 3.1.0\ninfo: {title: t, version: '1'}\n", "demo"),
        error(&published(), "2fa"),
        error(&published(), "Demo"),
    ];
    insta::assert_snapshot!("bad_input", messages.join("\n"));
}

#[test]
fn an_overlay_corrects_the_written_description_and_a_refresh_keeps_it() {
    let overlay = "paths:\n  /demo/2/messages:\n    post:\n      x-scopes: [demo:send]\n\
                   components:\n  schemas:\n    Tracking:\n      properties:\n        \
                   track: null\n        campaign: {type: string}\n";
    let options = ImportOptions {
        overlay: Some(overlay.to_owned()),
        ..demo()
    };
    let first = import(&options).unwrap();
    let written: serde_yaml::Value = serde_yaml::from_str(&first.yaml).unwrap();
    let send = &written["paths"]["/demo/2/messages"]["post"];
    assert_eq!(send["x-scopes"][0].as_str(), Some("demo:send"));
    let tracking = &written["components"]["schemas"]["Tracking"]["properties"];
    assert!(tracking.get("track").is_none(), "{tracking:?}");
    assert_eq!(tracking["campaign"]["type"].as_str(), Some("string"));
    assert!(first.yaml.contains("spec/overlays/demo.yaml applied"));
    // A refresh from the same document gives the same bytes: the corrections stay.
    assert_eq!(import(&options).unwrap().yaml, first.yaml);
    codegen::render_product("demo", &first.yaml).unwrap();

    let broken = ImportOptions {
        overlay: Some(String::from("- not a patch\n")),
        ..demo()
    };
    let error = import(&broken).unwrap_err().to_string();
    assert!(error.contains("spec/overlays/README.md"), "{error}");
}

#[test]
fn an_imported_description_names_its_source_and_the_project_s_own_do_not() {
    let options = ImportOptions {
        source: Some(codegen::Source {
            document: String::from("demo"),
            sha256: String::from("ab12"),
        }),
        ..demo()
    };
    let imported = import(&options).unwrap();
    let written: serde_yaml::Value = serde_yaml::from_str(&imported.yaml).unwrap();
    let source = &written["info"]["x-source"];
    assert_eq!(source["document"].as_str(), Some("demo"));
    assert_eq!(source["version"].as_str(), Some("9.9.9"));
    assert_eq!(source["sha256"].as_str(), Some("ab12"));
    assert!(codegen::is_imported(&imported.yaml));
    assert_eq!(
        codegen::source_document(&imported.yaml).as_deref(),
        Some("demo")
    );
    let account =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/account.yaml"))
            .unwrap();
    assert!(!codegen::is_imported(&account));
}
