//! Runs by strata split across machines. Each round's allocation depends on the rounds
//! before it (the pilot's on the probe, Neyman's on the pilot's results), so a sharded run
//! has two rounds of shards and a merge between them:
//! 1. [`first_round`]: every shard runs the probe (one run per input, cheap, so every shard
//!    can allocate the pilot the same way) and its share of the pilot; only share 1 keeps
//!    the probe's runs, so that they are counted once;
//! 2. the shards' results are added up ([`Paired::add`]): the pilot, as the run done at
//!    once has it after its second round;
//! 3. [`second_round`]: every shard allocates the rest from the pilot, as the run done at
//!    once does, and runs its share;
//! 4. the pilot and the second round's shares are added up: the run done at once, exactly,
//!    since every count and sum is an integer.
//!
//! What a shard hands on is a [`State`]: the results and what the probe settled, without
//! the strata themselves (rebuilt from the model, the same on every machine).

use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use super::allocate;
use super::rounds::{Job, Rounds};
use super::{Estimate, Options, Paired};
use crate::error::Error;
use crate::model::Model;
use crate::montecarlo::Share;
use crate::stats::StratumSums;

/// What a share of a round did, in every variant: all a partial result needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Per variant.
    pub variants: Vec<VariantState>,
    /// As [`Paired::cross`].
    pub cross: Vec<Vec<Vec<[i128; 3]>>>,
    /// As [`Paired::runs`].
    pub runs: Vec<u64>,
}

/// One variant's part of a [`State`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantState {
    /// As [`Estimate::results`].
    pub results: Vec<StratumSums>,
    /// As [`Estimate::deterministic`].
    pub deterministic: Vec<bool>,
    /// As [`Estimate::affected`].
    pub affected: Vec<usize>,
    /// As [`Estimate::affected_sets`], each set by the indices of its nodes.
    pub affected_sets: Vec<Vec<usize>>,
    /// As [`Estimate::complete`].
    pub complete: bool,
}

