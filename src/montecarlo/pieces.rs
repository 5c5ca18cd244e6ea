//! The workers' schedule: contiguous pieces of the runs handed out in order to whichever
//! worker is free, and given back to the calling thread in run order.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Plan;
use crate::error::Error;

/// How long a piece of runs should take: short enough to stop promptly and update
/// progress, long enough that handing it out costs nothing.
const PIECE_TIME: Duration = Duration::from_millis(10);
/// Runs in the first piece, before the speed is known: one, since a run may be expensive
/// (ten million servers to boot) and a stop request must not wait for many; the pieces
/// then grow at most fourfold at a time toward `PIECE_TIME`.
const FIRST_PIECE: u64 = 1;
/// Near the end a piece is at most this share of the runs left per worker.
const TAIL: u64 = 4;
/// A worker hands over what it keeps at least this often.
const HAND_OVER: Duration = Duration::from_millis(100);

/// Runs indices `0..plan.runs` on `plan.threads` workers, each made by `make` on its own
/// thread (a big model's simulators are built at once), which take contiguous pieces of
/// them in order as they finish the last and give each to `work`: which worker runs which
/// piece depends on timing, so what the workers keep must merge the same in any order. No
/// worker waits for another until the last piece: a long run (a cascade through a big
/// model) holds up only the worker running it. A worker is given to `done` (on its own
/// thread, to hand over what it kept) after `HAND_OVER` of work and when it finds no piece
/// left. `after` gets each piece's range and what `work` returned for it, on the calling
/// thread and in run order. When `stop` is raised the workers take no more pieces: the
/// pieces taken, always the first ones, are run and given to `after`, and the batch ends.
/// Returns the workers, whose results the caller merges.
pub fn in_parallel<W: Send, T: Send>(
    plan: Plan,
    make: impl Fn() -> W + Sync,
    work: impl Fn(&mut W, Range<u64>) -> T + Sync,
    done: impl Fn(&mut W) + Sync,
    after: impl FnMut(Range<u64>, T) -> Result<(), Error>,
    stop: &AtomicBool,
) -> Result<Vec<W>, Error> {
    in_range(0..plan.runs, plan.threads, make, (work, done), after, stop)
}

/// [`in_parallel`] over the run indices `range` on `threads` workers.
pub(super) fn in_range<W: Send, T: Send>(
    range: Range<u64>,
    threads: usize,
    make: impl Fn() -> W + Sync,
    (work, done): (
        impl Fn(&mut W, Range<u64>) -> T + Sync,
        impl Fn(&mut W) + Sync,
    ),
    mut after: impl FnMut(Range<u64>, T) -> Result<(), Error>,
    stop: &AtomicBool,
) -> Result<Vec<W>, Error> {
    let threads = threads.max(1);
    let pieces = Pieces::new(range.clone(), threads);
    // Raised when `after` fails: the workers then stop too.
    let halt = AtomicBool::new(false);
    let (make, work, done, pieces, halt) = (&make, &work, &done, &pieces, &halt);
    let (tx, rx) = mpsc::channel::<(Range<u64>, T)>();
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let tx = tx.clone();
            let run = move || {
                // Made on its own thread, so the workers' simulators of a big model are
                // built at once, and each on a stack of its own (no cache line shared).
                let mut worker = make();
                let mut held = Instant::now();
                while let Some(piece) = pieces.take(stop, halt) {
                    let began = Instant::now();
                    let out = work(&mut worker, piece.clone());
                    pieces.took(piece.end - piece.start, began.elapsed());
                    if held.elapsed() >= HAND_OVER {
                        done(&mut worker);
                        held = Instant::now();
                    }
                    if tx.send((piece, out)).is_err() {
                        break;
                    }
                }
                done(&mut worker);
                worker
            };
            match std::thread::Builder::new().spawn_scoped(scope, run) {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    halt.store(true, Ordering::Relaxed);
                    return Err(Error::Threads {
                        threads,
                        message: e.to_string(),
                    });
                }
            }
        }
        drop(tx);
        // The pieces come back in any order: each waits here until those before it are in.
        let mut waiting = BTreeMap::new();
        let mut next = range.start;
        let mut result = Ok(());
        for (piece, out) in rx {
            if result.is_err() {
                continue;
            }
            waiting.insert(piece.start, (piece.end, out));
            while let Some((end, out)) = waiting.remove(&next) {
                if let Err(e) = after(next..end, out) {
                    halt.store(true, Ordering::Relaxed);
                    result = Err(e);
                    break;
                }
                next = end;
            }
        }
        result?;
        let joined = handles.into_iter().map(|h| h.join());
        let workers = joined.map(|w| w.unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        Ok(workers.collect())
    })
}

