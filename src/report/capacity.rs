//! Capacity over time in the summaries: for each subsystem that lost servers in some run
//! and each share of its servers (50 %, 90 %, 100 %) that it fell below, the probability
//! that it does and, over the runs in which it did, when the share was back for good
//! (p50, p90, p99; `null` in JSON where the quantile falls among the runs in which the
//! share was not back when the run ended).

use indexmap::IndexMap;
use serde::Serialize;

use super::strata::Interval;
use super::Proportion;
use crate::engine::capacity::SHARE_NAMES;
use crate::model::Model;
use crate::stats::capacity::{is_not_back, CapacitySums};
use crate::stats::strata::{self as combine, BucketPart, Part};
use crate::stats::Accumulator;
use crate::stratified::Estimate;

/// A time in seconds since the command, `None` when not back.
fn seconds(ms: u64) -> Option<f64> {
    (!is_not_back(ms)).then(|| ms as f64 / 1e3)
}

/// When one share of a subsystem's servers was back, by strata.
#[derive(Clone, Debug, Serialize)]
pub struct StrataShareBack {
    /// Probability per command that its servers in service fall below the share.
    pub below_probability: Interval,
    /// Probability that the share was not back when the run ended (servers removed for
    /// good, or the horizon), given it fell below it.
    pub not_back_probability: Interval,
    /// Median time from the command until the share was back for good, given it fell
    /// below it, in seconds (`null`: not back).
    pub p50_s: Option<f64>,
    /// 90th percentile, as `p50_s`.
    pub p90_s: Option<f64>,
    /// 99th percentile, as `p50_s`.
    pub p99_s: Option<f64>,
    /// 95 % interval of the 99th percentile, each end `null` when not back or unknown.
    pub p99_ci95_s: [Option<f64>; 2],
}

/// Per subsystem that lost servers in some run, in scenario order, and per share it fell
/// below in some run (`"50%"`, `"90%"`, `"100%"`); empty if none did.
pub(super) fn strata(
    model: &Model,
    est: &Estimate,
    left: f64,
) -> IndexMap<String, IndexMap<&'static str, StrataShareBack>> {
    let sums = |h: usize, i: usize| est.results[h].capacity.get(i);
    let below = |h: usize, i: usize, k: usize| sums(h, i).map_or(0, |s| s.below_runs[k]);
    let strata = 0..est.results.len();
    model
        .reported()
        .map(|(id, node)| {
            let i = id.index();
            let part = |h: usize, value: &dyn Fn(&CapacitySums) -> u64| {
                let c = sums(h, i).map_or(0, value);
                Part::count(
                    est.strata.strata[h].probability,
                    c,
                    est.results[h].runs,
                    est.deterministic[h],
                )
            };
            let empty = crate::stats::Buckets::default();
            let shares = (0..3)
                .filter(|&k| strata.clone().any(|h| below(h, i, k) > 0))
                .map(|k| {
                    let fell: Vec<Part> = strata
                        .clone()
                        .map(|h| part(h, &|s| s.below_runs[k]))
                        .collect();
                    let not_back: Vec<Part> = strata
                        .clone()
                        .map(|h| part(h, &|s| s.not_back[k]))
                        .collect();
                    let buckets: Vec<BucketPart> = strata
                        .clone()
                        .map(|h| BucketPart {
                            weight: est.strata.strata[h].probability,
                            n: est.results[h].runs,
                            buckets: sums(h, i).map_or(&empty, |s| &s.back[k]),
                            exact: est.deterministic[h],
                        })
                        .collect();
                    let q = |q: f64| combine::conditional_quantile(&buckets, q);
                    let p99 = q(0.99);
                    let share = StrataShareBack {
                        below_probability: combine::proportion(&fell, left).into(),
                        not_back_probability: combine::conditional_mean(&not_back, &fell)
                            .map_or(Interval::ZERO, Interval::from),
                        p50_s: q(0.5).and_then(|e| seconds(e.estimate)),
                        p90_s: q(0.9).and_then(|e| seconds(e.estimate)),
                        p99_s: p99.and_then(|e| seconds(e.estimate)),
                        p99_ci95_s: [
                            p99.and_then(|e| seconds(e.lo)),
                            p99.and_then(|e| e.hi.and_then(seconds)),
                        ],
                    };
                    (SHARE_NAMES[k], share)
                })
                .collect::<IndexMap<_, _>>();
            (node.name.clone(), shares)
        })
        .filter(|(_, shares)| !shares.is_empty())
        .collect()
}

/// When one share of a subsystem's servers was back, over plain runs.
#[derive(Clone, Debug, Serialize)]
pub struct PlainShareBack {
    /// Runs in which its servers in service fell below the share, of all runs.
    pub below_probability: Proportion,
    /// Runs in which the share was not back when the run ended (servers removed for good,
    /// or the horizon), of those runs.
    pub not_back_probability: Proportion,
    /// Median time from the command until the share was back for good, over the runs in
    /// which it fell below it, in seconds (`null`: not back).
    pub p50_s: Option<f64>,
    /// 90th percentile, as `p50_s`.
    pub p90_s: Option<f64>,
    /// 99th percentile, as `p50_s`.
    pub p99_s: Option<f64>,
}

/// Per subsystem that lost servers in some run, in scenario order, and per share it fell
/// below in some run; empty if none did.
pub(super) fn plain(
    model: &Model,
    acc: &Accumulator,
) -> IndexMap<String, IndexMap<&'static str, PlainShareBack>> {
    acc.capacity
        .nodes
        .iter()
        .map(|(i, t)| {
            let shares = (0..3)
                .filter(|&k| t.below_runs[k] > 0)
                .map(|k| {
                    let q = |q: f64| t.back[k].quantile(q).and_then(seconds);
                    let share = PlainShareBack {
                        below_probability: Proportion::new(t.below_runs[k], acc.runs),
                        not_back_probability: Proportion::new(t.not_back[k], t.below_runs[k]),
                        p50_s: q(0.5),
                        p90_s: q(0.9),
                        p99_s: q(0.99),
                    };
                    (SHARE_NAMES[k], share)
                })
                .collect();
            (model.nodes[*i as usize].name.clone(), shares)
        })
        .collect()
}
