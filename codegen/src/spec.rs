//! Reading the description and checking it against what progenitor can handle.
//!
//! Progenitor asserts (panics) on several shapes it does not support. Every such shape that a
//! person editing `spec/` could plausibly write is checked here first, so that the answer is an
//! error naming the operation and the rule instead of a panic deep inside the generator.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use openapiv3::{OpenAPI, Operation, ReferenceOr, RequestBody, Response, StatusCode};

use crate::CodegenError;

/// The operations of a path item, to change in place.
pub(crate) fn operations_mut(
    item: &mut openapiv3::PathItem,
) -> impl Iterator<Item = &mut Operation> {
    slots_mut(item).into_iter().flatten()
}

/// The eight operation slots of a path item, filled or not, to change or empty in place.
pub(crate) fn slots_mut(item: &mut openapiv3::PathItem) -> [&mut Option<Operation>; 8] {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
}

/// Parses a description written as YAML or JSON and checks its OpenAPI version.
///
/// The version is read before the document is mapped onto `openapiv3`'s 3.0 model, because a
/// 3.1 document usually fails that mapping with a message about some unrelated field.
pub fn parse(text: &str) -> Result<OpenAPI, CodegenError> {
    // YAML is a superset of JSON, so one parser reads both.
    let value: serde_json::Value =
        serde_yaml::from_str(text).map_err(|e| CodegenError::NotYamlOrJson(e.to_string()))?;
    if !value.is_object() {
        return Err(CodegenError::NotYamlOrJson(
            "the top level is not a mapping".to_owned(),
        ));
    }
    let version = match value.get("openapi") {
        Some(serde_json::Value::String(v)) => v.clone(),
        Some(other) => other.to_string(),
        None => String::from("(missing)"),
    };
    if !version.trim().starts_with("3.0.") {
        return Err(CodegenError::UnsupportedVersion(version));
    }
    // Parsed again rather than converted from `value`, whose maps would lose document order.
    serde_yaml::from_str(text).map_err(|e| CodegenError::InvalidDocument(e.to_string()))
}

/// One broken rule, with the place it was broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The operationId, `METHOD /path` when there is none, or `components.schemas.<name>` for
    /// a rule about a schema.
    pub operation: String,
    /// What is wrong.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = if self.operation.starts_with("components.") {
            "schema"
        } else {
            "operation"
        };
        write!(f, "{place} `{}`: {}", self.operation, self.rule)
    }
}

