//! Enums that a response can carry are left open.
//!
//! Infobip may add enum values in a minor release (a new status group, a new error group).
//! Typify turns each string enum into a closed Rust enum, so one new value would fail the
//! whole response. Every string enum reachable from an operation's success type therefore gets
//! one more variant, `Other(String)`, which serde fills with any value the description does not
//! list (and writes back as sent). The enum loses `Copy`; `Display` writes the value, and
//! `FromStr` accepts any string.
//!
//! The one exception is the enum that pins an alternative's discriminator (see
//! `import::discriminator`): its being closed is what makes serde pick that alternative, so it
//! stays closed, and an answer naming an alternative the description does not list fails to
//! decode rather than decoding as another alternative that drops its fields.
//!
//! The catch-all is always `Other`, so that code matching on any open enum reads the same. A
//! published value that typify already named `Other` (Infobip lists `OTHER` in several
//! enums) is renamed `OtherValue` (`OtherValue2`, ... if that is taken too), keeping its wire
//! value through `#[serde(rename)]`, and every path to it in the file follows.

use std::collections::{BTreeMap, BTreeSet};

use syn::visit::Visit;
use syn::{parse_quote, Item, ItemEnum, ItemImpl};

/// Opens the string enums of `file` (a progenitor client) that its success types reach;
/// returns the published `Other` variants it renamed (enum name -> new variant name), which
/// the product's other generated code must follow too (see [`rename_published_other`]).
pub(crate) fn open_response_enums(file: &mut syn::File) -> BTreeMap<String, String> {
    let roots = success_types(file);
    let Some(types) = types_module(file) else {
        return BTreeMap::new();
    };
    let graph = references(types);
    let reachable = reach(&graph, roots);
    let pins = alternative_pins(types);
    let open: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e)
                if is_string_enum(e)
                    && reachable.contains(&e.ident.to_string())
                    && !pins.contains(&e.ident.to_string()) =>
            {
                Some(e.ident.to_string())
            }
            _ => None,
        })
        .collect();
    let mut renamed = BTreeMap::new();
    for item in types.iter() {
        if let Item::Enum(e) = item {
            if open.contains(&e.ident.to_string()) {
                if let Some(name) = free_name_for_published_other(e) {
                    renamed.insert(e.ident.to_string(), name);
                }
            }
        }
    }
    if !renamed.is_empty() {
        rename_published_other(file, &renamed);
    }
    let Some(types) = types_module(file) else {
        return renamed;
    };
    for item in types.iter_mut() {
        match item {
            Item::Enum(e) if open.contains(&e.ident.to_string()) => open_enum(e),
            Item::Impl(i) if impl_target(i).is_some_and(|t| open.contains(&t)) => open_impl(i),
            _ => {}
        }
    }
    renamed
}

fn types_module(file: &mut syn::File) -> Option<&mut Vec<Item>> {
    file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// The types named in `ResponseValue<types::X>` anywhere outside `types`: what operations
/// return.
fn success_types(file: &syn::File) -> BTreeSet<String> {
    struct Finder(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_path_segment(&mut self, segment: &'ast syn::PathSegment) {
            if segment.ident == "ResponseValue" {
                let mut names = Names::default();
                names.visit_path_arguments(&segment.arguments);
                self.0.extend(names.0);
            }
            syn::visit::visit_path_segment(self, segment);
        }
    }
    let mut finder = Finder(BTreeSet::new());
    // Webhook payloads (`type Payload = types::X;` in the `webhooks` module) are received too.
    for item in &file.items {
        let Item::Mod(m) = item else { continue };
        if m.ident != "webhooks" {
            continue;
        }
        for item in m.content.iter().flat_map(|(_, items)| items) {
            let Item::Impl(block) = item else { continue };
            for member in &block.items {
                if let syn::ImplItem::Type(alias) = member {
                    if alias.ident == "Payload" {
                        let mut names = Names::default();
                        names.visit_type(&alias.ty);
                        finder.0.extend(names.0);
                    }
                }
            }
        }
    }
    for item in &file.items {
        if !matches!(item, Item::Mod(m) if m.ident == "types") {
            finder.visit_item(item);
        }
    }
    finder.0
}

/// Every identifier in a path, as type names.
#[derive(Default)]
struct Names(BTreeSet<String>);

impl<'ast> Visit<'ast> for Names {
    fn visit_ident(&mut self, ident: &'ast syn::Ident) {
        self.0.insert(ident.to_string());
    }
}

/// For each struct and enum of `types`, the names its fields and variants mention.
fn references(types: &[Item]) -> BTreeMap<String, BTreeSet<String>> {
    types
        .iter()
        .filter_map(|item| {
            let mut names = Names::default();
            let ident = match item {
                Item::Struct(s) => {
                    names.visit_fields(&s.fields);
                    &s.ident
                }
                Item::Enum(e) => {
                    for variant in &e.variants {
                        names.visit_fields(&variant.fields);
                    }
                    &e.ident
                }
                _ => return None,
            };
            Some((ident.to_string(), names.0))
        })
        .collect()
}

fn reach(graph: &BTreeMap<String, BTreeSet<String>>, roots: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !graph.contains_key(&name) || !seen.insert(name.clone()) {
            continue;
        }
        todo.extend(graph[&name].iter().cloned());
    }
    seen
}

