//! A sum of squares that cannot overflow, exact and the same in any order of merging.

/// A sum of squares of millisecond values that cannot overflow: 256 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Wide {
    hi: u128,
    lo: u128,
}

impl Wide {
    /// Nothing (usable in a `const`).
    pub(crate) const ZERO: Wide = Wide { hi: 0, lo: 0 };

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
}
