//! Checks the engine against a closed form through the library API: a cold restart of
//! n = 50 servers with exponential boot times (mean 60 s), P = 10 at a time, takes on
//! average mean × ((n − P)/P + H_P) = 415.7 s. Runs 20,000 Monte Carlo runs and asserts
//! that the estimate is within four standard errors of it.

use std::sync::atomic::AtomicBool;

use blastradius::montecarlo::{self, Plan};
use blastradius::scenario;

fn main() -> Result<(), blastradius::Error> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/exp-restart.toml"
    );
    let model = scenario::load(path)?;
    let plan = Plan {
        runs: 20_000,
        seed: 42,
        threads: 2,
    };
    let acc = montecarlo::run(&model, plan, None, &mut |_| {}, &AtomicBool::new(false))?;

    let (n, p, mean) = (50.0, 10.0, 60.0);
    let harmonic: f64 = (1..=10).map(|k| 1.0 / f64::from(k)).sum();
    let expected = mean * ((n - p) / p + harmonic);
    let estimate = acc.recovery.mean().unwrap_or(f64::NAN) / 1000.0;
    let [lo, hi] = acc.recovery.mean_ci95().unwrap_or([f64::NAN; 2]);
    let se = (hi - lo) / 1000.0 / (2.0 * 1.959_964);

    println!("closed form {expected:.1} s, Monte Carlo {estimate:.1} s ± {se:.1} s (1 se)");
    assert!(
        (estimate - expected).abs() < 4.0 * se,
        "engine disagrees with the closed form"
    );
    Ok(())
}
