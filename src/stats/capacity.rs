//! Capacity over time over many runs: per subsystem and share (50 %, 90 %, 100 % of its
//! servers), in the runs in which its servers in service fell below that share, when the
//! share was back for good. A share not back when a run ended (servers removed for good,
//! or the horizon) is counted as [`NOT_BACK`], a time beyond any simulated one, so that a
//! quantile over those runs can say "not back" where it falls among them. Only the
//! subsystems that lost servers in some run are held: a run costs what it touched.

use serde::{Deserialize, Serialize};

use super::{Buckets, Tally};
use crate::engine::capacity::CapacityBack;
use crate::engine::Outcome;
use crate::model::{Model, NodeKind};

/// The value counted for a share not back when its run ended, in ms: above every
/// simulated time (durations are below 2^53 ms).
pub const NOT_BACK: u64 = 1 << 62;

/// Whether a time read back from a histogram (within its bucket) means [`NOT_BACK`].
pub fn is_not_back(ms: u64) -> bool {
    ms >= NOT_BACK / 2
}

/// The time counted for a share it fell below: ms since the command, or [`NOT_BACK`];
/// `None` if it never fell below the share (back at the command's instant).
fn value(t: Option<crate::time::SimTime>) -> Option<u64> {
    match t {
        None => Some(NOT_BACK),
        Some(t) if t == crate::time::SimTime::ZERO => None,
        Some(t) => Some(t.since_start().as_millis()),
    }
}

/// The subsystems that lost servers in a run, with what the run says of them.
fn lost<'a>(model: &'a Model, o: &'a Outcome) -> impl Iterator<Item = (u32, CapacityBack)> + 'a {
    o.touched.iter().filter_map(move |&id| {
        let c = o.nodes[id.index()].capacity;
        let lost = c.lost && matches!(model.node(id).kind, NodeKind::Subsystem(_));
        lost.then_some((id.index() as u32, c))
    })
}

/// The entry of node `i` in a list sorted by node, inserted empty if missing.
fn entry<T: Default>(list: &mut Vec<(u32, T)>, i: u32) -> &mut T {
    let at = match list.binary_search_by_key(&i, |e| e.0) {
        Ok(at) => at,
        Err(at) => {
            list.insert(at, (i, T::default()));
            at
        }
    };
    &mut list[at].1
}

/// What counts the times a share was back: buckets by strata, a tally in plain runs.
pub trait Times: Default {
    /// Counts one time, in ms.
    fn add(&mut self, ms: u64);
    /// Adds `other`'s times.
    fn add_all(&mut self, other: &Self);
}

impl Times for Buckets {
    fn add(&mut self, ms: u64) {
        self.record(ms);
    }
    fn add_all(&mut self, other: &Self) {
        self.merge(other);
    }
}

impl Times for Tally {
    fn add(&mut self, ms: u64) {
        self.record(ms);
    }
    fn add_all(&mut self, other: &Self) {
        self.merge(other);
    }
}

/// One subsystem's capacity over runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareSums<H> {
    /// Per share, the runs in which it fell below it.
    pub below_runs: [u64; 3],
    /// Per share, of those runs, how many ended with it not back.
    pub not_back: [u64; 3],
    /// Per share, the time it was back in each of those runs, in ms ([`NOT_BACK`] if not).
    pub back: [H; 3],
}

/// The capacity over runs of each subsystem that lost servers in one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByNode<H> {
    /// (node index, its sums), sorted by node.
    pub nodes: Vec<(u32, ShareSums<H>)>,
}

/// One subsystem's capacity over a stratum's runs.
pub type CapacitySums = ShareSums<Buckets>;
/// One subsystem's capacity over plain runs.
pub type CapacityTally = ShareSums<Tally>;
/// The capacity over a stratum's runs, by node.
pub type StratumCapacity = ByNode<Buckets>;
/// The capacity over plain runs, by node.
pub type PlainCapacity = ByNode<Tally>;

impl<H: Times> ByNode<H> {
    /// Counts one run.
    pub fn record(&mut self, model: &Model, o: &Outcome) {
        for (i, c) in lost(model, o) {
            let s = entry(&mut self.nodes, i);
            for k in 0..3 {
                if let Some(ms) = value(c.back[k]) {
                    s.below_runs[k] += 1;
                    s.not_back[k] += u64::from(ms == NOT_BACK);
                    s.back[k].add(ms);
                }
            }
        }
    }

    /// Adds `other`'s runs.
    pub fn merge(&mut self, other: &ByNode<H>) {
        for (i, b) in &other.nodes {
            let a = entry(&mut self.nodes, *i);
            for k in 0..3 {
                a.below_runs[k] += b.below_runs[k];
                a.not_back[k] += b.not_back[k];
                a.back[k].add_all(&b.back[k]);
            }
        }
    }

    /// Node `i`'s sums, if it lost servers in some run.
    pub fn get(&self, i: usize) -> Option<&ShareSums<H>> {
        let i = u32::try_from(i).ok()?;
        let at = self.nodes.binary_search_by_key(&i, |e| e.0).ok()?;
        Some(&self.nodes[at].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_back_is_told_apart_from_every_simulated_time_within_its_bucket() {
        let mut t = Tally::default();
        t.record(NOT_BACK);
        let q = t.quantile(0.5).unwrap();
        assert!(is_not_back(q));
        assert!(!is_not_back((1 << 53) - 1));
        let mut b = Buckets::default();
        b.record(NOT_BACK);
        let (lo, _) = super::super::bucket_bounds(b.iter().next().unwrap().0, 0);
        assert!(is_not_back(lo));
    }

    #[test]
    fn entries_stay_sorted_and_merge_by_node() {
        let mut a = StratumCapacity::default();
        entry(&mut a.nodes, 5).below_runs[2] = 1;
        entry(&mut a.nodes, 2).below_runs[2] = 2;
        let mut b = StratumCapacity::default();
        entry(&mut b.nodes, 3).below_runs[2] = 4;
        entry(&mut b.nodes, 5).below_runs[2] = 8;
        a.merge(&b);
        let runs: Vec<(u32, u64)> = a.nodes.iter().map(|(i, s)| (*i, s.below_runs[2])).collect();
        assert_eq!(runs, [(2, 2), (3, 4), (5, 9)]);
        assert_eq!(a.get(5).map(|s| s.below_runs[2]), Some(9));
        assert!(a.get(4).is_none());
    }
}
