//! Every operation the sandbox answers from its description, run twice through its generated
//! command, so through the generated client: the request built by the sandbox from the
//! description (`infobip_sandbox::sample_calls`: the required parameters and properties, then
//! every one) goes in as flags and `--json-body`, the typed builder sends it, and the answer
//! (the required-only shape, then the every-property one) must decode into the client's typed
//! answer for the command to succeed. A report counts the operations proven per product
//! (`cargo test -p infobip-cli --test every_operation -- --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use common::World;
use infobip_sandbox::{
    every_scope, sample_calls, ArgumentPlace, SampleBody, SampleCall, SampleCredential,
    SampleFieldValue, SampleShape, DEMO_PASSWORD, DEMO_USERNAME,
};
use secrecy::ExposeSecret as _;

/// How many commands run at once: each operation's two calls stay in order, since the
/// sandbox alternates an operation's answer shapes call by call.
const WORKERS: usize = 4;

/// What a run of one operation came to.
enum Outcome {
    Proven,
    /// A raw body (`application/octet-stream`, a URL-encoded form), which the commands
    /// read from a file (`uploads.rs` tests them on a recording server); not run here.
    Upload,
    Failed(String),
}

/// The command line of `call`: its product, operation, flags and body file, and what goes to
/// standard input (a secret parameter).
fn arguments(call: &SampleCall, body_file: &Path) -> (Vec<String>, String) {
    let mut args = vec![call.product.to_owned(), call.operation_id.clone()];
    let mut stdin = String::new();
    for argument in &call.arguments {
        if argument.secret {
            // A required secret is always read from standard input; an optional one when
            // its flag says so.
            if !argument.required {
                args.push(format!(
                    "--{}",
                    codegen::secret_parameter_flag(&argument.name)
                ));
            }
            stdin.push_str(&argument.value);
            stdin.push('\n');
            continue;
        }
        // An upload command names its path parameters as the description does.
        let flag = match (&call.body, argument.place) {
            (Some(SampleBody::Multipart(_)), ArgumentPlace::Path) => {
                codegen::upload_flag(&argument.name)
            }
            _ => codegen::parameter_flag(&argument.name),
        };
        args.push(format!("--{flag}"));
        args.push(argument.value.clone());
    }
    match &call.body {
        Some(SampleBody::Json(body)) => {
            std::fs::write(body_file, serde_json::to_vec(body).unwrap()).unwrap();
            args.push("--json-body".to_owned());
            args.push(body_file.display().to_string());
        }
        Some(SampleBody::Multipart(fields)) => {
            for field in fields {
                args.push(format!("--{}", codegen::upload_flag(&field.name)));
                args.push(match &field.value {
                    SampleFieldValue::Text(text) => text.clone(),
                    SampleFieldValue::File => {
                        let file = body_file.with_extension("txt");
                        std::fs::write(&file, "a file from the sample").unwrap();
                        file.display().to_string()
                    }
                });
            }
        }
        _ => {}
    }
    (args, stdin)
}

/// Both calls of one operation.
fn run_operation(world: &World, key: &str, calls: [&SampleCall; 2]) -> Outcome {
    let first = calls[0];
    if matches!(first.body, Some(SampleBody::Other(_))) {
        return Outcome::Upload;
    }
    for call in calls {
        let body_file = world.dir.path().join(format!(
            "{}-{}-{}.json",
            call.product,
            call.operation_id,
            call.arguments.len()
        ));
        let (args, stdin) = arguments(call, &body_file);
        let mut command = world.command();
        command.env("INFOBIP_BASE_URL", world.url());
        match call.credential {
            SampleCredential::ApiKey => {
                command
                    .env("INFOBIP_AUTH", "api-key")
                    .env("INFOBIP_API_KEY", key);
            }
            // The command line needs credentials even where the operation takes none.
            _ => {
                command
                    .env("INFOBIP_AUTH", "basic")
                    .env("INFOBIP_USERNAME", DEMO_USERNAME)
                    .env("INFOBIP_PASSWORD", DEMO_PASSWORD);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = world.run_with(command, &args, &stdin);
        if run.code != 0 {
            return Outcome::Failed(format!(
                "infobip {}: exit {}\n{}",
                args.join(" "),
                run.code,
                run.stderr
            ));
        }
    }
    Outcome::Proven
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_described_operation_runs_through_the_generated_client_in_both_shapes() {
    let world = World::start().await;
    let key = world
        .sandbox
        .create_api_key(
            DEMO_USERNAME,
            serde_json::json!({
                "name": "every scope",
                "scopeGuids": every_scope().unwrap(),
            }),
        )
        .unwrap()
        .secret
        .expose_secret()
        .to_owned();
    let [required, full] = SampleShape::BOTH.map(|shape| sample_calls(shape).unwrap());
    let operations: Vec<[&SampleCall; 2]> = required
        .iter()
        .zip(&full)
        .filter(|(call, _)| !call.stateful)
        .map(|(a, b)| [a, b])
        .collect();
    let next = Mutex::new(operations.iter());
    let outcomes = Mutex::new(Vec::new());
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            for _ in 0..WORKERS {
                scope.spawn(|| loop {
                    let Some(calls) = next.lock().unwrap().next() else {
                        return;
                    };
                    let outcome = run_operation(&world, &key, *calls);
                    outcomes.lock().unwrap().push((calls[0], outcome));
                });
            }
        });
    });
    // (proven, raw bodies, operations) per product.
    let mut report: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let mut failures = Vec::new();
    for (call, outcome) in outcomes.into_inner().unwrap() {
        let counts = report.entry(call.product).or_default();
        counts[2] += 1;
        match outcome {
            Outcome::Proven => counts[0] += 1,
            Outcome::Upload => counts[1] += 1,
            Outcome::Failed(why) => failures.push(why),
        }
    }
    let line = |name: &str, counts: &[usize; 3]| {
        println!(
            "{name}: {} of {} operations through the client in both shapes ({} raw bodies)",
            counts[0], counts[2], counts[1]
        );
    };
    let mut all = [0; 3];
    for (product, counts) in &report {
        line(product, counts);
        for (total, count) in all.iter_mut().zip(counts) {
            *total += count;
        }
    }
    line("all", &all);
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The proof above can fail: an answer missing a property the description requires does not
/// decode into the client's typed answer, so its command fails, where the same answer whole
/// succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_a_required_property_fails_its_command() {
    let world = World::start().await;
    let whole: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/platform/1/blocklists", world.url()))
        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut cut = whole.clone();
    assert!(cut.as_object_mut().unwrap().remove("paging").is_some());
    let run = |answer: &serde_json::Value| {
        let answer: &'static str = Box::leak(answer.to_string().into_boxed_str());
        let (url, _requests) = common::stub::server("application/json", answer);
        let mut command = world.command();
        command
            .env("INFOBIP_BASE_URL", url)
            .env("INFOBIP_AUTH", "basic")
            .env("INFOBIP_USERNAME", DEMO_USERNAME)
            .env("INFOBIP_PASSWORD", DEMO_PASSWORD);
        tokio::task::block_in_place(|| {
            world.run_with(command, &["blocklist", "get-all-blocklists"], "")
        })
    };
    run(&whole).expect(0);
    let failed = run(&cut);
    assert_ne!(failed.code, 0, "{}", failed.all());
    assert!(
        failed.stderr.contains("a body unlike its description"),
        "{}",
        failed.stderr
    );
}
