//! Streaming statistics over Monte Carlo runs. Everything is kept as integer counts and
//! sums, so memory does not grow with the number of runs and merging partial results (from
//! threads today, from machines later) is exact and order-independent.

mod histogram;
mod interval;

pub use histogram::Histogram;
pub use interval::{mean_interval, quantile_ranks, wilson, Z95};

use crate::engine::Outcome;
use crate::model::Model;

/// The distribution of one integer quantity over runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    sum: u128,
    sum_sq: u128,
    hist: Histogram,
}

impl Tally {
    /// Counts one value.
    pub fn record(&mut self, v: u64) {
        let v128 = u128::from(v);
        self.sum = self.sum.saturating_add(v128);
        self.sum_sq = self.sum_sq.saturating_add(v128 * v128);
        self.hist.record(v);
    }

    /// Adds `other`'s values.
    pub fn merge(&mut self, other: &Tally) {
        self.sum = self.sum.saturating_add(other.sum);
        self.sum_sq = self.sum_sq.saturating_add(other.sum_sq);
        self.hist.merge(&other.hist);
    }

    /// Number of values.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// Exact mean, or `None` if empty.
    pub fn mean(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.sum as f64 / self.len() as f64)
    }

    /// 95 % interval for the mean (normal approximation).
    pub fn mean_ci95(&self) -> Option<[f64; 2]> {
        mean_interval(self.len(), self.sum as f64, self.sum_sq as f64)
    }

    /// Nearest-rank quantile (within 0.1 %).
    pub fn quantile(&self, q: f64) -> Option<u64> {
        self.hist.quantile(q)
    }

    /// Distribution-free 95 % interval for the `q`-quantile.
    pub fn quantile_ci95(&self, q: f64) -> Option<[u64; 2]> {
        let (lo, hi) = quantile_ranks(self.len(), q);
        Some([self.hist.value_at_rank(lo)?, self.hist.value_at_rank(hi)?])
    }

    /// Exact maximum, or `None` if empty.
    pub fn max(&self) -> Option<u64> {
        (!self.is_empty()).then(|| self.hist.max())
    }
}

/// Per-node totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeTally {
    /// Runs in which the node was unavailable at some time.
    pub down_runs: u64,
    /// Downtime in milliseconds, one value per run (zeros included).
    pub downtime: Tally,
}

/// Totals over any number of runs of one model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accumulator {
    /// Runs counted.
    pub runs: u64,
    /// Runs in which some service was unavailable.
    pub outages: u64,
    /// Runs in which something was still unavailable at the horizon.
    pub horizon_hits: u64,
    /// Events processed by the engine.
    pub events: u64,
    /// Servers removed per run.
    pub servers_removed: Tally,
    /// Milliseconds from the command until everything was back, over the runs in which
    /// something became unavailable and everything came back before the horizon.
    pub recovery: Tally,
    /// Runs with each cascade depth (index = depth).
    pub depth: Vec<u64>,
    /// Indexed like [`Model::nodes`]; standbys stay empty.
    pub nodes: Vec<NodeTally>,
}

impl Accumulator {
    /// Empty totals for `model`.
    pub fn new(model: &Model) -> Self {
        Accumulator {
            nodes: vec![NodeTally::default(); model.nodes.len()],
            ..Accumulator::default()
        }
    }

    /// Counts one run.
    pub fn record(&mut self, model: &Model, o: &Outcome) {
        self.runs += 1;
        self.outages += u64::from(o.outage);
        self.horizon_hits += u64::from(o.horizon_hit);
        self.events += o.events;
        self.servers_removed.record(o.servers_removed);
        if let Some(r) = o.recovery {
            self.recovery.record(r.as_millis());
        }
        let d = o.cascade_depth as usize;
        if d >= self.depth.len() {
            self.depth.resize(d + 1, 0);
        }
        self.depth[d] += 1;
        for (id, _) in model.reported() {
            let (tally, out) = (&mut self.nodes[id.0], &o.nodes[id.0]);
            tally.down_runs += u64::from(out.down_at.is_some());
            tally.downtime.record(out.downtime.as_millis());
        }
    }

    /// Adds `other`'s runs, as if they had been recorded here.
    pub fn merge(&mut self, other: &Accumulator) {
        self.runs += other.runs;
        self.outages += other.outages;
        self.horizon_hits += other.horizon_hits;
        self.events += other.events;
        self.servers_removed.merge(&other.servers_removed);
        self.recovery.merge(&other.recovery);
        if other.depth.len() > self.depth.len() {
            self.depth.resize(other.depth.len(), 0);
        }
        for (a, b) in self.depth.iter_mut().zip(&other.depth) {
            *a += b;
        }
        if self.nodes.len() < other.nodes.len() {
            self.nodes.resize(other.nodes.len(), NodeTally::default());
        }
        for (a, b) in self.nodes.iter_mut().zip(&other.nodes) {
            a.down_runs += b.down_runs;
            a.downtime.merge(&b.downtime);
        }
    }
}
