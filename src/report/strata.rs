//! The summary of an estimate by strata ([`Estimate`]) as a wire type: every probability
//! and mean is per command, combined from the strata with their exact probabilities, and
//! each node's results say what happens *when* it goes wrong, and which inputs cause it.

use indexmap::IndexMap;
use serde::Serialize;

use super::causes::causes;
use crate::model::{Model, NodeKind};
use crate::stats::strata::{self as combine, BucketPart, Part};
use crate::stats::{StratumSums, Sum};
use crate::stratified::Estimate;

/// The summary of an estimate by strata.
#[derive(Clone, Debug, Serialize)]
pub struct StrataReport {
    /// Scenario name.
    pub scenario: String,
    /// Path or `builtin:NAME`.
    pub origin: String,
    /// `"strata"`.
    pub method: &'static str,
    /// Base seed.
    pub seed: u64,
    /// Runs done, in all strata.
    pub runs: u64,
    /// Whether every round ran to its end.
    pub complete: bool,
    /// The scenario's horizon in seconds.
    pub horizon_s: f64,
    /// The inputs enumerated.
    pub strata: StrataSummary,
    /// Probability per command that some customer-facing service (one not marked
    /// `internal`) lost traffic: the outage users see.
    pub facing_outage_probability: Interval,
    /// Probability per command that some service, internal ones included, lost traffic.
    pub outage_probability: Interval,
    /// Probability per command that some customer lost traffic.
    pub customer_outage_probability: Interval,
    /// Mean time from the command until everything was back, in seconds, given that
    /// something lost traffic; absent if nothing ever did.
    pub recovery_given_outage_s: Option<Interval>,
    /// Its p50, p90 and p99, in seconds.
    pub recovery_given_outage_quantiles_s: Option<Quantiles>,
    /// Probability per command that something was still not back at the horizon; absent
    /// when no run saw that. When present, recovery times are lower bounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_back_at_horizon_probability: Option<Interval>,
    /// Probability per command of a cascade at least `d` levels deep, for `d` from 1 to
    /// the deepest seen: entry `d - 1`. Depth 1 is the subsystem the command hit losing
    /// traffic; each level more is a dependent that lost traffic through it.
    pub cascade_depth_at_least: Vec<Interval>,
    /// The longest outage and a median one, to replay (`replay --run INPUT:RUN`).
    pub runs_to_replay: Option<super::RunsToReplay>,
    /// Data lost to destructive removals; only for scenarios with `data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_loss: Option<super::data_loss::StrataDataLoss>,
    /// Per subsystem that lost servers in some run and per share of its servers (`"50%"`,
    /// `"90%"`, `"100%"`) it fell below in some run: the probability per command that it
    /// does and, when it does, when the share was back; absent when none did.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub servers_back: IndexMap<String, IndexMap<&'static str, super::StrataShareBack>>,
    /// Per subsystem, service and customer, in scenario order.
    pub nodes: IndexMap<String, StrataNode>,
    /// With `--precision`: what was asked, what was reached and what stopped the runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
}

/// How a run to a precision ended.
#[derive(Clone, Debug, Serialize)]
pub struct Precision {
    /// The relative half-width asked for (0.1 for ±10 %).
    pub target: f64,
    /// The relative half-width reached, of `headline`.
    pub reached: f64,
    /// Which probability it is measured on: `"facing_outage_probability"`, or
    /// `"outage_probability"` when no customer-facing outage can happen.
    pub headline: &'static str,
    /// `"met"`, `"runs"` (the `--runs` limit came first) or `"time"` (`--max-time`).
    pub stopped_by: &'static str,
}

/// What was enumerated and what was left out.
#[derive(Clone, Debug, Serialize)]
pub struct StrataSummary {
    /// Distinct inputs (typed count × selector × safeguard outcomes).
    pub count: usize,
    /// Those with chance left in them (simulated more than once).
    pub random: usize,
    /// Keystroke errors enumerated per command.
    pub max_keystroke_errors: u32,
    /// Probability of the inputs with more errors, not simulated: added to the upper end
    /// of every probability's interval.
    pub left_out_probability: f64,
}

/// An estimate with its 95 % interval.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Interval {
    /// The estimate.
    pub estimate: f64,
    /// 95 % interval.
    pub ci95: [f64; 2],
}

