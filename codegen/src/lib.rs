//! Turns `spec/infobip-auth.yaml` into the source of the `generated-client` crate.
//!
//! Two files come out of one description:
//! - `generated.rs`, the progenitor client (builder interface, hooks that must be implemented,
//!   an inner value of type `crate::Auth` that the hand-written rim defines);
//! - `security.rs`, which progenitor does not produce: each operation with the authentication
//!   schemes it accepts, taken from the description's `security` sections.
//!
//! The description is validated before progenitor sees it (see [`validate`]), and the output
//! is a pure function of the input text, so regenerating twice gives the same bytes.
//!
//! [`import`] turns one of Infobip's published product descriptions (OpenAPI 3.1) into the
//! checked-in 3.0.3 form that [`render`] reads (`cargo xtask import`).
//!
//! ```
//! let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/infobip-auth.yaml"))?;
//! let output = codegen::render(&spec)?;
//! assert!(output.files.iter().any(|f| f.path == codegen::CLIENT_PATH));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod import;
mod security;
mod spec;
mod surface;

use std::panic::{catch_unwind, AssertUnwindSafe};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use schemars::schema::{InstanceType, SchemaObject};

pub use import::{
    import, Change, ExistingSpec, ImportError, ImportOptions, ImportReport, Imported, OperationRef,
    Refused, SkipReason, SkippedOperation, Suffixed,
};
pub use spec::{parse, validate, Rule, Violation};
pub use surface::{api_surface, security_summary};

/// Where the description lives, relative to the workspace root.
pub const SPEC_PATH: &str = "spec/infobip-auth.yaml";
/// Where the progenitor client is written, relative to the workspace root.
pub const CLIENT_PATH: &str = "generated-client/src/generated.rs";
/// Where the security table is written, relative to the workspace root.
pub const SECURITY_PATH: &str = "generated-client/src/security.rs";

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
    /// The document breaks rules that progenitor or the security table depend on.
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
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("  - {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One file that regeneration writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root.
    pub path: &'static str,
    /// The full contents, formatted.
    pub contents: String,
}

/// What [`render`] produced.
#[derive(Debug, Clone)]
pub struct Output {
    /// The files, in a fixed order.
    pub files: Vec<GeneratedFile>,
    /// Number of operations in the description.
    pub operations: usize,
    /// Number of types in the generated `types` module.
    pub types: usize,
}

/// Parses, validates and renders a description.
pub fn render(spec_text: &str) -> Result<Output, CodegenError> {
    let spec = parse(spec_text)?;
    let operations = spec::collect(&spec).map_err(CodegenError::InvalidSpec)?;

    let client = generate_client(&spec)?;
    let types = count_types(&client);
    let security = security::render(&spec, &operations);

    Ok(Output {
        operations: operations.len(),
        types,
        files: vec![
            GeneratedFile {
                path: CLIENT_PATH,
                contents: format_file(client)?,
            },
            GeneratedFile {
                path: SECURITY_PATH,
                contents: format_file(security)?,
            },
        ],
    })
}

/// The settings the generated client is built with; see the crate docs for why each is chosen.
fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // A missing hooks impl must be a compile error, not silently unauthenticated requests.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::Auth))
        // chrono rejects the offset-less times that Infobip sends; the rim's type accepts them.
        .with_conversion(
            string_schema("date-time"),
            "crate::DateTime",
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        )
        // Secrets get a type whose Debug redacts them.
        .with_conversion(
            string_schema("password"),
            "crate::Secret",
            std::iter::empty(),
        );
    settings
}

fn string_schema(format: &str) -> SchemaObject {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: Some(format.to_owned()),
        ..Default::default()
    }
}

fn generate_client(spec: &openapiv3::OpenAPI) -> Result<proc_macro2::TokenStream, CodegenError> {
    let mut generator = Generator::new(&settings());
    // Validation covers the shapes we know progenitor asserts on; this is the net for the rest.
    let result = catch_unwind(AssertUnwindSafe(|| generator.generate_tokens(spec)));
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(CodegenError::Generator(e.to_string())),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| String::from("no message"));
            Err(CodegenError::GeneratorPanicked(message))
        }
    }
}

fn count_types(client: &proc_macro2::TokenStream) -> usize {
    let Ok(file) = syn::parse2::<syn::File>(client.clone()) else {
        return 0;
    };
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
            _ => None,
        })
        .map(|(_, items)| {
            items
                .iter()
                .filter(|i| matches!(i, syn::Item::Struct(_) | syn::Item::Enum(_)))
                .count()
        })
        .unwrap_or(0)
}

const HEADER: &str = "\
// @generated by `cargo xtask regen` from spec/infobip-auth.yaml. Do not edit by hand:
// change the spec (or codegen/) and run `cargo xtask regen`.

";

fn format_file(tokens: proc_macro2::TokenStream) -> Result<String, CodegenError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    Ok(format!("{HEADER}{}", prettyplease::unparse(&file)))
}
