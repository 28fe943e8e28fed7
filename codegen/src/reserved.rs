//! Names a description cannot give its schemas and operations, because the generated module
//! already uses them: the import renames such names, the validation refuses them.
//!
//! A schema becomes a type of the `types` module, whose generated code names std's types,
//! variants and traits unqualified (`Box::new`, `Ok(..)`, `Default::default()`); a type called
//! `Box` would shadow them. An operation `x-y` becomes the method `Client::x_y`, the builder
//! struct `builder::XY` and the static `operations::X_Y`: the method must not be one that
//! progenitor or the rim gives `Client`, the struct must not shadow the builder module's
//! imports or std's names, and the static must not be the table's `ALL`.

use heck::{ToPascalCase, ToShoutySnakeCase, ToSnakeCase};

/// std's prelude (2021 edition): types, enum variants, traits and derive macros.
pub(crate) const STD_PRELUDE: &[&str] = &[
    "AsMut",
    "AsRef",
    "Box",
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "DoubleEndedIterator",
    "Drop",
    "Eq",
    "Err",
    "ExactSizeIterator",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "FromIterator",
    "Hash",
    "Into",
    "IntoIterator",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Vec",
];

/// What progenitor's `builder` module imports from the client module (`use super::{..}`).
pub(crate) const BUILDER_IMPORTS: &[&str] = &[
    "ByteStream",
    "ClientHooks",
    "ClientInfo",
    "Error",
    "OperationInfo",
    "RequestBuilderExt",
    "ResponseValue",
];

/// Methods `Client` has besides its operations: progenitor's (`new`, `new_with_client`,
/// `ClientInfo`, `ClientHooks`), the rim's `ProductClient`, and the derived `Clone` and
/// `Debug`, which an inherent method of the same name would hide.
pub(crate) const CLIENT_METHODS: &[&str] = &[
    "api_version",
    "assert_client_hooks",
    "baseurl",
    "client",
    "clone",
    "exec",
    "fmt",
    "from_parts",
    "inner",
    "new",
    "new_with_client",
    "post",
    "pre",
];

/// The statics of a product's operations table besides its operations.
pub(crate) const TABLE_STATICS: &[&str] = &["ALL"];

/// Why a schema cannot be called `name` (its key in `components.schemas`), if it cannot.
pub(crate) fn schema_name_clash(name: &str) -> Option<String> {
    let type_name = name.to_pascal_case();
    STD_PRELUDE.contains(&type_name.as_str()).then(|| {
        format!("its type `{type_name}` would shadow std's `{type_name}` in the generated code")
    })
}

/// Why an operation cannot have `operation_id`, if it cannot.
pub(crate) fn operation_id_clash(operation_id: &str) -> Option<String> {
    let method = operation_id.to_snake_case();
    if CLIENT_METHODS.contains(&method.as_str()) {
        return Some(format!(
            "its method `Client::{method}` is one the generated client already has"
        ));
    }
    if syn::parse_str::<syn::Ident>(&method).is_err() {
        return Some(format!("its method `{method}` would be a Rust keyword"));
    }
    let builder = operation_id.to_pascal_case();
    if STD_PRELUDE.contains(&builder.as_str()) || BUILDER_IMPORTS.contains(&builder.as_str()) {
        return Some(format!(
            "its builder struct `builder::{builder}` would shadow the `{builder}` that the \
             generated builders use"
        ));
    }
    let table = operation_id.to_shouty_snake_case();
    if TABLE_STATICS.contains(&table.as_str()) {
        return Some(format!(
            "its static `operations::{table}` is the operations table's own"
        ));
    }
    None
}
