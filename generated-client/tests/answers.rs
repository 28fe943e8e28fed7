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

#[test]
fn a_url_shows_no_password_and_no_secret_query_value_and_keeps_the_rest() {
    let url = reqwest::Url::parse(
        "https://u:pw-S3CRET@h.example/a?name=a%20b&apiKeySecret=k-S3CRET&access_token=t-S3CRET&page=2",
    )
    .unwrap();
    let shown = redact::redacted_url(&url).to_string();
    assert!(!shown.contains("S3CRET"), "{shown}");
    assert!(
        shown.starts_with("https://u:%5Bredacted%5D@h.example/a?"),
        "{shown}"
    );
    assert!(
        shown.contains("name=a+b") && shown.contains("page=2"),
        "{shown}"
    );
    assert!(shown.contains("apiKeySecret=%5Bredacted%5D"), "{shown}");
    let plain = reqwest::Url::parse("https://h.example/account/1/balance?page=2").unwrap();
    assert_eq!(redact::redacted_url(&plain), plain);
}

#[test]
fn names_of_secrets_are_known_however_they_are_written() {
    let shown = |name: &str| {
        let url = reqwest::Url::parse(&format!("https://h/p?{name}=v4lue")).unwrap();
        redact::redacted_url(&url).to_string()
    };
    for secret in [
        "token",
        "access_token",
        "apiKeySecret",
        "client-secret",
        "Password",
        "Authorization",
        "credentials",
        "clientCredential",
        "apiKey",
        "api_key",
        "X-Api-Key",
        "APIKEY",
        "pwd",
        "db_passwd",
    ] {
        let shown = shown(secret);
        assert!(!shown.contains("v4lue"), "{secret}: {shown}");
    }
    for plain in [
        "apiKeyId",
        "apiKeyName",
        "name",
        "page",
        "pinId",
        "keyword",
        "to",
    ] {
        let shown = shown(plain);
        assert!(
            shown.ends_with(&format!("?{plain}=v4lue")),
            "{plain}: {shown}"
        );
    }
}

#[tokio::test]
async fn a_urls_secrets_are_found_as_sent_and_decoded_and_taken_out_of_an_echo() {
    // An error page that echoes the request: each secret as sent, as decoded, and the
    // user-info password.
    let echo = answer(
        401,
        "https://u:pw@h/p?apiKeySecret=a%2Fb+c&name=x&&token=",
        "echo a/b c and a%2Fb+c, name=x, pw".into(),
    );
    let handed = redact::response(&HAND_WRITTEN, echo).await.unwrap();
    assert_eq!(
        handed.text().await.unwrap(),
        "echo [redacted] and [redacted], name=x, [redacted]"
    );
}
