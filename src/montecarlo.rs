//! Many runs in parallel. Run `i` draws from its own ChaCha8 stream derived from
//! (seed, i), and results are recorded in run order, so the output is the same bytes on
//! any number of threads. Runs are processed in fixed-size chunks: memory stays bounded
//! whatever `--runs` is, and a per-run sink (the CSV) sees the runs in order.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::engine::{Outcome, Simulation, Unobserved};
use crate::error::Error;
use crate::model::Model;
use crate::stats::Accumulator;

/// Runs per chunk: big enough to keep every core busy, small enough to bound memory.
const CHUNK: u64 = 16_384;

/// The random stream of run `run`: ChaCha8 keyed by `seed`, on stream number `run`.
/// ChaCha8 is specified independently of this crate and of the platform.
pub fn run_rng(seed: u64, run: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(run);
    rng
}

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Number of runs.
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Worker threads (at least 1).
    pub threads: usize,
}

/// Runs `plan` on `model`. `each` sees every run's outcome in run order (it may stop the
/// batch with an error); `progress` is told how many runs are done after each chunk.
pub fn run(
    model: &Model,
    plan: Plan,
    mut each: impl FnMut(u64, &Outcome) -> Result<(), Error>,
    mut progress: impl FnMut(u64),
) -> Result<Accumulator, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| Error::Threads {
            threads: plan.threads,
            message: e.to_string(),
        })?;
    let mut total = Accumulator::new(model);
    let mut start = 0;
    let mut outcomes: Vec<Outcome> = Vec::new();
    while start < plan.runs {
        let end = plan.runs.min(start + CHUNK);
        pool.install(|| {
            (0..(end - start) as usize)
                .into_par_iter()
                .with_min_len(64)
                .map_init(
                    || Simulation::new(model),
                    |sim, i| {
                        let mut rng = run_rng(plan.seed, start + i as u64);
                        sim.run_random(&mut rng, &mut Unobserved).clone()
                    },
                )
                .collect_into_vec(&mut outcomes);
        });
        for (run, outcome) in (start..end).zip(&outcomes) {
            total.record(model, outcome);
            each(run, outcome)?;
        }
        progress(end);
        start = end;
    }
    Ok(total)
}
