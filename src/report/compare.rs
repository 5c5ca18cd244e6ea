//! The comparison of variants run on common random numbers ([`Paired`]): each variant's
//! own results, and its differences from the first with paired intervals.
//!
//! A difference is Σ over inputs of (its probability in the variant × the variant's mean
//! value − its probability in the first × the first's mean value). Run `r` of an input
//! drew the same numbers in both, so the per-run differences are paired: the variance of
//! an input's mean difference comes from the sums of squares and of products of the paired
//! runs. `variance_reduction` is how many times smaller that variance is than the same
//! runs would give if the variants had been run independently.

use indexmap::IndexMap;
use serde::Serialize;

use super::strata::StrataReport;
use crate::model::Model;
use crate::stats::{StratumSums, Z95};
use crate::stratified::{Metric, Paired};

/// Variants compared on common random numbers.
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    /// `"strata, common random numbers"`.
    pub method: &'static str,
    /// Base seed.
    pub seed: u64,
    /// Runs per variant (each input's runs, counted once).
    pub runs: u64,
    /// Whether every round ran to its end.
    pub complete: bool,
    /// Each variant's own results, the first being what the others are compared with.
    pub variants: IndexMap<String, StrataReport>,
    /// Per variant after the first: its differences from the first.
    pub differences: IndexMap<String, Differences>,
}

/// One variant's differences from the first, per command.
#[derive(Clone, Debug, Serialize)]
pub struct Differences {
    /// The variant compared with.
    pub against: String,
    /// In the probability that some customer-facing service loses traffic.
    pub facing_outage_probability: Difference,
    /// In the probability that some service loses traffic.
    pub outage_probability: Difference,
    /// In the probability that some customer loses traffic.
    pub customer_outage_probability: Difference,
    /// Per node of the first variant (that the variant also has).
    pub nodes: IndexMap<String, NodeDifferences>,
}

/// One node's differences.
#[derive(Clone, Debug, Serialize)]
pub struct NodeDifferences {
    /// In the probability of becoming unavailable.
    pub unavailable_probability: Difference,
    /// In the expected downtime per command, in seconds.
    pub expected_downtime_s: Difference,
    /// In the expected lost service per command, in seconds.
    pub expected_lost_service_s: Difference,
    /// Whether the node was still down at the horizon in some run of either variant: its
    /// downtimes there are lower bounds, and so the downtime differences are not to be
    /// trusted (a longer horizon would settle them). Absent when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub censored: bool,
}

/// A paired difference (variant − first) with its 95 % interval.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Difference {
    /// The difference.
    pub estimate: f64,
    /// 95 % interval (normal approximation on the paired variance), within the range a
    /// difference of the quantity can have, widened by what the inputs left out can add.
    pub ci95: [f64; 2],
    /// Variance with independent runs ÷ variance with paired runs; absent when both are 0.
    pub variance_reduction: Option<f64>,
}

impl CompareReport {
    /// Summarises `p`, the variants `models` (named `names`) run with `seed`.
    pub fn new(models: &[&Model], names: &[String], p: &Paired, seed: u64) -> Self {
        let variants: IndexMap<String, StrataReport> = names
            .iter()
            .zip(models.iter().zip(&p.variants))
            .map(|(name, (m, est))| (name.clone(), StrataReport::new(m, est, seed)))
            .collect();
        let first = models[0];
        let differences = (1..models.len())
            .map(|v| {
                let diff = |m: Metric| difference(models, p, v, m);
                let nodes = first
                    .reported()
                    .filter(|(id, _)| p.nodes[v][id.index()].is_some())
                    .map(|(id, node)| {
                        let i = id.index();
                        let cut = |x: usize| {
                            p.nodes[x][i].is_some_and(|j| {
                                p.variants[x]
                                    .results
                                    .iter()
                                    .any(|a| a.nodes.get(j).censored_runs > 0)
                            })
                        };
                        let d = NodeDifferences {
                            unavailable_probability: diff(Metric::Unavailable(i)),
                            expected_downtime_s: diff(Metric::Downtime(i)),
                            expected_lost_service_s: diff(Metric::LostService(i)),
                            censored: cut(0) || cut(v),
                        };
                        (node.name.clone(), d)
                    })
                    .collect();
                let d = Differences {
                    against: names[0].clone(),
                    facing_outage_probability: diff(Metric::FacingOutage),
                    outage_probability: diff(Metric::Outage),
                    customer_outage_probability: diff(Metric::CustomerOutage),
                    nodes,
                };
                (names[v].clone(), d)
            })
            .collect();
        CompareReport {
            method: "strata, common random numbers",
            seed,
            runs: p.runs(),
            complete: p.variants.iter().all(|e| e.complete),
            variants,
            differences,
        }
    }
}

