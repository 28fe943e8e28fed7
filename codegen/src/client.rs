//! The progenitor client of one product.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use schemars::schema::{InstanceType, SchemaObject};

use crate::spec::SHARED_SCHEMAS;
use crate::CodegenError;

/// The settings every product's client is built with. `rim` is the path of the client crate
/// where the code goes: `crate` in the client itself, `::infobip_client` in the command line.
pub(crate) fn settings(rim: &str) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // A missing hooks impl must be a compile error, not silently unauthenticated requests.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::Auth))
        // The command line's generated commands print and describe every type; the derive is
        // put behind the client's `schemars` feature afterwards (`schemars_behind_feature`).
        .with_derive("schemars::JsonSchema")
        // chrono rejects the offset-less times that Infobip sends; the rim's type accepts them.
        .with_conversion(
            string_schema("date-time"),
            format!("{rim}::DateTime"),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        )
        // Secrets get a type whose Debug redacts them.
        .with_conversion(
            string_schema("password"),
            format!("{rim}::Secret"),
            std::iter::empty(),
        );
    // Error bodies are the same in every product: one hand-written type each, so that code
    // reading Infobip's errors works for all of them.
    for (name, _) in SHARED_SCHEMAS {
        settings.with_replacement(*name, format!("{rim}::{name}"), std::iter::empty());
    }
    settings
}

fn string_schema(format: &str) -> SchemaObject {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: Some(format.to_owned()),
        ..Default::default()
    }
}

/// Progenitor's client for one description, with its `webhooks` module, and the published
/// `Other` variants that opening its enums renamed (enum name -> new variant name).
pub(crate) fn generate(
    product: &str,
    spec: &openapiv3::OpenAPI,
) -> Result<(proc_macro2::TokenStream, BTreeMap<String, String>), CodegenError> {
    let mut generator = Generator::new(&settings("crate"));
    // Validation covers the shapes we know progenitor asserts on; this is the net for the rest.
    let result = catch_unwind(AssertUnwindSafe(|| generator.generate_tokens(spec)));
    match result {
        Ok(Ok(tokens)) => {
            let mut file: syn::File =
                syn::parse2(tokens).map_err(|e| CodegenError::Syntax(e.to_string()))?;
            // Before the enums are opened: the payloads are received like success answers.
            if let Some(webhooks) = crate::webhooks::module(product, spec, &types_in(&file))? {
                file.items
                    .push(syn::parse2(webhooks).map_err(|e| CodegenError::Syntax(e.to_string()))?);
            }
            let renamed = crate::open_enums::open_response_enums(&mut file);
            tolerate_unknown_fields(&mut file);
            crate::constructors::add(&mut file);
            schemars_behind_feature(&mut file);
            mark_deprecated(&mut file, &deprecated_methods(spec));
            crate::sends::own_sends(&mut file, &operation_statics(spec))?;
            Ok((quote::ToTokens::to_token_stream(&file), renamed))
        }
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

/// The static in the product's operations table of each client method.
fn operation_statics(spec: &openapiv3::OpenAPI) -> BTreeMap<String, proc_macro2::Ident> {
    spec.paths
        .paths
        .values()
        .filter_map(|item| item.as_item())
        .flat_map(|item| item.iter())
        .filter_map(|(_, operation)| operation.operation_id.as_deref())
        .map(|id| {
            (
                crate::operations::method_name(id),
                crate::operations::static_name(id),
            )
        })
        .collect()
}

/// The client method of each operation the description marks `deprecated: true`, with the
/// note its `#[deprecated]` attribute carries.
fn deprecated_methods(spec: &openapiv3::OpenAPI) -> BTreeMap<String, String> {
    let operations = || {
        spec.paths
            .paths
            .values()
            .filter_map(|item| item.as_item())
            .flat_map(|item| item.iter())
            .map(|(_, operation)| operation)
    };
    let ids: BTreeSet<&str> = operations()
        .filter_map(|operation| operation.operation_id.as_deref())
        .collect();
    operations()
        .filter(|operation| operation.deprecated)
        .filter_map(|operation| {
            let id = operation.operation_id.as_deref()?;
            Some((
                crate::operations::method_name(id),
                deprecation_note(operation, &ids),
            ))
        })
        .collect()
}

/// The note of a deprecated operation: its successor's client method and its deprecation
/// date, from Infobip's `x-deprecationInformation` (`{deprecation, successorOperationId}`),
/// when the import kept it; otherwise where to look, since prose is all that is left.
fn deprecation_note(operation: &openapiv3::Operation, ids: &BTreeSet<&str>) -> String {
    let info = operation.extensions.get("x-deprecationInformation");
    let field = |name: &str| info.and_then(|info| info.get(name)?.as_str());
    let since = field("deprecation")
        .map(|date| format!(" (deprecation date {})", date_part(date)))
        .unwrap_or_default();
    match field("successorOperationId") {
        // The method is named only when this client has it: a note pointing at a method that
        // does not exist would send the reader looking for it.
        Some(successor) if ids.contains(successor) => format!(
            "Infobip deprecates this operation{since}: use `{}` instead",
            crate::operations::method_name(successor)
        ),
        Some(successor) => format!(
            "Infobip deprecates this operation{since}: its successor, operation \
             `{successor}`, is not in this client; see the product's API reference"
        ),
        None => format!(
            "Infobip marks this operation deprecated{since}: see the product's API reference \
             for its replacement"
        ),
    }
}

/// The calendar date of Infobip's deprecation timestamp (`2024-10-09T12:00:00.00+0000`): the
/// time of day says nothing to a caller. A value of another shape is kept whole.
fn date_part(timestamp: &str) -> &str {
    let date = timestamp.split('T').next().unwrap_or(timestamp);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = date.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => date,
        _ => timestamp,
    }
}

/// Marks the client method of each deprecated operation `#[deprecated]` with its note, so
/// that a caller's build warns and says what to call instead.
fn mark_deprecated(file: &mut syn::File, methods: &BTreeMap<String, String>) {
    if methods.is_empty() {
        return;
    }
    for item in &mut file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        for item in &mut imp.items {
            let syn::ImplItem::Fn(method) = item else {
                continue;
            };
            if let Some(note) = methods.get(&method.sig.ident.to_string()) {
                method
                    .attrs
                    .push(syn::parse_quote!(#[deprecated(note = #note)]));
            }
        }
    }
}

/// Turns every `#[derive(.., schemars::JsonSchema)]` into a derive that the client's
/// `schemars` feature switches on, and puts every hand-rolled `impl JsonSchema` (typify writes
/// one for a constrained number, for one) behind the same feature, so that a service that does
/// not print or describe the types does not compile schemars.
/// Drops `#[serde(deny_unknown_fields)]`, which typify writes for `additionalProperties:
/// false`: Infobip adds fields to its answers in minor releases, and one new field must not
/// fail a whole response. The description keeps saying what it says (the sandbox can hold
/// requests to it); only the client reads leniently.
fn tolerate_unknown_fields(file: &mut syn::File) {
    struct Items;
    impl syn::visit_mut::VisitMut for Items {
        fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
            drop_deny_unknown_fields(&mut item.attrs);
        }
        fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
            drop_deny_unknown_fields(&mut item.attrs);
        }
    }
    syn::visit_mut::VisitMut::visit_file_mut(&mut Items, file);
}

