//! Streaming statistics over Monte Carlo runs. Everything is kept as integer counts and
//! sums, so memory does not grow with the number of runs and merging partial results (from
//! threads today, from machines later) is exact and order-independent.

mod buckets;
pub mod capacity;
mod examples;
mod histogram;
pub(crate) mod interval;
mod nodes;
mod range;
mod shared;
pub mod strata;
mod sums;
mod tally;
mod wide;

pub use examples::{bucket, Example, Examples};
pub use histogram::Histogram;
pub use interval::{mean_interval, quantile_ranks, wilson, QuantileRanks, Z95};
pub use nodes::NodeTable;
pub use shared::{Scratch, Shared};
pub use sums::{bucket_bounds, Buckets, NodeSums, StratumSums, Sum};
pub use tally::{Bound, QuantileInterval, Tally};
pub use wide::Wide;

use serde::{Deserialize, Serialize};

use crate::engine::Outcome;
use crate::model::Model;

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
}

/// Models of more nodes than this have their node tallies made and settled on rayon's
/// pool: at 100,000 nodes that is 37 MB of tallies, and their pages are faulted in by
/// whichever thread writes them first.
const PARALLEL_NODES: usize = 16_384;

impl Accumulator {
    /// Empty totals for `model`.
    pub fn new(model: &Model) -> Self {
        use rayon::prelude::*;
        let n = model.nodes.len();
        let nodes = if n > PARALLEL_NODES {
            (0..n)
                .into_par_iter()
                .map(|_| NodeTally::default())
                .collect()
        } else {
            vec![NodeTally::default(); n]
        };
        Accumulator {
            nodes,
            ..Accumulator::default()
        }
    }

    /// Counts run `run`.
    pub fn record(&mut self, model: &Model, o: &Outcome, run: u64) {
        self.record_run(model, o, run);
        for (id, out) in lost(model, o) {
            self.nodes[id].record(out);
        }
    }

    /// Counts run `run`, all but what its nodes lost (which [`Accumulator::record`] adds
    /// to this accumulator's nodes, and [`Shared::record_nodes`] to a shared total's): a
    /// worker's accumulator, which holds no nodes.
    pub fn record_run(&mut self, model: &Model, o: &Outcome, run: u64) {
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
    }

    /// Adds to every node's tallies a zero for each run in which it lost nothing; call
    /// before reading them (calling it again adds nothing).
    pub fn settle(&mut self, model: &Model) {
        use rayon::prelude::*;
        let runs = self.runs;
        let settle = |(tally, node): (&mut NodeTally, &crate::model::Node)| {
            if matches!(node.kind, crate::model::NodeKind::Standby { .. }) {
                return; // not reported
            }
            tally.downtime.record_n(0, runs - tally.downtime.len());
            tally
                .lost_service
                .record_n(0, runs - tally.lost_service.len());
            tally.fit();
        };
        debug_assert_eq!(
            self.nodes.len(),
            model.nodes.len(),
            "totals of another model"
        );
        if self.nodes.len() > PARALLEL_NODES {
            let nodes = self.nodes.par_iter_mut().zip(&model.nodes);
            nodes.for_each(settle);
        } else {
            self.nodes.iter_mut().zip(&model.nodes).for_each(settle);
        }
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
            a.merge(b);
        }
    }
}

impl NodeTally {
    /// Counts a run in which the node lost something.
    fn record(&mut self, out: &crate::engine::NodeOutcome) {
        self.down_runs += u64::from(out.down_at.is_some());
        self.impacted_runs += u64::from(out.depth > 0);
        let (down, lost) = (out.downtime.as_millis(), out.lost_service.as_millis());
        if out.still_down {
            self.downtime.record_censored(down);
        } else {
            self.downtime.record(down);
        }
        if out.still_losing {
            self.lost_service.record_censored(lost);
        } else {
            self.lost_service.record(lost);
        }
        self.fit();
    }

    /// Keeps its histograms within [`buckets::NODE_LIMIT`] buckets each.
    fn fit(&mut self) {
        self.downtime.fit(buckets::NODE_LIMIT);
        self.lost_service.fit(buckets::NODE_LIMIT);
    }

    /// Adds `other`'s runs.
    fn merge(&mut self, other: &NodeTally) {
        self.down_runs += other.down_runs;
        self.impacted_runs += other.impacted_runs;
        self.downtime.merge(&other.downtime);
        self.lost_service.merge(&other.lost_service);
        self.fit();
    }
}

/// The nodes (by index) that lost something in a run, with what: only those the run
/// touched, and none when nothing lost traffic. A node that lost nothing is counted as a
/// zero by [`Accumulator::settle`]; a standby never loses anything (its idle time is not
/// downtime), so the model's nodes are not read.
fn lost<'o>(
    model: &'o Model,
    o: &'o Outcome,
) -> impl Iterator<Item = (usize, &'o crate::engine::NodeOutcome)> + 'o {
    let touched = if o.cascade_depth == 0 {
        &[][..]
    } else {
        &o.touched[..]
    };
    touched.iter().filter_map(move |&id| {
        let out = &o.nodes[id.0];
        let standby = || matches!(model.node(id).kind, crate::model::NodeKind::Standby { .. });
        debug_assert!(out.lost_nothing() || !standby());
        (!out.lost_nothing()).then_some((id.0, out))
    })
}
