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

/// Nodes held from which a table may turn dense (see [`NodeTable`]); 4 in the crate's
/// unit tests, so that the small models' golden results are checked through dense tables
/// too (see `stratified::rounds`).
const DENSE_FROM: usize = if cfg!(test) { 4 } else { 1_024 };

/// Per node index, its [`NodeSums`], for the nodes some run counted. Sparse (a hash map)
/// while few nodes are held; dense (a slot per index up to the last held) while at least
/// half of those indices are held and there are `DENSE_FROM` or more: a stratum that
/// cascades through 100,000 nodes then takes 160 bytes a node instead of a hash map's
/// 220, and finds a node without hashing; whatever the indices, a table takes at most
/// about two slots a node it held (a cleared table keeps its room). Written (in partial
/// results) as a list of (node, sums) by node, so the same nodes give the same bytes
/// either way.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(into = "Vec<(usize, NodeSums)>", from = "Vec<(usize, NodeSums)>")]
pub struct NodeTable {
    map: HashMap<usize, NodeSums, BuildHasherDefault<NodeHasher>>,
    /// When dense: by index, `None` for a node not held (and `map` is empty).
    dense: Vec<Option<NodeSums>>,
    /// When dense: the nodes held.
    held: usize,
    /// When sparse: above every index held.
    end: usize,
}

impl NodeTable {
    fn is_dense(&self) -> bool {
        !self.dense.is_empty()
    }

    /// Node `i`'s sums; all zero if no run touched it.
    pub fn get(&self, i: usize) -> &NodeSums {
        let held = if self.is_dense() {
            self.dense.get(i).and_then(Option::as_ref)
        } else {
            self.map.get(&i)
        };
        held.unwrap_or(&UNTOUCHED)
    }

    /// Whether node `i` is held.
    fn holds(&self, i: usize) -> bool {
        if self.is_dense() {
            self.dense.get(i).is_some_and(Option::is_some)
        } else {
            self.map.contains_key(&i)
        }
    }

    /// Node `i`'s sums, to add to (made if it had none).
    pub(crate) fn entry(&mut self, i: usize) -> &mut NodeSums {
        let end = i.saturating_add(1);
        if self.is_dense() && end > self.dense.len() && (self.held + 1) * 2 < end {
            self.sparsify();
        }
        if !self.is_dense() {
            self.end = self.end.max(end);
            let held = self.map.len() + 1;
            if held > DENSE_FROM && held * 2 >= self.end {
                self.densify();
            }
        }
        if !self.is_dense() {
            return self.map.entry(i).or_default();
        }
        if end > self.dense.len() {
            // By an eighth at least: doubling would leave up to half the slots unused.
            let more = end - self.dense.len();
            self.dense.reserve_exact(more.max(self.dense.len() / 8));
            self.dense.resize_with(end, || None);
        }
        let slot = &mut self.dense[i];
        self.held += usize::from(slot.is_none());
        slot.get_or_insert_with(NodeSums::default)
    }

    /// Moves the nodes held into slots `0..end`.
    fn densify(&mut self) {
        let mut dense = Vec::with_capacity(self.end);
        dense.resize_with(self.end, || None);
        self.held = self.map.len();
        for (i, n) in std::mem::take(&mut self.map) {
            dense[i] = Some(n);
        }
        self.dense = dense;
    }

    /// Moves the nodes held into the hash map.
    fn sparsify(&mut self) {
        let dense = std::mem::take(&mut self.dense);
        self.end = dense.len();
        self.map.reserve(self.held);
        self.map.extend(
            dense
                .into_iter()
                .enumerate()
                .filter_map(|(i, n)| Some((i, n?))),
        );
        self.held = 0;
    }

    /// Holds no node any more, keeping its room.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.dense.iter_mut().for_each(|slot| *slot = None);
        self.held = 0;
        self.end = 0;
    }

    /// Nodes held.
    pub fn len(&self) -> usize {
        if self.is_dense() {
            self.held
        } else {
            self.map.len()
        }
    }

    /// Whether no node is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (node index, sums) of the nodes held, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &NodeSums)> + '_ {
        let sparse = self.map.iter().map(|(&i, n)| (i, n));
        let dense = self.dense.iter().enumerate();
        sparse.chain(dense.filter_map(|(i, n)| Some((i, n.as_ref()?))))
    }

    /// Adds `other`'s sums node by node with `add`.
    pub(crate) fn merge(&mut self, other: &NodeTable, add: fn(&mut NodeSums, &NodeSums)) {
        if self.is_empty() && !self.is_dense() {
            self.clone_from(other);
            return;
        }
        if !self.is_dense() && !other.is_dense() {
            self.map.reserve(other.len().saturating_sub(self.map.len()));
        }
        for (i, n) in other.iter() {
            add(self.entry(i), n);
        }
    }
}

