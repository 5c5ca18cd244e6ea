//! Data lost to destructive removals, in the summary of an estimate by strata.

use serde::Serialize;

use super::strata::{quantiles, Interval, Quantiles};
use crate::stats::strata::{self as combine, BucketPart, Part};
use crate::stats::StratumSums;
use crate::stratified::Estimate;

/// Data lost to destructive removals, per command.
#[derive(Clone, Debug, Serialize)]
pub struct StrataDataLoss {
    /// Probability per command that a removal destroys a subsystem's data.
    pub probability: Interval,
    /// Expected writes lost per command, in seconds before the command (0 when none).
    pub expected_s: Interval,
    /// Mean writes lost when data is lost, in seconds; absent if no run lost any.
    pub given_loss_s: Option<Interval>,
    /// Its p50, p90 and p99, in seconds.
    pub given_loss_quantiles_s: Option<Quantiles>,
}

/// The data lost in the strata of `est`: a stratum's runs are exact only when it has no
/// chance in it (a loss draws its window, so a stratum that loses data never is).
pub(super) fn estimate(est: &Estimate, left: f64, horizon: f64) -> StrataDataLoss {
    let parts = |value: &dyn Fn(&StratumSums) -> (f64, f64)| -> Vec<Part> {
        est.results
            .iter()
            .enumerate()
            .map(|(h, a)| {
                let (sum, sum_sq) = value(a);
                Part {
                    weight: est.strata.strata[h].probability,
                    n: a.runs,
                    sum,
                    sum_sq,
                    exact: est.deterministic[h],
                }
            })
            .collect()
    };
    let runs = parts(&|a| (a.data_loss_runs as f64, a.data_loss_runs as f64));
    let window = parts(&|a| a.data_loss.seconds());
    let buckets: Vec<BucketPart> = est
        .results
        .iter()
        .enumerate()
        .map(|(h, a)| BucketPart {
            weight: est.strata.strata[h].probability,
            n: a.runs,
            buckets: &a.data_loss_buckets,
            exact: est.deterministic[h],
        })
        .collect();
    StrataDataLoss {
        probability: combine::proportion(&runs, left).into(),
        // A window is shorter than a backup cycle; the horizon bounds what is left out.
        expected_s: combine::mean(&window, left, horizon).into(),
        given_loss_s: combine::conditional_mean(&window, &runs).map(Interval::from),
        given_loss_quantiles_s: quantiles(&buckets),
    }
}
