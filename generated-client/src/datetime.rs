use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDateTime, SubsecRound as _, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A UTC instant, to the millisecond, that reads every date-time form Infobip sends and writes
/// the one form Infobip documents.
///
/// Reading: Infobip's examples use `2023-09-01T10:00:00` (no offset: taken as UTC),
/// `2023-09-01T10:00:00.988+00:00` and `2023-09-01T10:00:00.988+0000`; RFC 3339 with `Z` and
/// any offset are read too (chrono's RFC 3339 parser, which the generator would otherwise use,
/// rejects the first and the third).
///
/// Writing, for every product (`sendAt`, `sentSince`, `validFrom`...):
/// `2023-09-01T10:00:00.988+0000`, Infobip's documented pattern
/// (`yyyy-MM-dd'T'HH:mm:ss.SSSZ`), in UTC. It is the form of every example in Infobip's
/// documents and the one its official Java client sends; whether Infobip also accepts `Z` or
/// `+00:00` on input is not documented, so the one form known to work is the one written.
/// Infobip keeps milliseconds, so an instant is kept to the millisecond too (finer digits are
/// dropped when a value is made or read), and what is written reads back exactly.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(chrono::DateTime<Utc>);

/// A string that is not a date-time in any form [`DateTime`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a date-time: expected RFC 3339 such as 2023-09-01T10:00:00Z, with an optional offset like +0000")]
pub struct DateTimeError {
    input: String,
}

impl DateTime {
    /// Wraps a chrono instant, cut to the millisecond.
    pub fn new(instant: chrono::DateTime<Utc>) -> Self {
        Self(instant.trunc_subsecs(3))
    }

    /// The chrono instant.
    pub fn get(self) -> chrono::DateTime<Utc> {
        self.0
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(instant: chrono::DateTime<Utc>) -> Self {
        Self::new(instant)
    }
}

impl From<DateTime> for chrono::DateTime<Utc> {
    fn from(value: DateTime) -> Self {
        value.0
    }
}

impl FromStr for DateTime {
    type Err = DateTimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            return Ok(Self::new(t.with_timezone(&Utc)));
        }
        // `%z` reads both `+0000` and `+00:00`, and `%Y` the signed, wider years that
        // `Display` writes for instants outside 0000..=9999, which RFC 3339 cannot express.
        let with_offset = match s.strip_suffix(['Z', 'z']) {
            Some(local) => std::borrow::Cow::Owned(format!("{local}+0000")),
            None => std::borrow::Cow::Borrowed(s),
        };
        if let Ok(t) = chrono::DateTime::parse_from_str(&with_offset, "%Y-%m-%dT%H:%M:%S%.f%z") {
            return Ok(Self::new(t.with_timezone(&Utc)));
        }
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|t| Self::new(t.and_utc()))
            .map_err(|_| DateTimeError {
                input: s.chars().take(64).collect(),
            })
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `%Y` writes years outside 0000..=9999 signed and wider, which `from_str` reads back.
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%.3f+0000"))
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An RFC 3339 `date-time`, as the descriptions declare it (the schema says nothing of the
/// other forms [`DateTime`] reads).
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for DateTime {
    fn schema_name() -> String {
        String::from("DateTime")
    }

    fn is_referenceable() -> bool {
        false
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        string_schema("date-time")
    }
}

/// A `type: string` schema of `format`.
#[cfg(feature = "schemars")]
pub(crate) fn string_schema(format: &str) -> schemars::schema::Schema {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some(format.to_owned()),
        ..Default::default()
    }
    .into()
}
