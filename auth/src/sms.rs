//! SMS beyond what the generated client does by itself: the message logs read as one stream
//! that follows the cursor from page to page and waits out the logs' rate limit (120 calls a
//! minute), so a caller never writes that loop.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, BoxStream};
use infobip_client::sms::builder::GetOutboundSmsMessageLogsV3;
use infobip_client::sms::operations::GET_OUTBOUND_SMS_MESSAGE_LOGS_V3;
use infobip_client::sms::types::{LogResponseSmsLogSmsMessageContent, SmsLogSmsMessageContent};
use infobip_client::{Error, ErrorKind};

use crate::clock::Clock;
use crate::connection::Infobip;

/// One entry of the SMS logs, as [`Infobip::sms_logs`] yields them.
pub type SmsLog = SmsLogSmsMessageContent;

/// How many 429s in a row the stream waits out (its requests bypass the connection's
/// `read_retry`, whose attempts would multiply these) before it hands the last one to the caller:
/// past that, something else (another process on the same account, say) is using the whole
/// allowance, and the caller should hear of it.
const MAX_WAITS: u32 = 10;

/// The longest `Retry-After` waited out: the limit is per minute, so a longer one is not
/// Infobip's and would stall the stream for nothing.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

impl Infobip {
    /// Every SMS log entry `query` matches (newest first, as Infobip lists them), page after
    /// page: the stream asks for the cursor, passes each page's `nextCursor` back, and ends
    /// after the last page. When Infobip answers 429 (the logs allow 120 calls a minute per
    /// account), it waits as `Retry-After` says (or 1 s, doubling, when it says nothing) on
    /// the connection's clock and asks again; after ten 429s in a row, or any other error, it
    /// yields the error and ends (so it does, after that page's entries, when a page names the
    /// cursor it was asked with). The connection's `read_retry` does not apply to its calls:
    /// this waiting replaces it. Feature `sms`.
    ///
    /// `query` sets the filters and the page size (`limit`); its `cursor` and `use_cursor`
    /// are the stream's to set.
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt as _;
    /// use infobip_client::Products as _;
    ///
    /// # async fn run(infobip: infobip_auth::Infobip) -> Result<(), Box<dyn std::error::Error>> {
    /// let sms = infobip.sms();
    /// let mut logs = infobip.sms_logs(sms.get_outbound_sms_message_logs_v3().limit(1000));
    /// while let Some(log) = logs.try_next().await? {
    ///     println!("{:?} {:?}", log.message_id, log.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn sms_logs<'a>(
        &self,
        query: GetOutboundSmsMessageLogsV3<'a>,
    ) -> BoxStream<'a, Result<SmsLog, Error>> {
        let pages = Pages {
            query,
            clock: self.clock(),
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
}

/// The stream's state: the query, where the next page starts, and the entries of the last
/// page not yet handed out.
struct Pages<'a> {
    query: GetOutboundSmsMessageLogsV3<'a>,
    clock: Arc<dyn Clock>,
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
            match self.fetch().await {
                Ok(page) => {
                    let next = page.cursor.and_then(|c| c.next_cursor);
                    // A page that names the cursor it was asked with would be asked for
                    // forever: the stream hands out its entries and stops with an error.
                    if next.is_some() && next == self.cursor {
                        self.stopped = Some(Error::new(
                            &GET_OUTBOUND_SMS_MESSAGE_LOGS_V3,
                            ErrorKind::InvalidResponse {
                                status: 200,
                                reason: String::from(
                                    "the page named the cursor it was asked with as the next \
                                     one; the stream stopped instead of asking for the same \
                                     page again",
                                ),
                                body: String::new(),
                            },
                        ));
                    }
                    // A page without entries ends the stream even if it names a cursor:
                    // following it could only loop.
                    self.last_page =
                        next.is_none() || page.results.is_empty() || self.stopped.is_some();
                    self.cursor = next;
                    self.ready.extend(page.results);
                }
                Err(error) => {
                    self.last_page = true;
                    return Some(Err(error));
                }
            }
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
            let error = match crate::call_retry::without(query.send()).await {
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
                wait_ms = crate::clock::millis(wait),
                waits,
                "the SMS logs allow 120 calls a minute; waiting before the next page"
            );
            self.clock.sleep(wait).await;
        }
    }
}
