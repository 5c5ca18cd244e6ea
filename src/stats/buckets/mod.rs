//! The counts of a sparse histogram in 4 bytes a bucket: bucket indices fit in 16 bits
//! (at most 28,671), and almost every count does too. A big model keeps one
//! histogram for each node's downtime and lost service per worker, and each run that
//! cascades through it adds a bucket to each: 100,000 nodes took 16 bytes a bucket,
//! 1.7 GB over 100,000 runs. Counts above 65,535 (the zeros of runs that lost nothing, a
//! long run's common values) are kept apart, exactly, in 64 bits.
//!
//! A node's histograms also keep a bounded number of buckets ([`NODE_LIMIT`]): past it,
//! they halve their resolution ([`Buckets::fit`]), so that 10,000,000 runs of a big
//! model take no more memory for them than 100,000 do.

mod wire;

use serde::{Deserialize, Serialize};

use super::histogram::{coarse, index, MAX_LEVEL};
use wire::Wire;

/// The most buckets a node's histogram keeps (its downtime, its lost service): 512 bytes.
/// Downtimes within one power of two end in buckets 0.8 % wide at worst (level 2:
/// quantiles within 0.4 %), within three powers of two 3.1 % wide (level 4, within 1.6 %),
/// and downtimes that fill every bucket of the 12 powers of two between 1 s and 70 min
/// 12.5 % wide (level 6, within 6.4 %), however many runs there are. At 384 (1.5 KB) the
/// 100,000-node models' histograms could take 460 MB by strata. The headline
/// distributions keep every bucket.
pub(crate) const NODE_LIMIT: usize = 128;

/// One bucket: its index and its count, or 0 when the count is in [`Buckets::wide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cell {
    bucket: u16,
    count: u16,
}

/// (bucket, count) of the buckets holding values, sorted by bucket, every count above 0.
/// A count is in its cell while it fits in 16 bits, and in `wide` from then on, so the
/// representation of given counts is unique (equality compares counts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Wire", try_from = "Wire")]
pub(crate) struct Buckets {
    cells: Vec<Cell>,
    /// (bucket, count) of the counts above 65,535, sorted by bucket.
    wide: WideCounts,
    /// The resolution: buckets are those of [`coarse`] at this level (0: the finest).
    level: u8,
}

/// The counts above 65,535, behind one pointer: most histograms have none, and each is
/// 16 bytes smaller than with a list of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(clippy::box_collection)] // on purpose: a thin pointer, where a list takes 24 bytes
struct WideCounts(Option<Box<Vec<(u16, u64)>>>);

impl WideCounts {
    const NONE: WideCounts = WideCounts(None);

    fn as_slice(&self) -> &[(u16, u64)] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    fn vec(&mut self) -> &mut Vec<(u16, u64)> {
        self.0.get_or_insert_with(Box::default)
    }
}

