//! `infobip sms send --to NUMBER --text TEXT`: the friendly form of `sms send-sms-messages`.

use clap::{Args as _, FromArgMatches as _};
use infobip_client::sms::types::{
    SmsMessage, SmsRequestEnvelope, SmsTextMessageContent, SmsToDestination,
};
use infobip_client::Products as _;

use super::Context;
use crate::failure::Failure;
use crate::output::{self, Output};

/// `infobip sms send`.
#[derive(Debug, clap::Args)]
pub struct Send {
    /// The destination: an international number, country code first (41793026727, or
    /// +41793026727). Repeat it for several
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
    // Numbers are checked by Infobip, which names the one it refuses; the `+` people write
    // before the country code is taken off, as Infobip wants the digits alone.
    let destinations: Vec<SmsToDestination> = args
        .to
        .iter()
        .map(|to| SmsToDestination::new(international(to)))
        .collect();
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
    match context.output() {
        // Infobip's answer as it wrote it, as `sms send-sms-messages` prints it.
        Output::Json => {
            let json = serde_json::to_value(&answer)
                .map_err(|e| Failure::local(format!("the answer cannot be printed ({e})")))?;
            output::print(&json, Output::Json);
        }
        Output::Table => {
            if let Some(bulk) = &answer.bulk_id {
                println!("bulk id  {bulk}");
            }
            let header: Vec<String> = ["TO", "MESSAGE ID", "STATUS", "GROUP", "DESCRIPTION"]
                .into_iter()
                .map(String::from)
                .collect();
            let rows: Vec<Vec<String>> = answer
                .messages
                .iter()
                .map(|message| {
                    let status = message.status.as_ref();
                    vec![
                        message.destination.clone().unwrap_or_default(),
                        message.message_id.clone().unwrap_or_default(),
                        status.and_then(|s| s.name.clone()).unwrap_or_default(),
                        status
                            .and_then(|s| s.group_name.as_ref().map(|g| g.to_string()))
                            .unwrap_or_default(),
                        status
                            .and_then(|s| s.description.clone())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            print!("{}", output::align(&header, &rows));
        }
    }
    Ok(())
}

/// A destination as Infobip takes it: the digits, without the `+` written before the
/// country code (`+41793026727` is `41793026727`).
pub fn international(number: &str) -> &str {
    let number = number.trim();
    number.strip_prefix('+').unwrap_or(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plus_before_the_country_code_is_taken_off() {
        assert_eq!(international("+41793026727"), "41793026727");
        assert_eq!(international("41793026727"), "41793026727");
        // Anything else is Infobip's to judge, and to name in its refusal.
        assert_eq!(international("++4179"), "+4179");
    }
}
