//! Infobip's published product descriptions (OpenAPI 3.1, JSON or YAML) in, the checked-in
//! form out: OpenAPI 3.0.3 YAML that passes [`validate`](crate::validate) and that
//! [`render`](crate::render) turns into a client.
//!
//! [`import`] is a pure function (text in, text and a report out); `cargo xtask import` reads
//! the file or downloads the URL and writes the result.
//!
//! What it does, in order:
//! 1. **Converts** what progenitor 0.15 cannot read (see [`Change`] for every kind): the
//!    version string, JSON + XML request bodies (JSON kept), `*/*` JSON bodies, 3.1 schema
//!    forms (`type: [T, "null"]`, `examples` arrays, numeric exclusive bounds, `$ref` with
//!    siblings, `const`), duplicate enum values, discriminated unions (see
//!    `discriminator.rs`), error responses without a body, every error body pointed at one
//!    shared `ErrorBody` (see `errors.rs`). Vendor extensions other than `x-scopes` and
//!    `x-deprecationInformation` on operations (and the `x-cli-name` the import writes), and (without `--keep-docs`) descriptions,
//!    summaries, titles and examples are dropped, so that no prose of Infobip's lands in the
//!    repository.
//! 2. **Merges** identical copies of a schema and **renames** content-hash keys
//!    (`<64 hex>.Name` -> `Name`); the rules are in `names.rs`.
//! 3. **Selects** operations: those named with `--operations`, or by default every operation
//!    (deprecated ones too, which the client marks `#[deprecated]`). Operations that one of the
//!    project's own descriptions under `spec/` already has (same operationId, or same method
//!    and path) are left out: the project's description wins. By default, an operation that
//!    cannot be generated is left out and reported with the JSON pointer of the construct at
//!    fault; when it was named, the import fails.
//! 4. **Names** each kept operation's command (`x-cli-name`): the name it has in the
//!    description being refreshed ([`ImportOptions::previous`]) if it has one, else one derived
//!    by the rule of [`command_names`](crate::command_names).
//! 5. **Trims** to what the kept operations and webhooks reach (`webhooks.rs`: each kind's JSON
//!    payload, kept as `x-webhooks`), writes it in a stable order (see
//!    `emit.rs`) with the product's overlay applied (`overlay.rs`, which may set a name by
//!    hand), and checks the result with the codegen's own validation and progenitor.
//!
//! ```
//! let published = r##"{"openapi":"3.1.0","info":{"title":"t","version":"1"},
//!   "paths":{"/ping":{"get":{"operationId":"ping","responses":{"200":{"description":"ok",
//!   "content":{"*/*":{"schema":{"$ref":"#/components/schemas/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.Pong"}}}}}}}},
//!   "components":{"schemas":{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.Pong":
//!   {"type":"object","properties":{"at":{"type":["string","null"]}}}}}}"##;
//! let imported = codegen::import(published, &codegen::ImportOptions::new("ping"))?;
//! assert!(imported.yaml.contains("openapi: 3.0.3"));
//! assert!(imported.yaml.contains("$ref: '#/components/schemas/Pong'"));
//! println!("{}", imported.report);
//! # Ok::<(), codegen::ImportError>(())
//! ```

mod allof;
mod check;
mod compare;
mod convert;
mod discriminator;
mod doc;
mod emit;
mod errors;
mod inline_names;
mod names;
mod overlay;
mod report;
mod schema;
mod webhooks;

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use crate::{CodegenError, Violation};
pub use compare::{compare, Comparison};
use doc::{ComponentRef, Op};
pub use emit::{is_imported, source_document};
pub use report::{Change, ImportReport, OperationRef, SkipReason, SkippedOperation, Suffixed};
pub use webhooks::{SkippedWebhook, WEBHOOKS_KEY};

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The product's name: lowercase words joined by `-` (`sms`, `account-management`).
    pub product: String,
    /// Import exactly these operationIds; `None` imports every operation (deprecated ones
    /// too: the client marks them `#[deprecated]`).
    pub operations: Option<Vec<String>>,
    /// Keep descriptions, summaries, titles and examples (off by default, so that no prose of
    /// Infobip's is copied into the repository).
    pub keep_docs: bool,
    /// The project's own descriptions under `spec/` (not written by the import), whose
    /// operations must not be imported again.
    pub existing: Vec<ExistingSpec>,
    /// The project's corrections, applied to the written description: a JSON Merge Patch
    /// (RFC 7396) in YAML (`spec/overlays/<product>.yaml`).
    pub overlay: Option<String>,
    /// Where the document came from, recorded in the description's `info.x-source`.
    pub source: Option<Source>,
    /// The description being refreshed (`spec/<product>.yaml` as it is), whose commands'
    /// names (`x-cli-name`) are kept: a refresh never renames a command. See
    /// [`command_names`](crate::command_names) for how a new operation is named.
    pub previous: Option<String>,
}

