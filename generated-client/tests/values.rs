//! The rim's value types by example: the date-time forms Infobip sends and the one it is sent,
//! and a secret that never prints. (`properties.rs` holds the same parsers' property tests.)
#![allow(clippy::unwrap_used)]

use infobip_client::{DateTime, Secret};

#[test]
fn date_times_read_infobips_forms_and_write_its_documented_one() {
    for (input, expected) in [
        ("2023-09-01T10:00:00", "2023-09-01T10:00:00.000+0000"),
        (
            "2023-09-01T10:00:00.988+00:00",
            "2023-09-01T10:00:00.988+0000",
        ),
        (
            "2023-09-01T10:00:00.988+0000",
            "2023-09-01T10:00:00.988+0000",
        ),
        ("2023-09-01T12:00:00+0200", "2023-09-01T10:00:00.000+0000"),
        ("2023-09-01T10:00:00Z", "2023-09-01T10:00:00.000+0000"),
        (
            "2023-09-01T10:00:00.9889999Z",
            "2023-09-01T10:00:00.988+0000",
        ),
    ] {
        let parsed: DateTime = input.parse().unwrap();
        assert_eq!(parsed.to_string(), expected, "{input}");
    }
}

#[test]
fn a_non_date_is_refused_naming_the_text() {
    let err = "yesterday".parse::<DateTime>().unwrap_err();
    assert!(err.to_string().contains("`yesterday` is not a date-time"));
}

#[test]
fn a_secret_is_redacted_in_debug_and_round_trips_through_serde() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "Secret([redacted])");
    let json = serde_json::to_string(&secret).unwrap();
    assert_eq!(json, "\"hunter2\"");
    let back: Secret = serde_json::from_str(&json).unwrap();
    assert_eq!(back.expose(), "hunter2");
}