/// The string enums that tell the alternatives of an untagged enum apart: a field that every
/// alternative (a struct) has under the same name, typed by a string enum of its own in each
/// (the import pins each alternative's discriminator property to its values). serde tries the
/// alternatives in order, so an opened pin would take any value and the first alternative
/// whose required fields are present would win, dropping the fields of the one that was sent.
fn alternative_pins(types: &[Item]) -> BTreeSet<String> {
    let structs: BTreeMap<String, &syn::ItemStruct> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((s.ident.to_string(), s)),
            _ => None,
        })
        .collect();
    let string_enums: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) if is_string_enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut pins = BTreeSet::new();
    for item in types {
        let Item::Enum(e) = item else { continue };
        if !has_serde(&e.attrs, "untagged") {
            continue;
        }
        // Each alternative's fields (name -> the type it names), for the alternatives that
        // wrap a struct: one that holds no value (an empty enum, where the description pins
        // a value its base does not allow) is never chosen and does not hide the others' pins.
        let alternatives: Vec<BTreeMap<String, String>> = e
            .variants
            .iter()
            .filter_map(|v| match &v.fields {
                syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                    let wrapped = type_name(&f.unnamed[0].ty)?;
                    structs.get(&wrapped).map(|s| field_types(s))
                }
                _ => None,
            })
            .collect();
        let Some((first, rest)) = alternatives.split_first() else {
            continue;
        };
        for (field, ty) in first {
            let tys: Option<BTreeSet<&String>> = std::iter::once(Some(ty))
                .chain(rest.iter().map(|fields| fields.get(field)))
                .collect();
            let Some(tys) = tys else { continue };
            if tys.len() > 1 && tys.iter().all(|t| string_enums.contains(*t)) {
                pins.extend(tys.into_iter().cloned());
            }
        }
    }
    pins
}

/// The type a field holds by value (through `Box`), by its last path segment; none for an
/// `Option` or any other wrapper, since a pin is required.
fn type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Box" {
        return Some(last.ident.to_string());
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(inner) => type_name(inner),
            _ => None,
        },
        _ => None,
    }
}

/// A struct's named fields and the types they hold by value.
fn field_types(s: &syn::ItemStruct) -> BTreeMap<String, String> {
    s.fields
        .iter()
        .filter_map(|f| Some((f.ident.as_ref()?.to_string(), type_name(&f.ty)?)))
        .collect()
}

/// An enum of unit variants, each renamed to its wire value: typify's string enum.
fn is_string_enum(e: &ItemEnum) -> bool {
    !e.variants.is_empty()
        && e.variants
            .iter()
            .all(|v| matches!(v.fields, syn::Fields::Unit))
}

