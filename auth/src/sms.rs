//! SMS beyond what the generated client does by itself: the message logs read as one stream
//! ([`infobip_client::sms_logs`]), waiting on the connection's clock.

use futures_util::stream::BoxStream;
use infobip_client::sms::builder::GetOutboundSmsMessageLogsV3;
use infobip_client::Error;

use crate::connection::Infobip;

pub use infobip_client::SmsLog;

impl Infobip {
    /// Every SMS log entry `query` matches (newest first, as Infobip lists them), page after
    /// page: the stream asks for the cursor, passes each page's `nextCursor` back, and ends
    /// after the last page. When Infobip answers 429 (the logs allow 120 calls a minute per
    /// account), it waits as `Retry-After` says (or 1 s, doubling, when it says nothing) on
    /// the connection's clock and asks again; after ten 429s in a row, or any other error, it
    /// yields the error and ends (so it does, after that page's entries, when a page names the
    /// cursor it was asked with). The connection's `read_retry` does not apply to its calls:
    /// this waiting replaces it, and two policies stacked would multiply each other's
    /// attempts. Feature `sms`.
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
        let clock = self.authenticator().clock.clone();
        let logs = infobip_client::sms_logs(query, move |wait| clock.sleep(wait));
        Box::pin(crate::call_retry::WithoutRetries(logs))
    }
}
