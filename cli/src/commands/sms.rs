//! `infobip sms send --to NUMBER --text TEXT`: the friendly form of `sms send-sms-messages`.

use clap::{Args as _, FromArgMatches as _};
use infobip_client::sms::types::{
    SmsMessage, SmsRequestEnvelope, SmsTextMessageContent, SmsToDestination,
};
use infobip_client::Products as _;
use serde_json::{json, Value};

use super::Context;
use crate::failure::Failure;
use crate::output::{self, Output};

/// `infobip sms send`.
#[derive(Debug, clap::Args)]
pub struct Send {
    /// The destination: an international number, country code first, without `+` or `00`
    /// (41793026727). Repeat it for several
    #[arg(long, value_name = "NUMBER", required = true)]
    to: Vec<String>,
    /// The message text
    #[arg(long)]
    text: String,
    /// The sender: a name or number your account may use
    #[arg(long, value_name = "SENDER")]
    from: Option<String>,
}

/// The `send` subcommand of `sms`.
pub fn send_command() -> clap::Command {
    Send::augment_args(clap::Command::new("send")).about(
        "Send one text message to one or more numbers, and print each message's id and status",
    )
}

/// Runs `infobip sms send`.
pub async fn send(context: &Context, matches: &clap::ArgMatches) -> Result<(), Failure> {
    let args = Send::from_arg_matches(matches).map_err(|e| Failure::usage(e.to_string()))?;
    // Numbers are checked by Infobip, which names the one it refuses.
    let destinations: Vec<SmsToDestination> = args.to.iter().map(SmsToDestination::new).collect();
    let mut message = SmsMessage::new(SmsTextMessageContent::new(args.text), destinations);
    message.sender = args.from;
    let request = SmsRequestEnvelope::new([message]);
    let session = context.connect().await?;
    let sms = session.infobip.sms();
    let answer =
        crate::spinner::while_waiting("sending...", sms.send_sms_messages().body(request).send())
            .await
            .map_err(|e| Failure::of_call(&e, session.scheme()))?
            .into_inner();
    let messages: Vec<Value> = answer
        .messages
        .iter()
        .map(|message| {
            let status = message.status.as_ref();
            json!({
                "to": message.destination,
                "message_id": message.message_id,
                "status": status.and_then(|s| s.name.clone()),
                "group": status.and_then(|s| s.group_name.as_ref().map(|g| g.to_string())),
                "description": status.and_then(|s| s.description.clone()),
            })
        })
        .collect();
    let mut report = json!({"messages": messages});
    if let Some(bulk) = &answer.bulk_id {
        report["bulk_id"] = json!(bulk);
    }
    match context.output() {
        Output::Json => output::print(&report, Output::Json),
        Output::Table => {
            if let Some(bulk) = &answer.bulk_id {
                println!("bulk id  {bulk}");
            }
            let header: Vec<String> = ["TO", "MESSAGE ID", "STATUS", "GROUP", "DESCRIPTION"]
                .into_iter()
                .map(String::from)
                .collect();
            let rows: Vec<Vec<String>> = messages
                .iter()
                .map(|m| {
                    ["to", "message_id", "status", "group", "description"]
                        .iter()
                        .map(|k| m.get(*k).map(output::cell).unwrap_or_default())
                        .collect()
                })
                .collect();
            print!("{}", output::align(&header, &rows));
        }
    }
    Ok(())
}
