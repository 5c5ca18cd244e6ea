//! Confidence intervals: Wilson score for proportions, the normal approximation for means,
//! and distribution-free order-statistic intervals for quantiles with exact binomial ranks.

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

/// The order statistics that bound a distribution-free 95 % interval for the `q`-quantile
/// of `n` values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantileRanks {
    /// 1-based rank of the lower bound; 0 if no order statistic is low enough (the
    /// interval is then open below: the quantity's own minimum bounds it).
    pub lo: u64,
    /// 1-based rank of the upper bound; `None` if the rank needed is beyond `n` (the
    /// interval is then open above: the upper bound is unknown).
    pub hi: Option<u64>,
    /// The interval's exact coverage, P(lo ≤ B < hi) for B ~ Binomial(n, q): at least
    /// 0.95.
    pub coverage: f64,
}

/// The probabilities P(B = k) of B ~ Binomial(n, q) over the window of k where they are
/// not negligible (below 1e-20 of the largest), as (first k, probabilities). Computed by
/// the ratio of successive terms from the mode, with multiplications and divisions only,
/// so that the result is the same on every machine.
pub(crate) fn binomial_window(n: u64, q: f64) -> (u64, Vec<f64>) {
    let q = q.clamp(0.0, 1.0);
    if q == 0.0 || q == 1.0 || n == 0 {
        let k = if q == 1.0 { n } else { 0 };
        return (k, vec![1.0]);
    }
    let mode = (((n as f64 + 1.0) * q).floor() as u64).min(n);
    let odds = q / (1.0 - q);
    // Relative to the mode: up, t(k+1) = t(k)·(n−k)/(k+1)·odds; down, the inverse.
    let mut up = Vec::new();
    let mut t = 1.0;
    let mut k = mode;
    while k < n {
        t *= (n - k) as f64 / (k + 1) as f64 * odds;
        if t < 1e-20 {
            break;
        }
        up.push(t);
        k += 1;
    }
    let mut down = Vec::new();
    let mut t = 1.0;
    let mut k = mode;
    while k > 0 {
        t *= k as f64 / (n - k + 1) as f64 / odds;
        if t < 1e-20 {
            break;
        }
        down.push(t);
        k -= 1;
    }
    let first = mode - down.len() as u64;
    let mut p: Vec<f64> = down.into_iter().rev().collect();
    p.push(1.0);
    p.extend(up);
    let total: f64 = p.iter().sum();
    for x in &mut p {
        *x /= total;
    }
    (first, p)
}

/// The ranks of a distribution-free 95 % interval for the `q`-quantile of `n` values:
/// the largest lower rank l with P(B < l) ≤ 2.5 % and the smallest upper rank u with
/// P(B ≥ u) ≤ 2.5 %, B ~ Binomial(n, q) the number of values below the quantile (exact
/// binomial probabilities, not a normal approximation).
///
/// A report asks the same few (n, q) for every node (a node's tallies hold one value per
/// run), and each costs a pass over thousands of binomial terms at 100,000 runs: the last
/// few answers are kept, per thread.
pub fn quantile_ranks(n: u64, q: f64) -> QuantileRanks {
    /// How many answers are kept.
    const KEPT: usize = 8;
    thread_local! {
        static RECENT: std::cell::RefCell<Vec<(u64, u64, QuantileRanks)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = (n, q.to_bits());
    if let Some(r) = RECENT.with_borrow(|recent| {
        recent
            .iter()
            .find(|&&(n, q, _)| (n, q) == key)
            .map(|&(_, _, r)| r)
    }) {
        return r;
    }
    let r = compute_ranks(n, q);
    RECENT.with_borrow_mut(|recent| {
        if recent.len() == KEPT {
            recent.remove(0);
        }
        recent.push((key.0, key.1, r));
    });
    r
}

/// [`quantile_ranks`], computed.
fn compute_ranks(n: u64, q: f64) -> QuantileRanks {
    let (first, p) = binomial_window(n, q);
    // below[k]: P(B < first + k); P(B < first) is negligible by construction.
    let mut below = Vec::with_capacity(p.len() + 1);
    let mut cum = 0.0;
    below.push(0.0);
    for x in &p {
        cum += x;
        below.push(cum);
    }
    let tail = 0.025;
    // Lower rank l: P(B ≤ l − 1) ≤ tail, as large as possible.
    let lo = match below.iter().rposition(|&c| c <= tail) {
        Some(i) => first + i as u64,
        None => 0,
    };
    // Upper rank u: P(B ≥ u) = 1 − P(B ≤ u − 1) ≤ tail, as small as possible.
    let hi = below
        .iter()
        .position(|&c| 1.0 - c <= tail)
        .map(|i| first + i as u64)
        .filter(|&u| u >= 1 && u <= n);
    let p_below = |k: u64| -> f64 {
        if k <= first {
            0.0
        } else {
            below[((k - first) as usize).min(below.len() - 1)]
        }
    };
    let coverage = hi.map_or(1.0, p_below) - p_below(lo);
    QuantileRanks {
        lo: lo.min(n),
        hi,
        coverage,
    }
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
    fn quantile_ranks_bracket_the_rank_and_cover() {
        let r = quantile_ranks(10_000, 0.5);
        let hi = r.hi.unwrap();
        assert!(r.lo < 5000 && hi > 5000 && hi - r.lo < 250, "{r:?}");
        assert!(r.coverage >= 0.95 && r.coverage < 0.96, "{r:?}");
        // One value: no rank is low or high enough for a median at 95 %.
        let r = quantile_ranks(1, 0.5);
        assert_eq!((r.lo, r.hi, r.coverage), (0, None, 1.0));
    }

    #[test]
    fn p99_of_ten_values_is_open_above() {
        // B ~ Bin(10, 0.99): P(B ≤ 8) = 1 − 0.99¹⁰ − 10·0.99⁹·0.01 = 0.00427 ≤ 2.5 %, and
        // P(B ≤ 9) = 0.0956 is not: the lower bound is the 9th value. No rank ≤ 10 leaves
        // 2.5 % above it: the upper bound is unknown. Coverage 1 − 0.00427.
        let r = quantile_ranks(10, 0.99);
        assert_eq!((r.lo, r.hi), (9, None));
        let p8 = 1.0 - 0.99f64.powi(10) - 10.0 * 0.99f64.powi(9) * 0.01;
        assert!((r.coverage - (1.0 - p8)).abs() < 1e-12, "{r:?} {p8}");
    }

    #[test]
    fn kept_answers_are_the_computed_ones() {
        // More (n, q) than are kept, asked twice over, in an order that evicts them.
        let asked: Vec<(u64, f64)> = (1..=12u64)
            .flat_map(|i| [(i * 97, 0.5), (i * 97, 0.99)])
            .collect();
        for _ in 0..2 {
            for &(n, q) in &asked {
                assert_eq!(quantile_ranks(n, q), compute_ranks(n, q), "n {n} q {q}");
                assert_eq!(quantile_ranks(n, q), compute_ranks(n, q), "n {n} q {q}");
            }
        }
    }

    #[test]
    fn exact_ranks_cover_at_least_95_percent_at_every_size() {
        for n in [1, 2, 5, 10, 50, 100, 200, 1000, 10_000, 1_000_000] {
            for q in [0.5, 0.9, 0.99] {
                let r = quantile_ranks(n, q);
                assert!(r.coverage >= 0.95 - 1e-12, "n {n} q {q}: {r:?}");
                assert!(
                    r.lo <= n && r.hi.map_or(true, |u| u <= n),
                    "n {n} q {q}: {r:?}"
                );
            }
        }
    }
}
