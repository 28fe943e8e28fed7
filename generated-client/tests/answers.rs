//! What happens to an answer on its way back from every call (`call.rs`): a secret of the
//! request's URL taken out, an unreadable body that may hold secrets withheld, a download
//! handed on as it streams. The call's span and deprecation notice are read from the logs, in
//! the workspace's `tests/` (`secrets.rs`, `deprecation.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{FutureExt as _, StreamExt as _};
use infobip_client::account::operations::CREATE_API_KEY;
use infobip_client::{redact, HAND_WRITTEN};
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
