//! `cargo xtask import`: reads (or downloads) one of Infobip's published product documents and
//! writes its checked-in form with `codegen::import`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest document accepted; Infobip's whole platform document is about 10 MB.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub from: String,
    pub product: String,
    pub operations: Option<Vec<String>>,
    pub out: Option<PathBuf>,
    pub keep_docs: bool,
}

/// Reads `--from`, `--product`, `--operations`, `--out` and `--keep-docs`, in any order.
pub fn parse_args(args: &[&str]) -> Result<Args, String> {
    let mut from = None;
    let mut product = None;
    let mut operations = None;
    let mut out = None;
    let mut keep_docs = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
            _ => (*arg, None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .map(str::to_owned)
                .or_else(|| rest.next().map(|v| (*v).to_owned()))
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "--from" => from = Some(value("--from")?),
            "--product" => product = Some(value("--product")?),
            "--operations" => {
                let list: Vec<String> = value("--operations")?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if list.is_empty() {
                    return Err(String::from("--operations needs at least one operationId"));
                }
                operations = Some(list);
            }
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--keep-docs" => keep_docs = true,
            other => return Err(format!("import does not know `{other}`")),
        }
    }
    Ok(Args {
        from: from.ok_or("import needs --from <file or URL>")?,
        product: product.ok_or("import needs --product <name>, e.g. --product sms")?,
        operations,
        out,
        keep_docs,
    })
}

/// Runs the import; `root` is the workspace root (for `spec/`).
pub fn run(args: &Args, root: &Path) -> Result<(), String> {
    let text = read_document(&args.from)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("spec").join(format!("{}.yaml", args.product)));
    let options = codegen::ImportOptions {
        product: args.product.clone(),
        operations: args.operations.clone(),
        keep_docs: args.keep_docs,
        existing: own_specs(root, &out)?,
        overlay: overlay(root, &args.product)?,
        source: Some(source(&args.from, &text)),
        previous: std::fs::read_to_string(&out).ok(),
    };
    let imported = codegen::import(&text, &options).map_err(|e| e.to_string())?;
    write_atomically(&out, &imported.yaml)?;
    print!("{}", imported.report);
    println!(
        "wrote {} ({} lines); next: `cargo xtask regen`",
        out.display(),
        imported.yaml.lines().count()
    );
    Ok(())
}

/// The document's text, from a file or a URL.
pub fn read_document(from: &str) -> Result<String, String> {
    if from.starts_with("http://") || from.starts_with("https://") {
        download(from)
    } else {
        read_bounded(Path::new(from), MAX_BYTES)
    }
}

/// The catalogue's name of the document at `from`: the file name or the URL's last segment,
/// without Infobip's `infobip-` and `-openapi` decorations (`infobip-2fa-openapi.json` -> `2fa`).
pub fn document_name(from: &str) -> String {
    let last = from
        .trim_end_matches('/')
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(from);
    let stem = last
        .strip_suffix(".json")
        .or_else(|| last.strip_suffix(".yaml"))
        .or_else(|| last.strip_suffix(".yml"))
        .unwrap_or(last);
    let stem = stem.strip_prefix("infobip-").unwrap_or(stem);
    stem.strip_suffix("-openapi").unwrap_or(stem).to_owned()
}

/// Where a document came from, with its digest, for the description's `info.x-source`.
fn source(from: &str, text: &str) -> codegen::Source {
    codegen::Source {
        document: document_name(from),
        sha256: sha256(text),
    }
}

