//! Names that typify and progenitor would derive twice: enum values that differ only by case
//! or punctuation, and parameters of one operation whose Rust field names are the same. The
//! import converts or skips them and the validation refuses them, so that neither generator
//! panics.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use codegen::{ImportError, ImportOptions, SkipReason};
use serde_json::{json, Value};

/// A published (3.1) document: `GET /status` answers `Status`, whose `state` has `values`;
/// `GET /search` takes `parameters`.
fn published(values: Value, parameters: Value) -> String {
    serde_json::to_string(&json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/status": {"get": {
                "operationId": "get-status",
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Status"}}}}}
            }},
            "/search": {"get": {
                "operationId": "search",
                "parameters": parameters,
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}
            }}
        },
        "components": {"schemas": {"Status": {"type": "object", "properties": {
            "state": {"type": "string", "enum": values}
        }}}}
    }))
    .unwrap()
}

fn query(name: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": "string"}})
}

#[test]
fn enum_values_that_differ_by_case_or_punctuation_are_imported_as_strings() {
    for values in [
        json!(["DELIVERED", "delivered"]),
        json!(["a-b", "a_b", "c"]),
    ] {
        let document = published(values.clone(), json!([query("q")]));
        let imported = codegen::import(&document, &ImportOptions::new("demo")).unwrap();
        let report = imported.report.to_string();
        assert!(
            report.contains(
                "enums whose values typify would give the same Rust variant name written as \
                 plain strings (every value stays accepted): 1"
            ),
            "{values}: {report}"
        );
        assert!(!imported.yaml.contains("enum:"), "{}", imported.yaml);
        codegen::render_product("demo", &imported.yaml).unwrap();
    }
}

#[test]
fn enum_values_with_distinct_variant_names_stay_an_enum() {
    let document = published(json!(["a-b", "ab"]), json!([query("q")]));
    let imported = codegen::import(&document, &ImportOptions::new("demo")).unwrap();
    assert!(imported.yaml.contains("enum:"), "{}", imported.yaml);
}

#[test]
fn an_operation_with_parameters_of_one_rust_name_is_skipped() {
    let document = published(
        json!(["a"]),
        json!([query("q"), query("a-b"), query("a_b")]),
    );
    let imported = codegen::import(&document, &ImportOptions::new("demo")).unwrap();
    let skipped = imported
        .report
        .skipped
        .iter()
        .find(|s| s.operation.name == "search")
        .unwrap_or_else(|| panic!("search was not skipped:\n{}", imported.report));
    let SkipReason::Unconvertible { pointer, reason } = &skipped.reason else {
        panic!("{:?}", skipped.reason);
    };
    assert_eq!(pointer, "/paths/~1search/get/parameters/2");
    assert!(
        reason.contains("`a-b` and `a_b` both become the Rust field `a_b`"),
        "{reason}"
    );
    assert_eq!(imported.report.kept.len(), 1);
    codegen::render_product("demo", &imported.yaml).unwrap();
}

#[test]
fn a_named_operation_with_parameters_of_one_rust_name_fails_the_import() {
    let document = published(json!(["a"]), json!([query("a-b"), query("a_b")]));
    let options = ImportOptions {
        operations: Some(vec![String::from("search")]),
        ..ImportOptions::new("demo")
    };
    let error = codegen::import(&document, &options).unwrap_err();
    assert!(matches!(error, ImportError::Unconvertible(_)), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("search: /paths/~1search/get/parameters/1: "),
        "{message}"
    );
    assert!(message.contains("`a_b`"), "{message}");
}

/// A 3.0 description with `GET /things` taking `parameters` and answering `Thing`.
fn spec(parameters: Value, thing: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": {
            "operationId": "get-things",
            "parameters": parameters,
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Thing"}}}}}
        }}},
        "components": {"schemas": {"Thing": thing}}
    })
}

fn validation_error(doc: &Value) -> String {
    let text = serde_json::to_string(doc).unwrap();
    let spec = codegen::parse(&text).unwrap();
    let error = codegen::validate(&spec).unwrap_err().to_string();
    // And the render says the same instead of panicking.
    let render = codegen::render_product("demo", &text)
        .unwrap_err()
        .to_string();
    assert!(
        render.contains(&error) || error.contains(&render),
        "{render}"
    );
    error
}

#[test]
fn validation_refuses_enum_values_of_one_variant_name() {
    let doc = spec(
        json!([]),
        json!({"type": "object", "properties": {
            "state": {"type": "string", "enum": ["DELIVERED", "delivered"]}
        }}),
    );
    let error = validation_error(&doc);
    assert!(
        error.contains(
            "schema `components.schemas.Thing`: enum values \"DELIVERED\" and \"delivered\" \
             both become the Rust variant `Delivered`"
        ),
        "{error}"
    );
    let inline = spec(
        json!([{"name": "s", "in": "query", "schema": {"type": "string", "enum": ["a-b", "a_b"]}}]),
        json!({"type": "object"}),
    );
    let error = validation_error(&inline);
    assert!(
        error.contains(
            "operation `get-things`: enum values \"a-b\" and \"a_b\" both become the Rust \
             variant `AXb`"
        ),
        "{error}"
    );
}

#[test]
fn validation_refuses_parameters_of_one_rust_name() {
    let doc = spec(
        json!([
            {"name": "a-b", "in": "query", "schema": {"type": "string"}},
            {"name": "a_b", "in": "query", "schema": {"type": "string"}}
        ]),
        json!({"type": "object"}),
    );
    let error = validation_error(&doc);
    assert!(
        error.contains(
            "operation `get-things`: parameters `a-b` and `a_b` both become the Rust field `a_b`"
        ),
        "{error}"
    );
}
