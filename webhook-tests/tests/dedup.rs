//! Duplicates: a redelivered event reaches the handler once per window; within a batch only
//! the new events do; events in flight in another delivery are answered 503.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use infobip_client::sms::types::DeliveryReports;
use infobip_client::webhooks::{
    Claimed, DedupStore, EventKey, MemoryDedup, Receiver, DEFAULT_CAPACITY,
};
use serde_json::json;
use tokio::sync::{mpsc, Notify};
use webhook_tests::{body, mount, post, report, Calls, Reports};

fn ids(batches: &[&[&str]]) -> Vec<Vec<String>> {
    batches
        .iter()
        .map(|b| b.iter().map(|&id| id.to_owned()).collect())
        .collect()
}

async fn deduplicating(calls: &Calls, store: MemoryDedup) -> String {
    let receiver = Receiver::new(Reports, calls.handler()).dedup(store);
    let url = mount(receiver).await;
    url
}

#[tokio::test]
async fn a_redelivered_event_is_dropped() {
    let calls = Calls::default();
    let url = deduplicating(&calls, MemoryDedup::new()).await;

    let first = post(&url, body(&["m1"])).await;
    let again = post(&url, body(&["m1"])).await;

    assert!(first.status().is_success());
    assert!(again.status().is_success(), "{}", again.status());
    assert_eq!(calls.all(), ids(&[&["m1"]]));
}

#[tokio::test]
async fn within_a_batch_only_the_new_events_reach_the_handler() {
    let calls = Calls::default();
    let url = deduplicating(&calls, MemoryDedup::new()).await;

    post(&url, body(&["m1", "m2"])).await;
    let mixed = post(&url, body(&["m2", "m3", "m1", "m4"])).await;

    assert!(mixed.status().is_success());
    assert_eq!(calls.all(), ids(&[&["m1", "m2"], &["m3", "m4"]]));
}

#[tokio::test]
async fn an_event_twice_in_one_batch_is_handled_once() {
    let calls = Calls::default();
    let url = deduplicating(&calls, MemoryDedup::new()).await;

    post(&url, body(&["m1", "m2", "m1"])).await;

    assert_eq!(calls.all(), ids(&[&["m1", "m2"]]));
}

#[tokio::test]
async fn a_new_status_of_a_message_is_a_new_event() {
    let calls = Calls::default();
    let url = deduplicating(&calls, MemoryDedup::new()).await;
    let pending = json!({ "results": [report("m1", "PENDING_ENROUTE")] }).to_string();
    let delivered = json!({ "results": [report("m1", "DELIVERED_TO_HANDSET")] }).to_string();

    post(&url, pending.clone()).await;
    post(&url, delivered.clone()).await;
    post(&url, pending).await;
    post(&url, delivered).await;

    assert_eq!(calls.count(), 2);
}

#[tokio::test]
async fn events_without_a_message_id_are_told_apart_by_their_content() {
    let calls = Calls::default();
    let url = deduplicating(&calls, MemoryDedup::new()).await;
    // The same content with its keys in another order is the same event.
    let one = r#"{"results": [{"to": "41793026727", "status": {"name": "DELIVERED", "id": 5}}]}"#;
    let same = r#"{"results": [{"status": {"id": 5, "name": "DELIVERED"}, "to": "41793026727"}]}"#;
    let other = r#"{"results": [{"to": "41793026728", "status": {"name": "DELIVERED", "id": 5}}]}"#;

    for delivery in [one, same, other] {
        assert!(post(&url, delivery).await.status().is_success());
    }

    assert_eq!(calls.count(), 2);
}

#[tokio::test]
async fn without_a_store_every_delivery_reaches_the_handler() {
    let calls = Calls::default();
    let receiver = Receiver::new(Reports, calls.handler());
    let url = mount(receiver).await;

    post(&url, body(&["m1"])).await;
    post(&url, body(&["m1"])).await;

    assert_eq!(calls.count(), 2);
}

/// A clock moved by hand.
#[derive(Clone)]
struct HandClock(Arc<Mutex<Instant>>);

impl HandClock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    fn reader(&self) -> impl Fn() -> Instant + Send + Sync + 'static {
        let now = Arc::clone(&self.0);
        move || *now.lock().unwrap()
    }
}

