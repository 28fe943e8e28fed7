//! Every described operation called twice against a running sandbox, with a request built
//! from its description: each must be accepted, and each answer (one of each shape) must fit
//! the description's response schema. A report of the operations proven per product is
//! printed (`cargo test -p infobip-sandbox described -- --nocapture`).

use std::collections::BTreeMap;

use secrecy::ExposeSecret as _;
use serde_json::Value;

use super::catalogue::Catalogue;
use super::check::{validator, Checked};
use super::sample::{
    every_scope, sample_calls, ArgumentPlace, SampleBody, SampleCall, SampleCredential, SampleShape,
};
use crate::config::{DEMO_PASSWORD, DEMO_USERNAME};
use crate::{Sandbox, SandboxConfig};

/// The method, URL, headers and body of `call`.
fn request(client: &reqwest::Client, base: &str, call: &SampleCall) -> reqwest::RequestBuilder {
    let mut request = client.request(call.method.clone(), format!("{base}{}", call.path));
    for argument in &call.arguments {
        request = match argument.place {
            ArgumentPlace::Path => request,
            ArgumentPlace::Query => request.query(&[(&argument.name, &argument.value)]),
            ArgumentPlace::Header => request.header(&argument.name, &argument.value),
        };
    }
    match &call.body {
        None => request,
        Some(SampleBody::Json(value)) => request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(value).unwrap()),
        Some(SampleBody::Multipart(_)) => request
            .header("content-type", "multipart/form-data; boundary=sandbox")
            .body("--sandbox--\r\n"),
        Some(SampleBody::Other(media)) => request.header("content-type", media).body("sandbox"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_described_operation_takes_a_described_request_and_answers_in_both_shapes() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let base = sandbox.base_url().to_owned();
    let client = reqwest::Client::new();
    let catalogue = Catalogue::get().unwrap();
    let key = sandbox
        .create_api_key(
            DEMO_USERNAME,
            serde_json::json!({
                "name": "every scope",
                "scopeGuids": every_scope().unwrap(),
            }),
        )
        .unwrap();
    let key_secret = key.secret.expose_secret().to_owned();
    let calls = SampleShape::BOTH.map(|shape| sample_calls(shape).unwrap());
    // (stateful, proven, operations) per product.
    let mut report: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (index, operation) in catalogue.operations.iter().enumerate() {
        let counts = report.entry(operation.document.product).or_default();
        counts.2 += 1;
        if calls[0][index].stateful {
            // Served by its stateful handler, and proven by that product's tests.
            counts.0 += 1;
            continue;
        }
        let mut proven = true;
        for (shape, calls) in SampleShape::BOTH.iter().zip(&calls) {
            let call = &calls[index];
            let request = request(&client, &base, call);
            let request = match call.credential {
                SampleCredential::None => request,
                SampleCredential::Basic => request.basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD)),
                SampleCredential::ApiKey => {
                    request.header("authorization", format!("App {key_secret}"))
                }
                SampleCredential::Other => {
                    failures.push(format!("{}: no scheme this test can use", operation.id));
                    proven = false;
                    break;
                }
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap();
            if status != operation.success.status {
                failures.push(format!(
                    "{} {} ({:?}): {status} {}",
                    operation.document.product,
                    operation.id,
                    shape,
                    String::from_utf8_lossy(&body)
                ));
                proven = false;
                break;
            }
            if let Some((media, schema)) = &operation.success.content {
                // A 204 has no body, whatever the description declares (HTTP forbids one).
                if media != "application/json" || status == 204 {
                    continue;
                }
                let Ok(value) = serde_json::from_slice::<Value>(&body) else {
                    failures.push(format!(
                        "{} {} answer ({shape:?}) is not JSON",
                        operation.document.product, operation.id
                    ));
                    proven = false;
                    break;
                };
                let fits = validator(&operation.document.root, schema, Checked::Answer)
                    .unwrap()
                    .iter_errors(&value)
                    .map(|e| format!("{}: {e}", e.instance_path().as_str()))
                    .collect::<Vec<_>>();
                if !fits.is_empty() {
                    failures.push(format!(
                        "{} {} answer ({shape:?}) does not fit: {}",
                        operation.document.product,
                        operation.id,
                        fits.join("; ")
                    ));
                    proven = false;
                    break;
                }
            }
        }
        if proven {
            report.entry(operation.document.product).or_default().1 += 1;
        }
    }
    let (mut stateful, mut proven, mut total) = (0, 0, 0);
    for (product, (s, p, t)) in &report {
        println!("{product}: {p} described + {s} stateful of {t} operations");
        stateful += s;
        proven += p;
        total += t;
    }
    println!("all: {proven} described + {stateful} stateful of {total} operations");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(proven + stateful, total);
}
