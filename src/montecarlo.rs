//! Many runs in parallel. Run `i` draws from its own ChaCha8 stream derived from
//! (seed, i). The workers add what their runs' nodes lost to one shared total as they go,
//! and keep the rest of their runs' statistics until the end of a chunk; all are integer
//! counts and sums, the same in any order (see [`crate::stats::Shared`]). Runs are
//! processed in chunks of about a tenth of a second (longer when single runs take long),
//! so memory stays bounded whatever `--runs` is. A chunk is cut into `PIECES` contiguous
//! pieces per worker, which the workers take as they finish the last: a few long runs (the
//! cascades) do not leave one worker waiting for the other, and a stop request is
//! honoured after the pieces being run. A per-run sink (the CSV) gets the pieces back in
//! order.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::engine::{Outcome, Simulation, Unobserved};
use crate::error::Error;
use crate::model::Model;
use crate::stats::{Accumulator, Scratch};

/// How long one chunk should take: short enough to stop promptly and update progress.
const CHUNK_TIME: Duration = Duration::from_millis(100);
/// Runs per worker in the first chunk, before the speed is known: one, since a run may be
/// expensive (ten million servers to boot) and a stop request must not wait for many; the
/// chunks then grow at most fourfold at a time toward `CHUNK_TIME`.
const FIRST_SLICE: u64 = 1;
/// Pieces a chunk is cut into, per worker.
const PIECES: u64 = 16;
/// A chunk lasts at least this many times its longest piece: at a chunk's end a worker
/// waits at most for the piece another is still running, so the runs of a big model that
/// take seconds (a cascade through 100,000 nodes) do not leave workers waiting for a
/// good part of every chunk.
const BALANCE: f64 = 16.0;

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

/// Per-run rows: `make` gives each worker its formatter; `write` gets the rows of every
/// chunk, piece by piece, so in run order, on the calling thread, and may give back an
/// emptied buffer for the formatters to reuse.
pub struct Rows<'a> {
    /// A formatter for one worker.
    pub make: &'a (dyn Fn() -> Box<dyn RowFormat + 'a> + Sync),
    /// Where the rows go, in run order.
    pub write: &'a mut dyn FnMut(Vec<u8>) -> Result<Option<Vec<u8>>, Error>,
}

/// One worker's simulator, statistics and rows, kept across chunks.
struct Worker<'m, 'a> {
    sim: Simulation<'m>,
    /// Its runs since the last chunk, but for their nodes, which go straight to the total.
    acc: Accumulator,
    scratch: Scratch,
    rows: Option<Box<dyn RowFormat + 'a>>,
    /// The rows of the pieces of the current chunk it ran, by the piece's first run.
    pieces: Vec<(u64, Vec<u8>)>,
}

/// Runs `plan` on `model`. `rows`, if given, formats each run's row; `progress`
/// is told how many runs are done after each chunk. If `stop` becomes true the batch ends
/// after the current chunk: the statistics then cover runs `0..runs` with `runs` less
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
    range: std::ops::Range<u64>,
    rows: Option<Rows<'_>>,
    progress: &mut dyn FnMut(u64),
    stop: &AtomicBool,
) -> Result<Accumulator, Error> {
    let first = range.start;
    let (make, mut write) = match rows {
        Some(r) => (Some(r.make), Some(r.write)),
        None => (None, None),
    };
    // The workers add their runs' nodes here as they run them, and the rest after every
    // chunk, so that a big model's statistics are held once, not once per worker.
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
                pieces: Vec::new(),
            },
            |w: &mut Worker, runs| {
                let first = runs.start;
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
                if let Some(rows) = w.rows.as_mut() {
                    w.pieces.push((first, rows.take()));
                }
            },
            |w: &mut Worker| w.acc.drain_shared(shared),
            |workers, runs| {
                let done = runs.end;
                if let Some(write) = write.as_mut() {
                    let mut pieces: Vec<(u64, Vec<u8>)> = workers
                        .iter_mut()
                        .flat_map(|w| w.pieces.drain(..))
                        .collect();
                    pieces.sort_unstable_by_key(|&(first, _)| first);
                    for (i, (_, bytes)) in pieces.into_iter().enumerate() {
                        let spare = write(bytes)?;
                        if let (Some(spare), Some(rows)) =
                            (spare, workers[i % workers.len()].rows.as_mut())
                        {
                            rows.reuse(spare);
                        }
                    }
                }
                progress(done - first);
                Ok(())
            },
            stop,
        )
    })?;
    total.settle(model);
    Ok(total)
}

