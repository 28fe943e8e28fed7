//! Each product's operations table: what progenitor drops (the schemes each operation accepts,
//! from `security`, and the API scopes it needs, from `x-scopes`), as `Operation` statics of the
//! client's hand-written rim.

use heck::{ToShoutySnakeCase, ToSnakeCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::spec::OperationView;

/// Infobip's four schemes: the name in `components.securitySchemes` and the variant of the
/// rim's `Scheme`. The auth layer knows how to send exactly these, so no others are accepted.
pub(crate) const KNOWN_SCHEMES: &[(&str, &str)] = &[
    ("Basic", "Basic"),
    ("APIKeyHeader", "ApiKeyHeader"),
    ("IBSSOTokenHeader", "IbssoTokenHeader"),
    ("OAuth2", "OAuth2"),
];

/// The rim's `Scheme` variant for a scheme declared under `name`.
pub(crate) fn scheme_variant(name: &str) -> Option<&'static str> {
    KNOWN_SCHEMES
        .iter()
        .find(|(spec_name, _)| *spec_name == name)
        .map(|(_, variant)| *variant)
}

/// The Rust method name progenitor gives an operation (its operationId in snake case).
pub(crate) fn method_name(operation_id: &str) -> String {
    operation_id.to_snake_case()
}

fn static_name(operation_id: &str) -> Ident {
    Ident::new(&operation_id.to_shouty_snake_case(), Span::call_site())
}

/// `operations.rs` of the product `product`.
pub(crate) fn render(product: &str, operations: &[OperationView<'_>]) -> TokenStream {
    let statics = operations.iter().map(|op| {
        let name = static_name(op.operation_id);
        let doc = format!("`{}`: {} {}", op.operation_id, op.method, op.path);
        let id = op.operation_id;
        let method = method_name(op.operation_id);
        let http = &op.method;
        let path = op.path;
        let schemes = op
            .schemes
            .iter()
            .filter_map(|s| scheme_variant(s))
            .map(|v| {
                let variant = Ident::new(v, Span::call_site());
                quote!(Scheme::#variant)
            });
        let scopes = &op.scopes;
        quote! {
            #[doc = #doc]
            pub static #name: Operation = Operation {
                product: #product,
                id: #id,
                method_name: #method,
                http_method: #http,
                path: #path,
                schemes: &[#(#schemes),*],
                scopes: &[#(#scopes),*],
            };
        }
    });
    let all = operations.iter().map(|op| static_name(op.operation_id));
    let by_method = operations.iter().map(|op| {
        let name = static_name(op.operation_id);
        let method = method_name(op.operation_id);
        quote! { #method => Some(&#name), }
    });
    let doc = format!(
        " The operations of the `{product}` product: the schemes each accepts (its `security`) \
         and the API scopes any one of which allows it (its `x-scopes`)."
    );
    quote! {
        #![doc = #doc]

        use crate::{Operation, Scheme};

        #(#statics)*

        /// Every operation of the product, in the description's order.
        pub static ALL: &[&Operation] = &[#(&#all),*];

        /// The operation whose client method is `name`: the name progenitor passes to the
        /// hooks (`OperationInfo::operation_id`, the operationId in snake case).
        pub fn by_method_name(name: &str) -> Option<&'static Operation> {
            match name {
                #(#by_method)*
                _ => None,
            }
        }
    }
}