/// One node's results.
#[derive(Clone, Debug, Serialize)]
pub struct StrataNode {
    /// `subsystem`, `service` or `customer`.
    pub kind: &'static str,
    /// An internal service (its outages are not customer-facing).
    pub internal: bool,
    /// Probability per command that it lost some traffic.
    pub impacted_probability: Interval,
    /// Probability per command that it became fully unavailable.
    pub unavailable_probability: Interval,
    /// Mean time fully unavailable, in seconds, given that it became unavailable; absent
    /// if it never did.
    pub downtime_given_unavailable_s: Option<Interval>,
    /// p50, p90 and p99 of its time fully unavailable, in seconds, given that it became
    /// unavailable; absent if it never did.
    pub downtime_given_unavailable_quantiles_s: Option<Quantiles>,
    /// Expected time fully unavailable per command, in seconds (0 when it stays up).
    pub expected_downtime_s: Interval,
    /// Expected traffic-weighted unavailability per command, in seconds.
    pub expected_lost_service_s: Interval,
    /// Probability per command that it is still fully unavailable at the horizon; absent
    /// when no run saw that. When present, its downtimes are lower bounds: the runs were
    /// cut short while it was still down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub still_down_at_horizon_probability: Option<Interval>,
    /// The inputs that contribute most to its probability of becoming unavailable.
    pub causes: Vec<Cause>,
}

/// Three quantiles of a time, in seconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Quantiles {
    /// Median.
    pub p50: Quantile,
    /// 90th percentile.
    pub p90: Quantile,
    /// 99th percentile.
    pub p99: Quantile,
}

/// A quantile with its 95 % interval; the upper end is `null` when unknown.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Quantile {
    /// The quantile.
    pub estimate: f64,
    /// 95 % interval (Woodruff's, from the strata), each end at a histogram bucket's edge.
    pub ci95: [Option<f64>; 2],
}

/// One input and its part in a probability.
#[derive(Clone, Debug, Serialize)]
pub struct Cause {
    /// The count as typed (the likeliest digits that read as it).
    pub typed: String,
    /// What the selector matched.
    pub selector: String,
    /// How the safeguards' chance outcomes fell.
    pub safeguards: String,
    /// Exact probability of this input per command.
    pub probability: f64,
    /// Its share of the probability it is a cause of (0 to 1).
    pub share: f64,
}

impl Interval {
    /// Zero, known exactly.
    pub const ZERO: Interval = Interval {
        estimate: 0.0,
        ci95: [0.0, 0.0],
    };
}

impl From<combine::Estimate> for Interval {
    fn from(e: combine::Estimate) -> Self {
        Interval {
            estimate: e.estimate,
            ci95: e.ci95,
        }
    }
}

