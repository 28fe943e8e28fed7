//! The README's SMS send and its receiver of delivery reports, as a user's service writes
//! them, against the sandbox from its package.

use std::sync::{Arc, Mutex};

use infobip_auth::ClientBuilder;
use infobip_client::sms::types::{
    DeliveryReports, MessageDeliveryReporting, SmsMessage, SmsRequestEnvelope,
    SmsTextMessageContent, SmsToDestination, Webhooks,
};
use infobip_client::sms::webhooks::OutboundSmsMessageReportV3;
use infobip_client::webhooks::{MemoryDedup, Receiver};
use infobip_client::Products as _;
use infobip_sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};
use secrecy::SecretString;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox =
        Sandbox::start(SandboxConfig::for_tests().with_delivery_delay(std::time::Duration::ZERO))
            .await?;
    let infobip = ClientBuilder::basic(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(sandbox.base_url())
        .connect()?;

    let reported = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&reported);
    let receiver = Receiver::new(
        OutboundSmsMessageReportV3,
        move |reports: DeliveryReports| {
            let store = Arc::clone(&store);
            async move {
                let mut store = store.lock().map_err(|_| "the report list is poisoned")?;
                store.extend(reports.results.into_iter().filter_map(|r| r.message_id));
                Ok::<_, &str>(())
            }
        },
    )
    .basic("infobip", SecretString::from("outside-pw"))
    .dedup(MemoryDedup::new());
    let app = axum::Router::new().route("/webhooks/sms/reports", receiver.post());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let webhook = format!("http://infobip:outside-pw@{address}/webhooks/sms/reports");
    let request = SmsRequestEnvelope::new([SmsMessage::new(
        SmsTextMessageContent::new("Your code is 918273"),
        [SmsToDestination::new("41793026727")],
    )
    .sender("InfoSMS")
    .webhooks(Webhooks::new().delivery(MessageDeliveryReporting::new().url(webhook)))]);
    let sent = infobip
        .sms()
        .send_sms_messages()
        .body(request)
        .send()
        .await?;
    let balance = infobip.account().get_account_balance().send().await?;
    let posted = sandbox.deliver_due().await;
    let reported = reported
        .lock()
        .map_err(|_| "the report list is poisoned")?
        .clone();
    let id = sent.messages.first().and_then(|m| m.message_id.clone());
    if posted != 1 || reported.first() != id.as_ref() {
        return Err(format!("expected the report of {id:?}, received {reported:?}").into());
    }
    println!(
        "sent {} message(s) from the packaged crates, received its report; balance {} {}",
        sent.messages.len(),
        balance.balance,
        balance.currency
    );
    sandbox.shutdown().await;
    Ok(())
}
