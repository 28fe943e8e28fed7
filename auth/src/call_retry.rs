//! Retrying product calls where it is safe: a read that met a throttle, a gateway's failure or
//! no answer is sent again; anything else only when the caller opted in, and then only after
//! failures that prove Infobip did not act on it.
//!
//! Which operations are reads is the description's to say, through the codegen
//! ([`Operation::repeatable`]): `GET`s, except those that hand each item out once (delivery
//! reports, inbound messages), which a second read would not see again.

use std::sync::Arc;

use backon::BackoffBuilder as _;
use infobip_client::Operation;
use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;

use crate::clock::Clock;
use crate::retry::retry_after;
use crate::retry::RetryPolicy;

/// How product calls are retried (see [`ClientBuilder::read_retry`] and
/// [`ClientBuilder::write_retry`]).
///
/// [`ClientBuilder::read_retry`]: crate::ClientBuilder::read_retry
/// [`ClientBuilder::write_retry`]: crate::ClientBuilder::write_retry
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallRetry {
    /// For repeatable operations.
    pub(crate) reads: RetryPolicy,
    /// For every other operation.
    pub(crate) writes: RetryPolicy,
}

tokio::task_local! {
    /// Set while a caller with a retry policy of its own sends.
    static OWN_POLICY: ();
}

/// A stream whose calls go out with the connection's retries off, for a caller that waits out
/// failures its own way (the SMS logs stream, which waits out the logs' rate limit): two
/// policies stacked would multiply each other's attempts.
#[cfg(feature = "sms")]
pub(crate) struct WithoutRetries<S>(pub(crate) S);

#[cfg(feature = "sms")]
impl<S: futures_util::Stream + Unpin> futures_util::Stream for WithoutRetries<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        use futures_util::StreamExt as _;
        OWN_POLICY.sync_scope((), || self.0.poll_next_unpin(cx))
    }
}

impl CallRetry {
    /// The policy for `operation`, if it is retried at all.
    pub(crate) fn policy(&self, operation: &Operation) -> Option<&RetryPolicy> {
        let policy = if operation.repeatable {
            &self.reads
        } else {
            &self.writes
        };
        // The task-local last: a send (no retries by default) never pays for reading it.
        (policy.max_attempts > 1 && OWN_POLICY.try_with(|_| ()).is_err()).then_some(policy)
    }
}

/// Whether an answer or a failure is worth sending `operation` again for, and the wait the
/// answer asked for. A read is resent after 429, 502, 503, 504, a failed connection or a
/// timeout; anything else only after what proves it was not acted on: 429 and 503 (Infobip
/// says it did not process the request) or a connection that was never made.
fn retryable(operation: &Operation, outcome: &reqwest::Result<reqwest::Response>) -> bool {
    match outcome {
        Ok(response) => match response.status() {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => true,
            StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => operation.repeatable,
            _ => false,
        },
        Err(error) => error.is_connect() || (operation.repeatable && error.is_timeout()),
    }
}

/// Sends `request` with `send`, and again while the outcome is retryable and `policy` allows:
/// jittered exponential backoff, or `Retry-After` when it asks for longer (one that asks for
/// more than `max_retry_after` ends the retries). A request whose body cannot be copied (a
/// stream) is sent once. The last outcome is what the caller gets.
pub(crate) async fn run<F, Fut>(
    policy: &RetryPolicy,
    clock: &Arc<dyn Clock>,
    operation: &'static Operation,
    request: reqwest::Request,
    mut send: F,
) -> reqwest::Result<reqwest::Response>
where
    F: FnMut(reqwest::Request) -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    let mut backoff = policy.backoff().build();
    let mut request = request;
    let mut attempt = 1;
    loop {
        let again = request.try_clone();
        let outcome = send(request).await;
        if !retryable(operation, &outcome) {
            return outcome;
        }
        let (Some(next), Some(delay)) = (again, backoff.next()) else {
            return outcome;
        };
        let asked = match &outcome {
            Ok(response) => retry_after(response.headers().get(RETRY_AFTER), clock.wall()),
            Err(_) => None,
        };
        let delay = match asked {
            Some(wait) if wait > policy.max_retry_after => return outcome,
            // Retry-After is a minimum; a 0 still gets the backoff's spacing.
            Some(wait) => delay.max(wait),
            None => delay,
        };
        let status = outcome.as_ref().ok().map(|r| r.status().as_u16());
        tracing::debug!(
            operation = operation.id,
            attempt,
            status,
            delay_ms = crate::clock::millis(delay),
            "sending again"
        );
        // The answer's connection goes back to the pool before the wait.
        drop(outcome);
        clock.sleep(delay).await;
        request = next;
        attempt += 1;
    }
}
