//! Totals that the workers add their runs to themselves, at the same time. What a run's
//! nodes lost goes straight into the total, so a worker holds no statistics per node (at
//! 100,000 nodes, 40 MB of tallies each) and nothing is merged twice; the rest of a run
//! (a few counts and histograms) is kept by the worker and added when it hands over. The
//! nodes are cut into stripes, each behind its own lock, and a worker takes the stripes it
//! finds free first, so two workers in cascades through every node rarely wait for each
//! other. Sums merge exactly in any order, so the totals do not depend on who adds first.

use std::sync::{Mutex, MutexGuard, TryLockError};

use super::{lost, Accumulator, NodeTally};
use crate::engine::Outcome;
use crate::model::Model;

/// Stripes the nodes are cut into: enough that two or more workers rarely want the same
/// one, few enough that a stripe's lock costs nothing beside the tallies behind it.
const STRIPES: usize = 64;

/// An [`Accumulator`] lent to workers that add to it at once (see
/// [`Accumulator::sharing`]).
pub struct Shared<'t> {
    /// Everything but the nodes.
    rest: Mutex<&'t mut Accumulator>,
    /// The nodes, `width` to a stripe, in order.
    stripes: Vec<Mutex<&'t mut [NodeTally]>>,
    width: usize,
}

/// A worker's room for sorting a run's nodes by stripe, kept from run to run.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The run's nodes that lost something, by stripe.
    by_stripe: Vec<Vec<usize>>,
    /// The stripes another worker held when first asked.
    busy: Vec<usize>,
}

impl Accumulator {
    /// Lends these totals to `f`, whose workers add their runs with
    /// [`Accumulator::record_run`], [`Shared::record_nodes`] and
    /// [`Accumulator::drain_shared`].
    pub fn sharing<R>(&mut self, f: impl FnOnce(&Shared<'_>) -> R) -> R {
        let mut nodes = std::mem::take(&mut self.nodes);
        let width = nodes.len().div_ceil(STRIPES).max(1);
        let shared = Shared {
            rest: Mutex::new(&mut *self),
            stripes: nodes.chunks_mut(width).map(Mutex::new).collect(),
            width,
        };
        let result = f(&shared);
        drop(shared);
        self.nodes = nodes;
        result
    }

    /// Adds these runs to `total` and starts again with none: what a worker does when it
    /// hands over (every 0.1 s of work, and at the end).
    pub fn drain_shared(&mut self, total: &Shared<'_>) {
        if self.runs > 0 {
            lock(&total.rest).merge(self);
            *self = Accumulator::default();
        }
    }
}

impl Shared<'_> {
    /// Adds what run `o`'s nodes lost to the total's nodes. Costs what the run touched.
    pub fn record_nodes(&self, model: &Model, o: &Outcome, scratch: &mut Scratch) {
        let stripes = &self.stripes;
        scratch.by_stripe.resize_with(stripes.len(), Vec::new);
        let mut any = false;
        for (i, _) in lost(model, o) {
            scratch.by_stripe[i / self.width].push(i);
            any = true;
        }
        if !any {
            return;
        }
        let width = self.width;
        let add = |s: usize, tallies: &mut [NodeTally], nodes: &mut Vec<usize>| {
            for i in nodes.drain(..) {
                tallies[i - s * width].record(&o.nodes[i]);
            }
        };
        // First the stripes no one holds, then, waiting, the others.
        scratch.busy.clear();
        for (s, nodes) in scratch.by_stripe.iter_mut().enumerate() {
            if nodes.is_empty() {
                continue;
            }
            match stripes[s].try_lock() {
                Ok(mut tallies) => add(s, &mut tallies, nodes),
                Err(TryLockError::WouldBlock) => scratch.busy.push(s),
                Err(TryLockError::Poisoned(p)) => add(s, &mut p.into_inner(), nodes),
            }
        }
        for &s in &scratch.busy {
            add(s, &mut lock(&stripes[s]), &mut scratch.by_stripe[s]);
        }
    }
}

/// The lock's content: a worker that panicked holding it left sums that its panic
/// abandons anyway (the batch fails), so a poisoned lock is not a second error.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use crate::engine::{Simulation, Unobserved};
    use crate::montecarlo::{run, run_rng, Plan};
    use crate::scenario::{generate, parse, Shape, BUILTINS};
    use crate::stats::Accumulator;

    /// Recorded one run after another into one accumulator, as a library user would.
    fn one_by_one(model: &crate::model::Model, runs: u64) -> Accumulator {
        let mut acc = Accumulator::new(model);
        let mut sim = Simulation::new(model);
        for r in 0..runs {
            let o = sim.run_random(&mut run_rng(7, r), &mut Unobserved);
            acc.record(model, o, r);
        }
        acc.settle(model);
        acc
    }

    #[test]
    fn workers_sharing_a_total_add_up_to_the_runs_recorded_one_by_one() {
        // A generated graph of 300 subsystems (5 stripes of nodes) where some runs cascade
        // through every node, with workers enough to want the same stripes, and the
        // built-in scenarios (cells, customers, backlogs, standbys).
        let shape = Shape {
            subsystems: 300,
            ..Shape::default()
        };
        let generated = ("generated".to_string(), generate(shape), 4_000);
        let builtins = BUILTINS
            .iter()
            .map(|b| (b.name.to_string(), b.text.to_string(), 2_000));
        let stop = AtomicBool::new(false);
        for (name, text, runs) in std::iter::once(generated).chain(builtins) {
            let model = parse(&name, &text).unwrap();
            let expected = one_by_one(&model, runs);
            let lost: u64 = expected.nodes.iter().map(|n| n.impacted_runs).sum();
            assert!(lost > 0, "{name}: no run lost anything");
            for threads in [1, 2, 4] {
                let plan = Plan {
                    runs,
                    seed: 7,
                    threads,
                };
                let shared = run(&model, plan, None, &mut |_| {}, &stop).unwrap();
                assert!(shared == expected, "{name} on {threads} threads");
            }
        }
    }
}
