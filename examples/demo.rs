//! `cargo xtask demo` (which runs this binary): every scheme and an SMS, end to end, against a
//! sandbox started in-process. It lives beside the sandbox, not in xtask, so that xtask builds without
//! the crates that `cargo xtask regen` rewrites.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;

use futures_util::future::join_all;
use infobip_auth::clock::ManualClock;
use infobip_auth::{ClientBuilder, ClientExt as _, Infobip};
use infobip_client::account::types::{CreateApiKeyRequest, UpdateApiKeyRequest};
use infobip_client::account::Client;
use infobip_client::sms::types::{
    LogResponseSmsLogSmsMessageContent, SmsMessage, SmsRequestEnvelope, SmsTextMessageContent,
    SmsToDestination,
};
use infobip_client::Products as _;
use infobip_sandbox::{
    Endpoint, Fault, Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE,
};

type StepResult = Result<String, String>;

struct Demo {
    sandbox: Sandbox,
    /// Drives token and session expiry on both sides, so renewal shows without waiting.
    clock: ManualClock,
    /// Requests already shown; cells, so that a step's work may read the sandbox meanwhile.
    seen: Cell<usize>,
    failures: RefCell<Vec<String>>,
}

/// Runs the demo; `Err` lists the steps that failed.
async fn run() -> Result<(), String> {
    let clock = ManualClock::new();
    let config = SandboxConfig::default().with_clock(SandboxClock(clock.clone()));
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|e| format!("the sandbox could not start: {e}"))?;
    println!(
        "Infobip demo against the local sandbox at {} (account `{DEMO_USERNAME}`; \
         expiry runs on a simulated clock)\n\
         Its code, step by step: examples/demo.rs; programs to start from: examples/",
        sandbox.base_url()
    );
    let demo = Demo {
        sandbox,
        clock,
        seen: Cell::new(0),
        failures: RefCell::new(Vec::new()),
    };

    let basic = demo.client(ClientBuilder::basic(DEMO_USERNAME, DEMO_PASSWORD))?;
    let oauth = demo.client(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD))?;
    let ibsso = demo.client(ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD))?;

    demo.step("Basic: read the balance", balance(&basic)).await;
    sms_steps(&demo, &basic).await?;
    demo.step(
        "OAuth 2.0: the first call fetches a token, the second reuses it",
        async {
            balance(&oauth).await?;
            balance(&oauth).await
        },
    )
    .await;
    let clock = demo.clock.clone();
    let sandbox = &demo.sandbox;
    demo.step(
        "OAuth 2.0: 56 minutes later the token is renewed before it expires",
        async {
            clock.advance(Duration::from_secs(56 * 60));
            let fetched = sandbox.count(Endpoint::CreateOAuth2Token);
            // Inside the renewal margin: the call is served at once by the token, which is
            // still valid, while one renewal runs in the background.
            balance(&oauth).await?;
            // Shown in this step: wait until Infobip has answered the renewal.
            while sandbox.answered(Endpoint::CreateOAuth2Token) <= fetched {
                tokio::task::yield_now().await;
            }
            balance(&oauth)
                .await
                .map(|b| format!("{b}; the call was not held up by the renewal"))
        },
    )
    .await;
    let cold = demo.client(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD))?;
    demo.step(
        "OAuth 2.0: 50 concurrent calls on a cold client share one token request",
        async {
            let results = join_all((0..50).map(|_| cold.get_account_balance().send())).await;
            let ok = results.iter().filter(|r| r.is_ok()).count();
            (ok == 50)
                .then(|| format!("{ok}/50 calls succeeded with one token"))
                .ok_or_else(|| format!("only {ok}/50 calls succeeded"))
        },
    )
    .await;

    demo.step(
        "IBSSO: log in on first use, then list the API keys",
        async {
            balance(&ibsso).await?;
            let keys = ibsso
                .get_api_keys_by_filter()
                .send()
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "{} key(s) listed with the same session",
                keys.api_keys.len()
            ))
        },
    )
    .await;
    let sandbox_ends = |demo: &Demo| demo.sandbox.end_sessions(DEMO_USERNAME);
    sandbox_ends(&demo);
    demo.step(
        "IBSSO: the server ended the session; the client logs in again and retries once",
        balance(&ibsso),
    )
    .await;
    demo.step("IBSSO: log out", async {
        ibsso.logout().await.map_err(|e| e.to_string())?;
        Ok(String::from("session destroyed"))
    })
    .await;

    let mut key = None;
    demo.step(
        "API key: create one with Basic (scope account-management:manage)",
        async {
            let created = basic
                .create_api_key()
                .body(
                    CreateApiKeyRequest::builder()
                        .name("demo key")
                        .scope_guids(vec![MANAGE_SCOPE.to_owned()]),
                )
                .send()
                .await
                .map_err(|e| e.to_string())?
                .into_inner();
            let id = created.id.clone().unwrap_or_default();
            key = Some(created);
            Ok(format!("key {id} created (its secret is not printed)"))
        },
    )
    .await;
    let Some(key) = key else {
        return demo.finish().await;
    };
    let id = key.id.clone().unwrap_or_default();
    let secret = key
        .api_key_secret
        .as_ref()
        .map(|s| s.expose().to_owned())
        .unwrap_or_default();
    let app = demo.client(ClientBuilder::api_key(secret))?;
    demo.step("API key: read the balance with the new key", balance(&app))
        .await;
    demo.step(
        "API key: managing keys is refused before anything is sent",
        async {
            match app.get_api_keys_by_filter().send().await {
                Err(e) if infobip_auth::AuthFailure::of(&e).is_some() => {
                    Ok(String::from("refused locally, as expected"))
                }
                Err(e) => Err(e.to_string()),
                Ok(_) => Err(String::from("an API key was allowed to list keys")),
            }
        },
    )
    .await;
    demo.step(
        "API key: remove its scopes, then it is refused with 403",
        async {
            update(
                &basic,
                &id,
                UpdateApiKeyRequest::builder().scope_guids(Vec::<String>::new()),
            )
            .await?;
            expect_status(&app, 403).await
        },
    )
    .await;
    demo.step(
        "API key: revoke it (enabled: false), then it is refused with 401",
        async {
            update(&basic, &id, UpdateApiKeyRequest::builder().enabled(false)).await?;
            expect_status(&app, 401).await
        },
    )
    .await;

    // Three services sharing a token store (in-process here; Redis for a fleet).
    let store = infobip_auth::store::MemoryStore::new();
    // A real key comes from your secrets (`openssl rand -base64 32`).
    let key = infobip_auth::store::EncryptionKey::from_bytes([7; 32]);
    let services = (0..3)
        .map(|_| {
            demo.client(
                ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD)
                    .token_store(store.clone(), key.clone()),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    demo.step(
        "Shared token store: three services, 60 concurrent calls, one token between them",
        async {
            let calls = (0..60).map(|i| services[i % 3].get_account_balance().send());
            let ok = join_all(calls).await.iter().filter(|r| r.is_ok()).count();
            (ok == 60)
                .then(|| format!("{ok}/60 calls succeeded"))
                .ok_or_else(|| format!("only {ok}/60 calls succeeded"))
        },
    )
    .await;

    demo.sandbox
        .inject(Endpoint::CreateOAuth2Token, Fault::status(503));
    let retrying = demo.client(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD))?;
    demo.step(
        "OAuth 2.0: the token endpoint answers 503 once; the client backs off and retries",
        balance(&retrying),
    )
    .await;

    demo.finish().await
}

