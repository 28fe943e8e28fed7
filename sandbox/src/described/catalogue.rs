//! The operations of every description, read once per process from the copies regeneration
//! embeds (`documents.rs`), and found by method and path.

use std::sync::{Arc, OnceLock};

use axum::http::Method;
use jsonschema::Validator;
use serde_json::Value;

use crate::errors::Failure;
use crate::model::{Endpoint, SchemeUsed};

use super::documents::DOCUMENTS;

/// Every described operation, by product.
#[derive(Debug)]
pub(crate) struct Catalogue {
    pub operations: Vec<Operation>,
}

/// One product's description: what its operations' `$ref`s point into.
#[derive(Debug)]
pub(crate) struct Document {
    pub product: &'static str,
    pub root: Value,
}

/// What the sandbox needs of one operation.
#[derive(Debug)]
pub(crate) struct Operation {
    pub document: Arc<Document>,
    pub id: String,
    pub method: Method,
    /// The path template, as written (`/whatsapp/1/senders/{sender}/templates`).
    pub path: String,
    segments: Vec<Segment>,
    pub parameters: Vec<Parameter>,
    pub body: Option<RequestBody>,
    pub success: Success,
    /// The schemes of its `security` list; empty when it takes no credentials.
    pub schemes: Vec<SchemeUsed>,
    /// Its `x-scopes`: a key needs one of them.
    pub scopes: Vec<String>,
    /// Checks a JSON body, built at the first one.
    pub body_validator: BodyValidator,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
}

#[derive(Debug)]
pub(crate) struct Parameter {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub schema: Value,
}

#[derive(Debug)]
pub(crate) struct RequestBody {
    pub required: bool,
    /// `(media type, schema)`, as declared.
    pub content: Vec<(String, Value)>,
}

/// The answer a call that passes every check gets: the first success the description lists.
#[derive(Debug)]
pub(crate) struct Success {
    pub status: u16,
    /// `(media type, schema)`; `None` for an answer without a body.
    pub content: Option<(String, Value)>,
}

/// An operation's body validator, built at its first use (building one compiles the schemas
/// it reaches) by `check`, which alone reads it.
#[derive(Default)]
pub(crate) struct BodyValidator(pub(super) OnceLock<Result<Validator, String>>);

impl std::fmt::Debug for BodyValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyValidator")
    }
}

/// Why the descriptions could not be read: a defect of regeneration, never of a request.
/// A built-in description that cannot be read: a stale copy.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the sandbox's copy of the `{product}` description cannot be read ({reason}); run `cargo xtask regen`")]
pub struct LoadError {
    product: String,
    reason: String,
}

/// A 500: without its description no call can be checked.
impl From<LoadError> for Failure {
    fn from(error: LoadError) -> Self {
        Failure::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            error.to_string(),
        )
    }
}

impl Catalogue {
    /// The catalogue every sandbox of this process shares, read at its first use.
    pub fn get() -> Result<&'static Catalogue, LoadError> {
        static CATALOGUE: OnceLock<Result<Catalogue, LoadError>> = OnceLock::new();
        CATALOGUE
            .get_or_init(|| Self::read(DOCUMENTS))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn read(documents: &[(&'static str, &str)]) -> Result<Self, LoadError> {
        let mut operations = Vec::new();
        for (product, text) in documents {
            let fail = |reason: String| LoadError {
                product: (*product).to_owned(),
                reason,
            };
            let root: Value = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
            let document = Arc::new(Document { product, root });
            let paths = document
                .root
                .get("paths")
                .and_then(Value::as_object)
                .ok_or_else(|| fail("no `paths`".to_owned()))?;
            for (path, item) in paths {
                let shared = item.get("parameters");
                for (method, operation) in item.as_object().into_iter().flatten() {
                    let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                        continue;
                    };
                    if !operation.is_object() || method.as_str() == "PARAMETERS" {
                        continue;
                    }
                    operations.push(
                        Operation::read(&document, path, method, operation, shared)
                            .map_err(fail)?,
                    );
                }
            }
        }
        Ok(Self { operations })
    }

    /// The operation a request is for: of those whose template matches the path, the one with
    /// the most literal segments (`/senders/verified` before `/senders/{sender}`), then the one
    /// whose first literal comes first, so a tie never hangs on the descriptions' order. `Err`
    /// when the path is described but not for this method.
    pub fn find(&self, method: &Method, path: &str) -> Result<&Operation, NotDescribed> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let mut best: Option<(&Operation, (usize, u64))> = None;
        let mut other_method = false;
        for operation in &self.operations {
            let Some(rank) = operation.matches(&segments) else {
                continue;
            };
            if operation.method != *method {
                other_method = true;
                continue;
            }
            if best.is_none_or(|(_, most)| rank > most) {
                best = Some((operation, rank));
            }
        }
        match best {
            Some((operation, _)) => Ok(operation),
            None if other_method => Err(NotDescribed::Method),
            None => Err(NotDescribed::Path),
        }
    }
}

