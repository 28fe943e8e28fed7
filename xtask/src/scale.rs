//! `cargo xtask scale`: how regeneration and the build of the generated crate grow with the
//! number of operations, and what a service pays for one product.
//!
//! In a scratch copy of the checkout (the working tree is never touched), two synthetic
//! products shaped like SMS are added (`spec/sms.yaml` with its paths copied 10 and 100
//! times), everything is regenerated, and `infobip-client` is built with each product feature
//! alone, with none (the hand-written rim) and with all, each time from a clean build of that
//! crate (its dependencies stay built). Figures are wall times on this machine, printed as a
//! Markdown table; run it by hand on a quiet machine, like the benchmarks (it takes minutes).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The synthetic products: a name (lowercase words, as product names must be) and how many
/// times SMS's paths are repeated.
const SYNTHETIC: [(&str, usize); 2] = [("sms-thirty", 10), ("sms-three-hundred", 100)];

/// How many renders each regeneration figure is the median of.
const RENDERS: usize = 3;

/// Parsed `cargo xtask scale` arguments.
pub struct Args {
    /// Also build with `--release`.
    release: bool,
}

pub fn parse_args(args: &[&str]) -> Result<Args, String> {
    match args {
        [] => Ok(Args { release: false }),
        ["--release"] => Ok(Args { release: true }),
        other => Err(format!("unknown arguments for scale: {other:?}")),
    }
}

pub fn run(args: &Args, root: &Path) -> Result<(), String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot make a scratch dir: {e}"))?;
    let copy = scratch.path().join("checkout");
    copy_checkout(root, &copy)?;
    let sms = std::fs::read_to_string(copy.join("spec/sms.yaml"))
        .map_err(|e| format!("cannot read spec/sms.yaml: {e}"))?;
    for (name, factor) in SYNTHETIC {
        let scaled = codegen::synthetic::scaled(&sms, factor)?;
        std::fs::write(copy.join(format!("spec/{name}.yaml")), scaled)
            .map_err(|e| format!("cannot write spec/{name}.yaml: {e}"))?;
    }
    println!("scratch checkout: {}", copy.display());

    let specs = codegen::read_specs(&copy).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for spec in &specs {
        let mut times = Vec::with_capacity(RENDERS);
        let mut rendered = None;
        for _ in 0..RENDERS {
            let started = Instant::now();
            let output =
                codegen::render_product(&spec.product, &spec.text).map_err(|e| e.to_string())?;
            times.push(started.elapsed());
            rendered = Some(output);
        }
        times.sort();
        let Some(output) = rendered else { continue };
        let lines: usize = output
            .files
            .iter()
            .map(|f| f.contents.lines().count())
            .sum();
        rows.push(Row {
            product: spec.product.clone(),
            operations: output.operations,
            lines,
            regen: times[RENDERS / 2],
            builds: Vec::new(),
        });
    }
    // Write the generated files as `cargo xtask regen` would.
    let status = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .arg("regen")
        .env("XTASK_ROOT", &copy)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run regen in the scratch checkout: {e}"))?;
    if !status.success() {
        return Err(format!("regen in the scratch checkout failed ({status})"));
    }

    let profiles: &[bool] = if args.release {
        &[false, true]
    } else {
        &[false]
    };
    let target = scratch.path().join("target");
    let mut rim = Vec::new();
    let mut full = Vec::new();
    for &release in profiles {
        // Dependencies first, untimed: what a service has built already.
        cargo_build(&copy, &target, release, "", false)?;
        rim.push(cargo_build(&copy, &target, release, "", true)?);
        for row in &mut rows {
            let time = cargo_build(&copy, &target, release, &row.product, true)?;
            row.builds.push(time);
        }
        full.push(cargo_build(&copy, &target, release, "full", true)?);
    }

    print_table(&rows, &rim, &full, profiles);
    Ok(())
}

struct Row {
    product: String,
    operations: usize,
    lines: usize,
    regen: Duration,
    /// One per profile: debug, then release.
    builds: Vec<Duration>,
}