/// An SMS sent with an API key made for it, its delivery report, the key's refusal to read
/// the logs (with the scope it lacks named), and a hand-written request through a
/// reqwest-middleware client that carries the connection's token.
async fn sms_steps(demo: &Demo, basic: &Client) -> Result<(), String> {
    let mut secret = None;
    demo.step(
        "API key for SMS: create one with Basic, scoped to sms:message:send",
        async {
            let created = basic
                .create_api_key()
                .body(
                    CreateApiKeyRequest::builder()
                        .name("sms sender")
                        .scope_guids(vec![String::from("sms:message:send")]),
                )
                .send()
                .await
                .map_err(|e| e.to_string())?
                .into_inner();
            secret = created.api_key_secret.map(|s| s.expose().to_owned());
            Ok(format!(
                "key {} created (its secret is not printed)",
                created.id.unwrap_or_default()
            ))
        },
    )
    .await;
    let Some(secret) = secret else {
        return Ok(());
    };
    let sender = demo.connect(ClientBuilder::api_key(secret))?;

    let mut message_id = String::new();
    demo.step("SMS: send a text with that key", async {
        let sent = sender
            .sms()
            .send_sms_messages()
            .body(text_message("41793026727", "Hello from Rust"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .into_inner();
        let message = sent.messages.first().ok_or("no message in the answer")?;
        message_id = message.message_id.clone().unwrap_or_default();
        let status = message.status.as_ref().and_then(|s| s.name.as_deref());
        Ok(format!(
            "message {message_id} to {}: {}",
            message.destination.as_deref().unwrap_or("?"),
            status.unwrap_or("?")
        ))
    })
    .await;

    demo.step(
        "SMS: 3 seconds later, read its delivery report (handed out once)",
        async {
            demo.clock.advance(Duration::from_secs(3));
            let reports = sender
                .sms()
                .get_outbound_sms_message_delivery_reports_v3()
                .message_id(&message_id)
                .send()
                .await
                .map_err(|e| e.to_string())?
                .into_inner()
                .results;
            let report = reports.first().ok_or("no delivery report")?;
            let price = report.price.as_ref();
            Ok(format!(
                "{}: {} for {:.2} {}",
                report.message_id.as_deref().unwrap_or("?"),
                report
                    .status
                    .as_ref()
                    .and_then(|s| s.name.as_deref())
                    .unwrap_or("?"),
                price.and_then(|p| p.price_per_message).unwrap_or_default(),
                price.and_then(|p| p.currency.as_deref()).unwrap_or("")
            ))
        },
    )
    .await;

    demo.step(
        "SMS: the key may not read the logs; the refusal names the scopes that would allow it",
        async {
            match sender.sms().get_outbound_sms_message_logs_v3().send().await {
                Err(e) => sender
                    .scope_refusal(&e)
                    .map(|refusal| refusal.to_string())
                    .ok_or_else(|| e.to_string()),
                Ok(_) => Err(String::from("a key without a logs scope read the logs")),
            }
        },
    )
    .await;

    let oauth = demo.connect(ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD))?;
    demo.step(
        "Middleware: a hand-written request through a reqwest-middleware client gets the connection's token",
        async {
            let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
                .with(oauth.middleware())
                .build();
            let logs: LogResponseSmsLogSmsMessageContent = http
                .get(format!("{}/sms/3/logs?limit=10", demo.sandbox.base_url()))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .error_for_status()
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("{} message(s) in the logs", logs.results.len()))
        },
    )
    .await;
    Ok(())
}

