//! `infobip whoami`: are the credentials good, and what can they do?
//!
//! Its JSON holds values a script can test (`"status": "valid"`, `"result": "refused"`),
//! keyed as Infobip keys its own (camelCase); the table says the same in words.

use infobip_auth::Scheme;
use infobip_client::account::operations::GET_ACCOUNT_BALANCE;
use infobip_client::sms::operations::GET_OUTBOUND_SMS_MESSAGE_LOGS_V3;
use infobip_client::{Operation, Products as _};
use serde_json::{json, Value};

use super::api_key::{self, Key};
use super::Context;
use crate::config::SchemeChoice;
use crate::connect::{Session, Source};
use crate::failure::{scheme_name, Failure, Kind};
use crate::output::{self, Output};

/// Runs it.
pub async fn run(context: &Context) -> Result<(), Failure> {
    let session = context.connect().await?;
    let scheme = session.scheme();
    let mut report = json!({
        "credentials": match &session.source {
            Source::Profile(_) => "profile",
            Source::Environment => "environment",
            Source::Sandbox => "sandbox",
        },
        "baseUrl": session.base_url,
        "scheme": SchemeChoice::of(scheme).env_value(),
    });
    if let Source::Profile(name) = &session.source {
        report["profile"] = json!(name);
    }
    if let Some(user) = &session.username {
        report["user"] = json!(user);
    }
    let (details, keys) = match scheme {
        Scheme::ApiKeyHeader => (
            crate::spinner::while_waiting("checking the key...", key_checks(&session)).await?,
            None,
        ),
        _ => crate::spinner::while_waiting("checking...", user_checks(&session)).await?,
    };
    if let (Value::Object(report), Value::Object(details)) = (&mut report, details) {
        report.extend(details);
    }
    match context.output() {
        Output::Json => output::print(&report, Output::Json),
        Output::Table => print_table(&report, &session, keys.as_deref()),
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
    Ok(json!({"status": "valid", "calls": [balance, logs]}))
}

/// What one call came to (`ok`, `refused` for want of a scope, `failed`); a refused key
/// ends the check.
fn outcome(
    result: &Result<(), infobip_client::Error>,
    operation: &'static Operation,
) -> Result<Value, Failure> {
    let mut value = json!({"operation": operation.id});
    match result {
        Ok(()) => value["result"] = json!("ok"),
        Err(error) => {
            let failure = Failure::of_call(error, Scheme::ApiKeyHeader);
            match failure.kind {
                Kind::Permission => {
                    value["result"] = json!("refused");
                    value["needsOneOf"] = json!(operation.scopes);
                }
                // Refused, or no answer at all: nothing is known of the key.
                Kind::Auth | Kind::Local => return Err(failure),
                _ => {
                    value["result"] = json!("failed");
                    value["error"] = json!(failure.message);
                }
            }
        }
    }
    Ok(value)
}

/// Basic, IBSSO and OAuth: a token (where the scheme has one), then the account's keys.
async fn user_checks(session: &Session) -> Result<(Value, Option<Vec<Key>>), Failure> {
    let token = matches!(session.scheme(), Scheme::OAuth2 | Scheme::IbssoTokenHeader);
    if token {
        crate::commands::token::authorization(session).await?;
    }
    let mut details = json!({"status": "valid"});
    match api_key::list(session).await {
        // As `api-key list --output json` prints them.
        Ok(keys) => {
            details["apiKeys"] = Value::Array(keys.iter().map(api_key::public).collect());
            return Ok((details, Some(keys)));
        }
        // Refused, or no answer at all: nothing is known of the credentials.
        Err(failure) if matches!(failure.kind, Kind::Auth | Kind::Local) => return Err(failure),
        Err(failure) => {
            // Basic has no token to prove it: only an answer other than a refusal does (a 403
            // for want of a scope is one).
            if !token && failure.kind != Kind::Permission {
                details["status"] = json!("unconfirmed");
            }
            details["apiKeysError"] = json!(failure.message);
        }
    }
    Ok((details, None))
}

fn print_table(report: &Value, session: &Session, keys: Option<&[Key]>) {
    let scheme = session.scheme();
    let text = |name: &str| report.get(name).map(output::cell).unwrap_or_default();
    let status = match (text("status").as_str(), scheme) {
        ("valid", Scheme::ApiKeyHeader) => "valid: Infobip accepts the key",
        ("valid", Scheme::OAuth2 | Scheme::IbssoTokenHeader) => {
            "valid: Infobip issued a token (reused from the token store when one is there)"
        }
        ("valid", _) => "valid",
        _ => "not confirmed: Infobip answered the check with an error",
    };
    let mut rows = vec![
        vec![String::from("credentials"), session.source.to_string()],
        vec![String::from("base URL"), text("baseUrl")],
        vec![String::from("scheme"), scheme_name(scheme).to_owned()],
    ];
    if let Some(user) = &session.username {
        rows.push(vec![String::from("user"), user.clone()]);
    }
    rows.push(vec![String::from("status"), status.to_owned()]);
    if report.get("apiKeysError").is_some() {
        rows.push(vec![String::from("API keys"), text("apiKeysError")]);
    }
    print!("{}", output::align(&[], &rows));
    if let Some(Value::Array(calls)) = report.get("calls") {
        println!();
        let header: Vec<String> = ["CALL", "RESULT", "NEEDS ONE OF"]
            .into_iter()
            .map(String::from)
            .collect();
        let rows: Vec<Vec<String>> = calls
            .iter()
            .map(|call| {
                let field = |name: &str| call.get(name).map(output::cell).unwrap_or_default();
                let result = match field("result").as_str() {
                    "ok" => String::from("works"),
                    "refused" => String::from("refused: the key lacks the scope"),
                    _ => format!("failed: {}", field("error")),
                };
                vec![field("operation"), result, field("needsOneOf")]
            })
            .collect();
        print!("{}", output::align(&header, &rows));
    }
    if let Some(keys) = keys {
        println!();
        api_key::print_keys(keys, Output::Table);
    }
}
