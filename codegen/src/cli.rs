//! The `infobip` command line's commands: one per operation of each product, from progenitor's
//! CLI generator (clap), finished where the generator stops short.
//!
//! The generator gives every operation a `clap::Command` and code that sends the request and
//! hands the answer to a `CliConfig` the command line implements. These things are changed
//! afterwards, on the syntax tree:
//! - a secret parameter (`format: password`, such as `apiKeySecret`) is never a flag, since any
//!   local user can read a command line in the process list: an optional one is read from
//!   standard input when `--<name>-stdin` is given, a required one always;
//! - an answer whose body is not JSON, which the generator leaves as `todo!()`, is written
//!   as it comes to standard output, or to the new file `--output-file` names (an error one
//!   becomes an error), so no `todo!()` is left;
//! - the enum value parsers' `.unwrap()` becomes a `try_map`, so that the generated code has
//!   no `unwrap` either;
//! - `--json-body-template`, which the generator declares (with the help text `XXX`) but never
//!   implements, is dropped;
//! - a parameter that is a list (`bulkId`, sent as one pair per value), whose flag the
//!   generator declares with a value parser clap does not have, becomes a repeatable flag;
//! - a top-level body field that is a list of scalars (`scopeGuids`), which the generator
//!   leaves to `--json-body`, gets a repeatable flag too;
//! - `--json-body` is read before the flags set their fields, so that a flag changes that
//!   field of the file's body (the generator read the file last, losing every flag);
//! - a parameter or body field whose flag would be a global option's (`--profile`,
//!   `--output`...) or one the command has of its own (`--json-body`, `--output-file`) gets
//!   `--param-<name>` instead ([`free_flag`], the one place the rename is decided), so that
//!   it never sets a global option;
//! - `--json-body` is read by the command line's `crate::api::json_body`, so that `-` is
//!   standard input and a body that does not fit is refused by field path.
//!
//! Each product's file also lists its commands' names (`COMMAND_NAMES`: the `x-cli-name` of
//! each operation, see `command_names.rs`), refusing two commands of one name.
//!
//! The generated code calls the command line's hand-written `crate::api` module for what is
//! not per operation (printing, reading a secret, the `CliConfig` implementation), as the
//! client's generated modules call its rim.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};
use openapiv3::{OpenAPI, Parameter, ReferenceOr};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;

use crate::bodies::{path_param_type, Answer};
use crate::form::{field_name, form_fields, sends_multipart, Scalar};
use crate::spec::OperationView;
use crate::{CodegenError, Spec};

/// A parameter that must not be a command-line argument.
#[derive(Debug, Clone)]
struct SecretParam {
    /// As in the description (`apiKeySecret`).
    api_name: String,
    required: bool,
}

/// The command-line file of one product: `cli/src/generated/<module>.rs`, and the client's
/// optional dependencies it names (through the client's re-export, see `products.rs`).
/// `generated` is the description progenitor reads (`bodies::for_progenitor`); `spec` and
/// `operations` the whole one, whose uploads are written here. `renamed_variants` are the
/// client's published `Other` variants renamed when its enums were opened, which the
/// commands' lists of values must name the same way.
pub(crate) fn generate(
    product: &str,
    module: &str,
    spec: &OpenAPI,
    operations: &[OperationView<'_>],
    generated: &OpenAPI,
    renamed_variants: &BTreeMap<String, String>,
) -> Result<(TokenStream, BTreeSet<&'static str>), CodegenError> {
    let names = command_names(product, operations)?;
    let uploads = render_uploads(spec, operations)?;
    let arrays = array_fields(generated);
    let downloads: BTreeSet<String> = operations
        .iter()
        .filter(|op| crate::bodies::answer(spec, op.operation) == Answer::Stream)
        .map(|op| op.operation_id.to_snake_case())
        .collect();
    let mut spec = generated.clone();
    let secrets = take_secret_params(&mut spec);
    let mut generator = progenitor::Generator::new(&crate::client::settings("::infobip_client"));
    let crate_path = format!("::infobip_client::{module}");
    let result = catch_unwind(AssertUnwindSafe(|| generator.cli(&spec, &crate_path)));
    let tokens = match result {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(CodegenError::Generator(e.to_string())),
        Err(panic) => return Err(CodegenError::GeneratorPanicked(panic_message(&*panic))),
    };
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    FinishCli {
        secrets: &secrets,
        arrays: &arrays,
        downloads: &downloads,
    }
    .visit_file_mut(&mut file);
    JsonBodyThroughRim.visit_file_mut(&mut file);
    crate::open_enums::rename_published_other(&mut file, renamed_variants);
    let dependencies = crate::products::optional_dependencies(&file);
    ThroughClient.visit_file_mut(&mut file);
    UntypedErrors.visit_file_mut(&mut file);
    let doc = format!(
        " The `{product}` product's commands (`infobip {product} <operation>`), one per \
         operation of its description."
    );
    let tokens = quote! {
        #![doc = #doc]
        #![allow(
            missing_docs,
            unused_imports,
            unused_mut,
            unused_variables,
            dead_code,
            // A deprecated operation still gets its command.
            deprecated,
            clippy::all,
            clippy::pedantic,
            rustdoc::all
        )]

        #file
        #uploads
        #names
    };
    Ok((tokens, dependencies))
}

/// `--json-body` read by the rim's `crate::api::json_body` instead of the generator's
/// `std::fs::read_to_string` and `serde_json::from_str`: `-` is standard input, and a body
/// that does not fit is reported by the path of the field at fault, not by line and column.
struct JsonBodyThroughRim;

/// The generator's help of `--json-body`.
const JSON_BODY_HELP: &str = "Path to a file that contains the full json body.";

impl VisitMut for JsonBodyThroughRim {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        syn::visit_mut::visit_block_mut(self, block);
        let Some(body_type) = block.stmts.iter().find_map(parsed_body_type) else {
            return;
        };
        block
            .stmts
            .retain(|stmt| local_name(stmt).as_deref() != Some("body_txt"));
        for stmt in &mut block.stmts {
            if local_name(stmt).as_deref() == Some("body_value") {
                *stmt = syn::parse_quote!(
                    let body_value = crate::api::json_body::<#body_type>(value)?;
                );
            }
        }
    }

    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        if lit.value() == JSON_BODY_HELP {
            *lit = syn::LitStr::new(
                "The whole JSON body: the path of a file, or `-` for standard input",
                lit.span(),
            );
        }
    }
}

/// The name a `let` statement binds, if it binds one name.
fn local_name(stmt: &syn::Stmt) -> Option<String> {
    let syn::Stmt::Local(local) = stmt else {
        return None;
    };
    match &local.pat {
        syn::Pat::Ident(ident) => Some(ident.ident.to_string()),
        _ => None,
    }
}

/// `T` of the generator's `let body_value = serde_json::from_str::<T>(&body_txt)...?;`.
fn parsed_body_type(stmt: &syn::Stmt) -> Option<syn::Type> {
    if local_name(stmt).as_deref() != Some("body_value") {
        return None;
    }
    let syn::Stmt::Local(local) = stmt else {
        return None;
    };
    let mut found = None;
    let mut finder = FromStrType { found: &mut found };
    syn::visit::Visit::visit_expr(&mut finder, &local.init.as_ref()?.expr);
    found
}

