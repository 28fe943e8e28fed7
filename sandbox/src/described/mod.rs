//! Every operation of the descriptions that no stateful handler serves, answered from its
//! description alone.
//!
//! A request is held against its operation (the scheme it accepts, an API key's scopes, its
//! parameters, its body's media type and schema): one that breaks the description gets a 400
//! in Infobip's error format, each violation naming the parameter or the body's property path.
//! One that passes gets the first success the description lists, its body built from the
//! response schema in one of two shapes that alternate call by call (see [`answer`]). Nothing
//! is remembered between calls.
//!
//! What this proves is agreement with the descriptions, not with Infobip: a description that
//! is wrong about Infobip is wrong here too. Auth, account, SMS and 2FA keep their stateful
//! handlers, which the router tries first.

mod answer;
pub(crate) mod calls;
mod catalogue;
pub(crate) mod check;
mod documents;
pub(crate) mod sample;
#[cfg(test)]
mod tests;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::errors::Failure;
use crate::http::{authorization, AppState, Peer};
use crate::model::ErrorFormat;
use crate::state::Shared;

pub use catalogue::LoadError;
pub(crate) use catalogue::{Catalogue, NotDescribed};

/// The router's fallback: the described operation a request is for, checked and answered.
pub(crate) async fn serve(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let catalogue = match Catalogue::get() {
        Ok(catalogue) => catalogue,
        Err(e) => {
            return Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
                .render_as(ErrorFormat::New)
        }
    };
    match catalogue.find(&method, uri.path()) {
        Ok(operation) => respond(&shared, operation, peer, &uri, &headers, &body)
            .unwrap_or_else(|failure| failure.render_as(ErrorFormat::New)),
        // The legacy format, as the sandbox always answered an unknown path.
        Err(NotDescribed::Path) => Failure::not_found(
            "No description in spec/ has this path: the sandbox serves the operations of \
             Infobip's published descriptions only",
        )
        .render_as(ErrorFormat::Legacy),
        Err(NotDescribed::Method) => Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("The descriptions have this path, but not for {method}"),
        )
        .render_as(ErrorFormat::New),
    }
}

fn respond(
    shared: &Shared,
    operation: &catalogue::Operation,
    peer: std::net::SocketAddr,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Failure> {
    if !operation.schemes.is_empty() {
        let principal = shared.authenticate_with(
            |s| operation.accepts(s),
            authorization(headers),
            peer.ip(),
        )?;
        // A user's role reaches every product here; an API key only what its scopes allow.
        if principal.permissions.is_some() {
            let wanted: Vec<&str> = operation.scopes.iter().map(String::as_str).collect();
            shared.require_scopes(&principal, &wanted)?;
        }
    }
    check::request(operation, uri.path(), uri.query(), headers, body)?;
    let shape = shared
        .described
        .next(operation.document.product, &operation.id);
    let status = StatusCode::from_u16(operation.success.status).unwrap_or(StatusCode::OK);
    let Some((media, schema)) = &operation.success.content else {
        return Ok(status.into_response());
    };
    // HTTP forbids a body in a 204, whatever the description declares.
    if status == StatusCode::NO_CONTENT {
        return Ok(status.into_response());
    }
    if media == "application/json" || media.ends_with("+json") {
        let now = crate::time::format(shared.wall());
        let value = answer::example(&operation.document.root, schema, shape, &now);
        let body = serde_json::to_vec(&value)
            .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        return Ok((status, [(header::CONTENT_TYPE, media.as_str())], body).into_response());
    }
    // A download: a few bytes of the declared type stand in for the file.
    Ok((
        status,
        [(header::CONTENT_TYPE, media.as_str())],
        format!("sandbox {media} for {}", operation.id),
    )
        .into_response())
}
