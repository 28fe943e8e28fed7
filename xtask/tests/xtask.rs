//! xtask must build and run without the crates that regen rewrites.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every package xtask depends on, directly or not, dev-dependencies included.
fn xtask_dependencies() -> Vec<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Only this machine's platform: the others' packages may not be downloaded.
    let rustc = Command::new("rustc").arg("-vV").output().unwrap();
    let host = String::from_utf8(rustc.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .unwrap();
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let nodes = metadata["resolve"]["nodes"].as_array().unwrap();
    let name_of = |id: &str| {
        metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let xtask = nodes
        .iter()
        .find(|n| name_of(n["id"].as_str().unwrap()) == "xtask")
        .unwrap();
    let mut seen = Vec::new();
    let mut todo: Vec<String> = vec![xtask["id"].as_str().unwrap().to_owned()];
    while let Some(id) = todo.pop() {
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for dep in node["dependencies"].as_array().unwrap() {
            let dep = dep.as_str().unwrap().to_owned();
            if !seen.contains(&dep) {
                seen.push(dep.clone());
                todo.push(dep);
            }
        }
    }
    seen.iter().map(|id| name_of(id)).collect()
}

#[test]
fn xtask_depends_on_none_of_the_crates_regen_rewrites() {
    let deps = xtask_dependencies();
    assert!(deps.iter().any(|d| d == "codegen"), "{deps:?}");
    for rewritten in [
        "infobip-client",
        "infobip-auth",
        "infobip-sandbox",
        "infobip-cli",
    ] {
        assert!(
            !deps.iter().any(|d| d == rewritten),
            "xtask depends on {rewritten}: a broken generated file would stop `cargo xtask regen`"
        );
    }
}

/// A scratch checkout holding only what regen reads: two of spec/'s descriptions (regen treats
/// every product alike; the whole catalogue would only make the test minutes long), the
/// generated crate's files and the command line's generated commands, as committed.
fn scratch_checkout() -> PathBuf {
    let root = workspace_root();
    let scratch = std::env::temp_dir().join(format!(
        "xtask-regen-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(scratch.join("spec")).unwrap();
    for product in ["account.yaml", "sms.yaml"] {
        std::fs::copy(
            root.join("spec").join(product),
            scratch.join("spec").join(product),
        )
        .unwrap();
    }
    copy_dir(
        &root.join("generated-client/src"),
        &scratch.join("generated-client/src"),
    );
    for manifest in ["generated-client/Cargo.toml", "cli/Cargo.toml"] {
        std::fs::create_dir_all(scratch.join(manifest).parent().unwrap()).unwrap();
        std::fs::copy(root.join(manifest), scratch.join(manifest)).unwrap();
    }
    copy_dir(
        &root.join("cli/src/generated"),
        &scratch.join("cli/src/generated"),
    );
    scratch
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn xtask(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .env("XTASK_ROOT", root)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn regen_repairs_generated_files_that_do_not_compile() {
    let scratch = scratch_checkout();
    // The other products' generated files have no description here: regen removes them.
    assert!(!xtask(&scratch, &["regen", "--check"]).status.success());
    assert!(xtask(&scratch, &["regen"]).status.success());
    assert!(!scratch.join("generated-client/src/whatsapp").exists());
    assert!(xtask(&scratch, &["regen", "--check"]).status.success());

    let generated: Vec<PathBuf> = files_under(&scratch.join("generated-client/src"))
        .into_iter()
        .chain(files_under(&scratch.join("cli/src/generated")))
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|text| text.starts_with("// @generated")))
        .collect();
    assert!(!generated.is_empty());
    let fresh: Vec<String> = generated
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for path in &generated {
        std::fs::write(path, "this is not Rust { at all").unwrap();
    }

    let check = xtask(&scratch, &["regen", "--check"]);
    assert!(!check.status.success());
    assert!(String::from_utf8_lossy(&check.stderr).contains("run `cargo xtask regen`"));

    let regen = xtask(&scratch, &["regen"]);
    assert!(
        regen.status.success(),
        "{}",
        String::from_utf8_lossy(&regen.stderr)
    );
    for (path, fresh) in generated.iter().zip(&fresh) {
        assert_eq!(&std::fs::read_to_string(path).unwrap(), fresh, "{path:?}");
    }
    assert!(xtask(&scratch, &["regen", "--check"]).status.success());

    // A product whose description is gone is removed, so it cannot linger uncompiled.
    std::fs::remove_file(scratch.join("spec/account.yaml")).unwrap();
    let check = xtask(&scratch, &["regen", "--check"]);
    assert!(!check.status.success());
    assert!(String::from_utf8_lossy(&check.stdout).contains("has no description in spec/"));
    assert!(xtask(&scratch, &["regen"]).status.success());
    assert!(!scratch.join("generated-client/src/account").exists());
    assert!(!scratch.join("cli/src/generated/account.rs").exists());
    std::fs::remove_dir_all(scratch).unwrap();
}

#[test]
fn unknown_task_fails_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .contains("usage: cargo xtask"));
}

#[test]
fn every_task_has_help() {
    for (task, expected) in [
        ("import", "import --from <FILE-or-URL>"),
        ("regen", "regen --check"),
        ("demo", "start the sandbox"),
        ("scale", "scale [--release]"),
        ("bench", "bench [ARGS]"),
    ] {
        for flag in ["--help", "-h"] {
            let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
                .args([task, flag])
                .output()
                .unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(output.status.success(), "{task} {flag}: {stdout}");
            assert!(stdout.contains(expected), "{task} {flag}: {stdout}");
            if task != "bench" {
                assert!(!stdout.contains("bench [ARGS]"), "{task} {flag}: {stdout}");
            }
        }
    }
}
