//! Streaming statistics over Monte Carlo runs. Everything is kept as integer counts and
//! sums, so memory does not grow with the number of runs and merging partial results (from
//! threads today, from machines later) is exact and order-independent.

mod buckets;
pub mod capacity;
mod examples;
mod histogram;
pub(crate) mod interval;
mod nodes;
pub mod strata;
mod sums;

pub use examples::{bucket, Example, Examples};
pub use histogram::Histogram;
pub use interval::{mean_interval, quantile_ranks, wilson, QuantileRanks, Z95};
pub use nodes::NodeTable;
pub use sums::{bucket_bounds, Buckets, NodeSums, StratumSums, Sum, Wide};

use serde::{Deserialize, Serialize};

use crate::engine::Outcome;
use crate::model::Model;

/// The distribution of one integer quantity over runs. Some runs may end (at the horizon)
/// with the quantity still growing: their values are right-censored, lower bounds of the
/// truth, and kept apart so that no quantile or mean is reported as if they were known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    sum: u128,
    /// 256 bits: a trillion values of a 1000-year horizon in milliseconds, squared, fit.
    sum_sq: Wide,
    hist: Histogram,
    /// The censored values.
    censored: Histogram,
}

/// A quantile, or a lower bound of it when it falls among censored values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// Known (within the histogram's resolution).
    Value(u64),
    /// At least this much: the quantile's rank falls at or beyond the smallest censored
    /// value, so the truth is not known, only that it is no less.
    AtLeast(u64),
}

impl Bound {
    /// The number, a value or a lower bound.
    pub fn value(self) -> u64 {
        match self {
            Bound::Value(v) | Bound::AtLeast(v) => v,
        }
    }

    /// Whether it is only a lower bound.
    pub fn is_lower_bound(self) -> bool {
        matches!(self, Bound::AtLeast(_))
    }
}

impl Tally {
    /// Counts one value.
    pub fn record(&mut self, v: u64) {
        self.record_n(v, 1);
    }

    /// Counts the value `v`, `n` times.
    pub fn record_n(&mut self, v: u64, n: u64) {
        self.add(v, n);
        self.hist.record_n(v, n);
    }

    /// Counts a right-censored value: the truth is `v` or more.
    pub fn record_censored(&mut self, v: u64) {
        self.add(v, 1);
        self.censored.record(v);
    }

    fn add(&mut self, v: u64, n: u64) {
        let v128 = u128::from(v);
        // Below 2^64 · 2^64 = 2^128 values of at most 2^64: the sum cannot overflow.
        self.sum = self.sum.saturating_add(v128 * u128::from(n));
        // v² < 2^128, times n into 256 bits: exact.
        self.sum_sq.add_product(v128 * v128, n);
    }

    /// Adds `other`'s values.
    pub fn merge(&mut self, other: &Tally) {
        self.sum = self.sum.saturating_add(other.sum);
        self.sum_sq.merge(other.sum_sq);
        self.hist.merge(&other.hist);
        self.censored.merge(&other.censored);
    }

    /// Number of values, censored ones included.
    pub fn len(&self) -> u64 {
        self.hist.len() + self.censored.len()
    }

