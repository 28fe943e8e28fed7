//! What every generated `send` does once progenitor's code has built its request: send it
//! through the [`Authenticator`](crate::Authenticator) in the call's span, make the answer
//! safe to show and note a deprecation, read it, and turn each failure into an [`Error`] that
//! names the operation.
//!
//! Codegen rewrites each `send` to call these (see `codegen/src/sends.rs`), so that an
//! operation returns the rim's error type and progenitor's hooks, which can fail a call only
//! with text, are not used.

use std::fmt;
use std::future::Future;
use std::time::Instant;

use futures_util::future::Either;
use futures_util::FutureExt as _;
use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::buffered::{declared_over, read_bounded};
use crate::deprecation::RequestLine;
use crate::error::Chain;
use crate::hooks::Call;
use crate::{redact, trace, Auth, Error, ErrorKind, InfobipError, Operation, Rebuild, Transport};

/// Authenticates `request` and sends it: the answer, whatever its status, or why none came.
///
/// This and the answer's readers below are plain functions whose futures use what they were
/// given where it was captured. An `async fn` keeps its arguments and a moved copy of each
/// for as long as it runs, so a request (or an answer) held across an `.await` took its
/// space twice, in this future and in every one that holds it: a generated call's future,
/// moved on every call.
// Called by every product module: unused only in a build without any product.
#[allow(dead_code)]
pub(crate) fn execute<'a>(
    auth: &'a Auth,
    transport: &'a reqwest::Client,
    operation: &'static Operation,
    mut request: reqwest::Request,
) -> impl Future<Output = Result<reqwest::Response, Error>> + 'a {
    let call = Call {
        operation,
        transport: transport as &dyn Transport,
    };
    async move {
        auth.authenticator()
            .prepare(call, &mut request)
            .outcome()
            .await
            .map_err(|error| Error::new(operation, ErrorKind::Auth(error)))?;
        let guarded = auth.authenticator().guards_answers();
        let answer = dispatch(auth, call, request, None, guarded).await;
        if guarded {
            answered(auth, operation, None, &answer);
        }
        answer.map_err(|error| transport_error(operation, error))
    }
}

/// Sends a prepared request through the authenticator (with `rebuild`, for a body that can be
/// sent once only); for an authenticator that [guards its answers](crate::Authenticator::guards_answers),
/// in the call's span, with what comes back (an error, a response) made safe to show, and a
/// deprecation notice logged once.
pub(crate) fn send<'a>(
    auth: &'a Auth,
    call: Call<'a>,
    request: reqwest::Request,
    rebuild: Option<&'a dyn Rebuild>,
) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
    let line = RequestLine::of(call.operation, &request);
    let guarded = auth.authenticator().guards_answers();
    dispatch(auth, call, request, rebuild, guarded).map(move |answer| {
        if guarded {
            answered(auth, call.operation, line.as_ref(), &answer);
        }
        answer
    })
}

/// [`send`] up to the answer, without its deprecation notice ([`answered`]), for an
/// authenticator that guards its answers (`guarded`) or not. The route is chosen and the
/// request handed on when called, not when first polled, and the hot path gets the
/// authenticator's own future: a call's future then holds one boxed future, and not the
/// request or a wrapper as well.
fn dispatch<'a>(
    auth: &'a Auth,
    call: Call<'a>,
    request: reqwest::Request,
    rebuild: Option<&'a dyn Rebuild>,
    guarded: bool,
) -> crate::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
    let authenticator = auth.authenticator();
    if !guarded {
        return sent(auth, call, request, rebuild);
    }
    let span = trace::call_span(call.operation, authenticator.scheme(), &request);
    // Nobody listens and nothing could come back with a secret in it: the hot path.
    if span.is_disabled()
        && call.operation.reads_secrets.is_none()
        && !redact::url_has_secret(request.url())
    {
        sent(auth, call, request, rebuild)
    } else {
        Box::pin(traced(auth, span, call, request, rebuild))
    }
}

/// Logs a `Deprecation` or `Sunset` answer of `operation` (of `line`, a request written by
/// hand) once (for an authenticator that guards its answers).
fn answered(
    auth: &Auth,
    operation: &'static Operation,
    line: Option<&RequestLine>,
    answer: &reqwest::Result<reqwest::Response>,
) {
    if let Ok(response) = answer {
        auth.notice(operation, line, response);
    }
}

