//! The crate's modules import one way: a module never reaches, through `crate::` paths, a
//! module that reaches it back (a circle makes every change to one of them a change to both).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use syn::visit::Visit;

/// The top-level modules of `src/`: `name.rs`, or `name/` with every file in it.
fn modules() -> BTreeMap<String, Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        let texts = if path.is_dir() {
            std::fs::read_dir(&path)
                .unwrap()
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        } else {
            vec![std::fs::read_to_string(&path).unwrap()]
        };
        modules.insert(name, texts);
    }
    modules
}

/// What the crate root re-exports, by name: `pub use spec::{parse, ..}` makes `crate::parse`
/// a use of `spec`.
fn reexports() -> BTreeMap<String, String> {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let file = syn::parse_file(&lib).unwrap();
    let mut names = BTreeMap::new();
    for item in file.items {
        let syn::Item::Use(item) = item else { continue };
        let syn::UseTree::Path(path) = &item.tree else {
            continue;
        };
        let module = path.ident.to_string();
        let mut leaves = Vec::new();
        collect_leaves(&path.tree, &mut leaves);
        for leaf in leaves {
            names.insert(leaf, module.clone());
        }
    }
    names
}

fn collect_leaves(tree: &syn::UseTree, out: &mut Vec<String>) {
    match tree {
        syn::UseTree::Name(name) => out.push(name.ident.to_string()),
        syn::UseTree::Rename(rename) => out.push(rename.rename.to_string()),
        syn::UseTree::Group(group) => group.items.iter().for_each(|t| collect_leaves(t, out)),
        syn::UseTree::Path(path) => collect_leaves(&path.tree, out),
        syn::UseTree::Glob(_) => {}
    }
}

/// The first segment after `crate::` of every path and `use` in a file.
#[derive(Default)]
struct CrateNames(BTreeSet<String>);

impl<'ast> Visit<'ast> for CrateNames {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if segments.next().is_some_and(|s| s.ident == "crate") {
            if let Some(next) = segments.next() {
                self.0.insert(next.ident.to_string());
            }
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_use_path(&mut self, path: &'ast syn::UsePath) {
        if path.ident == "crate" {
            let mut leaves = Vec::new();
            match &*path.tree {
                syn::UseTree::Path(next) => leaves.push(next.ident.to_string()),
                syn::UseTree::Group(group) => {
                    for item in &group.items {
                        match item {
                            syn::UseTree::Path(next) => leaves.push(next.ident.to_string()),
                            other => collect_leaves(other, &mut leaves),
                        }
                    }
                }
                other => collect_leaves(other, &mut leaves),
            }
            self.0.extend(leaves);
        }
        syn::visit::visit_use_path(self, path);
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let modules = modules();
    let reexports = reexports();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(name, texts)| {
            let mut names = CrateNames::default();
            for text in texts {
                names.visit_file(&syn::parse_file(text).unwrap());
            }
            let targets = names
                .0
                .into_iter()
                .filter_map(|n| {
                    if modules.contains_key(&n) {
                        Some(n)
                    } else {
                        reexports.get(&n).cloned()
                    }
                })
                .filter(|target| target != name)
                .collect();
            (name.clone(), targets)
        })
        .collect();
    let mut circles = Vec::new();
    for (from, targets) in &graph {
        for to in targets {
            if from < to && reaches(&graph, to, from) {
                circles.push(format!("{from} <-> {to}"));
            }
        }
    }
    assert!(circles.is_empty(), "import circles: {circles:?}");
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_owned()];
    while let Some(next) = todo.pop() {
        if next == to {
            return true;
        }
        if seen.insert(next.clone()) {
            todo.extend(graph.get(&next).into_iter().flatten().cloned());
        }
    }
    false
}
