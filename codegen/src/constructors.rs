//! A constructor and setters for every struct of a product's `types` (and every upload form,
//! `bodies.rs`), so that a request is built in a few lines that keep compiling when Infobip
//! adds an optional field.
//!
//! Typify writes public fields and a fallible builder. Struct literals name every field (an
//! optional field added upstream breaks them), and the builder needs `try_into()?` at each
//! level of nesting. So each struct gets:
//! - `new(..)`, taking the required fields in the struct's order (typify's: alphabetical),
//!   each as `impl Into`, and naming them in its documentation;
//!   every other field starts empty (or at its description's default);
//! - one setter per optional field, named after it (`with_<field>` where the name is taken by
//!   `new` or `builder`), taking the value itself, not an `Option`;
//! - `#[non_exhaustive]`, so that code outside the crate builds through these and not through
//!   a literal that a new field would break. Fields stay public to read and to assign.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Adds the constructors and setters to the structs of the `types` module of `file`.
pub(crate) fn add(file: &mut syn::File) {
    let Some(types) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    }) else {
        return;
    };
    let mut added = std::collections::BTreeMap::new();
    for item in &mut types.1 {
        let syn::Item::Struct(structure) = item else {
            continue;
        };
        let syn::Fields::Named(fields) = &structure.fields else {
            continue;
        };
        let starts = fields
            .named
            .iter()
            .filter_map(|field| Some((field.ident.as_ref()?, &field.ty, start(field))));
        let tokens = constructors(&structure.ident, starts);
        let block: syn::ItemImpl = syn::parse_quote!(#tokens);
        added.insert(structure.ident.to_string(), block);
        structure.attrs.push(syn::parse_quote!(#[non_exhaustive]));
    }
    // Beside typify's `builder()`, so that a reader finds every way to make the type in one
    // place.
    for item in &mut types.1 {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(ty) = &*block.self_ty else {
            continue;
        };
        if block.trait_.is_some() {
            continue;
        }
        if let Some(own) = ty
            .path
            .get_ident()
            .and_then(|name| added.remove(&name.to_string()))
        {
            block.items.extend(own.items);
        }
    }
    types.1.extend(added.into_values().map(syn::Item::Impl));
}

/// How a field starts in `new`: given, or empty (or at its default) until its setter is
/// called.
pub(crate) enum Start {
    Given,
    /// `Option<T>`: set with a `T`.
    Optional(syn::Type),
    /// `#[serde(default)]` (a list or map that may be missing): set with the whole value.
    Empty,
    /// `#[serde(default = "path")]`: the description's default, set with the whole value.
    Default(syn::Expr),
}

fn start(field: &syn::Field) -> Start {
    if let Some(inner) = option_inner(&field.ty) {
        return Start::Optional(inner.clone());
    }
    for attribute in &field.attrs {
        if !attribute.path().is_ident("serde") {
            continue;
        }
        let mut found = None;
        let _ = attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("flatten") {
                // The map of properties the description does not name: empty to start.
                found = Some(Start::Empty);
            } else if meta.path.is_ident("default") {
                found = Some(match meta.value() {
                    Ok(value) => {
                        let path: syn::LitStr = value.parse()?;
                        match path.parse::<syn::Expr>() {
                            Ok(path) => Start::Default(path),
                            Err(_) => Start::Empty,
                        }
                    }
                    Err(_) => Start::Empty,
                });
            } else if meta.input.peek(syn::Token![=]) {
                // `rename = "..."` and the like: skip the value.
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if let Some(found) = found {
            return found;
        }
    }
    Start::Given
}

/// `T` of `::std::option::Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// `impl #name { new(..), setters }` for the struct `name` with `fields`, in order.
pub(crate) fn constructors<'a>(
    name: &syn::Ident,
    fields: impl Iterator<Item = (&'a syn::Ident, &'a syn::Type, Start)>,
) -> TokenStream {
    let mut parameters = Vec::new();
    let mut initial = Vec::new();
    let mut setters = Vec::new();
    let mut given = Vec::new();
    for (ident, ty, start) in fields {
        let shown = ident.to_string();
        let shown = shown.trim_start_matches("r#");
        let setter = if matches!(shown, "new" | "builder") {
            format_ident!("with_{}", shown)
        } else {
            ident.clone()
        };
        match start {
            Start::Given => {
                parameters.push(quote!(#ident: impl ::std::convert::Into<#ty>));
                initial.push(quote!(#ident: #ident.into()));
                given.push(format!("`{shown}`"));
            }
            Start::Optional(inner) => {
                initial.push(quote!(#ident: ::std::option::Option::None));
                let doc = format!(" Sets `{shown}`.");
                setters.push(quote! {
                    #[doc = #doc]
                    pub fn #setter(mut self, value: impl ::std::convert::Into<#inner>) -> Self {
                        self.#ident = ::std::option::Option::Some(value.into());
                        self
                    }
                });
            }
            start @ (Start::Empty | Start::Default(_)) => {
                initial.push(match start {
                    Start::Default(path) => quote!(#ident: #path()),
                    _ => quote!(#ident: ::std::default::Default::default()),
                });
                let doc = format!(" Sets `{shown}`.");
                setters.push(quote! {
                    #[doc = #doc]
                    pub fn #setter(mut self, value: impl ::std::convert::Into<#ty>) -> Self {
                        self.#ident = value.into();
                        self
                    }
                });
            }
        }
    }
    let doc = if given.is_empty() {
        String::from(" With every field empty; set those needed with the setters.")
    } else {
        format!(
            " With the required fields ({}); set the others with the setters.",
            given.join(", ")
        )
    };
    quote! {
        impl #name {
            #[doc = #doc]
            pub fn new(#(#parameters),*) -> Self {
                Self { #(#initial),* }
            }

            #(#setters)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> String {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        add(&mut file);
        prettyplease::unparse(&file)
    }

    const MESSAGE: &str = r#"
pub mod types {
    pub struct Message {
        pub content: Content,
        pub destinations: ::std::vec::Vec<Destination>,
        #[serde(rename = "sender", skip_serializing_if = "::std::option::Option::is_none")]
        pub sender: ::std::option::Option<::std::string::String>,
        #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
        pub tags: ::std::vec::Vec<::std::string::String>,
        #[serde(rename = "trackClicks", default = "defaults::default_bool::<true>")]
        pub track_clicks: bool,
        pub builder: ::std::option::Option<i32>,
    }
}
"#;

    #[test]
    fn required_fields_are_parameters_and_the_rest_setters() {
        let code = render(MESSAGE);
        assert!(code.contains("#[non_exhaustive]"), "{code}");
        assert!(
            code.contains(
                "pub fn new(\n            content: impl ::std::convert::Into<Content>,\n            destinations: impl ::std::convert::Into<::std::vec::Vec<Destination>>,\n        ) -> Self"
            ),
            "{code}"
        );
        assert!(
            code.contains("track_clicks: defaults::default_bool::<true>()"),
            "{code}"
        );
        assert!(
            code.contains("tags: ::std::default::Default::default()"),
            "{code}"
        );
        assert!(
            code.contains("self.sender = ::std::option::Option::Some(value.into());"),
            "{code}"
        );
        assert!(code.contains("pub fn with_builder("), "{code}");
    }

    #[test]
    fn an_optional_field_added_upstream_leaves_new_as_it_was() {
        let before = render(MESSAGE);
        let after = render(&MESSAGE.replace(
            "pub builder:",
            "#[serde(skip_serializing_if = \"::std::option::Option::is_none\")]\n        pub validity: ::std::option::Option<i64>,\n        pub builder:",
        ));
        let new = |code: &str| {
            let start = code.find("pub fn new(").unwrap();
            code[start..start + code[start..].find('{').unwrap()].to_owned()
        };
        assert_eq!(new(&before), new(&after));
        assert!(after.contains("pub fn validity(mut self"), "{after}");
    }
}