impl StrataReport {
    /// Summarises `est`, the strata of `model` run with `seed`.
    pub fn new(model: &Model, est: &Estimate, seed: u64) -> Self {
        let strata = &est.strata;
        let left = strata.left_out;
        // One part per stratum from what `value` makes of its runs, (sum, sum of squares),
        // known exactly where `exact` says.
        let parts = |value: &dyn Fn(&StratumSums) -> (f64, f64),
                     exact: &dyn Fn(usize) -> bool|
         -> Vec<Part> {
            est.results
                .iter()
                .enumerate()
                .map(|(h, a)| {
                    let (sum, sum_sq) = value(a);
                    Part {
                        weight: strata.strata[h].probability,
                        n: a.runs,
                        sum,
                        sum_sq,
                        exact: exact(h),
                    }
                })
                .collect()
        };
        let count = |c: u64| (c as f64, c as f64);
        let seconds = |t: &Sum| t.seconds();
        let unless = |kind: fn(&NodeKind) -> bool| {
            move |h: usize| est.deterministic[h] || !est.can_affect(h, kind, model)
        };
        let service = unless(|k| matches!(k, NodeKind::Service { .. }));
        let facing = unless(|k| {
            matches!(
                k,
                NodeKind::Service {
                    internal: false,
                    ..
                }
            )
        });
        let customer = unless(|k| matches!(k, NodeKind::Customer { .. }));
        let outage = parts(&|a| count(a.outages), &service);
        let facing = parts(&|a| count(a.facing_outages), &facing);
        let customer = parts(&|a| count(a.customer_outages), &customer);
        let horizon = model.horizon.as_secs_f64();
        // Recovery: over the runs in which something lost traffic.
        let deterministic = |h: usize| est.deterministic[h];
        let recovered = parts(&|a| count(a.recovery_runs), &deterministic);
        let recovery = parts(&|a| seconds(&a.recovery), &deterministic);
        let not_back = parts(&|a| count(a.recovery_censored), &deterministic);
        let recovery_buckets: Vec<BucketPart> = est
            .results
            .iter()
            .enumerate()
            .map(|(h, a)| BucketPart {
                weight: strata.strata[h].probability,
                n: a.runs,
                buckets: &a.recovery_buckets,
                exact: deterministic(h),
            })
            .collect();
        let cut_short = est.results.iter().any(|a| a.recovery_censored > 0);
        let recovery_quantiles = quantiles(&recovery_buckets);
        let deepest = est.results.iter().map(|a| a.depth_runs.len()).max();
        // Each stratum's deepest cascade once, not once per depth (each is a pass over the
        // nodes of its affected set).
        let reach: Vec<usize> = (0..est.results.len())
            .map(|h| est.deepest(h, model))
            .collect();
        let cascade_depth_at_least = (1..=deepest.unwrap_or(0))
            .map(|d| {
                let exact = |h: usize| deterministic(h) || d > reach[h];
                let at_least = parts(&|a| count(a.depth_at_least(d)), &exact);
                combine::proportion(&at_least, left).into()
            })
            .collect();
        let data_loss = model
            .has_data()
            .then(|| super::data_loss::estimate(est, left, horizon));
        let nodes = model
            .reported()
            .map(|(id, node)| {
                let i = id.index();
                let exact = |h: usize| est.exact(h, i);
                let down = parts(&|a| count(a.nodes.get(i).down_runs), &exact);
                let impacted = parts(&|a| count(a.nodes.get(i).impacted_runs), &exact);
                let downtime = parts(&|a| seconds(&a.nodes.get(i).downtime), &exact);
                let lost = parts(&|a| seconds(&a.nodes.get(i).lost_service), &exact);
                let cut = parts(&|a| count(a.nodes.get(i).censored_runs), &exact);
                let buckets: Vec<BucketPart> = est
                    .results
                    .iter()
                    .enumerate()
                    .map(|(h, a)| BucketPart {
                        weight: strata.strata[h].probability,
                        n: a.runs,
                        buckets: &a.nodes.get(i).down_buckets,
                        exact: exact(h),
                    })
                    .collect();
                let quantiles = quantiles(&buckets);
                let censored = est.results.iter().any(|a| a.nodes.get(i).censored_runs > 0);
                let report = StrataNode {
                    kind: node.kind.label(),
                    internal: matches!(node.kind, NodeKind::Service { internal: true, .. }),
                    impacted_probability: combine::proportion(&impacted, left).into(),
                    unavailable_probability: combine::proportion(&down, left).into(),
                    downtime_given_unavailable_s: combine::conditional_mean(&downtime, &down)
                        .map(Interval::from),
                    downtime_given_unavailable_quantiles_s: quantiles,
                    expected_downtime_s: combine::mean(&downtime, left, horizon).into(),
                    expected_lost_service_s: combine::mean(&lost, left, horizon).into(),
                    still_down_at_horizon_probability: censored
                        .then(|| combine::proportion(&cut, left).into()),
                    causes: causes(model, est, &down),
                };
                (node.name.clone(), report)
            })
            .collect();
        StrataReport {
            scenario: model.name.clone(),
            origin: model.origin.clone(),
            method: "strata",
            seed,
            runs: est.runs(),
            complete: est.complete,
            horizon_s: horizon,
            strata: StrataSummary {
                count: strata.strata.len(),
                random: est.deterministic.iter().filter(|d| !**d).count(),
                max_keystroke_errors: strata.max_errors,
                left_out_probability: left,
            },
            facing_outage_probability: combine::proportion(&facing, left).into(),
            outage_probability: combine::proportion(&outage, left).into(),
            recovery_given_outage_s: combine::conditional_mean(&recovery, &recovered)
                .map(Interval::from),
            recovery_given_outage_quantiles_s: recovery_quantiles,
            runs_to_replay: super::replayable::strata(
                est,
                recovery_quantiles.map(|q| (q.p50.estimate * 1e3).round() as u64),
            ),
            not_back_at_horizon_probability: cut_short
                .then(|| combine::proportion(&not_back, left).into()),
            precision: None,
            customer_outage_probability: combine::proportion(&customer, left).into(),
            cascade_depth_at_least,
            data_loss,
            servers_back: super::capacity::strata(model, est, left),
            nodes,
        }
    }
}

/// p50, p90 and p99 of a time over the runs of `parts`' buckets, in seconds.
pub(super) fn quantiles(parts: &[BucketPart]) -> Option<Quantiles> {
    let quantile = |q: f64| {
        combine::conditional_quantile(parts, q).map(|e| Quantile {
            estimate: e.estimate as f64 / 1e3,
            ci95: [Some(e.lo as f64 / 1e3), e.hi.map(|h| h as f64 / 1e3)],
        })
    };
    Some(Quantiles {
        p50: quantile(0.5)?,
        p90: quantile(0.9)?,
        p99: quantile(0.99)?,
    })
}
