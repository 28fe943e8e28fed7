//! Reading Infobip's error bodies (either format, or anything else, redacted and cut), the
//! `Retry-After` header, and the redaction rules every error's text goes through.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime};

use infobip_client::redact::redact_text;
use infobip_client::{legacy_code, retry_after, InfobipError};
use reqwest::header::HeaderValue;

const RAW_LIMIT: usize = InfobipError::RAW_LIMIT;

#[test]
fn legacy_body_maps_to_the_new_codes() {
    let body = br#"{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Slow down","validationErrors":{"size":["must be at most 100","must be positive"]}}}}"#;
    let error = InfobipError::from_body(Some(429), body);
    assert_eq!(error.code, "E429");
    assert_eq!(error.message_id.as_deref(), Some("TOO_MANY_REQUESTS"));
    assert_eq!(error.description, "Slow down");
    assert_eq!(error.violations.len(), 2);
    assert_eq!(error.violations[1].violation, "must be positive");
    assert_eq!(
        error.to_string(),
        "HTTP 429 E429 Slow down; size: must be at most 100; size: must be positive"
    );
    for (id, code) in [
        ("BAD_REQUEST", "E400"),
        ("UNAUTHORIZED", "E401"),
        ("FORBIDDEN", "E403"),
        ("NOT_FOUND", "E404"),
        ("TOO_MANY_REQUESTS", "E429"),
        ("GENERAL_ERROR", "E500"),
    ] {
        assert_eq!(legacy_code(id), Some(code));
    }
}

#[test]
fn unknown_legacy_ids_fall_back_to_the_status() {
    let body = br#"{"requestError":{"serviceException":{"messageId":"SOMETHING_NEW"}}}"#;
    assert_eq!(InfobipError::from_body(Some(418), body).code, "E418");
    assert_eq!(InfobipError::from_body(None, body).code, "SOMETHING_NEW");
}

#[test]
fn new_body_is_read_as_is() {
    let body = br#"{"errorCode":"E403","description":"Insufficient permissions","action":"Add a scope","violations":[{"property":"scopeGuids","violation":"missing"}],"resources":[{"name":"Docs","url":"https://example.com"}]}"#;
    let error = InfobipError::from_body(Some(403), body);
    assert_eq!(error.code, "E403");
    assert_eq!(error.action.as_deref(), Some("Add a scope"));
    assert_eq!(error.resources[0].url, "https://example.com");
    assert_eq!(
        error.to_string(),
        "HTTP 403 E403 Insufficient permissions; scopeGuids: missing (action: Add a scope)"
    );
}

#[test]
fn other_bodies_are_kept_raw_and_cut() {
    let error = InfobipError::from_body(Some(502), b"<html>bad gateway</html>");
    assert_eq!(error.raw.as_deref(), Some("<html>bad gateway</html>"));
    let long = vec![b'x'; 10_000];
    let error = InfobipError::from_body(None, &long);
    assert_eq!(error.raw.unwrap().chars().count(), RAW_LIMIT + 1);
}

#[test]
fn secrets_in_an_unreadable_json_body_are_redacted() {
    // A token response whose `expires_in` is not a number fails to parse and lands here.
    let body = br#"{"access_token":"tok-S3CRET","expires_in":"soon","nested":[{"apiKeySecret":"key-S3CRET","Password":"pw-S3CRET","name":"kept"}]}"#;
    let error = InfobipError::from_body(Some(200), body);
    let raw = error.raw.unwrap();
    assert!(!raw.contains("S3CRET"), "{raw}");
    assert!(raw.contains(r#""access_token":"[redacted]""#), "{raw}");
    assert!(raw.contains(r#""expires_in":"soon""#), "{raw}");
    assert!(raw.contains(r#""name":"kept""#), "{raw}");
}

#[test]
fn secret_named_values_are_taken_out_of_any_text() {
    let page = "<p>Rejected: client_id=u&client_secret=pw-S3CRET&grant_type=x</p> \
                {\"access_token\": \"t-S3CRET\"} Authorization: Bearer b-S3CRET; token='q-S3CRET'";
    let clean = redact_text(page).unwrap();
    assert!(!clean.contains("S3CRET"), "{clean}");
    assert!(
        clean.contains("client_id=u&client_secret=[redacted]&grant_type=x"),
        "{clean}"
    );
    assert!(clean.contains("Authorization: [redacted];"), "{clean}");
    assert_eq!(redact_text("nothing secret here: a=b"), None);
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let header = |s: &str| HeaderValue::from_str(s).unwrap();
    assert_eq!(
        retry_after(Some(&header(" 7 ")), now),
        Some(Duration::from_secs(7))
    );
    let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
    assert_eq!(
        retry_after(Some(&header(&later)), now),
        Some(Duration::from_secs(90))
    );
    let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
    assert_eq!(
        retry_after(Some(&header(&earlier)), now),
        Some(Duration::ZERO)
    );
    let numeric = chrono::DateTime::<chrono::Utc>::from(now + Duration::from_secs(30));
    assert_eq!(
        retry_after(Some(&header(&numeric.to_rfc2822())), now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(retry_after(Some(&header("soon")), now), None);
    assert_eq!(
        retry_after(Some(&header("99999999999999999999")), now),
        Some(Duration::from_secs(u64::MAX))
    );
    assert_eq!(retry_after(None, now), None);
}
