//! One replica of a service, for the multi-process token store tests (`tests/tests/fleet.rs`).
//!
//! Configured like any service, through `ClientBuilder::from_env` (`INFOBIP_*`, the token
//! store included), plus `FLEET_LEASE_MS` for the store lease. Its clock is a
//! `ManualClock`, moved only by the test, so that every replica sees an expiry at once.
//! It reads commands from stdin, one per line, and answers each with one line on stdout:
//!
//! - `burst N`: N concurrent balance calls; answers `done ok=N err=M`, then the first error;
//! - `advance SECS`: moves its clock; answers `advanced`;
//! - `logout`: ends the session; answers `logged-out ok` or `logged-out err <error>`;
//! - `key`: answers `key <the store key of its credential>` (`key none` without a store).
//!
//! Tracing events (the store's lock included) go to stderr.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use infobip_auth::clock::ManualClock;
use infobip_auth::{ClientBuilder, ClientExt as _};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("no runtime: {e}")),
    };
    let clock = ManualClock::new();
    let mut builder = match ClientBuilder::from_env() {
        Ok(builder) => builder.clock(clock.clone()),
        Err(e) => return fail(&e.to_string()),
    };
    if let Some(ms) = std::env::var("FLEET_LEASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder = builder.store_lease(Duration::from_millis(ms));
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(e) => return fail(&e.to_string()),
    };
    say("ready");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        match (
            words.next(),
            words.next().and_then(|n| n.parse::<u64>().ok()),
        ) {
            (Some("burst"), Some(n)) => {
                let results = runtime.block_on(async {
                    let calls: Vec<_> = (0..n)
                        .map(|_| {
                            let client = client.clone();
                            tokio::spawn(async move {
                                client
                                    .get_account_balance()
                                    .send()
                                    .await
                                    .map(drop)
                                    .map_err(|e| e.to_string())
                            })
                        })
                        .collect();
                    let mut results = Vec::new();
                    for call in calls {
                        results.push(call.await.unwrap_or_else(|e| Err(e.to_string())));
                    }
                    results
                });
                let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
                say(&format!(
                    "done ok={} err={} {}",
                    results.len() - errors.len(),
                    errors.len(),
                    errors.first().map_or("", |e| e.as_str())
                ));
            }
            (Some("advance"), Some(secs)) => {
                clock.advance(Duration::from_secs(secs));
                say("advanced");
            }
            (Some("logout"), _) => match runtime.block_on(client.logout()) {
                Ok(()) => say("logged-out ok"),
                Err(e) => say(&format!("logged-out err {e}")),
            },
            (Some("key"), _) => say(&format!(
                "key {}",
                infobip_auth::store::store_key(&client)
                    .as_deref()
                    .unwrap_or("none")
            )),
            _ => say(&format!("unknown command: {line}")),
        }
    }
    ExitCode::SUCCESS
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn fail(message: &str) -> ExitCode {
    say(&format!("failed {message}"));
    ExitCode::FAILURE
}
