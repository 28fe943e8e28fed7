//! The `infobip` command line's commands: one per operation of each product, from progenitor's
//! CLI generator (clap), finished where the generator stops short.
//!
//! The generator gives every operation a `clap::Command` and code that sends the request and
//! hands the answer to a `CliConfig` the command line implements. Five things are changed
//! afterwards, on the syntax tree:
//! - a secret parameter (`format: password`, such as `apiKeySecret`) is never a flag, since any
//!   local user can read a command line in the process list: an optional one is read from
//!   standard input when `--<name>-stdin` is given, a required one always;
//! - an answer whose body is not JSON, which the generator leaves as `todo!()`, is written
//!   to standard output as it comes (an error one becomes an error), so no `todo!()` is left;
//! - the enum value parsers' `.unwrap()` becomes a `try_map`, so that the generated code has
//!   no `unwrap` either;
//! - `--json-body-template`, which the generator declares (with the help text `XXX`) but never
//!   implements, is dropped;
//! - a parameter that is a list (`bulkId`, sent as one pair per value), whose flag the
//!   generator declares with a value parser clap does not have, becomes a repeatable flag.
//!
//! The generated code calls the command line's hand-written `crate::api` module for what is
//! not per operation (printing, reading a secret, the `CliConfig` implementation), as the
//! client's generated modules call its rim.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use heck::{ToKebabCase, ToSnakeCase};
use openapiv3::{OpenAPI, Parameter, ReferenceOr};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;

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
/// `renamed_variants` are the client's published `Other` variants renamed when its enums were
/// opened, which the commands' lists of values must name the same way.
pub(crate) fn generate(
    product: &str,
    module: &str,
    spec: &OpenAPI,
    renamed_variants: &BTreeMap<String, String>,
) -> Result<(TokenStream, BTreeSet<&'static str>), CodegenError> {
    let mut spec = spec.clone();
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
    FinishCli { secrets: &secrets }.visit_file_mut(&mut file);
    crate::open_enums::rename_published_other(&mut file, renamed_variants);
    let dependencies = crate::products::optional_dependencies(&file);
    ThroughClient.visit_file_mut(&mut file);
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
    };
    Ok((tokens, dependencies))
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

/// `cli/src/generated/mod.rs`: the product modules, each product's command, and how to run
/// one of its operations.
pub(crate) fn render_modules(specs: &[Spec]) -> TokenStream {
    let modules: Vec<Ident> = specs
        .iter()
        .map(|spec| Ident::new(&spec.product.to_snake_case(), Span::call_site()))
        .collect();
    let names: Vec<&str> = specs.iter().map(|spec| spec.product.as_str()).collect();
    quote! {
        //! Every product's commands, generated from `spec/` by `cargo xtask regen`.

        use ::infobip_client::Products as _;

        #(
            #[rustfmt::skip]
            pub mod #modules;
        )*

        /// One command per product, named after it, with a subcommand per operation.
        pub fn commands() -> Vec<::clap::Command> {
            vec![
                #(
                    crate::api::product_command(
                        #names,
                        #modules::CliCommand::iter().map(|operation| {
                            (
                                operation.operation_id(),
                                #modules::Cli::<crate::api::Printer>::get_command(operation),
                            )
                        }),
                    ),
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
        ) -> Option<::anyhow::Result<()>> {
            match product {
                #(
                    #names => {
                        let operation = #modules::CliCommand::iter()
                            .find(|op| crate::api::same_operation(op.operation_id(), operation))?;
                        Some(#modules::Cli::new(infobip.#modules(), printer).execute(operation, matches).await)
                    }
                )*
                _ => None,
            }
        }

        #(crate::api::impl_cli_config!(#modules);)*
    }
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
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
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
    format!("{}-stdin", param.api_name.to_kebab_case())
}

/// The changes to the generator's output listed in the module documentation.
struct FinishCli<'a> {
    /// By client method name.
    secrets: &'a BTreeMap<String, Vec<SecretParam>>,
}

impl VisitMut for FinishCli<'_> {
    fn visit_impl_item_fn_mut(&mut self, function: &mut syn::ImplItemFn) {
        let name = function.sig.ident.to_string();
        if let Some(method) = name.strip_prefix("cli_") {
            if let Some(params) = self.secrets.get(method) {
                add_stdin_flags(function, params);
            }
        }
        if let Some(method) = name.strip_prefix("execute_") {
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
/// (`Ok(r) => ...`) the body is written to standard output; in an error arm it becomes the
/// command's error.
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
            Box::new(syn::parse_quote!({ crate::api::print_stream(r).await }))
        } else {
            Box::new(syn::parse_quote!({ Err(crate::api::stream_error(r)) }))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn render(spec: &str) -> String {
        let spec = crate::parse(spec).unwrap();
        let (tokens, _) = generate("demo", "demo", &spec, &BTreeMap::new()).unwrap();
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
        assert!(code.contains("crate::api::print_stream(r).await"), "{code}");
        assert!(code.contains("crate::api::stream_error(r)"), "{code}");
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
}
