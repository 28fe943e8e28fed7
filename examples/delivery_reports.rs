//! Receives SMS delivery reports: serves a webhook, sends one SMS whose report is to come
//! back to it, prints the report when it arrives, and exits.
//!
//! ```sh
//! cargo run -p infobip-sandbox   # in another terminal: a local Infobip, and the variables to export
//! WEBHOOK_PASSWORD=choose-one cargo run -p infobip-examples --bin delivery-reports -- 41793026727
//! ```
//!
//! The connection comes from the environment, as for `send-sms`. The webhook listens on
//! `WEBHOOK_LISTEN` (`127.0.0.1:0`: a port the system picks) and takes Basic credentials
//! `infobip` / `WEBHOOK_PASSWORD`. The send names the webhook's URL: `WEBHOOK_URL`, for a
//! service Infobip reaches at a public address (then set the same credentials in the
//! subscription's security settings at Infobip), or by default the local address with the
//! credentials in it, which the sandbox sends as Basic credentials.

use std::time::Duration;

use infobip_auth::ClientBuilder;
use infobip_client::sms::types::{
    DeliveryReports, MessageDeliveryReporting, SmsMessage, SmsRequestEnvelope,
    SmsTextMessageContent, SmsToDestination, Webhooks,
};
use infobip_client::sms::webhooks::OutboundSmsMessageReportV3;
use infobip_client::webhooks::{MemoryDedup, Receiver};
use infobip_client::Products as _;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::mpsc;

/// Where the receiver is mounted.
const ROUTE: &str = "/webhooks/sms/reports";
/// How long to wait for the report before giving up (the sandbox reports after 3 seconds).
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (Some(to), Ok(password)) = (std::env::args().nth(1), std::env::var("WEBHOOK_PASSWORD"))
    else {
        eprintln!("usage: WEBHOOK_PASSWORD=... delivery-reports NUMBER (e.g. 41793026727)");
        std::process::exit(2);
    };
    let password = SecretString::from(password);

    // The service's handler: here it passes each report on; a service would store it. It
    // answers Ok only once the reports are safe: an Err makes Infobip deliver them again.
    let (reports, mut received) = mpsc::unbounded_channel();
    let receiver = Receiver::new(
        OutboundSmsMessageReportV3,
        move |delivered: DeliveryReports| {
            let reports = reports.clone();
            async move {
                reports
                    .send(delivered)
                    .map_err(|_| "the service is stopping")
            }
        },
    )
    .basic("infobip", password.clone())
    .dedup(MemoryDedup::new());
    let app = axum::Router::new().route(ROUTE, receiver.post());
    let listen = std::env::var("WEBHOOK_LISTEN").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let url = std::env::var("WEBHOOK_URL").unwrap_or_else(|_| {
        format!(
            "http://infobip:{}@{address}{ROUTE}",
            password.expose_secret()
        )
    });
    let infobip = ClientBuilder::from_env()?.connect()?;
    let request = SmsRequestEnvelope::new([SmsMessage::new(
        SmsTextMessageContent::new("Hello from infobip-client"),
        [SmsToDestination::new(to)],
    )
    .webhooks(Webhooks::new().delivery(MessageDeliveryReporting::new().url(url)))]);
    let sent = infobip
        .sms()
        .send_sms_messages()
        .body(request)
        .send()
        .await?;
    let id = sent.messages.first().and_then(|m| m.message_id.clone());
    println!("sent {}", id.as_deref().unwrap_or("(no id)"));

    let delivered = tokio::time::timeout(PATIENCE, received.recv())
        .await
        .map_err(|_| format!("no delivery report within {PATIENCE:?}"))?
        .ok_or("the webhook stopped")?;
    for report in delivered.results {
        let status = report.status.and_then(|s| s.name);
        println!(
            "report {}: {}",
            report.message_id.as_deref().unwrap_or("(no id)"),
            status.as_deref().unwrap_or("(no status)")
        );
    }
    Ok(())
}
