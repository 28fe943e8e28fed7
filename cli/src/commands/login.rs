//! `infobip login`: a profile saved once, its secret never on the command line.

use infobip_auth::{ClientExt as _, Scheme};
use infobip_client::Products as _;

use super::Context;
use crate::config::{Profile, SchemeChoice, SecretHome};
use crate::connect::Session;
use crate::failure::{scheme_name, Failure, Kind};

/// The profile `login` saves without `--profile`.
pub const DEFAULT_PROFILE: &str = "default";

/// `infobip login`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The password or API key is read from standard input: a hidden prompt on a terminal, else the \
first line piped in (`printf '%s\\n' \"$INFOBIP_PASSWORD\" | infobip login ...`). It is never \
a command-line argument, which every local user can read in the process list. It is kept in \
the OS keyring where there is one, else in credentials.json in the configuration directory \
(INFOBIP_CONFIG_DIR, or ~/.config/infobip), readable by you only.")]
pub struct Login {
    /// Infobip's base URL: your personal `https://<subdomain>.api.infobip.com`
    #[arg(long, value_name = "URL")]
    base_url: String,
    /// How to sign in. Default: oauth2 with --username, api-key without
    #[arg(long, value_enum)]
    scheme: Option<SchemeChoice>,
    /// The account's username (basic, ibsso, oauth2)
    #[arg(long, value_name = "USER")]
    username: Option<String>,
    /// Make this profile the default one (the first profile always is)
    #[arg(long)]
    default: bool,
    /// Save the profile without checking the credentials with Infobip
    #[arg(long)]
    no_verify: bool,
}

impl Login {
    /// Runs it.
    pub async fn run(self, context: &Context) -> Result<(), Failure> {
        let name = context
            .global
            .profile
            .clone()
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
        let scheme = match (self.scheme, &self.username) {
            (Some(scheme), _) => scheme,
            (None, Some(_)) => SchemeChoice::Oauth2,
            (None, None) => SchemeChoice::ApiKey,
        };
        match (scheme, &self.username) {
            (SchemeChoice::ApiKey, Some(_)) => {
                return Err(Failure::usage(
                    "an API key has no username: leave out --username, or pick --scheme oauth2, ibsso or basic",
                ))
            }
            (SchemeChoice::ApiKey, None) => {}
            (_, None) => {
                return Err(Failure::usage(format!(
                    "--scheme {} needs --username",
                    scheme.env_value()
                )))
            }
            _ => {}
        }
        // Before the prompt, and before the token store's key is created: a login that
        // fails on a damaged profiles.json after writing a key or a secret leaves them
        // behind, and the password typed for nothing.
        context.config.check_writable()?;
        let prompt = match &self.username {
            Some(user) => format!("Password for {user}: "),
            None => String::from("API key: "),
        };
        let secret = crate::secret_input::read(&prompt)?;
        let profile = Profile {
            base_url: self.base_url.clone(),
            scheme,
            username: self.username.clone(),
            secret_in: SecretHome::File,
        };
        let session = crate::connect::connect_profile(&context.config, &name, &profile, &secret)?;
        crate::debug::set_base_url(&session.base_url);
        // A token the store keeps for this user was obtained with earlier credentials, perhaps
        // not these: it is dropped, so that no command runs with it, and so that the check
        // below is a new login. A session is ended first, unless no call to Infobip is wanted
        // (it then idles out).
        if !self.no_verify && session.scheme() == Scheme::IbssoTokenHeader {
            // Best effort: the login below says whether the password works.
            let _ = session.infobip.logout().await;
        }
        crate::commands::forget_cached(&session)?;
        let checked = if self.no_verify {
            String::from("not checked (--no-verify)")
        } else {
            crate::spinner::while_waiting("checking the credentials...", verify(&session)).await?
        };
        let home = context.config.save(&name, profile, &secret, self.default)?;
        let kept = match home {
            SecretHome::Keyring => String::from("in the OS keyring"),
            SecretHome::File => format!(
                "in {} (readable by you only)",
                context.config.credentials_file().display()
            ),
        };
        let who = session
            .username
            .as_deref()
            .map(|user| format!(" as {user}"))
            .unwrap_or_default();
        println!(
            "Signed in to {}{who} with {}: {checked}.",
            session.base_url,
            scheme_name(session.scheme())
        );
        println!("Profile `{name}` saved; its secret is kept {kept}.");
        if session.store.is_some() {
            println!(
                "The token is kept (encrypted) in {} and reused by the next commands until it expires.",
                context.config.tokens_path().display()
            );
        }
        Ok(())
    }
}

/// Checks the credentials with Infobip: a new token for the schemes that have one (kept for
/// the next commands), a call for the others. A call refused for want of a scope still proves the
/// credentials.
async fn verify(session: &Session) -> Result<String, Failure> {
    let scheme = session.scheme();
    if matches!(scheme, Scheme::OAuth2 | Scheme::IbssoTokenHeader) {
        crate::commands::token::authorization(session).await?;
        return Ok(String::from(match scheme {
            Scheme::OAuth2 => "a token was issued",
            _ => "a session was created",
        }));
    }
    match session.infobip.account().get_account_balance().send().await {
        Ok(_) => Ok(String::from("the credentials work")),
        Err(error) => {
            let failure = Failure::of_call(&error, scheme);
            if failure.kind == Kind::Permission {
                Ok(String::from(
                    "the credentials work (they may not read the balance, which is fine)",
                ))
            } else {
                Err(failure)
            }
        }
    }
}
