//! Human-readable summaries of the description, for snapshot tests and review.

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};

use crate::spec::{self, OperationView};
use crate::CodegenError;

/// One line per operation: operationId, method, path, request body kind, success and error
/// types, accepted schemes.
pub fn api_surface(spec: &OpenAPI) -> Result<String, CodegenError> {
    let operations = spec::collect(spec).map_err(CodegenError::InvalidSpec)?;
    let lines = operations.iter().map(|op| {
        format!(
            "{} {} {} body={} ok={} err={} auth={}",
            op.operation_id,
            op.method,
            op.path,
            request_kind(spec, op),
            response_type(spec, op, true),
            response_type(spec, op, false),
            schemes(op),
        )
    });
    Ok(lines.map(|l| l + "\n").collect())
}

/// The operations table as text: one line per operation with the schemes it accepts and the
/// API scopes any one of which allows it.
pub fn security_summary(spec: &OpenAPI) -> Result<String, CodegenError> {
    let operations = spec::collect(spec).map_err(CodegenError::InvalidSpec)?;
    let width = operations
        .iter()
        .map(|op| op.operation_id.len())
        .max()
        .unwrap_or(0);
    Ok(operations
        .iter()
        .map(|op| {
            let scopes = if op.scopes.is_empty() {
                String::new()
            } else {
                format!("  scopes: {}", op.scopes.join(", "))
            };
            format!("{:width$}  {}{scopes}\n", op.operation_id, schemes(op))
        })
        .collect())
}

fn schemes(op: &OperationView<'_>) -> String {
    if op.schemes.is_empty() {
        String::from("none")
    } else {
        op.schemes.join("|")
    }
}

fn ref_name<T>(item: &ReferenceOr<T>) -> &str {
    match item {
        ReferenceOr::Reference { reference } => reference.rsplit('/').next().unwrap_or(reference),
        ReferenceOr::Item(_) => "inline",
    }
}

fn request_kind(spec: &OpenAPI, op: &OperationView<'_>) -> String {
    let Some(body) = &op.operation.request_body else {
        return String::from("none");
    };
    let body = match body {
        ReferenceOr::Item(body) => Some(body),
        ReferenceOr::Reference { reference } => reference
            .rsplit('/')
            .next()
            .and_then(|name| spec.components.as_ref()?.request_bodies.get(name))
            .and_then(ReferenceOr::as_item),
    };
    body.and_then(|b| b.content.iter().next())
        .map(|(media, content)| {
            let kind = match media.as_str() {
                "application/json" => "json",
                "application/x-www-form-urlencoded" => "form",
                other => other,
            };
            let schema = content.schema.as_ref().map(ref_name).unwrap_or("none");
            format!("{kind}({schema})")
        })
        .unwrap_or_else(|| String::from("unknown"))
}

fn response_type(spec: &OpenAPI, op: &OperationView<'_>, success: bool) -> String {
    let mut names: Vec<String> = Vec::new();
    for (status, response) in &op.operation.responses.responses {
        let is_success = match status {
            StatusCode::Code(c) => *c < 400,
            StatusCode::Range(r) => *r < 4,
        };
        if is_success != success {
            continue;
        }
        let response = match response {
            ReferenceOr::Item(r) => Some(r),
            ReferenceOr::Reference { reference } => reference
                .rsplit('/')
                .next()
                .and_then(|name| spec.components.as_ref()?.responses.get(name))
                .and_then(ReferenceOr::as_item),
        };
        let name = response
            .and_then(|r| r.content.get("application/json"))
            .and_then(|m| m.schema.as_ref())
            .map(|s| ref_name(s).to_owned())
            .unwrap_or_else(|| String::from("()"));
        let label = match status {
            StatusCode::Code(c) => c.to_string(),
            StatusCode::Range(r) => format!("{r}XX"),
        };
        names.push(format!("{label}:{name}"));
    }
    if names.is_empty() {
        String::from("-")
    } else {
        names.join(",")
    }
}
