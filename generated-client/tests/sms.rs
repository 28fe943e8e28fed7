//! What the SMS product's generated types must get right, as Infobip's facts force it: enums
//! Infobip may extend, its date-times, and the send's text-or-binary content.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use infobip_client::sms::types::{
    DeliveryReports, LanguageCode, MessageErrorGroup, MessageGeneralStatus,
    SmsBinaryMessageContent, SmsMessageContent, SmsRequestEnvelope, SmsTextMessageContent,
    TransliterationCode,
};
use infobip_client::DateTime;
use serde_json::json;

/// A delivery report as Infobip sends it, with the status and error groups given.
fn report(status_group: &str, error_group: &str) -> serde_json::Value {
    json!({"results": [{
        "bulkId": "b-1",
        "messageId": "m-1",
        "to": "41793026727",
        "sentAt": "2026-01-31T09:30:00.123+0000",
        "doneAt": "2026-01-31T09:30:05.000+0100",
        "messageCount": 1,
        "price": {"pricePerMessage": 0.01, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": status_group, "id": 5, "name": "DELIVERED_TO_HANDSET"},
        "error": {"groupId": 0, "groupName": error_group, "id": 0, "name": "NO_ERROR", "permanent": false}
    }]})
}

#[test]
fn a_status_or_error_group_infobip_adds_later_does_not_fail_the_report() {
    let known: DeliveryReports = serde_json::from_value(report("DELIVERED", "OK")).unwrap();
    let status = known.results[0].status.as_ref().unwrap();
    assert_eq!(status.group_name, Some(MessageGeneralStatus::Delivered));
    let error = known.results[0].error.as_ref().unwrap();
    assert_eq!(error.group_name, Some(MessageErrorGroup::Ok));

    // Values this description does not list: the report still reads, the values are kept.
    let newer: DeliveryReports = serde_json::from_value(report("QUEUED", "Ok")).unwrap();
    let result = &newer.results[0];
    let status = result.status.as_ref().unwrap().group_name.clone().unwrap();
    assert_eq!(status, MessageGeneralStatus::Other("QUEUED".into()));
    assert_eq!(status.to_string(), "QUEUED");
    let error = result.error.as_ref().unwrap().group_name.clone().unwrap();
    assert_eq!(error, MessageErrorGroup::Other("Ok".into()));
    // And they are written back as they came.
    let back = serde_json::to_value(&newer).unwrap();
    assert_eq!(back["results"][0]["status"]["groupName"], "QUEUED");
    assert_eq!(back["results"][0]["error"]["groupName"], "Ok");
    assert_eq!(
        "QUEUED".parse::<MessageGeneralStatus>().unwrap(),
        MessageGeneralStatus::Other("QUEUED".into())
    );
}

#[test]
fn enums_a_log_echoes_back_are_open_too() {
    let code: TransliterationCode = serde_json::from_value(json!("KLINGON")).unwrap();
    assert_eq!(code, TransliterationCode::Other("KLINGON".into()));
    let code: LanguageCode = serde_json::from_value(json!("TR")).unwrap();
    assert_eq!(code, LanguageCode::Tr);
}

#[test]
fn infobip_date_times_are_read_and_one_form_is_written() {
    let reports: DeliveryReports = serde_json::from_value(report("DELIVERED", "OK")).unwrap();
    let result = &reports.results[0];
    assert_eq!(
        result.sent_at.unwrap().to_string(),
        "2026-01-31T09:30:00.123+0000"
    );
    // Another offset is read as the same instant, written in UTC.
    assert_eq!(
        result.done_at.unwrap().to_string(),
        "2026-01-31T08:30:05.000+0000"
    );

    let send_at: DateTime = "2026-02-01T12:00:00Z".parse().unwrap();
    let request: SmsRequestEnvelope = serde_json::from_value(json!({
        "messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "hi"}}],
        "options": {"schedule": {"sendAt": send_at}}
    }))
    .unwrap();
    let written = serde_json::to_value(&request).unwrap();
    assert_eq!(
        written["options"]["schedule"]["sendAt"],
        "2026-02-01T12:00:00.000+0000"
    );
}

#[test]
fn the_content_is_text_or_binary_and_both_round_trip() {
    let text = SmsMessageContent::from({
        let mut value = SmsTextMessageContent::new(String::from("Hello from Rust"));
        value.transliteration = Some(TransliterationCode::Turkish);
        value
    });
    let json = serde_json::to_value(&text).unwrap();
    assert_eq!(
        json,
        json!({"text": "Hello from Rust", "transliteration": "TURKISH"})
    );
    let back: SmsMessageContent = serde_json::from_value(json).unwrap();
    assert!(
        matches!(&back, SmsMessageContent::TextMessageContent(t) if t.text == "Hello from Rust"),
        "{back:?}"
    );

    let binary = SmsMessageContent::from({
        let mut value = SmsBinaryMessageContent::new(String::from("0f c2 4a bf 34 13 ba"));
        value.data_coding = 8;
        value.esm_class = 0;
        value
    });
    let json = serde_json::to_value(&binary).unwrap();
    assert_eq!(
        json,
        json!({"hex": "0f c2 4a bf 34 13 ba", "dataCoding": 8, "esmClass": 0})
    );
    let back: SmsMessageContent = serde_json::from_value(json).unwrap();
    assert!(
        matches!(&back, SmsMessageContent::BinaryMessageContent(b) if b.data_coding == 8),
        "{back:?}"
    );
    // Binary content as Infobip shows it, with the defaults left out.
    let bare: SmsMessageContent = serde_json::from_value(json!({"hex": "0f"})).unwrap();
    assert!(matches!(bare, SmsMessageContent::BinaryMessageContent(b) if b.esm_class == 0));
}