/// [`send`] when its span is recorded or its answer may hold a secret.
async fn traced(
    auth: &Auth,
    span: tracing::Span,
    call: Call<'_>,
    request: reqwest::Request,
    rebuild: Option<&dyn Rebuild>,
) -> reqwest::Result<reqwest::Response> {
    let method = request.method().clone();
    let started = Instant::now();
    let answer = async {
        match sent(auth, call, request, rebuild).await {
            Ok(response) => redact::response(call.operation, response).await,
            Err(error) => Err(redact::error(error)),
        }
    };
    if span.is_disabled() {
        return answer.await;
    }
    let answer = answer.instrument(span.clone()).await;
    trace::answered(&span, started, &method, answer).await
}

/// The authenticator's send.
fn sent<'a>(
    auth: &'a Auth,
    call: Call<'a>,
    request: reqwest::Request,
    rebuild: Option<&'a dyn Rebuild>,
) -> crate::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
    match rebuild {
        Some(rebuild) => auth
            .authenticator()
            .send_rebuildable(call, request, rebuild),
        None => auth.authenticator().send(call, request),
    }
}

/// A failure of the transport: the request could not be built (an invalid URL), or no answer
/// came.
pub(crate) fn transport_error(operation: &'static Operation, error: reqwest::Error) -> Error {
    if error.is_builder() {
        // reqwest's text names the URL ("builder error for url (...)"), which can carry a
        // secret (`apiKeySecret`); its cause says what was wrong with it (a scheme other than
        // http or https, no host).
        return invalid_request(operation, Chain(&error.without_url()));
    }
    Error::new(operation, ErrorKind::Transport(error))
}

/// Values that do not make a valid request of `operation`.
pub(crate) fn invalid_request(operation: &'static Operation, message: impl fmt::Display) -> Error {
    Error::new(operation, ErrorKind::InvalidRequest(message.to_string()))
}

/// A JSON success answer, decoded as the operation's description says.
// Called by every product module: unused only in a build without any product.
#[allow(dead_code)]
pub(crate) fn json<T: DeserializeOwned>(
    operation: &'static Operation,
    mut response: reqwest::Response,
) -> impl Future<Output = Result<ResponseValue<T>, Error>> {
    let status = response.status();
    // Taken, not copied: reading the body needs none of them.
    let headers = std::mem::take(response.headers_mut());
    if declared_over(&response, Error::SUCCESS_BODY_LIMIT) {
        return Either::Left(std::future::ready(Err(too_large(operation, status))));
    }
    let read = read_bounded(response, Error::SUCCESS_BODY_LIMIT);
    Either::Right(read.map(move |read| {
        let (body, cut) = read.map_err(|error| transport_error(operation, error))?;
        if cut {
            return Err(too_large(operation, status));
        }
        decoded(operation, status, headers, &body)
    }))
}

/// A success answer larger than [`Error::SUCCESS_BODY_LIMIT`].
fn too_large(operation: &'static Operation, status: reqwest::StatusCode) -> Error {
    Error::new(
        operation,
        ErrorKind::InvalidResponse {
            status: status.as_u16(),
            reason: format!(
                "the answer is larger than {} MiB, more than any JSON answer of Infobip's",
                Error::SUCCESS_BODY_LIMIT >> 20
            ),
            body: String::new(),
        },
    )
}

/// `body`, a success answer of `operation`, decoded.
fn decoded<T: DeserializeOwned>(
    operation: &'static Operation,
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<ResponseValue<T>, Error> {
    match serde_json::from_slice(body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(error) => {
            // The body may be a success body that holds a secret (a token, an API key's
            // secret) in an unexpected shape. serde's message can quote a value, so only its
            // kind and position are kept, and of the body only what the error reader shows.
            let reason = format!(
                "{} at line {} column {}",
                match error.classify() {
                    serde_json::error::Category::Io => "unreadable",
                    serde_json::error::Category::Syntax => "not JSON",
                    serde_json::error::Category::Data => "JSON of another shape",
                    serde_json::error::Category::Eof => "cut short",
                },
                error.line(),
                error.column()
            );
            Err(Error::new(
                operation,
                ErrorKind::InvalidResponse {
                    status: status.as_u16(),
                    reason,
                    body: InfobipError::shown(body),
                },
            ))
        }
    }
}

/// An answer with a status the operation has no success for.
// Called by every product module: unused only in a build without any product.
#[allow(dead_code)]
pub(crate) fn failure<T>(
    operation: &'static Operation,
    response: reqwest::Response,
) -> impl Future<Output = Result<T, Error>> {
    Error::from_response(operation, response).map(Err)
}
