//! Sends one SMS, prints each message's id and status, then the account's balance.
//!
//! ```sh
//! cargo run -p infobip-sandbox   # in another terminal: a local Infobip, and the variables to export
//! cargo run -p infobip-examples --bin send-sms -- 41793026727
//! ```
//!
//! The connection comes from the environment (`INFOBIP_BASE_URL`, and `INFOBIP_API_KEY` or
//! `INFOBIP_AUTH` with the scheme's variables: the README lists them), so the same program
//! runs against an account.

use infobip_auth::ClientBuilder;
use infobip_client::sms::types::{
    SmsMessage, SmsRequestEnvelope, SmsTextMessageContent, SmsToDestination,
};
use infobip_client::Products as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(to) = std::env::args().nth(1) else {
        eprintln!("usage: send-sms NUMBER (international form, e.g. 41793026727)");
        std::process::exit(2);
    };
    // One connection per account, kept for the life of the service (cheap to clone).
    let infobip = ClientBuilder::from_env()?.connect()?;

    let request = SmsRequestEnvelope::new([SmsMessage::new(
        SmsTextMessageContent::new("Hello from infobip-client"),
        [SmsToDestination::new(to)],
    )
    .sender("InfoSMS")]);
    let sent = infobip
        .sms()
        .send_sms_messages()
        .body(request)
        .send()
        .await?;
    for message in &sent.messages {
        let id = message.message_id.as_deref().unwrap_or("(no id)");
        let status = message.status.as_ref().and_then(|s| s.name.as_deref());
        println!("sent {id}: {}", status.unwrap_or("(no status)"));
    }

    let balance = infobip.account().get_account_balance().send().await?;
    println!("balance: {} {}", balance.balance, balance.currency);
    Ok(())
}
