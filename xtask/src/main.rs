//! `cargo xtask <task>`: the project's automation, in Rust so it runs wherever cargo does.

mod demo;
mod import;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  regen           regenerate generated-client/src from spec/infobip-auth.yaml
  regen --check   change nothing; fail if the generated files are stale
  import --from <FILE-or-URL> --product <NAME> [--operations <ID,ID,...>] [--out <PATH>] [--keep-docs]
                  convert one of Infobip's published product descriptions (OpenAPI 3.1, JSON or
                  YAML) into spec/<NAME>.yaml (OpenAPI 3.0.3), e.g.
                  `cargo xtask import --product sms --from https://api.infobip.com/platform/1/openapi/sms`.
                  Default: every operation not deprecated; one that cannot be generated is
                  skipped and reported. With --operations, exactly those, or nothing is written.
                  Operations already in another spec/ file are left out. Descriptions and
                  examples are dropped unless --keep-docs. Then run `cargo xtask regen`.
  demo            start the sandbox in-process and walk through every scheme end to end
  bench [ARGS]    run every benchmark: `cargo bench --workspace ARGS` (see BENCHMARKS.md),
                  e.g. `cargo xtask bench -- --quick` or `cargo xtask bench --no-run`
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["regen"] => regen(false),
        ["regen", "--check"] => regen(true),
        ["import", rest @ ..] => {
            import::parse_args(rest).and_then(|args| import::run(&args, &workspace_root()))
        }
        ["demo"] => demo(),
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

fn demo() -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(demo::run())
}

fn workspace_root() -> PathBuf {
    // xtask lives one level below the root; this holds wherever the checkout is.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs `cargo bench --workspace` with `extra` appended, from the workspace root.
fn bench(extra: &[&str]) -> Result<(), String> {
    // Cargo sets CARGO for the programs it runs; fall back to the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args(["bench", "--workspace"])
        .args(extra)
        .status()
        .map_err(|e| format!("cannot run cargo bench: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo bench --workspace failed ({status})"))
    }
}

fn regen(check: bool) -> Result<(), String> {
    let root = workspace_root();
    let spec_path = root.join(codegen::SPEC_PATH);
    let spec = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let output = codegen::render(&spec).map_err(|e| format!("{}: {e}", codegen::SPEC_PATH))?;

    println!(
        "{}: {} operations, {} types",
        codegen::SPEC_PATH,
        output.operations,
        output.types
    );
    let mut stale = Vec::new();
    for file in &output.files {
        let path = root.join(file.path);
        let current = std::fs::read_to_string(&path).ok();
        let fresh = current.as_deref() == Some(file.contents.as_str());
        if fresh {
            println!("  {} unchanged", file.path);
        } else if check {
            println!("  {} is stale", file.path);
            stale.push(file.path);
        } else {
            std::fs::write(&path, &file.contents)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!(
                "  {} written ({} lines)",
                file.path,
                file.contents.lines().count()
            );
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} does not match {}: run `cargo xtask regen` and commit the result",
            stale.join(", "),
            codegen::SPEC_PATH
        ))
    }
}
