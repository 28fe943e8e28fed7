//! Guards the generated client: it must match the spec, and the spec's shape is snapshotted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn specs() -> Vec<codegen::Spec> {
    codegen::read_specs(&root()).unwrap()
}

fn manifests() -> codegen::Manifests {
    codegen::Manifests::read(&root()).unwrap()
}

fn spec_text() -> String {
    std::fs::read_to_string(root().join("spec/account.yaml")).unwrap()
}

fn render_one(text: &str) -> Result<codegen::ProductOutput, codegen::CodegenError> {
    codegen::render_product("account", text)
}

/// The committed generated files are what the descriptions render to now: what `cargo xtask
/// regen --check` checks (this test is CI's check; xtask's own tests cover the command). The
/// committed files were rendered by another process, so a rendering that depended on hash
/// order or the clock would show here too; one render of the catalogue (tens of seconds) is
/// enough.
#[test]
fn committed_generated_files_match_the_specs() {
    let output = codegen::render(&specs(), &manifests()).unwrap();
    for file in &output.files {
        let committed = std::fs::read_to_string(root().join(&file.path)).unwrap_or_default();
        assert!(
            committed == file.contents,
            "{} is stale: it does not match the descriptions in {}/. Run `cargo xtask regen` \
             and commit the result.",
            file.path,
            codegen::SPEC_DIR
        );
    }
    let account = output
        .products
        .iter()
        .find(|p| p.product == "account")
        .unwrap();
    assert_eq!(account.operations, 8);
}

/// One snapshot of the API surface and one of the operations table per product.
#[test]
fn api_surface_and_operations_table_per_product() {
    for spec in specs() {
        let parsed = codegen::parse(&spec.text).unwrap();
        insta::assert_snapshot!(
            format!("api_surface_{}", spec.product),
            codegen::api_surface(&parsed).unwrap()
        );
        insta::assert_snapshot!(
            format!("security_table_{}", spec.product),
            codegen::security_summary(&parsed).unwrap()
        );
    }
}

/// A line with its runs of spaces folded (the summary aligns its columns).
fn words(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each product's generated table and the one derived from its spec must agree, and every
/// method name in it must be one progenitor generated.
#[test]
fn generated_operations_tables_match_the_specs() {
    let specs = specs();
    let names: Vec<&str> = specs.iter().map(|s| s.product.as_str()).collect();
    assert_eq!(infobip_client::PRODUCTS, names.as_slice());
    for (spec, table) in specs.iter().zip(infobip_client::OPERATIONS) {
        let summary: String = table
            .iter()
            .map(|op| {
                assert_eq!(op.product, spec.product);
                let schemes: Vec<&str> = op.schemes.iter().map(|s| s.spec_name()).collect();
                let schemes = if schemes.is_empty() {
                    String::from("none")
                } else {
                    schemes.join("|")
                };
                let scopes = if op.scopes.is_empty() {
                    String::new()
                } else {
                    format!("  scopes: {}", op.scopes.join(", "))
                };
                words(&format!("{}  {schemes}{scopes}", op.id))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let parsed = codegen::parse(&spec.text).unwrap();
        let expected: String = codegen::security_summary(&parsed)
            .unwrap()
            .lines()
            .map(words)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(summary, expected, "{}", spec.path);
    }
    for op in infobip_client::account::operations::ALL {
        assert!(std::ptr::eq(
            infobip_client::account::operations::by_method_name(op.method_name).unwrap(),
            *op
        ));
    }
    for op in infobip_client::sms::operations::ALL {
        assert!(std::ptr::eq(
            infobip_client::sms::operations::by_method_name(op.method_name).unwrap(),
            *op
        ));
    }
}

/// Applies `edit` to the real spec and returns the codegen error's message.
fn error_after(edit: impl FnOnce(&mut serde_yaml::Value)) -> String {
    let mut value: serde_yaml::Value = serde_yaml::from_str(&spec_text()).unwrap();
    edit(&mut value);
    let text = serde_yaml::to_string(&value).unwrap();
    match render_one(&text) {
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
            "success body with a wildcard media type",
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
        (
            "a scheme the auth layer does not know",
            error_after(|v| {
                at(v, &["components", "securitySchemes"])["Cookie"] =
                    serde_yaml::from_str("{type: apiKey, in: cookie, name: session}").unwrap();
                at(v, &["paths", "/account/1/balance", "get"])["security"] =
                    serde_yaml::from_str("[{Cookie: []}]").unwrap();
            }),
        ),
        (
            "x-scopes that is not a list of names",
            error_after(|v| {
                at(v, &["paths", "/account/1/balance", "get"])["x-scopes"] = "manage".into();
            }),
        ),
        (
            "a shared error schema with other fields",
            error_after(|v| {
                at(v, &["components", "schemas", "ApiError", "properties"])["extra"] =
                    serde_yaml::from_str("{type: string}").unwrap();
            }),
        ),
        ("a product name that cannot be a module", {
            match codegen::render_product("Type", &spec_text()) {
                Ok(_) => panic!("accepted"),
                Err(e) => e.to_string(),
            }
        }),
        ("not YAML or JSON", {
            match render_one("openapi: [3.0.3\n  paths: {") {
                Ok(_) => panic!("accepted"),
                Err(e) => e.to_string(),
            }
        }),
        ("a YAML scalar", {
            match render_one("just some text") {
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
