//! Turns the descriptions in `spec/` (one OpenAPI 3.0.x file per Infobip product) into the
//! generated modules of the `infobip-client` crate.
//!
//! For each product `P` (the file `spec/P.yaml`), regeneration writes:
//! - `generated-client/src/P/mod.rs`, the progenitor client (builder interface, hooks that must
//!   be implemented, an inner value of type `crate::Auth` that the hand-written rim defines),
//!   with the shared error bodies replaced by the rim's types;
//! - `generated-client/src/P/operations.rs`, which progenitor does not produce: each operation
//!   with the authentication schemes it accepts and the API scopes it needs, taken from the
//!   description's `security` and `x-scopes`;
//!
//! - `cli/src/generated/P.rs`, the `infobip` command line's commands for the product's
//!   operations (progenitor's CLI generator, see `cli.rs`);
//!
//! and for all of them `generated-client/src/products.rs` (one module per product, behind a
//! cargo feature of the product's name), the features sections of `generated-client/Cargo.toml`
//! and `cli/Cargo.toml`, and `cli/src/generated/mod.rs` (each product's command, behind the
//! command line's feature of the product's name).
//!
//! Every description is validated before progenitor sees it (see [`validate`]), and the output
//! is a pure function of the input texts, so regenerating twice gives the same bytes.
//!
//! [`import`] turns one of Infobip's published product descriptions (OpenAPI 3.1) into the
//! checked-in 3.0.3 form that [`render`] reads (`cargo xtask import`).
//!
//! ```
//! let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
//! let specs = codegen::read_specs(root)?;
//! let manifests = codegen::Manifests::read(root)?;
//! let output = codegen::render(&specs, &manifests)?;
//! assert!(output.files.iter().any(|f| f.path == "generated-client/src/account/mod.rs"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bodies;
mod cli;
mod client;
pub mod command_names;
mod constructors;
mod form;
mod idents;
mod import;
mod open_enums;
mod operations;
mod products;
mod reserved;
mod sandbox;
mod sends;
mod spec;
mod strings;
mod surface;
pub mod synthetic;
mod webhooks;

use std::collections::BTreeSet;
use std::path::Path;

pub use cli::{parameter_flag, secret_parameter_flag, upload_flag};
pub use import::{
    compare, import, is_imported, source_document, Change, Comparison, ExistingSpec, ImportError,
    ImportOptions, ImportReport, Imported, OperationRef, Refused, SkipReason, SkippedOperation,
    Source, Suffixed,
};
pub use sandbox::{SANDBOX_DESCRIPTIONS, SANDBOX_DOCUMENTS};
pub use spec::{parse, validate, Rule, Violation};
pub use surface::{api_surface, security_summary};

/// Where the descriptions live, relative to the workspace root: one file per product, named
/// after it (`account.yaml`, `sms.yaml`).
pub const SPEC_DIR: &str = "spec";
/// The generated crate's source directory, relative to the workspace root.
pub const CLIENT_SRC: &str = "generated-client/src";
/// The generated crate's manifest, whose features section regeneration writes.
pub const CLIENT_MANIFEST: &str = "generated-client/Cargo.toml";
/// The command line's manifest, whose features section (a feature per product) regeneration
/// writes.
pub const CLI_MANIFEST: &str = "cli/Cargo.toml";
/// Where the command line's generated commands go, relative to the workspace root: one file
/// per product and a `mod.rs`.
pub const CLI_GENERATED: &str = "cli/src/generated";

/// The fixture product: a synthetic description with every body kind codegen writes beside
/// progenitor (multipart uploads, downloads, raw request bodies, successes that differ),
/// rendered into `infobip-client` behind its `fixtures` feature on every regeneration, so
/// that the workspace's tests compile and call that code whatever `spec/` holds.
pub const FIXTURE_PRODUCT: &str = "uploads-fixture";
const FIXTURE: &str = include_str!("../fixtures/uploads.yaml");

