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

/// The coarsest level of a histogram that keeps a limited number of buckets: one bucket
/// per power of two (see `coarse`).
pub(crate) const MAX_LEVEL: u8 = 9;

/// The bucket of fine bucket `i` at `level` (0: the fine buckets themselves). Each level
/// halves the resolution, uniformly (the uniform collapse of UDDSketch, Epicoco et al.
/// 2020): two neighbouring buckets become one, so a level-`l` bucket holds values within
/// 2^l/512 of each other relatively above 1024, and within 2^(l+1) of each other below.
/// Zero keeps a bucket of its own, and as 2^l divides 512 (`l` at most [`MAX_LEVEL`]) no
/// bucket straddles a power of two. Going from level `a` to `b` is `coarse(key, b - a)`.
pub(crate) fn coarse(i: usize, level: u8) -> usize {
    if i == 0 {
        0
    } else {
        (i >> level).max(1)
    }
}

/// Smallest and largest value of bucket `key` at `level`.
pub(crate) fn bounds_at(key: usize, level: u8) -> (u64, u64) {
    if level == 0 || key == 0 {
        return bounds(key);
    }
    let first = if key == 1 { 1 } else { key << level };
    let last = (((key + 1) << level) - 1).min(index(u64::MAX));
    (bounds(first).0, bounds(last).1)
}

/// Counts of values in log-linear buckets, stored sparsely: only the buckets that hold a
/// value, sorted, so a histogram costs memory for the distinct buckets it saw (4 bytes
/// each, see `Buckets`), not for the whole scale. A run adds to a bucket by binary
/// search; a new bucket is inserted in place.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Unchecked")]
pub struct Histogram {
    /// (bucket, count), by bucket; every count above zero.
    counts: Buckets,
    total: u64,
    min: u64,
    max: u64,
}

/// A histogram as a partial result holds it, before it is checked: one edited by hand
/// must not make a quantile panic.
#[derive(serde::Deserialize)]
struct Unchecked {
    counts: Buckets,
    total: u64,
    min: u64,
    max: u64,
}

impl TryFrom<Unchecked> for Histogram {
    type Error = String;

    fn try_from(h: Unchecked) -> Result<Self, String> {
        let sum = h.counts.iter().try_fold(0u64, |s, (_, n)| s.checked_add(n));
        if sum != Some(h.total) {
            return Err("a histogram whose total is not the sum of its counts".into());
        }
        if h.total > 0 && h.min > h.max {
            return Err("a histogram whose smallest value is above its largest".into());
        }
        Ok(Histogram {
            counts: h.counts,
            total: h.total,
            min: h.min,
            max: h.max,
        })
    }
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

    /// Halves the resolution until at most `limit` buckets hold values: see
    /// [`Buckets::fit`]. The counts, minimum and maximum stay exact.
    pub(crate) fn fit(&mut self, limit: usize) {
        self.counts.fit(limit);
    }

    /// The resolution (0: the finest; see `coarse`).
    pub fn level(&self) -> u8 {
        self.counts.level()
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
    /// to the observed range (at level 0, exact below 1024, else within 0.1 %). `None`
    /// if empty.
    pub fn value_at_rank(&self, rank: u64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = rank.clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.buckets() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bounds_at(i, self.counts.level());
                return Some((lo + (hi - lo) / 2).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The smallest and largest value the value of 1-based `rank` can be: the bounds of
    /// its bucket, clamped to the observed range (at level 0, the same value below 1024).
    /// `None` if empty.
    pub fn bucket_at_rank(&self, rank: u64) -> Option<(u64, u64)> {
        if self.total == 0 {
            return None;
        }
        let rank = rank.clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.buckets() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bounds_at(i, self.counts.level());
                return Some((lo.max(self.min), hi.min(self.max)));
            }
        }
        Some((self.max, self.max))
    }

    /// How many values are certainly below `v` (those in buckets wholly below it).
    pub fn count_below(&self, v: u64) -> u64 {
        let i = coarse(index(v), self.counts.level());
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
    fn coarser_levels_cover_every_value_once_at_the_stated_width() {
        for level in 0..=MAX_LEVEL {
            let last = coarse(index(u64::MAX), level);
            assert_eq!(bounds_at(0, level), (0, 0));
            for key in 1..=last {
                let (lo, hi) = bounds_at(key, level);
                assert_eq!(
                    lo,
                    bounds_at(key - 1, level).1 + 1,
                    "gap before {key}@{level}"
                );
                assert_eq!(coarse(index(lo), level), key);
                assert_eq!(coarse(index(hi), level), key);
                let width = (hi - lo) as f64;
                if lo >= EXACT {
                    assert!(width <= lo as f64 * f64::from(1u32 << level) / 512.0);
                } else {
                    assert!(hi - lo < 2 << level, "{key}@{level}: {lo}..={hi}");
                }
            }
            assert_eq!(bounds_at(last, level).1, u64::MAX);
            // Coarsening in steps is coarsening at once.
            for i in (0..=index(u64::MAX)).step_by(37) {
                for step in 0..=level {
                    assert_eq!(coarse(coarse(i, step), level - step), coarse(i, level));
                }
            }
        }
    }

    #[test]
    fn a_limited_histogram_is_a_function_of_its_values_alone() {
        // Downtimes over 14 powers of two, so that a limit of 64 buckets bites.
        let values: Vec<u64> = (0..20_000u64)
            .map(|i| (i * 7_919 % 20_011) * (i % 13 + 1) * 97)
            .collect();
        let limit = 64;
        let fitted = |vs: &[u64]| {
            let mut h = Histogram::default();
            for &v in vs {
                h.record(v);
                h.fit(limit);
            }
            h
        };
        let all = fitted(&values);
        let mut once = Histogram::default();
        values.iter().for_each(|&v| once.record(v));
        once.fit(limit);
        assert_eq!(once, all);
        // The finest level at which the values take no more than the limit.
        let keys = |level| {
            let set: std::collections::BTreeSet<usize> =
                values.iter().map(|&v| coarse(index(v), level)).collect();
            set.len()
        };
        let level = all.level();
        assert!(level >= 2 && keys(level) <= limit && keys(level - 1) > limit);
        // In parts of different levels, merged in either order.
        let parts: Vec<Histogram> = [0..40, 40..1_000, 1_000..20_000]
            .into_iter()
            .map(|r| fitted(&values[r]))
            .collect();
        assert!(parts[0].level() < parts[2].level());
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut merged = Histogram::default();
            for i in order {
                merged.merge(&parts[i]);
                merged.fit(limit);
            }
            assert_eq!(merged, all, "{order:?}");
        }
        // Every rank's value lies in the bucket reported for it.
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for rank in [1, 2, 99, 10_000, 19_999, 20_000] {
            let (lo, hi) = all.bucket_at_rank(rank).unwrap();
            let (truth, mid) = (sorted[rank as usize - 1], all.value_at_rank(rank).unwrap());
            assert!(
                lo <= truth && truth <= hi && lo <= mid && mid <= hi,
                "rank {rank}"
            );
        }
        // Certainly below a value: those in buckets wholly below its bucket.
        let v = sorted[10_000];
        let (lo, _) = bounds_at(coarse(index(v), level), level);
        let below = |x: u64| sorted.partition_point(|&y| y < x) as u64;
        assert_eq!(all.count_below(v), below(lo));
        assert!(below(lo) < below(v));
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
