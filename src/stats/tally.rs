//! The distribution of one integer quantity over plain runs: exact sums, a histogram, and
//! the censored values kept apart.

use serde::{Deserialize, Serialize};

use super::histogram::Histogram;
use super::interval::{mean_interval, quantile_ranks};
use super::wide::Wide;

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

    /// Halves the resolution of its histograms until each holds values in at most
    /// `limit` buckets (sums and counts stay exact): see [`Histogram::fit`].
    pub(crate) fn fit(&mut self, limit: usize) {
        self.hist.fit(limit);
        self.censored.fit(limit);
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
