//! The Redis duplicate store, shared by replicas: two receivers, on two servers, stand in for
//! two replicas of a service. Skipped (with a message) when `redis-server` is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use infobip_client::webhooks::{Claimed, DedupStore, EventKey, Receiver, RedisDedup};
use webhook_tests::{body, mount, post, report, Calls, RedisServer, Reports};

async fn replica(calls: &Calls, store: RedisDedup) -> String {
    let receiver = Receiver::new(Reports, calls.handler()).dedup(store);
    let url = mount(receiver).await;
    url
}

#[tokio::test]
async fn a_duplicate_posted_to_another_replica_is_dropped() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (first_calls, second_calls) = (Calls::default(), Calls::default());
    // One from a URL, one from a connection manager of the service's own.
    let first = replica(&first_calls, RedisDedup::open(&redis.url()).unwrap()).await;
    let manager = redis::aio::ConnectionManager::new(redis::Client::open(redis.url()).unwrap())
        .await
        .unwrap();
    let second = replica(&second_calls, RedisDedup::new(manager)).await;

    assert!(post(&first, body(&["m1", "m2"]))
        .await
        .status()
        .is_success());
    let duplicate = post(&second, body(&["m1"])).await;
    let mixed = post(&second, body(&["m2", "m3"])).await;

    assert!(duplicate.status().is_success(), "{}", duplicate.status());
    assert!(mixed.status().is_success(), "{}", mixed.status());
    assert_eq!(
        first_calls.all(),
        vec![vec!["m1".to_owned(), "m2".to_owned()]]
    );
    assert_eq!(second_calls.all(), vec![vec!["m3".to_owned()]]);
}

#[tokio::test]
async fn the_store_claims_confirms_and_releases_under_its_prefix() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = RedisDedup::open(&redis.url())
        .unwrap()
        .prefix("test:hooks:");
    let other = RedisDedup::open(&redis.url()).unwrap();
    let key = EventKey::of("sms", "kind", &report("m1", "DELIVERED"));
    let lease = Duration::from_secs(30);
    let mut connection = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let stored = format!("test:hooks:{key}");

    assert_eq!(store.claim(&key, lease).await.unwrap(), Claimed::Claimed);
    assert_eq!(store.claim(&key, lease).await.unwrap(), Claimed::InFlight);
    let value: Option<String> = redis::cmd("GET")
        .arg(&stored)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(value.as_deref(), Some("pending"));
    // Another prefix is another namespace.
    assert_eq!(other.claim(&key, lease).await.unwrap(), Claimed::Claimed);

    store.release(&key).await.unwrap();
    assert_eq!(store.claim(&key, lease).await.unwrap(), Claimed::Claimed);
    store.confirm(&key, Duration::from_secs(60)).await.unwrap();
    assert_eq!(store.claim(&key, lease).await.unwrap(), Claimed::Seen);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&stored)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(ttl > 50_000 && ttl <= 60_000, "{ttl}");
    // No payload data: the key is a digest, the value a marker.
    assert_eq!(key.as_str().len(), 64);
}

#[tokio::test]
async fn a_lease_or_window_of_duration_max_is_kept_not_refused() {
    // `PX 18446744073709551615` is refused by Redis: every claim failed (503), and so did
    // every confirm.
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = RedisDedup::open(&redis.url()).unwrap();
    let key = EventKey::of("sms", "kind", &report("m1", "DELIVERED"));

    assert_eq!(
        store.claim(&key, Duration::MAX).await.unwrap(),
        Claimed::Claimed
    );
    store.confirm(&key, Duration::MAX).await.unwrap();
    assert_eq!(
        store.claim(&key, Duration::MAX).await.unwrap(),
        Claimed::Seen
    );
}

#[tokio::test]
async fn a_late_release_keeps_an_event_another_delivery_handled() {
    // A delivery whose lease ended before its handler failed released the key, which by then
    // marked the event handled by another delivery: the next redelivery was handled again.
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let store = RedisDedup::open(&redis.url()).unwrap();
    let key = EventKey::of("sms", "kind", &report("m1", "DELIVERED"));

    assert_eq!(
        store.claim(&key, Duration::from_secs(30)).await.unwrap(),
        Claimed::Claimed
    );
    store.confirm(&key, Duration::from_secs(60)).await.unwrap();
    store.release(&key).await.unwrap();

    assert_eq!(
        store.claim(&key, Duration::from_secs(30)).await.unwrap(),
        Claimed::Seen
    );
}
