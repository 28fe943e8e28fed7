//! `infobip api --paginate` on three products: account (page numbers) and SMS (cursor) from
//! the sandbox, moments (offset) from a stub on a loopback port; and a list that never ends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use common::World;
use infobip_sandbox::{Endpoint, DEMO_USERNAME};
use serde_json::{json, Value};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_numbers_of_api_keys_are_followed() {
    let world = World::start().await;
    world.login("default", "basic").expect(0);
    for name in ["a", "b", "c"] {
        world
            .sandbox
            .create_api_key(
                DEMO_USERNAME,
                serde_json::json!({"name": name, "scopeGuids": ["sms:manage"]}),
            )
            .unwrap();
    }
    let before = world.sandbox.count(Endpoint::GetApiKeysByFilter);
    let keys = world
        .run(&[
            "api",
            "GET",
            "/settings/2/api-keys",
            "--paginate",
            "--field",
            "size=1",
        ])
        .expect(0);
    let keys = json(&keys.stdout);
    let names: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{keys}");
    assert_eq!(
        world.sandbox.count(Endpoint::GetApiKeysByFilter) - before,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cursor_of_sms_logs_is_followed() {
    let world = World::start().await;
    world.login("default", "oauth2").expect(0);
    for to in ["41793026727", "41793026728", "41793026729"] {
        world
            .run(&["sms", "send", "--to", to, "--text", "Hi"])
            .expect(0);
    }
    let logs = world
        .run(&[
            "api",
            "GET",
            "/sms/3/logs",
            "--paginate",
            "--field",
            "limit=2",
        ])
        .expect(0);
    let logs = json(&logs.stdout);
    let mut to: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["destination"].as_str().unwrap())
        .collect();
    to.sort_unstable();
    assert_eq!(to, ["41793026727", "41793026728", "41793026729"]);
    // Two pages; the cursor asked for, as the logs answer with one only then.
    let asked: Vec<String> = world
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetOutboundSmsMessageLogsV3))
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(
        asked.iter().all(|q| q.contains("useCursor=true")),
        "{asked:?}"
    );
    assert!(asked[1].contains("cursor="), "{asked:?}");
}

/// A stub of one product's list, served on a loopback port; the number of calls it got.
async fn stub(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

fn against(world: &World, url: &str) -> std::process::Command {
    let mut command = world.command();
    command
        .env("INFOBIP_BASE_URL", url)
        .env("INFOBIP_AUTH", "api-key")
        .env("INFOBIP_API_KEY", "stub-key");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_of_moments_forms_are_followed() {
    let world = World::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let router = axum::Router::new()
        .route(
            "/forms/1/forms",
            axum::routing::get(
                |State(calls): State<Arc<AtomicUsize>>,
                 Query(query): Query<HashMap<String, String>>| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let offset: usize = query.get("offset").map_or(0, |o| o.parse().unwrap());
                    let limit: usize = query.get("limit").map_or(25, |l| l.parse().unwrap());
                    let forms: Vec<Value> = (offset..5.min(offset + limit))
                        .map(|i| json!({"id": format!("form-{i}"), "name": "f"}))
                        .collect();
                    Json(json!({"forms": forms, "offset": offset, "limit": limit, "total": 5}))
                },
            ),
        )
        .with_state(calls.clone());
    let url = stub(router).await;
    let forms = world.run_with(
        against(&world, &url),
        &[
            "api",
            "GET",
            "/forms/1/forms",
            "--paginate",
            "--field",
            "limit=2",
        ],
        "",
    );
    let forms = json(&forms.expect(0).stdout);
    let ids: Vec<&str> = forms
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["form-0", "form-1", "form-2", "form-3", "form-4"]);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_never_ends_stops_at_the_bound() {
    let world = World::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let router = axum::Router::new()
        .route(
            "/endless/1/logs",
            axum::routing::get(|State(calls): State<Arc<AtomicUsize>>| async move {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                Json(
                    json!({"results": [{"n": n}], "cursor": {"nextCursor": format!("c{}", n + 1)}}),
                )
            }),
        )
        .with_state(calls.clone());
    let url = stub(router).await;
    let run = world.run_with(
        against(&world, &url),
        &[
            "api",
            "GET",
            "/endless/1/logs",
            "--paginate",
            "--max-pages",
            "3",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--max-pages"), "{}", run.stderr);
    assert_eq!(json(&run.stdout).as_array().unwrap().len(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}
