//! The one conversion of a duration to the whole milliseconds a log line, a span or another
//! process reads, for this crate and `infobip-auth` (its `clock`), which depends on it.
//!
//! Public for `infobip-auth`; not part of this crate's stable API.

use std::time::Duration;

/// `duration` in whole milliseconds, saturating (a `u128` of them would not fit a log field).
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
