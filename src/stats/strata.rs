//! Estimates from strata: each stratum's runs are a sample of what its input does, and the
//! stratum has an exact probability (weight). Estimates are the weighted sums of the
//! strata's; their variances the weighted sums of the strata's variances of the mean.
//!
//! A stratum whose runs had no chance in them (`exact`) contributes no variance. Every
//! interval stays within its quantity's range, and widens its upper end by what the inputs
//! left out of the strata could add (`left_out` times the largest value possible).

use super::interval::Z95;

/// One stratum's part in a statistic: its weight and its runs' values (`sum` and `sum_sq`
/// of the per-run value; `n` runs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Part {
    /// The stratum's exact probability.
    pub weight: f64,
    /// Its runs.
    pub n: u64,
    /// Sum over its runs of the value.
    pub sum: f64,
    /// Sum over its runs of the value squared.
    pub sum_sq: f64,
    /// Whether the stratum has no chance in it: every run gives the same value.
    pub exact: bool,
}

impl Part {
    /// A stratum's part in a proportion: `count` of `n` runs.
    pub fn count(weight: f64, count: u64, n: u64, exact: bool) -> Part {
        let c = count as f64;
        Part {
            weight,
            n,
            sum: c,
            sum_sq: c,
            exact,
        }
    }

    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }

    /// The variance of the stratum's mean (0 for an exact one or a single run).
    fn var_of_mean(&self) -> f64 {
        if self.exact || self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        let m = self.sum / n;
        ((self.sum_sq - self.sum * m) / (n - 1.0)).max(0.0) / n
    }
}

/// A point estimate with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub estimate: f64,
    /// The 95 % interval.
    pub ci95: [f64; 2],
}

/// The probability of an event from its count in each stratum. The interval is Wilson's
/// at the effective sample size (the binomial sample that would have the same variance),
/// with each random stratum's variance taken at its Wilson centre, so that a stratum in
/// which the event never (or always) happened still counts as uncertain; then widened by
/// `left_out` above. Never outside [0, 1].
pub fn proportion(parts: &[Part], left_out: f64) -> Estimate {
    let z2 = Z95 * Z95;
    let p: f64 = parts.iter().map(|s| s.weight * s.mean()).sum();
    let mut var = 0.0;
    let mut centre = 0.0;
    for s in parts.iter().filter(|s| s.n > 0) {
        let n = s.n as f64;
        let smooth = (s.sum + z2 / 2.0) / (n + z2);
        if !s.exact {
            var += s.weight * s.weight * smooth * (1.0 - smooth) / n;
        }
        centre += s.weight * if s.exact { s.mean() } else { smooth };
    }
    let p = p.clamp(0.0, 1.0);
    let [lo, hi] = if var > 0.0 {
        let spread = (centre * (1.0 - centre)).max(var);
        wilson_real(p, spread / var)
    } else {
        [p, p]
    };
    Estimate {
        estimate: p,
        ci95: [lo, (hi + left_out).min(1.0)],
    }
}

