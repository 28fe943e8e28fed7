//! `infobip api METHOD PATH`: any request, as `gh api` makes them, signed with the profile's
//! scheme through the connection every other command uses (one token, and credentials only
//! ever sent to the base URL's host).

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use infobip_auth::error::SendError;
use infobip_client::Operation;
use infobip_client::{ErrorKind, InfobipError, HAND_WRITTEN};
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};

use super::Context;
use crate::failure::Failure;
use crate::fields::{self, Field};
use crate::output::{self, Output};

/// `infobip api`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  infobip api GET /account/1/balance
  infobip api GET /sms/3/logs --field limit=5
  infobip api POST /sms/3/messages \\
    --raw-field 'messages[0].destinations[0].to=41793026727' \\
    --raw-field 'messages[0].content.text=Hello'
  infobip api POST /sms/3/messages --input message.json
  infobip api GET /settings/2/api-keys --paginate --field size=100

Fields are KEY=VALUE. For GET (and with --input) they are query parameters; otherwise they \
make a JSON body, nested by their keys: `a.b` or `a[b]` in an object, `a[0]` at an index of \
a list, `a[]` as a new last element. --field types its value as `gh api -F` does (true, \
false, null and integers become JSON literals, @FILE the file's text); --raw-field keeps it \
a string (a phone number, say).

The request goes to the base URL of the profile in use; a URL on any other host is refused \
before anything is sent, so that the credentials never leave it. Answers are printed as \
JSON, their secrets redacted unless --show-secrets; a refusal exits as the other commands do.

--paginate reads a list page after page, as its answers say where the next one is (a \
`paging` with `page` and `totalPages`, a total of entries, a `cursor.nextCursor`, an \
`offset`), and prints the entries of all of them as one JSON array; the cursor of the \
messages' logs is asked for (`useCursor=true`) unless given. It stops after --max-pages \
pages, failing, so that a list that never ends cannot keep it going.")]
pub struct Api {
    /// The HTTP method (GET, POST, PUT, PATCH, DELETE)
    method: String,
    /// The path under the base URL (`/account/1/balance`), or a whole URL on its host
    path: String,
    /// A field KEY=VALUE, its value typed (repeatable)
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// A field KEY=VALUE whose value stays a string (repeatable)
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    raw_fields: Vec<String>,
    /// The body: a file of JSON, or `-` for standard input
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// An extra header, `NAME: VALUE` (repeatable). Never Authorization: the profile's
    /// credentials are added
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Follow the pages of a list (GET only): page numbers, cursors or offsets, whichever the
    /// answer uses; every page's entries are printed as one JSON array
    #[arg(long)]
    paginate: bool,
    /// With --paginate: read at most this many pages, then fail (exit code 1) after printing
    /// what was read
    #[arg(long, value_name = "N", default_value_t = crate::paginate::DEFAULT_MAX_PAGES, requires = "paginate")]
    max_pages: u32,
}

impl Api {
    /// Runs it.
    pub async fn run(self, context: &Context) -> Result<(), Failure> {
        let method = reqwest::Method::from_bytes(self.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| Failure::usage(format!("`{}` is not an HTTP method", self.method)))?;
        let headers = self
            .headers
            .iter()
            .map(|h| header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let mut given: Vec<Field> = Vec::new();
        for text in &self.fields {
            given.push(fields::parse(text, true)?);
        }
        for text in &self.raw_fields {
            given.push(fields::parse(text, false)?);
        }
        // Read (and checked) before connecting: a body that cannot be sent costs no token.
        let input = self.input.as_deref().map(read_input).transpose()?;
        let session = context.connect().await?;
        let mut url = url_of(&session.base_url, &self.path)?;
        if !session.infobip.owns(&url) {
            return Err(Failure::usage(format!(
                "{} is not the host of the base URL ({}): the credentials are sent to that host only; nothing was sent",
                url.origin().ascii_serialization(),
                session.base_url
            ))
            .hint("give a path under the base URL (`/account/1/balance`), or use another profile (--profile)"));
        }
        let as_query = method == reqwest::Method::GET || input.is_some();
        let body = match (&input, as_query || given.is_empty()) {
            (Some(input), _) => Some(input.clone()),
            (None, true) => None,
            (None, false) => Some(
                serde_json::to_vec(&fields::body(&given)?)
                    .map_err(|e| Failure::local(format!("cannot encode the fields ({e})")))?,
            ),
        };
        if as_query && !given.is_empty() {
            url.query_pairs_mut().extend_pairs(fields::query(&given));
        }
        let operation = catalogue_operation(&method, url.path());
        if self.paginate && method != reqwest::Method::GET {
            return Err(Failure::usage(format!(
                "--paginate follows the pages of a list, which is read with GET, not {method}"
            )));
        }
        let call = Call {
            session: &session,
            method,
            headers,
            body,
            operation,
        };
        let output = context.global.output.unwrap_or(Output::Json);
        let show_secrets = context.global.show_secrets;
        if !self.paginate {
            let bytes = call.send(url).await?;
            print_answer(&bytes, output, show_secrets);
            return Ok(());
        }
        // The logs answer with a cursor only when asked to.
        if !url.query_pairs().any(|(k, _)| k == "useCursor") && declares(operation, "use-cursor") {
            url.query_pairs_mut().append_pair("useCursor", "true");
        }
        let mut entries: Vec<serde_json::Value> = Vec::new();
        let mut first_page = None;
        for _ in 0..self.max_pages {
            let bytes = call.send(url.clone()).await?;
            let page: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
                Failure::new(
                    crate::failure::Kind::Api,
                    format!(
                        "`{} {}`: a page is not JSON, so --paginate cannot follow it",
                        call.method,
                        url.path()
                    ),
                )
            })?;
            let asked: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let first =
                *first_page.get_or_insert_with(|| crate::paginate::first_page(&page, &asked));
            match crate::paginate::entries(&page) {
                Some(items) => entries.extend(items.iter().cloned()),
                None => {
                    return Err(Failure::usage(format!(
                        "`{} {}` answers with no list, so there are no pages to follow",
                        call.method,
                        url.path()
                    ))
                    .hint("leave out --paginate"))
                }
            }
            let Some(next) = crate::paginate::next(&page, &asked, first) else {
                print_entries(entries, output, show_secrets);
                return Ok(());
            };
            let kept: Vec<(String, String)> = asked
                .into_iter()
                .filter(|(k, _)| !next.iter().any(|(n, _)| n == k))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .extend_pairs(next);
        }
        print_entries(entries, output, show_secrets);
        Err(Failure::local(format!(
            "--paginate stopped after {} pages (--max-pages) while the list went on: what was read is printed, the rest is not",
            self.max_pages
        ))
        .hint("narrow the list (a filter, a larger page size), or raise --max-pages"))
    }
}