#[tokio::test]
async fn an_event_is_handled_again_once_its_window_passed() {
    let calls = Calls::default();
    let clock = HandClock::new();
    let receiver = Receiver::new(Reports, calls.handler())
        .dedup(MemoryDedup::with_clock(clock.reader()))
        .window(Duration::from_secs(600));
    let url = mount(receiver).await;

    post(&url, body(&["m1"])).await;
    clock.advance(Duration::from_secs(599));
    post(&url, body(&["m1"])).await;
    assert_eq!(calls.count(), 1, "dropped within the window");

    clock.advance(Duration::from_secs(2));
    post(&url, body(&["m1"])).await;
    assert_eq!(calls.count(), 2, "handled again after the window");
}

#[tokio::test]
async fn the_memory_store_prunes_expired_entries_and_keeps_to_its_capacity() {
    let clock = HandClock::new();
    let store = MemoryDedup::with_clock(clock.reader()).capacity(2);
    let key = |id: &str| EventKey::of("sms", "kind", &report(id, "DELIVERED"));
    let (a, b, c) = (key("a"), key("b"), key("c"));
    let lease = Duration::from_secs(10);
    let window = Duration::from_secs(100);

    assert_eq!(store.claim(&a, lease).await.unwrap(), Claimed::Claimed);
    assert_eq!(store.claim(&a, lease).await.unwrap(), Claimed::InFlight);
    store.confirm(&a, window).await.unwrap();
    assert_eq!(store.claim(&a, lease).await.unwrap(), Claimed::Seen);
    assert_eq!(store.claim(&b, lease).await.unwrap(), Claimed::Claimed);
    // Full: the handled entry closest to its end makes room; in-flight ones never do.
    assert_eq!(store.claim(&c, lease).await.unwrap(), Claimed::Claimed);
    assert_eq!(store.len(), 2);
    assert!(
        store.claim(&a, lease).await.is_err(),
        "every entry is in flight"
    );
    // Leases end: the entries are pruned.
    clock.advance(Duration::from_secs(11));
    assert_eq!(store.claim(&b, lease).await.unwrap(), Claimed::Claimed);
    assert_eq!(store.len(), 1);
    // A released entry is claimed again.
    store.release(&b).await.unwrap();
    assert_eq!(store.claim(&b, lease).await.unwrap(), Claimed::Claimed);
    assert_eq!(DEFAULT_CAPACITY, 100_000);
}

/// A handler that blocks on its first call until `gate` is notified, telling `entered`.
fn held_handler(
    calls: &Calls,
    entered: &Arc<Notify>,
    gate: &Arc<Notify>,
) -> impl Fn(DeliveryReports) -> webhook_tests::Handled + Send + Sync + 'static {
    let (calls, entered, gate) = (calls.clone(), Arc::clone(entered), Arc::clone(gate));
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    move |reports| {
        let (calls, entered, gate, first) = (
            calls.clone(),
            Arc::clone(&entered),
            Arc::clone(&gate),
            Arc::clone(&first),
        );
        Box::pin(async move {
            if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                entered.notify_one();
                gate.notified().await;
            }
            calls.record(&reports);
            Ok(())
        })
    }
}