/// The rules a description must follow for progenitor and for the security table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The path item is a `$ref`, which progenitor cannot follow.
    PathReference,
    /// An operation without an operationId.
    MissingOperationId,
    /// An operationId that does not map predictably onto a Rust method name.
    OperationIdShape,
    /// The same operationId twice.
    DuplicateOperationId,
    /// A request body with zero or several media types.
    RequestMediaTypes(Vec<String>),
    /// A `$ref` that does not point at a component of the right kind.
    UnresolvedReference(String),
    /// Error responses whose bodies use different schemas.
    MixedErrorSchemas(BTreeMap<String, String>),
    /// An error response without an `application/json` schema.
    ErrorWithoutJsonBody(String),
    /// A success response declared with a wildcard media type (`*/*`), which says neither
    /// that it is JSON (a typed answer) nor what file it is (a byte stream).
    SuccessNotJson {
        /// The response's status.
        status: String,
        /// The media types it declares.
        media_types: Vec<String>,
    },
    /// A request body in a media type that can be generated neither by progenitor (JSON, form,
    /// octet-stream, text) nor by codegen (`multipart/form-data`).
    RequestMediaType(String),
    /// A `multipart/form-data` body that codegen cannot write a form for.
    MultipartShape(String),
    /// A security requirement naming a scheme that `components.securitySchemes` lacks, or
    /// one that is not among Infobip's four (which the hand-written auth layer knows).
    UnknownSecurityScheme(String),
    /// `x-scopes` that is not a list of scope names.
    ScopesShape,
    /// A schema that every product shares (an error body) declared with a field the shared
    /// type does not have.
    SharedSchemaShape {
        /// The fields the shared type has.
        expected: Vec<String>,
        /// The fields the description declares.
        found: Vec<String>,
    },
    /// A security requirement that needs two schemes at once.
    CombinedSecurityRequirement(Vec<String>),
    /// An operationId whose method, builder or static clashes with a name the generated
    /// module already uses (`error`, `result`, `client`, `new`, `all`...); says which.
    ReservedOperationId(String),
    /// A schema whose type would shadow one of std's prelude names (`Box`, `Option`,
    /// `Result`...); says which.
    ReservedSchemaName(String),
    /// Two values of one string enum that typify would give the same Rust variant name
    /// (`DELIVERED` and `delivered`, `a-b` and `a_b`): the values and the name.
    EnumVariantClash {
        /// The two values as written.
        values: [String; 2],
        /// The variant name both become.
        variant: String,
    },
    /// Two parameters of one operation that progenitor would give the same Rust field name
    /// (`a-b` and `a_b`): the names and the field.
    ParameterNameClash {
        /// The two parameter names as written.
        names: [String; 2],
        /// The field name both become.
        field: String,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::PathReference => f.write_str(
                "the path item is a $ref; progenitor cannot follow it, so write the path inline",
            ),
            Rule::MissingOperationId => f.write_str(
                "no operationId; progenitor names each client method after it, so add one",
            ),
            Rule::OperationIdShape => f.write_str(
                "the operationId must be lowercase ASCII words joined by `-` (like `create-session`) \
                 so that its Rust method name is predictable",
            ),
            Rule::DuplicateOperationId => {
                f.write_str("the operationId is used twice; operationIds must be unique")
            }
            Rule::RequestMediaTypes(types) => write!(
                f,
                "the request body declares {} media types ({}); progenitor needs exactly one",
                types.len(),
                types.join(", ")
            ),
            Rule::UnresolvedReference(r) => write!(
                f,
                "`{r}` does not name a component of the right kind; fix the reference"
            ),
            Rule::MixedErrorSchemas(by_status) => write!(
                f,
                "error responses use different schemas ({}); progenitor needs one error schema \
                 per operation, so give them all the same one",
                join_map(by_status)
            ),
            Rule::ErrorWithoutJsonBody(status) => write!(
                f,
                "error response {status} has no application/json schema; progenitor needs a body \
                 schema for every declared error response"
            ),
            Rule::SuccessNotJson {
                status,
                media_types,
            } => write!(
                f,
                "success response {status} declares {}; name the media type: \
                 application/json for a typed answer, or the file's own type (application/pdf, \
                 text/csv, ...) for a byte stream",
                media_types.join(", ")
            ),
            Rule::RequestMediaType(media) => write!(
                f,
                "the request body is {media}, which cannot be sent: use application/json, \
                 application/x-www-form-urlencoded, application/octet-stream, text/plain or \
                 multipart/form-data"
            ),
            Rule::MultipartShape(reason) => write!(
                f,
                "the multipart/form-data body cannot become a form: {reason}"
            ),
            Rule::UnknownSecurityScheme(name) => write!(
                f,
                "security names `{name}`, which components.securitySchemes does not declare or \
                 which is not one of Infobip's schemes ({})",
                KNOWN_SCHEMES
                    .iter()
                    .map(|(spec_name, _)| *spec_name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Rule::ScopesShape => f.write_str(
                "x-scopes must be a list of API scope names (strings), any one of which allows \
                 the call",
            ),
            Rule::SharedSchemaShape { expected, found } => write!(
                f,
                "this schema is shared by every product as one hand-written type with the fields \
                 [{}], but the description declares [{}]; declare only those fields, or rename the \
                 schema if it is a different one",
                expected.join(", "),
                found.join(", ")
            ),
            Rule::CombinedSecurityRequirement(names) => write!(
                f,
                "a security requirement combines {}; each requirement must name one scheme",
                names.join(" + ")
            ),
            Rule::ReservedOperationId(reason) => write!(
                f,
                "the operationId cannot be used: {reason}; choose another one (the import \
                 prefixes such operationIds with their method: `get-error`)"
            ),
            Rule::ReservedSchemaName(reason) => write!(
                f,
                "the schema name cannot be used: {reason}; rename the schema and its \
                 references (the import appends `Schema`: `BoxSchema`)"
            ),
            Rule::EnumVariantClash { values, variant } => write!(
                f,
                "enum values \"{}\" and \"{}\" both become the Rust variant `{variant}`, \
                 which typify cannot generate; drop one, or declare the schema as a plain \
                 string (the import does)",
                values[0], values[1]
            ),
            Rule::ParameterNameClash { names, field } => write!(
                f,
                "parameters `{}` and `{}` both become the Rust field `{field}`, which \
                 progenitor cannot generate; rename one (the import skips such operations)",
                names[0], names[1]
            ),
        }
    }
}

