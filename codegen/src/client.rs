//! The progenitor client of one product.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;
use schemars::schema::{InstanceType, SchemaObject};

use crate::spec::SHARED_SCHEMAS;
use crate::CodegenError;

/// The settings every product's client is built with.
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
    // Error bodies are the same in every product: one hand-written type each, so that code
    // reading Infobip's errors works for all of them.
    for (name, _) in SHARED_SCHEMAS {
        settings.with_replacement(*name, format!("crate::{name}"), std::iter::empty());
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

/// Progenitor's client for one description.
pub(crate) fn generate(
    spec: &openapiv3::OpenAPI,
) -> Result<proc_macro2::TokenStream, CodegenError> {
    let mut generator = Generator::new(&settings());
    // Validation covers the shapes we know progenitor asserts on; this is the net for the rest.
    let result = catch_unwind(AssertUnwindSafe(|| generator.generate_tokens(spec)));
    match result {
        Ok(Ok(tokens)) => {
            let mut file: syn::File =
                syn::parse2(tokens).map_err(|e| CodegenError::Syntax(e.to_string()))?;
            crate::open_enums::open_response_enums(&mut file);
            Ok(quote::ToTokens::to_token_stream(&file))
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

/// The names of the types in the client's `types` module.
pub(crate) fn type_names(client: &proc_macro2::TokenStream) -> BTreeSet<String> {
    let Ok(file) = syn::parse2::<syn::File>(client.clone()) else {
        return BTreeSet::new();
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
                .filter_map(|i| match i {
                    syn::Item::Struct(s) => Some(s.ident.to_string()),
                    syn::Item::Enum(e) => Some(e.ident.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}