/// The published document a description was imported from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Its name in Infobip's catalogue (`sms`, `2fa`), from the file name or URL.
    pub document: String,
    /// The SHA-256 of its bytes, in lowercase hex.
    pub sha256: String,
}

impl ImportOptions {
    /// Options for `product` with the defaults: every operation, no docs, no other
    /// descriptions.
    pub fn new(product: &str) -> ImportOptions {
        ImportOptions {
            product: product.to_owned(),
            ..ImportOptions::default()
        }
    }
}

/// Another description of the project, whose operations win over imported ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingSpec {
    /// Its path, as the report should name it (`spec/account.yaml`).
    pub path: String,
    /// Its text (YAML or JSON).
    pub text: String,
}

/// What [`import`] produced.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The description to write, OpenAPI 3.0.3 YAML starting with a comment that names its
    /// source.
    pub yaml: String,
    /// What was kept, skipped and changed.
    pub report: ImportReport,
}

/// An operation named in `--operations` that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The operationId.
    pub operation: String,
    /// JSON pointer into the published document.
    pub pointer: String,
    /// What is wrong there.
    pub reason: String,
}

/// Why a document could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The text is neither JSON nor YAML.
    #[error(
        "the document is not JSON or YAML ({0}); pass Infobip's published OpenAPI document \
         (from https://api.infobip.com/platform/1/openapi/<product>)"
    )]
    NotJsonOrYaml(String),
    /// The text is JSON or YAML but not an OpenAPI description.
    #[error("the document is not an OpenAPI description: {0}")]
    NotOpenApi(String),
    /// Neither OpenAPI 3.0 nor 3.1.
    #[error("OpenAPI version {0} is not supported: the import reads 3.0.x and 3.1.x documents")]
    UnsupportedVersion(String),
    /// The product name would make a poor file and module name.
    #[error(
        "the product name `{0}` must be lowercase words joined by `-`, starting with a letter \
         (like `sms`, `account-management` or `two-factor`): it names the file and the Rust \
         module"
    )]
    InvalidProduct(String),
    /// `--operations` names operationIds the document does not have.
    #[error(
        "the document has no operation {}; its operationIds are: {}",
        .unknown.join(", "),
        .available.join(", ")
    )]
    UnknownOperations {
        /// The names not found.
        unknown: Vec<String>,
        /// Every operationId of the document.
        available: Vec<String>,
    },
    /// `--operations` names an operation another description already has.
    #[error(
        "`{operation}` is already described in {file} ({matched}) and the project's own \
         description wins: leave it out of --operations"
    )]
    DescribedElsewhere {
        /// The operationId.
        operation: String,
        /// The description that has it.
        file: String,
        /// What matched.
        matched: String,
    },
    /// Operations named in `--operations` that cannot be converted.
    #[error(
        "{} named operation(s) cannot be imported; nothing was written:\n{}\n\
         leave them out of --operations (the default selection skips and reports them)",
        .0.len(),
        .0.iter().map(|r| format!("  - {}: {}: {}", r.operation, r.pointer, r.reason))
            .collect::<Vec<_>>().join("\n")
    )]
    Unconvertible(Vec<Refused>),
    /// Another description under `spec/` does not parse.
    #[error(
        "{path} does not parse ({cause}); the import reads every description under spec/ to \
         avoid duplicates: fix it or move it out"
    )]
    ExistingSpec {
        /// Its path.
        path: String,
        /// The parser's message.
        cause: String,
    },
    /// Every operation was skipped.
    #[error("no operation is left to import:\n{0}")]
    NothingToImport(String),
    /// The converted description fails the codegen: a gap in the import.
    #[error(
        "the converted description does not pass the codegen ({0}); this is a gap in the \
         import: report it with the document, and meanwhile choose operations with \
         --operations"
    )]
    Invalid(#[source] CodegenError),
    /// The YAML writer failed.
    #[error("could not write the description as YAML: {0}")]
    Yaml(String),
    /// The product's overlay cannot be read.
    #[error(
        "the overlay does not read as a merge patch ({0}); see spec/overlays/README.md for \
         its form"
    )]
    Overlay(String),
}

