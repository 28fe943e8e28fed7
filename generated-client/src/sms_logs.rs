//! The SMS logs read as one stream (feature `sms`): it follows the cursor from page to page and
//! waits out the logs' rate limit (120 calls a minute), so a caller never writes that loop.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::stream::{self, BoxStream};

use crate::sms::builder::GetOutboundSmsMessageLogsV3;
use crate::sms::operations::GET_OUTBOUND_SMS_MESSAGE_LOGS_V3;
use crate::sms::types::{LogResponseSmsLogSmsMessageContent, SmsLogSmsMessageContent};
use crate::{BoxFuture, Error, ErrorKind};

/// One entry of the SMS logs, as [`sms_logs`] yields them.
pub type SmsLog = SmsLogSmsMessageContent;

/// How many 429s in a row the stream waits out before it hands the last one to the caller:
/// past that, something else (another process on the same account, say) is using the whole
/// allowance, and the caller should hear of it.
const MAX_WAITS: u32 = 10;

/// The longest `Retry-After` waited out: the limit is per minute, so a longer one is not
/// Infobip's and would stall the stream for nothing.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// Every SMS log entry `query` matches (newest first, as Infobip lists them), page after page:
/// the stream asks for the cursor, passes each page's `nextCursor` back, and ends after the
/// last page. When Infobip answers 429 (the logs allow 120 calls a minute per account), it
/// waits with `sleep` as `Retry-After` says (or 1 s, doubling, when it says nothing) and asks
/// again; after ten 429s in a row, or any other error, it yields the error and ends (so it
/// does, after that page's entries, when a page names the cursor it was asked with).
///
/// `query` sets the filters and the page size (`limit`); its `cursor` and `use_cursor` are the
/// stream's to set. `infobip_auth::Infobip::sms_logs` calls this with the connection's clock.
pub fn sms_logs<'a>(
    query: GetOutboundSmsMessageLogsV3<'a>,
    sleep: impl Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync + 'a,
) -> BoxStream<'a, Result<SmsLog, Error>> {
    let pages = Pages {
        query,
        sleep: Box::new(sleep),
        cursor: None,
        ready: VecDeque::new(),
        last_page: false,
        stopped: None,
    };
    Box::pin(stream::unfold(pages, |mut pages| async move {
        let next = pages.next().await?;
        Some((next, pages))
    }))
}

/// The stream's state: the query, where the next page starts, and the entries of the last
/// page not yet handed out.
struct Pages<'a> {
    query: GetOutboundSmsMessageLogsV3<'a>,
    sleep: Box<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync + 'a>,
    cursor: Option<String>,
    ready: VecDeque<SmsLog>,
    last_page: bool,
    /// Why the stream stopped early, yielded after the entries already read.
    stopped: Option<Error>,
}

impl Pages<'_> {
    async fn next(&mut self) -> Option<Result<SmsLog, Error>> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Some(Ok(entry));
            }
            if self.last_page {
                return self.stopped.take().map(Err);
            }
            let page = match self.fetch().await {
                Ok(page) => page,
                Err(error) => {
                    self.last_page = true;
                    return Some(Err(error));
                }
            };
            let next = page.cursor.and_then(|c| c.next_cursor);
            // A page that names the cursor it was asked with would be asked for forever: the
            // stream hands out its entries and stops with an error.
            if next.is_some() && next == self.cursor {
                self.stopped = Some(Error::new(
                    &GET_OUTBOUND_SMS_MESSAGE_LOGS_V3,
                    ErrorKind::InvalidResponse {
                        status: 200,
                        reason: String::from(
                            "the page named the cursor it was asked with as the next one; the \
                             stream stopped instead of asking for the same page again",
                        ),
                        body: String::new(),
                    },
                ));
            }
            // A page without entries ends the stream even if it names a cursor: following it
            // could only loop.
            self.last_page = next.is_none() || page.results.is_empty() || self.stopped.is_some();
            self.cursor = next;
            self.ready.extend(page.results);
        }
    }

    /// The next page, with the 429s before it waited out.
    async fn fetch(&self) -> Result<LogResponseSmsLogSmsMessageContent, Error> {
        let mut waits = 0;
        loop {
            let mut query = self.query.clone().use_cursor(true);
            if let Some(cursor) = &self.cursor {
                query = query.cursor(cursor.clone());
            }
            let error = match query.send().await {
                Ok(page) => return Ok(page.into_inner()),
                Err(error) => error,
            };
            if error.status() != Some(429) || waits == MAX_WAITS {
                return Err(error);
            }
            let wait = error
                .retry_after()
                .map(|wait| wait.min(MAX_RETRY_AFTER))
                .unwrap_or(Duration::from_secs(1 << waits.min(6)));
            waits += 1;
            tracing::info!(
                wait_ms = crate::time::millis(wait),
                waits,
                "the SMS logs allow 120 calls a minute; waiting before the next page"
            );
            (self.sleep)(wait).await;
        }
    }
}
