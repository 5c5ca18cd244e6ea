//! Estimates by strata of the input on the shipped S3 scenario: the time to reach a
//! relative 95 % half-width of ±10 % on P(GET unavailable) per command (350 runs), and the
//! default budget (100,000 runs). Plain Monte Carlo needs about 10⁸ runs for ±10 % there:
//! see the `monte carlo s3-2017` group of the `engine` bench for its speed per run.

use std::sync::atomic::AtomicBool;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use blastradius::report::StrataReport;
use blastradius::scenario;
use blastradius::stratified::{self, Options};

fn strata(c: &mut Criterion) {
    let s3 = scenario::load("s3-2017").expect("built-in loads");
    let mut group = c.benchmark_group("strata s3-2017");
    group.sample_size(10);
    for runs in [350, 100_000] {
        group.throughput(Throughput::Elements(runs));
        group.bench_function(format!("{runs} runs, 2 threads"), |b| {
            b.iter(|| {
                let options = Options {
                    runs,
                    seed: 1,
                    threads: 2,
                    max_errors: 2,
                };
                let est = stratified::run(&s3, options, &mut |_, _| {}, &AtomicBool::new(false))
                    .expect("runs");
                let report = StrataReport::new(&s3, &est, 1);
                let get = report.nodes["s3-get"].unavailable_probability;
                // ±10 % at 350 runs: the point of the bench.
                assert!(get.ci95[1] - get.ci95[0] < 0.2 * get.estimate);
                get.estimate
            })
        });
    }
    group.finish();
}

criterion_group!(benches, strata);
criterion_main!(benches);
