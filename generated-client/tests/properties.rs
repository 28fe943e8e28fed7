//! Property tests for everything the generated client parses from outside: lenient date-times,
//! token, session and API key responses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{FixedOffset, SecondsFormat, TimeZone, Timelike, Utc};
use infobip_client::account::types::{ApiKey, CreateOAuth2TokenResponse, CreateSessionResponse};
use infobip_client::DateTime;
use proptest::prelude::*;
use serde_json::json;

/// 0000-01-01T00:00:00Z, the first instant RFC 3339 can write.
const MIN_RFC3339: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
const MAX_RFC3339: i64 = 253_402_300_799;

/// Any instant RFC 3339 can express, with any number of nanoseconds.
fn instant() -> impl Strategy<Value = chrono::DateTime<Utc>> {
    (MIN_RFC3339..=MAX_RFC3339, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| Utc.timestamp_opt(secs, nanos).unwrap())
}

/// `t` cut to the millisecond, as `DateTime` keeps it.
fn to_millis(t: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap()
}

/// Instants as Infobip sends them: whole seconds or milliseconds, around today.
fn everyday_instant() -> impl Strategy<Value = chrono::DateTime<Utc>> {
    (0i64..4_102_444_800, prop_oneof![Just(0u32), 0u32..1000])
        .prop_map(|(secs, millis)| Utc.timestamp_opt(secs, millis * 1_000_000).unwrap())
}

/// An offset of whole minutes strictly inside ±24 h, as RFC 3339 allows.
fn offset() -> impl Strategy<Value = FixedOffset> {
    (-(24 * 60 - 1)..=(24 * 60 - 1)).prop_map(|m: i32| FixedOffset::east_opt(m * 60).unwrap())
}

/// The forms of one instant that [`DateTime`] must read as that instant: RFC 3339 with `Z`,
/// with `+00:00`, with `+0000`, and without an offset (taken as UTC), each with as many
/// fractional digits as needed and with all nine.
fn forms(t: chrono::DateTime<Utc>) -> Vec<String> {
    vec![
        t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        t.to_rfc3339_opts(SecondsFormat::Nanos, true),
        t.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        t.to_rfc3339_opts(SecondsFormat::Nanos, false),
        t.format("%Y-%m-%dT%H:%M:%S%.f+0000").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S%.9f+0000").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string(),
    ]
}

/// Forms with fewer fractional digits than the instant has: they read as the instant cut to
/// the digits written.
fn cut_forms(t: chrono::DateTime<Utc>) -> Vec<(String, chrono::DateTime<Utc>)> {
    let secs = t.with_nanosecond(0).unwrap();
    let millis = t
        .with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap();
    vec![
        (t.to_rfc3339_opts(SecondsFormat::Secs, true), secs),
        (t.format("%Y-%m-%dT%H:%M:%S+0000").to_string(), secs),
        (t.format("%Y-%m-%dT%H:%M:%S").to_string(), secs),
        (t.to_rfc3339_opts(SecondsFormat::Millis, false), millis),
        (t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(), millis),
        (t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(), millis),
    ]
}

/// Bytes that are usually nearly JSON: a valid body cut short or with one byte changed, or
/// plain noise.
fn json_like(valid: serde_json::Value) -> impl Strategy<Value = Vec<u8>> {
    let body = serde_json::to_vec(&valid).unwrap();
    let len = body.len();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        (0..=len).prop_map({
            let body = body.clone();
            move |cut| body[..cut].to_vec()
        }),
        (0..len.max(1), any::<u8>()).prop_map(move |(at, byte)| {
            let mut body = body.clone();
            if let Some(b) = body.get_mut(at) {
                *b = byte;
            }
            body
        }),
    ]
}

