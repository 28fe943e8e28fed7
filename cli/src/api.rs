//! What the generated commands (`generated/`) call: the printer behind progenitor's
//! `CliConfig`, each product's command, and reading a secret parameter from standard input.
//! The generated files never change by hand; this is their hand-written rim, as the client
//! crate's rim is for its generated modules.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use infobip_auth::Scheme;
use infobip_client::Operation;
use infobip_client::{ByteStream, ResponseValue, Secret};
use serde::Serialize;

use crate::failure::Failure;
use crate::output::{self, Output};

/// Prints a generated command's answer, and keeps its failure for the exit code.
pub struct Printer {
    output: Output,
    show_secrets: bool,
    scheme: Scheme,
    failure: Arc<Mutex<Option<Failure>>>,
}

impl Printer {
    /// A printer for a call made with `scheme`.
    pub fn new(output: Output, show_secrets: bool, scheme: Scheme) -> Self {
        Self {
            output,
            show_secrets,
            scheme,
            failure: Arc::default(),
        }
    }

    /// Where the failure of the call will be, once it has run.
    pub fn failure(&self) -> Arc<Mutex<Option<Failure>>> {
        self.failure.clone()
    }

    /// Prints an answer, its secrets taken out unless `--show-secrets`.
    pub fn item<T: schemars::JsonSchema + Serialize>(&self, value: &T) {
        let mut json = match serde_json::to_value(value) {
            Ok(json) => json,
            Err(e) => {
                self.fail(Failure::local(format!(
                    "the answer cannot be printed ({e})"
                )));
                return;
            }
        };
        if !self.show_secrets {
            let schema = schemars::gen::SchemaGenerator::default().into_root_schema_for::<T>();
            let hidden = output::redact_secrets(&mut json, &schema);
            if hidden > 0 {
                eprintln!(
                    "note: {hidden} secret(s) in the answer replaced by [redacted]; add --show-secrets to print them"
                );
            }
        }
        output::print(&json, self.output);
    }

    /// Records why the call failed.
    pub fn failed(&self, error: &infobip_client::Error) {
        self.fail(Failure::of_call(error, self.scheme));
    }

    fn fail(&self, failure: Failure) {
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
    }
}

/// Implements a product's `CliConfig` (progenitor's generated trait) for [`Printer`].
macro_rules! impl_cli_config {
    ($module:ident) => {
        impl self::$module::CliConfig for $crate::api::Printer {
            fn success_item<T>(&self, value: &::infobip_client::ResponseValue<T>)
            where
                T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
            {
                self.item(&**value);
            }

            fn success_no_item(&self, _: &::infobip_client::ResponseValue<()>) {}

            fn error(&self, value: &::infobip_client::Error) {
                self.failed(value);
            }

            fn list_start<T>(&self)
            where
                T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
            {
            }

            fn list_item<T>(&self, value: &T)
            where
                T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
            {
                self.item(value);
            }

            fn list_end_success<T>(&self)
            where
                T: ::schemars::JsonSchema + ::serde::Serialize + ::std::fmt::Debug,
            {
            }

            fn list_end_error(&self, value: &::infobip_client::Error) {
                self.failed(value);
            }
        }
    };
}
pub(crate) use impl_cli_config;

/// A product's command: named after it, with a subcommand per operation, named by its
/// `x-cli-name` (`names`, by operationId) and also reachable by its operationId, that says,
/// after its help, how it is sent and what it needs.
///
/// The operationId is a hidden alias: the list of a product's commands stays one name per
/// line, and each command's help names its operation.
pub fn product_command(
    product: &'static str,
    names: &'static [(&'static str, &'static str)],
    operations: impl Iterator<Item = (&'static str, clap::Command)>,
) -> clap::Command {
    let subcommands = operations.map(|(method_name, command)| {
        let id = method_name.replace('_', "-");
        let details = operation(product, &id).map(describe).unwrap_or_default();
        let name = names
            .iter()
            .find(|(operation_id, _)| *operation_id == id)
            .map_or_else(|| id.clone(), |(_, name)| (*name).to_owned());
        let command = command.name(&name).after_help(details);
        if name == id {
            command
        } else {
            command.alias(id)
        }
    });
    clap::Command::new(product)
        .about(format!(
            "The `{product}` product: one command per operation (answers are printed as JSON)"
        ))
        .subcommand_required(true)
        .subcommands(subcommands)
}

/// Whether progenitor's name for an operation (its operationId in snake case) is `wanted`
/// (the operationId, as the command is named).
pub fn same_operation(method_name: &str, wanted: &str) -> bool {
    method_name.replace('_', "-") == wanted
}

/// The operationId of `product`'s command `name` (its `x-cli-name` or its operationId).
pub fn operation_id(product: &str, name: &str) -> Option<&'static str> {
    crate::generated::command_names()
        .into_iter()
        .filter(|(p, _)| *p == product)
        .flat_map(|(_, names)| names.iter())
        .find(|(id, named)| *named == name || *id == name)
        .map(|(id, _)| *id)
}