/// Why a description could not be turned into code.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// The text is neither YAML nor JSON.
    #[error("the description is not YAML or JSON ({0}); write it as an OpenAPI 3.0.3 YAML file")]
    NotYamlOrJson(String),
    /// The document declares an OpenAPI version progenitor cannot read.
    #[error(
        "OpenAPI version {0} is not supported: progenitor reads 3.0.x only; \
         write the description as `openapi: 3.0.3`"
    )]
    UnsupportedVersion(String),
    /// The document does not fit the OpenAPI 3.0 model.
    #[error("the description is not a valid OpenAPI 3.0 document: {0}")]
    InvalidDocument(String),
    /// The document breaks rules that progenitor or the operations table depend on.
    #[error("the description breaks {} rule(s):\n{}", .0.len(), list(.0))]
    InvalidSpec(Vec<Violation>),
    /// Progenitor refused the document.
    #[error("progenitor could not generate the client: {0}")]
    Generator(String),
    /// Progenitor panicked on a shape the validation does not know about yet.
    #[error(
        "progenitor panicked ({0}); the description uses a shape it does not support: \
         add a rule for it to codegen's validation"
    )]
    GeneratorPanicked(String),
    /// The generated tokens are not valid Rust; a bug in this crate or in progenitor.
    #[error("the generated code does not parse as Rust: {0}")]
    Syntax(String),
    /// A file in `spec/` whose name cannot be a product's.
    #[error(
        "`{0}` cannot name a product: name description files in lowercase words joined by `-` \
         (like `number-lookup.yaml`), and not after a Rust keyword or a module of the client's \
         hand-written rim (datetime, errors, hooks, operation, products, secret)"
    )]
    ProductName(String),
    /// The descriptions could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A manifest whose features regeneration writes lacks the markers around that section.
    #[error(
        "{0} has no `{begin}` ... `{end}` section for the product features; restore it from git",
        begin = products::FEATURES_BEGIN,
        end = products::FEATURES_END
    )]
    ManifestMarkers(String),
    /// The description's `x-webhooks` is not what the import writes.
    #[error(
        "the description's x-webhooks cannot be generated ({0}); write each kind as \
         `<name>: {{payload: {{$ref: '#/components/schemas/<Payload>'}}}}`, as \
         `cargo xtask import` does"
    )]
    Webhooks(String),
    /// Two commands of one product would answer to the same name (an `x-cli-name` or an
    /// operationId), or one would take a hand-written command's.
    #[error(
        "the command name `{name}` belongs to {first} and to `{second}`; give `{second}` \
         another `x-cli-name` (in spec/overlays/<product>.yaml for an imported product, then \
         `cargo xtask import`), or run `cargo xtask import`, which derives free names"
    )]
    CommandNameClash {
        /// The name.
        name: String,
        /// The operationId (or hand-written command) that has it first.
        first: String,
        /// The operation that wants it too.
        second: String,
    },
    /// One product's description failed; names its file.
    #[error("{path}: {error}")]
    Product {
        /// The description's path, relative to the workspace root.
        path: String,
        /// What is wrong with it.
        error: Box<CodegenError>,
    },
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  - {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One product's description as read from `spec/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The product, from the file name: `sms` for `spec/sms.yaml`.
    pub product: String,
    /// The file, relative to the workspace root.
    pub path: String,
    /// Its text.
    pub text: String,
}

/// Reads every description (`*.yaml`, `*.yml`, `*.json`) in `root/spec/`, in file name order.
pub fn read_specs(root: &Path) -> Result<Vec<Spec>, CodegenError> {
    let dir = root.join(SPEC_DIR);
    let io = |path: &Path, e: std::io::Error| CodegenError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut specs = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
        let path = entry.map_err(|e| io(&dir, e))?.path();
        let (Some(stem), Some(extension)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if !matches!(extension, "yaml" | "yml" | "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        specs.push(Spec {
            product: stem.to_owned(),
            path: format!("{SPEC_DIR}/{stem}.{extension}"),
            text,
        });
    }
    specs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(specs)
}

/// One file that regeneration writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root.
    pub path: String,
    /// The full contents, formatted.
    pub contents: String,
}

/// What one product's description produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductOutput {
    /// The product's name (its description's file name).
    pub product: String,
    /// Its client module, operations table and command-line commands, in a fixed order.
    pub files: Vec<GeneratedFile>,
    /// Number of operations in the description.
    pub operations: usize,
    /// Number of types in the generated `types` module.
    pub types: usize,
    /// The client crate's optional dependencies that the product's code names (`uuid`,
    /// `uuid`): what its feature switches on.
    pub dependencies: Vec<String>,
}

/// What [`render`] produced.
#[derive(Debug, Clone)]
pub struct Output {
    /// Every product, in file name order.
    pub products: Vec<ProductOutput>,
    /// Every file to write: the products' files, then `products.rs`, the manifest, the
    /// command line's module list and the sandbox's copies of the descriptions.
    pub files: Vec<GeneratedFile>,
}

/// The current text of the manifests whose features section regeneration writes.
#[derive(Debug, Clone)]
pub struct Manifests {
    /// [`CLIENT_MANIFEST`].
    pub client: String,
    /// [`CLI_MANIFEST`].
    pub cli: String,
}

