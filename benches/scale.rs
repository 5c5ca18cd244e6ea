//! Cost against the size of the model: generated layered graphs (`blastradius generate`)
//! of 10 to 100,000 subsystems, each needing two earlier ones, 100 services.
//!
//! - `one run`: the command as meant (one server of `s0`, above its minimum: two events),
//!   the same work at every size, so the time should not grow with the graph;
//! - `one cascade`: a count typed 100 for 1, which takes `s0` down and with it everything
//!   that depends on it: the cost grows with what the run touches, here most of the graph;
//! - `monte carlo`: plain runs (the typo model's mix) on 1 and 2 threads, statistics
//!   included: 100,000 at 100 subsystems, 20,000 at 10,000 and at 100,000;
//! - `load`: reading and checking the scenario's text into a model (the file already in
//!   memory), the fixed cost before any run, on rayon's global pool (all cores).

use std::sync::atomic::AtomicBool;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use blastradius::engine::{Simulation, Unobserved};
use blastradius::model::Model;
use blastradius::montecarlo::{self, run_rng, Plan};
use blastradius::scenario::{self, Shape};
use blastradius::typo::Selector;

const SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];

fn model(subsystems: usize) -> Model {
    let text = scenario::generate(Shape {
        subsystems,
        ..Shape::default()
    });
    scenario::parse("generated.toml", &text).expect("generated scenarios are valid")
}

fn single_runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale");
    for n in SIZES {
        let m = model(n);
        let mut sim = Simulation::new(&m);
        let mut run = 0;
        group.bench_with_input(BenchmarkId::new("one run", n), &n, |b, _| {
            b.iter(|| {
                run += 1;
                let rng = &mut run_rng(1, run);
                sim.run_input(1, Selector::Intended, rng, &mut Unobserved)
                    .events
            })
        });
        if n == 100_000 {
            // Tens of ms a cascade: the fewest samples criterion takes.
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::new("one cascade", n), &n, |b, _| {
            b.iter(|| {
                run += 1;
                let rng = &mut run_rng(1, run);
                sim.run_input(100, Selector::Intended, rng, &mut Unobserved)
                    .touched
                    .len()
            })
        });
    }
    group.finish();
}

fn monte_carlo(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale monte carlo");
    group.sample_size(10);
    // Enough runs for a few dozen cascades (one run in about 550 is one), the long runs
    // two workers share: 2,000 runs held three, which two workers cannot split evenly, and
    // at 100,000 subsystems 10,000 runs held 18, the last of which one worker ran alone
    // while the other had none left (0.02 to 0.06 s of a batch of 0.6 to 0.8 s).
    for (n, runs) in [(100, 100_000), (10_000, 20_000), (100_000, 20_000)] {
        group.throughput(Throughput::Elements(runs));
        let m = model(n);
        for threads in [1, 2] {
            let id = BenchmarkId::new(format!("{threads} thread(s)"), n);
            group.bench_with_input(id, &n, |b, _| {
                b.iter(|| {
                    let plan = Plan {
                        runs,
                        seed: 1,
                        threads,
                    };
                    montecarlo::run(&m, plan, None, &mut |_| {}, &AtomicBool::new(false))
                        .expect("runs")
                        .outages
                })
            });
        }
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale load");
    group.sample_size(10);
    for n in [10_000, 100_000] {
        let text = scenario::generate(Shape {
            subsystems: n,
            ..Shape::default()
        });
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            // The model is dropped outside the timing: loading is what is measured.
            b.iter_with_large_drop(|| {
                scenario::parse("generated.toml", text).expect("generated scenarios are valid")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, single_runs, monte_carlo, load);
criterion_main!(benches);
