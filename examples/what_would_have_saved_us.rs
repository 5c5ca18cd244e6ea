//! Would the safeguards Amazon announced, index cells, or a second region have changed the
//! 2017 outage, and by how much? For each what-if scenario this replays the 2017 input 200
//! times (boot times and delays vary) and runs 2,000,000 Monte Carlo commands, then prints
//! the README's table. Asserts the directions: every mitigation beats 2017 as it happened.
//!
//! `cargo run --release --example what_would_have_saved_us`

use std::sync::atomic::AtomicBool;

use blastradius::engine::{NodeOutcome, Simulation, Unobserved};
use blastradius::model::Model;
use blastradius::montecarlo::{self, run_rng, Plan};
use blastradius::report::Report;
use blastradius::scenario;
use blastradius::time::SimTime;

const REPLAYS: u64 = 200;
const RUNS: u64 = 2_000_000;

/// Means over replays of the 2017 input: hours until GET and PUT are whole again, and hours
/// of GET traffic lost.
fn replay(model: &Model, get: &str, put: &str) -> (f64, f64, f64) {
    let input = model.command.as_typed.clone().expect("pinned input");
    let (g, p) = (
        model.find(get).expect("GET").index(),
        model.find(put).expect("PUT").index(),
    );
    let mut sim = Simulation::new(model);
    let hours = |n: &NodeOutcome| {
        n.recovered_at
            .map_or(0.0, |t: SimTime| t.since_start().as_secs_f64() / 3600.0)
    };
    let mut sums = (0.0, 0.0, 0.0);
    for run in 0..REPLAYS {
        let o = sim.run_input(
            input.count,
            input.selector,
            &mut run_rng(2017, run),
            &mut Unobserved,
        );
        sums.0 += hours(&o.nodes[g]);
        sums.1 += hours(&o.nodes[p]);
        sums.2 += o.nodes[g].lost_service.as_secs_f64() / 3600.0;
    }
    let n = REPLAYS as f64;
    (sums.0 / n, sums.1 / n, sums.2 / n)
}

/// Probability per command that GET loses traffic, with its interval, and mean GET traffic
/// lost per command in seconds.
fn monte_carlo(model: &Model, get: &str) -> Result<(f64, [f64; 2], f64), blastradius::Error> {
    let plan = Plan {
        runs: RUNS,
        seed: 1,
        threads: 2,
    };
    let acc = montecarlo::run(model, plan, None, &mut |_| {}, &AtomicBool::new(false))?;
    let report = Report::new(model, &plan, &acc);
    let node = &report.nodes[get];
    let p = &node.impacted_probability;
    Ok((p.estimate, p.ci95, node.lost_service_s.mean.unwrap_or(0.0)))
}

fn main() -> Result<(), blastradius::Error> {
    println!("| scenario | 2017 input: GET whole again | PUT back | GET traffic lost | P(GET loses traffic) per command [95% CI] | GET traffic lost per command |");
    println!("|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (name, get, put) in [
        ("s3-2017", "s3-get", "s3-put"),
        ("s3-2017-guarded", "s3-get", "s3-put"),
        ("s3-cells", "s3-get", "s3-put"),
    ] {
        let model = scenario::load(name)?;
        let (get_back, put_back, lost) = replay(&model, get, put);
        let (p, [lo, hi], per_command) = monte_carlo(&model, get)?;
        println!(
            "| `{name}` | {get_back:.2} h | {put_back:.2} h | {lost:.2} h | {:.2e} [{:.2e}, {:.2e}] | {per_command:.3} s |",
            p, lo, hi
        );
        rows.push((get_back, put_back, lost, per_command));
    }
    let (base, guarded, cells) = (rows[0], rows[1], rows[2]);
    assert!(
        guarded.2 < 0.05 * base.2,
        "the guard stops nearly every replay of 2017"
    );
    assert!(
        cells.0 < base.0 && cells.1 < base.1 && cells.2 < 0.2 * base.2,
        "cells shrink and shorten it"
    );
    assert!(
        guarded.3 < base.3 && cells.3 < base.3,
        "both lower the expected loss per command"
    );

    let model = scenario::load("multi-region")?;
    println!();
    println!("| customer (`multi-region`, the 2017 input) | mean downtime it saw |");
    println!("|---|---|");
    let input = model.command.as_typed.clone().expect("pinned input");
    let mut sim = Simulation::new(&model);
    let mut means = Vec::new();
    for customer in [
        "single-region-site",
        "manual-failover-site",
        "automatic-failover-site",
    ] {
        let c = model.find(customer).expect("customer").index();
        let total: f64 = (0..REPLAYS)
            .map(|run| {
                let o = sim.run_input(
                    input.count,
                    input.selector,
                    &mut run_rng(2017, run),
                    &mut Unobserved,
                );
                o.nodes[c].downtime.as_secs_f64() / 60.0
            })
            .sum();
        let mean = total / REPLAYS as f64;
        println!("| `{customer}` | {mean:.0} min |");
        means.push(mean);
    }
    assert!(
        means[2] < means[1] && means[1] < means[0],
        "automatic < manual < one region"
    );
    Ok(())
}
