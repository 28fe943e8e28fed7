//! `cargo xtask <task>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! xtask depends on codegen alone of the workspace's crates. The crates that regen rewrites
//! (and everything built on them) are never compiled into it, so a generated file that no
//! longer compiles (a renamed operation, a progenitor upgrade) can always be regenerated. Tasks
//! that need those crates (the demo, the benchmarks) run the workspace's own binaries through
//! cargo.

mod catalogue;
mod import;
mod scale;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  regen           regenerate generated-client from every description in spec/
  regen --check   change nothing; fail if the generated files are stale
  import --from <FILE-or-URL> --product <NAME> [--operations <ID,ID,...>] [--out <PATH>] [--keep-docs]
                  convert one of Infobip's published product descriptions (OpenAPI 3.1, JSON or
                  YAML) into spec/<NAME>.yaml (OpenAPI 3.0.3), e.g.
                  `cargo xtask import --product sms --from https://api.infobip.com/platform/1/openapi/sms`.
                  Default: every operation (deprecated ones marked so); one that cannot be
                  generated is skipped and reported. With --operations, exactly those, or
                  nothing is written. Operations the project describes itself (spec/ files not
                  written by the import, such as account.yaml) are left out. The product's
                  overlay (spec/overlays/<NAME>.yaml) is applied. Descriptions and examples are
                  dropped unless --keep-docs. Then run `cargo xtask regen`.
  import --all --from <FOLDER-or-URL-prefix> [--keep-docs]
                  refresh every product at once: each document in the folder (or each product
                  in spec/, downloaded from <URL-prefix><document>), printing per product what
                  changed; nothing is written if one fails.
  demo            start the sandbox in-process, send an SMS and walk through every scheme end to end
                  (runs `cargo run -p infobip-examples --bin infobip-demo`)
  scale [--release]
                  measure regen and the build of infobip-client per product, with synthetic
                  products of 30 and 300 operations shaped like SMS, in a scratch copy (minutes;
                  by hand, see BENCHMARKS.md)
  bench [ARGS]    run the auth, client and codegen benchmarks:
                  `cargo bench -p infobip-benches -p codegen ARGS` (see BENCHMARKS.md), e.g.
                  `cargo xtask bench -- --quick` or `cargo xtask bench --no-run`; the command
                  line's start-up bench builds every product and runs by hand
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // `cargo xtask <task> --help` (or `-h`) prints the task's part of the usage and does
    // nothing else, whatever other arguments come with it.
    if let [task, rest @ ..] = args.as_slice() {
        if rest.iter().any(|a| matches!(*a, "--help" | "-h")) {
            print!("{}", task_usage(task).unwrap_or(USAGE));
            return ExitCode::SUCCESS;
        }
    }
    let result = match args.as_slice() {
        ["regen"] => regen(false),
        ["regen", "--check"] => regen(true),
        ["import", rest @ ..] if rest.contains(&"--all") => {
            catalogue::parse_args(rest).and_then(|args| catalogue::run(&args, &workspace_root()))
        }
        ["import", rest @ ..] => {
            import::parse_args(rest).and_then(|args| import::run(&args, &workspace_root()))
        }
        ["demo"] => demo(),
        ["scale", rest @ ..] => {
            scale::parse_args(rest).and_then(|args| scale::run(&args, &workspace_root()))
        }
        ["bench", rest @ ..] => bench(rest),
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown arguments {args:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The lines of [`USAGE`] about `task`: from its line to the next task's, with the header.
fn task_usage(task: &str) -> Option<&'static str> {
    let start = USAGE.find(&format!("\n  {task} "))? + 1;
    let rest = &USAGE[start..];
    // The next line that starts a task: two spaces, then a letter.
    let end = rest
        .match_indices("\n  ")
        .map(|(at, _)| at + 1)
        .find(|at| {
            let line = &rest[*at + 2..];
            line.starts_with(|c: char| c.is_ascii_lowercase())
                && !line.starts_with(&format!("{task} "))
        })
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fn demo() -> Result<(), String> {
    cargo(&[
        "run",
        "--quiet",
        "--package",
        "infobip-examples",
        "--bin",
        "infobip-demo",
    ])
}

/// The checkout xtask works on: `XTASK_ROOT` if set (the tests point it at a scratch copy),
/// else the directory above xtask's own, wherever the checkout is.
fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("XTASK_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs the benchmarks that build only the products they call, with `extra` appended: not
/// `--workspace`, whose release build of the whole catalogue (for the tests and the command
/// line) takes 14 minutes and 12 GB.
fn bench(extra: &[&str]) -> Result<(), String> {
    let mut args = vec!["bench", "-p", "infobip-benches", "-p", "codegen"];
    args.extend_from_slice(extra);
    cargo(&args)
}

/// Runs cargo with `args` from the workspace root.
fn cargo(args: &[&str]) -> Result<(), String> {
    // Cargo sets CARGO for the programs it runs; fall back to the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo {}: {e}", args.join(" ")))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed ({status})", args.join(" ")))
    }
}

fn regen(check: bool) -> Result<(), String> {
    let root = workspace_root();
    let specs = codegen::read_specs(&root).map_err(|e| e.to_string())?;
    let manifests = codegen::Manifests::read(&root).map_err(|e| e.to_string())?;
    let output = codegen::render(&specs, &manifests).map_err(|e| e.to_string())?;

    for (spec, product) in specs.iter().zip(&output.products) {
        println!(
            "{}: product `{}`, {} operations, {} types",
            spec.path, product.product, product.operations, product.types
        );
    }
    let mut stale = Vec::new();
    for file in &output.files {
        let path = root.join(&file.path);
        let current = std::fs::read_to_string(&path).ok();
        let fresh = current.as_deref() == Some(file.contents.as_str());
        if fresh {
            println!("  {} unchanged", file.path);
        } else if check {
            println!("  {} is stale", file.path);
            stale.push(file.path.as_str());
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(&path, &file.contents)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!(
                "  {} written ({} lines)",
                file.path,
                file.contents.lines().count()
            );
        }
    }
    let removed = remove_orphans(&root, &output, check)?;
    stale.extend(removed.iter().map(String::as_str));
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} do(es) not match {}/: run `cargo xtask regen` and commit the result",
            stale.join(", "),
            codegen::SPEC_DIR
        ))
    }
}

