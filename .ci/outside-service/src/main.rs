//! The README's SMS send, as a user's service writes it, against the sandbox from its package.

use infobip_auth::ClientBuilder;
use infobip_client::sms::types::{
    SmsMessage, SmsRequestEnvelope, SmsTextMessageContent, SmsToDestination,
};
use infobip_client::Products as _;
use infobip_sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxConfig::for_tests()).await?;
    let infobip = ClientBuilder::basic(DEMO_USERNAME, DEMO_PASSWORD)
        .base_url(sandbox.base_url())
        .connect()?;
    let request = SmsRequestEnvelope::new([SmsMessage::new(
        SmsTextMessageContent::new("Your code is 918273"),
        [SmsToDestination::new("41793026727")],
    )
    .sender("InfoSMS")]);
    let sent = infobip.sms().send_sms_messages().body(request).send().await?;
    let balance = infobip.account().get_account_balance().send().await?;
    println!(
        "sent {} message(s) from the packaged crates; balance {} {}",
        sent.messages.len(),
        balance.balance,
        balance.currency
    );
    sandbox.shutdown().await;
    Ok(())
}
