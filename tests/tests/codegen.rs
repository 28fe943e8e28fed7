//! Guards the generated client: it must match the spec, and the spec's shape is snapshotted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec_text() -> String {
    std::fs::read_to_string(root().join(codegen::SPEC_PATH)).unwrap()
}

fn spec() -> openapiv3::OpenAPI {
    codegen::parse(&spec_text()).unwrap()
}

#[test]
fn committed_generated_files_match_the_spec() {
    let output = codegen::render(&spec_text()).unwrap();
    for file in output.files {
        let committed = std::fs::read_to_string(root().join(file.path)).unwrap_or_default();
        assert!(
            committed == file.contents,
            "{} is stale: it does not match {}. Run `cargo xtask regen` and commit the result.",
            file.path,
            codegen::SPEC_PATH
        );
    }
}

#[test]
fn rendering_is_deterministic() {
    let first = codegen::render(&spec_text()).unwrap();
    let second = codegen::render(&spec_text()).unwrap();
    assert_eq!(first.files, second.files);
    assert_eq!(first.operations, 8);
}

#[test]
fn api_surface() {
    insta::assert_snapshot!(codegen::api_surface(&spec()).unwrap());
}

#[test]
fn security_table() {
    insta::assert_snapshot!(codegen::security_summary(&spec()).unwrap());
}

/// The generated table and the one derived from the spec must agree, and every method name
/// in it must be one progenitor generated.
#[test]
fn generated_security_table_matches_the_spec() {
    use infobip_client::security::{Operation, Scheme};
    let summary: String = Operation::ALL
        .iter()
        .map(|op| {
            let schemes: Vec<&str> = op.schemes().iter().map(|s| s.spec_name()).collect();
            (op.operation_id(), schemes)
        })
        .map(|(id, schemes)| {
            let schemes = if schemes.is_empty() {
                String::from("none")
            } else {
                schemes.join("|")
            };
            format!("{id}  {schemes}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let expected: String = codegen::security_summary(&spec())
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join("  "))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(summary, expected);
    assert_eq!(Scheme::ALL.len(), 4);
    for op in Operation::ALL {
        assert_eq!(Operation::from_method_name(op.method_name()), Some(*op));
    }
}

/// Applies `edit` to the real spec and returns the codegen error's message.
fn error_after(edit: impl FnOnce(&mut serde_yaml::Value)) -> String {
    let mut value: serde_yaml::Value = serde_yaml::from_str(&spec_text()).unwrap();
    edit(&mut value);
    let text = serde_yaml::to_string(&value).unwrap();
    match codegen::render(&text) {
        Ok(_) => panic!("the edited spec was accepted"),
        Err(e) => e.to_string(),
    }
}

fn at<'a>(value: &'a mut serde_yaml::Value, path: &[&str]) -> &'a mut serde_yaml::Value {
    path.iter().fold(value, |v, key| v.get_mut(*key).unwrap())
}

#[test]
fn bad_spec_errors() {
    let cases: Vec<(&str, String)> = vec![
        (
            "OpenAPI 3.1",
            error_after(|v| v["openapi"] = "3.1.0".into()),
        ),
        (
            "missing operationId",
            error_after(|v| {
                at(v, &["paths", "/auth/1/session", "delete"])
                    .as_mapping_mut()
                    .unwrap()
                    .remove("operationId");
            }),
        ),
        (
            "operationId that is not kebab-case",
            error_after(|v| {
                at(v, &["paths", "/account/1/balance", "get"])["operationId"] =
                    "getAccountBalance".into()
            }),
        ),
        (
            "two request media types",
            error_after(|v| {
                let content = at(
                    v,
                    &["paths", "/auth/1/session", "post", "requestBody", "content"],
                );
                let json = content["application/json"].clone();
                content
                    .as_mapping_mut()
                    .unwrap()
                    .insert("application/xml".into(), json);
            }),
        ),
        (
            "mixed error schemas",
            error_after(|v| {
                at(
                    v,
                    &[
                        "paths",
                        "/settings/2/api-keys/{apiKeyId}",
                        "get",
                        "responses",
                    ],
                )["401"]["$ref"] = "#/components/responses/LegacyUnauthorized".into();
            }),
        ),
        (
            "success body that is not JSON",
            error_after(|v| {
                let content = at(
                    v,
                    &[
                        "paths",
                        "/account/1/balance",
                        "get",
                        "responses",
                        "200",
                        "content",
                    ],
                );
                let json = content["application/json"].clone();
                *content = serde_yaml::Mapping::from_iter([("*/*".into(), json)]).into();
            }),
        ),
        (
            "unknown security scheme",
            error_after(|v| {
                at(v, &["paths", "/account/1/balance", "get"])["security"] =
                    serde_yaml::from_str("[{Cookie: []}]").unwrap();
            }),
        ),
        ("not YAML or JSON", {
            match codegen::render("openapi: [3.0.3\n  paths: {") {
                Ok(_) => panic!("accepted"),
                Err(e) => e.to_string(),
            }
        }),
        ("a YAML scalar", {
            match codegen::render("just some text") {
                Ok(_) => panic!("accepted"),
                Err(e) => e.to_string(),
            }
        }),
    ];
    let report: String = cases
        .iter()
        .map(|(name, message)| format!("## {name}\n{message}\n\n"))
        .collect();
    insta::assert_snapshot!(report);
}