impl Manifests {
    /// Reads both from the workspace at `root`.
    pub fn read(root: &Path) -> Result<Self, CodegenError> {
        let read = |path: &str| {
            std::fs::read_to_string(root.join(path)).map_err(|e| CodegenError::Io {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        };
        Ok(Self {
            client: read(CLIENT_MANIFEST)?,
            cli: read(CLI_MANIFEST)?,
        })
    }
}

/// Renders every product, plus the module lists and the manifests' features sections. Only
/// the features sections of `manifests` change.
pub fn render(specs: &[Spec], manifests: &Manifests) -> Result<Output, CodegenError> {
    let mut outputs = Vec::new();
    for spec in specs {
        let output =
            render_product(&spec.product, &spec.text).map_err(|error| CodegenError::Product {
                path: spec.path.clone(),
                error: Box::new(error),
            })?;
        outputs.push(output);
    }
    let dependencies: Vec<BTreeSet<&str>> = outputs
        .iter()
        .map(|o| o.dependencies.iter().map(String::as_str).collect())
        .collect();
    let features: Vec<(&str, &BTreeSet<&str>)> = specs
        .iter()
        .map(|s| s.product.as_str())
        .zip(&dependencies)
        .collect();
    let mut files: Vec<GeneratedFile> = outputs.iter().flat_map(|o| o.files.clone()).collect();
    let fixture =
        render_product(FIXTURE_PRODUCT, FIXTURE).map_err(|error| CodegenError::Product {
            path: String::from("codegen/fixtures/uploads.yaml"),
            error: Box::new(error),
        })?;
    // Its commands too: the command line compiles them behind its `fixtures` feature, which
    // only its tests turn on, so that they run an upload command whatever `spec/` holds.
    files.extend(fixture.files);
    files.push(GeneratedFile {
        path: format!("{CLIENT_SRC}/products.rs"),
        contents: format_file(
            products::render_modules(specs, &dependencies),
            "every file in spec/",
        )?,
    });
    files.push(GeneratedFile {
        path: CLIENT_MANIFEST.to_owned(),
        contents: products::render_features(&manifests.client, &features)?,
    });
    files.push(GeneratedFile {
        path: CLI_MANIFEST.to_owned(),
        contents: cli::render_features(&manifests.cli, specs)?,
    });
    files.push(GeneratedFile {
        path: format!("{CLI_GENERATED}/mod.rs"),
        contents: format_file(cli::render_modules(specs), "every file in spec/")?,
    });
    files.extend(sandbox::render(specs)?);
    Ok(Output {
        products: outputs,
        files,
    })
}

/// Parses, validates and renders one product's description.
pub fn render_product(product: &str, spec_text: &str) -> Result<ProductOutput, CodegenError> {
    let module = products::module_name(product)?;
    let spec = parse(spec_text)?;
    let operations = spec::collect(&spec).map_err(CodegenError::InvalidSpec)?;
    // Progenitor reads the description without what codegen writes itself (`bodies.rs`).
    let mut generated = bodies::for_progenitor(&spec);
    strings::loosen(&mut generated);
    let (client, renamed_variants) = client::generate(product, &generated)?;
    let types = client::type_names(&client);
    let table = operations::render(product, &spec, &operations, &types);
    let uploads = bodies::render(&spec, &operations, &types)?;
    let client = quote::quote!(#client #uploads);
    let (commands, cli_dependencies) = cli::generate(
        product,
        &module,
        &spec,
        &operations,
        &generated,
        &renamed_variants,
    )?;
    let client_file: syn::File =
        syn::parse2(client.clone()).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    let mut dependencies = products::optional_dependencies(&client_file);
    dependencies.extend(cli_dependencies);
    let source = format!("the `{product}` description in {SPEC_DIR}/");
    Ok(ProductOutput {
        product: product.to_owned(),
        operations: operations.len(),
        types: types.len(),
        dependencies: dependencies.into_iter().map(str::to_owned).collect(),
        files: vec![
            GeneratedFile {
                path: format!("{CLIENT_SRC}/{module}/mod.rs"),
                contents: format_file(products::render_module(product, &spec, client), &source)?,
            },
            GeneratedFile {
                path: format!("{CLIENT_SRC}/{module}/operations.rs"),
                contents: format_file(table, &source)?,
            },
            GeneratedFile {
                path: format!("{CLI_GENERATED}/{module}.rs"),
                contents: format_file(commands, &source)?,
            },
        ],
    })
}

fn format_file(tokens: proc_macro2::TokenStream, source: &str) -> Result<String, CodegenError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    Ok(format!(
        "// @generated by `cargo xtask regen` from {source}. Do not edit by hand:\n\
         // change the spec (or codegen/) and run `cargo xtask regen`.\n\n{}",
        prettyplease::unparse(&file)
    ))
}
