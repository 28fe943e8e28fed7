//! The exact requests each scheme sends to the sandbox (fixed demo credentials; tokens that
//! the sandbox generates at random are shown as placeholders).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::default_world;
use infobip_auth::ClientExt as _;
use infobip_client::account::Client;
use infobip_sandbox::RecordedRequest;

fn render(requests: &[RecordedRequest], key_secret: Option<&str>) -> String {
    let mut out = String::new();
    for r in requests {
        let query = r
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        out.push_str(&format!("{} {}{query}\n", r.method, r.path));
        let mut headers: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(name, _)| {
                matches!(
                    name.as_str(),
                    "authorization" | "content-type" | "accept" | "api-version"
                )
            })
            .map(|(name, value)| (name.clone(), placeholder(value, key_secret)))
            .collect();
        headers.sort();
        for (name, value) in headers {
            out.push_str(&format!("  {name}: {value}\n"));
        }
        if !r.body.is_empty() {
            out.push_str(&format!("  body: {}\n", r.body));
        }
        out.push_str(&format!(
            "  -> {}\n",
            r.status.map_or("dropped".into(), |s| s.to_string())
        ));
    }
    out
}

fn placeholder(value: &str, key_secret: Option<&str>) -> String {
    if value.starts_with("IBSSO ") {
        String::from("IBSSO <session token>")
    } else if value.starts_with("Bearer ") {
        String::from("Bearer <access token>")
    } else {
        match key_secret {
            Some(secret) => value.replace(secret, "<api key secret>"),
            None => value.to_owned(),
        }
    }
}

async fn calls(client: &Client) {
    client.get_account_balance().send().await.unwrap();
    let _ = client.get_api_keys_by_filter().size(10).send().await;
    client.logout().await.unwrap();
}

#[tokio::test]
async fn requests_of_each_scheme() {
    let w = default_world().await;
    let secret = w.new_key_secret("snapshot");
    let mut report = String::new();
    for (name, client) in [
        ("Basic", w.basic()),
        ("API key", w.api_key(&secret)),
        ("IBSSO", w.ibsso()),
        ("OAuth 2.0", w.oauth2()),
    ] {
        w.sandbox.clear_log();
        calls(&client).await;
        report.push_str(&format!(
            "## {name}\n{}\n",
            render(&w.sandbox.requests(), Some(&secret))
        ));
    }
    insta::assert_snapshot!(report);
}
