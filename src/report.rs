//! The summary of a Monte Carlo batch as a stable wire type: what the JSON holds and what
//! the text summary prints. Built from the internal [`Accumulator`]; times are in seconds.

mod capacity;
mod causes;
mod compare;
mod data_loss;
pub mod distribution;
mod replayable;
mod strata;

pub use capacity::{PlainShareBack, StrataShareBack};
pub use causes::describe;
pub use compare::{CompareReport, Difference, Differences, NodeDifferences};
pub use data_loss::StrataDataLoss;
pub use replayable::{RunToReplay, RunsToReplay};
pub use strata::{
    Cause, Interval, Precision, Quantile, Quantiles, StrataNode, StrataReport, StrataSummary,
};

use indexmap::IndexMap;
use serde::Serialize;

use crate::model::Model;
use crate::montecarlo::Plan;
use crate::stats::{wilson, Accumulator, Bound, Tally};

/// The summary of a batch of runs.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Path or `builtin:NAME`.
    pub origin: String,
    /// Runs done.
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Whether all the runs asked for were done.
    pub complete: bool,
    /// The scenario's horizon in seconds.
    pub horizon_s: f64,
    /// Share of runs in which some service lost traffic (all of it, or a part) at some time.
    pub outage_probability: Proportion,
    /// Share of runs in which some customer lost traffic.
    pub customer_outage_probability: Proportion,
    /// Per run, the largest share of any service's traffic lost at some time (0 to 1).
    pub blast_radius: Distribution,
    /// How often each safeguard acted, in runs.
    pub safeguards: Safeguards,
    /// Per subsystem and service, in scenario order.
    pub nodes: IndexMap<String, NodeReport>,
    /// Seconds from the command until everything was back, over the runs in which
    /// something became unavailable and all of it came back before the horizon.
    pub recovery_s: Distribution,
    /// Runs in which something was still unavailable at the horizon.
    pub unrecovered_runs: u64,
    /// The longest outage and a median one, to replay (`replay --run ID`).
    pub runs_to_replay: Option<RunsToReplay>,
    /// Cascade depth over all runs.
    pub cascade_depth: Depth,
    /// Servers the tool removed, over all runs.
    pub servers_removed: Distribution,
    /// Engine events processed in all runs.
    pub events: u64,
    /// Share of runs in which a removal destroyed a subsystem's data; only for scenarios
    /// with `data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_loss_probability: Option<Proportion>,
    /// Seconds of writes lost per run (0 in runs that lost none); only for scenarios with
    /// `data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_loss_s: Option<Distribution>,
    /// The same over the runs that lost data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_loss_given_loss_s: Option<Distribution>,
    /// Per subsystem that lost servers in some run and per share of its servers (`"50%"`,
    /// `"90%"`, `"100%"`) it fell below in some run: the share of runs in which it did
    /// and, over those runs, when the share was back; absent when none did.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub servers_back: IndexMap<String, IndexMap<&'static str, PlainShareBack>>,
}

/// An estimated probability with its 95 % Wilson interval.
#[derive(Clone, Debug, Serialize)]
pub struct Proportion {
    /// Runs in which it happened.
    pub count: u64,
    /// `count / runs`.
    pub estimate: f64,
    /// Wilson score interval, 95 %.
    pub ci95: [f64; 2],
}

/// One subsystem's, service's or customer's results.
#[derive(Clone, Debug, Serialize)]
pub struct NodeReport {
    /// `subsystem`, `service` or `customer`.
    pub kind: &'static str,
    /// Time fully unavailable per run, in seconds (runs without downtime count as 0).
    pub downtime_s: Distribution,
    /// Share of runs in which it was fully unavailable at some time.
    pub unavailable_probability: Proportion,
    /// Traffic-weighted unavailability per run, in seconds of full outage: the time
    /// integral of the share of traffic not served.
    pub lost_service_s: Distribution,
    /// Share of runs in which it lost some traffic at some time.
    pub impacted_probability: Proportion,
}

/// How many runs each safeguard acted in.
#[derive(Clone, Debug, Serialize)]
pub struct Safeguards {
    /// The operator declined a wrong command at the confirmation prompt.
    pub declined: u64,
    /// The minimum-capacity guard refused the command.
    pub refused: u64,
    /// The minimum-capacity guard clipped the removal.
    pub clipped: u64,
    /// Monitoring noticed a rate-limited wrong removal and the operator aborted it.
    pub aborted: u64,
    /// Some safeguard did not work.
    pub failed: u64,
}

