//! `infobip token [--header]`: a valid token for scripts, as `gh auth token` and `gcloud auth
//! print-access-token` print theirs.

use infobip_auth::Scheme;
use reqwest::header::AUTHORIZATION;

use super::Context;
use crate::connect::Session;
use crate::failure::Failure;

/// `infobip token`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  curl -H \"Authorization: $(infobip token --header)\" \"$INFOBIP_BASE_URL/account/1/balance\"
  TOKEN=$(infobip token)

The token comes from the token store when a valid one is there (no request to Infobip), and \
is renewed first when it is due. It is the one output that holds a secret: mind where it goes.")]
pub struct Token {
    /// Print the whole Authorization value (`Bearer ...`, `IBSSO ...`, `App ...`, `Basic ...`)
    /// instead of the token alone
    #[arg(long)]
    header: bool,
}

impl Token {
    /// Runs it.
    pub async fn run(self, context: &Context) -> Result<(), Failure> {
        let session = context.connect().await?;
        let header =
            crate::spinner::while_waiting("getting a token...", authorization(&session)).await?;
        if self.header {
            println!("{header}");
            return Ok(());
        }
        match session.scheme() {
            Scheme::Basic => {
                return Err(Failure::usage(
                    "Basic authentication has no token (the password goes with every request); `infobip token --header` prints the Authorization value",
                ))
            }
            // The key is no token: it does not expire, and a script that takes it for one
            // spreads a long-lived secret where a short-lived one was meant.
            Scheme::ApiKeyHeader => {
                return Err(Failure::usage(
                    "an API key has no token (the key itself goes with every request, and does not expire); `infobip token --header` prints the Authorization value",
                ))
            }
            _ => {}
        }
        let token = header.split_once(' ').map_or(header.as_str(), |(_, t)| t);
        println!("{token}");
        Ok(())
    }
}

/// The `Authorization` value the connection would send now: a token obtained, or renewed,
/// as for any call.
pub async fn authorization(session: &Session) -> Result<String, Failure> {
    let url = reqwest::Url::parse(&session.base_url)
        .map_err(|e| Failure::local(format!("the base URL is not a URL ({e})")))?;
    let mut request = reqwest::Request::new(reqwest::Method::GET, url);
    session
        .infobip
        .authorize(&mut request)
        .await
        .map_err(|failure| Failure::of_auth(failure.error(), session.scheme()))?;
    request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| Failure::local("no Authorization header was made"))
}
