//! Whole distributions of a time given an event, from an estimate by strata: the
//! probability of each histogram bucket, each stratum weighted by its exact probability.
//! What the HTML report draws as histograms and CDFs.

use serde::Serialize;

use crate::model::{Model, NodeId};
use crate::stats::StratumSums;
use crate::stats::{bucket_bounds, Buckets};
use crate::stratified::Estimate;

/// One histogram bucket of a conditional distribution.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Bin {
    /// Its smallest value, in seconds.
    pub from_s: f64,
    /// Its largest value, in seconds.
    pub to_s: f64,
    /// The probability of a value in it, given the event (the bins add up to 1).
    pub probability: f64,
}

/// The distribution of node `id`'s time fully unavailable, given that it became
/// unavailable; empty if it never did.
pub fn downtime_given_unavailable(est: &Estimate, id: NodeId) -> Vec<Bin> {
    bins(est, |a| &a.nodes.get(id.index()).down_buckets)
}

/// The distribution of the time until everything was back, given that something lost
/// traffic; empty if nothing ever did.
pub fn recovery_given_outage(est: &Estimate) -> Vec<Bin> {
    bins(est, |a| &a.recovery_buckets)
}

/// Each bucket's share of the runs, weighted by their strata's probabilities:
/// Σₕ wₕ·cₕ(b)/nₕ over the strata h, normalised to add up to 1.
fn bins(est: &Estimate, buckets: impl Fn(&StratumSums) -> &Buckets) -> Vec<Bin> {
    let mut mass: std::collections::BTreeMap<usize, f64> = Default::default();
    // Strata whose histograms reached different resolutions meet at the coarsest.
    let level = est
        .results
        .iter()
        .map(|a| buckets(a).level())
        .max()
        .unwrap_or(0);
    for (h, a) in est.results.iter().enumerate() {
        if a.runs == 0 {
            continue;
        }
        let w = est.strata.strata[h].probability / a.runs as f64;
        for (b, n) in buckets(a).iter_at(level) {
            *mass.entry(b).or_insert(0.0) += w * n as f64;
        }
    }
    let total: f64 = mass.values().sum();
    if total <= 0.0 {
        return Vec::new();
    }
    mass.into_iter()
        .map(|(b, m)| {
            let (lo, hi) = bucket_bounds(b, level);
            Bin {
                from_s: lo as f64 / 1e3,
                to_s: hi as f64 / 1e3,
                probability: m / total,
            }
        })
        .collect()
}

/// The customer-facing services of `model` (services not marked internal), in scenario
/// order: the ones whose distributions a reader of a report wants first.
pub fn facing_services(model: &Model) -> impl Iterator<Item = (NodeId, &crate::model::Node)> {
    model.reported().filter(|(_, n)| {
        matches!(
            n.kind,
            crate::model::NodeKind::Service {
                internal: false,
                ..
            }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stratified::{self, Options};
    use std::sync::atomic::AtomicBool;

    #[test]
    fn bins_add_up_to_one_and_match_the_quantiles() {
        let model = crate::scenario::load("s3-2017").expect("built-in");
        let options = Options {
            runs: 2_000,
            seed: 1,
            threads: 1,
            max_errors: 2,
        };
        let est = stratified::run(&model, options, &mut |_, _| {}, &AtomicBool::new(false))
            .expect("runs");
        let recovery = recovery_given_outage(&est);
        let total: f64 = recovery.iter().map(|b| b.probability).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // The report's median lies in the bucket where the CDF passes one half.
        let report = crate::report::StrataReport::new(&model, &est, 1);
        let p50 = report
            .recovery_given_outage_quantiles_s
            .expect("outages")
            .p50;
        let mut cdf = 0.0;
        let median_bin = recovery
            .iter()
            .find(|b| {
                cdf += b.probability;
                cdf >= 0.5
            })
            .expect("a median");
        assert!(
            median_bin.from_s <= p50.estimate && p50.estimate <= median_bin.to_s + 1e-3,
            "{median_bin:?} vs {p50:?}"
        );
        let index = model.find("index").expect("index");
        let down = downtime_given_unavailable(&est, index);
        assert!(down.iter().all(|b| b.from_s > 3_600.0), "{down:?}");
    }
}