/// Who a change or problem belongs to, so that only what is kept gets counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Owner {
    Document,
    Operation(usize),
    Component(ComponentRef),
}

/// A construct the import cannot convert.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) owner: Owner,
    pub(crate) pointer: String,
    pub(crate) reason: String,
}

/// Every change and problem, with its owner.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) changes: Vec<(Owner, Change)>,
    pub(crate) problems: Vec<Problem>,
}

/// The state a conversion step runs in.
pub(crate) struct Ctx<'a> {
    owner: Owner,
    pub(crate) keep_docs: bool,
    log: &'a mut Log,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(owner: Owner, keep_docs: bool, log: &'a mut Log) -> Ctx<'a> {
        Ctx {
            owner,
            keep_docs,
            log,
        }
    }

    pub(crate) fn change(&mut self, change: Change) {
        self.log.changes.push((self.owner.clone(), change));
    }

    pub(crate) fn problem(&mut self, pointer: &str, reason: &str) {
        self.log.problems.push(Problem {
            owner: self.owner.clone(),
            pointer: pointer.to_owned(),
            reason: reason.to_owned(),
        });
    }
}

pub(crate) fn is_kebab(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Converts one of Infobip's published product documents into the checked-in form.
///
/// Deterministic: the same document and options give the same bytes.
pub fn import(document: &str, options: &ImportOptions) -> Result<Imported, ImportError> {
    if !is_kebab(&options.product) {
        return Err(ImportError::InvalidProduct(options.product.clone()));
    }
    let mut doc = doc::parse(document)?;
    let input: BTreeMap<String, BTreeSet<String>> = component_keys(&doc);
    let source_tags = doc
        .get("tags")
        .and_then(Value::as_sequence)
        .map_or(0, Vec::len);
    let renamed = names::rename_operation_ids(&mut doc);
    let ops = doc::operations(&doc);
    let existing = doc::existing(&options.existing)?;
    let overlay = options.overlay.as_deref().map(overlay::parse).transpose()?;

    let mut log = Log::default();
    let (mut hooks, mut skipped_hooks) = webhooks::take(&mut doc, &mut log);
    for rename in renamed {
        if let Some(index) = ops
            .iter()
            .position(|o| o.path == rename.path && o.method == rename.method)
        {
            let change = Change::OperationIdRenamed {
                from: rename.from,
                to: rename.to,
            };
            log.changes.push((Owner::Operation(index), change));
        }
    }
    convert::document(&mut doc, &ops, options.keep_docs, &mut log);
    discriminator::convert(&mut doc, options.keep_docs, &mut log);
    allof::flatten_overrides(&mut doc, &mut log);
    errors::drop_bodiless(&mut doc, &ops, &mut log);
    errors::unify(&mut doc, &ops, &mut log);
    let before_merge = doc.clone();
    let sent = sent_schemas(&doc, &ops);
    let merged = names::merge_copies(&mut doc, &sent);
    for hook in &mut hooks {
        while let Some(into) = merged.into.get(&hook.payload) {
            hook.payload.clone_from(into);
        }
    }

    let mut decisions = select(&doc, &ops, options, &existing, &log)?;
    loop {
        let kept: BTreeSet<usize> = (0..ops.len()).filter(|i| decisions[*i].is_none()).collect();
        if kept.is_empty() {
            return Err(ImportError::NothingToImport(summary(&ops, &decisions)));
        }
        let built = emit::build(&doc, &ops, &kept, &hooks, options, overlay.as_ref())?;
        let failure = match verify(&options.product, &built.yaml) {
            Ok(types) => {
                let counts = Counts {
                    input: &input,
                    merged: &merged,
                    before_merge: &before_merge,
                    source_tags,
                };
                let mut report = report(
                    options, &doc, &ops, &decisions, &built, &log, &counts, types,
                );
                report.webhooks = hooks.iter().map(|hook| hook.name.clone()).collect();
                report.skipped_webhooks = skipped_hooks;
                return Ok(Imported {
                    yaml: built.yaml,
                    report,
                });
            }
            Err(failure) => failure,
        };
        if let Some(refused) = refused_hooks(&doc, &ops, &kept, &hooks, options)? {
            hooks.retain(|hook| !refused.iter().any(|r| r.name == hook.name));
            skipped_hooks.extend(refused);
            continue;
        }
        let blamed = blame(&doc, &ops, &kept, options, failure)?;
        for (index, reason) in blamed {
            decisions[index] = Some(SkipReason::Unconvertible {
                pointer: ops[index].pointer(),
                reason,
            });
        }
    }
}

/// When the kept operations pass without the webhooks, the webhooks that fail beside them,
/// each tried alone; `None` when the failure is the operations' (or there are no webhooks).
fn refused_hooks(
    doc: &Value,
    ops: &[Op],
    kept: &BTreeSet<usize>,
    hooks: &[webhooks::Hook],
    options: &ImportOptions,
) -> Result<Option<Vec<SkippedWebhook>>, ImportError> {
    if hooks.is_empty() {
        return Ok(None);
    }
    let without = emit::build(doc, ops, kept, &[], options, None)?;
    if verify(&options.product, &without.yaml).is_err() {
        return Ok(None);
    }
    let mut refused = Vec::new();
    for hook in hooks {
        let alone = emit::build(doc, ops, kept, std::slice::from_ref(hook), options, None)?;
        let reason = match verify(&options.product, &alone.yaml) {
            Ok(_) => continue,
            Err(Failure::Violations(v)) => {
                v.first().map(|v| v.rule.to_string()).unwrap_or_default()
            }
            Err(Failure::Other(e)) => e.to_string(),
        };
        refused.push(SkippedWebhook {
            name: hook.name.clone(),
            reason: format!("its payload does not generate: {reason}"),
        });
    }
    Ok(Some(refused))
}

/// The schemas that request bodies and parameters reach, in any operation.
fn sent_schemas(doc: &Value, ops: &[Op]) -> BTreeSet<String> {
    let sent: Vec<&Value> = ops
        .iter()
        .filter_map(|op| op.get(doc))
        .flat_map(|op| [op.get("requestBody"), op.get("parameters")])
        .flatten()
        .collect();
    let (reached, _) = doc::reach(doc, &sent);
    reached
        .into_iter()
        .filter(|r| r.kind == "schemas")
        .map(|r| r.name)
        .collect()
}

fn component_keys(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let Some(components) = doc.get("components").and_then(Value::as_mapping) else {
        return BTreeMap::new();
    };
    components
        .iter()
        .filter_map(|(kind, entries)| {
            Some((
                kind.as_str()?.to_owned(),
                doc::keys(entries).into_iter().collect(),
            ))
        })
        .collect()
}

/// Which operations to keep: `None` keeps, `Some(reason)` skips.
fn select(
    doc: &Value,
    ops: &[Op],
    options: &ImportOptions,
    existing: &doc::Existing,
    log: &Log,
) -> Result<Vec<Option<SkipReason>>, ImportError> {
    let elsewhere = |op: &Op| -> Option<SkipReason> {
        if let Some(file) = op.id.as_ref().and_then(|id| existing.ids.get(id)) {
            return Some(SkipReason::DescribedElsewhere {
                file: file.clone(),
                matched: format!("operationId {}", op.name()),
            });
        }
        let route = doc::route(&op.method, &op.path);
        existing
            .routes
            .get(&route)
            .map(|file| SkipReason::DescribedElsewhere {
                file: file.clone(),
                matched: format!("{} {}", op.method.to_uppercase(), op.path),
            })
    };
    let unconvertible = |index: usize| {
        check::operation(doc, &ops[index], index, log).map(|p| SkipReason::Unconvertible {
            pointer: p.pointer,
            reason: p.reason,
        })
    };
    let Some(named) = &options.operations else {
        return Ok((0..ops.len())
            .map(|i| elsewhere(&ops[i]).or_else(|| unconvertible(i)))
            .collect());
    };
    let unknown: Vec<String> = named
        .iter()
        .filter(|n| !ops.iter().any(|o| o.id.as_deref() == Some(n.as_str())))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(ImportError::UnknownOperations {
            unknown,
            available: ops.iter().filter_map(|o| o.id.clone()).collect(),
        });
    }
    let mut decisions = Vec::with_capacity(ops.len());
    let mut refused = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let wanted = op.id.as_ref().is_some_and(|id| named.contains(id));
        if !wanted {
            decisions.push(Some(SkipReason::NotSelected));
            continue;
        }
        if let Some(SkipReason::DescribedElsewhere { file, matched }) = elsewhere(op) {
            return Err(ImportError::DescribedElsewhere {
                operation: op.name(),
                file,
                matched,
            });
        }
        if let Some(SkipReason::Unconvertible { pointer, reason }) = unconvertible(i) {
            refused.push(Refused {
                operation: op.name(),
                pointer,
                reason,
            });
        }
        decisions.push(None);
    }
    if refused.is_empty() {
        Ok(decisions)
    } else {
        Err(ImportError::Unconvertible(refused))
    }
}

