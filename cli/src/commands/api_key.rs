//! `infobip api-key create|list|show|revoke|rotate`: key management in readable tables. Infobip
//! lets only Basic, IBSSO and OAuth credentials manage keys, never a key itself.

use infobip_auth::Scheme;
pub use infobip_client::account::types::ApiKey as Key;
use infobip_client::account::types::{CreateApiKeyRequest, UpdateApiKeyRequest};
use infobip_client::Products as _;
use serde_json::{json, Value};

use super::Context;
use crate::connect::Session;
use crate::failure::{Failure, Kind};
use crate::output::{self, Output};

/// `infobip api-key`.
#[derive(Debug, clap::Subcommand)]
pub enum ApiKey {
    /// List the account's API keys (never their secrets)
    List,
    /// Show one API key (never its secret)
    Show {
        /// The key's id (`infobip api-key list` shows them)
        id: String,
    },
    /// Create an API key with the given scopes, and print its secret once, to standard
    /// output alone
    #[command(after_help = "\
The secret is the only thing printed to standard output (with --output json: the key, its \
secret included), so that `KEY=$(infobip api-key create ...)` takes it whole; what the key is \
and how to keep it goes to standard error. Infobip shows the secret this once: store it \
before anything else (a secret manager, or `infobip login --base-url URL` with it on \
standard input).")]
    Create {
        /// The key's name
        #[arg(long)]
        name: String,
        /// An API scope it gets, such as `sms:manage` (repeatable; at least one: a key
        /// without scopes can call nothing)
        #[arg(long = "scope", value_name = "SCOPE", required = true)]
        scopes: Vec<String>,
        /// An IP address it may be used from (repeatable); from anywhere without one
        #[arg(long = "allowed-ip", value_name = "IP")]
        allowed_ips: Vec<String>,
    },
    /// Revoke an API key: it stops working at once
    Revoke {
        /// The key's id
        id: String,
    },
    /// Create a key with the same scopes, allowed IPs and validity, print its secret once,
    /// and (with --revoke-old) revoke the old one once the new one works from this machine
    #[command(after_help = "\
The new key gets the old key's name, scopes, permissions, allowed IPs and end of validity. \
Its secret is printed once: store it before anything else. Then a call is made with the new \
key from this machine. With --revoke-old, the old key is revoked only if that call got \
through; if this machine's IP address is not among the key's allowed IPs, the call is \
refused, this is said, and the old key is kept (revoke it from an allowed machine, or with \
`infobip api-key revoke`, once your services use the new key).")]
    Rotate {
        /// The id of the key to replace
        id: String,
        /// Revoke the old key once a call with the new one succeeded from this machine
        #[arg(long)]
        revoke_old: bool,
    },
}

impl ApiKey {
    /// Runs it.
    pub async fn run(self, context: &Context) -> Result<(), Failure> {
        let session = context.connect().await?;
        refuse_api_key(&session)?;
        let output = context.output();
        match self {
            ApiKey::List => {
                let keys =
                    crate::spinner::while_waiting("listing API keys...", list(&session)).await?;
                print_keys(&keys, output);
            }
            ApiKey::Show { id } => {
                let key =
                    crate::spinner::while_waiting("reading the key...", get(&session, &id)).await?;
                print_key(&key, output);
            }
            ApiKey::Create {
                name,
                scopes,
                allowed_ips,
            } => create(&session, name, scopes, allowed_ips, output).await?,
            ApiKey::Revoke { id } => {
                let key =
                    crate::spinner::while_waiting("revoking...", revoke(&session, &id)).await?;
                match output {
                    Output::Json => output::print(&public(&key), output),
                    Output::Table => println!("Revoked API key {id} ({}).", key.name),
                }
            }
            ApiKey::Rotate { id, revoke_old } => rotate(&session, &id, revoke_old, output).await?,
        }
        Ok(())
    }
}

/// Key management with an API key is refused by Infobip; say so before asking.
fn refuse_api_key(session: &Session) -> Result<(), Failure> {
    if session.scheme() == Scheme::ApiKeyHeader {
        return Err(Failure::new(
            Kind::Permission,
            "Infobip lets Basic, IBSSO and OAuth credentials manage API keys, never an API key",
        )
        .hint("use a profile that signs in with the username: `infobip login --username <user>` (then --profile)"));
    }
    Ok(())
}

/// Every key of the account, page after page.
pub async fn list(session: &Session) -> Result<Vec<Key>, Failure> {
    let account = session.infobip.account();
    let mut keys = Vec::new();
    for page in 0.. {
        let answer = account
            .get_api_keys_by_filter()
            .page(page)
            .size(std::num::NonZeroU32::MIN.saturating_add(99))
            .send()
            .await
            .map_err(|e| Failure::of_call(&e, session.scheme()))?
            .into_inner();
        let count = answer.api_keys.len();
        keys.extend(answer.api_keys);
        let pages = answer.paging.total_pages.unwrap_or(0);
        if count == 0 || page + 1 >= pages {
            break;
        }
    }
    Ok(keys)
}