/// Finds the `T` of `serde_json::from_str::<T>`.
struct FromStrType<'a> {
    found: &'a mut Option<syn::Type>,
}

impl<'ast> syn::visit::Visit<'ast> for FromStrType<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if names == ["serde_json", "from_str"] {
            if let Some(syn::PathArguments::AngleBracketed(arguments)) =
                path.segments.last().map(|s| &s.arguments)
            {
                if let Some(syn::GenericArgument::Type(ty)) = arguments.args.first() {
                    *self.found = Some(ty.clone());
                }
            }
        }
        syn::visit::visit_path(self, path);
    }
}

/// `COMMAND_NAMES`: each operation's command name (`x-cli-name`, else its operationId), by
/// operationId; an error naming both when two commands of the product would answer to one
/// name, or one to a hand-written command's (see `command_names.rs`).
fn command_names(
    product: &str,
    operations: &[OperationView<'_>],
) -> Result<TokenStream, CodegenError> {
    let named: Vec<(&str, Option<&str>)> = operations
        .iter()
        .map(|op| {
            let name = op
                .operation
                .extensions
                .get(crate::command_names::NAME_KEY)
                .and_then(serde_json::Value::as_str);
            (op.operation_id, name)
        })
        .collect();
    crate::command_names::check(product, &named).map_err(|clash| {
        CodegenError::CommandNameClash {
            name: clash.name,
            first: clash.first,
            second: clash.second,
        }
    })?;
    let entries = named.iter().map(|(id, name)| {
        let name = name.unwrap_or(id);
        quote!((#id, #name))
    });
    Ok(quote! {
        /// Each operation's command name, by operationId (which stays an alias of it).
        pub const COMMAND_NAMES: &[(&str, &str)] = &[#(#entries),*];
    })
}

/// `CliConfig`'s two error methods take the rim's `Error`, which every `send` returns and which
/// has no body type: progenitor's `fn error<T>(&self, value: &Error<T>) where T: ..` loses its
/// type parameter.
struct UntypedErrors;

impl VisitMut for UntypedErrors {
    fn visit_trait_item_fn_mut(&mut self, function: &mut syn::TraitItemFn) {
        let name = function.sig.ident.to_string();
        if name == "error" || name == "list_end_error" {
            function.sig.generics = syn::Generics::default();
            function.sig.inputs = syn::parse_quote!(&self, value: &Error);
        }
    }
}

/// Points `::uuid::Uuid` (any of the client's optional dependencies) at the client's
/// re-export, `::infobip_client::uuid::Uuid`: the command line then needs no dependency of its
/// own, and the product's feature is what brings the crate in.
struct ThroughClient;

impl VisitMut for ThroughClient {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let optional = path.leading_colon.is_some()
            && path.segments.first().is_some_and(|first| {
                crate::products::OPTIONAL_DEPENDENCIES
                    .iter()
                    .any(|d| first.ident == *d)
            });
        if optional {
            path.segments.insert(
                0,
                syn::PathSegment::from(Ident::new("infobip_client", Span::call_site())),
            );
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    /// The generator names parameter types inside `clap::value_parser!(..)`, whose tokens a
    /// syntax-tree visitor does not enter: such a macro's type is rewritten the same way.
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "value_parser")
        {
            if let Ok(mut ty) = syn::parse2::<syn::Type>(mac.tokens.clone()) {
                self.visit_type_mut(&mut ty);
                mac.tokens = quote::ToTokens::to_token_stream(&ty);
            }
        }
        syn::visit_mut::visit_macro_mut(self, mac);
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| String::from("no message"))
}

/// The products whose commands the command line always has: its hand-written commands
/// (`login`, `whoami`, `api-key`, `sms send`) use their types, and `account balance` beside
/// `whoami` is what a user expects of any build. Every other product's commands come with the
/// command line's feature of the product's name.
pub(crate) const ALWAYS_BUILT: [&str; 2] = ["account", "sms"];

/// `cli/src/generated/mod.rs`: the product modules, each product's command, and how to run
/// one of its operations, each product behind the command line's feature of its name (but
/// [`ALWAYS_BUILT`]). The fixture product's module is there too, behind the command line's
/// `fixtures` feature (its tests only).
pub(crate) fn render_modules(specs: &[Spec]) -> TokenStream {
    let mut modules: Vec<Ident> = specs
        .iter()
        .map(|spec| Ident::new(&spec.product.to_snake_case(), Span::call_site()))
        .collect();
    let mut names: Vec<&str> = specs.iter().map(|spec| spec.product.as_str()).collect();
    let mut gates: Vec<TokenStream> = names
        .iter()
        .map(|&product| {
            if ALWAYS_BUILT.contains(&product) {
                TokenStream::new()
            } else {
                quote!(#[cfg(feature = #product)])
            }
        })
        .collect();
    modules.push(Ident::new(
        &crate::FIXTURE_PRODUCT.to_snake_case(),
        Span::call_site(),
    ));
    names.push(crate::FIXTURE_PRODUCT);
    gates.push(quote!(#[cfg(feature = "fixtures")]));
    // Not an Infobip product: out of `infobip --help`, so the help reads the same with the
    // tests' build.
    let catalogue: Vec<&str> = specs.iter().map(|spec| spec.product.as_str()).collect();
    let mut hidden: Vec<TokenStream> = specs.iter().map(|_| TokenStream::new()).collect();
    hidden.push(quote!(.hide(true)));
    quote! {
        //! Every product's commands, generated from `spec/` by `cargo xtask regen`.

        use ::infobip_client::Connection as _;

        #(
            #gates
            #[rustfmt::skip]
            pub mod #modules;
        )*

        /// Every product with commands, and its operations table.
        pub fn products() -> ::std::vec::Vec<(&'static str, &'static [&'static ::infobip_client::Operation])> {
            ::std::vec![
                #(
                    #gates
                    (#names, ::infobip_client::#modules::operations::ALL),
                )*
            ]
        }

        /// One command per product, named after it, with a subcommand per operation (the
        /// uploads' after the others).
        pub fn commands() -> ::std::vec::Vec<::clap::Command> {
            ::std::vec![
                #(
                    #gates
                    crate::api::product_command(
                        #names,
                        #modules::COMMAND_NAMES,
                        #modules::CliCommand::iter()
                            .map(|operation| {
                                (
                                    operation.operation_id(),
                                    #modules::Cli::<crate::api::Printer>::get_command(operation),
                                )
                            })
                            .chain(#modules::upload_commands()),
                    )
                    #hidden,
                )*
            ]
        }

        /// Every product of the catalogue, whether this build has its commands or not (each
        /// is a feature), so that a product left out is named as such.
        pub const CATALOGUE: &[&str] = &[#(#catalogue),*];

        /// Each product's command names, by operationId.
        pub fn command_names() -> ::std::vec::Vec<(&'static str, &'static [(&'static str, &'static str)])> {
            ::std::vec![
                #(
                    #gates
                    (#names, #modules::COMMAND_NAMES),
                )*
            ]
        }

        /// Runs the operation `operation` (its operationId) of `product`; `None` if there is
        /// no such operation.
        pub async fn execute(
            infobip: &::infobip_auth::Infobip,
            printer: crate::api::Printer,
            product: &str,
            operation: &str,
            matches: &::clap::ArgMatches,
        ) -> ::std::option::Option<::anyhow::Result<()>> {
            match product {
                #(
                    #gates
                    #names => {
                        let client: ::infobip_client::#modules::Client = infobip.product();
                        match #modules::CliCommand::iter()
                            .find(|op| crate::api::same_operation(op.operation_id(), operation))
                        {
                            ::std::option::Option::Some(found) => ::std::option::Option::Some(
                                #modules::Cli::new(client, printer).execute(found, matches).await,
                            ),
                            ::std::option::Option::None => {
                                #modules::execute_upload(&client, &printer, operation, matches).await
                            }
                        }
                    }
                )*
                _ => ::std::option::Option::None,
            }
        }

        #(
            #gates
            crate::api::impl_cli_config!(#modules);
        )*
    }
}

/// The command line's manifest with its generated features section rewritten: `full` (the
/// default) with every product, and a feature per product that enables the client's. The
/// [`ALWAYS_BUILT`] products have one too, which adds nothing, so that a list of features
/// written for the client works for the command line.
pub(crate) fn render_features(manifest: &str, specs: &[Spec]) -> Result<String, CodegenError> {
    let features = specs.iter().map(|spec| {
        let product = spec.product.as_str();
        let enables = if ALWAYS_BUILT.contains(&product) {
            Vec::new()
        } else {
            vec![format!("infobip-client/{product}")]
        };
        (product, enables)
    });
    let section = crate::products::features_section(
        "Every product's commands: what `cargo install` builds. A smaller build, for a smaller\n\
         binary and less memory to compile it: `--no-default-features --features sms,whatsapp`.",
        features,
    );
    crate::products::replace_features(manifest, crate::CLI_MANIFEST, &section)
}

/// Removes every secret parameter from the operations (so that the generator makes no flag of
/// it), and returns them by the client method name of their operation.
fn take_secret_params(spec: &mut OpenAPI) -> BTreeMap<String, Vec<SecretParam>> {
    let components = spec.components.clone();
    let mut secrets = BTreeMap::new();
    for (_, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        // Parameters declared on the path item apply to each of its operations.
        let shared: Vec<SecretParam> = item
            .parameters
            .iter()
            .filter_map(|p| secret(p, components.as_ref()))
            .collect();
        item.parameters
            .retain(|p| secret(p, components.as_ref()).is_none());
        for operation in crate::spec::operations_mut(item) {
            let Some(id) = operation.operation_id.clone() else {
                continue;
            };
            let mut found = shared.clone();
            found.extend(
                operation
                    .parameters
                    .iter()
                    .filter_map(|p| secret(p, components.as_ref())),
            );
            operation
                .parameters
                .retain(|p| secret(p, components.as_ref()).is_none());
            if !found.is_empty() {
                secrets.insert(id.to_snake_case(), found);
            }
        }
    }
    secrets
}

/// The parameter, if its value is a secret (`format: password`).
fn secret(
    parameter: &ReferenceOr<Parameter>,
    components: Option<&openapiv3::Components>,
) -> Option<SecretParam> {
    let parameter = match parameter {
        ReferenceOr::Item(p) => p.clone(),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            components?.parameters.get(name)?.as_item()?.clone()
        }
    };
    let data = parameter.parameter_data_ref();
    let openapiv3::ParameterSchemaOrContent::Schema(schema) = &data.format else {
        return None;
    };
    let schema = match schema {
        ReferenceOr::Item(schema) => schema.clone(),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            components?.schemas.get(name)?.as_item()?.clone()
        }
    };
    let openapiv3::SchemaKind::Type(openapiv3::Type::String(string)) = &schema.schema_kind else {
        return None;
    };
    let is_password = matches!(
        &string.format,
        openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Password)
    );
    is_password.then(|| SecretParam {
        api_name: data.name.clone(),
        required: data.required,
    })
}

/// The flag that reads an optional secret parameter from standard input.
fn stdin_flag(param: &SecretParam) -> String {
    secret_parameter_flag(&param.api_name)
}

/// The flag of an upload command's path parameter or form field, as the description names
/// it (`folderId` as `folder-id`; a secret field's is [`secret_parameter_flag`]'s form).
pub fn upload_flag(name: &str) -> String {
    free_flag(&name.to_kebab_case())
}

/// The flag that has a command read the optional secret parameter `name` (as the description
/// names it, `format: password`) from standard input: `apiKeySecret` as
/// `api-key-secret-stdin`. A required one is always read from there, without a flag.
pub fn secret_parameter_flag(name: &str) -> String {
    format!("{}-stdin", name.to_kebab_case())
}

/// The changes to the generator's output listed in the module documentation.
struct FinishCli<'a> {
    /// By client method name.
    secrets: &'a BTreeMap<String, Vec<SecretParam>>,
    /// The top-level array fields of each operation's JSON body, by client method name.
    arrays: &'a BTreeMap<String, ArrayFields>,
    /// The client method names of the operations whose answer is not JSON.
    downloads: &'a BTreeSet<String>,
}

impl VisitMut for FinishCli<'_> {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        let name = function.sig.ident.to_string();
        let method = name
            .strip_prefix("cli_")
            .or_else(|| name.strip_prefix("execute_"));
        if method.is_some() {
            // Before codegen's own flags are added: those are never renamed.
            FreeFlags.visit_impl_item_fn_mut(function);
        }
        if let Some(method) = name.strip_prefix("cli_") {
            if let Some(params) = self.secrets.get(method) {
                add_stdin_flags(function, params);
            }
            if let Some(arrays) = self.arrays.get(method) {
                add_array_flags(function, &arrays.fields);
                if arrays.json_body_optional {
                    OptionalJsonBody.visit_impl_item_fn_mut(function);
                }
            }
            if self.downloads.contains(method) {
                add_output_file_flag(function);
            }
        }
        if let Some(method) = name.strip_prefix("execute_") {
            json_body_first(function);
            if let Some(arrays) = self.arrays.get(method) {
                set_array_fields(function, &arrays.fields);
            }
            if let Some(params) = self.secrets.get(method) {
                read_secrets(function, params);
            }
        }
        syn::visit_mut::visit_impl_item_fn_mut(self, function);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let Some(replacement) = without_template_arg(expr)
            .or_else(|| fallible_enum_parser(expr))
            .or_else(|| raw_answer(expr))
            .or_else(|| repeatable_flag(expr))
            .or_else(|| repeated_values(expr))
        {
            *expr = replacement;
        }
    }
}

