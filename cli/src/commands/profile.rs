//! `infobip profile list|use|remove`: the saved profiles, as `gh auth status` and `gh auth
//! switch` show and pick accounts.

use serde_json::{json, Value};

use super::Context;
use crate::failure::Failure;
use crate::output::{self, Output};

/// `infobip profile`.
#[derive(Debug, clap::Subcommand)]
pub enum Profile {
    /// List the saved profiles: base URL, scheme, user, whether a secret is saved, and which
    /// one a command uses now
    List,
    /// Make a profile the default one (used without --profile)
    Use {
        /// The profile's name (`infobip profile list` shows them)
        name: String,
    },
    /// Remove a profile, its saved secret and its cached token
    Remove {
        /// The profile's name
        name: String,
    },
}

impl Profile {
    /// Runs it.
    pub async fn run(self, context: &Context) -> Result<(), Failure> {
        match self {
            Profile::List => list(context),
            Profile::Use { name } => {
                context.config.set_default(&name)?;
                println!("Profile `{name}` is now the default one.");
                if let Some(other) = context.global.profile.as_deref().filter(|p| *p != name) {
                    // `--profile` or INFOBIP_PROFILE still wins over the default.
                    eprintln!(
                        "note: --profile (or INFOBIP_PROFILE) selects `{other}` in this shell, whatever the default"
                    );
                }
                Ok(())
            }
            Profile::Remove { name } => remove(context, &name).await,
        }
    }
}

/// The profile a command would use now, if a profile it is (`INFOBIP_BASE_URL` set without
/// `--profile` selects the variables instead).
fn in_use(context: &Context) -> Option<String> {
    if context.global.sandbox {
        return None;
    }
    crate::connect::selected_profile(&context.config, context.global.profile.as_deref())
        .ok()
        .flatten()
}

fn list(context: &Context) -> Result<(), Failure> {
    let profiles = context.config.profiles()?;
    let using = in_use(context);
    let mut rows = Vec::new();
    for (name, profile) in &profiles.profiles {
        rows.push(json!({
            "name": name,
            "baseUrl": profile.base_url,
            "scheme": profile.scheme.env_value(),
            "user": profile.username,
            "secretSaved": context.config.has_secret(name, profile)?,
            "default": profiles.default.as_deref() == Some(name.as_str()),
            "inUse": using.as_deref() == Some(name.as_str()),
        }));
    }
    if context.output() == Output::Json {
        output::print(&Value::Array(rows), Output::Json);
        return Ok(());
    }
    if rows.is_empty() {
        println!("No profiles: `infobip login --base-url ...` saves one.");
        return Ok(());
    }
    let header: Vec<String> = ["", "PROFILE", "BASE URL", "SCHEME", "USER", "SECRET"]
        .into_iter()
        .map(String::from)
        .collect();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let marker = if row["inUse"] == true { "*" } else { "" };
            let name = if row["default"] == true {
                format!("{} (default)", output::cell(&row["name"]))
            } else {
                output::cell(&row["name"])
            };
            let secret = if row["secretSaved"] == true {
                "saved"
            } else {
                "none (signed out)"
            };
            vec![
                marker.to_owned(),
                name,
                output::cell(&row["baseUrl"]),
                output::cell(&row["scheme"]),
                output::cell(&row["user"]),
                secret.to_owned(),
            ]
        })
        .collect();
    print!("{}", output::align(&header, &table));
    match using {
        Some(name) if profiles.profiles.contains_key(&name) => {
            println!("\n* in use: `{name}`")
        }
        Some(name) => println!("\nIn use: `{name}`, which is not saved."),
        None if context.global.sandbox => println!("\nIn use: the sandbox (--sandbox)."),
        None => println!("\nIn use: the INFOBIP_* variables (INFOBIP_BASE_URL is set)."),
    }
    Ok(())
}

async fn remove(context: &Context, name: &str) -> Result<(), Failure> {
    let profiles = context.config.profiles()?;
    let profile = profiles
        .profiles
        .get(name)
        .ok_or_else(|| crate::config::unknown_profile(name, &profiles))?;
    // The cached token is kept under a key made from the credentials, secret included: it
    // can be found only while the secret is still there. Nothing is sent to Infobip.
    let mut token = false;
    if context.config.has_secret(name, profile)? {
        let secret = context.config.secret(name, profile)?;
        let session = crate::connect::connect_profile(&context.config, name, profile, &secret)?;
        token = super::forget_cached(&session)?;
    }
    let was_default = context.config.remove(name)?;
    let token = if token {
        ", its secret and its cached token"
    } else {
        " and its secret"
    };
    println!("Removed profile `{name}`{token}.");
    if was_default {
        println!("It was the default profile: `infobip profile use NAME` picks another.");
    }
    Ok(())
}
