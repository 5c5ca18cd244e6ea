//! One stratum's statistics per node, kept only for the nodes its runs made lose something:
//! a stratum that never reaches a node holds nothing for it, so memory follows what the
//! runs touched, not strata × nodes (100,000 nodes took 19 MB in every stratum, per worker).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::sums::NodeSums;

/// What every node no run touched reads as.
static UNTOUCHED: NodeSums = NodeSums::EMPTY;

/// A multiplicative hash of a node's index (as rustc's Fx hash): node indices are small
/// distinct integers, so a keyed hash buys nothing, and a fixed one keeps the table the
/// same from run to run.
#[derive(Clone, Copy, Default)]
pub struct NodeHasher(u64);

impl Hasher for NodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

impl NodeHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Per node index, its [`NodeSums`], for the nodes some run counted. Written (in partial
/// results) as a list of (node, sums) by node, so the same table gives the same bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<(usize, NodeSums)>", from = "Vec<(usize, NodeSums)>")]
pub struct NodeTable {
    map: HashMap<usize, NodeSums, BuildHasherDefault<NodeHasher>>,
}

impl NodeTable {
    /// Node `i`'s sums; all zero if no run touched it.
    pub fn get(&self, i: usize) -> &NodeSums {
        self.map.get(&i).unwrap_or(&UNTOUCHED)
    }

    /// Node `i`'s sums, to add to (made if it had none).
    pub(crate) fn entry(&mut self, i: usize) -> &mut NodeSums {
        self.map.entry(i).or_default()
    }

    /// Holds no node any more, keeping its room.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    /// Nodes held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no node is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// (node index, sums) of the nodes held, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &NodeSums)> + '_ {
        self.map.iter().map(|(&i, n)| (i, n))
    }

    /// Adds `other`'s sums node by node with `add`.
    pub(crate) fn merge(&mut self, other: &NodeTable, add: fn(&mut NodeSums, &NodeSums)) {
        if self.map.is_empty() {
            self.map.clone_from(&other.map);
            return;
        }
        self.map
            .reserve(other.map.len().saturating_sub(self.map.len()));
        for (&i, n) in &other.map {
            add(self.map.entry(i).or_default(), n);
        }
    }
}

impl From<NodeTable> for Vec<(usize, NodeSums)> {
    fn from(t: NodeTable) -> Self {
        let mut nodes: Vec<(usize, NodeSums)> = t.map.into_iter().collect();
        nodes.sort_unstable_by_key(|&(i, _)| i);
        nodes
    }
}

impl From<Vec<(usize, NodeSums)>> for NodeTable {
    fn from(nodes: Vec<(usize, NodeSums)>) -> Self {
        NodeTable {
            map: nodes.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untouched_node_reads_as_zero_and_costs_nothing() {
        let mut t = NodeTable::default();
        assert_eq!(t.get(7), &NodeSums::default());
        t.entry(3).down_runs += 2;
        let mut u = NodeTable::default();
        u.entry(3).down_runs += 1;
        u.entry(9).impacted_runs += 1;
        t.merge(&u, |a, b| {
            a.down_runs += b.down_runs;
            a.impacted_runs += b.impacted_runs;
        });
        assert_eq!(
            (t.len(), t.get(3).down_runs, t.get(9).impacted_runs),
            (2, 3, 1)
        );
        assert_eq!(t.get(7), &NodeSums::default());
    }
}
