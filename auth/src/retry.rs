//! Retrying the token and session endpoints: which failures are worth another attempt, how
//! long to wait (jittered exponential backoff, or what `Retry-After` asks), and when to stop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder as _, ExponentialBuilder};
use infobip_client::Operation;

use crate::clock::Clock;
use crate::error::{AuthError, Cause};

/// How requests are retried when they fail transiently: the token and session endpoints
/// ([`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy): 429, 5xx, connection
/// errors, timeouts; bad credentials never) and product calls
/// ([`read_retry`](crate::ClientBuilder::read_retry),
/// [`write_retry`](crate::ClientBuilder::write_retry)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests sent at most, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one, with jitter.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            ..Self::never()
        }
    }
}

/// How long logins pause after one failed: calls that need a login during the pause fail at
/// once with the remembered failure (a token that still works keeps being served), so that a
/// bad password or a throttled account does not turn every call into a login request.
///
/// The pause starts at `first` and doubles with each failure in a row, up to `max`; a longer
/// `Retry-After` from Infobip is honoured up to `max_retry_after` (so that a bogus header
/// from a proxy cannot stop a service for an hour). A success ends it, and so does
/// [`ClientExt::clear_login_cooldown`](crate::ClientExt::clear_login_cooldown) (after
/// rotating credentials, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginCooldown {
    /// The pause after a first failure.
    pub first: Duration,
    /// The longest pause the doubling reaches.
    pub max: Duration,
    /// The longest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl Default for LoginCooldown {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(5 * 60),
        }
    }
}

impl LoginCooldown {
    /// The pause after `error`, the `streak`-th failure in a row. A failure another process
    /// of the fleet reported carries its own pause, which this one keeps.
    pub(crate) fn pause(&self, error: &AuthError, streak: u32) -> Duration {
        if let AuthError::FailedElsewhere { retry_in, .. } = error {
            return *retry_in;
        }
        let doubling = self
            .first
            .saturating_mul(1u32 << streak.saturating_sub(1).min(20))
            .min(self.max);
        match error.retry_after() {
            Some(wait) => doubling.max(wait.min(self.max_retry_after)),
            None => doubling,
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub const fn never() -> Self {
        Self {
            max_attempts: 1,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
        }
    }

    /// The backoff: each wait is between half and all of `base_delay` doubled per attempt
    /// (capped at `max_delay`), so that retries stay spaced and many clients do not retry in
    /// step.
    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_min_delay(self.base_delay / 2)
            .with_max_delay(self.max_delay / 2)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
    }
}

/// How one attempt at a login endpoint failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Worth another attempt: 408, 429, 5xx, no answer.
    Transient {
        cause: Cause,
        retry_after: Option<Duration>,
        /// Whether the server may have acted on the request (a timeout after sending, a
        /// 500): resending a create-session could then leave a second session behind.
        may_have_acted: bool,
    },
    /// Not worth another attempt.
    Final(AuthError),
}

/// Runs `attempt` until it succeeds, fails for good, or the policy runs out. A transient
/// failure after which the server may have acted is resent only if `resend_if_acted`.
pub(crate) async fn run<T, F, Fut>(
    policy: &RetryPolicy,
    clock: &Arc<dyn Clock>,
    operation: &'static Operation,
    resend_if_acted: bool,
    mut attempt: F,
) -> Result<T, AuthError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut backoff = policy.backoff().build();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (cause, retry_after, may_have_acted) = match attempt().await {
            Ok(value) => return Ok(value),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Transient {
                cause,
                retry_after,
                may_have_acted,
            }) => (cause, retry_after, may_have_acted),
        };
        let give_up = |cause| AuthError::Unavailable {
            operation,
            attempts,
            retry_after,
            cause,
        };
        if may_have_acted && !resend_if_acted {
            return Err(give_up(Cause::Other(format!(
                "{cause} (not resent: the server may have acted on it)"
            ))));
        }
        let Some(delay) = backoff.next() else {
            return Err(give_up(cause));
        };
        let delay = match retry_after {
            Some(wait) if wait > policy.max_retry_after => {
                return Err(give_up(Cause::Other(format!(
                    "{cause}; Infobip asked to retry after {} s, longer than the {} s this \
                     client waits",
                    wait.as_secs(),
                    policy.max_retry_after.as_secs()
                ))))
            }
            // Retry-After is a minimum; a 0 still gets the backoff's spacing.
            Some(wait) => delay.max(wait),
            None => delay,
        };
        tracing::debug!(
            attempt = attempts,
            delay_ms = crate::clock::millis(delay),
            cause = %cause,
            "retrying"
        );
        clock.sleep(delay).await;
    }
}

pub(crate) use infobip_client::retry_after;

