//! Engine and Monte Carlo throughput on the same scenarios the tests use.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use blastradius::engine::{EventQueue, Simulation, Unobserved};
use blastradius::time::{SimDuration, SimTime};
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

/// The floor under the engine: the machine's bare binary heap, one pop and one push at a
/// steady size, against the engine's event queue (ordered by time, then sequence) doing the
/// same, at the sizes a run's queue has (a few events; a restart's boots in flight).
fn event_queue(c: &mut Criterion) {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut group = c.benchmark_group("event queue pop+push");
    for size in [8u64, 64, 1024] {
        let mut heap: BinaryHeap<Reverse<(u64, u64)>> =
            (0..size).map(|i| Reverse((i, i))).collect();
        let mut seq = size;
        group.bench_function(format!("bare BinaryHeap, {size} events"), |b| {
            b.iter(|| {
                let Reverse((t, _)) = heap.pop().expect("kept full");
                seq += 1;
                heap.push(Reverse((t + (seq * 7919) % 1000, seq)));
                t
            })
        });
        let mut queue = EventQueue::default();
        for i in 0..size {
            queue.push(SimTime::from_millis(i), i as u32);
        }
        let mut k = 0u64;
        group.bench_function(format!("engine EventQueue, {size} events"), |b| {
            b.iter(|| {
                let (t, e) = queue.pop().expect("kept full");
                k += 1;
                queue.push(t + SimDuration::from_millis((k * 7919) % 1000), e);
                e
            })
        });
    }
    group.finish();
}

criterion_group!(benches, single_runs, monte_carlo, event_queue);
criterion_main!(benches);