/// Why no operation answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotDescribed {
    /// No description has the path.
    Path,
    /// The path is described, for other methods.
    Method,
}

impl Operation {
    fn read(
        document: &Arc<Document>,
        path: &str,
        method: Method,
        operation: &Value,
        shared: Option<&Value>,
    ) -> Result<Self, String> {
        let root = &document.root;
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{method} {path} has no operationId"))?
            .to_owned();
        let segments = path
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    Segment::Parameter
                } else {
                    Segment::Literal(s.to_owned())
                }
            })
            .collect();
        let mut parameters = Vec::new();
        for parameter in shared
            .and_then(Value::as_array)
            .into_iter()
            .chain(operation.get("parameters").and_then(Value::as_array))
            .flatten()
        {
            let parameter = resolve(root, parameter);
            let location = match parameter.get("in").and_then(Value::as_str) {
                Some("path") => Location::Path,
                Some("query") => Location::Query,
                Some("header") => Location::Header,
                // Cookies: no operation uses one.
                _ => continue,
            };
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{id}: a parameter has no name"))?;
            parameters.push(Parameter {
                name: name.to_owned(),
                location,
                required: location == Location::Path || flag(parameter, "required"),
                schema: parameter.get("schema").cloned().unwrap_or(Value::Null),
            });
        }
        let body = operation.get("requestBody").map(|body| {
            let body = resolve(root, body);
            RequestBody {
                required: flag(body, "required"),
                content: content(body),
            }
        });
        let success = operation
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(status, response)| {
                let status: u16 = status.parse().ok()?;
                (200..300).contains(&status).then_some((status, response))
            })
            .min_by_key(|(status, _)| *status)
            .map(|(status, response)| Success {
                status,
                content: content(resolve(root, response)).into_iter().next(),
            })
            .unwrap_or(Success {
                status: 200,
                content: None,
            });
        // An operation without its own `security` has the description's (OpenAPI 3.0); an
        // empty list of its own means no credentials.
        let schemes = operation
            .get("security")
            .or_else(|| root.get("security"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|requirement| requirement.keys())
            .filter_map(|name| scheme(root, name))
            .collect();
        let scopes = operation
            .get("x-scopes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        Ok(Self {
            document: Arc::clone(document),
            id,
            method,
            path: path.to_owned(),
            segments,
            parameters,
            body,
            success,
            schemes,
            scopes,
            body_validator: BodyValidator::default(),
        })
    }

    /// When the template matches: its number of literal segments, and where they stand (the
    /// first segment the highest bit; a path of more than 64 segments is not one of Infobip's).
    fn matches(&self, segments: &[&str]) -> Option<(usize, u64)> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut literals = 0;
        let mut places = 0_u64;
        for (index, (wanted, given)) in self.segments.iter().zip(segments).enumerate() {
            match wanted {
                Segment::Literal(literal) if literal == given => {
                    literals += 1;
                    if let Some(bit) = 63_usize.checked_sub(index) {
                        places |= 1 << bit;
                    }
                }
                Segment::Literal(_) => return None,
                Segment::Parameter if given.is_empty() => return None,
                Segment::Parameter => {}
            }
        }
        Some((literals, places))
    }

    /// The path parameters' values, by name, in the template's order.
    pub fn path_values<'a>(&self, path: &'a str) -> Vec<(&str, &'a str)> {
        let names = self
            .path
            .split('/')
            .skip(1)
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')));
        let values = path
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .zip(&self.segments)
            .filter(|(_, s)| **s == Segment::Parameter)
            .map(|(value, _)| value);
        names.zip(values).collect()
    }

    /// Whether a call may use `scheme`.
    pub fn accepts(&self, scheme: SchemeUsed) -> bool {
        self.schemes.contains(&scheme)
    }
}

impl Endpoint {
    /// Its operation in the descriptions, the source of the schemes it accepts (`security`)
    /// and of the API scopes one of which a call needs (`x-scopes`).
    pub(crate) fn described(self) -> Result<&'static Operation, LoadError> {
        let (method, template) = self.template();
        Catalogue::get()?
            .operations
            .iter()
            .find(|o| o.method == method && o.path == template)
            .ok_or_else(|| LoadError {
                product: template.to_owned(),
                reason: format!("it has no `{method} {template}`, which the sandbox serves"),
            })
    }

    /// Whether a call needs credentials: its operation has a `security` list.
    pub fn takes_credentials(self) -> bool {
        self.described().map_or(true, |o| !o.schemes.is_empty())
    }
}

