//! What a send request must satisfy, reported as Infobip's newer format reports it: one
//! violation per problem, each with the property's path (`messages[0].destinations[1].to`).
//!
//! Violation texts never quote a message's text: it can be a one-time code.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use infobip_client::sms::types::{DeliveryTimeWindow, SmsMessageContent, SmsRequestEnvelope};
use serde_json::Value;

use crate::errors::Failure;

/// How far ahead `sendAt` may be (Infobip's documented maximum).
const MAX_SCHEDULE_DAYS: i64 = 180;

type Violations = Vec<(String, String)>;

/// Reads a send request and checks it against the sandbox's clock (`now`, wall time).
///
/// Three passes: the shape of each `content` (text or binary, which the generated type cannot
/// tell apart when both or neither is given), then the generated types themselves (required
/// fields, types and the spec's length limits: the first problem found, with its path), then
/// every rule on the values (all problems found).
pub(crate) fn parse_send(body: &[u8], now: DateTime<Utc>) -> Result<SmsRequestEnvelope, Failure> {
    let value = crate::http::json_body(body)?;
    let mut violations = content_shapes(&value);
    let request = match serde_path_to_error::deserialize::<_, SmsRequestEnvelope>(value) {
        Ok(request) => Some(request),
        Err(e) => {
            let (property, violation) = type_violation(&e);
            // A content already reported for its shape fails the type too: say it once.
            if !violations
                .iter()
                .any(|(p, _)| property.starts_with(p.as_str()))
            {
                violations.push((property, violation));
            }
            None
        }
    };
    match request {
        Some(request) if violations.is_empty() => {
            let violations = rules(&request, now);
            if violations.is_empty() {
                Ok(request)
            } else {
                Err(Failure::violations(violations))
            }
        }
        _ => Err(Failure::violations(violations)),
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

/// The property and problem of a body the generated types refuse. A missing field is named
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

/// Every rule on the values of a request that fits the types.
fn rules(request: &SmsRequestEnvelope, now: DateTime<Utc>) -> Violations {
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
            SmsMessageContent::TextMessageContent(text) if text.text.trim().is_empty() => {
                add(format!("{at}.content.text"), "must not be empty");
            }
            SmsMessageContent::BinaryMessageContent(binary) if !is_hex_bytes(&binary.hex) => {
                add(
                    format!("{at}.content.hex"),
                    "must be hexadecimal byte pairs separated by spaces, such as `0f c2 4a`",
                );
            }
            _ => {}
        }
        if let Some(window) = message
            .options
            .as_ref()
            .and_then(|o| o.delivery_time_window.as_ref())
        {
            window_problems(
                window,
                &format!("{at}.options.deliveryTimeWindow"),
                &mut add,
            );
        }
        // The description's length limits, which Infobip enforces (the client leaves them to
        // it, so the stand-in must too).
        let options = message.options.as_ref();
        let platform = options.and_then(|o| o.platform.as_ref());
        let limited = [
            (
                "options.platform.entityId",
                platform.and_then(|p| p.entity_id.as_deref()),
                255,
            ),
            (
                "options.platform.applicationId",
                platform.and_then(|p| p.application_id.as_deref()),
                255,
            ),
            (
                "options.campaignReferenceId",
                options.and_then(|o| o.campaign_reference_id.as_deref()),
                255,
            ),
            (
                "options.regional.southKorea.title",
                options
                    .and_then(|o| o.regional.as_ref())
                    .and_then(|r| r.south_korea.as_ref())
                    .and_then(|k| k.title.as_deref()),
                66,
            ),
            (
                "webhooks.callbackData",
                message
                    .webhooks
                    .as_ref()
                    .and_then(|w| w.callback_data.as_deref()),
                4000,
            ),
        ];
        let destinations = message.destinations.iter().enumerate().flat_map(|(j, d)| {
            [
                (format!("destinations[{j}].to"), Some(d.to.as_str()), 64),
                (
                    format!("destinations[{j}].messageId"),
                    d.message_id.as_deref(),
                    200,
                ),
            ]
        });
        let limited = limited
            .into_iter()
            .map(|(field, value, max)| (field.to_owned(), value, max))
            .chain(destinations);
        for (field, value, max) in limited {
            if value.is_some_and(|v| v.chars().count() > max) {
                add(
                    format!("{at}.{field}"),
                    &format!("must not be longer than {max} characters"),
                );
            }
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
        if schedule
            .bulk_id
            .as_ref()
            .is_some_and(|id| id.chars().count() > 100)
        {
            add(
                "options.schedule.bulkId".to_owned(),
                "must not be longer than 100 characters",
            );
        }
        if let Some(send_at) = schedule.send_at.map(infobip_client::DateTime::get) {
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

fn window_problems(window: &DeliveryTimeWindow, at: &str, add: &mut impl FnMut(String, &str)) {
    if window.days.is_empty() {
        add(format!("{at}.days"), "must contain at least one day");
    }
    for (name, time) in [("from", &window.from), ("to", &window.to)] {
        let Some(time) = time else { continue };
        if !(0..=23).contains(&time.hour) {
            add(format!("{at}.{name}.hour"), "must be from 0 to 23");
        }
        if !(0..=59).contains(&time.minute) {
            add(format!("{at}.{name}.minute"), "must be from 0 to 59");
        }
    }
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
        let error = serde_path_to_error::deserialize::<_, SmsRequestEnvelope>(value)
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