fn impl_target(i: &ItemImpl) -> Option<String> {
    match &*i.self_ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn open_enum(e: &mut ItemEnum) {
    for attr in &mut e.attrs {
        if attr.path().is_ident("derive") {
            if let Ok(list) = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            ) {
                let kept = list.iter().filter(|p| !p.is_ident("Copy"));
                *attr = parse_quote!(#[derive(#(#kept),*)]);
            }
        }
    }
    e.variants.push(parse_quote! {
        /// A value this description does not list (Infobip may add values in a minor
        /// release), kept as sent.
        #[serde(untagged)]
        Other(::std::string::String)
    });
}

/// Gives `Display` and `FromStr` of an opened enum their `Other` arms.
fn open_impl(i: &mut ItemImpl) {
    let Some((_, trait_path, _)) = &i.trait_ else {
        return;
    };
    let name = trait_path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    let arm: syn::Arm = match name.as_str() {
        "Display" => parse_quote!(Self::Other(ref value) => f.write_str(value),),
        "FromStr" => parse_quote!(_ => Ok(Self::Other(value.to_owned())),),
        _ => return,
    };
    struct Arms(syn::Arm);
    impl syn::visit_mut::VisitMut for Arms {
        fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
            // Typify's `FromStr` ends with `_ => Err(..)`; its `Display` lists every variant.
            m.arms.retain(|arm| !matches!(arm.pat, syn::Pat::Wild(_)));
            m.arms.push(self.0.clone());
        }
    }
    syn::visit_mut::VisitMut::visit_item_impl_mut(&mut Arms(arm), i);
}

/// The name for a published variant that typify called `Other`, if `e` has one: `OtherValue`,
/// or the first of `OtherValue2`, `OtherValue3`, ... that no other variant has.
fn free_name_for_published_other(e: &ItemEnum) -> Option<String> {
    let names: BTreeSet<String> = e.variants.iter().map(|v| v.ident.to_string()).collect();
    if !names.contains("Other") {
        return None;
    }
    (1..)
        .map(|n| match n {
            1 => String::from("OtherValue"),
            n => format!("OtherValue{n}"),
        })
        .find(|candidate| !names.contains(candidate))
}

/// Renames the published `Other` variant of each enum in `renamed` (enum name -> new variant
/// name): the variant, with its wire value pinned by `#[serde(rename)]`, and every path to it
/// in the file (`Enum::Other`, and `Self::Other` in the enum's own impls). The command line's
/// generated code, which lists each enum's values, goes through it as well.
pub(crate) fn rename_published_other(file: &mut syn::File, renamed: &BTreeMap<String, String>) {
    struct Paths<'a> {
        renamed: &'a BTreeMap<String, String>,
        /// The enum whose impl is being visited, for `Self::Other`.
        current: Option<String>,
    }
    impl syn::visit_mut::VisitMut for Paths<'_> {
        fn visit_item_enum_mut(&mut self, e: &mut ItemEnum) {
            if let Some(new) = self.renamed.get(&e.ident.to_string()) {
                for variant in e.variants.iter_mut().filter(|v| v.ident == "Other") {
                    if !has_serde(&variant.attrs, "rename") {
                        // serde wrote the variant's own name; keep that on the wire.
                        variant.attrs.push(parse_quote!(#[serde(rename = "Other")]));
                    }
                    variant.ident = syn::Ident::new(new, variant.ident.span());
                }
            }
            syn::visit_mut::visit_item_enum_mut(self, e);
        }
        fn visit_item_impl_mut(&mut self, i: &mut ItemImpl) {
            let outer = self.current.take();
            self.current = impl_target(i).filter(|t| self.renamed.contains_key(t));
            syn::visit_mut::visit_item_impl_mut(self, i);
            self.current = outer;
        }
        fn visit_path_mut(&mut self, path: &mut syn::Path) {
            let len = path.segments.len();
            if len >= 2 && path.segments[len - 1].ident == "Other" {
                let owner = path.segments[len - 2].ident.to_string();
                let target = if owner == "Self" {
                    self.current.as_ref()
                } else {
                    Some(&owner)
                };
                if let Some(new) = target.and_then(|t| self.renamed.get(t)) {
                    let last = &mut path.segments[len - 1];
                    last.ident = syn::Ident::new(new, last.ident.span());
                }
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
    }
    syn::visit_mut::VisitMut::visit_file_mut(
        &mut Paths {
            renamed,
            current: None,
        },
        file,
    );
}

/// Whether a `#[serde(...)]` attribute among `attrs` says `word` (`rename`, `untagged`).
fn has_serde(attrs: &[syn::Attribute], word: &str) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("serde")
            && quote::ToTokens::to_token_stream(&attr.meta)
                .to_string()
                .contains(word)
    })
}
