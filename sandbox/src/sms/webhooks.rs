//! Posting final delivery reports to the webhooks messages name.
//!
//! Nothing is posted while a request is handled: [`deliver_due`] posts whatever is due on the
//! sandbox clock when it is called, by a test ([`Sandbox::deliver_due`](crate::Sandbox::deliver_due))
//! or by the background task [`post_every`] (the binary's default), so a test with a
//! `ManualClock` advances the clock, then awaits the posts, without sleeping.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::store::{WebhookJob, WEBHOOK_ATTEMPTS};
use crate::state::Shared;

/// Posts every report due now, one request per report, oldest first, and answers how many
/// were taken (a 2xx answer). A failed post is tried again by a later call, at least
/// 10 seconds later on the sandbox clock, up to five attempts in all.
pub(crate) async fn deliver_due(shared: &Shared) -> usize {
    let jobs = shared.sms.claim_due(shared.wall());
    let mut unsettled = Unsettled {
        shared,
        seqs: jobs.iter().map(|job| job.seq).collect(),
    };
    let mut posted = 0;
    for job in jobs {
        let ok = post(&shared.sms.http, &job).await;
        unsettled.seqs.retain(|seq| *seq != job.seq);
        let gave_up = shared.sms.settle(job.seq, ok, shared.wall());
        if gave_up {
            tracing::warn!(
                message_id = %job.message_id,
                attempts = WEBHOOK_ATTEMPTS,
                "giving up on the delivery report's webhook"
            );
        }
        posted += usize::from(ok);
    }
    posted
}

/// The claimed reports not posted yet: if [`deliver_due`] is dropped halfway (a caller's
/// timeout, a shutdown), they count as failed attempts instead of staying claimed forever.
struct Unsettled<'a> {
    shared: &'a Shared,
    seqs: Vec<u64>,
}

impl Drop for Unsettled<'_> {
    fn drop(&mut self) {
        let now = self.shared.wall();
        for seq in self.seqs.drain(..) {
            self.shared.sms.settle(seq, false, now);
        }
    }
}

/// One post. Neither the URL (it may carry a token) nor the body reaches the log.
async fn post(http: &reqwest::Client, job: &WebhookJob) -> bool {
    match http.post(&job.url).json(&job.body).send().await {
        Ok(response) if response.status().is_success() => {
            tracing::info!(
                message_id = %job.message_id,
                status = response.status().as_u16(),
                "delivery report posted to its webhook"
            );
            true
        }
        Ok(response) => {
            tracing::warn!(
                message_id = %job.message_id,
                status = response.status().as_u16(),
                "the webhook refused the delivery report"
            );
            false
        }
        Err(e) => {
            tracing::warn!(
                message_id = %job.message_id,
                error = %e.without_url(),
                "the delivery report could not be posted to its webhook"
            );
            false
        }
    }
}

/// Calls [`deliver_due`] every `interval` of real time until `stopped` changes.
pub(crate) async fn post_every(
    shared: Arc<Shared>,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            () = tokio::time::sleep(interval) => {
                deliver_due(&shared).await;
            }
        }
    }
}