/// The distribution of a quantity over runs: exact mean and max, quantiles within 0.1 %.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Distribution {
    /// Number of values.
    pub runs: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// 95 % interval for the mean (normal approximation).
    pub mean_ci95: Option<[f64; 2]>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 95 % interval for the 99th percentile (order statistics with exact binomial ranks,
    /// each end at the outer edge of its histogram bucket); the upper end is `null` when
    /// too few values lie above the 99th percentile to bound it.
    pub p99_ci95: Option<[Option<f64>; 2]>,
    /// The exact coverage of `p99_ci95` (at least 0.95).
    pub p99_coverage: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Runs that ended at the horizon with the value still growing (right-censored);
    /// absent when none did.
    #[serde(skip_serializing_if = "is_zero")]
    pub censored: u64,
    /// `censored / runs`; absent when none was censored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub censored_share: Option<f64>,
    /// Which of `mean`, `p50`, `p90`, `p99` and `max` are only lower bounds, because of
    /// censored runs: the truth is that much or more. Absent when none is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lower_bounds: Vec<&'static str>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Cascade depth: 0 = nothing unavailable, 1 = only subsystems that lost servers, +1 per
/// further level of the dependency graph that became unavailable.
#[derive(Clone, Debug, Serialize)]
pub struct Depth {
    /// Mean over all runs.
    pub mean: f64,
    /// Deepest seen.
    pub max: u32,
    /// Runs per depth, `"0"` upward.
    pub histogram: IndexMap<String, u64>,
}

impl Proportion {
    /// `count` of `runs`, with its Wilson interval.
    pub fn new(count: u64, runs: u64) -> Self {
        Proportion {
            count,
            estimate: if runs == 0 {
                0.0
            } else {
                count as f64 / runs as f64
            },
            ci95: wilson(count, runs),
        }
    }
}

impl Distribution {
    /// From a tally of values, each multiplied by `scale` (1e-3 turns ms into seconds).
    pub fn new(t: &Tally, scale: f64) -> Self {
        let s = |v: u64| v as f64 * scale;
        let censored = t.censored();
        let quantiles = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)].map(|(name, q)| {
            let b = t.quantile_bound(q);
            (
                name,
                b.map(|b| s(b.value())),
                b.is_some_and(Bound::is_lower_bound),
            )
        });
        let max = t.max();
        let mut lower_bounds = Vec::new();
        if censored > 0 {
            lower_bounds.push("mean");
        }
        lower_bounds.extend(quantiles.iter().filter(|q| q.2).map(|q| q.0));
        if max.is_some_and(Bound::is_lower_bound) {
            lower_bounds.push("max");
        }
        Distribution {
            runs: t.len(),
            mean: t.mean().map(|m| m * scale),
            mean_ci95: t.mean_ci95().map(|[a, b]| [a * scale, b * scale]),
            p50: quantiles[0].1,
            p90: quantiles[1].1,
            p99: quantiles[2].1,
            p99_ci95: t.quantile_ci95(0.99).map(|i| [Some(s(i.lo)), i.hi.map(s)]),
            p99_coverage: t.quantile_ci95(0.99).map(|i| i.coverage),
            max: max.map(|m| s(m.value())),
            censored,
            censored_share: (censored > 0).then(|| censored as f64 / t.len() as f64),
            lower_bounds,
        }
    }
}

impl Report {
    /// Summarises `acc`, the runs of `plan` on `model`.
    pub fn new(model: &Model, plan: &Plan, acc: &Accumulator) -> Self {
        let nodes = model
            .reported()
            .map(|(id, node)| {
                let t = &acc.nodes[id.0];
                let report = NodeReport {
                    kind: node.kind.label(),
                    downtime_s: Distribution::new(&t.downtime, 1e-3),
                    unavailable_probability: Proportion::new(t.down_runs, acc.runs),
                    lost_service_s: Distribution::new(&t.lost_service, 1e-3),
                    impacted_probability: Proportion::new(t.impacted_runs, acc.runs),
                };
                (node.name.clone(), report)
            })
            .collect();
        let weighted: u64 = acc
            .depth
            .iter()
            .enumerate()
            .map(|(d, &n)| d as u64 * n)
            .sum();
        Report {
            scenario: model.name.clone(),
            origin: model.origin.clone(),
            runs: acc.runs,
            seed: plan.seed,
            complete: acc.runs == plan.runs,
            horizon_s: model.horizon.as_secs_f64(),
            outage_probability: Proportion::new(acc.outages, acc.runs),
            customer_outage_probability: Proportion::new(acc.customer_outages, acc.runs),
            blast_radius: Distribution::new(&acc.blast_radius, 1e-6),
            safeguards: Safeguards {
                declined: acc.safeguards.declined,
                refused: acc.safeguards.refused,
                clipped: acc.safeguards.clipped,
                aborted: acc.safeguards.aborted,
                failed: acc.safeguards.failed,
            },
            nodes,
            recovery_s: Distribution::new(&acc.recovery, 1e-3),
            unrecovered_runs: acc.horizon_hits,
            runs_to_replay: replayable::plain(acc),
            cascade_depth: Depth {
                mean: if acc.runs == 0 {
                    0.0
                } else {
                    weighted as f64 / acc.runs as f64
                },
                max: acc.depth.len().saturating_sub(1) as u32,
                histogram: acc
                    .depth
                    .iter()
                    .enumerate()
                    .map(|(d, &n)| (d.to_string(), n))
                    .collect(),
            },
            servers_removed: Distribution::new(&acc.servers_removed, 1.0),
            events: acc.events,
            data_loss_probability: model
                .has_data()
                .then(|| Proportion::new(acc.data_loss.len(), acc.runs)),
            data_loss_s: model.has_data().then(|| {
                let mut per_run = acc.data_loss.clone();
                per_run.record_n(0, acc.runs.saturating_sub(per_run.len()));
                Distribution::new(&per_run, 1e-3)
            }),
            data_loss_given_loss_s: model
                .has_data()
                .then(|| Distribution::new(&acc.data_loss, 1e-3)),
            servers_back: capacity::plain(model, acc),
        }
    }
}
