//! The request log: what a test reads to see exactly what a client sent, and the counts per
//! endpoint that tests and `infobip sandbox` wait on.
//!
//! Bounded, because a sandbox is left running and anyone who can reach it can send to it:
//! bodies are cut to [`LogLimits::body_bytes`], and the oldest entries leave once there are
//! more than [`LogLimits::entries`] or they hold more than [`LogLimits::bytes`]. The counts
//! are kept apart from the entries, so that they stay exact when entries leave and cost
//! nothing to read; readers that want entries ask for those after a sequence number and
//! await [`RequestLog::subscribe`] instead of copying the whole log to look for changes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use crate::model::{Endpoint, RecordedRequest, SchemeUsed};

/// How much of the requests the sandbox keeps for [`Sandbox::requests`](crate::Sandbox::requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLimits {
    /// The most entries kept; the oldest leave first. 10,000 by default.
    pub entries: usize,
    /// The most bytes the entries may hold, by the log's own count (see [`LogStats::bytes`]);
    /// the oldest leave first, and one entry larger than this is not kept at all. 4 MiB by
    /// default.
    pub bytes: usize,
    /// How much of each body is kept; the rest is dropped (its length stays in
    /// [`RecordedRequest::body_len`]). 16 KiB by default: Infobip's requests are far smaller.
    pub body_bytes: usize,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self {
            entries: 10_000,
            bytes: 4 * 1024 * 1024,
            body_bytes: 16 * 1024,
        }
    }
}

/// What the request log holds right now, by its own accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Entries kept.
    pub entries: usize,
    /// Bytes the kept entries hold: each entry's struct and the capacity of its strings. What
    /// [`LogLimits::bytes`] bounds.
    pub bytes: usize,
    /// Entries that left (or were never kept) to stay within the limits, since the start.
    pub evicted: u64,
    /// Bodies cut to [`LogLimits::body_bytes`], since the start.
    pub truncated_bodies: u64,
}

/// What a request was counted under; given back with its status when it is answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    seq: u64,
    key: CountKey,
}

type CountKey = (Option<Endpoint>, Option<SchemeUsed>);

#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    received: usize,
    answered: usize,
}

#[derive(Debug)]
struct Entry {
    bytes: usize,
    request: RecordedRequest,
}

#[derive(Debug, Default)]
struct Inner {
    /// Oldest first, so in order of `seq` (with gaps where an entry was not kept).
    entries: VecDeque<Entry>,
    next_seq: u64,
    stats: LogStats,
    counts: HashMap<CountKey, Counts>,
}

/// The log, behind a lock of its own (the state's lock guards sessions and keys).
#[derive(Debug)]
pub(crate) struct RequestLog {
    limits: LogLimits,
    inner: Mutex<Inner>,
    changes: watch::Sender<()>,
}

impl RequestLog {
    pub fn new(limits: LogLimits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Inner::default()),
            changes: watch::Sender::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each update leaves the entries and the totals consistent before the next line can
        // panic, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The body as the log keeps it: at most `body_bytes`, cut at a character boundary when
    /// the start is text, and whether it was cut.
    pub fn keep_body(&self, body: &[u8]) -> (String, bool) {
        let limit = self.limits.body_bytes;
        if body.len() <= limit {
            return (String::from_utf8_lossy(body).into_owned(), false);
        }
        let mut kept = &body[..limit];
        // A cut through a multi-byte character would show as U+FFFD; drop its first bytes
        // instead. An error with no length is exactly such an incomplete character at the end.
        if let Err(e) = std::str::from_utf8(kept) {
            if e.error_len().is_none() {
                kept = &kept[..e.valid_up_to()];
            }
        }
        (String::from_utf8_lossy(kept).into_owned(), true)
    }

    /// Keeps `request` (its body already cut by [`keep_body`](Self::keep_body)), making room
    /// by dropping the oldest entries.
    pub fn record(&self, mut request: RecordedRequest, truncated: bool) -> Ticket {
        let key = (request.endpoint, request.scheme);
        let mut inner = self.lock();
        let seq = inner.next_seq;
        inner.next_seq += 1;
        request.seq = seq;
        inner.counts.entry(key).or_default().received += 1;
        if truncated {
            inner.stats.truncated_bodies += 1;
        }
        let bytes = footprint(&request);
        if bytes > self.limits.bytes || self.limits.entries == 0 {
            // Kept, it would push out everything else and still break the bound.
            inner.stats.evicted += 1;
        } else {
            while inner.entries.len() >= self.limits.entries
                || inner.stats.bytes + bytes > self.limits.bytes
            {
                let Some(oldest) = inner.entries.pop_front() else {
                    break;
                };
                inner.stats.bytes -= oldest.bytes;
                inner.stats.evicted += 1;
            }
            inner.entries.push_back(Entry { bytes, request });
            inner.stats.bytes += bytes;
            inner.stats.entries = inner.entries.len();
        }
        drop(inner);
        self.changes.send_replace(());
        Ticket { seq, key }
    }

    /// Notes the status the request was answered with.
    pub fn answered(&self, ticket: Ticket, status: u16) {
        let mut inner = self.lock();
        inner.counts.entry(ticket.key).or_default().answered += 1;
        if let Ok(i) = inner
            .entries
            .binary_search_by_key(&ticket.seq, |e| e.request.seq)
        {
            inner.entries[i].request.status = Some(status);
        }
        drop(inner);
        self.changes.send_replace(());
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.since(0)
    }

