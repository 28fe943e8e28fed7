//! `--debug`: one line on standard error per request, with its method, URL (the values of
//! secret-looking query parameters redacted), status and time taken. Never a header or a
//! body: they hold the credentials and the messages.
//!
//! Read from the spans the auth crate opens around each call (`infobip.call`) and each
//! sign-in (`infobip_auth.token_fetch`, ...), so that every command, generated or not, is
//! covered without a second HTTP stack. Those spans name the operation, not the URL: the
//! URL is the operation's path under the base URL (its parameters as `{name}`), except for
//! `infobip api`, whose span carries the URL it sent.

use std::sync::OnceLock;
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The span `infobip api` sends its request in, with its `url`.
pub const API_SPAN: &str = "infobip_cli.api";
const CALL_SPAN: &str = "infobip.call";
const SIGN_IN_SPANS: &[&str] = &[
    "infobip_auth.token_fetch",
    "infobip_auth.session_create",
    "infobip_auth.session_destroy",
];

/// The base URL of the connection, set once it is made: the spans of generated calls name
/// only the operation.
static BASE_URL: OnceLock<String> = OnceLock::new();

/// Records the base URL the lines print.
pub fn set_base_url(base_url: &str) {
    let _ = BASE_URL.set(base_url.trim_end_matches('/').to_owned());
}

/// The layer that prints the lines, listening to the spans above only.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    Requests.with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
        metadata.is_span()
            && (metadata.name() == CALL_SPAN
                || metadata.name() == API_SPAN
                || SIGN_IN_SPANS.contains(&metadata.name()))
    }))
}

struct Requests;

/// What a span told of its request.
#[derive(Default)]
struct Seen {
    method: Option<String>,
    product: Option<String>,
    operation: Option<String>,
    status: Option<u64>,
    error: Option<String>,
    outcome: Option<String>,
    url: Option<String>,
    duration_ms: Option<u64>,
    started: Option<Instant>,
}

impl Visit for Seen {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = Some(value),
            "duration_ms" => self.duration_ms = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // `%value` fields arrive here, printed with their Display.
        self.set(field, format!("{value:?}"));
    }
}

impl Seen {
    fn set(&mut self, field: &Field, value: String) {
        // Only these fields are kept: nothing else a span carries reaches the output.
        match field.name() {
            "method" => self.method = Some(value),
            "product" => self.product = Some(value),
            "operation" => self.operation = Some(value),
            "error" => self.error = Some(value),
            "outcome" => self.outcome = Some(value),
            "url" => self.url = Some(redacted(&value)),
            _ => {}
        }
    }
}

impl<S> Layer<S> for Requests
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut seen = Seen {
            started: Some(Instant::now()),
            ..Seen::default()
        };
        attrs.record(&mut seen);
        span.extensions_mut().insert(seen);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(seen) = span.extensions_mut().get_mut::<Seen>() {
                values.record(seen);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let name = span.name();
        if name == API_SPAN {
            return;
        }
        let extensions = span.extensions();
        let Some(seen) = extensions.get::<Seen>() else {
            return;
        };
        // `infobip api`'s URL, from the span it sends in.
        let sent_url = span.scope().skip(1).find_map(|parent| {
            parent
                .extensions()
                .get::<Seen>()
                .and_then(|s| s.url.clone())
        });
        eprintln!("debug: {}", line(seen, sent_url, name != CALL_SPAN));
    }
}

/// `METHOD URL STATUS (N ms)`.
fn line(seen: &Seen, sent_url: Option<String>, sign_in: bool) -> String {
    // Operation ids are unique only within a product: the span names both.
    let operation = match (seen.product.as_deref(), seen.operation.as_deref()) {
        (Some(product), Some(id)) => crate::api::operation(product, id),
        _ => None,
    };
    let method = seen
        .method
        .clone()
        .or_else(|| operation.map(|op| op.http_method.to_owned()))
        .unwrap_or_else(|| String::from("?"));
    let base = BASE_URL.get().map(String::as_str).unwrap_or("");
    let url = match (sent_url, operation) {
        (Some(url), _) if !sign_in => url,
        (_, Some(operation)) => format!("{base}{}", operation.path),
        _ => format!("{base} ({})", seen.operation.as_deref().unwrap_or("?")),
    };
    let result = match (&seen.status, &seen.error, &seen.outcome) {
        (Some(status), _, _) => status.to_string(),
        (None, Some(error), _) => error.clone(),
        (None, None, Some(outcome)) => outcome.clone(),
        // A sign-in span records no status: its failure is the command's error.
        (None, None, None) if sign_in => String::from("(sign-in)"),
        _ => String::from("no answer"),
    };
    let elapsed = seen
        .duration_ms
        .or_else(|| {
            seen.started
                .map(|t| u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX))
        })
        .unwrap_or(0);
    format!("{method} {url} {result} ({elapsed} ms)")
}

/// `url` as [`infobip_client::redact::redacted_url`] shows it.
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => infobip_client::redact::redacted_url(&parsed).to_string(),
        // Not a URL: nothing of it is shown, since nothing of it can be checked.
        Err(_) => String::from("[not a URL]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_url_is_not_shown() {
        assert_eq!(redacted("not a url ?token=S3CRET"), "[not a URL]");
    }
}
