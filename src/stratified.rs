//! Monte Carlo by strata of the discrete input ([`Strata`]): every stratum is simulated on
//! its own random streams and kept in its own [`Accumulator`], to be combined with its exact
//! probability ([`crate::stats::strata`]).
//!
//! Three rounds, each deterministic whatever the thread count:
//! 1. a probe: run 0 of every stratum, on a generator that counts its draws. A run that
//!    drew nothing had no chance in it, so its stratum always does exactly that: it is
//!    settled by that one run;
//! 2. half the budget in proportion to the strata's probabilities, at least [`MIN_RUNS`]
//!    runs for every stratum that had chance in it (proportional allocation is never less
//!    precise than plain sampling with as many runs);
//! 3. the rest of the budget by Neyman allocation: for each reported node, a stratum's
//!    share is proportional to its probability times the standard deviation of the node
//!    losing traffic there (smoothed, so that a stratum where no run saw it still counts);
//!    a stratum gets the mean of its shares over nodes.
//!
//! Run `r` of a stratum always uses the stream [`stratum_rng`]`(seed, key, r)`, so a larger
//! budget repeats the runs of a smaller one and adds to them, and two variants of a
//! scenario see the same numbers for the same input (common random numbers).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::RngCore;

use crate::engine::{Change, Observer, Phase, Simulation, Unobserved};
use crate::error::Error;
use crate::model::{Model, NodeId, NodeKind};
use crate::montecarlo::{in_parallel, Plan};
use crate::sampling::{downstream, stratum_rng, Strata};
use crate::stats::Accumulator;
use crate::time::SimTime;

/// Runs of every stratum with chance in it, at least: two, for a variance.
pub const MIN_RUNS: u64 = 2;

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Runs in all, at least (every stratum gets its probe, and its pilot if random).
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Keystroke errors enumerated.
    pub max_errors: u32,
}

/// The strata and what their runs did.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// The strata, with their probabilities.
    pub strata: Strata,
    /// Per stratum: its runs' statistics (settled).
    pub results: Vec<Accumulator>,
    /// Per stratum: whether it has no chance in it (one run says all).
    pub deterministic: Vec<bool>,
    /// Per stratum: an index into `affected_sets`.
    pub affected: Vec<usize>,
    /// Sets of nodes (indexed like [`Model::nodes`]) that can lose traffic in a stratum:
    /// downstream of the subsystems its removal takes below their minimum when that is the
    /// same in every run, else of every subsystem it removes servers from. Elsewhere every
    /// run of the stratum leaves the node alone, exactly.
    pub affected_sets: Vec<Vec<bool>>,
    /// Whether every round ran to its end (no stop request).
    pub complete: bool,
}

impl Estimate {
    /// Runs done in all.
    pub fn runs(&self) -> u64 {
        self.results.iter().map(|a| a.runs).sum()
    }

    /// Whether node `i`'s results in stratum `h` are known exactly: the stratum has no
    /// chance in it, or cannot affect the node.
    pub fn exact(&self, h: usize, i: usize) -> bool {
        self.deterministic[h] || !self.affected_sets[self.affected[h]][i]
    }

    /// Whether stratum `h` has a chance of some node of this kind losing traffic.
    pub fn can_affect(&self, h: usize, kind: impl Fn(&NodeKind) -> bool, model: &Model) -> bool {
        let set = &self.affected_sets[self.affected[h]];
        model
            .nodes
            .iter()
            .zip(set)
            .any(|(n, &a)| a && kind(&n.kind))
    }
}

/// Collects the subsystems that had a cell stop (fall below its minimum) in a run.
#[derive(Default)]
struct Stopped(Vec<bool>);

impl Observer for Stopped {
    fn observe(&mut self, _: SimTime, node: NodeId, change: Change) {
        if let Change::Phase {
            to: Phase::Down, ..
        } = change
        {
            self.0[node.index()] = true;
        }
    }
}

/// A generator that counts the draws made from it.
struct Counting<R> {
    inner: R,
    draws: u64,
}

impl<R: RngCore> RngCore for Counting<R> {
    fn next_u32(&mut self) -> u32 {
        self.draws += 1;
        self.inner.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.draws += 1;
        self.inner.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.draws += 1;
        self.inner.fill_bytes(dst)
    }
}

/// One worker: a simulator and, per stratum it ran, its statistics.
struct Worker<'m> {
    sim: Simulation<'m>,
    seen: BTreeMap<usize, Accumulator>,
}

