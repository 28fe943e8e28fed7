//! `infobip`: every operation of Infobip's API from the command line, with a sign-in that
//! remembers its token between runs.
//!
//! The commands of the operations (`infobip sms send-messages`, `infobip account balance`,
//! each also reachable by its operationId) are generated from `spec/` by `cargo xtask regen`
//! into `generated/`;
//! the rest (`login`, `logout`, `profile`, `token`, `whoami`, `api-key`, `api`, `sms send`,
//! `completion`, `sandbox`) are written by hand in `commands/`. Everything goes through one `infobip_auth::Infobip`
//! connection, whose OAuth token or IBSSO session is kept in an encrypted file store, so that
//! ten commands in a row make one token request.

mod api;
mod commands;
mod config;
mod connect;
mod debug;
mod failure;
mod fields;
mod file_store;
#[rustfmt::skip]
mod generated;
mod keyring;
mod output;
mod paginate;
mod private_files;
mod secret_input;
mod spinner;

use std::process::ExitCode;

use clap::{Args as _, FromArgMatches as _, Subcommand as _};

use crate::commands::{Context, Global, HandWritten};
use crate::failure::{Failure, Kind, EXIT_CODES};
use crate::output::Output;

const ABOUT: &str = "Infobip's API from the command line.

Sign in once (`infobip login`), or set the INFOBIP_* variables, or add --sandbox to try \
anything against a local Infobip with a demo account. Every operation of every product has a \
command, by a short name (`infobip account balance`, `infobip sms logs --limit 5`) or by its \
operationId, printing Infobip's JSON answer.";

/// Said after [`ABOUT`] by a build without the `full` feature, whose products are fewer.
const PARTIAL_BUILD: &str = "This build has the commands of some products only (it was built \
without the `full` feature); `infobip api METHOD PATH` reaches every other.";

/// [`ABOUT`], and what a smaller build lacks.
fn about() -> String {
    if cfg!(feature = "full") {
        ABOUT.to_owned()
    } else {
        format!("{ABOUT}\n\n{PARTIAL_BUILD}")
    }
}

/// The whole command tree: the global options, the hand-written commands, and one command
/// per product with its generated operations (and, for SMS, `send`).
pub fn command() -> clap::Command {
    let command = clap::Command::new("infobip")
        .version(env!("CARGO_PKG_VERSION"))
        .about(about())
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true);
    let command = Global::augment_args(command);
    // The derive would take the enum's own documentation as the program's description.
    let command = HandWritten::augment_subcommands(command).about(about());
    generated::commands()
        .into_iter()
        .fold(command, |command, product| {
            command.subcommand(commands::extend_product(product))
        })
}

fn main() -> ExitCode {
    let matches = match command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // `--help` and `--version` are "errors" that exit 0.
            let _ = error.print();
            if let Some(hint) = left_out_product(&error) {
                eprintln!("hint: {hint}");
            }
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    {
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        use tracing_subscriber::Layer as _;
        let warnings = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .without_time()
            .with_filter(tracing_subscriber::filter::LevelFilter::WARN);
        // Only asked for: the layer makes the auth crate's spans live, which costs a little
        // on every call.
        let debug = matches.get_flag("debug").then(debug::layer);
        tracing_subscriber::registry()
            .with(warnings)
            .with(debug)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(Kind::Local.exit_code());
        }
    };
    let result = runtime.block_on(run(&matches));
    // The command is done: a token store call still waiting for another process's turn with
    // the file (given up on by the client already) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.kind.exit_code())
        }
    }
}

async fn run(matches: &clap::ArgMatches) -> Result<(), Failure> {
    let global = Global::from_arg_matches(matches).map_err(|e| Failure::usage(e.to_string()))?;
    let context = Context::new(global)?;
    let Some((name, sub)) = matches.subcommand() else {
        return Err(Failure::usage("no command given; see `infobip --help`"));
    };
    if let Some(result) = commands::run_product(&context, name, sub).await {
        return result;
    }
    let command =
        HandWritten::from_arg_matches(matches).map_err(|e| Failure::usage(e.to_string()))?;
    command.run(&context).await
}

/// The output a generated command uses unless `--output` says otherwise.
pub const GENERATED_OUTPUT: Output = Output::Json;

/// What to do about a product this build leaves out (`infobip voice ...` in a build without
/// `voice`), which clap only calls an unrecognized subcommand.
fn left_out_product(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(name)) = error.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let built: Vec<&str> = generated::products().into_iter().map(|(p, _)| p).collect();
    left_out_hint(name, generated::CATALOGUE, &built)
}

fn left_out_hint(name: &str, catalogue: &[&str], built: &[&str]) -> Option<String> {
    (catalogue.contains(&name) && !built.contains(&name)).then(|| {
        format!(
            "`{name}` is an Infobip product this build leaves out (built without its feature): \
             install infobip with `--features {name}`, or send its requests with `infobip api`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_left_out_of_the_build_is_named_with_what_to_do() {
        let hint = left_out_hint("voice", &["sms", "voice"], &["sms"]).unwrap_or_default();
        assert!(hint.contains("--features voice"), "{hint}");
        assert!(hint.contains("infobip api"), "{hint}");
        assert_eq!(left_out_hint("sms", &["sms", "voice"], &["sms"]), None);
        assert_eq!(left_out_hint("nonesuch", &["sms", "voice"], &["sms"]), None);
    }

    #[test]
    #[cfg(feature = "full")]
    fn this_build_has_every_product_of_the_catalogue() {
        // The tests build `full`: no product can be left out, and a mistyped one is not.
        let error = command()
            .try_get_matches_from(["infobip", "vioce"])
            .err()
            .map(|e| left_out_product(&e));
        assert_eq!(error, Some(None));
        let built = generated::products().len();
        // The fixture product is one more than the catalogue.
        assert_eq!(built, generated::CATALOGUE.len() + 1);
    }
}
