//! The body kinds progenitor 0.15 cannot generate, handled here instead.
//!
//! - `multipart/form-data` uploads: progenitor has none, so they are taken out of the
//!   description it reads and written here: a form struct per operation (one field per
//!   property of the schema, typed as the schema says, files as the rim's `FilePart`) and a
//!   builder whose `send` goes through the rim's `multipart::send`, which is the same seam
//!   every call goes through (credentials, the call span, the one replay after a 401, for
//!   which the form is built again and its files reopened).
//! - Operations whose success responses differ (JSON beside an empty 204, two different
//!   objects): progenitor asserts one success kind, so every success response of such an
//!   operation is handed to it as a byte stream; the caller tells them apart by the status.
//! - A 204 declared with a body is given to progenitor without one (HTTP forbids it, so the
//!   sandbox and Infobip send none): its operation answers `()`.
//! - Non-JSON success bodies need nothing: progenitor answers them with a `ByteStream`.

use std::collections::BTreeSet;

use heck::{ToPascalCase, ToShoutySnakeCase, ToSnakeCase};
use openapiv3::{MediaType, OpenAPI, Operation, Parameter, ReferenceOr, Response, StatusCode};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::constructors::Start;
use crate::form::{
    field_name, form_fields, multipart_schema, scalar, schema, sends_multipart, FormField, Scalar,
};
use crate::spec::{OperationView, Rule, SHARED_SCHEMAS};
use crate::CodegenError;

/// Whether the success responses of `operation` differ in kind (JSON schema, no body, stream).
pub(crate) fn mixed_successes(spec: &OpenAPI, operation: &Operation) -> bool {
    successes(spec, operation)
        .iter()
        .map(|(_, kind)| kind)
        .collect::<BTreeSet<_>>()
        .len()
        > 1
}

/// What a success response carries, comparable across an operation's responses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    None,
    Json(String),
    Stream,
}

fn response<'a>(spec: &'a OpenAPI, item: &'a ReferenceOr<Response>) -> Option<&'a Response> {
    match item {
        ReferenceOr::Item(response) => Some(response),
        ReferenceOr::Reference { reference } => spec
            .components
            .as_ref()?
            .responses
            .get(reference.strip_prefix("#/components/responses/")?)?
            .as_item(),
    }
}

fn json_media(response: &Response) -> Option<&MediaType> {
    response
        .content
        .iter()
        .find(|(media, _)| *media == "application/json" || media.starts_with("application/json;"))
        .map(|(_, media)| media)
}

fn kind(response: &Response) -> Kind {
    match json_media(response) {
        Some(media) => Kind::Json(match &media.schema {
            Some(ReferenceOr::Reference { reference }) => reference.clone(),
            Some(ReferenceOr::Item(inline)) => serde_json::to_string(inline).unwrap_or_default(),
            None => String::new(),
        }),
        None if response.content.is_empty() => Kind::None,
        None => Kind::Stream,
    }
}

fn is_success(status: &StatusCode) -> bool {
    match status {
        StatusCode::Code(code) => (200..300).contains(code),
        StatusCode::Range(range) => *range == 2,
    }
}

fn successes(spec: &OpenAPI, operation: &Operation) -> Vec<(StatusCode, Kind)> {
    operation
        .responses
        .responses
        .iter()
        .filter(|(status, _)| is_success(status))
        .filter_map(|(status, item)| {
            let response = response(spec, item)?;
            Some((
                status.clone(),
                if is_no_content(status) {
                    Kind::None
                } else {
                    kind(response)
                },
            ))
        })
        .collect()
}

/// A 204, whose body HTTP forbids, whatever content a description declares for it.
fn is_no_content(status: &StatusCode) -> bool {
    *status == StatusCode::Code(204)
}

