//! Each operation's `send`, taken over from progenitor so that it returns the rim's error type.
//!
//! Progenitor's `send` returns `progenitor_client::Error<E>`: a failure of the authenticator
//! reaches the caller as text (`Error::Custom`), an answer with a status the description does
//! not declare arrives unread, and `{}` prints the response headers. Progenitor's request
//! building is kept as it is (URL, query, headers, body); what happens after is rewritten:
//! - the request goes through `crate::call::execute` (the authenticator's `prepare` and
//!   `send`) instead of progenitor's hooks, with the operation's static from its table;
//! - a JSON success is decoded by `crate::call::json`, and every other status by
//!   `crate::call::failure`, which reads Infobip's error body whatever the status;
//! - each `?` on a request-building step maps its failure to the rim's error for that
//!   operation;
//! - each builder gets `call_timeout`, which bounds that call instead of the connection's
//!   default (a field and setter named `timeout` can be an operation's own parameter);
//! - progenitor's `api-version` header goes (see [`drop_api_version`]);
//! - the request is built when `send` is called, and the future `send` returns holds only
//!   what the call needs after that (see [`build_eagerly`]).
//!
//! Any shape this pass does not recognise is an error: a `send` left half rewritten would not
//! compile, and a regen that fails says where.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;

use crate::CodegenError;