fn drop_deny_unknown_fields(attrs: &mut Vec<syn::Attribute>) {
    type Args = syn::punctuated::Punctuated<syn::Meta, syn::Token![,]>;
    attrs.retain_mut(|attr| {
        if !attr.path().is_ident("serde") {
            return true;
        }
        let Ok(args) = attr.parse_args_with(Args::parse_terminated) else {
            return true;
        };
        if !args
            .iter()
            .any(|m| m.path().is_ident("deny_unknown_fields"))
        {
            return true;
        }
        let kept: Vec<&syn::Meta> = args
            .iter()
            .filter(|m| !m.path().is_ident("deny_unknown_fields"))
            .collect();
        if kept.is_empty() {
            return false;
        }
        *attr = syn::parse_quote!(#[serde(#(#kept),*)]);
        true
    });
}

fn schemars_behind_feature(file: &mut syn::File) {
    struct Items;
    impl syn::visit_mut::VisitMut for Items {
        fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
            let is_schema = item.trait_.as_ref().is_some_and(|(_, path, _)| {
                path.segments
                    .last()
                    .is_some_and(|s| s.ident == "JsonSchema")
            });
            if is_schema {
                item.attrs
                    .push(syn::parse_quote!(#[cfg(feature = "schemars")]));
            }
        }
        fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
            feature_gated_schema_derive(&mut item.attrs);
        }
        fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
            feature_gated_schema_derive(&mut item.attrs);
        }
    }
    syn::visit_mut::VisitMut::visit_file_mut(&mut Items, file);
}

fn feature_gated_schema_derive(attrs: &mut Vec<syn::Attribute>) {
    let is_schema = |p: &syn::Path| p.segments.last().is_some_and(|s| s.ident == "JsonSchema");
    let mut moved = false;
    for attr in attrs.iter_mut() {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let Ok(list) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        if list.iter().any(is_schema) {
            let kept = list.iter().filter(|p| !is_schema(p));
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
            moved = true;
        }
    }
    if moved {
        attrs.push(syn::parse_quote!(
            #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
        ));
    }
}

/// The names of the types in the client's `types` module.
pub(crate) fn type_names(client: &proc_macro2::TokenStream) -> BTreeSet<String> {
    syn::parse2::<syn::File>(client.clone())
        .map(|file| types_in(&file))
        .unwrap_or_default()
}

fn types_in(file: &syn::File) -> BTreeSet<String> {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
            _ => None,
        })
        .map(|(_, items)| {
            items
                .iter()
                .filter_map(|i| match i {
                    syn::Item::Struct(s) => Some(s.ident.to_string()),
                    syn::Item::Enum(e) => Some(e.ident.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}