/// `true` when `value[key]` is `true`.
fn flag(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A request body's or response's `content`, as `(media type, schema)`.
fn content(value: &Value) -> Vec<(String, Value)> {
    value
        .get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(media, content)| {
            (
                media.clone(),
                content.get("schema").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// The names an object schema lists as `required` (none when it lists none).
pub(crate) fn required_names(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Follows a `$ref` within the description (`#/components/...`); anything else as it is.
pub(crate) fn resolve<'a>(root: &'a Value, value: &'a Value) -> &'a Value {
    let mut value = value;
    // A chain of references is short; the bound only stops a loop of them.
    for _ in 0..16 {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| root.pointer(pointer))
        else {
            return value;
        };
        value = target;
    }
    value
}

/// The scheme a security scheme of the description stands for, by its type.
fn scheme(root: &Value, name: &str) -> Option<SchemeUsed> {
    let scheme = root.pointer(&format!("/components/securitySchemes/{name}"))?;
    let field = |key| scheme.get(key).and_then(Value::as_str);
    match (field("type")?, field("scheme"), field("name")) {
        ("http", Some(s), _) if s.eq_ignore_ascii_case("basic") => Some(SchemeUsed::Basic),
        ("oauth2", _, _) => Some(SchemeUsed::Bearer),
        ("http", Some(s), _) if s.eq_ignore_ascii_case("bearer") => Some(SchemeUsed::Bearer),
        // Both API keys and IBSSO tokens travel in `Authorization`; the description tells
        // them apart by the scheme's name only.
        ("apiKey", _, _) if name.to_ascii_lowercase().contains("ibsso") => Some(SchemeUsed::Ibsso),
        ("apiKey", _, _) => Some(SchemeUsed::ApiKey),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_description_loads_and_every_operation_has_its_schemes() {
        let catalogue = Catalogue::get().unwrap();
        assert!(
            catalogue.operations.len() > 900,
            "{}",
            catalogue.operations.len()
        );
        // Those without `security` are the sign-in calls.
        let open: Vec<&str> = catalogue
            .operations
            .iter()
            .filter(|o| o.schemes.is_empty())
            .map(|o| o.id.as_str())
            .collect();
        assert!(open.contains(&"create-session"), "{open:?}");
        assert!(open.len() < 10, "{open:?}");
    }

    #[test]
    fn an_operation_without_security_has_the_descriptions() {
        let text = serde_json::json!({
            "security": [{"Basic": []}],
            "components": {"securitySchemes": {"Basic": {"type": "http", "scheme": "basic"}}},
            "paths": {
                "/demo/1/guarded": {"get": {"operationId": "guarded"}},
                "/demo/1/open": {"get": {"operationId": "open", "security": []}}
            }
        })
        .to_string();
        let catalogue = Catalogue::read(&[("demo", &text)]).unwrap();
        let schemes = |path| &catalogue.find(&Method::GET, path).unwrap().schemes;
        assert_eq!(schemes("/demo/1/guarded"), &vec![SchemeUsed::Basic]);
        assert!(schemes("/demo/1/open").is_empty());
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let catalogue = Catalogue::get().unwrap();
        let found = catalogue.find(&Method::GET, "/account/1/balance").unwrap();
        assert_eq!(found.id, "get-account-balance");
        assert_eq!(
            catalogue.find(&Method::PATCH, "/account/1/balance").err(),
            Some(NotDescribed::Method)
        );
        assert_eq!(
            catalogue.find(&Method::GET, "/nowhere/1").err(),
            Some(NotDescribed::Path)
        );
    }

    #[test]
    fn of_two_templates_with_as_many_literals_the_earlier_literal_wins() {
        let catalogue = Catalogue::get().unwrap();
        let found = catalogue
            .find(&Method::GET, "/calls/1/sip-trunks/service-addresses/status")
            .unwrap();
        assert_eq!(found.id, "get-sip-trunk-service-address");
    }

    #[test]
    fn path_values_are_named_by_the_template() {
        let catalogue = Catalogue::get().unwrap();
        let operation = catalogue
            .find(&Method::GET, "/settings/2/api-keys/K1")
            .unwrap();
        assert_eq!(
            operation.path_values("/settings/2/api-keys/K1"),
            vec![("apiKeyId", "K1")]
        );
    }

    #[test]
    fn every_endpoint_has_its_operation_with_its_schemes_and_scopes() {
        for endpoint in Endpoint::ALL {
            let operation = endpoint.described().unwrap();
            assert_eq!(
                (operation.method.clone(), operation.path.as_str()),
                endpoint.template(),
                "{endpoint:?}"
            );
        }
        let open: Vec<Endpoint> = Endpoint::ALL
            .into_iter()
            .filter(|e| !e.takes_credentials())
            .collect();
        assert_eq!(open, [Endpoint::CreateSession, Endpoint::CreateOAuth2Token]);
        let described = |endpoint: Endpoint| endpoint.described().unwrap();
        assert!(described(Endpoint::GetAccountBalance).accepts(SchemeUsed::ApiKey));
        // The key endpoints take any scheme but an API key.
        assert!(!described(Endpoint::CreateApiKey).accepts(SchemeUsed::ApiKey));
        assert!(described(Endpoint::CreateApiKey).accepts(SchemeUsed::Bearer));
        assert_eq!(
            described(Endpoint::SendSmsMessages).scopes,
            ["message:send", "sms:message:send", "sms:manage"]
        );
    }
}