fn join_map(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Infobip's four schemes: the name in `components.securitySchemes` and the variant of the
/// rim's `Scheme`. The auth layer knows how to send exactly these, so no others are accepted.
pub(crate) const KNOWN_SCHEMES: &[(&str, &str)] = &[
    ("Basic", "Basic"),
    ("APIKeyHeader", "ApiKeyHeader"),
    ("IBSSOTokenHeader", "IbssoTokenHeader"),
    ("OAuth2", "OAuth2"),
];

/// The rim's `Scheme` variant for a scheme declared under `name`.
pub(crate) fn scheme_variant(name: &str) -> Option<&'static str> {
    KNOWN_SCHEMES
        .iter()
        .find(|(spec_name, _)| *spec_name == name)
        .map(|(_, variant)| *variant)
}

/// An operation as the rest of the crate sees it, after validation.
#[derive(Debug, Clone)]
pub(crate) struct OperationView<'a> {
    pub(crate) operation_id: &'a str,
    pub(crate) method: String,
    pub(crate) path: &'a str,
    pub(crate) operation: &'a Operation,
    /// Accepted scheme names, in the order the description lists them; empty for none.
    pub(crate) schemes: Vec<String>,
    /// API scopes (`x-scopes`), any one of which allows the call; empty when none are listed.
    pub(crate) scopes: Vec<String>,
}

/// Checks every rule and returns all violations at once, so a spec author fixes them in one go.
pub fn validate(spec: &OpenAPI) -> Result<(), CodegenError> {
    let violations = collect(spec).err().unwrap_or_default();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(CodegenError::InvalidSpec(violations))
    }
}

/// The operations in document order, or every rule they break.
pub(crate) fn collect(spec: &OpenAPI) -> Result<Vec<OperationView<'_>>, Vec<Violation>> {
    let mut violations = Vec::new();
    let mut views = Vec::new();
    let mut seen = BTreeSet::new();
    // A scheme counts only if it is declared and is one of the four the rim's `Scheme` has.
    let declared: BTreeSet<&str> = spec
        .components
        .as_ref()
        .map(|c| {
            c.security_schemes
                .keys()
                .map(String::as_str)
                .filter(|name| scheme_variant(name).is_some())
                .collect()
        })
        .unwrap_or_default();
    violations.extend(check_shared_schemas(spec));
    violations.extend(check_schema_names(spec));

    for (path, item) in &spec.paths.paths {
        let item = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { .. } => {
                violations.push(Violation {
                    operation: path.clone(),
                    rule: Rule::PathReference,
                });
                continue;
            }
        };
        for (method, operation) in item.iter() {
            let method = method.to_uppercase();
            let Some(operation_id) = operation.operation_id.as_deref() else {
                violations.push(Violation {
                    operation: format!("{method} {path}"),
                    rule: Rule::MissingOperationId,
                });
                continue;
            };
            let mut broken = |rule| {
                violations.push(Violation {
                    operation: operation_id.to_owned(),
                    rule,
                })
            };
            if !is_kebab(operation_id) {
                broken(Rule::OperationIdShape);
            }
            if let Some(reason) = crate::reserved::operation_id_clash(operation_id) {
                broken(Rule::ReservedOperationId(reason));
            }
            if !seen.insert(operation_id) {
                broken(Rule::DuplicateOperationId);
            }
            if let Err(rule) = check_request(spec, operation) {
                broken(rule);
            }
            if let Some(rule) = check_parameter_names(spec, &item.parameters, operation) {
                broken(rule);
            }
            if let Some(rule) = check_inline_enums(operation) {
                broken(rule);
            }
            for rule in check_responses(spec, operation) {
                broken(rule);
            }
            let schemes = match schemes(spec, operation, &declared) {
                Ok(schemes) => schemes,
                Err(rule) => {
                    broken(rule);
                    Vec::new()
                }
            };
            let scopes = match scopes(operation) {
                Ok(scopes) => scopes,
                Err(rule) => {
                    broken(rule);
                    Vec::new()
                }
            };
            views.push(OperationView {
                operation_id,
                method,
                path,
                operation,
                schemes,
                scopes,
            });
        }
    }
    if violations.is_empty() {
        Ok(views)
    } else {
        Err(violations)
    }
}