/// Round 1 of a sharded run: the probe, and `share` of the pilot.
pub fn first_round(
    models: &[&Model],
    options: Options,
    pairs: bool,
    share: Share,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Paired, Error> {
    let (mut p, pilot) = {
        let mut p = fresh(models, options, pairs);
        let mut run = Rounds {
            models,
            options,
            progress: &mut *progress,
            stop,
        };
        let inputs = p.inputs.len() as u64;
        run.probe(&mut p, options.runs.max(inputs))?;
        let half = options.runs.saturating_sub(inputs) / 2;
        let pilot = allocate::proportional(&p, half);
        (p, pilot)
    };
    if share.index != 1 {
        p.clear();
    }
    rest(models, options, p, &pilot, share, progress, stop)
}

/// Round 2 of a sharded run: `share` of the rest of the budget, allocated from `pilot`
/// (round 1, all its shards added up).
pub fn second_round(
    models: &[&Model],
    options: Options,
    pilot: &Paired,
    share: Share,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Paired, Error> {
    let left = options.runs.saturating_sub(pilot.runs());
    let more = allocate::neyman(models, pilot, left);
    let mut p = pilot.clone();
    p.clear();
    rest(models, options, p, &more, share, progress, stop)
}

/// Runs `share` of `jobs` into `p`.
fn rest(
    models: &[&Model],
    options: Options,
    mut p: Paired,
    jobs: &[Job],
    share: Share,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<Paired, Error> {
    let mine = share_of(jobs, share);
    let mut run = Rounds {
        models,
        options,
        progress,
        stop,
    };
    run.round(&mut p, &mine)?;
    let complete = !stop.load(std::sync::atomic::Ordering::Relaxed);
    for est in &mut p.variants {
        est.complete = complete;
    }
    Ok(p)
}

/// The runs of `jobs`, laid end to end, that fall in `share`.
fn share_of(jobs: &[Job], share: Share) -> Vec<Job> {
    let total = jobs.iter().map(|&(_, a, b)| b - a).sum();
    let mine = share.of(total);
    let mut at = 0u64;
    let mut out = Vec::new();
    for &(u, a, b) in jobs {
        let (start, end) = (at, at + (b - a));
        at = end;
        let (from, to) = (start.max(mine.start), end.min(mine.end));
        if from < to {
            out.push((u, a + (from - start), a + (to - start)));
        }
    }
    out
}

/// The variants' strata with no runs yet.
fn fresh(models: &[&Model], options: Options, pairs: bool) -> Paired {
    let variants = models
        .iter()
        .map(|m| Estimate::new(m, options.max_errors))
        .collect();
    Paired::new(models, variants, pairs)
}

impl Paired {
    /// No runs: every count and sum zero, what the probe settled kept.
    fn clear(&mut self) {
        for est in &mut self.variants {
            est.results
                .iter_mut()
                .for_each(|r| *r = StratumSums::default());
        }
        for per_input in &mut self.cross {
            for per_variant in per_input {
                per_variant.iter_mut().for_each(|c| *c = [0; 3]);
            }
        }
        self.runs.iter_mut().for_each(|r| *r = 0);
    }

    /// What a partial result keeps of it.
    pub fn state(&self) -> State {
        State {
            variants: self
                .variants
                .iter()
                .map(|est| VariantState {
                    results: est.results.clone(),
                    deterministic: est.deterministic.clone(),
                    affected: est.affected.clone(),
                    affected_sets: est
                        .affected_sets
                        .iter()
                        .map(|set| (0..set.len()).filter(|&i| set[i]).collect())
                        .collect(),
                    complete: est.complete,
                })
                .collect(),
            cross: self.cross.clone(),
            runs: self.runs.clone(),
        }
    }

    /// The variants of `models` (strata rebuilt with `max_errors` keystroke errors, paired
    /// differences kept if `pairs`) with the results of `state`; an error says why
    /// `state` cannot be theirs.
    pub fn restore(
        models: &[&Model],
        max_errors: u32,
        pairs: bool,
        state: State,
    ) -> Result<Paired, String> {
        let options = Options {
            runs: 0,
            seed: 0,
            threads: 1,
            max_errors,
        };
        let mut p = fresh(models, options, pairs);
        let shape = |p: &Paired| -> Vec<usize> {
            let mut shape = vec![p.variants.len(), p.runs.len()];
            shape.extend(p.variants.iter().map(|e| e.results.len()));
            shape.extend(p.cross.iter().flatten().map(Vec::len));
            shape
        };
        let mut theirs = vec![state.variants.len(), state.runs.len()];
        theirs.extend(state.variants.iter().map(|v| v.results.len()));
        theirs.extend(state.cross.iter().flatten().map(Vec::len));
        let other_shape = p.variants.iter().zip(&state.variants).any(|(e, v)| {
            v.deterministic.len() != e.results.len()
                || v.affected.len() != e.results.len()
                || v.affected.iter().any(|&a| a >= v.affected_sets.len())
        }) || state.cross.len() != p.cross.len()
            || state
                .cross
                .iter()
                .zip(&p.cross)
                .any(|(a, b)| a.len() != b.len());
        if shape(&p) != theirs || other_shape {
            return Err("results of other strata than the scenario's".into());
        }
        for ((est, v), model) in p.variants.iter_mut().zip(state.variants).zip(models) {
            let nodes = model.nodes.len();
            let within = |r: &StratumSums| {
                r.nodes.iter().all(|(i, _)| i < nodes)
                    && r.capacity.nodes.iter().all(|&(i, _)| (i as usize) < nodes)
            };
            if !v.results.iter().all(within) {
                return Err("statistics of a node beyond the scenario's".into());
            }
            let mut sets = Vec::with_capacity(v.affected_sets.len());
            for set in v.affected_sets {
                let mut bits = vec![false; nodes];
                for i in set {
                    *bits.get_mut(i).ok_or("a node beyond the scenario's")? = true;
                }
                sets.push(bits);
            }
            est.results = v.results;
            est.deterministic = v.deterministic;
            est.affected = v.affected;
            est.affected_sets = sets;
            est.complete = v.complete;
        }
        p.cross = state.cross;
        p.runs = state.runs;
        Ok(p)
    }

    /// Adds `other`'s runs (another share of the same run); an error if the two disagree
    /// on what the probe settled, so are not shares of one run.
    pub fn add(&mut self, other: &Paired) -> Result<(), String> {
        let same = self.runs.len() == other.runs.len()
            && self.variants.len() == other.variants.len()
            && self.variants.iter().zip(&other.variants).all(|(a, b)| {
                a.deterministic == b.deterministic
                    && a.affected == b.affected
                    && a.affected_sets == b.affected_sets
            });
        if !same {
            return Err("its probe settled other strata: not a share of the same run".into());
        }
        for (a, b) in self.variants.iter_mut().zip(&other.variants) {
            for (x, y) in a.results.iter_mut().zip(&b.results) {
                x.merge(y);
            }
            a.complete &= b.complete;
        }
        for (a, b) in self.cross.iter_mut().zip(&other.cross) {
            for (a, b) in a.iter_mut().zip(b) {
                for (a, b) in a.iter_mut().zip(b) {
                    for k in 0..3 {
                        a[k] += b[k];
                    }
                }
            }
        }
        for (a, b) in self.runs.iter_mut().zip(&other.runs) {
            *a += b;
        }
        Ok(())
    }
}
