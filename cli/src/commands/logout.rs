//! `infobip logout`: as `gh auth logout`, signing out forgets the credentials, not only the
//! token they obtained; `--keep-secret` keeps them for a later sign-in without a prompt.

use infobip_auth::{ClientExt as _, Scheme};

use super::Context;
use crate::connect::Source;
use crate::failure::Failure;

/// `infobip logout`.
#[derive(Debug, clap::Args)]
pub struct Logout {
    /// Keep the profile's saved secret: only the cached token (or IBSSO session) is
    /// dropped, and the next command signs in again with the secret
    #[arg(long)]
    keep_secret: bool,
}

impl Logout {
    /// Runs it.
    pub async fn run(self, context: &Context) -> Result<(), Failure> {
        let profile = if context.global.sandbox {
            None
        } else {
            crate::connect::selected_profile(&context.config, context.global.profile.as_deref())?
        };
        // A profile signed out already has no secret to connect with: there is nothing to
        // end or forget, and saying so is no failure.
        if let Some(name) = &profile {
            let profiles = context.config.profiles()?;
            let saved = profiles
                .profiles
                .get(name)
                .ok_or_else(|| crate::config::unknown_profile(name, &profiles))?;
            if !context.config.has_secret(name, saved)? {
                println!("Profile `{name}` is signed out already: it has no saved secret.");
                return Ok(());
            }
        }
        let session = context.connect().await?;
        let scheme = session.scheme();
        let held = super::is_cached(&session).await?;
        let ended = crate::spinner::while_waiting("signing out...", session.infobip.logout()).await;
        // Forgotten here whether or not Infobip could end it: signing out must work offline,
        // and a token kept so that a later logout could end it would be used by the next
        // command.
        let forgot = super::forget_cached(&session)?;
        let secret = match (&session.source, self.keep_secret) {
            (Source::Profile(name), false) => {
                context.config.forget_secret(name)?;
                let again = context
                    .config
                    .profiles()?
                    .profiles
                    .get(name)
                    .map(|saved| crate::config::login_command(name, saved))
                    .unwrap_or_else(|| format!("infobip login --profile {name} ..."));
                Some(format!(
                    "The saved secret of profile `{name}` was forgotten: `{again}` signs in again."
                ))
            }
            (Source::Profile(name), true) => Some(format!(
                "The saved secret of profile `{name}` is kept (--keep-secret): the next command signs in with it."
            )),
            _ => None,
        };
        if let Err(error) = ended {
            let failure = match error {
                infobip_auth::AuthError::Logout { .. } => Failure::local(format!(
                    "the IBSSO session was forgotten here, but Infobip could not end it: {error}"
                )),
                error => Failure::of_auth(&error, scheme),
            };
            if let Some(secret) = &secret {
                println!("{secret}");
            }
            return Err(failure.hint(
                "nothing is left here to end it with: Infobip ends it by itself after 60 minutes without use",
            ));
        }
        let message = match scheme {
            Scheme::IbssoTokenHeader if held => {
                "Signed out: the IBSSO session was ended at Infobip and forgotten here."
            }
            Scheme::IbssoTokenHeader => "Signed out: no IBSSO session was cached.",
            Scheme::OAuth2 if forgot => {
                "Signed out: the cached OAuth token was forgotten (Infobip cannot revoke one: it stays valid until it expires)."
            }
            Scheme::OAuth2 => "Signed out: no OAuth token was cached.",
            _ if secret.is_some() => "Signed out: Basic and API key credentials send no token.",
            _ => "Nothing to sign out of: Basic and API key credentials send no token. `infobip login` replaces the saved ones.",
        };
        println!("{message}");
        if let Some(secret) = secret {
            println!("{secret}");
        }
        Ok(())
    }
}