/// `cli_<op>`: the `--<name>-stdin` flag of each optional secret parameter, and a note for
/// required ones.
fn add_stdin_flags(function: &mut syn::ImplItemFn, params: &[SecretParam]) {
    let Some(syn::Stmt::Expr(command, None)) = function.block.stmts.last_mut() else {
        return;
    };
    let mut extended = command.clone();
    for param in params {
        let api_name = &param.api_name;
        if param.required {
            let note = format!(
                "`{api_name}` is a secret: it is read from standard input (a command-line \
                 argument would show it to every local user)."
            );
            extended = syn::parse_quote!(#extended.after_help(#note));
        } else {
            let flag = stdin_flag(param);
            let help = format!(
                "Read `{api_name}` from standard input (its first line). It is a secret, so \
                 it is never a command-line argument: those are visible to every local user"
            );
            extended = syn::parse_quote! {
                #extended.arg(
                    ::clap::Arg::new(#flag)
                        .long(#flag)
                        .action(::clap::ArgAction::SetTrue)
                        .help(#help)
                )
            };
        }
    }
    *command = extended;
}

/// `execute_<op>`: each secret parameter read from standard input, right after the request
/// is made.
fn read_secrets(function: &mut syn::ImplItemFn, params: &[SecretParam]) {
    let Some(at) = function
        .block
        .stmts
        .iter()
        .position(|stmt| matches!(stmt, syn::Stmt::Local(local) if quote!(#local).to_string().starts_with("let mut request")))
    else {
        return;
    };
    for param in params.iter().rev() {
        let api_name = &param.api_name;
        let setter = Ident::new(&api_name.to_snake_case(), Span::call_site());
        let read = quote!(request = request.#setter(crate::api::read_secret(#api_name)?););
        let stmt: syn::Stmt = if param.required {
            syn::parse_quote!({ #read })
        } else {
            let flag = stdin_flag(param);
            syn::parse_quote!(if matches.get_flag(#flag) { #read })
        };
        function.block.stmts.insert(at + 1, stmt);
    }
}

/// `x.arg(Arg::new("json-body-template")...)` becomes `x`.
fn without_template_arg(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::MethodCall(call) = expr else {
        return None;
    };
    let is_template = call.method == "arg"
        && call
            .args
            .first()
            .is_some_and(|arg| quote!(#arg).to_string().contains("\"json-body-template\""));
    is_template.then(|| (*call.receiver).clone())
}

/// `TypedValueParser::map(parser, |s| T::try_from(s).unwrap())` becomes
/// `TypedValueParser::try_map(parser, |s| T::try_from(s))`: clap reports a failure as a usage
/// error instead of a panic.
fn fallible_enum_parser(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    let syn::Expr::Path(function) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = function
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if !segments.ends_with(&[String::from("TypedValueParser"), String::from("map")]) {
        return None;
    }
    let mut args = call.args.iter();
    let (parser, syn::Expr::Closure(closure)) = (args.next()?, args.next()?) else {
        return None;
    };
    let syn::Expr::MethodCall(unwrap) = &*closure.body else {
        return None;
    };
    if unwrap.method != "unwrap" {
        return None;
    }
    let inputs = &closure.inputs;
    let conversion = &unwrap.receiver;
    Some(syn::parse_quote! {
        ::clap::builder::TypedValueParser::try_map(#parser, |#inputs| #conversion)
    })
}

/// The generator's `{ todo!() }` for an answer whose body is not JSON: in a success arm
/// (`Ok(r) => ...`) the body is written to standard output; in an error arm (every error is
/// the rim's `Error`, whatever the description declares) it fails the command as any other
/// error does.
fn raw_answer(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::Match(matched) = expr else {
        return None;
    };
    let mut matched = matched.clone();
    let mut changed = false;
    for arm in &mut matched.arms {
        if !is_todo_block(&arm.body) {
            continue;
        }
        let pattern = &arm.pat;
        let pattern = quote!(#pattern).to_string();
        arm.body = if pattern.starts_with("Ok") {
            Box::new(syn::parse_quote!({
                crate::api::print_stream(r, matches).await
            }))
        } else {
            Box::new(syn::parse_quote!({
                self.config.error(&r);
                Err(anyhow::Error::new(r))
            }))
        };
        changed = true;
    }
    changed.then_some(syn::Expr::Match(matched))
}

/// The `T` of `Vec<T>`.
fn vec_item(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(item) => Some(item),
        _ => None,
    }
}

/// `.value_parser(value_parser!(Vec<T>))` becomes
/// `.value_parser(value_parser!(T)).action(ArgAction::Append)`: the flag is given once per
/// value.
fn repeatable_flag(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::MethodCall(call) = expr else {
        return None;
    };
    if call.method != "value_parser" {
        return None;
    }
    let syn::Expr::Macro(parser) = call.args.first()? else {
        return None;
    };
    if parser
        .mac
        .path
        .segments
        .last()
        .is_none_or(|s| s.ident != "value_parser")
    {
        return None;
    }
    let ty: syn::Type = parser.mac.parse_body().ok()?;
    let item = vec_item(&ty)?;
    let receiver = &call.receiver;
    Some(syn::parse_quote! {
        #receiver
            .value_parser(::clap::value_parser!(#item))
            .action(::clap::ArgAction::Append)
    })
}

/// `matches.get_one::<Vec<T>>(name)` becomes every value of the repeated flag, collected.
fn repeated_values(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::MethodCall(call) = expr else {
        return None;
    };
    if call.method != "get_one" {
        return None;
    }
    let turbofish = call.turbofish.as_ref()?;
    let syn::GenericArgument::Type(ty) = turbofish.args.first()? else {
        return None;
    };
    let item = vec_item(ty)?;
    let receiver = &call.receiver;
    let args = &call.args;
    Some(syn::parse_quote! {
        #receiver
            .get_many::<#item>(#args)
            .map(|values| values.cloned().collect::<::std::vec::Vec<#item>>())
    })
}

fn is_todo_block(expr: &syn::Expr) -> bool {
    let text = quote!(#expr).to_string().replace(' ', "");
    matches!(text.as_str(), "{todo!()}" | "todo!()")
}

/// Flags every command has already: clap's own and the command line's global options
/// (`cli/src/commands/mod.rs`, `Global`). A parameter or body field of one of these names gets
/// its flag through [`free_flag`]: it must never set a global option (`--profile prod` would
/// switch profiles), and clap would refuse the command.
const GLOBAL_FLAGS: &[&str] = &[
    "help",
    "version",
    "profile",
    "output",
    "sandbox",
    "debug",
    "show-secrets",
];

/// Flags the generator (`--json-body`) or codegen (`--output-file`) give a command.
const OWN_FLAGS: &[&str] = &["json-body", "output-file"];

/// The prefix of a parameter's flag that would be a global or own flag.
const RENAMED_PREFIX: &str = "param-";

/// The flag of a parameter or body field (its name in kebab case): `--param-<name>` when that
/// is a global option's or one the command has of its own (`--param-profile`).
pub(crate) fn free_flag(flag: &str) -> String {
    if GLOBAL_FLAGS.contains(&flag) || OWN_FLAGS.contains(&flag) {
        format!("{RENAMED_PREFIX}{flag}")
    } else {
        flag.to_owned()
    }
}

/// The flag of a command's path, query or header parameter, as the description names it
/// (`messageId` as `message-id`, `profile` as `param-profile`): the generator kebab-cases
/// the parameter's Rust name, then a name a global option has is prefixed `param-`. An
/// upload command's flags are [`upload_flag`]s instead.
pub fn parameter_flag(name: &str) -> String {
    free_flag(&crate::idents::parameter_field(name).to_kebab_case())
}

/// Renames, inside a generated command's `cli_`/`execute_` function, every flag the generator
/// named after a parameter or body field that is a global option's (see [`free_flag`]). Its
/// `--json-body` is the generator's own and stays.
struct FreeFlags;

impl VisitMut for FreeFlags {
    fn visit_lit_str_mut(&mut self, literal: &mut syn::LitStr) {
        let value = literal.value();
        if value != "json-body" && free_flag(&value) != value {
            *literal = syn::LitStr::new(&free_flag(&value), literal.span());
        }
    }

    /// `value_parser!(..)` and other macros hold no flag name.
    fn visit_macro_mut(&mut self, _: &mut syn::Macro) {}
}

/// A top-level field of a JSON body that is a list of scalars (`scopeGuids`): a repeatable
/// flag, as a scalar field is a flag.
#[derive(Debug, Clone)]
struct ArrayField {
    /// As in the description (`scopeGuids`).
    api_name: String,
    /// The flag (`scope-guids`).
    flag: String,
    /// The item's Rust type, as the client's builder takes it.
    item: TokenStream,
    required: bool,
}

/// The array fields of each operation's JSON body, by client method name. Only items whose
/// Rust type is certain are taken (plain strings, integers without bounds, numbers,
/// booleans): a constrained string or a bounded integer becomes a type of its own in the
/// client, and the rest stays with `--json-body`.
fn array_fields(spec: &OpenAPI) -> BTreeMap<String, ArrayFields> {
    use openapiv3::{SchemaKind, Type, VariantOrUnknownOrEmpty as F};
    let mut found = BTreeMap::new();
    let operations = spec
        .paths
        .paths
        .values()
        .filter_map(ReferenceOr::as_item)
        .flat_map(|item| item.iter().map(|(_, operation)| operation));
    for operation in operations {
        let Some(id) = operation.operation_id.as_deref() else {
            continue;
        };
        let Some(body) = operation.request_body.as_ref().and_then(|b| match b {
            ReferenceOr::Item(body) => Some(body),
            ReferenceOr::Reference { reference } => spec
                .components
                .as_ref()?
                .request_bodies
                .get(reference.strip_prefix("#/components/requestBodies/")?)?
                .as_item(),
        }) else {
            continue;
        };
        let Some(schema) = body
            .content
            .get("application/json")
            .and_then(|media| media.schema.as_ref())
            .and_then(|schema| crate::form::schema(spec, schema))
        else {
            continue;
        };
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
            continue;
        };
        let mut fields = Vec::new();
        for (name, property) in &object.properties {
            let Some(property) = crate::form::boxed_schema(spec, property) else {
                continue;
            };
            let SchemaKind::Type(Type::Array(array)) = &property.schema_kind else {
                continue;
            };
            let Some(items) = array
                .items
                .as_ref()
                .and_then(|items| crate::form::boxed_schema(spec, items))
            else {
                continue;
            };
            let item = match &items.schema_kind {
                SchemaKind::Type(Type::String(string))
                    if matches!(string.format, F::Empty)
                        && string.enumeration.is_empty()
                        && string.pattern.is_none()
                        && string.min_length.is_none()
                        && string.max_length.is_none() =>
                {
                    quote!(::std::string::String)
                }
                SchemaKind::Type(Type::Integer(integer))
                    if integer.minimum.is_none()
                        && integer.maximum.is_none()
                        && integer.enumeration.is_empty() =>
                {
                    match &integer.format {
                        F::Item(openapiv3::IntegerFormat::Int32) => quote!(i32),
                        _ => quote!(i64),
                    }
                }
                SchemaKind::Type(Type::Number(number))
                    if !matches!(number.format, F::Item(openapiv3::NumberFormat::Float))
                        && number.minimum.is_none()
                        && number.maximum.is_none() =>
                {
                    quote!(f64)
                }
                SchemaKind::Type(Type::Boolean(_)) => quote!(bool),
                _ => continue,
            };
            fields.push(ArrayField {
                api_name: name.clone(),
                flag: free_flag(&words_kebab(name)),
                item,
                required: object.required.contains(name),
            });
        }
        if fields.is_empty() {
            continue;
        }
        // The generator makes `--json-body` required when a required field has no flag; once
        // the lists have theirs, the flags alone may make the body.
        let flagged = |name: &String| {
            fields.iter().any(|f| &f.api_name == name)
                || object
                    .properties
                    .get(name)
                    .and_then(|p| crate::form::boxed_schema(spec, p))
                    .is_some_and(|p| {
                        matches!(
                            p.schema_kind,
                            SchemaKind::Type(
                                Type::String(_)
                                    | Type::Integer(_)
                                    | Type::Number(_)
                                    | Type::Boolean(_)
                            )
                        )
                    })
        };
        let json_body_optional = object.required.iter().all(flagged);
        found.insert(
            id.to_snake_case(),
            ArrayFields {
                fields,
                json_body_optional,
            },
        );
    }
    found
}

/// The array fields of one operation's body.
#[derive(Debug, Clone)]
struct ArrayFields {
    fields: Vec<ArrayField>,
    /// Whether every required field of the body has a flag once the lists have theirs.
    json_body_optional: bool,
}

/// `Arg::new("json-body")...required(true)` becomes `...required(false)`.
struct OptionalJsonBody;

impl VisitMut for OptionalJsonBody {
    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, call);
        let receiver = &call.receiver;
        if call.method == "required"
            && quote!(#receiver)
                .to_string()
                .contains("Arg :: new (\"json-body\")")
        {
            call.args = syn::parse_quote!(false);
        }
    }
}

/// `allowedIPs` as `allowed-ips`: a run of capitals is one word (heck's kebab case would give
/// `allowed-i-ps`).
fn words_kebab(name: &str) -> String {
    let mut flag = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            flag.push('-');
        }
        if c == '_' {
            flag.push('-');
        } else {
            flag.push(c.to_ascii_lowercase());
        }
        previous = Some(c);
    }
    flag
}

/// The flag names a `cli_<op>` function declares already.
fn declared_flags(function: &syn::ImplItemFn) -> BTreeSet<String> {
    let text = quote!(#function).to_string();
    text.split("Arg :: new (")
        .skip(1)
        .filter_map(|rest| rest.split('"').nth(1))
        .map(str::to_owned)
        .collect()
}

/// `cli_<op>`: a repeatable flag for each array field, unless a parameter has its name.
fn add_array_flags(function: &mut syn::ImplItemFn, fields: &[ArrayField]) {
    let declared = declared_flags(function);
    let Some(syn::Stmt::Expr(command, None)) = function.block.stmts.last_mut() else {
        return;
    };
    let mut extended = command.clone();
    for field in fields.iter().filter(|f| !declared.contains(&f.flag)) {
        let ArrayField {
            api_name,
            flag,
            item,
            required,
        } = field;
        let help = format!(
            "The body field `{api_name}`, a list: repeat the flag for each value (given with \
             --json-body, it replaces the file's list)"
        );
        let required = if *required {
            quote!(.required_unless_present("json-body"))
        } else {
            quote!(.required(false))
        };
        extended = syn::parse_quote! {
            #extended.arg(
                ::clap::Arg::new(#flag)
                    .long(#flag)
                    .value_parser(::clap::value_parser!(#item))
                    .action(::clap::ArgAction::Append)
                    #required
                    .help(#help)
            )
        };
    }
    *command = extended;
}

/// `execute_<op>`: each array flag given sets its field, after `--json-body` (see
/// [`json_body_first`]).
fn set_array_fields(function: &mut syn::ImplItemFn, fields: &[ArrayField]) {
    let Some(at) = function.block.stmts.iter().position(|stmt| {
        matches!(stmt, syn::Stmt::Expr(..)) && quote!(#stmt).to_string().contains("\"json-body\"")
    }) else {
        return;
    };
    for field in fields.iter().rev() {
        let ArrayField {
            api_name,
            flag,
            item,
            ..
        } = field;
        let setter = Ident::new(&crate::form::field_name(api_name), Span::call_site());
        let stmt: syn::Stmt = syn::parse_quote! {
            if let Some(values) = matches.get_many::<#item>(#flag) {
                let values: ::std::vec::Vec<#item> = values.cloned().collect();
                request = request.body_map(|body| body.#setter(values));
            }
        };
        function.block.stmts.insert(at + 1, stmt);
    }
}

/// `execute_<op>`: the body of `--json-body` is read before the flags set their fields, so
/// that a flag given with it changes that field of the file's body instead of being lost (the
/// generator reads the file last, which replaced the whole body).
fn json_body_first(function: &mut syn::ImplItemFn) {
    let stmts = &mut function.block.stmts;
    let Some(request) = stmts.iter().position(|stmt| {
        matches!(stmt, syn::Stmt::Local(local) if quote!(#local).to_string().starts_with("let mut request"))
    }) else {
        return;
    };
    let Some(json) = stmts.iter().position(|stmt| {
        matches!(stmt, syn::Stmt::Expr(..)) && quote!(#stmt).to_string().contains("\"json-body\"")
    }) else {
        return;
    };
    if json > request {
        let stmt = stmts.remove(json);
        stmts.insert(request + 1, stmt);
    }
}

/// `cli_<op>` of an operation whose answer is not JSON: `--output-file`.
fn add_output_file_flag(function: &mut syn::ImplItemFn) {
    let Some(syn::Stmt::Expr(command, None)) = function.block.stmts.last_mut() else {
        return;
    };
    let arg = output_file_arg();
    *command = syn::parse_quote!(#command.arg(#arg));
}

/// The `--output-file` flag of a command whose answer is not JSON (`crate::api::print_stream`
/// writes it).
fn output_file_arg() -> TokenStream {
    quote! {
        ::clap::Arg::new("output-file")
            .long("output-file")
            .value_name("PATH")
            .value_parser(::clap::value_parser!(::std::path::PathBuf))
            .help("Write the answer to this new file (refused if it exists) instead of standard output")
    }
}

/// One flag of an upload command: a path parameter or a form field.
struct UploadFlag {
    /// The flag (`folder-id`), the kebab case of the description's name.
    flag: String,
    /// The description's name (`folderId`).
    api_name: String,
}

/// The commands of a product's `multipart/form-data` uploads, which progenitor's generator
/// never sees (`bodies::for_progenitor` takes them out): `upload_commands`, the commands by
/// client method name as `CliCommand::iter` gives the others, and `execute_upload`, which
/// runs one. Both exist, empty, for a product without uploads, so that `mod.rs` treats every
/// product alike.
///
/// Each path parameter and form field is a flag named after it (`--folder-id`, `--title`); a
/// file field takes a path (`FilePart::path`: streamed, named and typed after the file); a
/// list field is repeated; an object field takes JSON text; a secret field is read from
/// standard input, as a secret parameter is.
fn render_uploads(
    spec: &OpenAPI,
    operations: &[OperationView<'_>],
) -> Result<TokenStream, CodegenError> {
    let mut commands = Vec::new();
    let mut runs = Vec::new();
    let mut functions = Vec::new();
    for op in operations {
        if !sends_multipart(spec, op.operation) {
            continue;
        }
        let failed =
            |reason: String| CodegenError::Generator(format!("{}: {reason}", op.operation_id));
        let fields = form_fields(spec, op.operation)
            .map_err(|reason| failed(crate::spec::Rule::MultipartShape(reason).to_string()))?;
        let method_name = op.operation_id.to_snake_case();
        let method = Ident::new(&method_name, Span::call_site());
        let cli_fn = Ident::new(&format!("upload_cli_{method_name}"), Span::call_site());
        let execute_fn = Ident::new(&format!("upload_execute_{method_name}"), Span::call_site());
        let form = Ident::new(
            &format!("{}Form", op.operation_id.to_pascal_case()),
            Span::call_site(),
        );

        let params: Vec<(&Parameter, UploadFlag)> = op
            .operation
            .parameters
            .iter()
            .filter_map(|p| p.as_item())
            .map(|p| {
                let api_name = p.parameter_data_ref().name.clone();
                let flag = UploadFlag {
                    flag: upload_flag(&api_name),
                    api_name,
                };
                (p, flag)
            })
            .collect();
        let field_flags: Vec<UploadFlag> = fields
            .iter()
            .map(|f| UploadFlag {
                flag: if f.secret {
                    free_flag(&format!("{}-stdin", f.name.to_kebab_case()))
                } else {
                    upload_flag(&f.name)
                },
                api_name: f.name.clone(),
            })
            .collect();
        let mut seen = BTreeMap::new();
        for flag in params.iter().map(|(_, f)| f).chain(&field_flags) {
            if let Some(other) = seen.insert(flag.flag.clone(), flag.api_name.clone()) {
                return Err(failed(format!(
                    "`{other}` and `{}` would both be the flag `--{}`; give the upload commands \
                     a prefix for one of them in codegen/src/cli.rs",
                    flag.api_name, flag.flag
                )));
            }
        }

        let mut args = Vec::new();
        let mut sets = Vec::new();
        for (parameter, flag) in &params {
            let name = &flag.flag;
            let ty = path_param_type(spec, parameter);
            let setter = Ident::new(&field_name(&flag.api_name), Span::call_site());
            let help = format!("The path parameter `{}`", flag.api_name);
            args.push(quote! {
                .arg(
                    ::clap::Arg::new(#name)
                        .long(#name)
                        .value_parser(::clap::value_parser!(#ty))
                        .required(true)
                        .help(#help)
                )
            });
            sets.push(quote! {
                if let ::std::option::Option::Some(value) = matches.get_one::<#ty>(#name) {
                    request = request.#setter(::std::clone::Clone::clone(value));
                }
            });
        }
        let mut required_values = Vec::new();
        let mut optional_sets = Vec::new();
        for (field, flag) in fields.iter().zip(&field_flags) {
            let name = &flag.flag;
            let api_name = &field.name;
            let member = Ident::new(&field_name(&field.name), Span::call_site());
            if field.secret {
                // A secret part: read as a secret parameter is, never a flag.
                let read = quote!(crate::api::read_secret(#api_name)?.expose().to_owned());
                let value = if field.list {
                    quote!(::std::vec![#read])
                } else {
                    read
                };
                if field.required {
                    required_values.push(value);
                } else {
                    let help = format!(
                        "Read the part `{api_name}` from standard input (its first line). It \
                         is a secret, so it is never a command-line argument: those are \
                         visible to every local user"
                    );
                    args.push(quote! {
                        .arg(
                            ::clap::Arg::new(#name)
                                .long(#name)
                                .action(::clap::ArgAction::SetTrue)
                                .help(#help)
                        )
                    });
                    let value = if field.list {
                        value
                    } else {
                        quote!(::std::option::Option::Some(#value))
                    };
                    optional_sets.push(quote! {
                        if matches.get_flag(#name) {
                            form.#member = #value;
                        }
                    });
                }
                continue;
            }
            let (ty, value_name, what) = match field.scalar {
                Scalar::File => (
                    quote!(::std::path::PathBuf),
                    "PATH",
                    "a file's path; the file is streamed, sent under its name with a content \
                     type guessed from its extension",
                ),
                Scalar::Text => (quote!(::std::string::String), "TEXT", "text"),
                Scalar::DateTime => (
                    quote!(::infobip_client::DateTime),
                    "DATE-TIME",
                    "a date-time such as 2026-03-01T12:00:00.000+0000",
                ),
                Scalar::Int32 => (quote!(i32), "INTEGER", "an integer"),
                Scalar::Int64 => (quote!(i64), "INTEGER", "an integer"),
                Scalar::Number => (quote!(f64), "NUMBER", "a number"),
                Scalar::Boolean => (quote!(bool), "BOOLEAN", "true or false"),
                Scalar::Json => (
                    quote!(::serde_json::Value),
                    "JSON",
                    "a JSON object, as text",
                ),
            };
            let kind = if field.scalar == Scalar::File {
                "file part"
            } else {
                "part"
            };
            let repeat = if field.list {
                "; repeat the flag for each value"
            } else {
                ""
            };
            let help = format!("The {kind} `{api_name}`: {what}{repeat}");
            let action = if field.list {
                quote!(.action(::clap::ArgAction::Append))
            } else {
                quote!()
            };
            let required = field.required;
            args.push(quote! {
                .arg(
                    ::clap::Arg::new(#name)
                        .long(#name)
                        .value_name(#value_name)
                        .value_parser(::clap::value_parser!(#ty))
                        #action
                        .required(#required)
                        .help(#help)
                )
            });
            // Each value converted to what the form holds; a file is checked here, so that a
            // wrong path is a local error naming the flag, before anything is sent.
            let convert = if field.scalar == Scalar::File {
                quote!(|value| crate::api::file_part(#name, value))
            } else {
                quote!(|value| ::anyhow::Ok(::std::clone::Clone::clone(value)))
            };
            let many = quote! {
                matches
                    .get_many::<#ty>(#name)
                    .into_iter()
                    .flatten()
                    .map(#convert)
                    .collect::<::anyhow::Result<::std::vec::Vec<_>>>()?
            };
            match (field.list, field.required) {
                (true, true) => required_values.push(many),
                (true, false) => optional_sets.push(quote!(form.#member = #many;)),
                (false, true) => required_values.push(quote! {
                    matches
                        .get_one::<#ty>(#name)
                        .map(#convert)
                        .ok_or_else(|| crate::api::missing_flag(#name))??
                }),
                (false, false) => optional_sets.push(quote! {
                    form.#member = matches.get_one::<#ty>(#name).map(#convert).transpose()?;
                }),
            }
        }
        let print = match crate::bodies::answer(spec, op.operation) {
            Answer::Json => quote!(Ok(answer) => {
                printer.item(&*answer);
                Ok(())
            }),
            Answer::Empty => quote!(Ok(_) => Ok(()),),
            Answer::Stream => {
                let arg = output_file_arg();
                args.push(quote!(.arg(#arg)));
                quote!(Ok(answer) => crate::api::print_stream(answer, matches).await,)
            }
        };
        let about = format!(
            "Uploads a `multipart/form-data` form: each part is a flag (`{}` {} {})",
            op.operation_id, op.method, op.path
        );
        commands.push(quote!((#method_name, #cli_fn())));
        runs.push(quote! {
            if crate::api::same_operation(#method_name, operation) {
                return ::std::option::Option::Some(#execute_fn(client, printer, matches).await);
            }
        });
        functions.push(quote! {
            fn #cli_fn() -> ::clap::Command {
                ::clap::Command::new("")
                    .about(#about)
                    #(#args)*
            }

            async fn #execute_fn(
                client: &Client,
                printer: &crate::api::Printer,
                matches: &::clap::ArgMatches,
            ) -> ::anyhow::Result<()> {
                let mut form = multipart::#form::new(#(#required_values),*);
                #(#optional_sets)*
                let mut request = client.#method().form(form);
                #(#sets)*
                match request.send().await {
                    #print
                    Err(error) => {
                        printer.failed(&error);
                        Err(::anyhow::Error::new(error))
                    }
                }
            }
        });
    }
    Ok(quote! {
        /// The commands of the product's `multipart/form-data` uploads (written by codegen, as
        /// their client code is), by client method name.
        pub fn upload_commands() -> ::std::vec::Vec<(&'static str, ::clap::Command)> {
            ::std::vec![#(#commands),*]
        }

        /// Runs the upload `operation` (its command's name); `None` if it is not one of the
        /// product's uploads.
        pub async fn execute_upload(
            client: &Client,
            printer: &crate::api::Printer,
            operation: &str,
            matches: &::clap::ArgMatches,
        ) -> ::std::option::Option<::anyhow::Result<()>> {
            #(#runs)*
            ::std::option::Option::None
        }

        #(#functions)*
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(spec: &str) -> Result<String, CodegenError> {
        let spec = crate::parse(spec).unwrap();
        let operations = crate::spec::collect(&spec).unwrap();
        let for_progenitor = crate::bodies::for_progenitor(&spec);
        let (tokens, _) = generate(
            "demo",
            "demo",
            &spec,
            &operations,
            &for_progenitor,
            &BTreeMap::new(),
        )?;
        let file: syn::File = syn::parse2(tokens).unwrap();
        Ok(prettyplease::unparse(&file))
    }

    fn render(spec: &str) -> String {
        let spec = crate::parse(spec).unwrap();
        // `RAW` breaks rules the generator copes with; it has no upload to list.
        let operations = crate::spec::collect(&spec).unwrap_or_default();
        let for_progenitor = crate::bodies::for_progenitor(&spec);
        let (tokens, _) = generate(
            "demo",
            "demo",
            &spec,
            &operations,
            &for_progenitor,
            &BTreeMap::new(),
        )
        .unwrap();
        let file: syn::File = syn::parse2(tokens).unwrap();
        prettyplease::unparse(&file)
    }

    const RAW: &str = r#"
openapi: 3.0.3
info: {title: Demo, version: "1"}
paths:
  /report:
    get:
      operationId: get-report
      parameters:
        - {name: token, in: query, required: false, schema: {type: string, format: password}}
        - {name: key, in: header, required: true, schema: {type: string, format: password}}
        - {name: order, in: query, required: false, schema: {type: string, enum: [ASC, DESC]}}
        - {name: ids, in: query, required: false, schema: {type: array, items: {type: string}}}
      responses:
        "200":
          description: a PDF
          content:
            application/pdf: {schema: {type: string, format: binary}}
        "400":
          description: refused
          content:
            text/plain: {schema: {type: string, format: binary}}
"#;

    #[test]
    fn nothing_is_left_to_panic_and_no_secret_is_a_flag() {
        let code = render(RAW);
        assert!(!code.contains("todo!"), "{code}");
        assert!(!code.contains("unwrap"), "{code}");
        assert!(!code.contains("XXX"), "{code}");
        assert!(
            code.contains("crate::api::print_stream(r, matches).await"),
            "{code}"
        );
        assert!(code.contains("self.config.error(&r)"), "{code}");
        // The optional secret has a stdin flag; the required one is always read; neither is
        // an argument of its own.
        assert!(code.contains("\"token-stdin\""), "{code}");
        assert!(!code.contains("Arg::new(\"token\")"), "{code}");
        assert!(!code.contains("Arg::new(\"key\")"), "{code}");
        assert!(code.contains("read_secret(\"key\")"), "{code}");
        assert!(code.contains("read_secret(\"token\")"), "{code}");
        assert!(code.contains("try_map"), "{code}");
        assert!(!code.contains("value_parser!(::std::vec::Vec"), "{code}");
        assert!(code.contains("ArgAction::Append"), "{code}");
        assert!(
            code.contains("get_many::<::std::string::String>(\"ids\")"),
            "{code}"
        );
    }

    /// A synthetic upload: a path parameter, a required file, a list of files, text, a
    /// number, a boolean, a date-time, an object, a list of text and a secret part.
    const UPLOAD: &str = r#"
openapi: 3.0.3
info: {title: Demo, version: "1"}
paths:
  /media/1/senders/{sender}/files:
    post:
      operationId: upload-media
      x-scopes: [media:manage]
      parameters:
        - {name: sender, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: {$ref: '#/components/schemas/UploadMediaRequest'}
      responses:
        "201":
          description: created
          content:
            application/json: {schema: {$ref: '#/components/schemas/Media'}}
  /media/1/keys:
    post:
      operationId: upload-key
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [key]
              properties:
                key: {type: string, format: binary}
      responses:
        "204": {description: stored}
components:
  schemas:
    Media:
      type: object
      properties:
        mediaId: {type: string}
    UploadMediaRequest:
      type: object
      required: [file, caption, passphrase]
      properties:
        file: {type: string, format: binary}
        extra: {type: array, items: {type: string, format: binary}}
        caption: {type: string}
        size: {type: integer, format: int64}
        public: {type: boolean}
        sendAt: {type: string, format: date-time}
        placeholders: {type: object}
        to: {type: array, items: {type: string}}
        passphrase: {type: string, format: password}
"#;

    #[test]
    fn every_upload_has_a_command_with_a_flag_per_part() {
        // One space wherever prettyplease breaks a line, so that a check does not depend on
        // where it wraps.
        let code = generated(UPLOAD).unwrap();
        let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!code.contains("unwrap"), "{code}");
        assert!(!code.contains("todo!"), "{code}");
        // Listed beside progenitor's commands, and run by name.
        assert!(
            code.contains("(\"upload_media\", upload_cli_upload_media())"),
            "{code}"
        );
        assert!(
            code.contains("(\"upload_key\", upload_cli_upload_key())"),
            "{code}"
        );
        assert!(
            code.contains("crate::api::same_operation(\"upload_media\", operation)"),
            "{code}"
        );
        // The path parameter and every part a flag of its type; files by path, lists repeated.
        for (flag, ty) in [
            ("sender", "::std::string::String"),
            ("file", "::std::path::PathBuf"),
            ("extra", "::std::path::PathBuf"),
            ("caption", "::std::string::String"),
            ("size", "i64"),
            ("public", "bool"),
            ("send-at", "::infobip_client::DateTime"),
            ("placeholders", "::serde_json::Value"),
            ("to", "::std::string::String"),
        ] {
            assert!(
                code.contains(&format!("::clap::Arg::new(\"{flag}\")")),
                "{flag}: {code}"
            );
            assert!(
                code.contains(&format!("get_one::<{ty}>(\"{flag}\")"))
                    || code.contains(&format!("get_many::<{ty}>(\"{flag}\")")),
                "{flag}: {code}"
            );
        }
        assert!(
            code.contains("get_many::<::std::path::PathBuf>(\"extra\")"),
            "{code}"
        );
        assert!(
            code.contains("get_many::<::std::string::String>(\"to\")"),
            "{code}"
        );
        assert!(
            code.contains("crate::api::file_part(\"file\", value)"),
            "{code}"
        );
        // The required parts go to `Form::new`, in the description's order.
        assert!(code.contains("multipart::UploadMediaForm::new("), "{code}");
        assert!(code.contains("request = request.sender("), "{code}");
        // The secret part is read from standard input, never a flag.
        assert!(!code.contains("Arg::new(\"passphrase\")"), "{code}");
        assert!(code.contains("read_secret(\"passphrase\")"), "{code}");
        // A JSON answer is printed; an empty one is not.
        assert!(code.contains("printer.item(&*answer)"), "{code}");
        assert!(code.contains("Ok(_) => Ok(())"), "{code}");
        assert!(code.contains("printer.failed(&error)"), "{code}");
    }

    #[test]
    fn a_product_without_uploads_has_none_to_list_or_run() {
        let code = render(RAW);
        assert!(code.contains("pub fn upload_commands()"), "{code}");
        assert!(code.contains("pub async fn execute_upload("), "{code}");
        assert!(!code.contains("upload_cli_"), "{code}");
    }

    #[test]
    fn a_part_named_like_a_global_flag_gets_a_flag_of_its_own() {
        let spec = UPLOAD.replace("caption: {type: string}", "output: {type: string}");
        let code = generated(&spec).unwrap();
        assert!(code.contains("Arg::new(\"param-output\")"), "{code}");
        assert!(!code.contains("Arg::new(\"output\")"), "{code}");
        let spec = UPLOAD.replace("caption: {type: string}", "sender: {type: string}");
        let error = generated(&spec)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("`--sender`"), "{error}");
    }

    /// A parameter and a body field named like global options, a list of text and a list of
    /// objects in the body, and a download.
    const GLOBALS: &str = r#"
openapi: 3.0.3
info: {title: Demo, version: "1"}
paths:
  /things:
    post:
      operationId: create-things
      parameters:
        - {name: profile, in: query, required: false, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [tags]
              properties:
                debug: {type: boolean}
                tags: {type: array, items: {type: string}}
                sizes: {type: array, items: {type: integer, format: int32}}
                parts: {type: array, items: {type: object, properties: {a: {type: string}}}}
      responses:
        "204": {description: done}
  /things/export:
    get:
      operationId: export-things
      responses:
        "200":
          description: a file
          content:
            text/csv: {schema: {type: string}}
"#;

    #[test]
    fn global_names_are_renamed_and_lists_of_scalars_are_repeatable_flags() {
        let code = generated(GLOBALS).unwrap();
        let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
        for flag in ["param-profile", "param-debug", "tags", "sizes"] {
            assert!(
                code.contains(&format!("Arg::new(\"{flag}\")")),
                "{flag}: {code}"
            );
        }
        for flag in ["profile", "debug", "parts"] {
            assert!(
                !code.contains(&format!("Arg::new(\"{flag}\")")),
                "{flag}: {code}"
            );
        }
        assert!(
            code.contains("get_one::<::std::string::String>(\"param-profile\")"),
            "{code}"
        );
        assert!(
            code.contains("get_many::<::std::string::String>(\"tags\")"),
            "{code}"
        );
        assert!(code.contains("body.tags(values)"), "{code}");
        assert!(code.contains("get_many::<i32>(\"sizes\")"), "{code}");
        // The file of --json-body is read before the flags change its fields.
        let json = code.find("\"json-body\")").unwrap();
        let flag = code.find("body.tags(values)").unwrap();
        assert!(json < flag, "{code}");
        // The required list has a flag now, so the body needs no file.
        assert!(
            code.contains(
                "Arg::new(\"json-body\") .long(\"json-body\") .value_name(\"JSON-FILE\") .required(false)"
            ),
            "{code}"
        );
        // The download writes to --output-file.
        assert!(code.contains("Arg::new(\"output-file\")"), "{code}");
        assert!(
            code.contains("crate::api::print_stream(r, matches).await"),
            "{code}"
        );
        assert!(
            code.contains("(\"create-things\", \"create-things\")"),
            "{code}"
        );
    }
}