/// The operation `id` of `product`, from the generated operations tables.
pub fn operation(product: &str, id: &str) -> Option<&'static Operation> {
    crate::generated::products()
        .into_iter()
        .filter(|(name, _)| *name == product)
        .flat_map(|(_, operations)| operations.iter())
        .find(|operation| operation.id == id)
        .copied()
}

/// The file part an upload command's `--<flag> PATH` names: checked to be a file that can
/// be opened now, so that a wrong path is refused before anything is sent (the part itself
/// is streamed from the path when the request is built).
// Called by the generated upload commands: a build without a product that has one leaves it
// unused.
#[cfg_attr(not(feature = "full"), allow(dead_code))]
pub fn file_part(flag: &str, path: &std::path::Path) -> anyhow::Result<infobip_client::FilePart> {
    match std::fs::File::open(path).and_then(|file| file.metadata()) {
        Ok(metadata) if metadata.is_file() => Ok(infobip_client::FilePart::path(path)),
        Ok(_) => Err(anyhow::Error::new(Failure::local(format!(
            "--{flag} {}: not a file; give the path of the file to upload",
            path.display()
        )))),
        Err(e) => Err(anyhow::Error::new(Failure::local(format!(
            "--{flag} {}: cannot be opened ({e}); give the path of a readable file",
            path.display()
        )))),
    }
}

/// The operations of `product` as (HTTP method, operationId), from the generated tables.
pub fn operation_ids(product: &str) -> Vec<(&'static str, &'static str)> {
    crate::generated::products()
        .into_iter()
        .filter(|(name, _)| *name == product)
        .flat_map(|(_, operations)| operations.iter())
        .map(|operation| (operation.http_method, operation.id))
        .collect()
}

/// The name a user types for an operation's command: its short name (`logs`), else its
/// operationId, which stays an alias of it.
pub fn command_name(product: &str, id: &str) -> String {
    crate::generated::commands()
        .into_iter()
        .find(|command| command.get_name() == product)
        .and_then(|command| {
            command
                .get_subcommands()
                .find(|s| s.get_name() == id || s.get_all_aliases().any(|a| a == id))
                .map(|s| s.get_name().to_owned())
        })
        .unwrap_or_else(|| id.to_owned())
}

/// Whether `product` has generated commands.
pub fn is_product(product: &str) -> bool {
    crate::generated::products()
        .iter()
        .any(|(name, _)| *name == product)
}

/// A required flag of an upload command that is missing. Clap refuses the command line
/// before this point, so only a change to how the command is declared can lead here.
// Called by the generated upload commands: a build without a product that has one leaves it
// unused.
#[cfg_attr(not(feature = "full"), allow(dead_code))]
pub fn missing_flag(flag: &str) -> anyhow::Error {
    anyhow::Error::new(Failure::usage(format!(
        "the flag --{flag} is required; see the command's --help"
    )))
}

/// How an operation is sent and what it needs, for its help.
fn describe(operation: &Operation) -> String {
    let schemes: Vec<&str> = operation
        .schemes
        .iter()
        .map(|s| crate::failure::scheme_name(*s))
        .collect();
    let schemes = if schemes.is_empty() {
        String::from("none (it is how credentials are obtained)")
    } else {
        schemes.join(", ")
    };
    let scopes = if operation.scopes.is_empty() {
        String::from("none")
    } else {
        format!("any one of {}", operation.scopes.join(", "))
    };
    format!(
        "Infobip operation `{}`: {} {}\nAuthentication: {schemes}\nAPI scopes: {scopes}",
        operation.id, operation.http_method, operation.path
    )
}

