//! No import circle between the files of `sandbox/src`: a file that uses another (a
//! `crate::`, `super::` or `self::` path, or a child module's name in a `mod.rs`) sits above
//! it, never below something that uses it. A circle makes two concerns one, so that neither
//! can change or be read alone (issue 19 E broke three).
//!
//! The graph is read from the source text: each path resolved to the deepest file it names
//! (`crate::described::check::body_violations` to `described/check.rs`, a re-export in a
//! `mod.rs` to that `mod.rs`). Comments and `#[cfg(test)] mod tests` blocks are left out:
//! tests may use what they like.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers fail loudly by design

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A file's module path: `["sms", "store"]` for `sms/store.rs`, `["sms"]` for `sms/mod.rs`.
type Module = Vec<String>;

/// Every `.rs` file under `dir`, relative to `root`.
fn files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

fn module_of(file: &Path) -> Module {
    let mut parts: Vec<String> = file
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The file of `module`, or of its nearest enclosing module that has one.
fn file_of(known: &BTreeMap<Module, PathBuf>, module: &[String]) -> Option<PathBuf> {
    (0..=module.len())
        .rev()
        .find_map(|n| known.get(&module[..n]).cloned())
}

/// The text without comments, string literals' contents and `#[cfg(test)] mod tests` blocks.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests {"))
        {
            // The block ends at the first line that closes it at the indentation it opened.
            let indent = line.len() - line.trim_start().len();
            let close = format!("{}}}", " ".repeat(indent));
            for inner in lines.by_ref() {
                if inner.trim_end() == close {
                    break;
                }
            }
            continue;
        }
        let mut in_string = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                '/' if !in_string && chars.peek() == Some(&'/') => break,
                _ if in_string => {}
                _ => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// The paths a `{...}` group names, each with its leading segments (`a::{b, c::d}` gives
/// `a::b` and `a::c::d`); `text` starts just after the `{`. Answers the paths and the
/// length of the group read.
fn group(text: &str) -> (Vec<String>, usize) {
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                let (inner, used) = group(&text[i + 1..]);
                let prefix = current.trim().to_owned();
                paths.extend(inner.into_iter().map(|p| format!("{prefix}{p}")));
                current.clear();
                for _ in 0..used {
                    chars.next();
                }
            }
            '}' => {
                if !current.trim().is_empty() {
                    paths.push(current.trim().to_owned());
                }
                return (paths, i + 1);
            }
            ',' => {
                if !current.trim().is_empty() {
                    paths.push(current.trim().to_owned());
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    (paths, text.len())
}

/// Every path in `code` that starts with `crate`, `super`, `self`, or a name of `children`
/// (the modules declared under this file).
fn paths(code: &str, children: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let first = &code[start..i];
        let rooted = matches!(first, "crate" | "super" | "self") || children.contains(first);
        if !rooted || !code[i..].starts_with("::") {
            continue;
        }
        // The whole path, and a group at its end.
        let mut end = i;
        while code[end..].starts_with("::") {
            let segment = end + 2;
            if code[segment..].starts_with('{') {
                let (inner, used) = group(&code[segment + 1..]);
                let prefix = &code[start..segment];
                found.extend(inner.into_iter().map(|p| format!("{prefix}{p}")));
                end = segment + 1 + used;
                break;
            }
            let mut next = segment;
            while next < bytes.len() && is_ident(bytes[next]) {
                next += 1;
            }
            if next == segment {
                break;
            }
            end = next;
        }
        // Only the whole path: a prefix (`crate::described` of `crate::described::check::x`)
        // would name a file the path does not use.
        if end > i && !code[..end].ends_with('}') {
            found.push(code[start..end].to_owned());
        }
        i = end.max(i);
    }
    found
}

/// `path`, as used in `module`, as an absolute module path.
fn absolute(module: &[String], path: &str) -> Module {
    let mut segments = path.split("::").map(str::trim).peekable();
    let mut base: Module = match segments.peek().copied() {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("super" | "self") => module.to_vec(),
        _ => module.to_vec(),
    };
    while let Some(segment) = segments.next() {
        match segment {
            "super" => {
                base.pop();
            }
            "self" => {}
            name => {
                base.push(name.to_owned());
                base.extend(segments.by_ref().map(str::to_owned));
            }
        }
    }
    base
}

/// Each file of `src` and the files it uses.
fn graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut all = Vec::new();
    files(src, src, &mut all);
    // `main.rs` is a crate of its own, which uses the library by its name.
    all.retain(|f| f != Path::new("main.rs"));
    let known: BTreeMap<Module, PathBuf> = all.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut edges = BTreeMap::new();
    for file in &all {
        let module = module_of(file);
        let children: BTreeSet<String> = known
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(&module))
            .filter_map(|m| m.last().cloned())
            .collect();
        // A child's name is a path of its own only in the file that declares it.
        let declares = file.ends_with("mod.rs") || file == Path::new("lib.rs");
        let children = if declares { children } else { BTreeSet::new() };
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        let used: BTreeSet<PathBuf> = paths(&code(&text), &children)
            .iter()
            .filter_map(|p| file_of(&known, &absolute(&module, p)))
            .filter(|target| target != file)
            .collect();
        edges.insert(file.clone(), used);
    }
    edges
}