/// Sorts an HTTP status of a failed login call: worth retrying, and whether the server may
/// have acted on the request.
pub(crate) fn transient(status: u16) -> Option<bool> {
    match status {
        // 429 and 503 say the request was not processed.
        429 | 503 => Some(false),
        408 | 500..=599 => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::ManualClock;
    use infobip_client::account::operations::CREATE_OAUTH2_TOKEN;

    fn unavailable(retry_after: Option<Duration>, may_have_acted: bool) -> Failure {
        Failure::Transient {
            cause: Cause::Other(String::from("HTTP 503")),
            retry_after,
            may_have_acted,
        }
    }

    async fn failing(
        policy: RetryPolicy,
        resend: bool,
        failures: Vec<Failure>,
    ) -> (Result<(), AuthError>, Vec<Duration>, usize) {
        let clock = ManualClock::new();
        let failures = std::sync::Mutex::new(failures.into_iter());
        let calls = std::cell::Cell::new(0);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let result = run(&policy, &shared, &CREATE_OAUTH2_TOKEN, resend, || {
            calls.set(calls.get() + 1);
            let next = failures.lock().unwrap().next();
            async move { next.map_or(Ok(()), Err) }
        })
        .await;
        (result, clock.slept(), calls.get())
    }

    #[tokio::test]
    async fn backoff_doubles_with_jitter_between_half_and_all_of_each_step() {
        let policy = RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for _ in 0..20 {
            let failures = (0..5).map(|_| unavailable(None, false)).collect();
            let (result, slept, calls) = failing(policy, true, failures).await;
            assert!(result.is_ok());
            assert_eq!(calls, 6);
            let steps = [200, 400, 800, 1000, 1000];
            for (slept, step) in slept.iter().zip(steps) {
                let step = Duration::from_millis(step);
                assert!(
                    *slept >= step / 2 && *slept <= step,
                    "{slept:?} for {step:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn the_policy_bounds_the_attempts_and_names_them() {
        let failures = (0..5).map(|_| unavailable(None, false)).collect();
        let (result, slept, calls) = failing(RetryPolicy::default(), true, failures).await;
        assert_eq!(calls, 3);
        assert_eq!(slept.len(), 2);
        let error = result.unwrap_err();
        assert!(
            matches!(error, AuthError::Unavailable { attempts: 3, .. }),
            "{error}"
        );
        assert!(error.is_retryable());
    }

    #[tokio::test]
    async fn retry_after_is_a_minimum_and_too_long_a_one_stops_at_once() {
        let wait = Some(Duration::from_secs(7));
        let (result, slept, _) =
            failing(RetryPolicy::default(), true, vec![unavailable(wait, false)]).await;
        assert!(result.is_ok());
        assert_eq!(slept, vec![Duration::from_secs(7)]);

        let long = Some(Duration::from_secs(3600));
        let (result, slept, calls) =
            failing(RetryPolicy::default(), true, vec![unavailable(long, false)]).await;
        assert_eq!((calls, slept.len()), (1, 0));
        let error = result.unwrap_err();
        assert_eq!(error.retry_after(), long);
        assert!(error.to_string().contains("retry after 3600 s"), "{error}");
    }

    #[tokio::test]
    async fn a_request_the_server_may_have_acted_on_is_resent_only_if_allowed() {
        let (result, _, calls) =
            failing(RetryPolicy::default(), false, vec![unavailable(None, true)]).await;
        assert_eq!(calls, 1);
        assert!(result.unwrap_err().to_string().contains("not resent"));
        let (result, _, calls) =
            failing(RetryPolicy::default(), true, vec![unavailable(None, true)]).await;
        assert_eq!(calls, 2);
        assert!(result.is_ok());
    }

    #[tokio::test]
    async fn a_final_failure_is_never_retried() {
        let (result, slept, calls) = failing(
            RetryPolicy::default(),
            true,
            vec![Failure::Final(AuthError::NoSession)],
        )
        .await;
        assert_eq!((calls, slept.len()), (1, 0));
        assert!(matches!(result, Err(AuthError::NoSession)));
    }

    #[test]
    fn the_login_pause_doubles_to_its_cap_and_honours_retry_after_up_to_its_own() {
        let cooldown = LoginCooldown::default();
        let plain = AuthError::NoSession;
        let pauses: Vec<u64> = (1..=9)
            .map(|n| cooldown.pause(&plain, n).as_secs())
            .collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(cooldown.pause(&plain, u32::MAX), Duration::from_secs(60));
        let throttled = |secs| AuthError::Unavailable {
            operation: &CREATE_OAUTH2_TOKEN,
            attempts: 1,
            retry_after: Some(Duration::from_secs(secs)),
            cause: Cause::Other(String::from("HTTP 429")),
        };
        assert_eq!(cooldown.pause(&throttled(30), 1), Duration::from_secs(30));
        assert_eq!(
            cooldown.pause(&throttled(3600), 1),
            Duration::from_secs(300)
        );
        assert_eq!(cooldown.pause(&throttled(0), 3), Duration::from_secs(4));
        let elsewhere = AuthError::FailedElsewhere {
            operation: &CREATE_OAUTH2_TOKEN,
            cause: String::from("HTTP 401"),
            retry_in: Duration::from_millis(2500),
        };
        assert_eq!(cooldown.pause(&elsewhere, 5), Duration::from_millis(2500));
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(transient(429), Some(false));
        assert_eq!(transient(503), Some(false));
        assert_eq!(transient(500), Some(true));
        assert_eq!(transient(408), Some(true));
        assert_eq!(transient(401), None);
        assert_eq!(transient(400), None);
    }
}
