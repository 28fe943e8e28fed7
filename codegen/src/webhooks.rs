//! Each product's `webhooks` module: a marker type per kind of event in its description's
//! `x-webhooks` (written by the import), implementing the rim's `Webhook` trait with the
//! payload's generated type, for the receiver.

use std::collections::BTreeSet;

use heck::ToPascalCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::import::WEBHOOKS_KEY;
use crate::CodegenError;

/// The `webhooks` module of `product`, or nothing when its description declares none.
/// `types` names the generated types, which the payloads must be among.
pub(crate) fn module(
    product: &str,
    spec: &openapiv3::OpenAPI,
    types: &BTreeSet<String>,
) -> Result<Option<TokenStream>, CodegenError> {
    let Some(declared) = spec.extensions.get(WEBHOOKS_KEY) else {
        return Ok(None);
    };
    let invalid = |what: String| CodegenError::Webhooks(what);
    let declared = declared
        .as_object()
        .ok_or_else(|| invalid(format!("`{WEBHOOKS_KEY}` is not a mapping")))?;
    let mut idents = BTreeSet::new();
    let mut markers = Vec::new();
    for (name, hook) in declared {
        let reference = hook
            .get("payload")
            .and_then(|p| p.get("$ref"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| invalid(format!("`{name}` has no `payload.$ref`")))?;
        let payload = crate::bodies::type_of(reference, types)
            .map_err(|reason| invalid(format!("`{name}`: {reason}")))?;
        let base = name
            .strip_prefix("receive-")
            .unwrap_or(name)
            .to_pascal_case();
        let ident = (1..)
            .map(|n| match n {
                1 => base.clone(),
                n => format!("{base}{n}"),
            })
            .find(|candidate| !idents.contains(candidate))
            .unwrap_or(base);
        idents.insert(ident.clone());
        let ident = format_ident!("{}", ident);
        let doc = format!(
            " `{name}`: what Infobip posts is a [`{}`].",
            payload.to_string().replace(' ', "")
        );
        markers.push(quote! {
            #[doc = #doc]
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
            pub struct #ident;

            impl crate::Webhook for #ident {
                type Payload = #payload;
                const PRODUCT: &'static str = #product;
                const NAME: &'static str = #name;
            }
        });
    }
    let doc = format!(
        " The kinds of event the `{product}` product posts to a service's endpoints, one \
         [`Webhook`](crate::Webhook) each: what the receiver (feature `webhooks`) takes."
    );
    Ok(Some(quote! {
        #[doc = #doc]
        pub mod webhooks {
            use super::types;

            #(#markers)*
        }
    }))
}