/// Runs the strata of `model` within `options`; `progress` is told (runs done, runs
/// planned) after each chunk; a raised `stop` ends the current round early, and the result
/// says it is not complete.
pub fn run(
    model: &Model,
    options: Options,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Estimate, Error> {
    let strata = Strata::new(model, options.max_errors);
    let n = strata.strata.len();
    let mut est = Estimate {
        results: vec![Accumulator::new(model); n],
        deterministic: vec![false; n],
        affected: vec![0; n],
        affected_sets: Vec::new(),
        strata,
        complete: true,
    };
    // Round 1: the probe.
    let planned = options.runs.max(n as u64);
    probe(model, &mut est, options, planned, progress, stop)?;
    // Round 2: half the budget in proportion.
    let random: f64 = (0..n)
        .filter(|&h| !est.deterministic[h])
        .map(|h| est.strata.strata[h].probability)
        .sum();
    let half = options.runs.saturating_sub(n as u64) / 2;
    let pilot: Vec<(usize, u64, u64)> = (0..n)
        .filter(|&h| !est.deterministic[h])
        .map(|h| {
            let share = half as f64 * est.strata.strata[h].probability / random;
            (h, 1, (share.floor() as u64).max(MIN_RUNS))
        })
        .collect();
    let done = est.runs();
    let planned = done + pilot.iter().map(|&(_, a, b)| b - a).sum::<u64>();
    round(
        model,
        &mut est,
        &pilot,
        options,
        (done, planned),
        progress,
        stop,
    )?;
    // Round 3: the rest of the budget where the variance is.
    let done = est.runs();
    let more = allocate(model, &est, options.runs.saturating_sub(done));
    let planned = done + more.iter().map(|&(_, a, b)| b - a).sum::<u64>();
    round(
        model,
        &mut est,
        &more,
        options,
        (done, planned),
        progress,
        stop,
    )?;
    est.complete = !stop.load(Ordering::Relaxed);
    for acc in &mut est.results {
        acc.settle(model);
    }
    Ok(est)
}

/// Run 0 of every stratum, on a generator that counts its draws and with an observer that
/// notes which subsystems stop: settles the deterministic strata and the nodes each
/// stratum can affect.
fn probe(
    model: &Model,
    est: &mut Estimate,
    options: Options,
    planned: u64,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<(), Error> {
    let strata = &est.strata;
    let plan = Plan {
        runs: strata.strata.len() as u64,
        seed: options.seed,
        threads: options.threads,
    };
    type Probed = Vec<(usize, Accumulator, bool, Vec<bool>)>;
    let workers = in_parallel(
        plan,
        || (Simulation::new(model), Probed::new()),
        |(sim, probed): &mut (Simulation, Probed), runs| {
            for h in runs {
                let h = h as usize;
                let s = &strata.strata[h];
                let mut rng = Counting {
                    inner: stratum_rng(options.seed, s.key, 0),
                    draws: 0,
                };
                let mut stopped = Stopped(vec![false; model.nodes.len()]);
                let outcome =
                    sim.run_fated(s.count.count, s.selector, s.fates, &mut rng, &mut stopped);
                let mut acc = Accumulator::new(model);
                acc.record(model, outcome);
                probed.push((h, acc, rng.draws == 0, stopped.0));
            }
        },
        |_, runs| {
            progress(runs.end, planned);
            Ok(())
        },
        stop,
    )?;
    let mut sets: BTreeMap<Vec<bool>, usize> = BTreeMap::new();
    for (_, probed) in workers {
        for (h, acc, deterministic, stopped) in probed {
            est.results[h].merge(&acc);
            est.deterministic[h] = deterministic;
            let s = &est.strata.strata[h];
            let set = if s.fixed_removal {
                downstream(model, &stopped)
            } else {
                est.strata.reaches[s.reach].clone()
            };
            let next = sets.len();
            est.affected[h] = *sets.entry(set).or_insert(next);
        }
    }
    est.affected_sets = vec![Vec::new(); sets.len()];
    for (set, i) in sets {
        est.affected_sets[i] = set;
    }
    Ok(())
}

/// Runs `jobs` (stratum, first run, end run) and adds them to `est`.
fn round(
    model: &Model,
    est: &mut Estimate,
    jobs: &[(usize, u64, u64)],
    options: Options,
    (done, planned): (u64, u64),
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<(), Error> {
    // Global run index → job, by prefix sums.
    let mut ends = Vec::with_capacity(jobs.len());
    let mut total = 0u64;
    for &(_, a, b) in jobs {
        total += b - a;
        ends.push(total);
    }
    let strata = &est.strata;
    let plan = Plan {
        runs: total,
        seed: options.seed,
        threads: options.threads,
    };
    let workers = in_parallel(
        plan,
        || Worker {
            sim: Simulation::new(model),
            seen: BTreeMap::new(),
        },
        |w: &mut Worker, runs| {
            for g in runs {
                let j = ends.partition_point(|&e| e <= g);
                let (h, first, _) = jobs[j];
                let r = first + g - (ends[j] - (jobs[j].2 - jobs[j].1));
                let s = &strata.strata[h];
                let mut rng = stratum_rng(options.seed, s.key, r);
                let outcome = w.sim.run_fated(
                    s.count.count,
                    s.selector,
                    s.fates,
                    &mut rng,
                    &mut Unobserved,
                );
                w.seen
                    .entry(h)
                    .or_insert_with(|| Accumulator::new(model))
                    .record(model, outcome);
            }
        },
        |_, runs| {
            progress(done + runs.end, planned);
            Ok(())
        },
        stop,
    )?;
    for w in workers {
        for (h, acc) in w.seen {
            est.results[h].merge(&acc);
        }
    }
    Ok(())
}

/// The runs to add per stratum, (stratum, first run, end run), sharing `budget` by Neyman
/// allocation averaged over the reported nodes.
fn allocate(model: &Model, est: &Estimate, budget: u64) -> Vec<(usize, u64, u64)> {
    let n = est.strata.strata.len();
    let mut share = vec![0.0f64; n];
    let mut nodes = 0usize;
    for (id, _) in model.reported() {
        let mut score = vec![0.0f64; n];
        for (h, s) in est.strata.strata.iter().enumerate() {
            if est.exact(h, id.index()) {
                continue;
            }
            let acc = &est.results[h];
            // Laplace-smoothed share of runs in which the node lost traffic.
            let p = (acc.nodes[id.index()].impacted_runs as f64 + 1.0) / (acc.runs as f64 + 2.0);
            score[h] = s.probability * (p * (1.0 - p)).sqrt();
        }
        let sum: f64 = score.iter().sum();
        if sum > 0.0 {
            nodes += 1;
            for h in 0..n {
                share[h] += score[h] / sum;
            }
        }
    }
    if nodes == 0 {
        return Vec::new();
    }
    (0..n)
        .filter_map(|h| {
            let add = (budget as f64 * share[h] / nodes as f64).floor() as u64;
            let have = est.results[h].runs;
            (add > 0).then_some((h, have, have + add))
        })
        .collect()
}