/// One request of `infobip api`, sent as often as there are pages to read.
struct Call<'a> {
    session: &'a crate::connect::Session,
    method: reqwest::Method,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Vec<u8>>,
    operation: &'static Operation,
}

impl Call<'_> {
    /// Sends it to `url`; the body of a success, or why it failed.
    async fn send(&self, url: reqwest::Url) -> Result<Vec<u8>, Failure> {
        let (method, operation) = (&self.method, self.operation);
        let scheme = self.session.scheme();
        let mut request = reqwest::Request::new(method.clone(), url.clone());
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(body) = &self.body {
            request
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            *request.body_mut() = Some(body.clone().into());
        }
        for (name, value) in &self.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        // The span `--debug` reads the URL from (its query's secrets redacted there).
        let span = tracing::info_span!("infobip_cli.api", url = %url);
        let sent = crate::spinner::while_waiting(
            &format!("{method} {}...", url.path()),
            tracing::Instrument::instrument(self.session.infobip.send(request), span),
        )
        .await;
        // A request the catalogue does not know is named by its method and path, not as
        // the auth crate's placeholder operation.
        let named = |mut failure: Failure| {
            if std::ptr::eq(operation, &HAND_WRITTEN) {
                failure.message = failure.message.replace(
                    &format!("`{}`", HAND_WRITTEN.id),
                    &format!("`{method} {}`", url.path()),
                );
            }
            failure
        };
        let response = match sent {
            Ok(response) => response,
            Err(SendError::Auth(failure)) => {
                return Err(named(Failure::of_auth(failure.error(), scheme)))
            }
            Err(SendError::Transport(error)) => {
                let error = infobip_client::Error::new(operation, ErrorKind::Transport(error));
                return Err(named(Failure::of_call(&error, scheme)));
            }
        };
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            let error = infobip_client::Error::new(operation, ErrorKind::Transport(e));
            named(Failure::of_call(&error, scheme))
        })?;
        if !status.is_success() {
            return Err(named(Failure::of_answer(
                InfobipError::from_body(Some(status.as_u16()), &bytes),
                operation,
                scheme,
            )));
        }
        Ok(bytes.to_vec())
    }
}

