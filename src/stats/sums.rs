//! Counts and exact sums of one stratum's runs: all that estimates by strata need, in a
//! few hundred bytes per node whatever the values, so that many strata and many variants
//! fit in memory. Integer throughout, so merging is exact and the same in any order.

use super::buckets::{Buckets as Cells, NODE_LIMIT};
use super::histogram::{bounds_at, coarse, index};
use super::nodes::NodeTable;
use super::range::Range;
pub use super::wide::Sum;
use crate::engine::Outcome;
use crate::model::Model;

/// Counts of values by the log-linear buckets of [`super::Histogram`], holding only the
/// buckets seen, in 4 bytes each (see `Buckets`): a stratum that
/// cascades through 100,000 nodes keeps about a thousand buckets of downtime for each.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct Buckets {
    counts: Cells,
    /// The smallest and largest value counted, exactly.
    range: Range,
}

/// [`Buckets`] as a partial result holds them, before they are checked: values counted
/// have a range, none counted have none (a file edited by hand could say otherwise, and
/// a quantile clamped to a range upside down would panic).
#[derive(serde::Deserialize)]
struct Unchecked {
    counts: Cells,
    range: Option<(u64, u64)>,
}

impl TryFrom<Unchecked> for Buckets {
    type Error = String;

    fn try_from(b: Unchecked) -> Result<Self, String> {
        match (b.counts.first(), b.range) {
            (None, None) => {}
            (Some(_), Some((min, max))) if min <= max => {}
            _ => return Err("a histogram whose range does not match its counts".into()),
        }
        Ok(Buckets {
            counts: b.counts,
            range: b.range.into(),
        })
    }
}

impl Buckets {
    /// No values (usable in a `static`).
    pub(crate) const EMPTY: Buckets = Buckets {
        counts: Cells::new(),
        range: Range::NONE,
    };

    pub(crate) fn record(&mut self, v: u64) {
        self.counts.add(index(v), 1);
        self.range.add(Range::of(v));
    }

    pub(crate) fn merge(&mut self, other: &Buckets) {
        self.counts.merge(&other.counts);
        self.range.add(other.range);
    }

    /// Halves the resolution until at most `limit` buckets hold values (see
    /// [`Histogram::fit`](super::Histogram)).
    pub(crate) fn fit(&mut self, limit: usize) {
        self.counts.fit(limit);
    }

    /// The resolution of its buckets (0: the finest; see [`bucket_bounds`]).
    pub fn level(&self) -> u8 {
        self.counts.level()
    }

    /// (bucket, count), by bucket, at its own level.
    pub fn iter(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.counts.iter()
    }

    /// (bucket, count), by bucket, at `level` (its own or coarser): how to put together
    /// strata whose node histograms reached different levels.
    pub fn iter_at(&self, level: u8) -> impl Iterator<Item = (usize, u64)> + '_ {
        let shift = level.saturating_sub(self.level());
        let mut fine = self
            .counts
            .iter()
            .map(move |(b, n)| (coarse(b, shift), n))
            .peekable();
        std::iter::from_fn(move || {
            let (b, mut n) = fine.next()?;
            while let Some((_, m)) = fine.next_if(|&(next, _)| next == b) {
                n += m;
            }
            Some((b, n))
        })
    }

    /// Values in buckets up to and including `bucket` at `level` (its own or coarser).
    pub fn up_to(&self, bucket: usize, level: u8) -> u64 {
        self.iter_at(level)
            .take_while(|&(b, _)| b <= bucket)
            .map(|(_, n)| n)
            .sum()
    }

    /// The smallest and largest value counted; `None` if none was.
    pub fn range(&self) -> Option<(u64, u64)> {
        self.range.get()
    }
}

/// The smallest and largest value of bucket `i` at `level` (0: the finest, exact below
/// 1,024 and within 0.1 % above; each level doubles a bucket's width).
pub fn bucket_bounds(i: usize, level: u8) -> (u64, u64) {
    bounds_at(i, level)
}

/// One node's counts and sums.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeSums {
    /// Runs in which it became fully unavailable.
    pub down_runs: u64,
    /// Runs in which it lost some traffic.
    pub impacted_runs: u64,
    /// Runs in which it was still fully unavailable at the horizon (its downtime there is
    /// a lower bound).
    pub censored_runs: u64,
    /// Its time fully unavailable.
    pub downtime: Sum,
    /// Its traffic-weighted unavailability.
    pub lost_service: Sum,
    /// Its downtimes in the runs where it became unavailable (for quantiles).
    pub down_buckets: Buckets,
}

