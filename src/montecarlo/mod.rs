//! Many runs in parallel. Run `i` draws from its own ChaCha8 stream derived from
//! (seed, i). The workers add what their runs' nodes lost to one shared total as they go,
//! and hand over the rest of their runs' statistics at least every tenth of a second; all
//! are integer counts and sums, the same in any order (see [`crate::stats::Shared`]), so
//! memory stays bounded whatever `--runs` is. The runs are handed out in contiguous pieces
//! of about a hundredth of a second, in order, to whichever worker is free: no worker
//! waits for another but at the very end, so a few long runs (the cascades of a big model)
//! hold up only the worker running them, and a stop request is honoured after the pieces
//! being run. A per-run sink (the CSV) gets the pieces back in order.

mod pieces;

use std::ops::Range;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::engine::{Outcome, Simulation, Unobserved};
use crate::error::Error;
use crate::model::Model;
use crate::stats::{Accumulator, Scratch};
use pieces::{in_range, lock};

pub use pieces::in_parallel;

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

/// A formatter of per-run rows (the CSV) that each worker owns: it formats its runs as
/// they finish, off the calling thread, and hands the bytes over after each piece.
pub trait RowFormat: Send {
    /// Formats run `run`'s row.
    fn row(&mut self, run: u64, outcome: &Outcome);
    /// The bytes formatted since the last call.
    fn take(&mut self) -> Vec<u8>;
    /// A buffer that was taken and written, to format into again.
    fn reuse(&mut self, spare: Vec<u8>);
}

/// Per-run rows: `make` gives each worker its formatter; `write` gets the rows piece by
/// piece, in run order, on the calling thread, and may give back an emptied buffer for the
/// formatters to reuse.
pub struct Rows<'a> {
    /// A formatter for one worker.
    pub make: &'a (dyn Fn() -> Box<dyn RowFormat + 'a> + Sync),
    /// Where the rows go, in run order.
    pub write: &'a mut dyn FnMut(Vec<u8>) -> Result<Option<Vec<u8>>, Error>,
}

/// One worker's simulator, statistics and rows, kept across pieces.
struct Worker<'m, 'a> {
    sim: Simulation<'m>,
    /// Its runs since it last handed them over, but for their nodes, which go straight to
    /// the total.
    acc: Accumulator,
    scratch: Scratch,
    rows: Option<Box<dyn RowFormat + 'a>>,
}

/// Runs `plan` on `model`. `rows`, if given, formats each run's row; `progress`
/// is told how many runs are done as they are. If `stop` becomes true the batch ends
/// after the pieces being run: the statistics then cover runs `0..runs` with `runs` less
/// than asked.
pub fn run(
    model: &Model,
    plan: Plan,
    rows: Option<Rows<'_>>,
    progress: &mut dyn FnMut(u64),
    stop: &AtomicBool,
) -> Result<Accumulator, Error> {
    run_range(model, plan, 0..plan.runs, rows, progress, stop)
}

/// [`run`] of the runs `range` of `plan` only: one shard of it (progress counts from the
/// range's start). Merging the shards' statistics gives exactly those of the whole.
pub fn run_range(
    model: &Model,
    plan: Plan,
    range: Range<u64>,
    rows: Option<Rows<'_>>,
    progress: &mut dyn FnMut(u64),
    stop: &AtomicBool,
) -> Result<Accumulator, Error> {
    let first = range.start;
    let (make, mut write) = match rows {
        Some(r) => (Some(r.make), Some(r.write)),
        None => (None, None),
    };
    // Buffers written, for the formatters to fill again.
    let spares = Mutex::new(Vec::new());
    // The workers add their runs' nodes here as they run them, and the rest every tenth
    // of a second, so that a big model's statistics are held once, not once per worker.
    let mut total = Accumulator::new(model);
    total.sharing(|shared| {
        in_range(
            range,
            plan.threads,
            || Worker {
                sim: Simulation::new(model),
                acc: Accumulator::default(),
                scratch: Scratch::default(),
                rows: make.map(|m| m()),
            },
            (
                |w: &mut Worker, runs| {
                    let rows = w.rows.as_mut();
                    if let (Some(rows), Some(spare)) = (rows, lock(&spares).pop()) {
                        rows.reuse(spare);
                    }
                    for run in runs {
                        let outcome = w
                            .sim
                            .run_random(&mut run_rng(plan.seed, run), &mut Unobserved);
                        w.acc.record_run(model, outcome, run);
                        shared.record_nodes(model, outcome, &mut w.scratch);
                        if let Some(rows) = w.rows.as_mut() {
                            rows.row(run, outcome);
                        }
                    }
                    w.rows.as_mut().map(|rows| rows.take())
                },
                |w: &mut Worker| w.acc.drain_shared(shared),
            ),
            |runs, bytes| {
                if let (Some(write), Some(bytes)) = (write.as_mut(), bytes) {
                    if let Some(spare) = write(bytes)? {
                        lock(&spares).push(spare);
                    }
                }
                progress(runs.end - first);
                Ok(())
            },
            stop,
        )
    })?;
    total.settle(model);
    Ok(total)
}

/// Share `index` (from 1) of `count` of a batch of runs, for sharded runs: a contiguous
/// range, the shares in order covering the runs exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    /// Which, from 1.
    pub index: u64,
    /// Of how many.
    pub count: u64,
}

impl Share {
    /// All the runs.
    pub const WHOLE: Share = Share { index: 1, count: 1 };

    /// This share of `0..runs`.
    pub fn of(self, runs: u64) -> std::ops::Range<u64> {
        let at = |i: u64| (u128::from(runs) * u128::from(i) / u128::from(self.count.max(1))) as u64;
        at(self.index.saturating_sub(1))..at(self.index)
    }
}

#[cfg(test)]
mod share_tests {
    use super::Share;

    #[test]
    fn shares_cover_the_runs_exactly_and_in_order() {
        for runs in [0u64, 1, 7, 1_000_003, u64::MAX] {
            for count in [1u64, 2, 3, 10, 64] {
                let mut next = 0;
                for index in 1..=count {
                    let r = Share { index, count }.of(runs);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, runs);
            }
        }
    }
}
