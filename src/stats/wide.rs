//! Sums that cannot overflow, exact and the same in any order of merging.

use serde::{Deserialize, Serialize};

/// A sum of squares of millisecond values that cannot overflow: 256 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wide {
    hi: u128,
    lo: u128,
}

impl Wide {
    pub(crate) fn add(&mut self, v: u128) {
        let (lo, carry) = self.lo.overflowing_add(v);
        self.lo = lo;
        self.hi += u128::from(carry);
    }

    /// Adds `a · b` exactly.
    pub(crate) fn add_product(&mut self, a: u128, b: u64) {
        let (high, low) = (a >> 64, a & u128::from(u64::MAX));
        let b = u128::from(b);
        // a·b = high·b·2^64 + low·b, each product below 2^128.
        let middle = high * b;
        self.add(low * b);
        self.add(middle << 64);
        self.hi += middle >> 64;
    }

    pub(crate) fn merge(&mut self, other: Wide) {
        self.add(other.lo);
        self.hi += other.hi;
    }

    /// As a float.
    pub fn as_f64(self) -> f64 {
        self.hi as f64 * 2f64.powi(128) + self.lo as f64
    }
}

/// The sum and sum of squares of one value per run (milliseconds below 2^64, fewer than
/// 2^64 runs), exactly: 128 and 192 bits in 8-byte words, 40 bytes, where a `u128` and a
/// [`Wide`] take 48 and make every node's sums 16-byte aligned. Written as those two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "SumWire", try_from = "SumWire")]
pub struct Sum {
    /// Σ value, low word first.
    sum: [u64; 2],
    /// Σ value², low word first.
    sum_sq: [u64; 3],
}

/// How partial results have always written a [`Sum`].
#[derive(Serialize, Deserialize)]
struct SumWire {
    sum: u128,
    sum_sq: Wide,
}

fn join(lo: u64, hi: u64) -> u128 {
    u128::from(hi) << 64 | u128::from(lo)
}

impl Sum {
    /// Nothing (usable in a `const`).
    pub(crate) const ZERO: Sum = Sum {
        sum: [0; 2],
        sum_sq: [0; 3],
    };

    fn total(&self) -> u128 {
        join(self.sum[0], self.sum[1])
    }

    /// The sum of squares as its low 128 bits and the word above.
    fn squares(&self) -> (u128, u64) {
        (join(self.sum_sq[0], self.sum_sq[1]), self.sum_sq[2])
    }

    fn set(&mut self, total: u128, (lo, hi): (u128, u64)) {
        self.sum = [total as u64, (total >> 64) as u64];
        self.sum_sq = [lo as u64, (lo >> 64) as u64, hi];
    }

    /// Counts one value.
    pub(crate) fn record(&mut self, ms: u64) {
        let v = u128::from(ms);
        let (lo, hi) = self.squares();
        let (lo, carry) = lo.overflowing_add(v * v);
        self.set(self.total() + v, (lo, hi + u64::from(carry)));
    }

    /// Adds `other`'s values.
    pub(crate) fn merge(&mut self, other: &Sum) {
        let ((lo, hi), (their_lo, their_hi)) = (self.squares(), other.squares());
        let (lo, carry) = lo.overflowing_add(their_lo);
        self.set(
            self.total() + other.total(),
            (lo, hi + their_hi + u64::from(carry)),
        );
    }

    /// (Σ, Σ²) in seconds and seconds squared.
    pub fn seconds(&self) -> (f64, f64) {
        let (lo, hi) = self.squares();
        let squares = Wide { hi: hi.into(), lo };
        (self.total() as f64 / 1e3, squares.as_f64() / 1e6)
    }
}

impl From<Sum> for SumWire {
    fn from(s: Sum) -> Self {
        let (lo, hi) = s.squares();
        SumWire {
            sum: s.total(),
            sum_sq: Wide { hi: hi.into(), lo },
        }
    }
}

impl TryFrom<SumWire> for Sum {
    type Error = String;

    fn try_from(w: SumWire) -> Result<Self, String> {
        let hi = u64::try_from(w.sum_sq.hi).map_err(|_| "a sum of squares above 2^192")?;
        let mut s = Sum::ZERO;
        s.set(w.sum, (w.sum_sq.lo, hi));
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_of_squares_carries_past_128_bits() {
        let mut w = Wide::default();
        let big = u128::MAX / 2 + 1; // 2^127
        w.add(big);
        w.add(big);
        w.add(3);
        assert_eq!((w.hi, w.lo), (1, 3));
        assert_eq!(w.as_f64(), 2f64.powi(128) + 3.0);
        let mut v = Wide::default();
        v.merge(w);
        v.merge(w);
        assert_eq!((v.hi, v.lo), (2, 6));
        // (2^127 + 1) · 6 = 3·2^128 + 6.
        let mut p = Wide::default();
        p.add_product((1 << 127) + 1, 6);
        assert_eq!((p.hi, p.lo), (3, 6));
    }

    #[test]
    fn sums_carry_across_words_and_are_written_as_before() {
        let mut s = Sum::ZERO;
        for _ in 0..4 {
            s.record(u64::MAX);
        }
        let mut t = s;
        t.merge(&s);
        // 8 · (2^64 − 1) and 8 · (2^64 − 1)², as a u128 and a Wide would hold them.
        let mut wide = Wide::default();
        for _ in 0..8 {
            wide.add(u128::from(u64::MAX) * u128::from(u64::MAX));
        }
        let expected = (8 * u128::from(u64::MAX), wide);
        let w = SumWire::from(t);
        assert_eq!((w.sum, w.sum_sq), expected);
        assert_eq!(t.seconds(), (expected.0 as f64 / 1e3, wide.as_f64() / 1e6));
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Sum>(&text).unwrap(), t);
        let too_big = r#"{"sum":0,"sum_sq":{"hi":18446744073709551616,"lo":0}}"#;
        assert!(serde_json::from_str::<Sum>(too_big).is_err());
    }
}