/// The same nodes with the same sums, sparse or dense.
impl PartialEq for NodeTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(i, n)| other.get(i) == n && other.holds(i))
    }
}

impl Eq for NodeTable {}

impl From<NodeTable> for Vec<(usize, NodeSums)> {
    fn from(t: NodeTable) -> Self {
        if t.is_dense() {
            let held = t.dense.into_iter().enumerate();
            return held.filter_map(|(i, n)| Some((i, n?))).collect();
        }
        let mut nodes: Vec<(usize, NodeSums)> = t.map.into_iter().collect();
        nodes.sort_unstable_by_key(|&(i, _)| i);
        nodes
    }
}

impl From<Vec<(usize, NodeSums)>> for NodeTable {
    fn from(nodes: Vec<(usize, NodeSums)>) -> Self {
        let mut t = NodeTable::default();
        for (i, n) in nodes {
            *t.entry(i) = n;
        }
        t
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

    fn add(a: &mut NodeSums, b: &NodeSums) {
        a.down_runs += b.down_runs;
    }

    proptest::proptest! {
        /// Whatever the indices counted (runs of neighbours, far-off ones), cleared and
        /// merged in any order, a table holds what a sorted map of the same counts holds,
        /// reads and writes the same, and never takes more than about two slots a node held.
        #[test]
        fn sparse_or_dense_a_table_holds_what_a_map_holds(
            steps in proptest::collection::vec((0usize..3, 0usize..40, 1u64..4), 1..200),
            other in proptest::collection::vec(0usize..60, 0..80),
        ) {
            use std::collections::BTreeMap;
            let (mut t, mut truth) = (NodeTable::default(), BTreeMap::new());
            let (mut u, mut theirs) = (NodeTable::default(), BTreeMap::new());
            let mut peak = 0;
            for &i in &other {
                u.entry(i).down_runs += 1;
                *theirs.entry(i).or_insert(0) += 1;
            }
            for &(kind, i, n) in &steps {
                match kind {
                    0 => {
                        // Mostly neighbours; now and then one far off.
                        let i = if n == 3 && i == 0 { usize::MAX / 4 } else { i };
                        t.entry(i).down_runs += n;
                        *truth.entry(i).or_insert(0) += n;
                    }
                    1 if i < 2 => {
                        t.clear();
                        truth.clear();
                    }
                    _ => {
                        t.merge(&u, add);
                        for (&k, &v) in &theirs {
                            *truth.entry(k).or_insert(0) += v;
                        }
                    }
                }
                proptest::prop_assert_eq!(t.len(), truth.len());
                // A cleared table keeps its room: two slots a node it once held.
                peak = peak.max(t.len());
                proptest::prop_assert!(t.dense.len() <= 2 * (peak.max(DENSE_FROM) + 1));
                let held: Vec<(usize, u64)> = Vec::from(t.clone())
                    .into_iter()
                    .map(|(i, n)| (i, n.down_runs))
                    .collect();
                let expected: Vec<(usize, u64)> = truth.iter().map(|(&i, &n)| (i, n)).collect();
                proptest::prop_assert_eq!(&held, &expected);
                for (&i, &n) in &truth {
                    proptest::prop_assert_eq!(t.get(i).down_runs, n);
                }
            }
            // Written and read back: the same nodes, whichever form it takes.
            let text = serde_json::to_string(&t).unwrap();
            let back: NodeTable = serde_json::from_str(&text).unwrap();
            proptest::prop_assert_eq!(&back, &t);
            proptest::prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
    }

    #[test]
    fn a_dense_table_goes_back_to_a_map_for_a_far_off_node() {
        let mut t = NodeTable::default();
        for i in 0..100 {
            t.entry(i).down_runs = 1;
        }
        assert!(t.is_dense());
        // The largest index there is (a tampered partial result can hold one).
        t.entry(usize::MAX).down_runs = 2;
        assert!(!t.is_dense() && t.len() == 101);
        assert_eq!((t.get(usize::MAX).down_runs, t.get(99).down_runs), (2, 1));
    }

    #[test]
    fn a_node_sums_takes_160_bytes() {
        // 100,000 nodes a stratum: every 8 bytes here is 800 KB in each big stratum.
        assert_eq!(std::mem::size_of::<NodeSums>(), 160);
        assert_eq!(std::mem::align_of::<NodeSums>(), 8);
    }
}
