//! What a `multipart/form-data` upload holds, read from the description: the facts both the
//! validation (`spec.rs`) and the code written for uploads (`bodies.rs`) need, so that neither
//! imports the other.

use std::collections::BTreeSet;

use heck::ToSnakeCase;
use openapiv3::{MediaType, OpenAPI, Operation, Parameter, ReferenceOr, Schema, SchemaKind, Type};

/// The media type of the uploads written here.
pub(crate) const MULTIPART: &str = "multipart/form-data";

/// What one form property holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    File,
    Text,
    DateTime,
    Int32,
    Int64,
    Number,
    Boolean,
    /// An object, sent as its JSON text.
    Json,
}

/// One property of a multipart form.
#[derive(Debug, Clone)]
pub(crate) struct FormField {
    /// The property's name, which is the part's name.
    pub(crate) name: String,
    pub(crate) scalar: Scalar,
    /// An array: one part per item.
    pub(crate) list: bool,
    pub(crate) required: bool,
    /// A secret (`format: password`): the command line reads it from standard input, never
    /// from a flag.
    pub(crate) secret: bool,
}

/// The schema of `operation`'s multipart body, if it sends one.
pub(crate) fn multipart_schema<'a>(
    spec: &'a OpenAPI,
    operation: &'a Operation,
) -> Option<&'a ReferenceOr<Schema>> {
    let body = match operation.request_body.as_ref()? {
        ReferenceOr::Item(body) => body,
        ReferenceOr::Reference { reference } => spec
            .components
            .as_ref()?
            .request_bodies
            .get(reference.strip_prefix("#/components/requestBodies/")?)?
            .as_item()?,
    };
    let media: &MediaType = body
        .content
        .iter()
        .find(|(media, _)| is_multipart(media))
        .map(|(_, media)| media)?;
    media.schema.as_ref()
}

/// Whether a request media type is `multipart/form-data`.
pub(crate) fn is_multipart(media: &str) -> bool {
    media.split(';').next().unwrap_or_default().trim() == MULTIPART
}

/// Whether `operation` sends a multipart body (and so is written here).
pub(crate) fn sends_multipart(spec: &OpenAPI, operation: &Operation) -> bool {
    multipart_schema(spec, operation).is_some()
}

pub(crate) fn schema<'a>(spec: &'a OpenAPI, item: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match item {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } => spec
            .components
            .as_ref()?
            .schemas
            .get(reference.strip_prefix("#/components/schemas/")?)?
            .as_item(),
    }
}

pub(crate) fn boxed_schema<'a>(
    spec: &'a OpenAPI,
    item: &'a ReferenceOr<Box<Schema>>,
) -> Option<&'a Schema> {
    match item {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } => schema(
            spec,
            // Borrowing a component by name needs no copy of the reference.
            spec.components
                .as_ref()?
                .schemas
                .get(reference.strip_prefix("#/components/schemas/")?)?,
        ),
    }
}

pub(crate) fn scalar(schema: &Schema) -> Option<Scalar> {
    use openapiv3::{StringFormat, VariantOrUnknownOrEmpty as F};
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => Some(match &string.format {
            F::Item(StringFormat::Binary) => Scalar::File,
            F::Item(StringFormat::DateTime) => Scalar::DateTime,
            _ => Scalar::Text,
        }),
        SchemaKind::Type(Type::Integer(integer)) => Some(match &integer.format {
            F::Item(openapiv3::IntegerFormat::Int32) => Scalar::Int32,
            _ => Scalar::Int64,
        }),
        SchemaKind::Type(Type::Number(_)) => Some(Scalar::Number),
        SchemaKind::Type(Type::Boolean(_)) => Some(Scalar::Boolean),
        SchemaKind::Type(Type::Object(_)) => Some(Scalar::Json),
        // A schema with keywords its type does not have (Infobip's strings with a `maximum`)
        // reads as `Any`; its `type` and `format` still say what it is.
        SchemaKind::Any(any) => match (any.typ.as_deref(), any.format.as_deref()) {
            (Some("string"), Some("binary")) => Some(Scalar::File),
            (Some("string"), Some("date-time")) => Some(Scalar::DateTime),
            (Some("string"), _) => Some(Scalar::Text),
            (Some("integer"), Some("int32")) => Some(Scalar::Int32),
            (Some("integer"), _) => Some(Scalar::Int64),
            (Some("number"), _) => Some(Scalar::Number),
            (Some("boolean"), _) => Some(Scalar::Boolean),
            (Some("object"), _) => Some(Scalar::Json),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a string schema is a secret (`format: password`), in either form.
fn is_password(schema: &Schema) -> bool {
    use openapiv3::{StringFormat, VariantOrUnknownOrEmpty as F};
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            matches!(string.format, F::Item(StringFormat::Password))
        }
        SchemaKind::Any(any) => any.format.as_deref() == Some("password"),
        _ => false,
    }
}