fn summary(ops: &[Op], decisions: &[Option<SkipReason>]) -> String {
    ops.iter()
        .zip(decisions)
        .filter_map(|(op, d)| d.as_ref().map(|d| format!("  - {}: {d}", op.to_ref())))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why the codegen refused a written description.
enum Failure {
    /// Rules broken by named operations.
    Violations(Vec<Violation>),
    /// Anything else (progenitor's errors name no operation).
    Other(CodegenError),
}

/// Checks the written description the way `cargo xtask regen` will; returns the number of
/// generated types.
fn verify(product: &str, yaml: &str) -> Result<usize, Failure> {
    let spec = crate::parse(yaml).map_err(Failure::Other)?;
    match crate::validate(&spec) {
        Ok(()) => {}
        Err(CodegenError::InvalidSpec(violations)) => return Err(Failure::Violations(violations)),
        Err(other) => return Err(Failure::Other(other)),
    }
    crate::render_product(product, yaml)
        .map(|output| output.types)
        .map_err(Failure::Other)
}

/// The kept operations to blame for a failure, with the reason; an error when the
/// operations were named (or nothing can be blamed).
fn blame(
    doc: &Value,
    ops: &[Op],
    kept: &BTreeSet<usize>,
    options: &ImportOptions,
    failure: Failure,
) -> Result<Vec<(usize, String)>, ImportError> {
    let named = |name: &str| -> Vec<usize> {
        kept.iter()
            .copied()
            .filter(|i| ops[*i].name() == name)
            .collect()
    };
    let blamed: Vec<(usize, String)> = match &failure {
        Failure::Violations(violations) => violations
            .iter()
            .flat_map(|v| {
                named(&v.operation)
                    .into_iter()
                    .map(|i| (i, v.rule.to_string()))
            })
            .collect(),
        // Progenitor's errors and panics name no operation: try each one alone.
        Failure::Other(e) if kept.len() == 1 && options.operations.is_none() => {
            kept.iter().map(|i| (*i, e.to_string())).collect()
        }
        Failure::Other(_) if options.operations.is_none() => kept
            .iter()
            .filter_map(|i| {
                let alone = BTreeSet::from([*i]);
                let built = emit::build(doc, ops, &alone, &[], options, None).ok()?;
                match verify(&options.product, &built.yaml) {
                    Ok(_) => None,
                    Err(Failure::Violations(v)) => Some((
                        *i,
                        v.first().map(|v| v.rule.to_string()).unwrap_or_default(),
                    )),
                    Err(Failure::Other(e)) => Some((*i, e.to_string())),
                }
            })
            .collect(),
        Failure::Other(_) => Vec::new(),
    };
    let error = || match failure {
        Failure::Violations(v) => ImportError::Invalid(CodegenError::InvalidSpec(v)),
        Failure::Other(e) => ImportError::Invalid(e),
    };
    if blamed.is_empty() {
        return Err(error());
    }
    if options.operations.is_some() {
        return Err(ImportError::Unconvertible(
            blamed
                .into_iter()
                .map(|(i, reason)| Refused {
                    operation: ops[i].name(),
                    pointer: ops[i].pointer(),
                    reason,
                })
                .collect(),
        ));
    }
    Ok(blamed)
}

/// What the counts of the report need besides the written description.
struct Counts<'a> {
    input: &'a BTreeMap<String, BTreeSet<String>>,
    merged: &'a names::Merged,
    before_merge: &'a Value,
    source_tags: usize,
}

