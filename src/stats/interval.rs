//! Confidence intervals: Wilson score for proportions, the normal approximation for means,
//! and distribution-free order-statistic intervals for quantiles.

/// The 97.5 % point of the standard normal: two-sided 95 %.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `successes` out of `n` (95 %); `[0, 1]` when `n` is 0.
pub fn wilson(successes: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // Exactly 0 or 1 at the edges, not a rounding error's distance from them.
    let lo = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if successes as f64 == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    [lo, hi]
}

/// 95 % interval for a mean from `n` values with the given sum and sum of squares
/// (normal approximation, sample variance). `None` for fewer than two values.
pub fn mean_interval(n: u64, sum: f64, sum_sq: f64) -> Option<[f64; 2]> {
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean = sum / nf;
    let var = ((sum_sq - sum * mean) / (nf - 1.0)).max(0.0);
    let half = Z95 * (var / nf).sqrt();
    Some([mean - half, mean + half])
}

/// 1-based ranks bounding a 95 % interval for the `q`-quantile of `n` values: the order
/// statistics whose binomial coverage straddles `q` (normal approximation, rounded outward).
pub fn quantile_ranks(n: u64, q: f64) -> (u64, u64) {
    let nf = n as f64;
    let half = Z95 * (nf * q * (1.0 - q)).sqrt();
    let lo = (nf * q - half).floor().max(1.0) as u64;
    let hi = ((nf * q + half).ceil() + 1.0).min(nf) as u64;
    (lo.min(n), hi.max(lo.min(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_reference_values() {
        // 10 of 100: the Wilson interval is [0.0552, 0.1744] (standard tables).
        let [lo, hi] = wilson(10, 100);
        assert!(
            (lo - 0.0552).abs() < 1e-4 && (hi - 0.1744).abs() < 1e-4,
            "{lo} {hi}"
        );
        // 0 of 1000: the upper end is about 3.8/n.
        let [lo, hi] = wilson(0, 1000);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.00383).abs() < 1e-4, "{hi}");
        assert_eq!(wilson(5, 5)[1], 1.0);
    }

    #[test]
    fn mean_interval_of_constant_is_a_point() {
        assert_eq!(mean_interval(4, 8.0, 16.0), Some([2.0, 2.0]));
        assert_eq!(mean_interval(1, 8.0, 64.0), None);
    }

    #[test]
    fn quantile_ranks_bracket_the_rank() {
        let (lo, hi) = quantile_ranks(10_000, 0.5);
        assert!(lo < 5000 && hi > 5000 && hi - lo < 250, "{lo} {hi}");
        assert_eq!(quantile_ranks(1, 0.5), (1, 1));
    }
}