impl NodeSums {
    /// A node no run made lose anything (usable in a `static`).
    pub(crate) const EMPTY: NodeSums = NodeSums {
        down_runs: 0,
        impacted_runs: 0,
        censored_runs: 0,
        downtime: Sum::ZERO,
        lost_service: Sum::ZERO,
        down_buckets: Buckets::EMPTY,
    };

    fn merge(&mut self, other: &NodeSums) {
        self.down_runs += other.down_runs;
        self.impacted_runs += other.impacted_runs;
        self.censored_runs += other.censored_runs;
        self.downtime.merge(&other.downtime);
        self.lost_service.merge(&other.lost_service);
        self.down_buckets.merge(&other.down_buckets);
        self.down_buckets.fit(NODE_LIMIT);
    }
}

/// Counts and sums of a stratum's runs (in a sharded run's partial results as they are).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StratumSums {
    /// Runs counted.
    pub runs: u64,
    /// Runs in which some service lost traffic.
    pub outages: u64,
    /// Runs in which some customer-facing service lost traffic.
    pub facing_outages: u64,
    /// Runs in which some customer lost traffic.
    pub customer_outages: u64,
    /// Per node (by index in [`Model::nodes`]), only those some run made lose something:
    /// a node no run touched costs nothing.
    pub nodes: NodeTable,
    /// Runs in which something lost traffic (whose recovery time is counted).
    pub recovery_runs: u64,
    /// Of those, runs still not back at the horizon: their recovery is counted at the
    /// horizon, a lower bound.
    pub recovery_censored: u64,
    /// Time until everything was back, over `recovery_runs`.
    pub recovery: Sum,
    /// The same, by bucket (for quantiles).
    pub recovery_buckets: Buckets,
    /// Runs by cascade depth: entry `d - 1` counts the runs of depth `d` (runs of depth 0
    /// are the rest).
    pub depth_runs: Vec<u64>,
    /// The runs with the longest and with each bucket of `recovery`, by index in the
    /// stratum: runs worth replaying.
    pub examples: super::Examples,
    /// Runs in which a removal destroyed a subsystem's data.
    pub data_loss_runs: u64,
    /// The writes lost (the window before the command), over `data_loss_runs`.
    pub data_loss: Sum,
    /// The same, by bucket (for quantiles).
    pub data_loss_buckets: Buckets,
    /// When the servers of each subsystem that lost some were back.
    pub capacity: super::capacity::StratumCapacity,
}

impl StratumSums {
    /// Runs of cascade depth `d` or deeper (`d` ≥ 1).
    pub fn depth_at_least(&self, d: usize) -> u64 {
        self.depth_runs.iter().skip(d.saturating_sub(1)).sum()
    }

    /// Counts run `run` of the stratum.
    pub fn record(&mut self, model: &Model, o: &Outcome, run: u64) {
        self.runs += 1;
        self.outages += u64::from(o.outage);
        self.facing_outages += u64::from(o.facing_outage);
        self.customer_outages += u64::from(o.customer_outage);
        if let Some(d) = o.data_loss {
            self.data_loss_runs += 1;
            self.data_loss.record(d.as_millis());
            self.data_loss_buckets.record(d.as_millis());
        }
        self.capacity.record(model, o);
        if o.cascade_depth == 0 {
            return; // nothing lost traffic: every node's values are zero
        }
        let d = o.cascade_depth as usize;
        if self.depth_runs.len() < d {
            self.depth_runs.resize(d, 0);
        }
        self.depth_runs[d - 1] += 1;
        let recovered = match o.recovery {
            Some(r) => Some(r.as_millis()),
            None if o.horizon_hit => {
                self.recovery_censored += 1;
                Some(model.horizon.as_millis())
            }
            None => None,
        };
        if let Some(ms) = recovered {
            self.recovery_runs += 1;
            self.recovery.record(ms);
            self.recovery_buckets.record(ms);
            self.examples.record(ms, run);
        }
        // Only the nodes the run touched can have lost anything.
        for &id in &o.touched {
            let out = &o.nodes[id.index()];
            // A standby never loses anything: its idle time is not downtime.
            let standby = || matches!(model.node(id).kind, crate::model::NodeKind::Standby { .. });
            debug_assert!(out.lost_nothing() || !standby());
            if out.lost_nothing() {
                continue; // its values are zero, and zeros add nothing
            }
            let n = self.nodes.entry(id.index());
            n.down_runs += u64::from(out.down_at.is_some());
            n.impacted_runs += u64::from(out.depth > 0);
            n.censored_runs += u64::from(out.still_down);
            if out.down_at.is_some() {
                n.down_buckets.record(out.downtime.as_millis());
                n.down_buckets.fit(NODE_LIMIT);
            }
            n.downtime.record(out.downtime.as_millis());
            n.lost_service.record(out.lost_service.as_millis());
        }
    }