    /// How many values are censored.
    pub fn censored(&self) -> u64 {
        self.censored.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Exact mean, censored values counted at their lower bound (so the mean is then a
    /// lower bound too), or `None` if empty.
    pub fn mean(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.sum as f64 / self.len() as f64)
    }

    /// 95 % interval for the mean (normal approximation).
    pub fn mean_ci95(&self) -> Option<[f64; 2]> {
        mean_interval(self.len(), self.sum as f64, self.sum_sq.as_f64())
    }

    /// Every value, censored ones at their bound, in one histogram; and how many of the
    /// smallest are certainly below every censored value (known exactly).
    fn observed(&self) -> (std::borrow::Cow<'_, Histogram>, u64) {
        match self.censored.min() {
            None => (std::borrow::Cow::Borrowed(&self.hist), self.hist.len()),
            Some(c) => {
                let mut all = self.hist.clone();
                all.merge(&self.censored);
                (std::borrow::Cow::Owned(all), self.hist.count_below(c))
            }
        }
    }

    /// Nearest-rank `q`-quantile (within 0.1 %), or a lower bound of it when its rank
    /// falls at or beyond the smallest censored value. Of the k smallest true values, at
    /// most `known` are values below the smallest censored one; the others are at least
    /// that, so the k-th is at least the smallest censored value, and at least the k-th
    /// observed value (whose bucket's lower edge is taken, never to overstate it).
    pub fn quantile_bound(&self, q: f64) -> Option<Bound> {
        let (all, known) = self.observed();
        let rank = ((q * self.len() as f64).ceil() as u64).max(1);
        if rank <= known {
            return all.value_at_rank(rank).map(Bound::Value);
        }
        let observed = all.bucket_at_rank(rank)?.0;
        let floor = self.censored.min().unwrap_or(0);
        Some(Bound::AtLeast(observed.max(floor)))
    }

    /// Nearest-rank quantile (within 0.1 %); a lower bound if censored (see
    /// [`Tally::quantile_bound`]).
    pub fn quantile(&self, q: f64) -> Option<u64> {
        self.quantile_bound(q).map(Bound::value)
    }

    /// Distribution-free 95 % interval for the `q`-quantile, from exact binomial ranks:
    /// the lower end of the bucket holding the lower rank (0 when no rank is low enough),
    /// the upper end of the bucket holding the upper rank (`None` when the rank needed is
    /// beyond the values, or among censored ones: unknown), and its exact coverage.
    /// `None` if empty.
    pub fn quantile_ci95(&self, q: f64) -> Option<QuantileInterval> {
        if self.is_empty() {
            return None;
        }
        let (all, known) = self.observed();
        let r = quantile_ranks(self.len(), q);
        let lo = match r.lo {
            0 => 0,
            // Among the censored, the smallest censored value bounds it too.
            rank if rank > known => all
                .bucket_at_rank(rank)?
                .0
                .max(self.censored.min().unwrap_or(0)),
            rank => all.bucket_at_rank(rank)?.0,
        };
        let hi = match r.hi {
            Some(rank) if rank <= known => Some(all.bucket_at_rank(rank)?.1),
            _ => None,
        };
        Some(QuantileInterval {
            lo,
            hi,
            coverage: r.coverage,
        })
    }

    /// How many of the values were zero.
    pub fn zeros(&self) -> u64 {
        self.hist.zeros()
    }

    /// Largest value (exact), or a lower bound of it if any value is censored.
    pub fn max(&self) -> Option<Bound> {
        if self.is_empty() {
            return None;
        }
        let max = self.hist.max().max(self.censored.max());
        Some(if self.censored.is_empty() {
            Bound::Value(max)
        } else {
            Bound::AtLeast(max)
        })
    }
}

/// A 95 % interval for a quantile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantileInterval {
    /// Lower bound.
    pub lo: u64,
    /// Upper bound; `None` when unknown (too few values above the quantile).
    pub hi: Option<u64>,
    /// Exact coverage of the order-statistic interval (at least 0.95).
    pub coverage: f64,
}

/// Per-node totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeTally {
    /// Runs in which the node was fully unavailable at some time.
    pub down_runs: u64,
    /// Runs in which it lost some of its traffic at some time.
    pub impacted_runs: u64,
    /// Downtime in milliseconds, one value per run (zeros included).
    pub downtime: Tally,
    /// Traffic-weighted unavailability in milliseconds, one value per run.
    pub lost_service: Tally,
}

/// How often each safeguard acted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeguardTally {
    /// Runs in which the operator declined at the prompt.
    pub declined: u64,
    /// Runs in which the guard refused the command.
    pub refused: u64,
    /// Runs in which the guard clipped the removal.
    pub clipped: u64,
    /// Runs in which a rate-limited removal was aborted.
    pub aborted: u64,
    /// Runs in which some safeguard did not work.
    pub failed: u64,
}

