//! What the receiver answers: 2xx only after the handler's `Ok`, 500 for its failures, 400
//! for undecodable bodies, 415 for other content types, 413 past the body limit (however the
//! body is framed) or the batch limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::{stream, StreamExt as _};
use infobip_client::sms::types::DeliveryReports;
use infobip_client::webhooks::{Claimed, DedupError, DedupStore, EventKey, MemoryDedup, Receiver};
use tower::ServiceExt as _;
use webhook_tests::{body, mount, post, Calls, Counter, Reports};

/// The error the failing handlers return.
#[derive(Debug)]
struct StoreDown;

impl std::fmt::Display for StoreDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the report store is down")
    }
}

impl std::error::Error for StoreDown {}

#[tokio::test]
async fn a_handled_delivery_is_answered_2xx() {
    let calls = Calls::default();
    let receiver = Receiver::new(Reports, calls.handler());
    let url = mount(receiver).await;

    let response = post(&url, body(&["m1", "m2"])).await;

    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(calls.all(), vec![vec!["m1".to_owned(), "m2".to_owned()]]);
}

#[tokio::test]
async fn a_handler_error_is_answered_500_and_the_redelivery_is_handled() {
    let calls = Calls::default();
    let attempts = Counter::default();
    let (record, count) = (calls.clone(), attempts.clone());
    let receiver = Receiver::new(Reports, move |reports: DeliveryReports| {
        let (record, count) = (record.clone(), count.clone());
        async move {
            if count.next() == 0 {
                return Err(StoreDown);
            }
            record.record(&reports);
            Ok(())
        }
    })
    .dedup(MemoryDedup::new());
    let url = mount(receiver).await;

    let first = post(&url, body(&["m1", "m2"])).await;
    assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(calls.all().is_empty());

    // Infobip delivers again: every event of the failed delivery was released.
    let again = post(&url, body(&["m1", "m2"])).await;
    assert!(again.status().is_success(), "{}", again.status());
    assert_eq!(attempts.get(), 2);
    assert_eq!(calls.all(), vec![vec!["m1".to_owned(), "m2".to_owned()]]);
}

#[tokio::test]
async fn a_handler_panic_is_answered_500_and_the_redelivery_is_handled() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&attempts);
    let receiver = Receiver::new(Reports, move |_: DeliveryReports| {
        let count = Arc::clone(&count);
        async move {
            if count.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("the handler panics on its first call (expected by the test)");
            }
            Ok::<(), StoreDown>(())
        }
    })
    .dedup(MemoryDedup::new());
    let url = mount(receiver).await;

    let first = post(&url, body(&["m1"])).await;
    assert_eq!(first.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let again = post(&url, body(&["m1"])).await;
    assert!(again.status().is_success(), "{}", again.status());
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_body_that_does_not_decode_is_answered_400_quoting_no_value() {
    let calls = Calls::default();
    let receiver = Receiver::new(Reports, calls.handler());
    let url = mount(receiver).await;

    let not_json = post(&url, "{\"results\": [").await;
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let wrong_shape = r#"{"results": [{"messageId": "m1", "messageCount": "secret-value-42"}]}"#;
    let wrong = post(&url, wrong_shape).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let reason = wrong.text().await.unwrap();
    assert!(!reason.is_empty());
    assert!(!reason.contains("secret-value-42"), "{reason}");

    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_by_its_content_type_is_answered_415() {
    let calls = Calls::default();
    let receiver = Receiver::new(Reports, calls.handler());
    let url = mount(receiver).await;
    let client = reqwest::Client::new();

    let text = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(body(&["m1"]))
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let none = client.post(&url).body(body(&["m1"])).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let with_charset = client
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body(body(&["m1"]))
        .send()
        .await
        .unwrap();
    assert!(with_charset.status().is_success());
    assert_eq!(calls.count(), 1);
}

const LIMIT: usize = 1000;

fn limited(calls: &Calls) -> axum::Router {
    Receiver::new(Reports, calls.handler())
        .body_limit(LIMIT)
        .into_router()
}

fn json_request() -> axum::http::request::Builder {
    Request::post("/").header("content-type", "application/json")
}

#[tokio::test]
async fn a_body_over_the_limit_by_its_content_length_is_answered_413_unread() {
    let calls = Calls::default();
    let pulled = Counter::default();
    let count = pulled.clone();
    // The body counts what is read of it: nothing should be.
    let chunks = stream::iter((0..20).map(move |_| {
        count.next();
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 100]))
    }));
    let request = json_request()
        .header("content-length", "2000")
        .body(Body::from_stream(chunks))
        .unwrap();

    let response = limited(&calls).oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(pulled.get(), 0, "the body was read");
    assert_eq!(calls.count(), 0);
}