/// Rewrites every `send` of the `builder` module of `file`, progenitor's client for a product.
/// `statics` maps each client method name to its operation's static in the product's
/// `operations` module.
pub(crate) fn own_sends(
    file: &mut syn::File,
    statics: &BTreeMap<String, Ident>,
) -> Result<(), CodegenError> {
    let failed = |message: String| CodegenError::Generator(format!("rewriting `send`: {message}"));
    // The product module re-exports the rim's error instead of progenitor's, so that the
    // generated code and a caller naming `product::Error` see the same type.
    for item in &mut file.items {
        if let syn::Item::Use(item) = item {
            drop_progenitor_error(&mut item.tree);
        }
    }
    file.items.retain(|item| !asserts_client_hooks(item));
    file.items.push(syn::parse_quote!(
        pub use crate::Error;
    ));
    let builder = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "builder" => module.content.as_mut(),
            _ => None,
        })
        .ok_or_else(|| failed(String::from("progenitor wrote no `builder` module")))?;
    for item in &mut builder.1 {
        match item {
            syn::Item::Struct(structure) => {
                if let syn::Fields::Named(fields) = &mut structure.fields {
                    fields.named.push(syn::parse_quote!(
                        call_timeout: ::std::option::Option<::std::time::Duration>
                    ));
                }
            }
            syn::Item::Impl(block) => {
                for item in &mut block.items {
                    if let syn::ImplItem::Fn(function) = item {
                        if function.sig.ident == "send" {
                            rewrite_send(function, statics).map_err(&failed)?;
                        } else if function.sig.ident == "new" {
                            start_without_timeout(function).map_err(&failed)?;
                        }
                    }
                }
                block.items.push(syn::parse_quote! {
                    /// Bounds each attempt of this call: the request and its answer must be
                    /// done within `timeout`, instead of the connection's default. A call that
                    /// is retried (a read, by default) takes one such bound per attempt.
                    pub fn call_timeout(mut self, timeout: ::std::time::Duration) -> Self {
                        self.call_timeout = ::std::option::Option::Some(timeout);
                        self
                    }
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The builder's `new`, with no timeout of its own.
fn start_without_timeout(function: &mut syn::ImplItemFn) -> Result<(), String> {
    for stmt in &mut function.block.stmts {
        if let syn::Stmt::Expr(syn::Expr::Struct(start), _) = stmt {
            start.fields.push(syn::parse_quote!(
                call_timeout: ::std::option::Option::None
            ));
            return Ok(());
        }
    }
    Err(String::from(
        "a builder's `new` that does not end in `Self { .. }`",
    ))
}

/// `pub use progenitor_client::{.., Error, ..}` without `Error`.
fn drop_progenitor_error(tree: &mut syn::UseTree) {
    match tree {
        syn::UseTree::Path(path) => drop_progenitor_error(&mut path.tree),
        syn::UseTree::Group(group) => {
            group.items = std::mem::take(&mut group.items)
                .into_iter()
                .filter(|item| !matches!(item, syn::UseTree::Name(name) if name.ident == "Error"))
                .collect();
        }
        _ => {}
    }
}

/// Progenitor's compile-time check that the client implements its hooks, which are no longer
/// used.
fn asserts_client_hooks(item: &syn::Item) -> bool {
    matches!(item, syn::Item::Const(constant) if constant.ident == "_"
        && quote!(#constant).to_string().contains("assert_client_hooks"))
}

fn rewrite_send(
    function: &mut syn::ImplItemFn,
    statics: &BTreeMap<String, Ident>,
) -> Result<(), String> {
    let method = method_name(&function.block)?;
    let table = statics
        .get(&method)
        .ok_or_else(|| format!("`{method}` has no operation in the table"))?;
    let operation = quote!(&super::operations::#table);
    if let syn::ReturnType::Type(_, output) = &mut function.sig.output {
        StripErrorArguments.visit_type_mut(output);
    }
    let mut stmts = Vec::with_capacity(function.block.stmts.len());
    let mut matched = false;
    for stmt in std::mem::take(&mut function.block.stmts) {
        let text = quote!(#stmt).to_string();
        let stmt = if text.starts_with("let Self {") {
            // The builder's own timeout comes out with its fields.
            let mut stmt = stmt;
            if let syn::Stmt::Local(local) = &mut stmt {
                if let syn::Pat::Struct(pattern) = &mut local.pat {
                    let field: syn::Ident = syn::parse_quote!(call_timeout);
                    pattern.fields.push(syn::FieldPat {
                        attrs: Vec::new(),
                        member: syn::Member::Named(field.clone()),
                        colon_token: None,
                        pat: Box::new(syn::Pat::Ident(syn::PatIdent {
                            attrs: Vec::new(),
                            by_ref: None,
                            mutability: None,
                            ident: field,
                            subpat: None,
                        })),
                    });
                }
            }
            stmt
        } else if text.starts_with("let result = client . exec (") {
            stmts.push(syn::parse_quote! {
                if let ::std::option::Option::Some(timeout) = call_timeout {
                    *request.timeout_mut() = ::std::option::Option::Some(timeout);
                }
            });
            syn::parse_quote! {
                let response = crate::call::execute(&client.inner, &client.client, #operation, request).await?;
            }
        } else if text.starts_with("let info = OperationInfo")
            || text.starts_with("client . pre (")
            || text.starts_with("client . post (")
            || text.starts_with("let response = result ?")
        {
            continue;
        } else if let syn::Stmt::Expr(syn::Expr::Match(answer), None) = stmt {
            matched = true;
            syn::Stmt::Expr(syn::Expr::Match(rewrite_match(answer, &operation)?), None)
        } else {
            let mut stmt = stmt;
            MapTries {
                operation: &operation,
            }
            .visit_stmt_mut(&mut stmt);
            stmt
        };
        stmts.push(stmt);
    }
    if !matched {
        return Err(format!(
            "`{method}`'s send ends in no `match` on the status"
        ));
    }
    drop_api_version(&mut stmts)?;
    build_eagerly(function, stmts)
}

/// `async fn send(self) -> R` becomes `fn send(self) -> impl Future<Output = R> + 'a` that
/// builds the request at once and returns a future that only sends it and reads the answer.
///
/// An `async fn` keeps its arguments and every local it holds across an `.await` in its
/// future: here the builder with its staged body, the body itself, the URL, and the header
/// map, over 1.5 KB for an SMS send, moved (copied) each time the future is, on every call.
/// A failure to build the request is still returned when the future is awaited, not before.
fn build_eagerly(function: &mut syn::ImplItemFn, stmts: Vec<syn::Stmt>) -> Result<(), String> {
    let sends = stmts
        .iter()
        .position(|stmt| {
            quote!(#stmt)
                .to_string()
                .starts_with("let response = crate :: call :: execute (")
        })
        .ok_or_else(|| String::from("a send that does not call `crate::call::execute`"))?;
    let (build, send) = stmts.split_at(sends);
    let syn::ReturnType::Type(_, output) = &function.sig.output else {
        return Err(String::from("a send that returns nothing"));
    };
    let output = output.clone();
    function.sig.asyncness = None;
    function.sig.output = syn::parse_quote!(
        -> impl ::std::future::Future<Output = #output> + 'a
    );
    function.block = syn::parse_quote!({
        let built = (move || -> ::std::result::Result<_, Error> {
            #(#build)*
            ::std::result::Result::Ok((client, request))
        })();
        async move {
            let (client, request) = built?;
            #(#send)*
        }
    });
    Ok(())
}

/// Progenitor sends every request with an `api-version` header holding the document's
/// `info.version`. Infobip reads no such header, and building it into a map of its own, merging
/// that into the request, sending it and having the server parse it cost every call: it goes.
/// An operation's own header parameters stay in the map; a map left with nothing to hold goes
/// too.
fn drop_api_version(stmts: &mut Vec<syn::Stmt>) -> Result<(), String> {
    let is_api_version = |stmt: &syn::Stmt| {
        let text = quote!(#stmt).to_string();
        text.starts_with("header_map . append") && text.contains("from_static (\"api-version\")")
    };
    let before = stmts.len();
    stmts.retain(|stmt| !is_api_version(stmt));
    if stmts.len() + 1 != before {
        return Err(String::from(
            "a send without progenitor's one `api-version` header",
        ));
    }
    let declares_map = |stmt: &syn::Stmt| {
        quote!(#stmt)
            .to_string()
            .starts_with("let mut header_map =")
    };
    let fills_map = stmts.iter().any(|stmt| {
        let text = quote!(#stmt).to_string();
        text.contains("header_map . append") || text.contains("header_map . insert")
    });
    if fills_map {
        // The map keeps its capacity for exactly the operation's own headers.
        let mut fewer = OneFewer { changed: 0 };
        for stmt in stmts.iter_mut().filter(|stmt| declares_map(stmt)) {
            fewer.visit_stmt_mut(stmt);
        }
        if fewer.changed != 1 {
            return Err(String::from(
                "a header map without progenitor's `with_capacity(N)`",
            ));
        }
        return Ok(());
    }
    stmts.retain(|stmt| !declares_map(stmt));
    let mut unmerged = UnmergeHeaderMap { removed: 0 };
    for stmt in stmts.iter_mut() {
        unmerged.visit_stmt_mut(stmt);
    }
    if unmerged.removed != 1 {
        return Err(format!(
            "a send that merges its header map {} times, not once",
            unmerged.removed
        ));
    }
    Ok(())
}

/// `HeaderMap::with_capacity(N)` becomes `HeaderMap::with_capacity(N - 1)`.
struct OneFewer {
    changed: usize,
}

impl VisitMut for OneFewer {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        let callee = &call.func;
        if !quote!(#callee).to_string().ends_with("with_capacity") {
            return;
        }
        if let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(capacity),
            ..
        })) = call.args.first_mut()
        {
            if let Ok(n @ 1..) = capacity.base10_parse::<usize>() {
                *capacity = syn::LitInt::new(&format!("{}usize", n - 1), capacity.span());
                self.changed += 1;
            }
        }
    }
}

/// `builder.headers(header_map)` becomes `builder`.
struct UnmergeHeaderMap {
    removed: usize,
}

impl VisitMut for UnmergeHeaderMap {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let syn::Expr::MethodCall(call) = expr {
            let args = &call.args;
            if call.method == "headers" && quote!(#args).to_string() == "header_map" {
                *expr = (*call.receiver).clone();
                self.removed += 1;
            }
        }
    }
}

/// The client method name progenitor's `OperationInfo` carries.
fn method_name(block: &syn::Block) -> Result<String, String> {
    for stmt in &block.stmts {
        let syn::Stmt::Local(local) = stmt else {
            continue;
        };
        let Some(init) = &local.init else {
            continue;
        };
        let syn::Expr::Struct(info) = &*init.expr else {
            continue;
        };
        if !info.path.is_ident("OperationInfo") {
            continue;
        }
        for field in &info.fields {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(name),
                ..
            }) = &field.expr
            {
                return Ok(name.value());
            }
        }
    }
    Err(String::from("a send without progenitor's `OperationInfo`"))
}

/// The status match: success arms decode through the rim, every error arm goes, and one
/// catch-all reads the error body whatever the status.
fn rewrite_match(
    mut answer: syn::ExprMatch,
    operation: &TokenStream,
) -> Result<syn::ExprMatch, String> {
    let mut arms = Vec::with_capacity(answer.arms.len());
    for mut arm in std::mem::take(&mut answer.arms) {
        let body = &arm.body;
        let text = quote!(#body).to_string();
        // prettyplease-style blocks around a single expression say the same.
        let text = text
            .strip_prefix("{ ")
            .and_then(|inner| inner.strip_suffix(" }"))
            .map(str::to_owned)
            .unwrap_or(text);
        if text.contains("Error :: ErrorResponse") || text.contains("Error :: UnexpectedResponse") {
            continue;
        }
        if text == "ResponseValue :: from_response (response) . await" {
            arm.body = Box::new(syn::parse_quote!(
                crate::call::json(#operation, response).await
            ));
        } else if !(text.starts_with("Ok (ResponseValue :: empty")
            || text.starts_with("Ok (ResponseValue :: stream"))
        {
            return Err(format!("an answer arm of an unknown shape: {text}"));
        }
        arms.push(arm);
    }
    arms.push(syn::parse_quote!(
        _ => crate::call::failure(#operation, response).await,
    ));
    answer.arms = arms;
    Ok(answer)
}

/// `Error<E>` becomes the rim's `Error`, which takes no body type.
struct StripErrorArguments;

impl VisitMut for StripErrorArguments {
    fn visit_path_segment_mut(&mut self, segment: &mut syn::PathSegment) {
        if segment.ident == "Error" {
            segment.arguments = syn::PathArguments::None;
        }
        syn::visit_mut::visit_path_segment_mut(self, segment);
    }
}

/// Every `?` of request building, with its failure mapped to the rim's error for the
/// operation: an argument the builder could not convert, a header value that cannot be sent,
/// a request reqwest could not build.
struct MapTries<'a> {
    operation: &'a TokenStream,
}

impl VisitMut for MapTries<'_> {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let syn::Expr::Try(attempt) = expr else {
            return;
        };
        let operation = self.operation;
        let inner = &mut attempt.expr;
        // `x.map_err(Error::InvalidRequest)?`: the builder's conversion failure, as text.
        if let syn::Expr::MethodCall(call) = &mut **inner {
            if call.method == "map_err" {
                let argument = &call.args;
                if quote!(#argument).to_string() == "Error :: InvalidRequest" {
                    call.args = syn::parse_quote!(
                        |e| crate::call::invalid_request(#operation, e)
                    );
                    return;
                }
            }
        }
        let mapped: syn::Expr = match &**inner {
            // reqwest refusing to build the request: a bad URL or header, or (as for any
            // reqwest error) one the transport reports.
            syn::Expr::MethodCall(call) if call.method == "build" => syn::parse_quote!(
                #inner.map_err(|e| crate::call::transport_error(#operation, e))
            ),
            // progenitor's form encoding, whose error type names a body type nothing fixes.
            syn::Expr::MethodCall(call) if call.method == "form_urlencoded" => syn::parse_quote!(
                #inner.map_err(|e: ::progenitor_client::Error<()>| {
                    crate::call::invalid_request(#operation, e)
                })
            ),
            _ => syn::parse_quote!(
                #inner.map_err(|e| crate::call::invalid_request(#operation, e))
            ),
        };
        **inner = mapped;
    }

    // A closure's `?` returns from the closure, not from `send`.
    fn visit_expr_closure_mut(&mut self, _closure: &mut syn::ExprClosure) {}
}
