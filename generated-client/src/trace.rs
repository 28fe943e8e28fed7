//! The span every product call runs in, with what a support ticket asks for: the operation,
//! the status Infobip answered, and the bulk and message ids the call named or was given.
//! Never a secret, a message's text or a destination: only those fields are read.

use std::time::Instant;

use serde::Deserialize;
use tracing::field::Empty;
use tracing::level_filters::LevelFilter;
use tracing::{Level, Span};

use crate::{Operation, Scheme};

/// The most ids one field lists; a bulk of thousands would otherwise fill every log line.
const MAX_IDS: usize = 10;

/// The longest answer read for its ids (the answer to a send of a thousand messages is about
/// 200 KiB); a longer one is handed on as it streams, its ids unrecorded.
const MAX_READ: usize = 1 << 20;

/// The span of one call of `operation` (authenticated with `scheme`, if known), with the ids
/// its query names (`bulkId`, `messageId`: what a report or log read asks for).
pub(crate) fn call_span(
    operation: &'static Operation,
    scheme: Option<Scheme>,
    request: &reqwest::Request,
) -> Span {
    if !anyone_listens() {
        return Span::none();
    }
    let span = tracing::info_span!(
        "infobip.call",
        product = operation.product,
        operation = operation.id,
        method = %request.method(),
        scheme = scheme.map(tracing::field::display),
        status = Empty,
        error = Empty,
        bulk_id = Empty,
        message_id = Empty,
        messages = Empty,
        duration_ms = Empty,
    );
    if span.is_disabled() || request.url().query().is_none() {
        return span;
    }
    let mut bulk_ids = Vec::new();
    let mut message_ids = Vec::new();
    for (name, value) in request.url().query_pairs() {
        match name.as_ref() {
            "bulkId" => bulk_ids.extend(value.split(',').map(str::to_owned)),
            "messageId" => message_ids.extend(value.split(',').map(str::to_owned)),
            _ => {}
        }
    }
    record_ids(&span, &bulk_ids, &message_ids);
    span
}

/// Whether anything could take an `info` span: a `tracing` subscriber that enables `info`
/// anywhere, or a `log` logger at `info` or finer (to which `tracing` hands its spans when no
/// subscriber is set and its `log` feature is on). With neither, `tracing` still builds a
/// span's fields for `log` before `log` drops them: a cost on every call of a service that
/// logs nothing, which this check spares it.
fn anyone_listens() -> bool {
    LevelFilter::current() >= Level::INFO || log::max_level() >= log::LevelFilter::Info
}

/// Records how the call ended: the status, and for a call that created messages (a 2xx to a
/// POST), the bulk and message ids Infobip gave them, read from the answer's body (which is
/// handed on unchanged).
pub(crate) async fn answered(
    span: &Span,
    started: Instant,
    request_method: &reqwest::Method,
    response: reqwest::Result<reqwest::Response>,
) -> reqwest::Result<reqwest::Response> {
    span.record("duration_ms", crate::time::millis(started.elapsed()));
    let response = match response {
        Ok(response) => response,
        Err(error) => {
            let kind = if error.is_timeout() {
                "timed out"
            } else if error.is_connect() {
                "could not connect"
            } else {
                "no answer"
            };
            span.record("error", kind);
            tracing::debug!(parent: span, error = kind, "the call got no answer");
            return Err(error);
        }
    };
    let status = response.status();
    span.record("status", status.as_u16());
    let names_ids = status.is_success()
        && request_method == reqwest::Method::POST
        && is_json(&response)
        && !span.is_disabled();
    if !names_ids {
        tracing::debug!(parent: span, status = status.as_u16(), "answered");
        return Ok(response);
    }
    // What the caller gets is what it would have got: the same body, or the same failure to
    // read it (a send whose answer broke off stays a body error, never "no answer", which a
    // caller could take as a reason to send again).
    let (parts, read) = crate::buffered::read(response, MAX_READ).await;
    let crate::buffered::Read::Whole(body) = read else {
        tracing::debug!(parent: span, status = status.as_u16(), "answered; the body was not read for ids");
        return Ok(crate::buffered::rebuild(parts, read.into_body()));
    };
    if let Some((bulk_id, messages)) = created_ids(&body) {
        let message_ids: Vec<String> = messages.iter().flatten().cloned().collect();
        record_ids(span, bulk_id.as_slice(), &message_ids);
        if !messages.is_empty() {
            span.record("messages", messages.len());
        }
    }
    tracing::debug!(parent: span, status = status.as_u16(), "answered");
    Ok(crate::buffered::rebuild(parts, body))
}

/// Whether the answer is one JSON document (`application/json`, or a `+json` type), not a
/// stream of them (`application/x-ndjson`) or anything else.
pub(crate) fn is_json(response: &reqwest::Response) -> bool {
    let Some(value) = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .rsplit_once('+')
            .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json"))
}

fn record_ids(span: &Span, bulk_ids: &[String], message_ids: &[String]) {
    if !bulk_ids.is_empty() {
        span.record("bulk_id", listed(bulk_ids));
    }
    if !message_ids.is_empty() {
        span.record("message_id", listed(message_ids));
    }
}

/// Up to ten ids (`MAX_IDS`), comma-separated, and how many more there were.
fn listed(ids: &[String]) -> String {
    let shown = ids[..ids.len().min(MAX_IDS)].join(",");
    match ids.len().saturating_sub(MAX_IDS) {
        0 => shown,
        more => format!("{shown} (+{more})"),
    }
}

/// The bulk id and each message's id in `body`, the answer to a call that created messages,
/// if it is one.
fn created_ids(body: &[u8]) -> Option<(Option<String>, Vec<Option<String>>)> {
    let created: Created = serde_json::from_slice(body).ok()?;
    let messages = created.messages.into_iter().map(|m| m.message_id);
    Some((created.bulk_id, messages.collect()))
}

/// The ids in the answer to a call that created messages: Infobip's products answer a send
/// with a `bulkId` and one `messages` entry per message, each with its `messageId`. Every
/// other field is skipped unread.
#[derive(Deserialize)]
struct Created {
    #[serde(rename = "bulkId")]
    bulk_id: Option<String>,
    #[serde(default)]
    messages: Vec<CreatedMessage>,
}

#[derive(Deserialize)]
struct CreatedMessage {
    #[serde(rename = "messageId")]
    message_id: Option<String>,
}
