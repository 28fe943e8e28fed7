//! The whole HTTP surface: the stateful products' handlers (`account`, `sms`, `two_factor`),
//! then every other described operation (`described`), behind the middleware that records
//! requests and plays injected faults.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::Notify;

use crate::errors::Failure;
use crate::http::{authorization, AppState};
use crate::model::{redact_query, Endpoint, Fault, RecordedRequest, SchemeUsed};
use crate::state::{Shared, TakenFault};

/// Lets a handler close its connection without answering (see [`Fault::DropConnection`]).
#[derive(Clone, Debug)]
pub(crate) struct ConnectionKill(pub Arc<Notify>);

/// Request bodies larger than this are refused; the real bodies are a few hundred bytes.
const BODY_LIMIT: usize = 1024 * 1024;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(crate::account::router())
        .merge(crate::sms::routes::router())
        .merge(crate::two_factor::routes::router())
        .fallback(crate::described::serve)
        .layer(middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// The answer of a [`Fault::Reply`]: exactly its status, headers and body. Something that is
/// not valid HTTP (a status over 999, a header value with a newline) is a 500 that says so.
fn exact_reply(status: u16, headers: &[(String, String)], body: String) -> Response {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response.body(Body::from(body)).unwrap_or_else(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the injected reply is not valid HTTP: {e}"),
        )
            .into_response()
    })
}

/// Records every request, then plays the endpoint's next injected fault, if any.
async fn record(State(shared): AppState, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    // hyper bounds the wait for the head; this bounds the body's, so that a client that sends
    // a few bytes a minute cannot hold a connection (and the memory it reads into) for good.
    let body = match tokio::time::timeout(
        shared.config.read_timeout,
        axum::body::to_bytes(body, BODY_LIMIT),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        Err(_) => return StatusCode::REQUEST_TIMEOUT.into_response(),
    };
    let endpoint = Endpoint::route(&parts.method, parts.uri.path());
    let scheme = authorization(&parts.headers)
        .and_then(SchemeUsed::parse)
        .map(|(scheme, _)| scheme);
    let (kept_body, truncated) = shared.log.keep_body(&body);
    let ticket = shared.log.record(
        RecordedRequest {
            // The log numbers it.
            seq: 0,
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(redact_query),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: kept_body,
            body_len: body.len(),
            endpoint,
            scheme,
            status: None,
        },
        truncated,
    );
    // Only the method, path and scheme name: header values, bodies and queries (`apiKeySecret`)
    // hold secrets.
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let scheme_name = scheme.map_or("none", SchemeUsed::name);
    let kill = parts.extensions.get::<ConnectionKill>().cloned();
    let (fault, barrier) = match endpoint.and_then(|e| shared.take_fault(e).map(|f| (e, f))) {
        Some((endpoint, TakenFault { fault, barrier })) => (Some((endpoint, fault)), barrier),
        None => (None, None),
    };
    let response = match fault {
        Some((
            endpoint,
            Fault::Status {
                status,
                retry_after,
                ..
            },
        )) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let text = status.canonical_reason().unwrap_or("Injected failure");
            Failure::new(status, format!("{text} (injected by the sandbox)"))
                .with_retry_after(retry_after)
                .render(endpoint)
        }
        Some((endpoint, Fault::MalformedBody { .. })) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            endpoint.truncated_body(),
        )
            .into_response(),
        Some((_, Fault::DropConnection { .. })) => {
            tracing::info!(%method, %path, scheme = scheme_name, "dropping the connection (injected fault)");
            if let Some(ConnectionKill(kill)) = kill {
                kill.notify_one();
            }
            // The connection task drops this future together with the connection.
            std::future::pending::<()>().await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some((_, Fault::Delay { delay, .. })) => {
            tokio::time::sleep(delay).await;
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Some((
            _,
            Fault::Reply {
                status,
                headers,
                body,
                ..
            },
        )) => exact_reply(status, &headers, body),
        Some((_, Fault::Hold { .. })) => {
            if let Some(barrier) = barrier {
                barrier.wait().await;
            }
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        None => next.run(Request::from_parts(parts, Body::from(body))).await,
    };
    shared.log.answered(ticket, response.status().as_u16());
    tracing::info!(
        %method,
        %path,
        scheme = scheme_name,
        status = response.status().as_u16(),
        "handled"
    );
    response
}
