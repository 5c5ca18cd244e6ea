//! Engine and Monte Carlo throughput on the same scenarios the tests use.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use blastradius::engine::{Simulation, Unobserved};
use std::sync::atomic::AtomicBool;

use blastradius::montecarlo::{self, run_rng, Plan};
use blastradius::scenario;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn single_runs(c: &mut Criterion) {
    let s3 = scenario::load("s3-2017").expect("built-in loads");
    let input = s3.command.as_typed.clone().expect("s3-2017 pins its input");
    let mut group = c.benchmark_group("one run");

    let mut sim = Simulation::new(&s3);
    let mut run = 0;
    group.bench_function("s3-2017 as typed (full outage, 360 boots)", |b| {
        b.iter(|| {
            run += 1;
            sim.run_input(
                input.count,
                input.selector,
                &mut run_rng(1, run),
                &mut Unobserved,
            )
            .events
        })
    });

    let exp = scenario::load(&fixture("exp-restart.toml")).expect("fixture loads");
    let mut sim = Simulation::new(&exp);
    group.bench_function("exp-restart (50 boots)", |b| {
        b.iter(|| {
            run += 1;
            sim.run_random(&mut run_rng(1, run), &mut Unobserved).events
        })
    });
    group.finish();
}

fn monte_carlo(c: &mut Criterion) {
    let s3 = scenario::load("s3-2017").expect("built-in loads");
    let mut group = c.benchmark_group("monte carlo s3-2017");
    group.sample_size(20);
    let runs = 100_000;
    group.throughput(Throughput::Elements(runs));
    for threads in [1, 2] {
        group.bench_function(format!("{runs} runs, {threads} thread(s)"), |b| {
            b.iter(|| {
                let plan = Plan {
                    runs,
                    seed: 1,
                    threads,
                };
                montecarlo::run(&s3, plan, None, &mut |_| {}, &AtomicBool::new(false))
                    .expect("runs")
                    .outages
            })
        });
    }
    group.finish();
}

criterion_group!(benches, single_runs, monte_carlo);
criterion_main!(benches);