async fn get(session: &Session, id: &str) -> Result<Key, Failure> {
    session
        .infobip
        .account()
        .get_api_key()
        .api_key_id(id)
        .send()
        .await
        .map(|answer| answer.into_inner())
        .map_err(|e| Failure::of_call(&e, session.scheme()))
}

async fn revoke(session: &Session, id: &str) -> Result<Key, Failure> {
    session
        .infobip
        .account()
        .update_api_key()
        .api_key_id(id)
        .body(UpdateApiKeyRequest::builder().enabled(false))
        .send()
        .await
        .map(|answer| answer.into_inner())
        .map_err(|e| Failure::of_call(&e, session.scheme()))
}

/// Creates the key `request` describes, showing `waiting` meanwhile: the key, and its secret,
/// which Infobip shows this once.
async fn create_key(
    session: &Session,
    request: CreateApiKeyRequest,
    waiting: &str,
) -> Result<(Key, String), Failure> {
    let created = crate::spinner::while_waiting(
        waiting,
        session
            .infobip
            .account()
            .create_api_key()
            .body(request)
            .send(),
    )
    .await
    .map_err(|e| Failure::of_call(&e, session.scheme()))?
    .into_inner();
    let Some(secret) = created
        .api_key_secret
        .as_ref()
        .map(|s| s.expose().to_owned())
    else {
        let id = created.id.unwrap_or_default();
        return Err(Failure::new(
            Kind::Api,
            format!("Infobip created key {id} but sent no secret for it"),
        )
        .hint(format!(
            "revoke it (`infobip api-key revoke {id}`) and try again"
        )));
    };
    Ok((created, secret))
}

async fn create(
    session: &Session,
    name: String,
    scope_guids: Vec<String>,
    allowed_ips: Vec<String>,
    output: Output,
) -> Result<(), Failure> {
    let request = CreateApiKeyRequest::new(name)
        .scope_guids(scope_guids)
        .allowed_i_ps(allowed_ips);
    let (created, secret) = create_key(session, request, "creating the key...").await?;
    let id = created.id.clone().unwrap_or_default();
    // The secret alone on standard output (a script takes it whole); everything else on
    // standard error, where a terminal still shows it.
    match output {
        Output::Json => {
            let mut key = public(&created);
            key["apiKeySecret"] = Value::String(secret);
            output::print(&key, output);
        }
        Output::Table => println!("{secret}"),
    }
    eprintln!(
        "note: API key {id} ({}) created with the scopes {}. Its secret{} is shown this once: \
         store it now, Infobip will not show it again. `infobip login --base-url {}` with it \
         on standard input signs in with the key.",
        created.name,
        scopes(&created),
        if output == Output::Json {
            " (apiKeySecret)"
        } else {
            " (above)"
        },
        session.base_url
    );
    Ok(())
}

async fn rotate(
    session: &Session,
    id: &str,
    revoke_old: bool,
    output: Output,
) -> Result<(), Failure> {
    let old = crate::spinner::while_waiting("reading the key...", get(session, id)).await?;
    let now = chrono::Utc::now();
    // A start in the past is now; a start still to come is kept.
    let valid_from = old.valid_from.filter(|from| from.get() > now);
    let mut request = CreateApiKeyRequest::new(old.name.clone());
    request.account_id = old.account_id.clone();
    request.allowed_i_ps = old.allowed_i_ps.clone();
    request.permissions = old.permissions.clone();
    request.scope_guids = old.scope_guids.clone();
    request.valid_from = valid_from;
    request.valid_to = old.valid_to;
    let (created, secret) = create_key(session, request, "creating the new key...").await?;
    let new_id = created.id.clone().unwrap_or_default();
    // The secret first, on its own: whatever happens next, it has been seen once.
    match output {
        Output::Json => {}
        Output::Table => {
            println!("New API key {new_id} ({}), replacing {id}.", created.name);
            println!("Secret (shown this once; store it now): {secret}");
        }
    }
    let check = try_key(session, &secret, &old).await;
    // Whatever revoking comes to, the report below is printed: the new key exists, and a
    // script must learn its id and secret even when the old key could not be revoked.
    let revoked = match (&check, revoke_old) {
        (Ok(()), true) => Some(revoke(session, id).await),
        _ => None,
    };
    let revoke_failed = match &revoked {
        Some(Err(failure)) => Some(failure.clone()),
        _ => None,
    };
    match output {
        Output::Json => {
            let mut new = public(&created);
            new["apiKeySecret"] = Value::String(secret);
            let mut old = json!({"id": id, "revoked": matches!(revoked, Some(Ok(_)))});
            if let Some(failure) = &revoke_failed {
                old["revokeFailed"] = json!(failure.message);
            }
            let report = json!({
                "new": new,
                "old": old,
                "worksFromThisMachine": check.is_ok(),
                "note": check.as_ref().err(),
            });
            output::print(&report, output);
        }
        Output::Table => match (&check, &revoked) {
            (Ok(()), Some(Ok(_))) => println!(
                "A call with the new key succeeded from this machine; the old key {id} is revoked."
            ),
            (Ok(()), Some(Err(failure))) => println!(
                "A call with the new key succeeded from this machine, but the old key {id} could not be revoked: {}",
                failure.message
            ),
            (Ok(()), None) => println!(
                "A call with the new key succeeded from this machine. The old key {id} still works: \
                 revoke it with `infobip api-key revoke {id}` once your services use the new one."
            ),
            (Err(why), _) => println!("{why} The old key {id} is kept."),
        },
    }
    if let Some(failure) = revoke_failed {
        return Err(failure.hint(format!(
            "the new key {new_id} is in place; revoke the old one with `infobip api-key revoke {id}`"
        )));
    }
    match check {
        // Asked to revoke the old key and could not: a script must not take it for done.
        Err(_) if revoke_old => Err(Failure::new(
            Kind::Permission,
            format!("the old key {id} was not revoked: the new key does not work from this machine"),
        )
        .hint(format!(
            "revoke it from a machine the key allows, or with `infobip api-key revoke {id}` once your services use the new key"
        ))),
        _ => Ok(()),
    }
}