/// A body of endless 100-byte chunks, counting each one read in `pulled`.
fn endless(pulled: &Counter) -> Body {
    let count = pulled.clone();
    Body::from_stream(stream::repeat_with(move || {
        count.next();
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 100]))
    }))
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_answered_413_without_reading_past_it() {
    let calls = Calls::default();
    let pulled = Counter::default();
    // No Content-Length.
    let request = json_request().body(endless(&pulled)).unwrap();

    let response = limited(&calls).oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        pulled.get() <= LIMIT / 100 + 1,
        "read {} chunks",
        pulled.get()
    );
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn a_body_lying_about_its_length_is_cut_at_the_limit() {
    let calls = Calls::default();
    let pulled = Counter::default();
    let request = json_request()
        .header("content-length", "10")
        .body(endless(&pulled))
        .unwrap();

    let response = limited(&calls).oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        pulled.get() <= LIMIT / 100 + 1,
        "read {} chunks",
        pulled.get()
    );
}

#[tokio::test]
async fn a_body_at_the_limit_is_handled() {
    let calls = Calls::default();
    let mut at_limit = body(&["m1"]);
    at_limit.push_str(&" ".repeat(LIMIT - at_limit.len()));
    let request = json_request().body(Body::from(at_limit)).unwrap();

    let response = limited(&calls).oneshot(request).await.unwrap();

    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn the_default_limit_is_one_mebibyte() {
    let calls = Calls::default();
    let app = Receiver::new(Reports, calls.handler()).into_router::<()>();
    let mut over = body(&["m1"]);
    over.push_str(&" ".repeat((1 << 20) + 1 - over.len()));
    let request = json_request().body(Body::from(over)).unwrap();

    let response = app.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_batch_of_more_events_than_allowed_is_answered_413_undecoded() {
    // 1 MiB of `{}` is 340,000 events, some 190 MB once decoded: the count is checked first.
    let calls = Calls::default();
    let receiver = Receiver::new(Reports, calls.handler()).max_events(3);
    let url = mount(receiver).await;

    let over = post(&url, body(&["m1", "m2", "m3", "m4"])).await;
    let at = post(&url, body(&["m1", "m2", "m3"])).await;

    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(at.status().is_success(), "{}", at.status());
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn the_default_batch_limit_is_ten_thousand_events() {
    let calls = Calls::default();
    let app = Receiver::new(Reports, calls.handler()).into_router::<()>();
    let events = vec!["{}"; 10_001].join(",");
    let request = json_request()
        .body(Body::from(format!("{{\"results\":[{events}]}}")))
        .unwrap();

    let response = app.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.count(), 0);
}

/// A duplicate store that is down.
struct Down;

impl DedupStore for Down {
    fn claim<'a>(
        &'a self,
        _: &'a EventKey,
        _: Duration,
    ) -> infobip_client::BoxFuture<'a, Result<Claimed, DedupError>> {
        Box::pin(async { Err(DedupError::Unavailable("down".into())) })
    }

    fn confirm<'a>(
        &'a self,
        _: &'a EventKey,
        _: Duration,
    ) -> infobip_client::BoxFuture<'a, Result<(), DedupError>> {
        Box::pin(async { Err(DedupError::Unavailable("down".into())) })
    }

    fn release<'a>(
        &'a self,
        _: &'a EventKey,
    ) -> infobip_client::BoxFuture<'a, Result<(), DedupError>> {
        Box::pin(async { Err(DedupError::Unavailable("down".into())) })
    }
}

#[tokio::test]
async fn a_store_that_is_down_is_answered_503_even_with_a_retry_after_of_duration_max() {
    // Its seconds, rounded up, overflowed: a panic instead of the 503.
    let calls = Calls::default();
    let app = Receiver::new(Reports, calls.handler())
        .dedup(Down)
        .retry_after(Duration::MAX)
        .into_router::<()>();
    let request = json_request().body(Body::from(body(&["m1"]))).unwrap();

    let response = app.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["retry-after"],
        u64::MAX.to_string().as_str()
    );
    assert_eq!(calls.count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stalls_is_answered_408_once_its_time_is_up() {
    // No time bound: a sender that sent part of a body (or trickled it) held the request,
    // and the memory read so far, for as long as it liked.
    let calls = Calls::default();
    let app = Receiver::new(Reports, calls.handler())
        .body_timeout(Duration::from_secs(5))
        .into_router::<()>();
    let started = tokio::time::Instant::now();
    let part =
        stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from("{\"results\": [")) });
    let stalled = part.chain(stream::pending());
    let request = json_request().body(Body::from_stream(stalled)).unwrap();

    // The clock is paused: it jumps ahead when every task waits.
    let response = app.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(calls.count(), 0);
}