fn is_kebab(id: &str) -> bool {
    id.split('-').all(|word| {
        !word.is_empty()
            && word
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }) && id.starts_with(|c: char| c.is_ascii_lowercase())
}

fn check_request(spec: &OpenAPI, operation: &Operation) -> Result<(), Rule> {
    let Some(body) = &operation.request_body else {
        return Ok(());
    };
    let body: &RequestBody = resolve(spec, body, |c, n| c.request_bodies.get(n), "requestBodies")?;
    let Some((media, _)) = body
        .content
        .iter()
        .next()
        .filter(|_| body.content.len() == 1)
    else {
        return Err(Rule::RequestMediaTypes(
            body.content.keys().cloned().collect(),
        ));
    };
    if crate::form::is_multipart(media) {
        crate::form::form_fields(spec, operation).map_err(Rule::MultipartShape)?;
        return multipart_responses(spec, operation);
    }
    let base = media.split(';').next().unwrap_or_default().trim();
    const SENDABLE: [&str; 5] = [
        "application/json",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "text/plain",
        "text/x-markdown",
    ];
    if SENDABLE.contains(&base) {
        Ok(())
    } else {
        Err(Rule::RequestMediaType(media.clone()))
    }
}

/// The answers of an upload are decoded by codegen's own code, which names their types: each
/// JSON body must be a component.
fn multipart_responses(spec: &OpenAPI, operation: &Operation) -> Result<(), Rule> {
    let responses = operation
        .responses
        .responses
        .values()
        .chain(operation.responses.default.iter());
    for response in responses {
        let response: &Response = resolve(spec, response, |c, n| c.responses.get(n), "responses")?;
        let inline = response
            .content
            .iter()
            .filter(|(media, _)| is_json(media))
            .any(|(_, media)| matches!(media.schema, Some(ReferenceOr::Item(_)) | None));
        if inline {
            return Err(Rule::MultipartShape(String::from(
                "a JSON answer's schema is inline; make it a component ($ref) so the upload's \
                 answer has a named type",
            )));
        }
    }
    Ok(())
}

fn check_responses(spec: &OpenAPI, operation: &Operation) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut errors = BTreeMap::new();
    let responses = operation
        .responses
        .responses
        .iter()
        .map(|(s, r)| (status_text(s), is_success(s), r));
    let default = operation
        .responses
        .default
        .iter()
        .map(|r| (String::from("default"), false, r));
    for (status, success, response) in responses.chain(default) {
        let response: &Response =
            match resolve(spec, response, |c, n| c.responses.get(n), "responses") {
                Ok(r) => r,
                Err(rule) => {
                    rules.push(rule);
                    continue;
                }
            };
        let json = response.content.iter().find(|(media, _)| is_json(media));
        // Success bodies of any kind are generated: JSON typed, others as byte streams, and
        // an operation whose successes differ as byte streams (see `bodies.rs`).
        match (success, json) {
            (true, Some(_)) => {}
            (true, None) if response.content.keys().any(|media| media.contains('*')) => {
                rules.push(Rule::SuccessNotJson {
                    status,
                    media_types: response.content.keys().cloned().collect(),
                })
            }
            (true, None) => {}
            (false, Some((_, media))) if media.schema.is_some() => {
                errors.insert(status, schema_key(media.schema.as_ref()));
            }
            (false, _) => rules.push(Rule::ErrorWithoutJsonBody(status)),
        }
    }
    if errors.values().collect::<BTreeSet<_>>().len() > 1 {
        rules.push(Rule::MixedErrorSchemas(errors));
    }
    rules
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