/// Runs indices `0..plan.runs` on `plan.threads` workers made by `make`. Each chunk is
/// cut into `PIECES` contiguous ranges per worker, which the workers take in turn as they
/// finish one and give to `work`: which worker runs which piece depends on timing, so what
/// the workers keep must merge the same in any order. A worker that finds no piece left
/// in a chunk is given to `done`, on its own thread (to hand over what it kept while the
/// others finish theirs); after each chunk `after` sees the workers and the range of the
/// chunk's runs. Chunks aim at `CHUNK_TIME`, or at `BALANCE` times their longest
/// piece. When `stop` is raised the workers take no more pieces: the last chunk's range is
/// then the pieces that were run, the first ones, and the loop ends. Returns the workers,
/// whose results the caller merges.
pub fn in_parallel<W: Send>(
    plan: Plan,
    make: impl Fn() -> W,
    work: impl Fn(&mut W, std::ops::Range<u64>) + Sync,
    done: impl Fn(&mut W) + Sync,
    after: impl FnMut(&mut [W], std::ops::Range<u64>) -> Result<(), Error>,
    stop: &AtomicBool,
) -> Result<Vec<W>, Error> {
    in_range(0..plan.runs, plan.threads, make, work, done, after, stop)
}

/// [`in_parallel`] over the run indices `range` on `threads` workers, each of which is
/// given to `done` when it finds no piece left in a chunk.
fn in_range<W: Send>(
    range: std::ops::Range<u64>,
    threads: usize,
    make: impl Fn() -> W,
    work: impl Fn(&mut W, std::ops::Range<u64>) + Sync,
    done: impl Fn(&mut W) + Sync,
    mut after: impl FnMut(&mut [W], std::ops::Range<u64>) -> Result<(), Error>,
    stop: &AtomicBool,
) -> Result<Vec<W>, Error> {
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Threads {
            threads,
            message: e.to_string(),
        })?;
    let mut workers: Vec<W> = (0..threads).map(|_| make()).collect();
    let mut slice = FIRST_SLICE;
    let mut start = range.start;
    while start < range.end && !stop.load(Ordering::Relaxed) {
        let end = range
            .end
            .min(start.saturating_add(slice.saturating_mul(threads as u64)));
        let began = Instant::now();
        let size = end - start;
        let pieces = (threads as u64 * PIECES).min(size);
        let at = |p: u64| start + (u128::from(size) * u128::from(p) / u128::from(pieces)) as u64;
        let next = AtomicU64::new(0);
        // The longest piece, in nanoseconds.
        let longest = AtomicU64::new(0);
        pool.install(|| {
            workers.par_iter_mut().for_each(|worker| {
                // A stop request is honoured between pieces: the pieces taken are always
                // the first ones, and every piece taken is run.
                while !stop.load(Ordering::Relaxed) {
                    let p = next.fetch_add(1, Ordering::Relaxed);
                    if p >= pieces {
                        break;
                    }
                    let began = Instant::now();
                    work(worker, at(p)..at(p + 1));
                    let took = u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    longest.fetch_max(took, Ordering::Relaxed);
                }
                done(worker);
            })
        });
        let reached = at(next.into_inner().min(pieces));
        after(&mut workers, start..reached)?;
        // Aim the next chunk at CHUNK_TIME, or BALANCE times its longest piece, growing at
        // most fourfold at a time.
        let took = began.elapsed().as_secs_f64().max(1e-6);
        let aim = CHUNK_TIME
            .as_secs_f64()
            .max(BALANCE * longest.into_inner() as f64 * 1e-9);
        let ideal = (slice as f64 * aim / took) as u64;
        slice = ideal.clamp(1, slice.saturating_mul(4));
        start = reached;
    }
    Ok(workers)
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

#[cfg(test)]
mod stop_tests {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::{in_parallel, Plan};

    #[test]
    fn a_stop_mid_chunk_leaves_exactly_the_first_runs_done() {
        for threads in [1, 2, 3] {
            for after_runs in [1u64, 37, 5_000, 200_000] {
                let stop = AtomicBool::new(false);
                let done = AtomicU64::new(0);
                let plan = Plan {
                    runs: 10_000_000,
                    seed: 1,
                    threads,
                };
                let mut reported = Vec::new();
                let workers = in_parallel(
                    plan,
                    Vec::new,
                    |seen: &mut Vec<u64>, runs| {
                        for run in runs {
                            seen.push(run);
                            if done.fetch_add(1, Ordering::Relaxed) + 1 == after_runs {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                    },
                    |_| {},
                    |_, runs| {
                        reported.push(runs);
                        Ok(())
                    },
                    &stop,
                )
                .unwrap();
                // Every run done is reported, and nothing else: the first runs, in chunks
                // that follow each other.
                let mut seen: Vec<u64> = workers.into_iter().flatten().collect();
                seen.sort_unstable();
                let end = reported.last().map_or(0, |r| r.end);
                assert!(
                    end >= after_runs && end < plan.runs,
                    "{threads} {after_runs}"
                );
                assert_eq!(seen, (0..end).collect::<Vec<_>>(), "{threads} {after_runs}");
                assert_eq!(reported[0].start, 0);
                for pair in reported.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
            }
        }
    }
}
