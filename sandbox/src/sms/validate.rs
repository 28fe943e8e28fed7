//! What a send request must satisfy, reported as Infobip's newer format reports it: one
//! violation per problem, each with the property's path (`messages[0].destinations[1].to`).
//!
//! Violation texts never quote a message's text: it can be a one-time code.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::bodies::{Content, SendRequest};
use crate::described::check::body_violations;
use crate::errors::Failure;
use crate::model::Endpoint;

/// How far ahead `sendAt` may be (Infobip's documented maximum).
const MAX_SCHEDULE_DAYS: i64 = 180;

type Violations = Vec<(String, String)>;

/// Reads a send request and checks it against the sandbox's clock (`now`, wall time).
///
/// Three passes: the shape of each `content` (text or binary, which the description's
/// alternatives cannot tell apart when both or neither is given) and the description's schema
/// (types, required properties, allowed values, lengths and ranges: every problem found), then
/// the sandbox's own types (a date-time it cannot read), then every rule on the values (all
/// problems found).
pub(crate) fn parse_send(body: &[u8], now: DateTime<Utc>) -> Result<SendRequest, Failure> {
    let value = crate::http::json_body(body)?;
    let mut violations = content_shapes(&value);
    for (property, violation) in body_violations(Endpoint::SendSmsMessages, &value)? {
        // A content already reported for its shape breaks the schema too: say it once.
        if !violations
            .iter()
            .any(|(p, _)| property.starts_with(p.as_str()))
        {
            violations.push((property, violation));
        }
    }
    if !violations.is_empty() {
        return Err(Failure::violations(violations));
    }
    let request = serde_path_to_error::deserialize::<_, SendRequest>(value).map_err(|e| {
        let (property, violation) = type_violation(&e);
        Failure::invalid(&property, violation)
    })?;
    let violations = rules(&request, now);
    if violations.is_empty() {
        Ok(request)
    } else {
        Err(Failure::violations(violations))
    }
}

/// Each `content` must have `text` (text content) or `hex` (binary content), not both.
fn content_shapes(value: &Value) -> Violations {
    let Some(messages) = value.get("messages").and_then(Value::as_array) else {
        return Vec::new();
    };
    messages
        .iter()
        .enumerate()
        .filter_map(|(i, message)| {
            let content = message.get("content")?.as_object()?;
            let violation = match (content.contains_key("text"), content.contains_key("hex")) {
                (true, true) => {
                    "must have either `text` (text content) or `hex` (binary content), not both"
                }
                (false, false) => "must have `text` (text content) or `hex` (binary content)",
                _ => return None,
            };
            Some((format!("messages[{i}].content"), violation.to_owned()))
        })
        .collect()
}