/// Wilson's 95 % interval for a proportion `p` observed in a sample of real size `n`.
fn wilson_real(p: f64, n: f64) -> [f64; 2] {
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

/// The mean of a non-negative value per command (normal approximation on the stratified
/// variance), at least 0; the upper end widened by `left_out × max`.
pub fn mean(parts: &[Part], left_out: f64, max: f64) -> Estimate {
    let m: f64 = parts.iter().map(|s| s.weight * s.mean()).sum();
    let var: f64 = parts
        .iter()
        .map(|s| s.weight * s.weight * s.var_of_mean())
        .sum();
    let half = Z95 * var.sqrt();
    Estimate {
        estimate: m,
        ci95: [(m - half).max(0.0), m + half + left_out * max],
    }
}

/// The mean of a non-negative value over the runs in which an event happened, where the
/// value is 0 whenever it did not (downtime given unavailability): the ratio of the
/// stratified mean of the value to the stratified probability of the event, with the
/// linearised (delta-method) variance of a ratio. `values` and `events` are the same
/// strata. `None` if the event never happened.
pub fn conditional_mean(values: &[Part], events: &[Part]) -> Option<Estimate> {
    let num: f64 = values.iter().map(|s| s.weight * s.mean()).sum();
    let den: f64 = events.iter().map(|s| s.weight * s.mean()).sum();
    if den <= 0.0 {
        return None;
    }
    let r = num / den;
    // Per stratum, the residual z = value − r × event; value × event = value.
    let mut var = 0.0;
    for (v, e) in values.iter().zip(events) {
        if v.exact || v.n < 2 {
            continue;
        }
        let n = v.n as f64;
        let sum = v.sum - r * e.sum;
        let sum_sq = v.sum_sq - 2.0 * r * v.sum + r * r * e.sum;
        let var_z = ((sum_sq - sum * sum / n) / (n - 1.0)).max(0.0);
        var += v.weight * v.weight * var_z / n;
    }
    let half = Z95 * var.sqrt() / den;
    Some(Estimate {
        estimate: r,
        ci95: [(r - half).max(0.0), r + half],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_random_stratum_is_plain_wilson() {
        let e = proportion(&[Part::count(1.0, 10, 100, false)], 0.0);
        let plain = super::super::wilson(10, 100);
        assert!((e.estimate - 0.1).abs() < 1e-12);
        // The effective size is 100 × 0.1·0.9 / (smoothed variance): close to 100.
        assert!(
            (e.ci95[0] - plain[0]).abs() < 0.01,
            "{:?} {plain:?}",
            e.ci95
        );
        assert!(
            (e.ci95[1] - plain[1]).abs() < 0.01,
            "{:?} {plain:?}",
            e.ci95
        );
    }

    #[test]
    fn exact_strata_give_an_exact_answer_widened_by_what_is_left_out() {
        let parts = [Part::count(0.75, 0, 1, true), Part::count(0.25, 1, 1, true)];
        let e = proportion(&parts, 0.0);
        assert_eq!((e.estimate, e.ci95), (0.25, [0.25, 0.25]));
        let e = proportion(&parts, 1e-3);
        assert_eq!(e.ci95, [0.25, 0.251]);
    }

    #[test]
    fn a_rare_event_seen_in_no_run_still_has_an_upper_bound_and_no_negative_lower() {
        let parts = [
            Part::count(0.999, 0, 1, true),
            Part::count(0.001, 0, 50, false),
        ];
        let e = proportion(&parts, 0.0);
        assert_eq!(e.estimate, 0.0);
        assert_eq!(e.ci95[0], 0.0);
        // Zero of 50 in a stratum of weight 1e-3: about 1e-3 × 7 % at most.
        assert!(e.ci95[1] > 1e-5 && e.ci95[1] < 2e-4, "{:?}", e.ci95);
    }

    #[test]
    fn means_stay_non_negative() {
        // A rare large value: the normal interval would go below zero.
        let parts = [Part {
            weight: 1.0,
            n: 100,
            sum: 1000.0,
            sum_sq: 1_000_000.0,
            exact: false,
        }];
        let e = mean(&parts, 0.0, 0.0);
        assert_eq!(e.ci95[0], 0.0);
        assert!(e.ci95[1] > 10.0);
    }

    proptest::proptest! {
        /// Whatever the strata (weights, runs, counts, exactness, values and what is left
        /// out), a probability's interval stays within [0, 1] around its estimate, and a
        /// mean's and a conditional mean's never go below 0.
        #[test]
        fn intervals_never_leave_their_range(
            strata in proptest::collection::vec(
                (0.0f64..1.0, 1u64..500, 0.0f64..=1.0, proptest::bool::ANY, 0.0f64..1e7),
                1..12,
            ),
            left in 0.0f64..0.01,
        ) {
            let total: f64 = strata.iter().map(|s| s.0).sum::<f64>().max(1e-12);
            let mut events = Vec::new();
            let mut values = Vec::new();
            for &(w, n, share, exact, v) in &strata {
                let w = w / total * (1.0 - left);
                let x = ((n as f64) * share).round() as u64;
                events.push(Part::count(w, x, n, exact));
                // x runs with value v, the rest 0: sum x·v, sum of squares x·v².
                let x = x as f64;
                values.push(Part { weight: w, n, sum: x * v, sum_sq: x * v * v, exact });
            }
            let p = proportion(&events, left);
            proptest::prop_assert!(0.0 <= p.ci95[0] && p.ci95[0] <= p.estimate + 1e-12, "{:?}", p);
            proptest::prop_assert!(p.estimate <= p.ci95[1] + 1e-12 && p.ci95[1] <= 1.0, "{:?}", p);
            let m = mean(&values, left, 1e7);
            proptest::prop_assert!(0.0 <= m.ci95[0] && m.ci95[0] <= m.estimate + 1e-9, "{:?}", m);
            proptest::prop_assert!(m.estimate <= m.ci95[1] + 1e-9, "{:?}", m);
            if let Some(c) = conditional_mean(&values, &events) {
                proptest::prop_assert!(0.0 <= c.ci95[0] && c.ci95[0] <= c.estimate + 1e-9, "{:?}", c);
                proptest::prop_assert!(c.estimate <= c.ci95[1] + 1e-9, "{:?}", c);
            }
        }
    }

    #[test]
    fn conditional_mean_of_a_constant_is_that_constant() {
        // Two strata: in one the event always happens with value 5, in the other never.
        let values = [
            Part {
                weight: 0.2,
                n: 10,
                sum: 50.0,
                sum_sq: 250.0,
                exact: false,
            },
            Part {
                weight: 0.8,
                n: 10,
                sum: 0.0,
                sum_sq: 0.0,
                exact: false,
            },
        ];
        let events = [
            Part::count(0.2, 10, 10, false),
            Part::count(0.8, 0, 10, false),
        ];
        let e = conditional_mean(&values, &events).unwrap();
        assert!((e.estimate - 5.0).abs() < 1e-12);
        assert!((e.ci95[1] - e.ci95[0]).abs() < 1e-9, "{:?}", e.ci95);
    }
}

/// One stratum's part in a quantile of a value over the runs in which an event happened
/// (downtime given unavailability): its weight, runs, the event runs' values by bucket,
/// and whether it is known exactly.
#[derive(Clone, Copy, Debug)]
pub struct BucketPart<'a> {
    /// The stratum's exact probability.
    pub weight: f64,
    /// Its runs.
    pub n: u64,
    /// The values of its runs in which the event happened, by bucket.
    pub buckets: &'a super::sums::Buckets,
    /// Whether every run of the stratum is the same.
    pub exact: bool,
}

/// A quantile and its 95 % interval; the upper end is `None` when unknown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantileEstimate {
    /// The quantile (its bucket's middle; exact below 1,024).
    pub estimate: u64,
    /// Lower end of the interval (the lower edge of its bucket).
    pub lo: u64,
    /// Upper end (the upper edge of its bucket), `None` when the interval runs past the
    /// largest value.
    pub hi: Option<u64>,
}

/// The `q`-quantile of a value over the runs in which an event happened, from strata:
/// the smallest bucket where the weighted share of event runs at or below it reaches `q`.
/// Its interval inverts the 95 % interval of that share (Woodruff's method): the share's
/// stratified variance at the quantile comes from each stratum's event runs at or below
/// it, so strata known exactly add none. `None` if the event never happened.
pub fn conditional_quantile(parts: &[BucketPart<'_>], q: f64) -> Option<QuantileEstimate> {
    let events = |p: &BucketPart| p.buckets.iter().map(|(_, c)| c).sum::<u64>();
    // Strata whose histograms reached different resolutions meet at the coarsest.
    let level = parts.iter().map(|p| p.buckets.level()).max().unwrap_or(0);
    let mass: f64 = parts
        .iter()
        .filter(|p| p.n > 0)
        .map(|p| p.weight * events(p) as f64 / p.n as f64)
        .sum();
    if mass <= 0.0 {
        return None;
    }
    // The weighted share of event runs at or below each bucket seen, in one sweep.
    let mut steps: Vec<(usize, f64)> = parts
        .iter()
        .filter(|p| p.n > 0)
        .flat_map(|p| {
            let w = p.weight / p.n as f64 / mass;
            p.buckets
                .iter_at(level)
                .map(move |(b, c)| (b, w * c as f64))
        })
        .collect();
    steps.sort_by_key(|&(b, _)| b);
    let (mut all, mut shares) = (Vec::<usize>::new(), Vec::<f64>::new());
    let mut running = 0.0;
    for (b, add) in steps {
        running += add;
        if all.last() == Some(&b) {
            *shares.last_mut().expect("as long as `all`") = running;
        } else {
            all.push(b);
            shares.push(running);
        }
    }
    let first_at = |level: f64| {
        all.iter()
            .zip(&shares)
            .find(|(_, &s)| s >= level)
            .map(|(&b, _)| b)
    };
    let at = first_at(q).unwrap_or(*all.last()?);
    let mut var = 0.0;
    for p in parts.iter().filter(|p| !p.exact && p.n >= 2) {
        let n = p.n as f64;
        let (a, d) = (p.buckets.up_to(at, level) as f64, events(p) as f64);
        let sum = a - q * d;
        let sum_sq = a * (1.0 - q) * (1.0 - q) + (d - a) * q * q;
        let v = ((sum_sq - sum * sum / n) / (n - 1.0)).max(0.0);
        var += p.weight * p.weight * v / n;
    }
    let half = Z95 * var.sqrt() / mass;
    let (lo_level, hi_level) = (q - half, q + half);
    let lo = if lo_level <= 0.0 {
        0
    } else {
        first_at(lo_level).map_or(0, |b| super::sums::bucket_bounds(b, level).0)
    };
    let hi = if hi_level > 1.0 {
        None
    } else {
        first_at(hi_level).map(|b| super::sums::bucket_bounds(b, level).1)
    };
    // Within the values seen: constant values come out exact.
    let (min, max) = parts
        .iter()
        .filter_map(|p| p.buckets.range())
        .fold((u64::MAX, 0), |(a, b), (c, d)| (a.min(c), b.max(d)));
    let (b_lo, b_hi) = super::sums::bucket_bounds(at, level);
    Some(QuantileEstimate {
        estimate: (b_lo + (b_hi - b_lo) / 2).clamp(min, max),
        lo: lo.min(b_lo).clamp(min, max),
        hi: hi.map(|h| h.max(b_hi).clamp(min, max)),
    })
}
