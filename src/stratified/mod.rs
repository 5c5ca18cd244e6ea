//! Monte Carlo by strata of the discrete input ([`Strata`]): every stratum is simulated on
//! its own random streams and kept in its own [`StratumSums`], to be combined with its exact
//! probability ([`crate::stats::strata`]). Several variants of a scenario can be run
//! together ([`run_paired`]): the same input's run `r` then draws the same numbers in every
//! variant (common random numbers), and the runs are paired for the differences.
//!
//! Three rounds, each deterministic whatever the thread count:
//! 1. a probe: run 0 of every input, on a generator that counts its draws. A run that drew
//!    nothing had no chance in it, so its stratum always does exactly that: it is settled
//!    by that one run. When the removal is fixed and instantaneous, the probe also shows
//!    which subsystems stop, and so which nodes the input can affect at all;
//! 2. half the budget in proportion to the inputs' probabilities, at least [`MIN_RUNS`]
//!    runs for every input with chance in it (proportional allocation is never less
//!    precise than plain sampling with as many runs);
//! 3. the rest by Neyman allocation: for each variant and reported node, an input's share
//!    is proportional to its probability times the standard deviation of the node losing
//!    traffic there (smoothed, so that an input where no run saw it still counts); an input
//!    gets the mean of its shares.
//!
//! Run `r` of an input always uses the stream [`stratum_rng`](crate::sampling::stratum_rng)`(seed, key, r)`, so a larger
//! budget repeats the runs of a smaller one and adds to them. The rounds can be split
//! across machines, with a merge between them ([`first_round`], [`second_round`]).

mod allocate;
mod paired;
mod rounds;
mod shard;

use std::sync::atomic::{AtomicBool, Ordering};

pub use paired::{Metric, Paired};
pub use shard::{first_round, second_round, State, VariantState};

use crate::error::Error;
use crate::model::{Model, NodeKind};
use crate::sampling::Strata;
use crate::stats::StratumSums;

/// Runs of every stratum with chance in it, at least: two, for a variance.
pub const MIN_RUNS: u64 = 2;

/// What to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Runs in all (per variant), at least one per input and two per input with chance.
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Keystroke errors enumerated.
    pub max_errors: u32,
}

/// The strata of one scenario and what their runs did.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// The strata, with their probabilities.
    pub strata: Strata,
    /// Per stratum: its runs' counts and sums.
    pub results: Vec<StratumSums>,
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
    fn new(model: &Model, max_errors: u32) -> Self {
        let strata = Strata::new(model, max_errors);
        let n = strata.strata.len();
        Estimate {
            results: vec![StratumSums::default(); n],
            deterministic: vec![false; n],
            affected: vec![0; n],
            affected_sets: Vec::new(),
            strata,
            complete: true,
        }
    }

    /// Runs done in all.
    pub fn runs(&self) -> u64 {
        self.results.iter().map(|a| a.runs).sum()
    }

    /// Whether node `i`'s results in stratum `h` are known exactly: the stratum has no
    /// chance in it, or cannot affect the node.
    pub fn exact(&self, h: usize, i: usize) -> bool {
        self.deterministic[h] || !self.affected_sets[self.affected[h]][i]
    }

    /// The deepest cascade stratum `h` can cause: each level of a cascade is a node of its
    /// affected set one `needs` level further down the graph, so no deeper than one more
    /// than the spread of those nodes' levels.
    pub fn deepest(&self, h: usize, model: &Model) -> usize {
        let levels = self.affected_sets[self.affected[h]]
            .iter()
            .enumerate()
            .filter(|(_, &a)| a)
            .map(|(i, _)| model.graph.level(crate::model::NodeId(i)));
        match levels.fold(None, |r: Option<(u32, u32)>, l| {
            Some(r.map_or((l, l), |(lo, hi)| (lo.min(l), hi.max(l))))
        }) {
            Some((lo, hi)) => (hi - lo) as usize + 1,
            None => 0,
        }
    }

    /// Whether stratum `h` can make some node of this kind lose traffic.
    pub fn can_affect(&self, h: usize, kind: impl Fn(&NodeKind) -> bool, model: &Model) -> bool {
        let set = &self.affected_sets[self.affected[h]];
        model
            .nodes
            .iter()
            .zip(set)
            .any(|(n, &a)| a && kind(&n.kind))
    }
}

/// Runs the strata of `model` within `options`; `progress` is told (runs done, runs
/// planned) after each piece of runs; a raised `stop` ends the current round early, and the result
/// says it is not complete.
pub fn run(
    model: &Model,
    options: Options,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Estimate, Error> {
    let paired = run_variants(&[model], options, progress, stop)?;
    Ok(paired.variants.into_iter().next().expect("one variant"))
}

/// Runs the strata of every model in `models` on common random numbers: each input (by
/// its stream key) gets the same runs in every variant that has it, and the paired
/// differences from the first are kept (for `compare`).
pub fn run_paired(
    models: &[&Model],
    options: Options,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Paired, Error> {
    run_all(models, options, true, progress, stop)
}

/// As [`run_paired`], without keeping the paired differences (for sweeps, which compare
/// each point's own results): memory stays proportional to inputs × variants.
pub fn run_variants(
    models: &[&Model],
    options: Options,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Paired, Error> {
    run_all(models, options, false, progress, stop)
}

fn run_all(
    models: &[&Model],
    options: Options,
    pairs: bool,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Paired, Error> {
    let variants = models
        .iter()
        .map(|m| Estimate::new(m, options.max_errors))
        .collect();
    let mut p = Paired::new(models, variants, pairs);
    let inputs = p.inputs.len() as u64;
    let mut run = rounds::Rounds {
        models,
        options,
        progress,
        stop,
    };
    run.probe(&mut p, options.runs.max(inputs))?;
    let half = options.runs.saturating_sub(inputs) / 2;
    let pilot = allocate::proportional(&p, half);
    run.round(&mut p, &pilot)?;
    let left = options.runs.saturating_sub(p.runs());
    let more = allocate::neyman(models, &p, left);
    run.round(&mut p, &more)?;
    let complete = !stop.load(Ordering::Relaxed);
    for est in &mut p.variants {
        est.complete = complete;
    }
    Ok(p)
}