/// Whether the new key works from this machine: any answer but a 401 means Infobip took it
/// (a 403 for a missing scope included). The explanation when it does not.
async fn try_key(session: &Session, secret: &str, old: &Key) -> Result<(), String> {
    let infobip = crate::connect::connect_api_key(&session.base_url, secret)
        .map_err(|failure| failure.message)?;
    let answer = crate::spinner::while_waiting(
        "trying the new key...",
        infobip.account().get_account_balance().send(),
    )
    .await;
    let Err(error) = answer else {
        return Ok(());
    };
    let failure = Failure::of_call(&error, Scheme::ApiKeyHeader);
    match failure.kind {
        Kind::Permission => Ok(()),
        Kind::Auth if !old.allowed_i_ps.is_empty() => Err(format!(
            "A call with the new key was refused from this machine: its IP address is not among the key's allowed IPs ({}).",
            old.allowed_i_ps.join(", ")
        )),
        Kind::Auth => Err(format!(
            "A call with the new key was refused from this machine ({}).",
            failure.message
        )),
        _ => Err(format!(
            "A call with the new key could not be checked from this machine ({}).",
            failure.message
        )),
    }
}

/// A key as JSON, as Infobip writes it, without its secret.
pub fn public(key: &Key) -> Value {
    let mut value = serde_json::to_value(key).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.remove("apiKeySecret");
    }
    value
}

/// Keys as JSON (as Infobip writes them, without their secrets) or as a table.
pub fn print_keys(keys: &[Key], output: Output) {
    if output == Output::Json {
        output::print(&Value::Array(keys.iter().map(public).collect()), output);
        return;
    }
    if keys.is_empty() {
        println!("No API keys.");
        return;
    }
    let header: Vec<String> = [
        "ID",
        "NAME",
        "STATUS",
        "VALID FROM",
        "VALID TO",
        "SCOPES",
        "ALLOWED IPS",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let rows: Vec<Vec<String>> = keys.iter().map(row).collect();
    print!("{}", output::align(&header, &rows));
}

fn row(key: &Key) -> Vec<String> {
    vec![
        key.id.clone().unwrap_or_default(),
        key.name.clone(),
        key.enabled.map(state).unwrap_or_default().to_owned(),
        key.valid_from.map(|t| t.to_string()).unwrap_or_default(),
        key.valid_to.map(|t| t.to_string()).unwrap_or_default(),
        scopes(key),
        if key.allowed_i_ps.is_empty() {
            String::from("any")
        } else {
            key.allowed_i_ps.join(", ")
        },
    ]
}

/// A key's state in one word, the same in every table: `enabled`, or `revoked` (what
/// `api-key revoke` makes of it; Infobip's JSON says `"enabled": false`).
pub fn state(enabled: bool) -> &'static str {
    if enabled {
        "enabled"
    } else {
        "revoked"
    }
}

fn scopes(key: &Key) -> String {
    match &key.scope_guids {
        None => String::from("(the user's role scopes)"),
        Some(scopes) if scopes.is_empty() => String::from("none"),
        Some(scopes) => scopes.join(", "),
    }
}

fn print_key(key: &Key, output: Output) {
    if output == Output::Json {
        output::print(&public(key), output);
        return;
    }
    let header: Vec<String> = Vec::new();
    let values = row(key);
    let names = [
        "id",
        "name",
        "status",
        "valid from",
        "valid to",
        "scopes",
        "allowed IPs",
    ];
    let mut rows: Vec<Vec<String>> = names
        .iter()
        .zip(values)
        .map(|(name, value)| vec![(*name).to_owned(), value])
        .collect();
    rows.push(vec![
        String::from("account"),
        key.account_id.clone().unwrap_or_default(),
    ]);
    let permissions: Vec<String> = key.permissions.iter().map(|p| p.to_string()).collect();
    rows.push(vec![String::from("permissions"), permissions.join(", ")]);
    print!("{}", output::align(&header, &rows));
}
