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

/// An authenticator that answers every call at once, from the request's URL (as reqwest
/// does), with a JSON body that comes in `chunks`.
#[derive(Debug)]
struct Chunked(Vec<bytes::Bytes>);

impl infobip_client::Authenticator for Chunked {
    fn prepare<'a>(
        &'a self,
        _call: infobip_client::Call<'a>,
        _request: &'a mut reqwest::Request,
    ) -> infobip_client::Prepared<'a> {
        infobip_client::Prepared::Ready(Ok(()))
    }

    fn send<'a>(
        &'a self,
        _call: infobip_client::Call<'a>,
        request: reqwest::Request,
    ) -> infobip_client::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let chunks = self.0.clone().into_iter().map(Ok::<_, std::io::Error>);
        let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        let mut answer = answer(200, request.url().as_str(), body);
        answer.headers_mut().insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        Box::pin(std::future::ready(Ok(answer)))
    }
}

fn balance_answered_in(
    chunks: Vec<bytes::Bytes>,
) -> Result<infobip_client::account::types::AccountBalance, infobip_client::Error> {
    let client = infobip_client::account::Client::new_with_client(
        "https://api.infobip.com",
        reqwest::Client::new(),
        infobip_client::Auth::new(Chunked(chunks)),
    );
    let call = client.get_account_balance().send();
    call.now_or_never()
        .expect("the stub answers at once")
        .map(infobip_client::ResponseValue::into_inner)
}

#[test]
fn an_answer_is_decoded_whole_however_it_is_cut_into_chunks() {
    let body = br#"{"balance":47.5,"currency":"EUR"}"#;
    let whole = vec![bytes::Bytes::from_static(body)];
    let bytewise = body
        .iter()
        .map(|b| bytes::Bytes::copy_from_slice(&[*b]))
        .collect();
    let uneven = vec![
        bytes::Bytes::from_static(&body[..1]),
        bytes::Bytes::new(),
        bytes::Bytes::from_static(&body[1..20]),
        bytes::Bytes::from_static(&body[20..]),
    ];
    for chunks in [whole, bytewise, uneven] {
        let balance = balance_answered_in(chunks).unwrap();
        assert_eq!(balance.balance, 47.5);
        assert_eq!(balance.currency, "EUR");
    }
}

#[test]
fn an_answer_in_chunks_past_the_limit_is_refused_not_held() {
    let mib = bytes::Bytes::from(vec![b' '; 1 << 20]);
    let limit_in_mib = infobip_client::Error::SUCCESS_BODY_LIMIT >> 20;
    // Spaces, which JSON would skip: only the limit stops the read.
    let chunks = vec![mib; limit_in_mib + 1];
    let error = balance_answered_in(chunks).unwrap_err();
    assert!(
        matches!(error.kind(), infobip_client::ErrorKind::InvalidResponse { reason, .. }
            if reason.contains("larger than 64 MiB")),
        "{error:?}"
    );
}

#[test]
fn an_answer_in_chunks_is_handed_on_whole_with_an_echo_cut_in_two_taken_out() {
    // A secret in the URL sends the answer through `redact::response`, which reads it whole
    // before the caller does (`buffered::read`): however the answer is cut, the caller reads
    // every byte of it, and an echo of the secret split across two chunks is still found.
    const SECRET: &str = "chunked-S3CRET";
    let body =
        format!(r#"{{"bulkId":"b-1","echo":"{SECRET}","messages":[{{"messageId":"m-1"}}]}}"#);
    let expected = body.replace(SECRET, "[redacted]");
    let body = bytes::Bytes::from(body);
    let at = |cuts: &[usize]| {
        let mut bounds = vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(body.len());
        bounds
            .windows(2)
            .map(|w| body.slice(w[0]..w[1]))
            .collect::<Vec<_>>()
    };
    let mut ways: Vec<Vec<bytes::Bytes>> = (0..=body.len()).map(|cut| at(&[cut])).collect();
    ways.push(at(&(1..body.len()).collect::<Vec<_>>()));
    ways.push(at(&[0, 0, 3, 3, body.len(), body.len()]));
    let http = reqwest::Client::new();
    let call = infobip_client::Call {
        operation: &HAND_WRITTEN,
        transport: &http,
    };
    for chunks in ways {
        let auth = infobip_client::Auth::new(Chunked(chunks.clone()));
        let url = format!("https://api.infobip.com/sms/3/messages?apiKeySecret={SECRET}");
        let request = reqwest::Request::new(reqwest::Method::POST, url.parse().unwrap());
        let handed = auth
            .send(call, request)
            .now_or_never()
            .expect("the stub answers at once")
            .unwrap();
        let read = handed.text().now_or_never().unwrap().unwrap();
        assert_eq!(read, expected, "{chunks:?}");
    }
}