impl Buckets {
    /// No counts (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Buckets {
            cells: Vec::new(),
            wide: WideCounts::NONE,
            level: 0,
        }
    }

    /// The resolution of the buckets: see [`coarse`].
    pub(crate) fn level(&self) -> u8 {
        self.level
    }

    /// Adds `n` (above 0) to the bucket of fine bucket `i` (a [`index`]).
    pub(crate) fn add(&mut self, i: usize, n: u64) {
        self.add_key(coarse(i, self.level), n);
    }

    /// Adds `n` (above 0) to bucket `key` at this level.
    fn add_key(&mut self, key: usize, n: u64) {
        let bucket = key as u16;
        match self.cells.binary_search_by_key(&bucket, |c| c.bucket) {
            Ok(at) => {
                let cell = &mut self.cells[at];
                match u16::try_from(u64::from(cell.count) + n) {
                    Ok(sum) if cell.count > 0 => cell.count = sum,
                    _ => {
                        let old = u64::from(std::mem::take(&mut cell.count));
                        self.add_wide(bucket, old + n);
                    }
                }
            }
            Err(at) => {
                if self.cells.len() == self.cells.capacity() {
                    // Grow by a quarter: a node's buckets come one run at a time, and
                    // doubling would leave a third of them unused on average.
                    self.cells.reserve_exact(self.cells.len() / 4 + 4);
                }
                let count = u16::try_from(n).unwrap_or(0);
                self.cells.insert(at, Cell { bucket, count });
                if count == 0 {
                    self.add_wide(bucket, n);
                }
            }
        }
    }

    fn add_wide(&mut self, bucket: u16, n: u64) {
        let wide = self.wide.vec();
        match wide.binary_search_by_key(&bucket, |w| w.0) {
            Ok(at) => wide[at].1 += n,
            Err(at) => wide.insert(at, (bucket, n)),
        }
    }

    /// (bucket, count) in bucket order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        let mut wide = self.wide.as_slice().iter();
        self.cells.iter().map(move |c| {
            let n = match c.count {
                // Wide counts are in the same order as their cells.
                0 => wide.next().map_or(0, |w| w.1),
                n => u64::from(n),
            };
            (usize::from(c.bucket), n)
        })
    }

    /// The first bucket and its count.
    pub(crate) fn first(&self) -> Option<(usize, u64)> {
        self.iter().next()
    }

    /// Halves the resolution until at most `limit` buckets hold values (or the coarsest
    /// level is reached). Done after every change, it leaves the buckets at the finest
    /// level where the values counted take at most `limit`: a function of the values alone,
    /// whatever the order they came in or the parts they were merged from, as a part
    /// never takes more buckets than the whole at any level.
    pub(crate) fn fit(&mut self, limit: usize) {
        let mut level = self.level;
        while self.cells.len() > limit && level < MAX_LEVEL {
            level += 1;
            self.coarsen(level);
        }
    }

    /// Re-buckets the counts at `level` (not below the present one).
    fn coarsen(&mut self, level: u8) {
        let shift = level - self.level;
        if shift == 0 {
            return;
        }
        let mut out = Buckets {
            cells: Vec::with_capacity(self.cells.len() / 2 + 2),
            wide: WideCounts::NONE,
            level,
        };
        let mut held: Option<(usize, u64)> = None;
        for (key, n) in self.iter() {
            let key = coarse(key, shift);
            held = match held {
                Some((k, m)) if k == key => Some((k, m + n)),
                Some((k, m)) => {
                    out.push(k as u16, m);
                    Some((key, n))
                }
                None => Some((key, n)),
            };
        }
        if let Some((k, m)) = held {
            out.push(k as u16, m);
        }
        *self = out;
    }

    /// Adds all of `other`'s counts (one pass over both, both sorted), at the coarser of
    /// the two levels.
    pub(crate) fn merge(&mut self, other: &Buckets) {
        if other.level > self.level {
            self.coarsen(other.level);
        } else if other.level < self.level {
            let mut other = other.clone();
            other.coarsen(self.level);
            return self.merge(&other);
        }
        if self.cells.is_empty() {
            self.clone_from(other);
            return;
        }
        if other.cells.len() * 16 < self.cells.len() {
            // A few buckets into many (a chunk's runs into a stratum's): one search each
            // costs less than a pass over all of them.
            for (bucket, n) in other.iter() {
                self.add_key(bucket, n);
            }
            return;
        }
        if self.merge_in_place(other) {
            return;
        }
        let mut merged = Buckets {
            cells: Vec::with_capacity(self.cells.len() + other.cells.len()),
            wide: WideCounts::NONE,
            level: self.level,
        };
        {
            let (mut mine, mut theirs) = (self.iter().peekable(), other.iter().peekable());
            loop {
                let a = mine.peek().map_or(usize::MAX, |x| x.0);
                let b = theirs.peek().map_or(usize::MAX, |x| x.0);
                let bucket = a.min(b);
                if bucket == usize::MAX {
                    break;
                }
                let mut n = 0;
                if a == bucket {
                    n += mine.next().map_or(0, |x| x.1);
                }
                if b == bucket {
                    n += theirs.next().map_or(0, |x| x.1);
                }
                merged.push(bucket as u16, n);
            }
        }
        *self = merged;
    }

    /// [`Buckets::merge`] within `self`'s own allocation, from the back, when every count
    /// stays in 16 bits (else nothing is changed and `false` returned): merging the
    /// workers' statistics of a big model then allocates nothing new.
    fn merge_in_place(&mut self, other: &Buckets) -> bool {
        if !self.wide.as_slice().is_empty() || !other.wide.as_slice().is_empty() {
            return false;
        }
        // How many buckets the union has, and whether every shared count fits.
        let (mine, theirs) = (&self.cells, &other.cells);
        let (mut i, mut j, mut union) = (0, 0, 0);
        while i < mine.len() && j < theirs.len() {
            let (a, b) = (mine[i], theirs[j]);
            if a.bucket == b.bucket && a.count.checked_add(b.count).is_none() {
                return false;
            }
            i += usize::from(a.bucket <= b.bucket);
            j += usize::from(b.bucket <= a.bucket);
            union += 1;
        }
        union += mine.len() - i + theirs.len() - j;
        let (mut i, mut j, mut k) = (mine.len(), theirs.len(), union);
        // Exactly: a doubled allocation would leave up to half of it unused for good (the
        // strata of a 100,000-node model held 140 MB of buckets, half of them spare).
        self.cells.reserve_exact(union - mine.len());
        self.cells.resize(
            union,
            Cell {
                bucket: 0,
                count: 0,
            },
        );
        while j > 0 {
            k -= 1;
            let b = other.cells[j - 1];
            match (i > 0).then(|| self.cells[i - 1]) {
                Some(a) if a.bucket > b.bucket => {
                    self.cells[k] = a;
                    i -= 1;
                }
                Some(a) if a.bucket == b.bucket => {
                    // Checked above: the sum fits.
                    self.cells[k] = Cell {
                        bucket: a.bucket,
                        count: a.count.saturating_add(b.count),
                    };
                    i -= 1;
                    j -= 1;
                }
                _ => {
                    self.cells[k] = b;
                    j -= 1;
                }
            }
        }
        true
    }

    /// Appends a bucket after every other one.
    fn push(&mut self, bucket: u16, n: u64) {
        let count = u16::try_from(n).unwrap_or(0);
        self.cells.push(Cell { bucket, count });
        if count == 0 {
            self.wide.vec().push((bucket, n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_past_16_bits_stay_exact_and_unique() {
        let (mut a, mut b) = (Buckets::default(), Buckets::default());
        a.add(0, 65_535);
        a.add(0, 1);
        a.add(7, 3);
        a.add(28_671, 1 << 40);
        b.add(7, 3);
        b.add(28_671, 1 << 40);
        b.add(0, 65_536);
        assert_eq!(a, b);
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [(0, 65_536), (7, 3), (28_671, 1 << 40)]
        );
        let mut m = a.clone();
        m.merge(&b);
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [(0, 131_072), (7, 6), (28_671, 1 << 41)]
        );
        // In place: small counts, shared and not, on either side.
        let (mut x, mut y, mut all) = (Buckets::default(), Buckets::default(), Buckets::default());
        for v in 0..2000usize {
            let (i, n) = (v * v % 997, (v % 5 + 1) as u64);
            if v % 3 == 0 {
                x.add(i, n)
            } else {
                y.add(i, n)
            }
            all.add(i, n);
        }
        let mut xy = x.clone();
        assert!(xy.merge_in_place(&y));
        assert_eq!(xy, all);
        y.merge(&x);
        assert_eq!(y, all);
        // A few into many, by search: the same as a pass over both.
        let few: Vec<(usize, u64)> = vec![(3, 2), (500, 65_535), (996, 1), (20_000, 4)];
        let mut small = Buckets::default();
        for &(i, n) in &few {
            small.add(i, n);
        }
        let mut by_search = all.clone();
        by_search.merge(&small);
        let mut by_pass = small.clone();
        by_pass.merge(&all);
        assert_eq!(by_search, by_pass);
        let wire: Wire = m.clone().into();
        assert_eq!(Buckets::try_from(wire), Ok(m));
        let mut coarse = all.clone();
        coarse.fit(100);
        assert!(coarse.level() > 0);
        let text = serde_json::to_string(&coarse).unwrap();
        assert_eq!(serde_json::from_str::<Buckets>(&text).unwrap(), coarse);
        assert!(Buckets::try_from(Wire::Fine(vec![(3, 1), (2, 1)])).is_err());
        assert!(Buckets::try_from(Wire::Fine(vec![(70_000, 1)])).is_err());
    }
}
