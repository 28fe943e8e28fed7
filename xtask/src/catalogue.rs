//! `cargo xtask import --all --from <DIR-or-URL>`: refreshes every product of Infobip's
//! published catalogue at once, and says per product what changed.
//!
//! From a folder, every `*.json`/`*.yaml` document in it is a product (named after the file:
//! `infobip-sms-openapi.json` is `sms`); from a URL prefix, the products are those already in
//! `spec/` (each records its document's name), downloaded from `<prefix><document>`. Every
//! product is imported before anything is written: one that fails leaves `spec/` as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::import::{document_name, overlay, own_specs, read_document, write_atomically};

/// Catalogue names that cannot name a product (a file and a Rust module), and the stable
/// names they get.
const RENAMED: &[(&str, &str)] = &[("2fa", "two-factor")];

/// Documents that are not a product: `platform-full` repeats every product in one document.
const NOT_PRODUCTS: &[&str] = &["platform-full"];

/// What `import --all` was asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub from: String,
    pub keep_docs: bool,
}

/// Reads `--all --from <DIR-or-URL> [--keep-docs]`.
pub fn parse_args(args: &[&str]) -> Result<Args, String> {
    let mut from = None;
    let mut keep_docs = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--all" => {}
            "--keep-docs" => keep_docs = true,
            "--from" => from = rest.next().map(|v| (*v).to_owned()),
            other => match other.strip_prefix("--from=") {
                Some(value) => from = Some(value.to_owned()),
                None => return Err(format!("import --all does not take `{other}`")),
            },
        }
    }
    Ok(Args {
        from: from
            .filter(|f| !f.is_empty())
            .ok_or("import --all needs --from <folder of documents, or URL prefix>")?,
        keep_docs,
    })
}

/// The product a catalogue document becomes.
pub fn product_name(document: &str) -> String {
    RENAMED
        .iter()
        .find(|(from, _)| *from == document)
        .map_or_else(|| document.to_owned(), |(_, to)| (*to).to_owned())
}

/// Imports every document, then writes every description that changed.
pub fn run(args: &Args, root: &Path) -> Result<(), String> {
    let sources = sources(&args.from, root)?;
    if sources.is_empty() {
        return Err(format!("{} holds no product documents", args.from));
    }
    let spec = root.join("spec");
    let mut written: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut failed = Vec::new();
    let mut skipped_total = 0;
    let mut kept_total = 0;
    for (product, from) in &sources {
        let out = spec.join(format!("{product}.yaml"));
        let imported = read_document(from).and_then(|text| {
            let options = codegen::ImportOptions {
                product: product.clone(),
                operations: None,
                keep_docs: args.keep_docs,
                existing: own_specs(root, &out)?,
                overlay: overlay(root, product)?,
                source: Some(codegen::Source {
                    document: document_name(from),
                    sha256: crate::import::sha256(&text),
                }),
                previous: std::fs::read_to_string(&out).ok(),
            };
            codegen::import(&text, &options).map_err(|e| e.to_string())
        });
        match imported {
            Ok(imported) => {
                let report = &imported.report;
                let left_out: Vec<String> = report
                    .skipped
                    .iter()
                    .filter(|s| !matches!(s.reason, codegen::SkipReason::DescribedElsewhere { .. }))
                    .map(|s| format!("    {}: {}", s.operation, s.reason))
                    .collect();
                kept_total += report.kept.len();
                skipped_total += left_out.len();
                let before = std::fs::read_to_string(&out).unwrap_or_default();
                let comparison = codegen::compare(&before, &imported.yaml);
                let state = if before == imported.yaml {
                    String::from("unchanged")
                } else if before.is_empty() {
                    String::from("new")
                } else {
                    comparison.to_string()
                };
                println!(
                    "{product}: {} operations, {} left out: {state}",
                    report.kept.len(),
                    left_out.len()
                );
                for line in left_out {
                    println!("{line}");
                }
                if before != imported.yaml {
                    written.insert(out, imported.yaml);
                }
            }
            Err(error) => failed.push(format!("{product} ({from}): {error}")),
        }
    }
    if !failed.is_empty() {
        return Err(format!(
            "{} product(s) failed; nothing was written:\n{}",
            failed.len(),
            failed.join("\n")
        ));
    }
    for (path, yaml) in &written {
        write_atomically(path, yaml)?;
    }
    println!(
        "{} products, {kept_total} operations, {skipped_total} left out; {} description(s) \
         written{}",
        sources.len(),
        written.len(),
        if written.is_empty() {
            ""
        } else {
            "; next: `cargo xtask regen`"
        }
    );
    Ok(())
}

/// Each product with where its document is, sorted by product.
fn sources(from: &str, root: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut sources = BTreeMap::new();
    if from.starts_with("http://") || from.starts_with("https://") {
        let prefix = if from.ends_with('/') {
            from.to_owned()
        } else {
            format!("{from}/")
        };
        for spec in own_or_imported(root)? {
            if let Some(document) = codegen::source_document(&spec.1) {
                sources.insert(spec.0, format!("{prefix}{document}"));
            }
        }
        return Ok(sources);
    }
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read the folder {from}: {e}"))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read the folder {from}: {e}"))?
            .path();
        let is_document = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "yaml" | "yml")
        );
        let shown = path.display().to_string();
        let document = document_name(&shown);
        if is_document && !NOT_PRODUCTS.contains(&document.as_str()) {
            sources.insert(product_name(&document), shown);
        }
    }
    Ok(sources)
}

/// Every description under `spec/`, by product, with its text.
fn own_or_imported(root: &Path) -> Result<Vec<(String, String)>, String> {
    let specs = codegen::read_specs(root).map_err(|e| e.to_string())?;
    Ok(specs.into_iter().map(|s| (s.product, s.text)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_named_as_infobip_publishes_them_and_2fa_gets_a_stable_name() {
        assert_eq!(document_name("/x/infobip-2fa-openapi.json"), "2fa");
        assert_eq!(
            product_name(&document_name("/x/infobip-2fa-openapi.json")),
            "two-factor"
        );
        assert_eq!(
            document_name("https://api.infobip.com/platform/1/openapi/sms"),
            "sms"
        );
        assert_eq!(product_name("whatsapp"), "whatsapp");
    }

    #[test]
    fn arguments() {
        assert_eq!(
            parse_args(&["--all", "--from", "docs/"]),
            Ok(Args {
                from: String::from("docs/"),
                keep_docs: false
            })
        );
        assert!(parse_args(&["--all"]).unwrap_err().contains("--from"));
        assert!(parse_args(&["--all", "--from", "d", "--product", "sms"]).is_err());
    }
}