/// The description progenitor reads: without the multipart operations (written here), and
/// with each success response of an operation whose successes differ declared as a byte
/// stream (progenitor asserts one success kind per operation).
pub(crate) fn for_progenitor(spec: &OpenAPI) -> OpenAPI {
    let mut out = spec.clone();
    let mut forms = BTreeSet::new();
    for (_, item) in out.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for slot in crate::spec::slots_mut(item) {
            let Some(operation) = slot.as_ref() else {
                continue;
            };
            if sends_multipart(spec, operation) {
                if let Some(ReferenceOr::Reference { reference }) =
                    multipart_schema(spec, operation)
                {
                    forms.insert(reference.clone());
                }
                *slot = None;
                continue;
            }
            if !mixed_successes(spec, operation) {
                // A 204 that declares a body gets none on the wire: a client that expected
                // one would fail on every success.
                if let Some(operation) = slot.as_mut() {
                    for (status, item) in operation.responses.responses.iter_mut() {
                        if is_no_content(status) {
                            let description = response(spec, item)
                                .map(|r| r.description.clone())
                                .unwrap_or_default();
                            *item = ReferenceOr::Item(Response {
                                description,
                                ..Response::default()
                            });
                        }
                    }
                }
                continue;
            }
            let streamed: Vec<(StatusCode, Response)> = successes(spec, operation)
                .into_iter()
                .map(|(status, _)| {
                    let mut stream = Response::default();
                    stream.content.insert(
                        String::from("application/octet-stream"),
                        MediaType::default(),
                    );
                    (status, stream)
                })
                .collect();
            if let Some(operation) = slot.as_mut() {
                for (status, stream) in streamed {
                    operation
                        .responses
                        .responses
                        .insert(status, ReferenceOr::Item(stream));
                }
            }
        }
    }
    // A form's schema becomes the form struct written here; typify would make a second,
    // unused type of it, and panics on its file arrays.
    for reference in forms {
        let Some(name) = reference.strip_prefix("#/components/schemas/") else {
            continue;
        };
        let Some(components) = out.components.as_mut() else {
            continue;
        };
        let Some(schema) = components.schemas.shift_remove(name) else {
            continue;
        };
        let quoted = format!("\"{reference}\"");
        if serde_json::to_string(&out).is_ok_and(|text| text.contains(&quoted)) {
            if let Some(components) = out.components.as_mut() {
                components.schemas.insert(name.to_owned(), schema);
            }
        }
    }
    out
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn scalar_type(scalar: Scalar) -> TokenStream {
    match scalar {
        Scalar::File => quote!(crate::FilePart),
        Scalar::Text => quote!(::std::string::String),
        Scalar::DateTime => quote!(crate::DateTime),
        Scalar::Int32 => quote!(i32),
        Scalar::Int64 => quote!(i64),
        Scalar::Number => quote!(f64),
        Scalar::Boolean => quote!(bool),
        Scalar::Json => quote!(::serde_json::Value),
    }
}