/// Tokens as issued: at least 8 characters from `[A-Za-z0-9]`.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{8,64}"
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Integration tests have no lib.rs for proptest to put regressions beside.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_form_of_an_instant_reads_as_that_instant_to_the_millisecond(t in instant()) {
        let millis = to_millis(t);
        for form in forms(t) {
            let parsed: DateTime = form.parse().map_err(|e| {
                TestCaseError::fail(format!("{form:?} did not parse: {e}"))
            })?;
            prop_assert_eq!(parsed.get(), millis, "{}", form);
            // Surrounding whitespace is ignored.
            let padded: DateTime = format!(" \t{form}\n").parse().unwrap();
            prop_assert_eq!(padded.get(), millis);
        }
        for (form, expected) in cut_forms(t) {
            prop_assert_eq!(form.parse::<DateTime>().unwrap().get(), expected, "{}", form);
        }
    }

    #[test]
    fn an_instant_written_with_any_offset_reads_as_the_same_instant(
        t in everyday_instant(),
        offset in offset(),
    ) {
        let local = t.with_timezone(&offset);
        for form in [
            local.to_rfc3339(),
            local.format("%Y-%m-%dT%H:%M:%S%.f%z").to_string(),
            local.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        ] {
            let parsed: DateTime = form.parse().unwrap();
            prop_assert_eq!(parsed.get(), t, "{}", form);
        }
    }

    #[test]
    fn display_round_trips_in_infobips_documented_form(t in instant()) {
        let value = DateTime::new(t);
        let shown = value.to_string();
        // yyyy-MM-dd'T'HH:mm:ss.SSS+0000, always all of it.
        prop_assert_eq!(shown.len(), 28, "{}", shown);
        prop_assert!(shown.ends_with("+0000"), "{}", shown);
        prop_assert_eq!(
            chrono::DateTime::parse_from_str(&shown, "%Y-%m-%dT%H:%M:%S%.3f%z").unwrap(),
            to_millis(t)
        );
        prop_assert_eq!(shown.parse::<DateTime>().unwrap(), value);
        prop_assert_eq!(format!("{value:?}"), shown);
    }

    #[test]
    fn serde_round_trips(t in instant()) {
        let value = DateTime::new(t);
        let json = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(&json, &format!("\"{value}\""));
        prop_assert_eq!(serde_json::from_str::<DateTime>(&json).unwrap(), value);
    }

    #[test]
    fn arbitrary_strings_never_panic_and_errors_quote_at_most_64_chars(s in any::<String>()) {
        match s.parse::<DateTime>() {
            Ok(value) => {
                // Whatever was accepted writes out in a form that reads back the same.
                prop_assert_eq!(value.to_string().parse::<DateTime>().unwrap(), value);
            }
            Err(e) => {
                let message = e.to_string();
                let quoted = message.split('`').nth(1).unwrap_or_default();
                prop_assert!(quoted.chars().count() <= 64, "{}", message);
                prop_assert!(s.trim().starts_with(quoted));
            }
        }
        let _ = serde_json::from_str::<DateTime>(&serde_json::to_string(&s).unwrap());
    }

    #[test]
    fn date_like_strings_never_panic(
        s in "[0-9+-]{0,6}-[0-9]{1,3}-[0-9]{1,3}[Tt ][0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3})?(\\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
    ) {
        if let Ok(value) = s.parse::<DateTime>() {
            prop_assert_eq!(value.to_string().parse::<DateTime>().unwrap(), value);
        }
    }

    #[test]
    fn token_response_from_arbitrary_bytes_never_panics(
        bytes in json_like(json!({"access_token": "abcdefgh", "expires_in": 3600, "token_type": "Bearer"}))
    ) {
        if let Ok(parsed) = serde_json::from_slice::<CreateOAuth2TokenResponse>(&bytes) {
            let _ = format!("{parsed:?}");
        }
    }

    #[test]
    fn a_valid_token_response_parses_exactly_and_debug_hides_the_token(
        access_token in token(),
        expires_in in any::<i64>(),
        token_type in prop_oneof![Just(String::from("Bearer")), any::<String>()],
        extra in proptest::option::of(any::<String>()),
    ) {
        let mut body = json!({
            "access_token": access_token,
            "expires_in": expires_in,
            "token_type": token_type,
        });
        if let Some(extra) = &extra {
            body["scope"] = json!(extra);
        }
        let bytes = serde_json::to_vec(&body).unwrap();
        match serde_json::from_slice::<CreateOAuth2TokenResponse>(&bytes) {
            Ok(parsed) => {
                prop_assert!(i32::try_from(expires_in).is_ok());
                prop_assert_eq!(parsed.access_token.expose(), access_token.as_str());
                prop_assert_eq!(i64::from(parsed.expires_in), expires_in);
                prop_assert_eq!(&parsed.token_type, &token_type);
                let debug = format!("{parsed:?}");
                prop_assume!(!token_type.contains(&access_token));
                prop_assert!(!debug.contains(&access_token), "{}", debug);
                // Serialising sends the token as it came.
                let back: serde_json::Value = serde_json::to_value(&parsed).unwrap();
                prop_assert_eq!(&back["access_token"], &json!(access_token));
            }
            Err(_) => prop_assert!(i32::try_from(expires_in).is_err()),
        }
    }

    #[test]
    fn a_token_response_missing_a_field_is_refused(
        access_token in token(),
        missing in 0usize..3,
    ) {
        let mut body = json!({"access_token": access_token, "expires_in": 60, "token_type": "Bearer"});
        let field = ["access_token", "expires_in", "token_type"][missing];
        body.as_object_mut().unwrap().remove(field);
        let error = serde_json::from_slice::<CreateOAuth2TokenResponse>(&serde_json::to_vec(&body).unwrap())
            .unwrap_err()
            .to_string();
        prop_assert!(error.contains(field), "{}", error);
        prop_assert!(!error.contains(&access_token));
    }

    #[test]
    fn session_response_from_arbitrary_bytes_never_panics(
        bytes in json_like(json!({"token": "abcdefgh"}))
    ) {
        if let Ok(parsed) = serde_json::from_slice::<CreateSessionResponse>(&bytes) {
            let _ = format!("{parsed:?}");
        }
    }

    #[test]
    fn a_valid_session_response_parses_exactly_and_debug_hides_the_token(
        session in token(),
        extra in proptest::option::of(any::<String>()),
    ) {
        let mut body = json!({"token": session});
        if let Some(extra) = &extra {
            body["user"] = json!(extra);
        }
        let parsed: CreateSessionResponse = serde_json::from_slice(&serde_json::to_vec(&body).unwrap()).unwrap();
        prop_assert_eq!(parsed.token.expose(), session.as_str());
        let debug = format!("{parsed:?}");
        prop_assert!(!debug.contains(&session), "{}", debug);
    }

    #[test]
    fn a_token_with_any_characters_survives_parsing_unchanged(session in any::<String>()) {
        // Whatever the server sends is kept byte for byte; deciding whether it may go into a
        // header is the auth crate's job.
        let parsed: CreateSessionResponse = serde_json::from_value(json!({"token": session})).unwrap();
        prop_assert_eq!(parsed.token.expose(), session.as_str());
    }

    #[test]
    fn api_key_from_arbitrary_bytes_never_panics(
        bytes in json_like(json!({
            "name": "k", "apiKeySecret": "abcdefgh", "validFrom": "2023-09-01T10:00:00.988+0000",
            "permissions": ["PUBLIC_API"], "enabled": true,
        }))
    ) {
        if let Ok(parsed) = serde_json::from_slice::<ApiKey>(&bytes) {
            let _ = format!("{parsed:?}");
        }
    }

    #[test]
    fn a_valid_api_key_parses_its_dates_in_any_form_and_hides_its_secret(
        name in any::<String>(),
        secret in token(),
        from in everyday_instant(),
        to in everyday_instant(),
        from_form in 0usize..8,
        to_form in 0usize..8,
        enabled in any::<bool>(),
    ) {
        let body = json!({
            "id": "key-1",
            "name": name,
            "apiKeySecret": secret,
            "enabled": enabled,
            "permissions": ["PUBLIC_API", "2FA_CLIENT"],
            "validFrom": forms(from)[from_form],
            "validTo": forms(to)[to_form],
        });
        let parsed: ApiKey = serde_json::from_value(body).unwrap();
        prop_assert_eq!(&parsed.name, &name);
        prop_assert_eq!(parsed.api_key_secret.as_ref().unwrap().expose(), secret.as_str());
        prop_assert_eq!(parsed.enabled, Some(enabled));
        prop_assert_eq!(parsed.valid_from.unwrap().get(), from);
        prop_assert_eq!(parsed.valid_to.unwrap().get(), to);
        prop_assert_eq!(parsed.permissions.len(), 2);
        prop_assume!(!name.contains(&secret));
        let debug = format!("{parsed:?}");
        prop_assert!(!debug.contains(&secret), "{}", debug);
    }
}

proptest! {
    #![proptest_config(config())]

    /// `DateTime::new` accepts every chrono instant, and `Display` (and so `Serialize`) writes
    /// years outside 0000..=9999 in chrono's expanded form (`+10000-01-01T00:00:00.000+0000`,
    /// `-0001-12-31T23:59:59.000+0000`), which `FromStr` (and so `Deserialize`) must read back.
    #[test]
    fn display_round_trips_for_every_chrono_instant(
        secs in prop_oneof![
            chrono::DateTime::<Utc>::MIN_UTC.timestamp()..MIN_RFC3339,
            (MAX_RFC3339 + 1)..=chrono::DateTime::<Utc>::MAX_UTC.timestamp(),
        ],
    ) {
        let value = DateTime::new(Utc.timestamp_opt(secs, 0).unwrap());
        let shown = value.to_string();
        let parsed = shown.parse::<DateTime>().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed, value);
        let json = serde_json::to_string(&value).unwrap();
        let back = serde_json::from_str::<DateTime>(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, value);
    }
}
