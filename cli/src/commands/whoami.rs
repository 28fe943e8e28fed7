//! `infobip whoami`: are the credentials good, and what can they do?

use infobip_auth::Scheme;
use infobip_client::account::operations::GET_ACCOUNT_BALANCE;
use infobip_client::sms::operations::GET_OUTBOUND_SMS_MESSAGE_LOGS_V3;
use infobip_client::{Operation, Products as _};
use serde_json::{json, Value};

use super::Context;
use crate::connect::Session;
use crate::failure::{scheme_name, Failure, Kind};
use crate::output::{self, Output};

/// Runs it.
pub async fn run(context: &Context) -> Result<(), Failure> {
    let session = context.connect().await?;
    let scheme = session.scheme();
    let mut report = json!({
        "credentials": session.source.to_string(),
        "base_url": session.base_url,
        "scheme": scheme_name(scheme),
    });
    if let Some(user) = &session.username {
        report["user"] = json!(user);
    }
    let details = match scheme {
        Scheme::ApiKeyHeader => {
            crate::spinner::while_waiting("checking the key...", key_checks(&session)).await?
        }
        _ => crate::spinner::while_waiting("checking...", user_checks(&session)).await?,
    };
    if let (Value::Object(report), Value::Object(details)) = (&mut report, details) {
        report.extend(details);
    }
    match context.output() {
        Output::Json => output::print(&report, Output::Json),
        Output::Table => print_table(&report),
    }
    Ok(())
}

/// Read-only calls an API key may make, one per product, to learn which scopes it has: an
/// API key cannot read key management, so trying is the only way. Delivery reports are not
/// among them: reading them consumes them.
async fn key_checks(session: &Session) -> Result<Value, Failure> {
    let balance = session.infobip.account().get_account_balance().send().await;
    let balance = outcome(&balance.map(drop), &GET_ACCOUNT_BALANCE)?;
    let logs = session
        .infobip
        .sms()
        .get_outbound_sms_message_logs_v3()
        .limit(1)
        .send()
        .await;
    let logs = outcome(&logs.map(drop), &GET_OUTBOUND_SMS_MESSAGE_LOGS_V3)?;
    Ok(json!({
        "status": "valid: Infobip accepts the key",
        "calls": [balance, logs],
    }))
}

/// What one call came to; a refused key ends the check.
fn outcome(
    result: &Result<(), infobip_client::Error>,
    operation: &'static Operation,
) -> Result<Value, Failure> {
    let (result, missing) = match result {
        Ok(()) => (String::from("works"), Vec::new()),
        Err(error) => {
            let failure = Failure::of_call(error, Scheme::ApiKeyHeader);
            match failure.kind {
                Kind::Permission => (
                    String::from("refused: the key lacks the scope"),
                    operation.scopes.to_vec(),
                ),
                // Refused, or no answer at all: nothing is known of the key.
                Kind::Auth | Kind::Local => return Err(failure),
                _ => (format!("failed: {}", failure.message), Vec::new()),
            }
        }
    };
    let mut value = json!({"operation": operation.id, "result": result});
    if !missing.is_empty() {
        value["needs_one_of"] = json!(missing);
    }
    Ok(value)
}

/// Basic, IBSSO and OAuth: a token (where the scheme has one), then the account's keys.
async fn user_checks(session: &Session) -> Result<Value, Failure> {
    let token = matches!(session.scheme(), Scheme::OAuth2 | Scheme::IbssoTokenHeader);
    if token {
        crate::commands::token::authorization(session).await?;
    }
    let mut details = json!({"status": if token {
        "valid: Infobip issued a token (reused from the token store when one is there)"
    } else {
        "valid"
    }});
    match crate::commands::api_key::list(session).await {
        Ok(keys) => {
            let keys: Vec<Value> = keys
                .iter()
                .map(|key| {
                    json!({
                        "id": key.id,
                        "name": key.name,
                        "enabled": key.enabled,
                        "scopes": key.scope_guids,
                        "valid_from": key.valid_from.map(|t| t.to_string()),
                        "valid_to": key.valid_to.map(|t| t.to_string()),
                    })
                })
                .collect();
            details["api_keys"] = Value::Array(keys);
        }
        // Refused, or no answer at all: nothing is known of the credentials.
        Err(failure) if matches!(failure.kind, Kind::Auth | Kind::Local) => return Err(failure),
        Err(failure) => {
            // Basic has no token to prove it: only an answer other than a refusal does (a 403
            // for want of a scope is one).
            if !token && failure.kind != Kind::Permission {
                details["status"] =
                    json!("not confirmed: Infobip answered the check with an error");
            }
            details["api_keys_unavailable"] = json!(failure.message);
        }
    }
    Ok(details)
}

fn print_table(report: &Value) {
    let Value::Object(fields) = report else {
        return;
    };
    let mut rows = Vec::new();
    for (name, label) in [
        ("credentials", "credentials"),
        ("base_url", "base URL"),
        ("scheme", "scheme"),
        ("user", "user"),
        ("status", "status"),
        ("api_keys_unavailable", "API keys"),
    ] {
        if let Some(value) = fields.get(name) {
            rows.push(vec![label.to_owned(), output::cell(value)]);
        }
    }
    print!("{}", output::align(&[], &rows));
    if let Some(Value::Array(calls)) = fields.get("calls") {
        println!();
        let header: Vec<String> = ["CALL", "RESULT", "NEEDS ONE OF"]
            .into_iter()
            .map(String::from)
            .collect();
        let rows: Vec<Vec<String>> = calls
            .iter()
            .map(|call| {
                ["operation", "result", "needs_one_of"]
                    .iter()
                    .map(|k| call.get(*k).map(output::cell).unwrap_or_default())
                    .collect()
            })
            .collect();
        print!("{}", output::align(&header, &rows));
    }
    if let Some(Value::Array(keys)) = fields.get("api_keys") {
        println!();
        if keys.is_empty() {
            println!("No API keys.");
            return;
        }
        let header: Vec<String> = [
            "API KEY",
            "NAME",
            "ENABLED",
            "SCOPES",
            "VALID FROM",
            "VALID TO",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let rows: Vec<Vec<String>> = keys
            .iter()
            .map(|key| {
                ["id", "name", "enabled", "scopes", "valid_from", "valid_to"]
                    .iter()
                    .map(|k| match (k, key.get(*k)) {
                        (&"scopes", Some(Value::Null)) => String::from("(the user's role scopes)"),
                        (_, value) => value.map(output::cell).unwrap_or_default(),
                    })
                    .collect()
            })
            .collect();
        print!("{}", output::align(&header, &rows));
    }
}
