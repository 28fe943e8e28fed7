//! What a user waits for before `infobip` answers: the time from spawning the binary to its
//! exit, for the commands that do no I/O (help and version), against spawning a program that
//! does nothing (`true`) in the same run. The command line carries every product's commands
//! (clap builds the whole tree before it parses), so this is where the catalogue's size shows.
//!
//! Cases:
//! - `spawn_floor`: `true` from `PATH`, the cost of any process start on the machine;
//! - `version`: `infobip --version`;
//! - `help`: `infobip --help`;
//! - `product_help`: `infobip voice --help` (the largest product, 158 commands), or `infobip sms
//!   --help` in a build without `voice`;
//! - `command_help`: `infobip sms send --help`.
//!
//! Criterion measures each case on its own; an interleaved run then prints the medians and the
//! ratios to the floor, and the size of the binary measured. Run with
//! `cargo bench -p infobip-cli --bench startup` (the `bench` profile: a release build), or
//! against the binary `cargo install` would build:
//! `cargo build --release -p infobip-cli && INFOBIP_BIN=target/release/infobip cargo bench -p
//! infobip-cli --no-default-features --bench startup`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::Criterion;

/// The binary measured: `INFOBIP_BIN` if set (say, `target/release/infobip` as
/// `cargo build --release -p infobip-cli` or `cargo install` builds it), else the bench's own
/// build of it (which also has the tests' fixture product).
fn binary() -> String {
    std::env::var("INFOBIP_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_infobip").to_owned())
}

/// The cases, each a program and its arguments.
fn cases(infobip: &str) -> Vec<(&'static str, String, Vec<&'static str>)> {
    // A build without `voice` (`--no-default-features`) has `sms` as its largest product.
    let largest = if run_ok(infobip, &["voice", "--help"]) {
        "voice"
    } else {
        "sms"
    };
    vec![
        ("spawn_floor", "true".to_owned(), vec![]),
        ("version", infobip.to_owned(), vec!["--version"]),
        ("help", infobip.to_owned(), vec!["--help"]),
        ("product_help", infobip.to_owned(), vec![largest, "--help"]),
        (
            "command_help",
            infobip.to_owned(),
            vec!["sms", "send", "--help"],
        ),
    ]
}

/// One run of a case, to its exit: whether it succeeded.
fn run_ok(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        // Help reads no configuration, but keep the runs hermetic anyway.
        .env(
            "INFOBIP_CONFIG_DIR",
            std::env::temp_dir().join("infobip-bench-startup"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// One run of a case; panics if it fails, so that a broken command is not timed.
fn run(program: &str, args: &[&str]) {
    assert!(run_ok(program, args), "{program} {args:?} failed");
}

fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--test" || a == "--list")
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort_unstable();
    values[values.len() / 2]
}

/// Each case `rounds` times, alternating case by case in a rotating order, so that other load
/// on the machine hits every case alike.
fn summary(infobip: &str, cases: &[(&str, String, Vec<&str>)], rounds: usize) {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            let (_, program, args) = &cases[i];
            let start = Instant::now();
            run(program, args);
            samples[i].push(start.elapsed());
        }
    }
    let floor = median(&mut samples[0]).as_secs_f64();
    println!();
    println!("startup: {rounds} runs per case, interleaved; ratio of medians vs spawn_floor");
    println!(
        "{:<14} {:>12} {:>12} {:>8}",
        "case", "median", "p90", "ratio"
    );
    for ((name, _, args), sample) in cases.iter().zip(&mut samples) {
        let m = median(sample);
        let p90 = sample[(sample.len() - 1) * 9 / 10];
        println!(
            "{name:<14} {:>9.2} ms {:>9.2} ms {:>8.2}  {}",
            m.as_secs_f64() * 1e3,
            p90.as_secs_f64() * 1e3,
            m.as_secs_f64() / floor,
            args.join(" ")
        );
    }
    let bytes = std::fs::metadata(infobip).map(|m| m.len()).unwrap_or(0);
    println!(
        "binary: {infobip}, {:.1} MB ({bytes} bytes)",
        bytes as f64 / 1e6
    );
}

fn main() {
    let mut criterion = Criterion::default().sample_size(20).configure_from_args();
    let infobip = binary();
    let cases = cases(&infobip);
    let mut group = criterion.benchmark_group("startup");
    for (name, program, args) in &cases {
        group.bench_function(*name, |b| b.iter(|| run(program, args)));
    }
    group.finish();
    criterion.final_summary();
    if !quick_mode() {
        summary(&infobip, &cases, 101);
    }
}
