//! Webhooks, from the published `webhooks` section to each product's `webhooks` module: the
//! import keeps each kind's JSON payload as `x-webhooks`, the codegen writes a marker per kind
//! whose payload enums are open like a response's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use codegen::{Change, ImportOptions};

/// A published document with one operation and four webhooks: a payload by `$ref` (with an
/// enum no operation reaches), an inline payload, an XML-only one and one offered in both.
const PUBLISHED: &str = r##"{
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "paths": {"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "ok",
    "content": {"application/json": {"schema": {"type": "object",
      "properties": {"at": {"type": "string"}}}}}}}}}},
  "webhooks": {
    "receive-reports": {"post": {"operationId": "receive-delivery-reports", "requestBody": {
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.Reports"}}}},
      "responses": {"200": {"description": "ok"}}}},
    "receive-clicks": {"post": {"operationId": "receive-clicks", "requestBody": {
      "content": {"application/json": {"schema": {"type": "object", "required": ["url"],
        "properties": {"url": {"type": "string"}, "messageId": {"type": "string"}}}}}},
      "responses": {"200": {"description": "ok"}}}},
    "receive-legacy": {"post": {"operationId": "receive-legacy", "requestBody": {
      "content": {"application/xml": {"schema": {"type": "string"}}}},
      "responses": {"200": {"description": "ok"}}}},
    "receive-inbound": {"post": {"operationId": "receive-inbound", "requestBody": {
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Inbound"}},
        "application/xml": {"schema": {"$ref": "#/components/schemas/Inbound"}}}},
      "responses": {"200": {"description": "ok"}}}}
  },
  "components": {"schemas": {
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.Reports": {
      "type": "object", "properties": {"results": {"type": "array",
        "items": {"$ref": "#/components/schemas/Report"}}}},
    "Report": {"type": "object", "properties": {"messageId": {"type": "string"},
      "status": {"$ref": "#/components/schemas/Status"}}},
    "Status": {"type": "string", "enum": ["DELIVERED", "REJECTED"]},
    "Inbound": {"type": "object", "properties": {"text": {"type": "string"}}},
    "Unused": {"type": "object", "properties": {"x": {"type": "string"}}}
  }}
}"##;

fn imported() -> codegen::Imported {
    codegen::import(PUBLISHED, &ImportOptions::new("demo")).unwrap()
}

#[test]
fn each_json_payload_is_kept_under_its_operation_id_with_what_it_reaches() {
    let imported = imported();
    let yaml = &imported.yaml;
    assert!(
        yaml.contains(
            "x-webhooks:\n  receive-delivery-reports:\n    payload:\n      \
             $ref: '#/components/schemas/Reports'\n"
        ),
        "{yaml}"
    );
    for schema in ["    Reports:", "    Report:", "    Status:", "    Inbound:"] {
        assert!(yaml.contains(schema), "{schema} missing:\n{yaml}");
    }
    // What no operation and no webhook reaches is still dropped.
    assert!(!yaml.contains("Unused"), "{yaml}");
    let report = &imported.report;
    assert_eq!(
        report.webhooks,
        [
            "receive-delivery-reports",
            "receive-clicks",
            "receive-inbound"
        ]
    );
    assert!(report
        .to_string()
        .contains("webhooks kept: receive-delivery-reports"));
}

#[test]
fn an_inline_payload_gets_a_name_and_a_change_in_the_report() {
    let imported = imported();
    assert!(
        imported
            .yaml
            .contains("  receive-clicks:\n    payload:\n      $ref: '#/components/schemas/ReceiveClicksPayload'"),
        "{}",
        imported.yaml
    );
    assert_eq!(
        imported.report.changes.get(&Change::WebhookPayloadNamed),
        Some(&1)
    );
}

#[test]
fn a_kind_without_a_json_payload_is_skipped_and_other_media_are_counted() {
    let report = imported().report;
    assert_eq!(report.skipped_webhooks.len(), 1, "{report}");
    assert_eq!(report.skipped_webhooks[0].name, "receive-legacy");
    assert!(report.skipped_webhooks[0]
        .reason
        .contains("no JSON payload"));
    assert_eq!(
        report
            .changes
            .get(&Change::WebhookMediaDropped(String::from(
                "application/xml"
            ))),
        Some(&2)
    );
}

#[test]
fn each_kind_becomes_a_marker_with_its_payload_and_the_payload_enums_are_open() {
    let imported = imported();
    let output = codegen::render_product("demo", &imported.yaml).unwrap();
    let client = &output.files[0].contents;
    assert!(client.contains("pub mod webhooks {"), "{client}");
    // `receive-` is dropped from the marker's name; the names stay those of the description.
    assert!(client.contains("pub struct DeliveryReports;"), "{client}");
    assert!(client.contains("impl crate::Webhook for DeliveryReports {"));
    assert!(client.contains("type Payload = types::Reports;"));
    assert!(client.contains("const PRODUCT: &'static str = \"demo\";"));
    assert!(client.contains("const NAME: &'static str = \"receive-delivery-reports\";"));
    assert!(client.contains("type Payload = types::ReceiveClicksPayload;"));
    // A status Infobip adds later must not fail the whole delivery.
    let status = &client[client.find("pub enum Status {").unwrap()..];
    let status = &status[..status.find("\n    }").unwrap()];
    assert!(status.contains("Other(::std::string::String)"), "{status}");
}

#[test]
fn a_description_without_webhooks_has_no_webhooks_module() {
    let published = PUBLISHED.replace("\"webhooks\"", "\"x-not-webhooks\"");
    let imported = codegen::import(&published, &ImportOptions::new("demo")).unwrap();
    assert!(!imported.yaml.contains("x-webhooks"));
    let output = codegen::render_product("demo", &imported.yaml).unwrap();
    assert!(!output.files[0].contents.contains("pub mod webhooks"));
}

#[test]
fn a_malformed_x_webhooks_is_refused_with_the_form_it_needs() {
    let yaml = imported().yaml.replace(
        "$ref: '#/components/schemas/Reports'",
        "$ref: '#/components/schemas/Nope'",
    );
    let error = codegen::render_product("demo", &yaml)
        .unwrap_err()
        .to_string();
    assert!(error.contains("x-webhooks"), "{error}");
    assert!(error.contains("`receive-delivery-reports`"), "{error}");
    assert!(error.contains("payload: {$ref:"), "{error}");
}