    /// The kept entries numbered `seq` or later, oldest first.
    pub fn since(&self, seq: u64) -> Vec<RecordedRequest> {
        let inner = self.lock();
        let skip = inner.entries.partition_point(|e| e.request.seq < seq);
        inner
            .entries
            .iter()
            .skip(skip)
            .map(|e| e.request.clone())
            .collect()
    }

    /// Forgets the entries and the counts; sequence numbers and the totals of
    /// [`LogStats`] go on.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.counts.clear();
        inner.stats.entries = 0;
        inner.stats.bytes = 0;
        drop(inner);
        self.changes.send_replace(());
    }

    /// Requests counted under `endpoint` and, when given, `scheme`; answered ones only when
    /// `answered`.
    pub fn count(
        &self,
        endpoint: Endpoint,
        scheme: Option<Option<SchemeUsed>>,
        answered: bool,
    ) -> usize {
        self.lock()
            .counts
            .iter()
            .filter(|((e, s), _)| *e == Some(endpoint) && scheme.is_none_or(|wanted| wanted == *s))
            .map(|(_, c)| if answered { c.answered } else { c.received })
            .sum()
    }

    pub fn stats(&self) -> LogStats {
        self.lock().stats
    }

    pub fn subscribe(&self) -> watch::Receiver<()> {
        self.changes.subscribe()
    }
}

/// What an entry holds, by the log's count: the struct and the capacity of every string in
/// it (allocator overhead aside).
fn footprint(request: &RecordedRequest) -> usize {
    use std::mem::size_of;
    let headers: usize = request
        .headers
        .iter()
        .map(|(name, value)| size_of::<(String, String)>() + name.capacity() + value.capacity())
        .sum();
    size_of::<Entry>()
        + request.method.capacity()
        + request.path.capacity()
        + request.query.as_ref().map_or(0, String::capacity)
        + headers
        + (request.headers.capacity() - request.headers.len()) * size_of::<(String, String)>()
        + request.body.capacity()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str) -> RecordedRequest {
        RecordedRequest {
            seq: 0,
            method: "POST".to_owned(),
            path: "/sms/3/messages".to_owned(),
            query: None,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_owned(),
            body_len: body.len(),
            endpoint: Some(Endpoint::SendSmsMessages),
            scheme: Some(SchemeUsed::Basic),
            status: None,
        }
    }

    #[test]
    fn bodies_are_cut_at_the_limit_and_at_a_character_boundary() {
        let log = RequestLog::new(LogLimits {
            body_bytes: 4,
            ..LogLimits::default()
        });
        assert_eq!(log.keep_body(b"abcd"), ("abcd".to_owned(), false));
        assert_eq!(log.keep_body(b"abcdef"), ("abcd".to_owned(), true));
        // "ж" is two bytes: the cut at 4 falls inside the second one.
        assert_eq!(log.keep_body("aжж".as_bytes()), ("aж".to_owned(), true));
        // Not text: kept lossily, cut where the limit says.
        assert_eq!(log.keep_body(&[0xff; 6]).0.chars().count(), 4);
    }

    #[test]
    fn the_oldest_entries_leave_and_the_counts_stay_exact() {
        let one = footprint(&request("x"));
        let log = RequestLog::new(LogLimits {
            entries: 3,
            bytes: one * 10,
            body_bytes: 100,
        });
        let tickets: Vec<Ticket> = (0..5).map(|_| log.record(request("x"), false)).collect();
        for ticket in &tickets {
            log.answered(*ticket, 200);
        }
        let kept: Vec<u64> = log.requests().iter().map(|r| r.seq).collect();
        assert_eq!(kept, [2, 3, 4]);
        assert!(log.requests().iter().all(|r| r.status == Some(200)));
        assert_eq!(log.since(4).len(), 1);
        assert_eq!(log.since(0).len(), 3, "entries that left are skipped");
        assert_eq!(log.count(Endpoint::SendSmsMessages, None, false), 5);
        assert_eq!(log.count(Endpoint::SendSmsMessages, None, true), 5);
        assert_eq!(
            log.count(
                Endpoint::SendSmsMessages,
                Some(Some(SchemeUsed::Bearer)),
                false
            ),
            0
        );
        let stats = log.stats();
        assert_eq!((stats.entries, stats.bytes, stats.evicted), (3, 3 * one, 2));

        log.clear();
        assert_eq!(log.count(Endpoint::SendSmsMessages, None, false), 0);
        let next = log.record(request("x"), false);
        assert_eq!(log.requests()[0].seq, 5, "numbers go on after a clear");
        log.answered(next, 201);
        assert_eq!(log.requests()[0].status, Some(201));
    }

    #[test]
    fn bytes_are_bounded_and_an_entry_larger_than_the_bound_is_not_kept() {
        let small = footprint(&request("x"));
        let log = RequestLog::new(LogLimits {
            entries: 100,
            bytes: small * 3,
            body_bytes: 1000,
        });
        for _ in 0..10 {
            log.record(request("x"), false);
            assert!(log.stats().bytes <= small * 3);
        }
        assert_eq!(log.stats().entries, 3);
        let big = log.record(request(&"y".repeat(500)), true);
        log.answered(big, 200);
        let stats = log.stats();
        assert_eq!((stats.entries, stats.evicted), (3, 8));
        assert_eq!(stats.truncated_bodies, 1);
        let last = log.record(request("x"), false);
        log.answered(last, 204);
        let kept: Vec<(u64, Option<u16>)> =
            log.requests().iter().map(|r| (r.seq, r.status)).collect();
        assert_eq!(kept, [(8, None), (9, None), (11, Some(204))]);
        assert_eq!(log.since(10).len(), 1);
    }
}
