//! The statuses, errors, message parts and prices the sandbox reports for a message.
//!
//! Status groups, ids and names are Infobip's (the reference's status table). Infobip's
//! documents name only the error *groups* (0 OK, 1 handset, 2 user, 3 operator); the error
//! ids and names below are the sandbox's picks, taken from GSM MAP's error codes.

use super::bodies::{Content, Error, GeneralStatus, Price, Status};
use crate::config::{SMS_CURRENCY, SMS_PRICE_PER_PART};

/// How a message ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `DELIVERED_TO_HANDSET`, no error.
    Delivered,
    /// `UNDELIVERABLE_NOT_DELIVERED`, a permanent handset error.
    Undeliverable,
    /// `REJECTED_NETWORK`, a permanent operator error; not charged.
    Rejected,
}

fn status(
    group_id: i32,
    group_name: GeneralStatus,
    id: i32,
    name: &'static str,
    description: &'static str,
) -> Status {
    Status {
        description,
        group_id,
        group_name,
        id,
        name,
    }
}

fn error(
    group_id: i32,
    group_name: &'static str,
    id: i32,
    name: &'static str,
    description: &'static str,
    permanent: bool,
) -> Error {
    Error {
        description,
        group_id,
        group_name,
        id,
        name,
        permanent,
    }
}

/// 26 `PENDING_ACCEPTED` in group 1 `PENDING`: what the send answers, and the status of every
/// message until its final one (as in Infobip's send example).
pub(crate) fn pending() -> Status {
    status(
        1,
        GeneralStatus::Pending,
        26,
        "PENDING_ACCEPTED",
        "Message sent to next instance",
    )
}

/// Group 0 `OK`, id 0 `NO_ERROR`: the error of a message that has not failed.
pub(crate) fn no_error() -> Error {
    error(0, "OK", 0, "NO_ERROR", "No Error", false)
}

impl Outcome {
    /// The final status.
    pub fn status(self) -> Status {
        match self {
            Outcome::Delivered => status(
                3,
                GeneralStatus::Delivered,
                5,
                "DELIVERED_TO_HANDSET",
                "Message delivered to handset",
            ),
            Outcome::Undeliverable => status(
                2,
                GeneralStatus::Undeliverable,
                9,
                "UNDELIVERABLE_NOT_DELIVERED",
                "Message sent not delivered",
            ),
            Outcome::Rejected => status(
                5,
                GeneralStatus::Rejected,
                6,
                "REJECTED_NETWORK",
                "Network is forbidden",
            ),
        }
    }

    /// The final error.
    pub fn error(self) -> Error {
        match self {
            Outcome::Delivered => no_error(),
            // GSM MAP error 1, UnknownSubscriber.
            Outcome::Undeliverable => error(
                1,
                "HANDSET_ERRORS",
                1,
                "EC_UNKNOWN_SUBSCRIBER",
                "The number is not known to its network",
                true,
            ),
            // GSM MAP error 11, TeleserviceNotProvisioned.
            Outcome::Rejected => error(
                3,
                "OPERATOR_ERRORS",
                11,
                "EC_TELESERVICE_NOT_PROVISIONED",
                "The network does not provide SMS to this number",
                true,
            ),
        }
    }

    /// The price of one part: a rejected message never left, so it costs nothing.
    pub fn price(self) -> Price {
        let price_per_message = match self {
            Outcome::Rejected => 0.0,
            Outcome::Delivered | Outcome::Undeliverable => SMS_PRICE_PER_PART,
        };
        Price {
            currency: SMS_CURRENCY,
            price_per_message,
        }
    }
}

/// GSM 03.38's basic character set (one septet each), less the escape character.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38's extension table: two septets each (the escape and the character).
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// How many septets `text` takes in GSM-7, or `None` when it needs UCS-2.
fn gsm7_septets(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |septets, c| {
        if GSM7_BASIC.contains(c) {
            Some(septets + 1)
        } else if GSM7_EXTENSION.contains(c) {
            Some(septets + 2)
        } else {
            None
        }
    })
}

/// `units` split into parts of `single` when it fits in one, else of `split` each (the rest
/// of a part holds the concatenation header).
fn parts_of(units: usize, single: usize, split: usize) -> i32 {
    let parts = if units <= single {
        1
    } else {
        units.div_ceil(split)
    };
    i32::try_from(parts).unwrap_or(i32::MAX)
}

/// How many parts a message is sent as: text in GSM-7 (160 septets in one part, 153 per part
/// when split) or else UCS-2 (70 UTF-16 units, 67 when split); binary content by its bytes
/// (140 in one part, 134 when split). Transliteration and language tables are not applied.
pub(crate) fn parts(content: &Content) -> i32 {
    match content {
        Content::Text(text) => match gsm7_septets(&text.text) {
            Some(septets) => parts_of(septets, 160, 153),
            None => parts_of(text.text.encode_utf16().count(), 70, 67),
        },
        Content::Binary(binary) => parts_of(binary.hex.split_whitespace().count(), 140, 134),
    }
}

#[cfg(test)]
mod tests {
    use super::super::bodies::{BinaryContent, TextContent};
    use super::*;

    fn text(text: &str) -> Content {
        Content::Text(TextContent {
            language: None,
            text: text.to_owned(),
            transliteration: None,
        })
    }

    #[test]
    fn parts_follow_the_gsm7_and_ucs2_limits() {
        for (content, expected) in [
            ("a".repeat(160), 1),
            ("a".repeat(161), 2),
            ("a".repeat(306), 2),
            ("a".repeat(307), 3),
            // Extension characters take two septets.
            ("€".repeat(80), 1),
            ("€".repeat(81), 2),
            ("é".repeat(160), 1),
            ("ж".repeat(70), 1),
            ("ж".repeat(71), 2),
            ("ж".repeat(134), 2),
            ("ж".repeat(135), 3),
            // An emoji is two UTF-16 units.
            ("😀".repeat(35), 1),
            ("😀".repeat(36), 2),
        ] {
            assert_eq!(parts(&text(&content)), expected, "{content}");
        }
        let binary = |bytes: usize| {
            Content::Binary(BinaryContent {
                data_coding: 0,
                esm_class: 0,
                hex: vec!["0f"; bytes].join(" "),
            })
        };
        assert_eq!(parts(&binary(140)), 1);
        assert_eq!(parts(&binary(141)), 2);
        assert_eq!(parts(&binary(269)), 3);
    }

    #[test]
    fn outcomes_carry_infobips_groups() {
        assert_eq!(pending().group_id, 1);
        assert_eq!(pending().id, 26);
        for (outcome, group, id, error_group) in [
            (Outcome::Delivered, 3, 5, 0),
            (Outcome::Undeliverable, 2, 9, 1),
            (Outcome::Rejected, 5, 6, 3),
        ] {
            assert_eq!(outcome.status().group_id, group);
            assert_eq!(outcome.status().id, id);
            assert_eq!(outcome.error().group_id, error_group);
        }
        assert_eq!(Outcome::Rejected.price().price_per_message, 0.0);
    }
}
