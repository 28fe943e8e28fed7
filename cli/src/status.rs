//! The status of the last answer Infobip gave this process, read from the auth crate's
//! `infobip.call` spans. Progenitor's error for an answer it could not read (the HTML page or
//! empty body of a gateway in front of Infobip) carries no status, and the exit code depends
//! on it: a 401 is an authentication failure whatever its body.
//!
//! The last answer is the failed call's because every command makes its calls one after
//! another; a command that made them concurrently would need the status per call.

use std::fmt;
use std::sync::atomic::{AtomicU16, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::{Id, Record};
use tracing::Subscriber;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, Layer};

/// Zero until an answer arrives.
static LAST: AtomicU16 = AtomicU16::new(0);

/// The status of the last answer, if there was one.
pub fn last() -> Option<u16> {
    match LAST.load(Ordering::Relaxed) {
        0 => None,
        status => Some(status),
    }
}

/// The layer that keeps [`last`] up to date: it enables the call spans, and nothing else.
pub fn layer<S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>>() -> impl Layer<S>
{
    Recorder.with_filter(filter_fn(|metadata| {
        metadata.is_span() && metadata.name() == "infobip.call"
    }))
}

struct Recorder;

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_record(&self, _span: &Id, values: &Record<'_>, _context: Context<'_, S>) {
        values.record(&mut Status);
    }
}

/// Takes the `status` field of a call span as it is recorded.
struct Status;

impl Visit for Status {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "status" {
            LAST.store(u16::try_from(value).unwrap_or(0), Ordering::Relaxed);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}
