//! A capacity planner's question on the S3 2017 replay: does more restart parallelism or
//! more frequent full restarts (less metadata growth to validate) bring recovery under
//! target? Replays the typed input 200 times per setting and prints the mean time until
//! S3 is normal again. Asserts what the model implies: recovery never gets worse with more
//! parallelism or more recent restarts, and metadata age matters far more than parallelism.

use blastradius::engine::{Simulation, Unobserved};
use blastradius::model::{Model, NodeKind, Validation};
use blastradius::montecarlo::run_rng;
use blastradius::scenario;
use blastradius::time::SimDuration;

/// Mean recovery in hours of the as-typed input over `runs` runs.
fn mean_recovery_hours(model: &Model, runs: u64) -> f64 {
    let input = model
        .command
        .as_typed
        .clone()
        .expect("s3-2017 pins the typed input");
    let mut sim = Simulation::new(model);
    let total: f64 = (0..runs)
        .map(|run| {
            let out = sim.run_input(
                input.count,
                input.selector,
                &mut run_rng(7, run),
                &mut Unobserved,
            );
            out.recovery.map_or(f64::NAN, |r| r.as_secs_f64() / 3600.0)
        })
        .sum();
    total / runs as f64
}

/// The S3 model with every subsystem's restart parallelism set to `p` and its last full
/// restart `years` ago.
fn variant(base: &Model, p: u64, years: f64) -> Model {
    let mut model = base.clone();
    for node in &mut model.nodes {
        if let NodeKind::Subsystem(s) = &mut node.kind {
            s.parallelism = p.min(s.servers);
            if let Some(v) = &s.validation {
                let since = SimDuration::from_secs_f64(years * 365.0 * 86_400.0);
                s.validation = Validation::new(
                    v.metadata_at_last_restart,
                    v.growth_per_year,
                    since,
                    v.throughput,
                );
            }
        }
    }
    model
}

fn main() -> Result<(), blastradius::Error> {
    let base = scenario::load("s3-2017")?;
    let parallelism = [10, 30, 60, 240];
    let ages = [0.25, 1.0, 3.0, 6.0];
    println!("hours until S3 is normal again (mean of 200 replays)");
    print!("{:>22}", "last full restart →");
    for years in ages {
        print!("{:>10}", format!("{years}y ago"));
    }
    println!();
    let mut table = Vec::new();
    for p in parallelism {
        print!("{:>22}", format!("parallelism {p}"));
        let row: Vec<f64> = ages
            .iter()
            .map(|&y| mean_recovery_hours(&variant(&base, p, y), 200))
            .collect();
        for h in &row {
            print!("{h:>10.2}");
        }
        println!();
        table.push(row);
    }
    for (i, row) in table.iter().enumerate() {
        for j in 0..ages.len() {
            if j > 0 {
                assert!(row[j] >= row[j - 1], "older metadata cannot recover faster");
            }
            if i > 0 {
                assert!(
                    row[j] <= table[i - 1][j] + 1e-9,
                    "more parallelism cannot recover slower"
                );
            }
        }
    }
    let parallelism_gain = table[0][3] - table[3][3];
    let drill_gain = table[2][3] - table[2][0];
    println!("at 6 years: 10→240 parallel saves {parallelism_gain:.2} h; restarting quarterly instead saves {drill_gain:.2} h");
    assert!(
        drill_gain > parallelism_gain,
        "validation, not boot parallelism, dominates S3's recovery"
    );
    Ok(())
}
