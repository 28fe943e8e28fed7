//! What happens to an answer on its way back from every call (`call.rs`): a secret of the
//! request's URL taken out, an unreadable body that may hold secrets withheld, a download
//! handed on as it streams; the ids a call span lists; a deprecation notice's values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{FutureExt as _, StreamExt as _};
use infobip_client::account::operations::CREATE_API_KEY;
use infobip_client::{deprecation, redact, trace, HAND_WRITTEN};
use reqwest::ResponseBuilderExt as _;

fn answer(status: u16, url: &str, body: reqwest::Body) -> reqwest::Response {
    let answer = http::Response::builder()
        .status(status)
        .url(reqwest::Url::parse(url).unwrap())
        .header("content-type", "application/pdf")
        .body(body)
        .unwrap();
    reqwest::Response::from(answer)
}

#[test]
fn a_download_is_handed_on_unread_with_its_url_made_safe() {
    // A body that never ends: reading it whole would never finish.
    let endless = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"%PDF"))
    })
    .chain(futures_util::stream::pending());
    let download = answer(
        200,
        "https://h/files/1?apiKeySecret=k-S3CRET",
        reqwest::Body::wrap_stream(endless),
    );
    let handed = redact::response(&HAND_WRITTEN, download)
        .now_or_never()
        .expect("the download was read before it was handed on")
        .unwrap();
    assert!(
        !handed.url().as_str().contains("S3CRET"),
        "{}",
        handed.url()
    );
    let first = handed.bytes_stream().next().now_or_never().flatten();
    assert_eq!(first.unwrap().unwrap(), bytes::Bytes::from_static(b"%PDF"));
}

#[tokio::test]
async fn unreadable_bodies_keep_no_secret() {
    // Neither body is an API key as `create-api-key` answers one.
    let read = |body: &'static str| async move {
        let unreadable = answer(200, "https://h/settings/2/api-keys", body.into());
        let kept = redact::response(&CREATE_API_KEY, unreadable).await.unwrap();
        kept.text().await.unwrap()
    };
    let kept =
        read(r#"{"apiKeySecret":"k-S3CRET","validFrom":"later","items":[{"token":"t-S3CRET"}]}"#)
            .await;
    assert!(!kept.contains("S3CRET"), "{kept}");
    assert!(kept.contains(r#""validFrom":"later""#), "{kept}");
    // Only the length is kept of a body that is not JSON.
    let kept = read(r#"{"apiKeySecret":"k-S3CR"#).await;
    assert!(!kept.contains("S3CR"), "{kept}");
    assert!(kept.contains("23 bytes"), "{kept}");
}

#[test]
fn long_id_lists_are_cut_and_counted() {
    let ids: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
    assert_eq!(trace::listed(&ids[..2]), "m0,m1");
    assert_eq!(trace::listed(&ids), "m0,m1,m2,m3,m4,m5,m6,m7,m8,m9 (+2)");
}

#[test]
fn only_the_ids_of_a_send_answer_are_read() {
    let body = br#"{"bulkId":"b-1","messages":[{"messageId":"m-1","status":{"groupId":1},"destination":"41793026727"}],"text":"123456 is your code"}"#;
    let (bulk_id, message_ids) = trace::created_ids(body).unwrap();
    assert_eq!(bulk_id.as_deref(), Some("b-1"));
    assert_eq!(message_ids, [Some(String::from("m-1"))]);
    let (bulk_id, message_ids) = trace::created_ids(br#"{"balance":1.5}"#).unwrap();
    assert!(bulk_id.is_none() && message_ids.is_empty());
}

#[test]
fn deprecation_header_values_that_are_not_text_are_not_printed() {
    let text = reqwest::header::HeaderValue::from_static("@1688169599");
    assert_eq!(deprecation::text(&text), "@1688169599");
    let bytes = reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap();
    assert_eq!(deprecation::text(&bytes), "[not text]");
}
