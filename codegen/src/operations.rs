//! Each product's operations table: what progenitor drops (the schemes each operation accepts,
//! from `security`, and the API scopes it needs, from `x-scopes`), as `Operation` statics of the
//! client's hand-written rim.

use std::collections::BTreeSet;

use heck::{ToPascalCase, ToShoutySnakeCase, ToSnakeCase};
use openapiv3::ReferenceOr;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::spec::{scheme_variant, OperationView};

/// The Rust method name progenitor gives an operation (its operationId in snake case).
pub(crate) fn method_name(operation_id: &str) -> String {
    operation_id.to_snake_case()
}

/// The name of an operation's static in its product's `operations` module.
pub(crate) fn static_name(operation_id: &str) -> Ident {
    Ident::new(&operation_id.to_shouty_snake_case(), Span::call_site())
}

/// The type of an operation's success body, if that body can hold a secret (it reaches a
/// `format: password` string) and is a component schema with a generated type in `types`.
fn secret_success_type(
    doc: &serde_json::Value,
    op: &OperationView<'_>,
    types: &BTreeSet<String>,
) -> Option<Ident> {
    let reference = op
        .operation
        .responses
        .responses
        .iter()
        .filter(|(status, _)| matches!(status, openapiv3::StatusCode::Code(200..=299)))
        .filter_map(|(_, response)| match response {
            ReferenceOr::Item(response) => Some(response.clone()),
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix("#/components/responses/")?;
                serde_json::from_value(doc["components"]["responses"][name].clone()).ok()
            }
        })
        .find_map(|response: openapiv3::Response| {
            match response.content.get("application/json")?.schema.as_ref()? {
                ReferenceOr::Reference { reference } => Some(reference.clone()),
                ReferenceOr::Item(_) => None,
            }
        })?;
    let name = reference.strip_prefix("#/components/schemas/")?;
    if !reaches_password(
        doc,
        &doc["components"]["schemas"][name],
        &mut BTreeSet::new(),
    ) {
        return None;
    }
    [name.to_owned(), name.to_pascal_case()]
        .into_iter()
        .find(|candidate| types.contains(candidate))
        .map(|found| Ident::new(&found, Span::call_site()))
}

/// Whether `schema` (or anything it references) has a `format: password` string.
fn reaches_password(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    seen: &mut BTreeSet<String>,
) -> bool {
    match schema {
        serde_json::Value::Object(fields) => {
            if fields.get("format").and_then(|f| f.as_str()) == Some("password") {
                return true;
            }
            if let Some(reference) = fields.get("$ref").and_then(|r| r.as_str()) {
                let Some(name) = reference.strip_prefix("#/components/schemas/") else {
                    return false;
                };
                return seen.insert(name.to_owned())
                    && reaches_password(doc, &doc["components"]["schemas"][name], seen);
            }
            fields
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "example" | "examples" | "default"))
                .any(|(_, value)| reaches_password(doc, value, seen))
        }
        serde_json::Value::Array(items) => items.iter().any(|v| reaches_password(doc, v, seen)),
        _ => false,
    }
}

/// Whether an operation can be sent again without doing anything twice: a read, unless it
/// hands each item out once. Infobip's delivery reports and inbound messages are removed as
/// they are read (its documentation says so for every product that has them), and their
/// operationIds say what they are.
pub(crate) fn repeatable(operation_id: &str, method: &str) -> bool {
    let read = matches!(method, "GET" | "HEAD");
    let consumes = operation_id.contains("delivery-report")
        || operation_id.contains("inbound-messages")
        || operation_id.contains("inbound-sms-messages")
        || operation_id.contains("inbound-mms-messages")
        || matches!(operation_id, "receive-push-messages" | "get-push-reports");
    read && !consumes
}

/// `operations.rs` of the product `product`; `types` names the client's generated types.
pub(crate) fn render(
    product: &str,
    spec: &openapiv3::OpenAPI,
    operations: &[OperationView<'_>],
    types: &BTreeSet<String>,
) -> TokenStream {
    let doc = serde_json::to_value(spec).unwrap_or_default();
    let checks: Vec<Option<(Ident, Ident)>> = operations
        .iter()
        .map(|op| {
            secret_success_type(&doc, op, types).map(|ty| {
                let check = Ident::new(
                    &format!("reads_{}", method_name(op.operation_id)),
                    Span::call_site(),
                );
                (check, ty)
            })
        })
        .collect();
    let check_fns = checks.iter().flatten().map(|(check, ty)| {
        quote! {
            fn #check(body: &[u8]) -> bool {
                ::serde_json::from_slice::<super::types::#ty>(body).is_ok()
            }
        }
    });
    let statics = operations.iter().zip(&checks).map(|(op, check)| {
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
        let repeatable = repeatable(op.operation_id, &op.method);
        let reads_secrets = match check {
            Some((check, _)) => quote!(Some(#check)),
            None => quote!(None),
        };
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
                repeatable: #repeatable,
                reads_secrets: #reads_secrets,
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

        #(#check_fns)*

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

#[cfg(test)]
mod tests {
    use super::repeatable;

    #[test]
    fn reads_repeat_unless_they_hand_items_out_once() {
        assert!(repeatable("get-account-balance", "GET"));
        assert!(repeatable("get-outbound-sms-message-logs-v3", "GET"));
        for consumed in [
            "get-outbound-sms-message-delivery-reports-v3",
            "get-inbound-sms-messages",
            "get-messages-api-inbound-messages",
            "get-email-delivery-reports",
            "get-push-reports",
        ] {
            assert!(!repeatable(consumed, "GET"), "{consumed}");
        }
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            assert!(!repeatable("update-api-key", method), "{method}");
        }
    }
}