/// The property and problem of a body the sandbox's types refuse. A missing field is named
/// by its own path rather than its parent's.
pub(crate) fn type_violation(
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> (String, String) {
    let path = error.path().to_string();
    let message = error.inner().to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    match missing {
        Some(field) if path == "." => (field.to_owned(), "is required".to_owned()),
        Some(field) => (format!("{path}.{field}"), "is required".to_owned()),
        // The body as a whole (an array, say) is not a request.
        None if path == "." => ("body".to_owned(), message),
        None => (path, message),
    }
}

/// Every rule on the values of a request that fits the description.
fn rules(request: &SendRequest, now: DateTime<Utc>) -> Violations {
    let mut violations = Vec::new();
    let mut add =
        |property: String, violation: &str| violations.push((property, violation.to_owned()));
    if request.messages.is_empty() {
        add("messages".to_owned(), "must contain at least one message");
    }
    let mut message_ids = HashSet::new();
    for (i, message) in request.messages.iter().enumerate() {
        let at = format!("messages[{i}]");
        if message.destinations.is_empty() {
            add(
                format!("{at}.destinations"),
                "must contain at least one destination",
            );
        }
        for (j, destination) in message.destinations.iter().enumerate() {
            if let Some(problem) = number_problem(&destination.to) {
                add(format!("{at}.destinations[{j}].to"), problem);
            }
            if let Some(id) = &destination.message_id {
                if !message_ids.insert(id.as_str()) {
                    add(
                        format!("{at}.destinations[{j}].messageId"),
                        "is used by another destination of this request",
                    );
                }
            }
        }
        match &message.content {
            Content::Text(text) if text.text.trim().is_empty() => {
                add(format!("{at}.content.text"), "must not be empty");
            }
            Content::Binary(binary) if !is_hex_bytes(&binary.hex) => {
                add(
                    format!("{at}.content.hex"),
                    "must be hexadecimal byte pairs separated by spaces, such as `0f c2 4a`",
                );
            }
            _ => {}
        }
        // A window's hours and minutes are the description's to check (their ranges).
        let window = message
            .options
            .as_ref()
            .and_then(|o| o.delivery_time_window.as_ref());
        if window.is_some_and(|w| w.days.is_empty()) {
            add(
                format!("{at}.options.deliveryTimeWindow.days"),
                "must contain at least one day",
            );
        }
        if let Some(webhooks) = &message.webhooks {
            let url = webhooks.delivery.as_ref().and_then(|d| d.url.as_deref());
            if url.is_some_and(|url| !is_http_url(url)) {
                add(
                    format!("{at}.webhooks.delivery.url"),
                    "must be an absolute http or https URL",
                );
            }
            let content_type = webhooks.content_type.as_deref();
            if content_type.is_some_and(|t| !t.trim().starts_with("application/json")) {
                add(
                    format!("{at}.webhooks.contentType"),
                    "the sandbox posts delivery reports as application/json only",
                );
            }
        }
    }
    let schedule = request.options.as_ref().and_then(|o| o.schedule.as_ref());
    if let Some(schedule) = schedule {
        if schedule
            .bulk_id
            .as_ref()
            .is_some_and(|id| id.trim().is_empty())
        {
            add("options.schedule.bulkId".to_owned(), "must not be empty");
        }
        if let Some(send_at) = schedule.send_at {
            if send_at < now {
                add(
                    "options.schedule.sendAt".to_owned(),
                    "must not be in the past",
                );
            } else if send_at > now + TimeDelta::days(MAX_SCHEDULE_DAYS) {
                add(
                    "options.schedule.sendAt".to_owned(),
                    "must be at most 180 days ahead",
                );
            }
        }
    }
    violations
}

/// Why `to` is not an international number as Infobip takes it (E.164 digits, without `+` or
/// `00`), if it is not.
pub(crate) fn number_problem(to: &str) -> Option<&'static str> {
    if to.starts_with('+') {
        return Some("must be international digits without `+`, such as 41793026727");
    }
    if !to.chars().all(|c| c.is_ascii_digit()) || to.is_empty() {
        return Some("must contain digits only, such as 41793026727");
    }
    if to.starts_with("00") {
        return Some("must start with the country code, without the `00` prefix");
    }
    if to.starts_with('0') {
        return Some("must start with the country code, not with 0");
    }
    if !(7..=15).contains(&to.len()) {
        return Some("must have 7 to 15 digits, country code included (E.164)");
    }
    None
}

fn is_hex_bytes(hex: &str) -> bool {
    let mut bytes = hex.split_whitespace().peekable();
    bytes.peek().is_some()
        && bytes.all(|byte| byte.len() == 2 && byte.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_http_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_international_digits() {
        for ok in ["41793026727", "3851234567", "4915112345678", "1234567"] {
            assert_eq!(number_problem(ok), None, "{ok}");
        }
        for (bad, expected) in [
            ("+41793026727", "without `+`"),
            ("0041793026727", "`00`"),
            ("0793026727", "not with 0"),
            ("41 79 302", "digits only"),
            ("4179302672a", "digits only"),
            ("", "digits only"),
            ("123456", "7 to 15"),
            ("1234567890123456", "7 to 15"),
        ] {
            let problem = number_problem(bad).unwrap_or_default();
            assert!(problem.contains(expected), "{bad}: {problem}");
        }
    }

    #[test]
    fn hex_is_space_separated_byte_pairs() {
        assert!(is_hex_bytes("0f c2 4A"));
        assert!(is_hex_bytes("00"));
        for bad in ["", "   ", "0fc2", "0g", "f"] {
            assert!(!is_hex_bytes(bad), "{bad}");
        }
    }

    #[test]
    fn a_missing_field_is_named_by_its_own_path() {
        let value =
            serde_json::json!({"messages": [{"destinations": [{}], "content": {"text": "x"}}]});
        let error = serde_path_to_error::deserialize::<_, SendRequest>(value)
            .err()
            .map(|e| type_violation(&e));
        assert_eq!(
            error,
            Some((
                "messages[0].destinations[0].to".to_owned(),
                "is required".to_owned()
            ))
        );
    }
}
