//! Infobip's date-time strings, read and written by the sandbox itself rather than through the
//! client's type, so that a fault in the client's reading or writing of them is caught here
//! instead of mirrored.

use chrono::{DateTime, NaiveDateTime, SubsecRound as _, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// The one form Infobip documents and writes (`yyyy-MM-dd'T'HH:mm:ss.SSSZ`), always in UTC.
/// chrono's `%Y` writes years outside 0000..=9999 signed and wider, which [`parse`] reads back.
pub(crate) const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f+0000";

/// `instant` to the millisecond, as Infobip keeps times.
pub(crate) fn to_millis(instant: DateTime<Utc>) -> DateTime<Utc> {
    instant.trunc_subsecs(3)
}

/// `instant` in [`FORMAT`].
pub(crate) fn format(instant: DateTime<Utc>) -> String {
    instant.format(FORMAT).to_string()
}

/// Every form clients send: RFC 3339 (`Z` or any offset), Infobip's `+0000`, and no offset at
/// all (taken as UTC), cut to the millisecond; `None` for anything else.
pub(crate) fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(to_millis(t.with_timezone(&Utc)));
    }
    // `%z` reads both `+0000` and `+00:00`, and `%Y` the wider years `FORMAT` may write.
    let with_offset = match text.strip_suffix(['Z', 'z']) {
        Some(local) => std::borrow::Cow::Owned(format!("{local}+0000")),
        None => std::borrow::Cow::Borrowed(text),
    };
    if let Ok(t) = DateTime::parse_from_str(&with_offset, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(to_millis(t.with_timezone(&Utc)));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| to_millis(t.and_utc()))
}

/// `#[serde(serialize_with = "crate::time::serialize")]` for a date-time property.
pub(crate) fn serialize<S: Serializer>(
    instant: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&instant.format(FORMAT))
}

/// `#[serde(default, deserialize_with = "crate::time::deserialize_optional")]` for an
/// optional date-time property of a request.
pub(crate) fn deserialize_optional<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| {
            parse(&text).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{}` is not a date-time: expected RFC 3339 such as 2023-09-01T10:00:00Z, \
                     with an optional offset like +0000",
                    text.trim().chars().take(64).collect::<String>()
                ))
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form_clients_send_and_writes_infobips() {
        let expected = "2023-09-01T10:00:00.988+0000";
        for text in [
            "2023-09-01T10:00:00.988+0000",
            "2023-09-01T10:00:00.988+00:00",
            "2023-09-01T10:00:00.988Z",
            "2023-09-01T12:00:00.988+02:00",
            "2023-09-01T10:00:00.988",
            " 2023-09-01T10:00:00.988123Z ",
        ] {
            assert_eq!(parse(text).map(format).as_deref(), Some(expected), "{text}");
        }
        assert_eq!(
            parse("2023-09-01T10:00:00").map(format).as_deref(),
            Some("2023-09-01T10:00:00.000+0000")
        );
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse("2023-09-01"), None);
    }
}
