//! Credentials: Basic, and checks of one's own over the headers and the raw body. A refused
//! delivery is answered 401 with `WWW-Authenticate`, and never reaches the handler.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::StatusCode;
use base64::Engine as _;
use infobip_client::webhooks::{HeaderMap, Receiver, Refused};
use secrecy::SecretString;
use webhook_tests::{body, mount, Calls, Reports};

async fn basic_receiver(calls: &Calls) -> String {
    let receiver = Receiver::new(Reports, calls.handler())
        .basic("infobip", SecretString::from("s3cret-pass"))
        .realm("reports");
    let url = mount(receiver).await;
    url
}

fn json(url: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body(&["m1"]))
}

fn assert_refused(response: &reqwest::Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .expect("a WWW-Authenticate header")
        .to_str()
        .unwrap();
    assert!(
        challenge.starts_with("Basic realm=\"reports\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn missing_credentials_are_refused() {
    let calls = Calls::default();
    let url = basic_receiver(&calls).await;

    let response = json(&url).send().await.unwrap();

    assert_refused(&response);
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let calls = Calls::default();
    let url = basic_receiver(&calls).await;

    for (user, password) in [
        ("infobip", "s3cret-pas"),
        ("infobip", "s3cret-passs"),
        ("infobip", "S3cret-pass"),
        ("infobip", ""),
        ("infobi", "s3cret-pass"),
        ("infobip:s3cret", "pass"),
    ] {
        let response = json(&url)
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        assert_refused(&response);
    }
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn another_scheme_or_garbage_is_refused() {
    let calls = Calls::default();
    let url = basic_receiver(&calls).await;

    for value in ["Bearer s3cret-pass", "Basic !!!not-base64!!!", "Basic", ""] {
        let response = json(&url)
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert_refused(&response);
    }
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn the_right_credentials_are_accepted() {
    let calls = Calls::default();
    let url = basic_receiver(&calls).await;

    let response = json(&url)
        .basic_auth("infobip", Some("s3cret-pass"))
        .send()
        .await
        .unwrap();

    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(calls.count(), 1);
}

/// A stand-in for an HMAC over the raw body (the check only needs to see the exact bytes).
fn signature(body: &[u8]) -> String {
    let sum = body
        .iter()
        .fold(7u64, |s, &b| s.wrapping_mul(131).wrapping_add(b.into()));
    format!("{sum:016x}")
}

async fn signed_receiver(calls: &Calls) -> String {
    let receiver = Receiver::new(Reports, calls.handler()).check(
        |headers: &HeaderMap, body: &[u8]| -> Result<(), Refused> {
            let presented = headers
                .get("x-signature")
                .ok_or_else(|| Refused::new("no X-Signature"))?;
            if presented.as_bytes() == signature(body).as_bytes() {
                Ok(())
            } else {
                Err(Refused::new("X-Signature does not match the body"))
            }
        },
    );
    let url = mount(receiver).await;
    url
}

#[tokio::test]
async fn a_check_of_ones_own_sees_the_raw_body() {
    let calls = Calls::default();
    let url = signed_receiver(&calls).await;
    let raw = body(&["m1"]);

    let signed = json(&url)
        .header("x-signature", signature(raw.as_bytes()))
        .send()
        .await
        .unwrap();
    assert!(signed.status().is_success(), "{}", signed.status());

    let unsigned = json(&url).send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert!(unsigned.headers().contains_key("www-authenticate"));

    let tampered = json(&url)
        .header("x-signature", signature(b"another body"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn without_checks_every_delivery_is_accepted() {
    let calls = Calls::default();
    let receiver = Receiver::new(Reports, calls.handler());
    let url = mount(receiver).await;

    let response = json(&url)
        .header("authorization", "Basic anything")
        .send()
        .await
        .unwrap();

    assert!(response.status().is_success());
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn two_authorization_headers_are_refused_whichever_comes_first() {
    // Only the first was read: the right credentials followed by anything were accepted.
    let calls = Calls::default();
    let url = basic_receiver(&calls).await;
    let right = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("infobip:s3cret-pass")
    );

    for (first, second) in [
        (right.as_str(), "Basic d3Jvbmc6d3Jvbmc="),
        ("Bearer x", right.as_str()),
    ] {
        let response = json(&url)
            .header("authorization", first)
            .header("authorization", second)
            .send()
            .await
            .unwrap();
        assert_refused(&response);
    }
    assert_eq!(calls.count(), 0);
}