/// Product directories in the generated crate whose description is gone: removed (or, with
/// `--check`, reported), so that deleting a file from spec/ deletes its product.
fn remove_orphans(
    root: &Path,
    output: &codegen::Output,
    check: bool,
) -> Result<Vec<String>, String> {
    let src = root.join(codegen::CLIENT_SRC);
    let entries = match std::fs::read_dir(&src) {
        Ok(entries) => entries,
        Err(_) => return Ok(Vec::new()),
    };
    let mut orphans = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let generated = std::fs::read_to_string(path.join("mod.rs"))
            .is_ok_and(|text| text.starts_with("// @generated"));
        let name = entry.file_name().to_string_lossy().into_owned();
        let prefix = format!("{}/{name}/", codegen::CLIENT_SRC);
        let wanted = output.files.iter().any(|f| f.path.starts_with(&prefix));
        if generated && !wanted {
            let shown = format!("{}/{name}/", codegen::CLIENT_SRC);
            if check {
                println!("  {shown} has no description in spec/");
                orphans.push(shown);
            } else {
                std::fs::remove_dir_all(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
                println!("  {shown} removed (its description is gone)");
            }
        }
    }
    orphans.extend(remove_orphan_files(
        root,
        output,
        check,
        codegen::CLI_GENERATED,
        marked_generated,
    )?);
    orphans.extend(remove_orphan_files(
        root,
        output,
        check,
        codegen::SANDBOX_DESCRIPTIONS,
        description_copy,
    )?);
    Ok(orphans)
}

/// The same for the files of a generated directory: the command line's commands
/// (`cli/src/generated/<product>.rs`, those marked `@generated`) and the sandbox's copies of
/// the descriptions (`sandbox/descriptions/<product>.json`, all of them).
fn remove_orphan_files(
    root: &Path,
    output: &codegen::Output,
    check: bool,
    dir: &str,
    generated: fn(&Path) -> bool,
) -> Result<Vec<String>, String> {
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
        return Ok(Vec::new());
    };
    let mut orphans = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let shown = format!("{dir}/{name}");
        if !generated(&path) || output.files.iter().any(|f| f.path == shown) {
            continue;
        }
        if check {
            println!("  {shown} has no description in spec/");
            orphans.push(shown);
        } else {
            std::fs::remove_file(&path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            println!("  {shown} removed (its description is gone)");
        }
    }
    Ok(orphans)
}

/// A Rust file regeneration wrote: it starts with the `@generated` line.
fn marked_generated(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.starts_with("// @generated"))
}

/// A copy of a description (JSON cannot carry the `@generated` line; the directory holds
/// nothing else).
fn description_copy(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}