/// Totals over any number of runs of one model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accumulator {
    /// Runs counted.
    pub runs: u64,
    /// Runs in which some service lost traffic.
    pub outages: u64,
    /// Runs in which some customer lost traffic.
    pub customer_outages: u64,
    /// Runs in which some customer-facing (not internal) service lost traffic.
    pub facing_outages: u64,
    /// What the safeguards did.
    pub safeguards: SafeguardTally,
    /// Largest share of a service's traffic lost at some time, in millionths, per run.
    pub blast_radius: Tally,
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
    /// The runs with the longest and with each bucket of `recovery` (censored ones at the
    /// horizon), to name runs worth replaying.
    #[serde(default)]
    pub examples: Examples,
    /// Milliseconds of writes lost, over the runs in which a removal destroyed a
    /// subsystem's data (the other runs lost none).
    #[serde(default)]
    pub data_loss: Tally,
    /// When the servers of each subsystem that lost some were back, over the runs in
    /// which it lost some.
    #[serde(default)]
    pub capacity: capacity::PlainCapacity,
    /// Indexed like [`Model::nodes`]; standbys stay empty. A node is recorded only in
    /// the runs in which it lost something, so a run costs what it touched; the zeros of
    /// the other runs are added by [`Accumulator::settle`].
    pub nodes: Vec<NodeTally>,
    /// The nodes recorded since the last [`Accumulator::drain_into`].
    #[serde(skip)]
    touched: Vec<usize>,
}

impl Accumulator {
    /// Empty totals for `model`.
    pub fn new(model: &Model) -> Self {
        Accumulator {
            nodes: vec![NodeTally::default(); model.nodes.len()],
            ..Accumulator::default()
        }
    }

    /// Counts run `run`.
    pub fn record(&mut self, model: &Model, o: &Outcome, run: u64) {
        self.runs += 1;
        self.outages += u64::from(o.outage);
        self.customer_outages += u64::from(o.customer_outage);
        self.facing_outages += u64::from(o.facing_outage);
        self.blast_radius.record(u64::from(o.blast_radius));
        // Safeguards count when they acted on a wrong command, not when one failed on a
        // correct command that needed no catching.
        let wrong = o.count_typed != model.command.count
            || o.selector
                .is_some_and(|s| s != crate::typo::Selector::Intended);
        let (did, sg) = (&o.interventions, &mut self.safeguards);
        let acted = |b: bool| u64::from(b && wrong);
        sg.declined += acted(did.declined);
        sg.refused += acted(did.refused);
        sg.clipped += acted(did.clipped);
        sg.aborted += acted(did.aborted);
        sg.failed += acted(did.failed);
        self.horizon_hits += u64::from(o.horizon_hit);
        self.events += o.events;
        self.servers_removed.record(o.servers_removed);
        if let Some(d) = o.data_loss {
            self.data_loss.record(d.as_millis());
        }
        self.capacity.record(model, o);
        match o.recovery {
            Some(r) => {
                self.recovery.record(r.as_millis());
                self.examples.record(r.as_millis(), run);
            }
            // Something was still down at the horizon: recovery takes longer than that.
            None if o.horizon_hit => {
                self.recovery.record_censored(model.horizon.as_millis());
                self.examples.record(model.horizon.as_millis(), run);
            }
            None => {}
        }
        let d = o.cascade_depth as usize;
        if d >= self.depth.len() {
            self.depth.resize(d + 1, 0);
        }
        self.depth[d] += 1;
        if o.cascade_depth == 0 {
            // Nothing lost traffic: every node's downtime and lost service are zero.
            return;
        }
        // Only the nodes the run touched can have lost anything.
        for &id in &o.touched {
            let (tally, out) = (&mut self.nodes[id.0], &o.nodes[id.0]);
            if out.lost_nothing()
                || matches!(model.node(id).kind, crate::model::NodeKind::Standby { .. })
            {
                continue; // counted as a zero by `settle`
            }
            if tally.downtime.is_empty() {
                self.touched.push(id.0);
            }
            tally.down_runs += u64::from(out.down_at.is_some());
            tally.impacted_runs += u64::from(out.depth > 0);
            let (down, lost) = (out.downtime.as_millis(), out.lost_service.as_millis());
            if out.still_down {
                tally.downtime.record_censored(down);
            } else {
                tally.downtime.record(down);
            }
            if out.still_losing {
                tally.lost_service.record_censored(lost);
            } else {
                tally.lost_service.record(lost);
            }
        }
    }