/// Whether the catalogue's `operation` has the query parameter whose flag is `flag`.
fn declares(operation: &Operation, flag: &str) -> bool {
    crate::generated::commands()
        .into_iter()
        .find(|product| product.get_name() == operation.product)
        .and_then(|product| product.find_subcommand(operation.id).cloned())
        .is_some_and(|command| {
            command
                .get_arguments()
                .any(|arg| arg.get_long() == Some(flag))
        })
}

/// The entries of every page, as one JSON array.
fn print_entries(entries: Vec<serde_json::Value>, output: Output, show_secrets: bool) {
    let mut json = serde_json::Value::Array(entries);
    if !show_secrets && infobip_client::redact::redact_json(&mut json) {
        eprintln!(
            "note: secrets in the answer replaced by [redacted]; add --show-secrets to print them"
        );
    }
    output::print(&json, output);
}

/// The request's URL: `path` under the base URL, or `path` itself if it is a URL.
fn url_of(base_url: &str, path: &str) -> Result<reqwest::Url, Failure> {
    let text = if path.starts_with("http://") || path.starts_with("https://") {
        path.to_owned()
    } else {
        format!(
            "{}/{}",
            base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    };
    reqwest::Url::parse(&text)
        .map_err(|e| Failure::usage(format!("`{path}` does not make a URL ({e})")))
}

/// `NAME: VALUE`, refused for the headers the connection owns.
fn header(text: &str) -> Result<(HeaderName, HeaderValue), Failure> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(Failure::usage(format!(
            "--header {text}: a header is `NAME: VALUE`"
        )));
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| Failure::usage(format!("--header: `{}` is not a header name", name.trim())))?;
    if name == reqwest::header::AUTHORIZATION || name == reqwest::header::PROXY_AUTHORIZATION {
        return Err(Failure::usage(format!(
            "--header {name}: the profile's credentials are added by the command line"
        ))
        .hint(
            "to send other credentials, use another profile (--profile) or the INFOBIP_* variables",
        ));
    }
    // Not quoted back: a header value may be a secret (an API key of another service).
    let value = HeaderValue::from_str(value.trim()).map_err(|_| {
        Failure::usage(format!(
            "--header {name}: the value is not a valid header value"
        ))
    })?;
    Ok((name, value))
}

/// The body of `--input`, checked to be JSON. The parser's message is not shown: it can
/// quote the file, which may hold a secret.
fn read_input(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    let shown = path.display();
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(drop)
    } else {
        std::fs::File::open(path).and_then(|mut file| file.read_to_end(&mut bytes).map(drop))
    };
    read.map_err(|e| Failure::local(format!("--input {shown}: cannot be read ({e})")))?;
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        return Err(Failure::usage(format!(
            "--input {shown}: not JSON (line {}, column {})",
            e.line(),
            e.column()
        )));
    }
    Ok(bytes)
}

/// The operation of the catalogue that `method` and `path` call, so that a refusal names
/// it and its scopes as the generated commands do; a request written by hand otherwise.
fn catalogue_operation(method: &reqwest::Method, path: &str) -> &'static Operation {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    crate::generated::products()
        .into_iter()
        .flat_map(|(_, operations)| operations.iter().copied())
        .find(|operation| {
            let template: Vec<&str> = operation.path.trim_matches('/').split('/').collect();
            operation.http_method.eq_ignore_ascii_case(method.as_str())
                && template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s
                })
        })
        .unwrap_or(&HAND_WRITTEN)
}

/// A success's body: JSON pretty-printed (its secrets redacted unless `show_secrets`),
/// anything else as it came.
fn print_answer(bytes: &[u8], output: Output, show_secrets: bool) {
    if bytes.is_empty() {
        return;
    }
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
        return;
    };
    if !show_secrets && infobip_client::redact::redact_json(&mut json) {
        eprintln!(
            "note: secrets in the answer replaced by [redacted]; add --show-secrets to print them"
        );
    }
    output::print(&json, output);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_matched_to_the_catalogue() {
        let get = reqwest::Method::GET;
        assert_eq!(
            catalogue_operation(&get, "/account/1/balance").id,
            "get-account-balance"
        );
        assert_eq!(catalogue_operation(&get, "/nowhere").id, HAND_WRITTEN.id);
        assert!(header("Authorization: Basic x").is_err());
        assert!(header("X-Trace: 1").is_ok());
    }
}
