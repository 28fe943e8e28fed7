//! The messages the sandbox has accepted, and what the reports, logs and webhooks see of
//! them. A message's status is a function of the sandbox clock: nothing moves it but time,
//! and it is worked out whenever someone looks.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::bodies::{
    Accepted, AcceptedDetails, Content, Cursor, DeliveryReport, DeliveryReports, GeneralStatus,
    LogEntry, Logs, Platform, SendAnswer, SendRequest, Status,
};
use super::catalogue::{self, Outcome};
use crate::config::SandboxConfig;
use crate::ids::random_uuid;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};

/// How long reports and logs are kept (Infobip: 48 hours).
const RETENTION: TimeDelta = TimeDelta::hours(48);
/// How many times a delivery report is posted to a webhook before the sandbox gives up.
pub(crate) const WEBHOOK_ATTEMPTS: u32 = 5;
/// How long (sandbox clock) after a failed post the next attempt may be made.
pub(crate) const WEBHOOK_RETRY_AFTER: TimeDelta = TimeDelta::seconds(10);

/// Where a message's final report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    /// Not handed out yet; `failures` webhook posts failed so far, the last one at `last`.
    Due {
        failures: u32,
        last: Option<DateTime<Utc>>,
    },
    /// A webhook post is in flight.
    Posting { failures: u32 },
    /// Fetched, posted, or given up on: never handed out again.
    Done,
}

#[derive(Debug, Clone)]
struct Message {
    /// Acceptance order, across accounts.
    seq: u64,
    account_id: String,
    bulk_id: Option<String>,
    message_id: String,
    to: String,
    sender: Option<String>,
    content: Content,
    parts: i32,
    /// When it leaves: at acceptance, or at its `sendAt`.
    sent_at: DateTime<Utc>,
    /// When it reaches its final status.
    done_at: DateTime<Utc>,
    outcome: Outcome,
    callback_data: Option<String>,
    platform: Option<Platform>,
    campaign_reference_id: Option<String>,
    /// `webhooks.delivery.url`, unless `notify` is false.
    webhook: Option<String>,
    report: Report,
}

impl Message {
    fn is_final(&self, now: DateTime<Utc>) -> bool {
        now >= self.done_at
    }

    fn status(&self, now: DateTime<Utc>) -> Status {
        if self.is_final(now) {
            self.outcome.status()
        } else {
            catalogue::pending()
        }
    }

    fn delivery_report(&self) -> DeliveryReport {
        DeliveryReport {
            bulk_id: self.bulk_id.clone(),
            callback_data: self.callback_data.clone(),
            campaign_reference_id: self.campaign_reference_id.clone(),
            done_at: self.done_at,
            error: self.outcome.error(),
            message_count: self.parts,
            message_id: self.message_id.clone(),
            platform: self.platform.clone(),
            price: self.outcome.price(),
            sender: self.sender.clone(),
            sent_at: self.sent_at,
            status: self.outcome.status(),
            to: self.to.clone(),
        }
    }

    fn log_entry(&self, now: DateTime<Utc>) -> LogEntry {
        let done = self.is_final(now);
        LogEntry {
            bulk_id: self.bulk_id.clone(),
            campaign_reference_id: self.campaign_reference_id.clone(),
            content: self.content.clone(),
            destination: self.to.clone(),
            done_at: done.then_some(self.done_at),
            error: if done {
                self.outcome.error()
            } else {
                catalogue::no_error()
            },
            message_count: self.parts,
            message_id: self.message_id.clone(),
            platform: self.platform.clone(),
            price: self.outcome.price(),
            sender: self.sender.clone(),
            sent_at: self.sent_at,
            status: self.status(now),
        }
    }

    /// The position of the message in the logs' order: newest first, then latest accepted.
    fn position(&self) -> LogPosition {
        LogPosition {
            sent_at: self.sent_at,
            seq: self.seq,
        }
    }
}

/// What reports and logs may be filtered by; the reports endpoint fills only some of it.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub bulk_ids: Vec<String>,
    pub message_ids: Vec<String>,
    pub campaign_reference_ids: Vec<String>,
    pub entity_id: Option<String>,
    pub application_id: Option<String>,
    pub sender: Option<String>,
    pub destination: Option<String>,
    pub general_status: Option<GeneralStatus>,
    pub sent_since: Option<DateTime<Utc>>,
    pub sent_until: Option<DateTime<Utc>>,
    /// The sandbox knows no networks, so a message matches no `mcc`.
    pub mcc: Option<String>,
    pub limit: usize,
}