    /// Back to no runs, keeping the room its node table took.
    pub(crate) fn clear(&mut self) {
        let mut nodes = std::mem::take(&mut self.nodes);
        nodes.clear();
        *self = StratumSums {
            nodes,
            ..StratumSums::default()
        };
    }

    /// Adds `other`'s runs, taking them over whole if it has none.
    pub(crate) fn absorb(&mut self, other: StratumSums) {
        if self.runs == 0 && *self == StratumSums::default() {
            *self = other;
        } else {
            self.merge(&other);
        }
    }

    /// Adds `other`'s runs.
    pub fn merge(&mut self, other: &StratumSums) {
        self.runs += other.runs;
        self.outages += other.outages;
        self.facing_outages += other.facing_outages;
        self.customer_outages += other.customer_outages;
        self.recovery_runs += other.recovery_runs;
        self.recovery_censored += other.recovery_censored;
        self.recovery.merge(&other.recovery);
        self.recovery_buckets.merge(&other.recovery_buckets);
        self.examples.merge(&other.examples);
        if self.depth_runs.len() < other.depth_runs.len() {
            self.depth_runs.resize(other.depth_runs.len(), 0);
        }
        for (a, b) in self.depth_runs.iter_mut().zip(&other.depth_runs) {
            *a += b;
        }
        self.data_loss_runs += other.data_loss_runs;
        self.data_loss.merge(&other.data_loss);
        self.data_loss_buckets.merge(&other.data_loss_buckets);
        self.capacity.merge(&other.capacity);
        self.nodes.merge(&other.nodes, NodeSums::merge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strata_at_different_resolutions_meet_at_the_coarsest() {
        use super::super::strata::{conditional_quantile, BucketPart};
        // Two strata of equal weight and runs: one at the finest level, one whose
        // downtimes spread over 12 powers of two and took it coarser.
        let few: Vec<u64> = (1..=200).map(|i| 1_800_000 + i * 1_000).collect();
        let many: Vec<u64> = (0..4_000u64)
            .map(|i| (1_000 << (i % 12)) * (1_000 + i % 997) / 1_000)
            .collect();
        let (mut fine, mut coarse) = (Buckets::default(), Buckets::default());
        few.iter().for_each(|&v| fine.record(v));
        for &v in &many {
            coarse.record(v);
            coarse.fit(NODE_LIMIT);
        }
        let level = coarse.level();
        assert!(fine.level() == 0 && level >= 2, "{level}");
        // Coarser iteration adds up the finer buckets and keeps every count.
        let at: Vec<(usize, u64)> = fine.iter_at(level).collect();
        assert!(at.len() < fine.iter().count() && at.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(at.iter().map(|b| b.1).sum::<u64>(), 200);
        assert_eq!(fine.up_to(at[0].0, level), at[0].1);
        let n = (few.len() + many.len()) as u64;
        let parts = [&fine, &coarse].map(|buckets| BucketPart {
            weight: 0.5,
            n,
            buckets,
            exact: false,
        });
        // Equal weights and runs: the quantile of the values pooled.
        let mut pooled: Vec<u64> = few.iter().chain(&many).copied().collect();
        pooled.sort_unstable();
        for q in [0.1, 0.5, 0.9, 0.99] {
            let est = conditional_quantile(&parts, q).unwrap();
            let truth = pooled[(q * pooled.len() as f64).ceil() as usize - 1];
            let (lo, hi) = bucket_bounds(coarse_key(truth, level), level);
            assert!(
                lo <= est.estimate && est.estimate <= hi,
                "q {q}: {est:?} {truth}"
            );
            assert!(
                est.lo <= truth && est.hi.is_none_or(|h| truth <= h),
                "q {q}"
            );
        }
    }

    #[test]
    fn a_range_that_does_not_match_the_counts_is_refused() {
        // Only a partial result edited by hand holds these: no range for values counted,
        // one upside down, or one for no values.
        for text in [
            r#"{"counts":[[2000,3]],"range":null}"#,
            r#"{"counts":[[2000,3]],"range":[9000,3]}"#,
            r#"{"counts":[],"range":[1,2]}"#,
        ] {
            assert!(serde_json::from_str::<Buckets>(text).is_err(), "{text}");
        }
        let mut b = Buckets::default();
        b.record(5);
        let text = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<Buckets>(&text).unwrap(), b);
        let empty = serde_json::to_string(&Buckets::default()).unwrap();
        assert_eq!(
            serde_json::from_str::<Buckets>(&empty).unwrap(),
            Buckets::default()
        );
    }

    fn coarse_key(v: u64, level: u8) -> usize {
        coarse(index(v), level)
    }
}
