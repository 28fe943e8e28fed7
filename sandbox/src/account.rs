//! The auth and account endpoints (`spec/account.yaml`): sessions, OAuth tokens, API keys and
//! the balance.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::ExposeSecret as _;

use crate::account_bodies::{
    Balance, CreateKeyRequest, OrderDirection, SessionAnswer, SessionRequest, TokenAnswer,
    UpdateKeyRequest,
};
use crate::errors::Failure;
use crate::http::{authorization, guard, parse_json, respond, single_value, AppState, Peer};
use crate::keys::Present;
use crate::model::Endpoint;
use crate::state::{KeyFilter, Shared};

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/auth/1/session",
            post(create_session).delete(destroy_session),
        )
        .route("/auth/1/oauth2/token", post(create_oauth2_token))
        .route("/settings/2/api-keys", get(list_keys).post(create_key))
        .route("/settings/2/api-keys/{id}", get(get_key).put(update_key))
        .route("/account/1/balance", get(balance))
}

async fn create_session(State(shared): AppState, ConnectInfo(peer): Peer, body: Bytes) -> Response {
    let result = parse_json::<SessionRequest>(&body).and_then(|request| {
        let token = shared.create_session(
            &request.username,
            request.password.expose_secret(),
            request.unsafe_.unwrap_or(false),
            peer.ip(),
        )?;
        Ok(Json(SessionAnswer { token: &token }).into_response())
    });
    respond(Endpoint::CreateSession, result)
}

async fn destroy_session(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Response {
    let result = shared
        .destroy_session(authorization(&headers), peer.ip())
        .map(|()| StatusCode::OK);
    respond(Endpoint::DestroySession, result)
}

async fn create_oauth2_token(
    State(shared): AppState,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    respond(
        Endpoint::CreateOAuth2Token,
        issue_token(&shared, &headers, uri.query(), &body),
    )
}

/// The token request's fields: the only query keys the warning names, so that no key a client
/// made up reaches the log.
const TOKEN_FIELDS: [&str; 3] = ["grant_type", "client_id", "client_secret"];

fn issue_token(
    shared: &Shared,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Response, Failure> {
    let form = token_form(headers, body)?;
    // Infobip's community Node SDK sends every field in the query string with an empty body.
    let query: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|_| Failure::bad_request("The query string is not valid"))?;
    let from_query: Vec<&str> = TOKEN_FIELDS
        .into_iter()
        .filter(|name| query.iter().any(|(k, v)| k == name && !v.is_empty()))
        .collect();
    if from_query.contains(&"client_secret") {
        // Names only: the values are the account's credentials.
        tracing::warn!(
            fields = ?from_query,
            "the token request carries client_secret in its URL, where proxies and access \
             logs keep it; send the credentials in the form body"
        );
    }
    let field = |name: &str| token_field(name, form.iter().chain(&query));
    let grant_type = field("grant_type")?;
    if grant_type != "client_credentials" {
        return Err(Failure::invalid(
            "grant_type",
            "only `client_credentials` is supported",
        ));
    }
    let client_id = field("client_id")?;
    let client_secret = field("client_secret")?;
    let token = shared.issue_oauth(client_id, client_secret)?;
    // The spec's field is int32; a configured lifetime beyond it is reported saturated.
    let expires_in = shared
        .config
        .oauth_expires_in
        .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    Ok(Json(TokenAnswer {
        access_token: &token,
        expires_in,
        token_type: "Bearer",
    })
    .into_response())
}

/// The form body's fields. An empty body needs no content type: a client that sends the
/// credentials in the query string has nothing to declare.
fn token_form(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, Failure> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Failure::bad_request(
            "The token request must be application/x-www-form-urlencoded",
        ));
    }
    serde_urlencoded::from_bytes(body)
        .map_err(|e| Failure::bad_request(format!("The form body is not valid: {e}")))
}

/// One field's value from the form body and the query string together; see [`single_value`].
fn token_field<'a>(
    name: &str,
    fields: impl Iterator<Item = &'a (String, String)>,
) -> Result<&'a str, Failure> {
    single_value(name, fields)?.ok_or_else(|| Failure::invalid(name, "is required"))
}

async fn balance(State(shared): AppState, ConnectInfo(peer): Peer, headers: HeaderMap) -> Response {
    let result = guard(&shared, Endpoint::GetAccountBalance, &headers, peer).map(|principal| {
        Json(Balance {
            balance: principal.account.balance,
            currency: "EUR",
        })
    });
    respond(Endpoint::GetAccountBalance, result)
}

async fn list_keys(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let endpoint = Endpoint::GetApiKeysByFilter;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let filter = key_filter(query)?;
        shared.list_keys(&principal.account, filter)
    });
    respond(endpoint, result.map(Json))
}

fn key_filter(mut query: HashMap<String, String>) -> Result<KeyFilter, Failure> {
    fn number(query: &HashMap<String, String>, name: &str) -> Result<Option<i32>, Failure> {
        query
            .get(name)
            .map(|v| {
                v.parse::<i32>()
                    .map_err(|_| Failure::invalid(name, "must be an integer"))
            })
            .transpose()
    }
    let page = number(&query, "page")?.unwrap_or(0);
    if page < 0 {
        return Err(Failure::invalid("page", "must be 0 or more"));
    }
    let size = number(&query, "size")?.unwrap_or(100);
    if size < 1 {
        return Err(Failure::invalid("size", "must be at least 1"));
    }
    let enabled = query
        .get("enabled")
        .map(|v| crate::http::flag_value("enabled", v))
        .transpose()?;
    let order_direction = query
        .get("orderDirection")
        .map(|v| {
            OrderDirection::parse(v)
                .ok_or_else(|| Failure::invalid("orderDirection", "must be ASC or DESC"))
        })
        .transpose()?;
    Ok(KeyFilter {
        account_id: query.remove("accountId"),
        name: query.remove("name"),
        enabled,
        secret: query.remove("apiKeySecret"),
        page,
        // Infobip's maximum; a larger request gets a full page rather than an error.
        size: size.min(100),
        order_by: query.remove("orderBy"),
        order_direction,
    })
}

async fn create_key(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::CreateApiKey;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request = parse_json::<CreateKeyRequest>(&body)?;
        shared.create_key(&principal.account, request)
    });
    respond(endpoint, result.map(Json))
}

async fn get_key(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let endpoint = Endpoint::GetApiKey;
    let result = guard(&shared, endpoint, &headers, peer)
        .and_then(|principal| shared.get_key(&principal.account, &id));
    respond(endpoint, result.map(Json))
}

async fn update_key(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::UpdateApiKey;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request = parse_json::<UpdateKeyRequest>(&body)?;
        let raw = parse_json::<serde_json::Map<String, serde_json::Value>>(&body)?;
        let present = Present {
            allowed_ips: raw.contains_key("allowedIPs"),
            permissions: raw.contains_key("permissions"),
            platform: raw.contains_key("platform"),
        };
        shared.update_key(&principal.account, &id, request, present)
    });
    respond(endpoint, result.map(Json))
}