/// Copies the files git knows about (tracked, and new ones not ignored) from `root` to `to`.
fn copy_checkout(root: &Path, to: &Path) -> Result<(), String> {
    let listed = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .map_err(|e| format!("cannot run git ls-files: {e}"))?;
    if !listed.status.success() {
        return Err(format!("git ls-files failed ({})", listed.status));
    }
    for path in listed.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path);
        let from = root.join(path.as_ref());
        if !from.is_file() {
            // Deleted in the working tree but still in the index.
            continue;
        }
        let dest = to.join(path.as_ref());
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::copy(&from, &dest).map_err(|e| format!("cannot copy {path}: {e}"))?;
    }
    Ok(())
}

/// Builds `infobip-client` with `features` only; when `timed`, after cleaning that crate, and
/// answers how long the build took.
fn cargo_build(
    checkout: &Path,
    target: &Path,
    release: bool,
    features: &str,
    timed: bool,
) -> Result<Duration, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let run = |args: &[&str]| -> Result<Duration, String> {
        let started = Instant::now();
        let status = Command::new(&cargo)
            .current_dir(checkout)
            .env("CARGO_TARGET_DIR", target)
            .args(args)
            .status()
            .map_err(|e| format!("cannot run cargo {}: {e}", args.join(" ")))?;
        if status.success() {
            Ok(started.elapsed())
        } else {
            Err(format!("cargo {} failed ({status})", args.join(" ")))
        }
    };
    let mut build = vec![
        "build",
        "--quiet",
        "-p",
        "infobip-client",
        "--no-default-features",
    ];
    let mut clean = vec!["clean", "--quiet", "-p", "infobip-client"];
    if release {
        build.push("--release");
        clean.push("--release");
    }
    if !features.is_empty() {
        build.extend(["--features", features]);
    }
    if timed {
        run(&clean)?;
    }
    let took = run(&build)?;
    if timed {
        let shown = if features.is_empty() {
            "(rim only)"
        } else {
            features
        };
        let profile = if release { "release" } else { "debug" };
        println!(
            "built infobip-client {shown} ({profile}) in {:.1} s",
            took.as_secs_f64()
        );
    }
    Ok(took)
}

fn print_table(rows: &[Row], rim: &[Duration], full: &[Duration], profiles: &[bool]) {
    let names: Vec<&str> = profiles
        .iter()
        .map(|&r| if r { "release" } else { "debug" })
        .collect();
    println!();
    let mut header =
        String::from("| product | operations | generated lines | regen (median of 3) |");
    let mut rule = String::from("|---|---|---|---|");
    for name in &names {
        header.push_str(&format!(" build, {name} | over the rim, {name} |"));
        rule.push_str("---|---|");
    }
    println!("{header}\n{rule}");
    let secs = |d: &Duration| format!("{:.1} s", d.as_secs_f64());
    let mut line = String::from("| none (the rim) | 0 | | |");
    for time in rim {
        line.push_str(&format!(" {} | |", secs(time)));
    }
    println!("{line}");
    for row in rows {
        let mut line = format!(
            "| {} | {} | {} | {:.0} ms |",
            row.product,
            row.operations,
            row.lines,
            row.regen.as_secs_f64() * 1000.0
        );
        for (build, rim) in row.builds.iter().zip(rim) {
            line.push_str(&format!(
                " {} | {} |",
                secs(build),
                secs(&build.saturating_sub(*rim))
            ));
        }
        println!("{line}");
    }
    let operations: usize = rows.iter().map(|r| r.operations).sum();
    let lines: usize = rows.iter().map(|r| r.lines).sum();
    let mut line = format!("| full (all of them) | {operations} | {lines} | |");
    for (build, rim) in full.iter().zip(rim) {
        line.push_str(&format!(
            " {} | {} |",
            secs(build),
            secs(&build.saturating_sub(*rim))
        ));
    }
    println!("{line}");
}
