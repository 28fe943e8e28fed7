//! The operation -> accepted schemes table, which progenitor drops.

use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{OpenAPI, SecurityScheme};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::spec::OperationView;

fn ident(name: &str) -> Ident {
    Ident::new(&name.to_pascal_case(), Span::call_site())
}

/// The Rust method name progenitor gives an operation (its operationId in snake case).
pub(crate) fn method_name(operation_id: &str) -> String {
    operation_id.to_snake_case()
}

fn scheme_doc(name: &str, scheme: Option<&SecurityScheme>) -> String {
    let kind = match scheme {
        Some(SecurityScheme::HTTP { scheme, .. }) => format!("HTTP `{scheme}`"),
        Some(SecurityScheme::APIKey { location, name, .. }) => {
            let location = match location {
                openapiv3::APIKeyLocation::Query => "query parameter",
                openapiv3::APIKeyLocation::Header => "header",
                openapiv3::APIKeyLocation::Cookie => "cookie",
            };
            format!("API key in the {location} `{name}`")
        }
        Some(SecurityScheme::OAuth2 { .. }) => String::from("OAuth 2.0"),
        Some(SecurityScheme::OpenIDConnect { .. }) => String::from("OpenID Connect"),
        None => String::from("undeclared"),
    };
    let description = match scheme {
        Some(
            SecurityScheme::HTTP { description, .. }
            | SecurityScheme::APIKey { description, .. }
            | SecurityScheme::OAuth2 { description, .. }
            | SecurityScheme::OpenIDConnect { description, .. },
        ) => description.clone().unwrap_or_default(),
        None => String::new(),
    };
    format!("`{name}` ({kind}). {description}")
        .trim_end()
        .to_owned()
}

pub(crate) fn render(spec: &OpenAPI, operations: &[OperationView<'_>]) -> TokenStream {
    let declared: Vec<(&String, Option<&SecurityScheme>)> = spec
        .components
        .iter()
        .flat_map(|c| c.security_schemes.iter())
        .map(|(name, scheme)| (name, scheme.as_item()))
        .collect();

    let scheme_variants = declared.iter().map(|(name, scheme)| {
        let variant = ident(name);
        let doc = scheme_doc(name, *scheme);
        quote! { #[doc = #doc] #variant, }
    });
    let scheme_all = declared.iter().map(|(name, _)| ident(name));
    let scheme_names = declared.iter().map(|(name, _)| {
        let variant = ident(name);
        quote! { Scheme::#variant => #name, }
    });

    let op_variants = operations.iter().map(|op| {
        let variant = ident(op.operation_id);
        let doc = format!("`{}`: {} {}", op.operation_id, op.method, op.path);
        quote! { #[doc = #doc] #variant, }
    });
    let op_all = operations.iter().map(|op| ident(op.operation_id));
    let op_from_name = operations.iter().map(|op| {
        let variant = ident(op.operation_id);
        let method = method_name(op.operation_id);
        quote! { #method => Some(Operation::#variant), }
    });
    let op_arms = |field: &dyn Fn(&OperationView<'_>) -> TokenStream| {
        operations
            .iter()
            .map(|op| {
                let variant = ident(op.operation_id);
                let value = field(op);
                quote! { Operation::#variant => #value, }
            })
            .collect::<Vec<_>>()
    };
    let op_ids = op_arms(&|op| {
        let id = op.operation_id;
        quote!(#id)
    });
    let op_methods = op_arms(&|op| {
        let name = method_name(op.operation_id);
        quote!(#name)
    });
    let op_http = op_arms(&|op| {
        let method = &op.method;
        quote!(#method)
    });
    let op_paths = op_arms(&|op| {
        let path = op.path;
        quote!(#path)
    });
    let op_schemes = op_arms(&|op| {
        let schemes = op.schemes.iter().map(|s| ident(s));
        quote!(&[#(Scheme::#schemes),*])
    });

    quote! {
        //! Which authentication schemes each operation accepts, from the description's
        //! `security` sections (progenitor ignores them).

        /// An authentication scheme declared under `components.securitySchemes`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scheme {
            #(#scheme_variants)*
        }

        impl Scheme {
            /// Every declared scheme, in the description's order.
            pub const ALL: &'static [Scheme] = &[#(Scheme::#scheme_all),*];

            /// The scheme's name in the description.
            pub const fn spec_name(self) -> &'static str {
                match self {
                    #(#scheme_names)*
                }
            }
        }

        impl ::std::fmt::Display for Scheme {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.spec_name())
            }
        }

        /// An operation of the description.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation {
            #(#op_variants)*
        }

        impl Operation {
            /// Every operation, in the description's order.
            pub const ALL: &'static [Operation] = &[#(Operation::#op_all),*];

            /// Finds an operation by the name progenitor passes to the hooks
            /// (`OperationInfo::operation_id`, the operationId in snake case).
            pub fn from_method_name(name: &str) -> Option<Operation> {
                match name {
                    #(#op_from_name)*
                    _ => None,
                }
            }

            /// The operationId as written in the description.
            pub const fn operation_id(self) -> &'static str {
                match self {
                    #(#op_ids)*
                }
            }

            /// The client method's name, which is also what the hooks receive.
            pub const fn method_name(self) -> &'static str {
                match self {
                    #(#op_methods)*
                }
            }

            /// The HTTP method, upper case.
            pub const fn http_method(self) -> &'static str {
                match self {
                    #(#op_http)*
                }
            }

            /// The path template.
            pub const fn path(self) -> &'static str {
                match self {
                    #(#op_paths)*
                }
            }

            /// The schemes the operation accepts, in the description's order; empty when it
            /// takes no authentication.
            pub const fn schemes(self) -> &'static [Scheme] {
                match self {
                    #(#op_schemes)*
                }
            }

            /// Whether the operation accepts `scheme`.
            pub fn accepts(self, scheme: Scheme) -> bool {
                self.schemes().contains(&scheme)
            }
        }
    }
}