fn is_success(status: &StatusCode) -> bool {
    match status {
        StatusCode::Code(code) => (100..400).contains(code),
        StatusCode::Range(range) => *range < 4,
    }
}

fn status_text(status: &StatusCode) -> String {
    match status {
        StatusCode::Code(code) => code.to_string(),
        StatusCode::Range(range) => format!("{range}XX"),
    }
}

/// A comparable name for a schema: the reference, or the inline schema as JSON.
fn schema_key(schema: Option<&ReferenceOr<openapiv3::Schema>>) -> String {
    match schema {
        None => String::from("no schema"),
        Some(ReferenceOr::Reference { reference }) => {
            reference.rsplit('/').next().unwrap_or(reference).to_owned()
        }
        Some(ReferenceOr::Item(inline)) => {
            serde_json::to_string(inline).unwrap_or_else(|_| String::from("inline schema"))
        }
    }
}

fn resolve<'a, T>(
    spec: &'a OpenAPI,
    item: &'a ReferenceOr<T>,
    lookup: impl Fn(&'a openapiv3::Components, &str) -> Option<&'a ReferenceOr<T>>,
    kind: &str,
) -> Result<&'a T, Rule> {
    match item {
        ReferenceOr::Item(item) => Ok(item),
        ReferenceOr::Reference { reference } => {
            let prefix = format!("#/components/{kind}/");
            reference
                .strip_prefix(&prefix)
                .and_then(|name| lookup(spec.components.as_ref()?, name))
                .and_then(ReferenceOr::as_item)
                .ok_or_else(|| Rule::UnresolvedReference(reference.clone()))
        }
    }
}

fn schemes(
    spec: &OpenAPI,
    operation: &Operation,
    declared: &BTreeSet<&str>,
) -> Result<Vec<String>, Rule> {
    let requirements = operation
        .security
        .as_ref()
        .or(spec.security.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut names = Vec::new();
    for requirement in requirements {
        match requirement.len() {
            // `{}` is the "no authentication" alternative.
            0 => {}
            1 => {
                let name = requirement.keys().next().cloned().unwrap_or_default();
                if !declared.contains(name.as_str()) {
                    return Err(Rule::UnknownSecurityScheme(name));
                }
                names.push(name);
            }
            _ => {
                return Err(Rule::CombinedSecurityRequirement(
                    requirement.keys().cloned().collect(),
                ))
            }
        }
    }
    Ok(names)
}

/// Infobip's `x-scopes`: the API scopes any one of which allows the call.
fn scopes(operation: &Operation) -> Result<Vec<String>, Rule> {
    let Some(value) = operation.extensions.get("x-scopes") else {
        return Ok(Vec::new());
    };
    value
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or(Rule::ScopesShape)
}

/// The error schemas every product shares: each is one hand-written type in the client's rim,
/// so a description that declares one may declare only fields the type has.
pub(crate) const SHARED_SCHEMAS: &[(&str, &[&str])] = &[
    (
        "ApiError",
        &[
            "action",
            "description",
            "errorCode",
            "resources",
            "violations",
        ],
    ),
    ("ApiErrorResource", &["name", "url"]),
    ("ApiErrorViolation", &["property", "violation"]),
    ("ApiException", &["error", "requestError"]),
    ("ApiRequestError", &["serviceException"]),
    (
        "ApiRequestErrorDetails",
        &["messageId", "text", "validationErrors"],
    ),
    // Any error body, in either format or neither: the import points every error response of
    // a product at it, so that an operation has one error type whatever its statuses declare.
    ("ErrorBody", &[]),
];

fn check_schema_names(spec: &OpenAPI) -> Vec<Violation> {
    let Some(components) = &spec.components else {
        return Vec::new();
    };
    let reserved = components.schemas.keys().filter_map(|name| {
        crate::reserved::schema_name_clash(name).map(|reason| Violation {
            operation: format!("components.schemas.{name}"),
            rule: Rule::ReservedSchemaName(reason),
        })
    });
    let enums = components.schemas.iter().filter_map(|(name, schema)| {
        let value = serde_json::to_value(schema).ok()?;
        enum_clash(&value).map(|rule| Violation {
            operation: format!("components.schemas.{name}"),
            rule,
        })
    });
    reserved.chain(enums).collect()
}

/// The first string enum under `value` (a schema, or anything holding schemas) with two
/// values that typify would give the same variant name.
fn enum_clash(value: &serde_json::Value) -> Option<Rule> {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Array(values)) = map.get("enum") {
                let strings: Vec<&str> = values.iter().filter_map(|v| v.as_str()).collect();
                if let Some((a, b, variant)) = crate::idents::enum_variant_clash(&strings) {
                    return Some(Rule::EnumVariantClash {
                        values: [a, b],
                        variant,
                    });
                }
            }
            map.values().find_map(enum_clash)
        }
        serde_json::Value::Array(items) => items.iter().find_map(enum_clash),
        _ => None,
    }
}