impl Filter {
    fn matches(&self, m: &Message, now: DateTime<Utc>) -> bool {
        fn any_of(wanted: &[String], value: Option<&str>) -> bool {
            wanted.is_empty() || value.is_some_and(|v| wanted.iter().any(|w| w == v))
        }
        fn equal(wanted: Option<&String>, value: Option<&str>) -> bool {
            wanted.is_none_or(|w| value == Some(w.as_str()))
        }
        let platform = m.platform.as_ref();
        any_of(&self.bulk_ids, m.bulk_id.as_deref())
            && any_of(&self.message_ids, Some(&m.message_id))
            && any_of(
                &self.campaign_reference_ids,
                m.campaign_reference_id.as_deref(),
            )
            && equal(
                self.entity_id.as_ref(),
                platform.and_then(|p| p.entity_id.as_deref()),
            )
            && equal(
                self.application_id.as_ref(),
                platform.and_then(|p| p.application_id.as_deref()),
            )
            && equal(self.sender.as_ref(), m.sender.as_deref())
            && equal(self.destination.as_ref(), Some(&m.to))
            && self.mcc.is_none()
            && self
                .general_status
                .as_ref()
                .is_none_or(|g| m.status(now).group_name == *g)
            && self.sent_since.is_none_or(|t| m.sent_at >= t)
            && self.sent_until.is_none_or(|t| m.sent_at <= t)
    }
}

/// Where a page of the logs ends, as the opaque `nextCursor` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LogPosition {
    sent_at: DateTime<Utc>,
    seq: u64,
}

impl LogPosition {
    fn encode(self) -> String {
        let raw = format!("{}.{}", self.sent_at.timestamp_millis(), self.seq);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    /// A cursor this sandbox issued, or `None`.
    pub fn decode(cursor: &str) -> Option<Self> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (millis, seq) = raw.split_once('.')?;
        Some(Self {
            sent_at: DateTime::from_timestamp_millis(millis.parse().ok()?)?,
            seq: seq.parse().ok()?,
        })
    }
}

/// A request for one page of the logs.
#[derive(Debug)]
pub(crate) struct LogQuery {
    pub filter: Filter,
    /// `useCursor=true`: answer `cursor`.
    pub use_cursor: bool,
    /// The page after this position.
    pub after: Option<LogPosition>,
}

/// A delivery report on its way to a webhook.
#[derive(Debug)]
pub(crate) struct WebhookJob {
    pub seq: u64,
    pub message_id: String,
    pub url: String,
    pub body: DeliveryReports,
}

#[derive(Debug, Default)]
struct Inner {
    messages: Vec<Message>,
    next_seq: u64,
}

/// Every accepted message, behind one lock that is never held across an await.
#[derive(Debug)]
pub(crate) struct SmsStore {
    inner: Mutex<Inner>,
    /// Posts delivery reports to webhooks.
    pub http: reqwest::Client,
}