/// The SHA-256 of a document's text, in lowercase hex.
pub fn sha256(text: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The product's overlay (`spec/overlays/<product>.yaml`), if it has one.
pub fn overlay(root: &Path, product: &str) -> Result<Option<String>, String> {
    let path = root
        .join("spec")
        .join("overlays")
        .join(format!("{product}.yaml"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The project's own descriptions under `spec/` (those the import did not write), whose
/// operations an import leaves out; the output file is never one of them.
pub fn own_specs(root: &Path, out: &Path) -> Result<Vec<codegen::ExistingSpec>, String> {
    Ok(existing_specs(root, out)?
        .into_iter()
        .filter(|spec| !codegen::is_imported(&spec.text))
        .collect())
}

/// The other descriptions under `spec/`, named relative to the root; the output file is left
/// out, so that importing a product again does not find it "already described".
fn existing_specs(root: &Path, out: &Path) -> Result<Vec<codegen::ExistingSpec>, String> {
    let dir = root.join("spec");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let out = std::fs::canonicalize(out).ok();
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .filter(|p| out.is_none() || std::fs::canonicalize(p).ok() != out)
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let name = path.strip_prefix(root).unwrap_or(&path);
            Ok(codegen::ExistingSpec {
                path: name.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Reads a local document, refusing one larger than `max` bytes before reading it whole.
fn read_bounded(path: &Path, max: u64) -> Result<String, String> {
    let name = path.display();
    let too_large = |size: &str| {
        format!("{name} is {size} bytes, more than {max}; that is not a product description")
    };
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let size = file
        .metadata()
        .map_err(|e| format!("cannot read {name}: {e}"))?
        .len();
    if size > max {
        return Err(too_large(&size.to_string()));
    }
    let mut text = String::new();
    // The file may grow between the check and the read (or be a pipe with no size).
    std::io::Read::read_to_string(&mut std::io::Read::take(file, max + 1), &mut text)
        .map_err(|e| format!("cannot read {name} as UTF-8 text: {e}"))?;
    if text.len() as u64 > max {
        return Err(too_large("at least"));
    }
    Ok(text)
}

/// Writes to a temporary file of a random name beside the target and renames it over the
/// target, so that a failure never leaves half a file and two imports never share one
/// temporary file.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), String> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    if path.file_name().is_none() {
        return Err(format!("{} is not a file path", path.display()));
    }
    let mut temporary = tempfile::NamedTempFile::new_in(parent)
        .map_err(|e| format!("cannot write in {}: {e}", parent.display()))?;
    temporary
        .write_all(contents.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", temporary.path().display()))?;
    // On failure the temporary file is removed when it is dropped.
    temporary
        .persist(path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// Whether a URL may be fetched: HTTPS anywhere, plain HTTP only on loopback (a document
/// fetched in the clear could be altered on the way, and it becomes code).
fn check_url(url: &reqwest::Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "refusing to download {url} over plain http: use https (plain http is only \
                     accepted for localhost)"
                ))
            }
        }
        other => Err(format!("cannot download a `{other}` URL; use https")),
    }
}

/// Downloads a document, showing the bytes received on stderr.
fn download(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    check_url(&parsed)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(fetch(parsed))
}

async fn fetch(url: reqwest::Url) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(60))
        .user_agent(concat!("infobip-xtask-import/", env!("CARGO_PKG_VERSION")))
        // The URL was checked; a redirect must not take the download to plain http elsewhere.
        .redirect(reqwest::redirect::Policy::custom(
            |attempt| match check_url(attempt.url()) {
                Ok(()) if attempt.previous().len() < 5 => attempt.follow(),
                Ok(()) => attempt.error("too many redirects"),
                Err(e) => attempt.error(e),
            },
        ))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let mut response = client
        .get(url.clone())
        .header(
            "Accept",
            "application/json, application/yaml;q=0.9, */*;q=0.5",
        )
        .send()
        .await
        .map_err(|e| format!("cannot download {url}: {e}"))?;
    let status = response.status();
    let mut body: Vec<u8> = Vec::new();
    let mut stderr = std::io::stderr();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        format!(
            "the download of {url} broke off after {} bytes: {e}",
            body.len()
        )
    })? {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > MAX_BYTES {
            let _ = writeln!(stderr);
            return Err(format!(
                "{url} sent more than {MAX_BYTES} bytes; that is not a product description"
            ));
        }
        let _ = write!(stderr, "\rdownloading {url}: {} bytes", body.len());
    }
    let _ = writeln!(stderr, "\rdownloading {url}: {} bytes, done", body.len());
    if !status.is_success() {
        let start = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        return Err(format!("{url} answered {status}: {start}"));
    }
    String::from_utf8(body).map_err(|_| format!("{url} sent a body that is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_document_larger_than_the_bound_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.json");
        std::fs::write(&path, "x".repeat(65)).unwrap();
        let error = read_bounded(&path, 64).unwrap_err();
        assert!(error.contains("is 65 bytes, more than 64"), "{error}");
        assert_eq!(read_bounded(&path, 65).unwrap().len(), 65);
    }

    #[test]
    fn the_write_leaves_no_temporary_file_and_replaces_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sms.yaml");
        std::fs::write(&path, "old").unwrap();
        // A stale file at the old fixed temporary name is neither used nor needed.
        std::fs::write(dir.path().join(".sms.yaml.tmp"), "stale").unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".sms.yaml.tmp", "sms.yaml"]);
    }

    #[test]
    fn arguments_in_any_order_and_with_equals() {
        let args = parse_args(&[
            "--product",
            "sms",
            "--keep-docs",
            "--operations=a, b",
            "--from",
            "x.json",
        ]);
        assert_eq!(
            args,
            Ok(Args {
                from: String::from("x.json"),
                product: String::from("sms"),
                operations: Some(vec![String::from("a"), String::from("b")]),
                out: None,
                keep_docs: true,
            })
        );
    }

    #[test]
    fn missing_and_unknown_arguments_are_named() {
        assert_eq!(
            parse_args(&["--product", "sms"]),
            Err(String::from("import needs --from <file or URL>"))
        );
        assert_eq!(
            parse_args(&["--from"]),
            Err(String::from("--from needs a value"))
        );
        assert_eq!(
            parse_args(&["--from", "x", "--product", "sms", "--force"]),
            Err(String::from("import does not know `--force`"))
        );
    }

    #[test]
    fn existing_specs_leave_out_the_file_being_written() {
        let root = tempfile::tempdir().unwrap();
        let spec = root.path().join("spec");
        std::fs::create_dir(&spec).unwrap();
        for name in ["account.yaml", "sms.yaml", "notes.txt"] {
            std::fs::write(spec.join(name), "openapi: 3.0.3\n").unwrap();
        }
        let existing = existing_specs(root.path(), &spec.join("sms.yaml")).unwrap();
        let paths: Vec<&str> = existing.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["spec/account.yaml"]);
        let elsewhere = existing_specs(root.path(), &root.path().join("sms.yaml")).unwrap();
        assert_eq!(elsewhere.len(), 2);
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let check = |u: &str| check_url(&reqwest::Url::parse(u).unwrap_or_else(|e| panic!("{e}")));
        assert!(check("https://api.infobip.com/platform/1/openapi/sms").is_ok());
        assert!(check("http://127.0.0.1:8080/sms.json").is_ok());
        assert!(check("http://[::1]:8080/sms.json").is_ok());
        assert!(check("http://localhost/sms.json").is_ok());
        let refused = check("http://api.infobip.com/platform/1/openapi/sms");
        assert!(refused.is_err_and(|e| e.contains("use https")));
        assert!(check("ftp://example.com/x").is_err());
    }
}