#[tokio::test]
async fn an_event_in_flight_in_another_delivery_is_answered_503() {
    let calls = Calls::default();
    let (entered, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let receiver = Receiver::new(Reports, held_handler(&calls, &entered, &gate))
        .dedup(MemoryDedup::new())
        .retry_after(Duration::from_secs(7));
    let url = mount(receiver).await;

    let held = tokio::spawn({
        let url = url.clone();
        async move { post(&url, body(&["m1"])).await.status() }
    });
    entered.notified().await;

    let concurrent = post(&url, body(&["m1"])).await;
    assert_eq!(concurrent.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(concurrent.headers()["retry-after"], "7");
    assert_eq!(calls.count(), 0);

    gate.notify_one();
    assert!(held.await.unwrap().is_success());
    let settled = post(&url, body(&["m1"])).await;
    assert!(settled.status().is_success());
    assert_eq!(calls.all(), ids(&[&["m1"]]));
}

#[tokio::test]
async fn a_batch_partly_in_flight_is_handled_for_the_rest_then_answered_503() {
    let calls = Calls::default();
    let (entered, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let receiver =
        Receiver::new(Reports, held_handler(&calls, &entered, &gate)).dedup(MemoryDedup::new());
    let url = mount(receiver).await;

    let held = tokio::spawn({
        let url = url.clone();
        async move { post(&url, body(&["m1"])).await.status() }
    });
    entered.notified().await;

    let partly = post(&url, body(&["m1", "m2"])).await;
    assert_eq!(partly.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(partly.headers().contains_key("retry-after"));
    assert_eq!(calls.all(), ids(&[&["m2"]]), "m2 was handled");

    gate.notify_one();
    assert!(held.await.unwrap().is_success());
    // The redelivery finds both handled.
    let redelivered = post(&url, body(&["m1", "m2"])).await;
    assert!(redelivered.status().is_success());
    assert_eq!(calls.all(), ids(&[&["m2"], &["m1"]]));
}

#[tokio::test]
async fn a_full_memory_store_makes_room_by_evicting_handled_entries() {
    // A store full of handled events, then a batch of new ones: each claim evicts one handled
    // entry, found through the expiry index rather than by walking the entries in flight
    // (which made the batch quadratic in its size: 15 s for this one, measured by hand).
    const N: usize = 10_000;
    let store = MemoryDedup::new().capacity(N);
    let key = |prefix: &str, i: usize| {
        EventKey::of("sms", "kind", &report(&format!("{prefix}{i}"), "DELIVERED"))
    };
    let (lease, window) = (Duration::from_secs(60), Duration::from_secs(600));
    for i in 0..N {
        let handled = key("old", i);
        store.claim(&handled, lease).await.unwrap();
        store.confirm(&handled, window).await.unwrap();
    }

    for i in 0..N {
        assert_eq!(
            store.claim(&key("new", i), lease).await.unwrap(),
            Claimed::Claimed
        );
    }

    assert_eq!(store.len(), N);
    // Every handled entry made room; the store is now all in flight.
    assert!(store.claim(&key("old", 0), lease).await.is_err());
}

#[tokio::test]
async fn a_window_and_lease_of_duration_max_mean_for_good() {
    // `now + Duration::MAX` overflowed the store's clock: the confirm panicked after the
    // handler's `Ok`, the delivery was answered 500 and the redelivery handled again.
    let calls = Calls::default();
    let receiver = Receiver::new(Reports, calls.handler())
        .dedup(MemoryDedup::new())
        .window(Duration::MAX)
        .lease(Duration::MAX);
    let url = mount(receiver).await;

    let first = post(&url, body(&["m1"])).await;
    let again = post(&url, body(&["m1"])).await;

    assert!(first.status().is_success(), "{}", first.status());
    assert!(again.status().is_success(), "{}", again.status());
    assert_eq!(calls.all(), ids(&[&["m1"]]));
}

#[tokio::test]
async fn a_handler_failing_after_its_lease_keeps_what_another_delivery_handled() {
    // Delivery A's handler outlives its lease; delivery B claims the event and handles it;
    // then A's handler fails. A's release used to forget the event B had marked handled, so
    // that Infobip's redelivery (A was answered 500) was handled a second time.
    let calls = Calls::default();
    let clock = HandClock::new();
    let (entered, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let handler = {
        let (calls, entered, gate) = (calls.clone(), Arc::clone(&entered), Arc::clone(&gate));
        move |reports: DeliveryReports| {
            let (calls, entered, gate, first) = (
                calls.clone(),
                Arc::clone(&entered),
                Arc::clone(&gate),
                Arc::clone(&first),
            );
            async move {
                if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    entered.notify_one();
                    gate.notified().await;
                    return Err("the first call fails late");
                }
                calls.record(&reports);
                Ok(())
            }
        }
    };
    let receiver = Receiver::new(Reports, handler)
        .dedup(MemoryDedup::with_clock(clock.reader()))
        .lease(Duration::from_secs(10));
    let url = mount(receiver).await;

    let late = tokio::spawn({
        let url = url.clone();
        async move { post(&url, body(&["m1"])).await.status() }
    });
    entered.notified().await;
    clock.advance(Duration::from_secs(11));
    let meanwhile = post(&url, body(&["m1"])).await;
    assert!(meanwhile.status().is_success(), "{}", meanwhile.status());
    gate.notify_one();
    assert_eq!(late.await.unwrap(), StatusCode::INTERNAL_SERVER_ERROR);

    let redelivered = post(&url, body(&["m1"])).await;

    assert!(
        redelivered.status().is_success(),
        "{}",
        redelivered.status()
    );
    assert_eq!(calls.all(), ids(&[&["m1"]]));
}

/// A memory store whose second claim waits for `gate` (telling `entered`), and which tells
/// `settled` of each confirm and release.
struct Gated {
    inner: MemoryDedup,
    claims: std::sync::atomic::AtomicUsize,
    entered: Arc<Notify>,
    gate: Arc<Notify>,
    settled: mpsc::UnboundedSender<&'static str>,
}

impl DedupStore for Gated {
    fn claim<'a>(
        &'a self,
        key: &'a EventKey,
        lease: Duration,
    ) -> infobip_client::BoxFuture<'a, Result<Claimed, infobip_client::webhooks::DedupError>> {
        Box::pin(async move {
            if self
                .claims
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                == 1
            {
                self.entered.notify_one();
                self.gate.notified().await;
            }
            self.inner.claim(key, lease).await
        })
    }

    fn confirm<'a>(
        &'a self,
        key: &'a EventKey,
        window: Duration,
    ) -> infobip_client::BoxFuture<'a, Result<(), infobip_client::webhooks::DedupError>> {
        Box::pin(async move {
            let confirmed = self.inner.confirm(key, window).await;
            let _ = self.settled.send("confirmed");
            confirmed
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a EventKey,
    ) -> infobip_client::BoxFuture<'a, Result<(), infobip_client::webhooks::DedupError>> {
        Box::pin(async move {
            let released = self.inner.release(key).await;
            let _ = self.settled.send("released");
            released
        })
    }
}

#[tokio::test]
async fn a_delivery_dropped_while_claiming_still_settles_its_claims() {
    // The claims ran in the request's own future: when the connection dropped between two
    // claims (a slow Redis), the first stayed in flight until its lease ended, neither
    // confirmed nor released, and the redeliveries meanwhile were answered 503.
    use infobip_client::Webhook as _;
    let calls = Calls::default();
    let inner = MemoryDedup::new();
    let (entered, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (settled, mut settles) = mpsc::unbounded_channel();
    let store = Gated {
        inner: inner.clone(),
        claims: std::sync::atomic::AtomicUsize::new(0),
        entered: Arc::clone(&entered),
        gate: Arc::clone(&gate),
        settled,
    };
    let receiver = Receiver::new(Reports, calls.handler()).dedup(store);
    let request = axum::http::Request::post("/")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body(&["m1", "m2"])))
        .unwrap();

    let delivery = tokio::spawn(async move { receiver.receive(request).await });
    entered.notified().await;
    // The connection drops: the request's future is dropped with everything it holds.
    delivery.abort();
    assert!(delivery.await.unwrap_err().is_cancelled());
    gate.notify_one();

    assert_eq!(settles.recv().await, Some("confirmed"));
    assert_eq!(settles.recv().await, Some("confirmed"));
    assert_eq!(calls.all(), ids(&[&["m1", "m2"]]));
    for id in ["m1", "m2"] {
        let key = EventKey::of(
            Reports::PRODUCT,
            Reports::NAME,
            &report(id, "DELIVERED_TO_HANDSET"),
        );
        assert_eq!(
            inner.claim(&key, Duration::from_secs(60)).await.unwrap(),
            Claimed::Seen
        );
    }
}

#[tokio::test]
async fn a_batch_larger_than_the_memory_store_is_handled_in_parts() {
    // A batch with more new events than the store's capacity filled it, failed the next
    // claim and released everything: every redelivery was answered 503 and the events were
    // never handled (each attempt evicting the store's handled entries on the way).
    let calls = Calls::default();
    let url = deduplicating(&calls, MemoryDedup::new().capacity(2)).await;

    let first = post(&url, body(&["m1", "m2", "m3"])).await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(first.headers().contains_key("retry-after"));
    let again = post(&url, body(&["m1", "m2", "m3"])).await;

    assert!(again.status().is_success(), "{}", again.status());
    assert_eq!(calls.all(), ids(&[&["m1", "m2"], &["m3"]]));
}
