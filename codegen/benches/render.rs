//! Regeneration cost: `codegen::render_product` on the checked-in account description and on synthetic ones
//! with 10x and 100x as many operations, to show how the cost grows with the spec's size.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

fn checked_in_spec() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../", "spec/account.yaml");
    std::fs::read_to_string(path).expect("read spec/account.yaml")
}

fn regeneration(c: &mut Criterion) {
    let original = checked_in_spec();
    let mut group = c.benchmark_group("regeneration");
    // A render of the 100x spec takes seconds: ten samples are plenty to see the trend.
    group.sample_size(10);
    // Flat: every sample runs the same number of renders, so the 100x case needs 10, not 55.
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for factor in [1usize, 10, 100] {
        let spec = if factor == 1 {
            original.clone()
        } else {
            codegen::synthetic::scaled(&original, factor).expect("scale the spec")
        };
        // Render once outside the measurement: checks the synthetic spec is accepted and gives
        // the operation count for the throughput figure.
        let output = codegen::render_product("account", &spec)
            .unwrap_or_else(|e| panic!("the {factor}x spec does not render: {e}"));
        let operations = output.operations;
        let lines: usize = output
            .files
            .iter()
            .map(|f| f.contents.lines().count())
            .sum();
        eprintln!("regeneration/{factor}x: {operations} operations, {lines} lines of output");
        group.throughput(Throughput::Elements(operations as u64));
        group.bench_with_input(
            BenchmarkId::new("render", format!("{factor}x-{operations}-ops")),
            &spec,
            |b, spec| b.iter(|| codegen::render_product("account", spec).expect("render")),
        );
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    regeneration(&mut c);
    c.final_summary();
}