/// A send of `text` to `to`: the generated types, with every option left out.
fn text_message(to: &str, text: &str) -> SmsRequestEnvelope {
    SmsRequestEnvelope::new([SmsMessage::new(
        SmsTextMessageContent::new(text),
        [SmsToDestination::new(to)],
    )])
}

impl Demo {
    fn client(&self, builder: ClientBuilder) -> Result<Client, String> {
        self.connect(builder).map(|infobip| infobip.client())
    }

    fn connect(&self, builder: ClientBuilder) -> Result<Infobip, String> {
        builder
            .base_url(self.sandbox.base_url())
            .clock(self.clock.clone())
            .connect()
            .map_err(|e| e.to_string())
    }

    async fn step(&self, name: &str, work: impl Future<Output = StepResult>) {
        println!("\n* {name}");
        let outcome = work.await;
        let requests = self.sandbox.requests();
        let lines: Vec<String> = requests
            .iter()
            .skip(self.seen.get())
            .map(|r| {
                let scheme = r.scheme.map_or("no auth", |s| s.name());
                let status = r.status.map_or("dropped".into(), |s| s.to_string());
                format!("{:<6} {:<26} {:<8} -> {status}", r.method, r.path, scheme)
            })
            .collect();
        // Identical requests in a row (a burst of concurrent calls) print once, counted.
        for run in lines.chunk_by(|a, b| a == b) {
            match run.len() {
                1 => println!("    {}", run[0]),
                n => println!("    {}  x{n}", run[0]),
            }
        }
        self.seen.set(requests.len());
        match outcome {
            Ok(what) => println!("  ok: {what}"),
            Err(why) => {
                println!("  FAILED: {why}");
                self.failures.borrow_mut().push(name.to_owned());
            }
        }
    }

    async fn finish(self) -> Result<(), String> {
        let total = self.seen.get();
        let failures = self.failures.into_inner();
        self.sandbox.shutdown().await;
        if failures.is_empty() {
            println!("\nall steps passed ({total} requests)");
            Ok(())
        } else {
            let mut message = format!("{} step(s) failed:", failures.len());
            for failure in &failures {
                let _ = write!(message, "\n  - {failure}");
            }
            Err(message)
        }
    }
}

async fn balance(client: &Client) -> StepResult {
    let balance = client
        .get_account_balance()
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "balance {:.2} {}",
        balance.balance, balance.currency
    ))
}

async fn update(
    client: &Client,
    id: &str,
    body: infobip_client::account::types::builder::UpdateApiKeyRequest,
) -> Result<(), String> {
    client
        .update_api_key()
        .api_key_id(id)
        .body(body)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn expect_status(client: &Client, status: u16) -> StepResult {
    match client.get_account_balance().send().await {
        Err(e) if e.status() == Some(status) => Ok(format!("refused as expected: {e}")),
        Err(e) => Err(e.to_string()),
        Ok(_) => Err(format!("expected {status}, the call succeeded")),
    }
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The clients' clock as the sandbox's too, so that expiry happens on both sides at once. The
/// sandbox has a clock trait of its own: it does not depend on the auth crate it stands in for.
#[derive(Debug)]
struct SandboxClock(ManualClock);

impl infobip_sandbox::Clock for SandboxClock {
    fn now(&self) -> std::time::Instant {
        infobip_auth::clock::Clock::now(&self.0)
    }

    fn wall(&self) -> std::time::SystemTime {
        infobip_auth::clock::Clock::wall(&self.0)
    }
}
