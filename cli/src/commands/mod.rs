//! The hand-written commands, and how a generated one is run.

pub mod api;
pub mod api_key;
pub mod completion;
pub mod login;
pub mod logout;
pub mod profile;
pub mod sandbox;
pub mod sms;
pub mod token;
pub mod whoami;

use infobip_client::Products as _;

use crate::config::Config;
use crate::connect::Session;
use crate::failure::{Failure, Kind};
use crate::output::Output;

/// The options every command takes, listed apart from a command's own flags in its help
/// (gh's "inherited flags"). No generated flag takes one of their names: codegen renames such
/// a parameter's flag (`--param-profile`, `codegen/src/cli.rs`).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The profile to use (saved by `infobip login`). Without it: the INFOBIP_* variables if
    /// INFOBIP_BASE_URL is set, else the default profile
    #[arg(long, global = true, value_name = "NAME", env = crate::config::PROFILE_VAR)]
    pub profile: Option<String>,
    /// How answers are printed: `json` (the operations' default) or `table` (the other
    /// commands' default)
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Output>,
    /// Run against a sandbox (a local Infobip with a demo account) started for this command
    /// alone: try anything without an account. INFOBIP_AUTH picks the scheme (oauth2 by
    /// default)
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Print each request on standard error: method, URL (secret query values redacted),
    /// status and time taken; never a header or a body
    #[arg(long, global = true)]
    pub debug: bool,
    /// Print the secrets an answer holds (API key secrets, tokens) instead of `[redacted]`
    #[arg(long, global = true)]
    pub show_secrets: bool,
}

/// What every command has at hand.
pub struct Context {
    /// The options.
    pub global: Global,
    /// The configuration directory.
    pub config: Config,
}

impl Context {
    /// The context of this run.
    pub fn new(global: Global) -> Result<Self, Failure> {
        Ok(Self {
            global,
            config: Config::open()?,
        })
    }

    /// The connection with the selected credentials.
    pub async fn connect(&self) -> Result<Session, Failure> {
        let session = crate::connect::connect(
            &self.config,
            self.global.profile.as_deref(),
            self.global.sandbox,
        )
        .await?;
        crate::debug::set_base_url(&session.base_url);
        Ok(session)
    }

    /// The output of a hand-written command.
    pub fn output(&self) -> Output {
        self.global.output.unwrap_or(Output::Table)
    }
}

/// The hand-written commands.
#[derive(Debug, clap::Subcommand)]
pub enum HandWritten {
    /// Sign in once: save a profile (base URL, scheme, user) and its secret, read from
    /// standard input or a hidden prompt, after checking them with Infobip
    Login(login::Login),
    /// Sign out: end the IBSSO session, forget the cached token and the profile's saved
    /// secret (password, API key or client secret) unless --keep-secret
    Logout(logout::Logout),
    /// List the saved profiles, pick the default one, or remove one
    #[command(subcommand)]
    Profile(profile::Profile),
    /// Print a valid token (or, with --header, the whole Authorization value) for scripts,
    /// renewing it if it is due
    Token(token::Token),
    /// Check the credentials and show what they can do
    Whoami,
    /// Create, list, show, revoke and rotate API keys (with Basic, IBSSO or OAuth credentials)
    #[command(subcommand)]
    ApiKey(api_key::ApiKey),
    /// Make any request (`infobip api GET /account/1/balance`), as `gh api`: signed with the
    /// profile's credentials, sent to its base URL only, the JSON answer printed
    Api(api::Api),
    /// Print the completion script of a shell (bash, zsh, fish, powershell, elvish)
    Completion(completion::Completion),
    /// Serve a sandbox (a local Infobip with a demo account) until Ctrl-C, and print how to
    /// use it
    Sandbox(sandbox::Serve),
}

impl HandWritten {
    /// Runs the command.
    pub async fn run(self, context: &Context) -> Result<(), Failure> {
        match self {
            HandWritten::Login(login) => login.run(context).await,
            HandWritten::Logout(logout) => logout.run(context).await,
            HandWritten::Profile(command) => command.run(context).await,
            HandWritten::Token(token) => token.run(context).await,
            HandWritten::Whoami => whoami::run(context).await,
            HandWritten::ApiKey(command) => command.run(context).await,
            HandWritten::Api(api) => api.run(context).await,
            HandWritten::Completion(completion) => {
                completion.run();
                Ok(())
            }
            HandWritten::Sandbox(serve) => serve.run().await,
        }
    }
}

