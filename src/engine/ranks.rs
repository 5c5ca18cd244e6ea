//! The ranks of the nodes waiting for a propagation, taken smallest first: a set of
//! integers below the number of nodes, kept as bits in levels, each bit of a level saying
//! whether a word of the level below holds any. Adding a rank or taking the smallest costs
//! a few word operations per level (3 levels and 12 kB at 100,000 nodes), where a binary
//! heap of the thousands of ranks a cascade has waiting spent most of its time sifting
//! through memory.

/// A set of ranks below a bound.
#[derive(Debug)]
pub(super) struct Ranks {
    /// `levels[0]` has one bit per rank; `levels[k + 1]` one bit per word of `levels[k]`,
    /// set when that word is not zero. The last level has one word.
    levels: Vec<Vec<u64>>,
}

impl Ranks {
    /// No ranks, of `0..n`.
    pub fn new(n: usize) -> Ranks {
        let mut levels = Vec::new();
        let mut bits = n.max(1);
        loop {
            let words = bits.div_ceil(64);
            levels.push(vec![0; words]);
            if words == 1 {
                return Ranks { levels };
            }
            bits = words;
        }
    }

    /// Adds `rank`.
    #[inline]
    pub fn insert(&mut self, rank: u32) {
        let mut i = rank as usize;
        for level in &mut self.levels {
            let word = &mut level[i / 64];
            let was = *word;
            *word |= 1 << (i % 64);
            if was != 0 {
                return; // the levels above know of this word already
            }
            i /= 64;
        }
    }

    /// Takes the smallest rank, if any.
    #[inline]
    pub fn pop_min(&mut self) -> Option<u32> {
        if self.levels.last()?[0] == 0 {
            return None;
        }
        // Down from the top: at each level, the first word that holds any.
        let mut i = 0;
        for level in self.levels.iter().rev() {
            i = i * 64 + level[i].trailing_zeros() as usize;
        }
        let rank = i;
        for level in &mut self.levels {
            let word = &mut level[i / 64];
            *word &= !(1 << (i % 64));
            if *word != 0 {
                break; // the word still holds others: the levels above stay
            }
            i /= 64;
        }
        Some(rank as u32)
    }

    /// Takes every rank.
    pub fn clear(&mut self) {
        while self.pop_min().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use super::Ranks;

    /// Against a binary heap, under random inserts and takes, at sizes of one, two and
    /// three levels and at their edges.
    #[test]
    fn ranks_come_out_as_from_a_heap() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [1, 2, 63, 64, 65, 4095, 4096, 4097, 100_000] {
            let mut ranks = Ranks::new(n);
            let mut heap = BinaryHeap::new();
            let mut held = vec![false; n];
            for _ in 0..20_000 {
                if next() % 3 == 0 {
                    let got = ranks.pop_min();
                    let want = heap.pop().map(|Reverse(r)| r);
                    assert_eq!(got, want, "n = {n}");
                    if let Some(r) = got {
                        held[r as usize] = false;
                    }
                } else {
                    let r = (next() % n as u64) as u32;
                    if !held[r as usize] {
                        held[r as usize] = true;
                        ranks.insert(r);
                        heap.push(Reverse(r));
                    }
                }
            }
            ranks.clear();
            assert_eq!(ranks.pop_min(), None);
            // The first and the last rank.
            ranks.insert(n as u32 - 1);
            ranks.insert(0);
            assert_eq!(ranks.pop_min(), Some(0));
            if n > 1 {
                assert_eq!(ranks.pop_min(), Some(n as u32 - 1));
            }
            assert_eq!(ranks.pop_min(), None);
        }
    }
}