/// `m`'s contents, even if a thread panicked holding it (the panic is raised anyway).
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The runs not yet handed out, and how many to hand out at a time.
struct Pieces {
    state: Mutex<Dispense>,
    threads: u64,
}

struct Dispense {
    next: u64,
    end: u64,
    /// Runs per piece, aimed at `PIECE_TIME`.
    size: u64,
}

impl Pieces {
    fn new(range: Range<u64>, threads: usize) -> Self {
        let state = Dispense {
            next: range.start,
            end: range.end,
            size: FIRST_PIECE,
        };
        Pieces {
            state: Mutex::new(state),
            threads: threads as u64,
        }
    }

    /// The next piece, unless there is none or a stop was asked for. Near the end the
    /// pieces shrink to a share of what is left, down to single runs, so that the workers
    /// finish together.
    fn take(&self, stop: &AtomicBool, halt: &AtomicBool) -> Option<Range<u64>> {
        let mut d = lock(&self.state);
        if d.next >= d.end || stop.load(Ordering::Relaxed) || halt.load(Ordering::Relaxed) {
            return None;
        }
        let tail = (d.end - d.next).div_ceil(TAIL * self.threads);
        let start = d.next;
        d.next += d.size.min(tail).max(1);
        Some(start..d.next)
    }

    /// A piece of `runs` runs took `took`: aims the next pieces at `PIECE_TIME`, growing
    /// at most fourfold at a time.
    fn took(&self, runs: u64, took: Duration) {
        let mut d = lock(&self.state);
        let took = took.as_secs_f64().max(1e-7);
        let ideal = (runs as f64 * PIECE_TIME.as_secs_f64() / took) as u64;
        d.size = ideal.clamp(1, d.size.saturating_mul(4));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::{in_parallel, Plan};

    #[test]
    fn a_stop_mid_piece_leaves_exactly_the_first_runs_done() {
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
                    |runs, ()| {
                        reported.push(runs);
                        Ok(())
                    },
                    &stop,
                )
                .unwrap();
                // Every run done is reported, and nothing else: the first runs, in pieces
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

#[cfg(test)]
mod halt_tests {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::{in_parallel, Plan};
    use crate::error::Error;

    /// A sink that fails (a full disk under the CSV) ends the batch with its error, and
    /// the workers stop taking pieces instead of running the rest.
    #[test]
    fn a_failing_sink_stops_the_workers_and_its_error_is_returned() {
        for threads in [1, 2, 3] {
            let ran = AtomicU64::new(0);
            let mut pieces = 0;
            let plan = Plan {
                runs: 1_000_000,
                seed: 1,
                threads,
            };
            let result = in_parallel(
                plan,
                || (),
                |(), runs| {
                    // 20 µs a run: pieces of about 500 runs, 20 s for all the runs.
                    let n = runs.end - runs.start;
                    std::thread::sleep(std::time::Duration::from_micros(20 * n));
                    ran.fetch_add(n, Ordering::Relaxed);
                },
                |_| {},
                |_, ()| {
                    pieces += 1;
                    if pieces == 40 {
                        return Err(Error::Threads {
                            threads: 0,
                            message: "full".into(),
                        });
                    }
                    Ok(())
                },
                &AtomicBool::new(false),
            );
            assert!(matches!(result, Err(Error::Threads { threads: 0, .. })));
            assert!(ran.into_inner() < plan.runs / 5, "{threads}");
        }
    }
}
