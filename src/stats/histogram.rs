//! A log-linear histogram of non-negative integers (milliseconds, server counts): exact
//! below 1024, then 512 buckets per power of two (relative bucket width ≤ 0.2 %). Counts
//! are integers, so merging is exact, and the same in any order.

use super::buckets::Buckets;

/// Values below this are counted exactly.
const EXACT: u64 = 1024;
const HALF: u64 = EXACT / 2;

/// Bucket index of `v`.
pub(crate) fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let shift = 64 - v.leading_zeros() - 10; // ≥ 1
    let mantissa = v >> shift; // in [512, 1024)
    (EXACT + u64::from(shift - 1) * HALF + (mantissa - HALF)) as usize
}

/// Smallest and largest value that fall in bucket `i`.
pub(crate) fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < EXACT {
        return (i, i);
    }
    let shift = (i - EXACT) / HALF + 1;
    let mantissa = (i - EXACT) % HALF + HALF;
    let lo = mantissa << shift;
    (lo, lo + ((1u64 << shift) - 1))
}

/// Counts of values in log-linear buckets, stored sparsely: only the buckets that hold a
/// value, sorted, so a histogram costs memory for the distinct buckets it saw (4 bytes
/// each, see [`Buckets`]), not for the whole scale. A run adds to a bucket by binary
/// search; a new bucket is inserted in place.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// (bucket, count), by bucket; every count above zero.
    counts: Buckets,
    total: u64,
    min: u64,
    max: u64,
}

impl Histogram {
    /// Counts one value.
    pub fn record(&mut self, v: u64) {
        self.record_n(v, 1);
    }

    /// Counts the value `v`, `n` times.
    pub fn record_n(&mut self, v: u64, n: u64) {
        if n == 0 {
            return;
        }
        // Bucket indices are at most 28,671: they fit in 16 bits.
        self.counts.add(index(v), n);
        self.min = if self.total == 0 { v } else { self.min.min(v) };
        self.max = self.max.max(v);
        self.total += n;
    }

    /// (bucket, count) of the buckets holding values, in order.
    fn buckets(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.counts.iter()
    }

    /// Adds all of `other`'s counts.
    pub fn merge(&mut self, other: &Histogram) {
        if other.total == 0 {
            return;
        }
        self.counts.merge(&other.counts);
        self.min = if self.total == 0 {
            other.min
        } else {
            self.min.min(other.min)
        };
        self.max = self.max.max(other.max);
        self.total += other.total;
    }

    /// Number of values counted.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many zeros were counted.
    pub fn zeros(&self) -> u64 {
        match self.counts.first() {
            Some((0, n)) => n,
            _ => 0,
        }
    }

    /// Largest value counted (exact).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value of 1-based `rank` in sorted order, as the middle of its bucket clamped
    /// to the observed range (exact below 1024, else within 0.1 %). `None` if empty.
    pub fn value_at_rank(&self, rank: u64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = rank.clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.buckets() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bounds(i);
                return Some((lo + (hi - lo) / 2).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The smallest and largest value the value of 1-based `rank` can be: the bounds of
    /// its bucket, clamped to the observed range (the same value below 1024). `None` if
    /// empty.
    pub fn bucket_at_rank(&self, rank: u64) -> Option<(u64, u64)> {
        if self.total == 0 {
            return None;
        }
        let rank = rank.clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.buckets() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bounds(i);
                return Some((lo.max(self.min), hi.min(self.max)));
            }
        }
        Some((self.max, self.max))
    }

    /// How many values are certainly below `v` (those in buckets wholly below it).
    pub fn count_below(&self, v: u64) -> u64 {
        let i = index(v);
        self.buckets()
            .take_while(|&(b, _)| b < i)
            .map(|(_, n)| n)
            .sum()
    }

    /// Smallest value counted (exact); `None` if empty.
    pub fn min(&self) -> Option<u64> {
        (self.total > 0).then_some(self.min)
    }

    /// The nearest-rank `q`-quantile: the value of rank ⌈q·n⌉.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        self.value_at_rank((q * self.total as f64).ceil() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_once() {
        for v in (0..5000).chain([u64::MAX, u64::MAX - 1, 1 << 40, (1 << 40) - 1]) {
            let (lo, hi) = bounds(index(v));
            assert!(lo <= v && v <= hi, "{v} not in {lo}..={hi}");
            assert!(
                (hi - lo) as f64 <= v as f64 / 500.0 + 1.0,
                "bucket too wide at {v}"
            );
        }
        for i in 1..=index(u64::MAX) {
            assert_eq!(bounds(i).0, bounds(i - 1).1 + 1, "gap before bucket {i}");
        }
        assert_eq!(bounds(index(u64::MAX)).1, u64::MAX);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let mut h = Histogram::default();
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), Some(50));
        assert_eq!(h.quantile(0.9), Some(90));
        assert_eq!(h.quantile(0.99), Some(99));
        assert_eq!(h.quantile(1.0), Some(100));
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn large_values_are_within_a_tenth_of_a_percent() {
        let mut h = Histogram::default();
        h.record(13_260_000);
        h.record(13_260_000);
        h.record(1);
        let q = h.quantile(0.5).unwrap() as f64;
        assert!((q - 13_260_000.0).abs() / 13_260_000.0 < 0.001);
    }

    #[test]
    fn merge_equals_recording_together() {
        let (mut a, mut b, mut all) = (
            Histogram::default(),
            Histogram::default(),
            Histogram::default(),
        );
        for v in 0..3000u64 {
            let v = v * v * 7;
            if v % 3 == 0 {
                a.record(v)
            } else {
                b.record(v)
            }
            all.record(v);
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b;
        ba.merge(&a);
        assert_eq!(ab, all);
        assert_eq!(ba, all);
    }
}