/// A product's generated command with its hand-written additions (`sms send`).
pub fn extend_product(product: clap::Command) -> clap::Command {
    match product.get_name() {
        "sms" => product.subcommand(sms::send_command()),
        _ => product,
    }
}

/// Runs `infobip <product> <operation>` if `name` is a product; `None` if it is not.
pub async fn run_product(
    context: &Context,
    name: &str,
    matches: &clap::ArgMatches,
) -> Option<Result<(), Failure>> {
    if !crate::api::is_product(name) {
        return None;
    }
    let (operation, sub) = matches.subcommand()?;
    if name == "sms" && operation == "send" {
        return Some(sms::send(context, sub).await);
    }
    let Some(id) = crate::api::operation_id(name, operation) else {
        return Some(Err(Failure::usage(format!(
            "`{name}` has no operation `{operation}`"
        ))));
    };
    Some(run_operation(context, name, id, sub).await)
}

async fn run_operation(
    context: &Context,
    product: &str,
    id: &str,
    matches: &clap::ArgMatches,
) -> Result<(), Failure> {
    if crate::api::operation(product, id).is_none() {
        return Err(Failure::usage(format!(
            "`{product}` has no operation `{id}`"
        )));
    }
    let session = context.connect().await?;
    let printer = crate::api::Printer::new(
        context.global.output.unwrap_or(crate::GENERATED_OUTPUT),
        context.global.show_secrets,
        session.scheme(),
    );
    let failure = printer.failure();
    let run = crate::generated::execute(&session.infobip, printer, product, id, matches);
    let result = crate::spinner::while_waiting(&format!("{id}..."), run).await;
    let recorded = failure.lock().unwrap_or_else(|p| p.into_inner()).take();
    match (result, recorded) {
        (None, _) => Err(Failure::usage(format!(
            "`{product}` has no operation `{id}`"
        ))),
        (Some(Ok(())), _) => Ok(()),
        (Some(Err(_)), Some(failure)) => Err(failure),
        (Some(Err(error)), None) => Err(of_generated(&error)),
    }
}

/// A generated command's own failure (a `--json-body` file that cannot be read or parsed, a
/// secret that cannot be read). Only the outermost message is shown: a JSON parser's message
/// can quote a value of the file, which may be a secret.
fn of_generated(error: &anyhow::Error) -> Failure {
    if let Some(failure) = error.downcast_ref::<Failure>() {
        return failure.clone();
    }
    let mut failure = Failure::usage(error.to_string());
    if let Some(json) = error
        .chain()
        .find_map(|e| e.downcast_ref::<serde_json::Error>())
    {
        failure = failure.hint(format!(
            "the JSON body does not fit the operation (line {}, column {}); `--help` lists the fields that have flags",
            json.line(),
            json.column()
        ));
    }
    failure
}

/// Forgets the token or session the token store keeps for `session`'s credentials; answers
/// whether there was one.
pub fn forget_cached(session: &Session) -> Result<bool, Failure> {
    match cache_of(session) {
        Some((store, key)) => store.remove(&key).map_err(|e| {
            Failure::new(
                Kind::Local,
                format!("the cached token could not be forgotten: {e}"),
            )
        }),
        None => Ok(false),
    }
}

/// Whether the token store keeps a token or session for `session`'s credentials.
pub async fn is_cached(session: &Session) -> Result<bool, Failure> {
    use infobip_auth::store::TokenStore as _;
    match cache_of(session) {
        Some((store, key)) => store
            .load(&key)
            .await
            .map(|found| found.is_some())
            .map_err(|e| Failure::new(Kind::Local, format!("the token store cannot be read: {e}"))),
        None => Ok(false),
    }
}

/// The token store of `session` and the key its credentials' token is kept under.
fn cache_of(session: &Session) -> Option<(&crate::file_store::FileStore, String)> {
    let key = infobip_auth::store::store_key(&session.infobip.account())?;
    Some((session.store.as_ref()?, key))
}