#[allow(clippy::too_many_arguments)]
fn report(
    options: &ImportOptions,
    doc: &Value,
    ops: &[Op],
    decisions: &[Option<SkipReason>],
    built: &emit::Built,
    log: &Log,
    counts: &Counts<'_>,
    types: usize,
) -> ImportReport {
    let kept: BTreeSet<usize> = (0..ops.len()).filter(|i| decisions[*i].is_none()).collect();
    let mut changes: BTreeMap<Change, usize> = BTreeMap::new();
    let mut add = |change: Change, n: usize| {
        if n > 0 {
            *changes.entry(change).or_default() += n;
        }
    };
    for (owner, change) in &log.changes {
        let counted = match owner {
            Owner::Document => true,
            Owner::Operation(i) => kept.contains(i),
            Owner::Component(c) => built.components.contains(c),
        };
        if counted {
            add(change.clone(), 1);
        }
    }
    // Copies merged away count when the kept operations used them before the merge.
    let roots: Vec<&Value> = kept
        .iter()
        .filter_map(|i| ops[*i].get(counts.before_merge))
        .collect();
    let (used_before, _) = doc::reach(counts.before_merge, &roots);
    let used = |k: &&String| used_before.contains(&ComponentRef::schema(k));
    let merged_used = counts.merged.into.keys().filter(used).count();
    let narrower_used = counts.merged.narrower.iter().filter(used).count();
    let identical_used = counts
        .merged
        .into
        .keys()
        .filter(used)
        .filter(|k| !counts.merged.narrower.contains(*k))
        .count();
    add(Change::IdenticalSchemasMerged, identical_used);
    add(Change::NarrowerCopiesMerged, narrower_used);
    add(
        Change::HashPrefixRemoved,
        built
            .names
            .keys()
            .filter(|k| names::split_hash(k).is_some())
            .count(),
    );
    add(Change::HashSuffixAdded, built.suffixed.len());
    add(
        Change::TagDefinitionsDropped,
        counts.source_tags.saturating_sub(built.tags),
    );
    let empty = BTreeSet::new();
    for kind in [
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "examples",
    ] {
        let input = counts.input.get(kind).unwrap_or(&empty);
        let written = built
            .components
            .iter()
            .filter(|c| c.kind == kind && input.contains(&c.name))
            .count();
        let merged = if kind == "schemas" { merged_used } else { 0 };
        let dropped = input.len().saturating_sub(written + merged);
        if kind == "examples" && !options.keep_docs {
            add(
                Change::DocsDropped(String::from("components.examples")),
                dropped,
            );
        } else {
            add(Change::UnreachableDropped(kind.to_owned()), dropped);
        }
    }
    ImportReport {
        product: options.product.clone(),
        source_version: emit::source_version(doc),
        kept: kept.iter().map(|i| ops[*i].to_ref()).collect(),
        skipped: ops
            .iter()
            .zip(decisions)
            .filter_map(|(op, d)| {
                d.clone().map(|reason| SkippedOperation {
                    operation: op.to_ref(),
                    reason,
                })
            })
            .collect(),
        schemas: built
            .components
            .iter()
            .filter(|c| c.kind == "schemas")
            .count(),
        suffixed: built.suffixed.clone(),
        changes,
        types,
        webhooks: Vec::new(),
        skipped_webhooks: Vec::new(),
    }
}