/// The sum and sum of squares of metric `m` over the runs in `acc` of variant `v`.
fn sums(p: &Paired, v: usize, acc: &StratumSums, m: Metric) -> (f64, f64) {
    let count = |c: u64| (c as f64, c as f64);
    let node = |i: usize| p.nodes[v][i].map(|j| acc.nodes.get(j));
    match m {
        Metric::FacingOutage => count(acc.facing_outages),
        Metric::Outage => count(acc.outages),
        Metric::CustomerOutage => count(acc.customer_outages),
        Metric::Unavailable(i) => node(i).map_or((0.0, 0.0), |n| count(n.down_runs)),
        Metric::Downtime(i) => node(i).map_or((0.0, 0.0), |n| n.downtime.seconds()),
        Metric::LostService(i) => node(i).map_or((0.0, 0.0), |n| n.lost_service.seconds()),
    }
}

/// Variant `v` minus the first in metric `m`, paired input by input.
fn difference(models: &[&Model], p: &Paired, v: usize, m: Metric) -> Difference {
    let metric = p
        .metrics
        .iter()
        .position(|x| *x == m)
        .expect("a compared metric");
    let (mut d, mut paired, mut independent) = (0.0, 0.0, 0.0);
    for (u, input) in p.inputs.iter().enumerate() {
        let n = p.runs[u] as f64;
        if n == 0.0 {
            continue;
        }
        // (weight, sum, sum of squares, exact) of the input in a variant.
        let side = |x: usize| match input[x] {
            Some(h) => {
                let est = &p.variants[x];
                let (s, q) = sums(p, x, &est.results[h], m);
                (
                    est.strata.strata[h].probability,
                    s,
                    q,
                    p.exact(models, u, x, m),
                )
            }
            None => (0.0, 0.0, 0.0, true),
        };
        let (wa, sa, qa, exact_a) = side(v);
        let (wb, sb, qb, exact_b) = side(0);
        // Σz and Σz² of the per-run z = wa·a − wb·b = wa·δ + (wa − wb)·b, with δ = a − b.
        let (sum, sum_sq) = match (input[v], input[0]) {
            (Some(_), Some(_)) => {
                let unit = Paired::unit(m);
                let [f, dd, e] = p.cross[u][v][metric];
                let (f, dd, e) = (
                    f as f64 * unit,
                    dd as f64 * unit * unit,
                    e as f64 * unit * unit,
                );
                let dw = wa - wb;
                (
                    wa * f + dw * sb,
                    wa * wa * dd + 2.0 * wa * dw * e + dw * dw * qb,
                )
            }
            _ => (wa * sa - wb * sb, wa * wa * qa + wb * wb * qb),
        };
        d += sum / n;
        if n < 2.0 {
            continue;
        }
        let var = |s: f64, q: f64| ((q - s * s / n) / (n - 1.0)).max(0.0) / n;
        let va = if exact_a { 0.0 } else { wa * wa * var(sa, qa) };
        let vb = if exact_b { 0.0 } else { wb * wb * var(sb, qb) };
        independent += va + vb;
        if !(exact_a && exact_b) {
            paired += var(sum, sum_sq);
        }
    }
    let left = p
        .variants
        .iter()
        .map(|e| e.strata.left_out)
        .fold(0.0, f64::max);
    let (range, top) = match m {
        Metric::FacingOutage | Metric::Outage | Metric::CustomerOutage | Metric::Unavailable(_) => {
            (1.0, 1.0)
        }
        _ => {
            let horizon = models
                .iter()
                .map(|m| m.horizon.as_secs_f64())
                .fold(0.0, f64::max);
            (horizon, f64::INFINITY)
        }
    };
    let half = Z95 * paired.sqrt() + left * range;
    Difference {
        estimate: d,
        ci95: [(d - half).max(-top), (d + half).min(top)],
        variance_reduction: (paired > 0.0).then(|| independent / paired),
    }
}