fn field_type(field: &FormField) -> TokenStream {
    let scalar = scalar_type(field.scalar);
    match (field.list, field.required) {
        (true, _) => quote!(::std::vec::Vec<#scalar>),
        (false, true) => scalar,
        (false, false) => quote!(::std::option::Option<#scalar>),
    }
}

/// The Rust type of a component schema: the rim's shared error bodies, or the generated type.
pub(crate) fn type_of(reference: &str, types: &BTreeSet<String>) -> Result<TokenStream, String> {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    if SHARED_SCHEMAS.iter().any(|(shared, _)| *shared == name) {
        let ident = ident(name);
        return Ok(quote!(crate::#ident));
    }
    [name.to_owned(), name.to_pascal_case()]
        .into_iter()
        .find(|candidate| types.contains(candidate))
        .map(|found| {
            let ident = ident(&found);
            quote!(types::#ident)
        })
        .ok_or_else(|| format!("`{name}` has no generated type"))
}

/// What the success answer of a multipart operation is, as `send` returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// One JSON schema: a generated type.
    Json,
    /// No body.
    Empty,
    /// A byte stream (not JSON, or successes that differ).
    Stream,
}

/// The kind of `operation`'s success answer, decided as [`responses`] decides its type.
pub(crate) fn answer(spec: &OpenAPI, operation: &Operation) -> Answer {
    let found = successes(spec, operation);
    let kinds: BTreeSet<&Kind> = found.iter().map(|(_, kind)| kind).collect();
    match kinds.into_iter().collect::<Vec<_>>().as_slice() {
        [Kind::Json(_)] => Answer::Json,
        [] | [Kind::None] => Answer::Empty,
        _ => Answer::Stream,
    }
}

/// The success type and the match arms that decode it (every other status is read as an error
/// by the rim, whatever the description declares). The arms name the `operation` of the
/// `send` they are written into.
fn responses(
    spec: &OpenAPI,
    operation: &Operation,
    types: &BTreeSet<String>,
) -> Result<(TokenStream, Vec<TokenStream>), String> {
    let found = successes(spec, operation);
    let kinds: BTreeSet<&Kind> = found.iter().map(|(_, kind)| kind).collect();
    let (success, decode) = match kinds.into_iter().collect::<Vec<_>>().as_slice() {
        [Kind::Json(reference)] => (
            type_of(reference, types)?,
            quote!(crate::call::json(operation, response).await),
        ),
        [] | [Kind::None] => (quote!(()), quote!(Ok(ResponseValue::empty(response)))),
        _ => (
            quote!(ByteStream),
            quote!(Ok(ResponseValue::stream(response))),
        ),
    };
    let pattern = |status: &StatusCode| match status {
        StatusCode::Code(code) => quote!(#code),
        StatusCode::Range(range) => {
            let (low, high) = (range * 100, range * 100 + 99);
            quote!(#low..=#high)
        }
    };
    let mut ordered: Vec<&StatusCode> = found.iter().map(|(status, _)| status).collect();
    ordered.sort_by_key(|s| matches!(s, StatusCode::Range(_)));
    let success_arms = ordered
        .into_iter()
        .map(|status| {
            let pattern = pattern(status);
            quote!(#pattern => #decode,)
        })
        .collect();
    Ok((success, success_arms))
}

pub(crate) fn path_param_type(spec: &OpenAPI, parameter: &Parameter) -> TokenStream {
    let scalar = match &parameter.parameter_data_ref().format {
        openapiv3::ParameterSchemaOrContent::Schema(item) => schema(spec, item).and_then(scalar),
        openapiv3::ParameterSchemaOrContent::Content(_) => None,
    };
    match scalar {
        Some(Scalar::Int32) => quote!(i32),
        Some(Scalar::Int64) => quote!(i64),
        Some(Scalar::Number) => quote!(f64),
        Some(Scalar::Boolean) => quote!(bool),
        _ => quote!(::std::string::String),
    }
}

/// The multipart operations of a product: the `multipart` module (forms and builders) and the
/// `Client` methods that start them. Empty when the product has none.
pub(crate) fn render(
    spec: &OpenAPI,
    operations: &[OperationView<'_>],
    types: &BTreeSet<String>,
) -> Result<TokenStream, CodegenError> {
    let mut items = Vec::new();
    let mut methods = Vec::new();
    for op in operations {
        if !sends_multipart(spec, op.operation) {
            continue;
        }
        let failed =
            |reason: String| CodegenError::Generator(format!("{}: {reason}", op.operation_id));
        let fields = form_fields(spec, op.operation)
            .map_err(|reason| failed(Rule::MultipartShape(reason).to_string()))?;
        let table = ident(&op.operation_id.to_shouty_snake_case());
        let (success, success_arms) = responses(spec, op.operation, types).map_err(failed)?;
        let base = op.operation_id.to_pascal_case();
        let builder = ident(&base);
        let form = ident(&format!("{base}Form"));
        let method = ident(&op.operation_id.to_snake_case());
        let http_method = ident(&op.method);

        let field_idents: Vec<Ident> = fields.iter().map(|f| ident(&field_name(&f.name))).collect();
        let field_types: Vec<TokenStream> = fields.iter().map(field_type).collect();
        let field_docs = fields.iter().map(|f| {
            let what = match (f.list, f.required) {
                (true, true) => "one part per item, at least one",
                (true, false) => "one part per item",
                (false, true) => "required",
                (false, false) => "optional",
            };
            format!(" The part `{}` ({what}).", f.name)
        });
        let field_syn_types: Vec<syn::Type> = field_types
            .iter()
            .map(|ty| syn::parse2(ty.clone()))
            .collect::<Result<_, _>>()
            .map_err(|e| failed(e.to_string()))?;
        let constructors = crate::constructors::constructors(
            &form,
            fields
                .iter()
                .zip(&field_idents)
                .zip(&field_syn_types)
                .map(|((f, id), ty)| {
                    let start = match (f.required, f.list) {
                        (true, _) => Start::Given,
                        (false, true) => Start::Empty,
                        (false, false) => Start::Optional(
                            syn::parse2(scalar_type(f.scalar)).unwrap_or_else(|_| ty.clone()),
                        ),
                    };
                    (id, ty, start)
                }),
        );
        let pushes = fields.iter().zip(&field_idents).map(|(f, id)| {
            let name = &f.name;
            let value = |v: TokenStream| match f.scalar {
                Scalar::File => quote!(crate::Field::File(#v)),
                Scalar::Text => quote!(crate::Field::Text(::std::clone::Clone::clone(#v))),
                Scalar::Json => quote!(crate::Field::Json(#v)),
                _ => quote!(crate::Field::Text(::std::string::ToString::to_string(#v))),
            };
            match (f.list, f.required) {
                (true, _) => {
                    let v = value(quote!(item));
                    quote!(for item in &self.#id { fields.push((#name, #v)); })
                }
                (false, true) => {
                    let v = value(quote!(&self.#id));
                    quote!(fields.push((#name, #v));)
                }
                (false, false) => {
                    let v = value(quote!(value));
                    quote!(if let Some(value) = &self.#id { fields.push((#name, #v)); })
                }
            }
        });

        let path_params: Vec<(String, Ident, TokenStream)> = op
            .operation
            .parameters
            .iter()
            .filter_map(|p| p.as_item())
            .map(|p| {
                let name = p.parameter_data_ref().name.clone();
                (
                    name.clone(),
                    ident(&field_name(&name)),
                    path_param_type(spec, p),
                )
            })
            .collect();
        let param_idents: Vec<&Ident> = path_params.iter().map(|(_, id, _)| id).collect();
        let param_types: Vec<&TokenStream> = path_params.iter().map(|(_, _, ty)| ty).collect();
        let param_names: Vec<&String> = path_params.iter().map(|(n, _, _)| n).collect();
        let param_docs = param_names
            .iter()
            .map(|n| format!(" Sets the path parameter `{n}`."));
        let missing = param_names.iter().map(|n| format!("`{n}` was not set"));
        // The path with each `{name}` as a `{}` of format!, in the order they appear.
        let mut template = String::new();
        let mut in_path = Vec::new();
        let mut rest = op.path;
        while let Some(open) = rest.find('{') {
            template.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + close];
            let Some((_, id, _)) = path_params.iter().find(|(n, _, _)| n == name) else {
                return Err(failed(format!(
                    "the path names `{name}`, which no parameter declares"
                )));
            };
            template.push_str("{}");
            in_path.push(id.clone());
            rest = &rest[open + close + 1..];
        }
        template.push_str(rest);
        let url_format = format!("{{}}{template}");
        let doc_form = format!(
            " The form of `{}` ({} {}): one field per part. [`{form}::new`] takes the required \
             parts.",
            op.operation_id, op.method, op.path
        );
        let doc_builder = format!(
            " Builder for `{}` ({} {}), a `multipart/form-data` upload: set the path \
             parameters and the [`{form}`], then [`send`](Self::send).",
            op.operation_id, op.method, op.path
        );
        let doc_method = format!(
            " Sends `{}` ({} {}), a `multipart/form-data` upload whose file parts are streamed \
             (and opened again if the call is replayed after a 401).",
            op.operation_id, op.method, op.path
        );
        items.push(quote! {
            #[doc = #doc_form]
            #[derive(Debug, Clone)]
            #[non_exhaustive]
            pub struct #form {
                #(#[doc = #field_docs] pub #field_idents: #field_types,)*
            }

            #constructors

            impl crate::Form for #form {
                fn fields(&self) -> ::std::vec::Vec<(&'static str, crate::Field<'_>)> {
                    let mut fields = ::std::vec::Vec::new();
                    #(#pushes)*
                    fields
                }
            }

            #[doc = #doc_builder]
            #[derive(Debug, Clone)]
            pub struct #builder<'a> {
                client: &'a super::Client,
                #(#param_idents: ::std::option::Option<#param_types>,)*
                form: ::std::option::Option<#form>,
            }

            impl<'a> #builder<'a> {
                /// A builder for `client`.
                pub fn new(client: &'a super::Client) -> Self {
                    Self {
                        client,
                        #(#param_idents: ::std::option::Option::None,)*
                        form: ::std::option::Option::None,
                    }
                }

                #(
                    #[doc = #param_docs]
                    pub fn #param_idents(mut self, value: impl ::std::convert::Into<#param_types>) -> Self {
                        self.#param_idents = ::std::option::Option::Some(value.into());
                        self
                    }
                )*

                /// Sets the form to upload.
                pub fn form(mut self, form: #form) -> Self {
                    self.form = ::std::option::Option::Some(form);
                    self
                }

                /// Sends the upload through the client's authenticator.
                pub async fn send(self) -> ::std::result::Result<ResponseValue<#success>, Error> {
                    let operation = &super::operations::#table;
                    let Self { client, #(#param_idents,)* form } = self;
                    #(
                        let #param_idents = #param_idents
                            .ok_or_else(|| crate::call::invalid_request(operation, #missing))?;
                    )*
                    let form = form
                        .ok_or_else(|| crate::call::invalid_request(operation, "the form was not set"))?;
                    let url = format!(
                        #url_format,
                        client.baseurl,
                        #(crate::multipart::encode_path(&::std::string::ToString::to_string(&#in_path)),)*
                    );
                    let response = crate::multipart::send(
                        &client.inner,
                        &client.client,
                        operation,
                        ::reqwest::Method::#http_method,
                        &url,
                        &form,
                    )
                    .await?;
                    match response.status().as_u16() {
                        #(#success_arms)*
                        _ => crate::call::failure(operation, response).await,
                    }
                }
            }
        });
        methods.push(quote! {
            #[doc = #doc_method]
            pub fn #method(&self) -> multipart::#builder<'_> {
                multipart::#builder::new(self)
            }
        });
    }
    if items.is_empty() {
        return Ok(TokenStream::new());
    }
    Ok(quote! {
        /// The product's `multipart/form-data` uploads, written by codegen (progenitor 0.15 has
        /// none): a form per operation, with file parts as [`FilePart`](crate::FilePart)s.
        pub mod multipart {
            use super::types;
            use crate::{ByteStream, Error, ResponseValue};

            #(#items)*
        }

        impl Client {
            #(#methods)*
        }
    })
}