/// The body of a generated command's `--json-body PATH` (`-`: standard input), read as
/// the operation's request type. A body that does not fit is reported by the path of the
/// field at fault (`messages[0].content: missing field `text``), not by line and column.
pub fn json_body<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<T> {
    use std::io::Read as _;
    let shown = path.display();
    let mut text = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut text).map(drop)
    } else {
        std::fs::File::open(path).and_then(|mut file| file.read_to_end(&mut text).map(drop))
    };
    read.map_err(|e| {
        anyhow::Error::new(Failure::local(format!(
            "--json-body {shown}: cannot be read ({e})"
        )))
    })?;
    let mut json = serde_json::Deserializer::from_slice(&text);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        let why = if inner.is_data() {
            without_quoted_values(&inner.to_string())
        } else {
            // Not JSON at all: there is no field to name, only a place.
            format!("not JSON (line {}, column {})", inner.line(), inner.column())
        };
        let message = if at == "." || !inner.is_data() {
            format!("--json-body {shown}: {why}")
        } else {
            format!("--json-body {shown}: {at}: {why}")
        };
        anyhow::Error::new(Failure::usage(message).hint(
            "fix the field named and try again; the command's --help lists the fields that have flags",
        ))
    })
}

/// A parser's message without the values it quotes (`invalid type: string "…"`): the body
/// can hold a secret, and the path says which field is meant. Its place (`at line 1 column
/// 9`) is left out too.
fn without_quoted_values(message: &str) -> String {
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(before, _)| before);
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

/// A secret parameter, read from standard input: with a hidden prompt on a terminal, else
/// its first line. Never a command-line argument, which every local user can read.
pub fn read_secret(name: &str) -> anyhow::Result<Secret> {
    let secret = crate::secret_input::read(&format!("{name}: "))?;
    Ok(Secret::from(secret))
}

/// An answer whose body is not JSON (a download), written as it comes, chunk by chunk: to
/// the new file `--output-file` names, else to standard output.
///
/// The file must not exist: a download never replaces a file silently (remove it first, or
/// name another). If the answer breaks off, the partial file is removed, so that a file left
/// behind is always a whole answer.
// Called by the generated download commands: a build without a product that has one leaves
// it unused.
#[cfg_attr(not(feature = "full"), allow(dead_code))]
pub async fn print_stream(
    answer: ResponseValue<ByteStream>,
    matches: &clap::ArgMatches,
) -> anyhow::Result<()> {
    let body = answer.into_inner();
    let path = matches
        .try_get_one::<std::path::PathBuf>("output-file")
        .ok()
        .flatten();
    let Some(path) = path else {
        let mut stdout = std::io::stdout().lock();
        copy(body, &mut stdout).await?;
        return Ok(stdout.flush()?);
    };
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(anyhow::Error::new(Failure::local(format!(
                "--output-file {}: the file exists and is left as it is; remove it or name \
                 another file",
                path.display()
            ))))
        }
        Err(e) => {
            return Err(anyhow::Error::new(Failure::local(format!(
                "--output-file {}: cannot be created ({e}); name a file in a writable folder",
                path.display()
            ))))
        }
    };
    let written = copy(body, &mut file).await.and_then(|()| {
        file.sync_all()?;
        Ok(())
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(anyhow::Error::new(Failure::local(format!(
            "--output-file {}: the download did not complete ({e}); the partial file was \
             removed",
            path.display()
        ))));
    }
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Writes every chunk of `body` to `to` as it arrives.
// Called by the generated download commands: a build without a product that has one leaves
// it unused.
#[cfg_attr(not(feature = "full"), allow(dead_code))]
async fn copy(body: ByteStream, to: &mut impl std::io::Write) -> anyhow::Result<()> {
    use futures_util::TryStreamExt as _;
    let mut body = body.into_inner();
    while let Some(chunk) = body.try_next().await? {
        to.write_all(&chunk)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parsers_message_loses_the_values_it_quotes_and_its_place() {
        assert_eq!(
            without_quoted_values(
                r#"invalid type: string "S3CRET", expected i32 at line 1 column 9"#
            ),
            r#"invalid type: string "…", expected i32"#
        );
        assert_eq!(
            without_quoted_values("missing field `text` at line 1 column 20"),
            "missing field `text`"
        );
    }
}
