//! The HTTP kit every product's handlers share: the state and peer extractors, the guard that
//! authenticates, checks scopes and throttles, the answer in the endpoint's error format, and
//! the readers of bodies and query values. Product modules import it; it imports no product.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::errors::Failure;
use crate::model::Endpoint;
use crate::state::{Principal, Shared};

/// The state every handler reads.
pub(crate) type AppState = State<Arc<Shared>>;
/// The caller's address (sessions are bound to it, keys may be limited to some).
pub(crate) type Peer = ConnectInfo<SocketAddr>;

pub(crate) fn respond<T: IntoResponse>(endpoint: Endpoint, result: Result<T, Failure>) -> Response {
    match result {
        Ok(ok) => ok.into_response(),
        Err(failure) => failure.render(endpoint),
    }
}

pub(crate) fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Authentication, scope and rate limit, in the order Infobip answers 401, 403, 429.
pub(crate) fn guard(
    shared: &Shared,
    endpoint: Endpoint,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<Principal, Failure> {
    let principal = shared.authenticate(endpoint, authorization(headers), peer.ip())?;
    shared.require_scope(&principal, endpoint)?;
    shared.admit(&principal.account.account_id, endpoint)?;
    Ok(principal)
}

/// Reads a JSON body without insisting on its content type, and reports what is wrong in the
/// endpoint's error format rather than axum's plain text.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    from_json(json_body(body)?)
}

/// A body already read as JSON, as `T`.
pub(crate) fn from_json<T: DeserializeOwned>(body: serde_json::Value) -> Result<T, Failure> {
    serde_json::from_value(body)
        .map_err(|e| Failure::bad_request(format!("The request body is not valid: {e}")))
}

/// A JSON body, each property sent as `null` taken out: Infobip takes one as absent, and its
/// Python SDK sends every optional property it was not given so.
pub(crate) fn json_body(body: &[u8]) -> Result<serde_json::Value, Failure> {
    fn drop_nulls(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(members) => {
                members.retain(|_, member| !member.is_null());
                members.values_mut().for_each(drop_nulls);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
            _ => {}
        }
    }
    let invalid = |e: serde_json::Error| {
        Failure::bad_request(format!("The request body is not valid JSON: {e}"))
    };
    // A `Value` keeps the last of two properties of one name without a word; which one Infobip
    // would read cannot be told, so such a body is refused, as `single_value` refuses a
    // parameter given twice.
    serde_json::from_slice::<Unique>(body).map_err(invalid)?;
    let mut value = serde_json::from_slice(body).map_err(invalid)?;
    drop_nulls(&mut value);
    Ok(value)
}

/// Any JSON in which no object names a property twice (deserializing fails on the second).
struct Unique;

impl<'de> serde::Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Unique)
    }
}

impl<'de> serde::de::Visitor<'de> for Unique {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<Unique, A::Error> {
        while items.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut members: A) -> Result<Unique, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(name) = members.next_key::<String>()? {
            members.next_value::<Unique>()?;
            if !seen.insert(name) {
                // The name only: a value may be a secret.
                return Err(serde::de::Error::custom("a property is given twice"));
            }
        }
        Ok(Unique)
    }
}

/// The value of the field `name` among `fields`, if it has a non-empty one. Every non-empty
/// occurrence must agree: with two different values there is no telling which one Infobip
/// would read, so the sandbox refuses rather than guess. Neither value reaches the error.
pub(crate) fn single_value<'a>(
    name: &str,
    fields: impl Iterator<Item = &'a (String, String)>,
) -> Result<Option<&'a str>, Failure> {
    let mut found: Option<&str> = None;
    for (key, value) in fields {
        if key != name || value.is_empty() {
            continue;
        }
        match found {
            Some(seen) if seen != value => {
                return Err(Failure::invalid(
                    name,
                    "is given more than once, with different values",
                ))
            }
            _ => found = Some(value),
        }
    }
    Ok(found)
}

/// `request` with the trailing slashes of its path taken off (its query kept): Infobip serves
/// `/2fa/2/pin/` as `/2fa/2/pin`, and its Node SDK sends that, but the router matches paths
/// exactly.
pub(crate) fn trim_trailing_slash<B>(request: &mut axum::http::Request<B>) {
    let path = request.uri().path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || trimmed.is_empty() {
        return;
    }
    let rebuilt = match request.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = request.uri().clone().into_parts();
    let Ok(path_and_query) = rebuilt.parse() else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = axum::http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
}

/// A boolean parameter's value, in any case (`true`, `False`), as Infobip reads one:
/// Infobip's Python SDK writes Python's `False`. `None` for anything else.
pub(crate) fn boolean(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A boolean query parameter `name`'s value, refused in Infobip's terms when it is not one.
pub(crate) fn flag_value(name: &str, value: &str) -> Result<bool, Failure> {
    boolean(value).ok_or_else(|| Failure::invalid(name, "must be true or false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_sent_as_null_is_absent() {
        let value = json_body(br#"{"a": null, "b": [{"c": null, "d": 1}], "e": {"f": null}}"#);
        assert_eq!(
            value.ok(),
            Some(serde_json::json!({"b": [{"d": 1}], "e": {}}))
        );
    }

    #[test]
    fn a_property_given_twice_is_refused_at_any_depth() {
        assert!(json_body(br#"{"password": "a", "password": "b"}"#).is_err());
        assert!(json_body(br#"{"m": [{"to": "1", "to": "2"}]}"#).is_err());
        assert!(json_body(br#"{"a": {"b": 1}, "c": {"b": 1}}"#).is_ok());
    }

    #[test]
    fn a_trailing_slash_is_taken_off_the_path_not_the_query() {
        let trimmed = |uri: &str| {
            let mut request = axum::http::Request::builder().uri(uri).body(()).ok();
            if let Some(request) = request.as_mut() {
                trim_trailing_slash(request);
            }
            request.map(|r| r.uri().to_string())
        };
        assert_eq!(
            trimmed("/2fa/2/pin/?ncNeeded=false").as_deref(),
            Some("/2fa/2/pin?ncNeeded=false")
        );
        assert_eq!(trimmed("/sms/1/logs//").as_deref(), Some("/sms/1/logs"));
        assert_eq!(trimmed("/").as_deref(), Some("/"));
        assert_eq!(trimmed("/a?b=c/").as_deref(), Some("/a?b=c/"));
    }

    /// Infobip's Python SDK sends Python's `False` (a 2FA send's `ncNeeded`).
    #[test]
    fn a_boolean_is_read_in_any_case() {
        assert_eq!(flag_value("ncNeeded", "False").ok(), Some(false));
        assert_eq!(flag_value("ncNeeded", "TRUE").ok(), Some(true));
        assert_eq!(flag_value("ncNeeded", "true").ok(), Some(true));
        let refused = flag_value("ncNeeded", "yes").err().map(|f| f.violations);
        assert_eq!(
            refused,
            Some(vec![(
                "ncNeeded".to_owned(),
                "must be true or false".to_owned()
            )])
        );
    }
}