/// The first circle found, as the files in order with the first repeated at the end.
fn circle(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        file: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        marks: &mut BTreeMap<PathBuf, Mark>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        match marks.get(file) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|f| f == file)?;
                let mut found = stack[start..].to_vec();
                found.push(file.clone());
                return Some(found);
            }
            None => {}
        }
        marks.insert(file.clone(), Mark::Open);
        stack.push(file.clone());
        for next in edges.get(file).into_iter().flatten() {
            if let Some(found) = visit(next, edges, marks, stack) {
                return Some(found);
            }
        }
        stack.pop();
        marks.insert(file.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    edges
        .keys()
        .find_map(|file| visit(file, edges, &mut marks, &mut Vec::new()))
}

fn shown(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[test]
fn no_file_of_the_sandbox_uses_one_that_uses_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    if let Some(found) = circle(&edges) {
        panic!("an import circle in sandbox/src: {}", shown(&found));
    }
}

/// The reader finds what it must: each kind of path, and a circle through them.
#[test]
fn the_reader_finds_paths_and_circles() {
    let children = BTreeSet::from(["store".to_owned()]);
    let text = code(
        "use crate::a::{b::C, d};\n\
         use super::e::F; // use crate::commented::Out;\n\
         pub(crate) use store::Store;\n\
         let s = \"crate::in_a_string::No\";\n\
         crate::g::h(self::i::j);\n\
         #[cfg(test)]\n\
         mod tests {\n    use crate::only_tests::X;\n}\n",
    );
    let mut found = paths(&text, &children);
    found.sort();
    found.dedup();
    assert_eq!(
        found,
        [
            "crate::a::b::C",
            "crate::a::d",
            "crate::g::h",
            "self::i::j",
            "store::Store",
            "super::e::F",
        ]
    );
    let module: Module = vec!["sms".into(), "routes".into()];
    assert_eq!(absolute(&module, "super::store::X"), ["sms", "store", "X"]);
    assert_eq!(absolute(&module, "crate::http::guard"), ["http", "guard"]);

    let edge = |from: &str, to: &[&str]| {
        (
            PathBuf::from(from),
            to.iter().map(PathBuf::from).collect::<BTreeSet<_>>(),
        )
    };
    let clean = BTreeMap::from([
        edge("a.rs", &["b.rs"]),
        edge("b.rs", &["c.rs"]),
        edge("c.rs", &[]),
    ]);
    assert_eq!(circle(&clean), None);
    let circular = BTreeMap::from([
        edge("a.rs", &["b.rs"]),
        edge("b.rs", &["c.rs"]),
        edge("c.rs", &["a.rs"]),
    ]);
    assert_eq!(
        circle(&circular).map(|c| shown(&c)).as_deref(),
        Some("a.rs -> b.rs -> c.rs -> a.rs")
    );
}