impl SmsStore {
    /// Fails only when the webhook client cannot be built.
    pub fn new() -> std::io::Result<Self> {
        let http = reqwest::Client::builder()
            // Webhooks are usually on loopback in tests; a proxy from the environment would
            // only get in the way.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Self {
            inner: Mutex::new(Inner::default()),
            http,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Accepts a validated request for `account_id` and answers one entry per destination.
    pub fn accept(
        &self,
        account_id: &str,
        request: SendRequest,
        now: DateTime<Utc>,
        config: &SandboxConfig,
    ) -> SendAnswer {
        let options = request.options.unwrap_or_default();
        let schedule = options.schedule.unwrap_or_default();
        let send_at = schedule.send_at;
        let destinations: usize = request.messages.iter().map(|m| m.destinations.len()).sum();
        // A bulk id when one is asked for, when there is more than one destination, or when
        // the messages are scheduled (which Infobip manages by bulk).
        let bulk_id = schedule
            .bulk_id
            .or_else(|| (destinations > 1 || send_at.is_some()).then(random_uuid));
        let sent_at = send_at.unwrap_or(now);
        let done_at = TimeDelta::from_std(config.delivery_delay)
            .ok()
            .and_then(|delay| sent_at.checked_add_signed(delay))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let mut inner = self.lock();
        // What is past the 48 hours (of its logs and of its report) is gone, unless a post
        // is in flight.
        inner.messages.retain(|m| {
            now.signed_duration_since(m.done_at) <= RETENTION
                || matches!(m.report, Report::Posting { .. })
        });
        let mut answers = Vec::with_capacity(destinations);
        for message in request.messages {
            let parts = catalogue::parts(&message.content);
            let count = match &message.content {
                Content::Text(_) if options.include_sms_count_in_response == Some(true) => {
                    Some(AcceptedDetails {
                        message_count: parts,
                    })
                }
                _ => None,
            };
            let message_options = message.options.unwrap_or_default();
            let webhooks = message.webhooks.unwrap_or_default();
            let webhook = webhooks
                .delivery
                .filter(|d| d.notify != Some(false))
                .and_then(|d| d.url);
            for destination in message.destinations {
                let to = destination.to;
                let outcome = if config.rejected.contains(&to) {
                    Outcome::Rejected
                } else if config.undeliverable.contains(&to) {
                    Outcome::Undeliverable
                } else {
                    Outcome::Delivered
                };
                let message_id = destination.message_id.unwrap_or_else(random_uuid);
                answers.push(Accepted {
                    destination: to.clone(),
                    details: count.clone(),
                    message_id: message_id.clone(),
                    status: catalogue::pending(),
                });
                let seq = inner.next_seq;
                inner.next_seq += 1;
                inner.messages.push(Message {
                    seq,
                    account_id: account_id.to_owned(),
                    bulk_id: bulk_id.clone(),
                    message_id,
                    to,
                    sender: message.sender.clone(),
                    content: message.content.clone(),
                    parts,
                    sent_at,
                    done_at,
                    outcome,
                    callback_data: webhooks.callback_data.clone(),
                    platform: message_options.platform.clone(),
                    campaign_reference_id: message_options.campaign_reference_id.clone(),
                    webhook: webhook.clone(),
                    report: Report::Due {
                        failures: 0,
                        last: None,
                    },
                });
            }
        }
        SendAnswer {
            bulk_id,
            messages: answers,
        }
    }

    /// The final reports of `account_id` not handed out before and not meant for a webhook,
    /// oldest first; each is handed out once.
    pub fn take_reports(
        &self,
        account_id: &str,
        filter: &Filter,
        now: DateTime<Utc>,
    ) -> DeliveryReports {
        let mut inner = self.lock();
        let mut due: Vec<&mut Message> = inner
            .messages
            .iter_mut()
            .filter(|m| {
                m.account_id == account_id
                    && m.webhook.is_none()
                    && matches!(m.report, Report::Due { .. })
                    && m.is_final(now)
                    && now.signed_duration_since(m.done_at) <= RETENTION
                    && filter.matches(m, now)
            })
            .collect();
        due.sort_by_key(|m| (m.done_at, m.seq));
        let results = due
            .into_iter()
            .take(filter.limit)
            .map(|m| {
                m.report = Report::Done;
                m.delivery_report()
            })
            .collect();
        DeliveryReports { results }
    }

    /// One page of `account_id`'s messages sent in the last 48 hours, newest first.
    pub fn logs(&self, account_id: &str, query: &LogQuery, now: DateTime<Utc>) -> Logs {
        let inner = self.lock();
        let mut found: Vec<&Message> = inner
            .messages
            .iter()
            .filter(|m| {
                m.account_id == account_id
                    && m.sent_at <= now
                    && now.signed_duration_since(m.sent_at) <= RETENTION
                    && query.after.is_none_or(|after| m.position() < after)
                    && query.filter.matches(m, now)
            })
            .collect();
        found.sort_by_key(|m| std::cmp::Reverse(m.position()));
        let limit = query.filter.limit;
        let more = found.len() > limit;
        found.truncate(limit);
        let cursor = query.use_cursor.then(|| Cursor {
            limit: i32::try_from(limit).unwrap_or(i32::MAX),
            next_cursor: found.last().filter(|_| more).map(|m| m.position().encode()),
        });
        Logs {
            cursor,
            results: found.iter().map(|m| m.log_entry(now)).collect(),
        }
    }

    /// The reports due at a webhook, oldest first, marked as in flight.
    pub fn claim_due(&self, now: DateTime<Utc>) -> Vec<WebhookJob> {
        let mut inner = self.lock();
        let mut due: Vec<&mut Message> = inner
            .messages
            .iter_mut()
            .filter(|m| match (m.report, &m.webhook) {
                (Report::Due { last, .. }, Some(_)) => {
                    m.is_final(now) && last.is_none_or(|t| now >= t + WEBHOOK_RETRY_AFTER)
                }
                _ => false,
            })
            .collect();
        due.sort_by_key(|m| (m.done_at, m.seq));
        due.into_iter()
            .filter_map(|m| {
                let Report::Due { failures, .. } = m.report else {
                    return None;
                };
                m.report = Report::Posting { failures };
                Some(WebhookJob {
                    seq: m.seq,
                    message_id: m.message_id.clone(),
                    url: m.webhook.clone()?,
                    body: DeliveryReports {
                        results: vec![m.delivery_report()],
                    },
                })
            })
            .collect()
    }

    /// Records how a post went: done when `posted`, else due again later, or given up after
    /// [`WEBHOOK_ATTEMPTS`]. Answers whether the sandbox gave up.
    pub fn settle(&self, seq: u64, posted: bool, now: DateTime<Utc>) -> bool {
        let mut inner = self.lock();
        let Some(message) = inner.messages.iter_mut().find(|m| m.seq == seq) else {
            return false;
        };
        let Report::Posting { failures } = message.report else {
            return false;
        };
        let failures = failures + u32::from(!posted);
        let gave_up = !posted && failures >= WEBHOOK_ATTEMPTS;
        message.report = if posted || gave_up {
            Report::Done
        } else {
            Report::Due {
                failures,
                last: Some(now),
            }
        };
        gave_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_anything_else() {
        let position = LogPosition {
            sent_at: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap_or_default(),
            seq: 42,
        };
        assert_eq!(LogPosition::decode(&position.encode()), Some(position));
        for bad in ["", "not a cursor", "MTIz", "eA"] {
            assert_eq!(LogPosition::decode(bad), None, "{bad}");
        }
    }
}