/// The items of an array schema, in either form.
fn array_items<'a>(spec: &'a OpenAPI, schema: &'a Schema) -> Option<Option<&'a Schema>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array)) => Some(
            array
                .items
                .as_ref()
                .and_then(|items| boxed_schema(spec, items)),
        ),
        SchemaKind::Any(any) if any.typ.as_deref() == Some("array") => Some(
            any.items
                .as_ref()
                .and_then(|items| boxed_schema(spec, items)),
        ),
        _ => None,
    }
}

/// The fields of `operation`'s multipart form, or the rule its schema breaks.
/// The form's fields; the error says what shape is wrong (the validation's `MultipartShape`).
pub(crate) fn form_fields(spec: &OpenAPI, operation: &Operation) -> Result<Vec<FormField>, String> {
    let shape = |reason: String| reason;
    let Some(item) = multipart_schema(spec, operation) else {
        return Err(shape(String::from("the multipart body has no schema")));
    };
    let Some(object) = schema(spec, item) else {
        return Err(shape(String::from("its schema reference does not resolve")));
    };
    let SchemaKind::Type(Type::Object(object)) = &object.schema_kind else {
        return Err(shape(String::from(
            "its schema is not an object with properties (each property is one part)",
        )));
    };
    if object.properties.is_empty() {
        return Err(shape(String::from("its schema has no properties")));
    }
    let mut fields = Vec::new();
    for (name, property) in &object.properties {
        let Some(property) = boxed_schema(spec, property) else {
            return Err(shape(format!("property `{name}` does not resolve")));
        };
        let (found, list) = match array_items(spec, property) {
            Some(items) => (items.and_then(scalar), true),
            None => (scalar(property), false),
        };
        let Some(scalar) = found else {
            return Err(shape(format!(
                "property `{name}` is neither a string, a number, a boolean, a file \
                 (`format: binary`), an object nor an array of one of those"
            )));
        };
        fields.push(FormField {
            name: name.clone(),
            scalar,
            list,
            required: object.required.contains(name),
            secret: is_password(property),
        });
    }
    let mut idents = BTreeSet::new();
    if let Some(clash) = fields.iter().find(|f| !idents.insert(field_name(&f.name))) {
        return Err(shape(format!(
            "two properties become the Rust field `{}`",
            field_name(&clash.name)
        )));
    }
    let in_query = operation.parameters.iter().find_map(|p| match p {
        ReferenceOr::Item(Parameter::Path { .. }) => None,
        ReferenceOr::Item(other) => Some(other.parameter_data_ref().name.clone()),
        ReferenceOr::Reference { reference } => Some(reference.clone()),
    });
    if let Some(name) = in_query {
        return Err(shape(format!(
            "parameter `{name}` is not a path parameter (the uploads written by codegen take \
             path parameters only; add query support to codegen/src/bodies.rs)"
        )));
    }
    Ok(fields)
}

/// The Rust field a form property becomes (a keyword gets a trailing `_`).
pub(crate) fn field_name(property: &str) -> String {
    let name = property.to_snake_case();
    if syn::parse_str::<proc_macro2::Ident>(&name).is_ok() {
        name
    } else {
        format!("{name}_")
    }
}