/// An enum clash in the schemas an operation writes inline (parameters, bodies).
fn check_inline_enums(operation: &Operation) -> Option<Rule> {
    let parameters = serde_json::to_value(&operation.parameters).ok()?;
    let body = serde_json::to_value(&operation.request_body).ok()?;
    let responses = serde_json::to_value(&operation.responses).ok()?;
    [parameters, body, responses].iter().find_map(enum_clash)
}

/// Two parameters (the path item's and the operation's) with one Rust field name.
fn check_parameter_names(
    spec: &OpenAPI,
    shared: &[ReferenceOr<openapiv3::Parameter>],
    operation: &Operation,
) -> Option<Rule> {
    let mut names: Vec<&str> = Vec::new();
    let own: Vec<&openapiv3::Parameter> = operation
        .parameters
        .iter()
        .filter_map(|p| resolve(spec, p, |c, n| c.parameters.get(n), "parameters").ok())
        .collect();
    // An operation's parameter overrides the path item's of the same name and place.
    for parameter in shared
        .iter()
        .filter_map(|p| resolve(spec, p, |c, n| c.parameters.get(n), "parameters").ok())
    {
        let data = parameter.parameter_data_ref();
        let overridden = own.iter().any(|o| {
            o.parameter_data_ref().name == data.name
                && std::mem::discriminant(*o) == std::mem::discriminant(parameter)
        });
        if !overridden {
            names.push(&data.name);
        }
    }
    names.extend(own.iter().map(|p| p.parameter_data_ref().name.as_str()));
    let (j, earlier, field) = crate::idents::parameter_clash(&names)?;
    Some(Rule::ParameterNameClash {
        names: [earlier, names[j].to_owned()],
        field,
    })
}

fn check_shared_schemas(spec: &OpenAPI) -> Vec<Violation> {
    let Some(components) = &spec.components else {
        return Vec::new();
    };
    SHARED_SCHEMAS
        .iter()
        .filter_map(|(name, fields)| {
            let schema = components.schemas.get(*name)?.as_item()?;
            let found: BTreeSet<String> = match &schema.schema_kind {
                openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) => {
                    object.properties.keys().cloned().collect()
                }
                _ => BTreeSet::new(),
            };
            let expected: BTreeSet<String> = fields.iter().map(|f| (*f).to_owned()).collect();
            // Fewer fields are fine (the shared type reads them); a field it lacks would be lost.
            (!found.is_subset(&expected)).then(|| Violation {
                operation: format!("components.schemas.{name}"),
                rule: Rule::SharedSchemaShape {
                    expected: expected.into_iter().collect(),
                    found: found.into_iter().collect(),
                },
            })
        })
        .collect()
}