    /// Adds to every node's tallies a zero for each run in which it lost nothing; call
    /// before reading them (calling it again adds nothing).
    pub fn settle(&mut self, model: &Model) {
        for (id, _) in model.reported() {
            let tally = &mut self.nodes[id.0];
            tally.downtime.record_n(0, self.runs - tally.downtime.len());
            tally
                .lost_service
                .record_n(0, self.runs - tally.lost_service.len());
        }
    }

    /// Adds these runs to `total` and starts again with none, keeping the room of its
    /// nodes: what a worker does after each chunk, so that no worker holds more than a
    /// chunk's statistics. Costs what the chunk's runs touched, not the model's size.
    pub fn drain_into(&mut self, total: &mut Accumulator) {
        let mut nodes = std::mem::take(&mut self.nodes);
        let mut touched = std::mem::take(&mut self.touched);
        total.merge(self); // all but the nodes
        if total.nodes.len() < nodes.len() {
            total.nodes.resize(nodes.len(), NodeTally::default());
        }
        for &i in &touched {
            let (a, b) = (&mut total.nodes[i], std::mem::take(&mut nodes[i]));
            a.down_runs += b.down_runs;
            a.impacted_runs += b.impacted_runs;
            a.downtime.merge(&b.downtime);
            a.lost_service.merge(&b.lost_service);
        }
        touched.clear();
        *self = Accumulator {
            nodes,
            touched,
            ..Accumulator::default()
        };
    }

    /// Adds `other`'s runs, as if they had been recorded here.
    pub fn merge(&mut self, other: &Accumulator) {
        self.runs += other.runs;
        self.outages += other.outages;
        self.customer_outages += other.customer_outages;
        self.facing_outages += other.facing_outages;
        self.blast_radius.merge(&other.blast_radius);
        let (a, b) = (&mut self.safeguards, &other.safeguards);
        a.declined += b.declined;
        a.refused += b.refused;
        a.clipped += b.clipped;
        a.aborted += b.aborted;
        a.failed += b.failed;
        self.horizon_hits += other.horizon_hits;
        self.events += other.events;
        self.servers_removed.merge(&other.servers_removed);
        self.recovery.merge(&other.recovery);
        self.examples.merge(&other.examples);
        self.data_loss.merge(&other.data_loss);
        self.capacity.merge(&other.capacity);
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
            a.impacted_runs += b.impacted_runs;
            a.downtime.merge(&b.downtime);
            a.lost_service.merge(&b.lost_service);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_interval_survives_values_whose_squares_overflow_128_bits() {
        // Six million downtimes of a million years (3.2e16 ms): their squares sum to 6e39,
        // past u128 (3.4e38). Half of them 10 % longer: the spread must not vanish.
        let mut t = Tally::default();
        let long = 31_557_600_000_000_000u64;
        t.record_n(long, 3_000_000);
        t.record_n(long + long / 10, 3_000_000);
        let [lo, hi] = t.mean_ci95().unwrap();
        let mean = t.mean().unwrap();
        assert!(lo < mean && mean < hi, "{lo} {mean} {hi}");
        // sd = long/20; half-width = 1.96·sd/√n.
        let half = 1.96 * (long as f64 / 20.0) / (6e6f64).sqrt();
        assert!(
            ((hi - lo) / 2.0 - half).abs() / half < 1e-3,
            "{} vs {half}",
            (hi - lo) / 2.0
        );
    }
}
