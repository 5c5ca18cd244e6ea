//! Operations over time: many simulated periods (a year, say) of routine commands. In each
//! period commands arrive as a Poisson process at the scenario's rate; each is typed, checked
//! by the safeguards and simulated like one Monte Carlo run. Episodes are independent: each
//! starts from a healthy fleet (the removed servers are back before the next command), which
//! holds while outages are rare next to the time between commands.
//!
//! Per period it sums every node's downtime and records the longest single outage, so it can
//! report expected annual downtime, the availability achieved (with its nines) and how often
//! the worst cases happen.

use std::sync::atomic::AtomicBool;

use rand_distr::{Distribution as _, Poisson};
use serde::Serialize;

use crate::engine::{Simulation, Unobserved};
use crate::error::Error;
use crate::model::{Model, NodeKind, Operations};
use crate::montecarlo::{in_parallel, run_rng, Plan};
use crate::report::{Distribution, Proportion};
use crate::stats::Tally;

/// Outage lengths whose frequency is reported.
const THRESHOLDS: [(&str, u64); 3] = [("15m", 900_000), ("1h", 3_600_000), ("4h", 14_400_000)];

/// Totals over periods.
#[derive(Clone, Debug, Default)]
pub struct PeriodTally {
    /// Periods simulated.
    pub periods: u64,
    /// Commands per period.
    pub commands: Tally,
    /// Commands per period in which some service lost traffic.
    pub outages: Tally,
    /// Per node (indexed like the model's nodes): downtime summed over a period, in ms.
    pub downtime: Vec<Tally>,
    /// The longest downtime of any single service in one command, per period, in ms.
    pub worst: Tally,
    /// Periods with at least one service down for at least each of `THRESHOLDS`.
    pub beyond: [u64; 3],
}

impl PeriodTally {
    fn new(model: &Model) -> Self {
        PeriodTally {
            downtime: vec![Tally::default(); model.nodes.len()],
            ..PeriodTally::default()
        }
    }

    fn merge(&mut self, other: &PeriodTally) {
        self.periods += other.periods;
        self.commands.merge(&other.commands);
        self.outages.merge(&other.outages);
        for (a, b) in self.downtime.iter_mut().zip(&other.downtime) {
            a.merge(b);
        }
        self.worst.merge(&other.worst);
        for (a, b) in self.beyond.iter_mut().zip(other.beyond) {
            *a += b;
        }
    }
}

struct Worker<'m> {
    sim: Simulation<'m>,
    tally: PeriodTally,
    sums: Vec<u64>,
    /// Per node: whether this period's sum is only a lower bound (an outage still going
    /// at its horizon, or a sum beyond what 64 bits hold).
    censored: Vec<bool>,
}

/// Simulates `plan.runs` periods of `ops` on `model`; `progress` is told how many periods
/// are done; raising `stop` ends the batch after the pieces being run.
pub fn run(
    model: &Model,
    ops: &Operations,
    plan: Plan,
    progress: &mut dyn FnMut(u64),
    stop: &AtomicBool,
) -> Result<PeriodTally, Error> {
    let mean = ops.commands_per_day * ops.period.as_secs_f64() / 86_400.0;
    let arrivals = Poisson::new(mean).ok();
    let services: Vec<usize> = model
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.kind, NodeKind::Service { .. }))
        .map(|(i, _)| i)
        .collect();
    let workers = in_parallel(
        plan,
        || Worker {
            sim: Simulation::new(model),
            tally: PeriodTally::new(model),
            sums: vec![0; model.nodes.len()],
            censored: vec![false; model.nodes.len()],
        },
        |w: &mut Worker, periods| {
            for period in periods {
                let mut rng = run_rng(plan.seed, period);
                let commands = arrivals.as_ref().map_or(0.0, |p| p.sample(&mut rng)) as u64;
                w.sums.iter_mut().for_each(|s| *s = 0);
                w.censored.iter_mut().for_each(|c| *c = false);
                let (mut outages, mut worst, mut worst_censored) = (0, 0, false);
                let mut stopped = false;
                for k in 0..commands {
                    // A period can hold hundreds of millions of commands: a stop request
                    // abandons it (it is not counted) rather than wait for its end.
                    if k % 4096 == 4095 && stop.load(std::sync::atomic::Ordering::Relaxed) {
                        stopped = true;
                        break;
                    }
                    let o = w.sim.run_random(&mut rng, &mut Unobserved);
                    if o.cascade_depth == 0 {
                        continue;
                    }
                    outages += u64::from(o.outage);
                    let sums = w.sums.iter_mut().zip(&mut w.censored);
                    for ((sum, censored), n) in sums.zip(&o.nodes) {
                        // Saturating: a sum past 64 bits of milliseconds is a lower bound.
                        let (total, over) = sum.overflowing_add(n.downtime.as_millis());
                        *sum = if over { u64::MAX } else { total };
                        *censored |= n.still_down || over;
                    }
                    for &i in &services {
                        let down = o.nodes[i].downtime.as_millis();
                        if down > worst || (down == worst && o.nodes[i].still_down) {
                            worst = down;
                            worst_censored = o.nodes[i].still_down;
                        }
                    }
                }
                if stopped {
                    break;
                }
                let t = &mut w.tally;
                t.periods += 1;
                t.commands.record(commands);
                t.outages.record(outages);
                for ((tally, &sum), &censored) in
                    t.downtime.iter_mut().zip(&w.sums).zip(&w.censored)
                {
                    if censored {
                        tally.record_censored(sum);
                    } else {
                        tally.record(sum);
                    }
                }
                if worst_censored {
                    t.worst.record_censored(worst);
                } else {
                    t.worst.record(worst);
                }
                for (count, (_, ms)) in t.beyond.iter_mut().zip(THRESHOLDS) {
                    *count += u64::from(worst >= ms);
                }
            }
        },
        |_| {},
        |periods, ()| {
            progress(periods.end);
            Ok(())
        },
        stop,
    )?;
    let mut total = PeriodTally::new(model);
    for w in &workers {
        total.merge(&w.tally);
    }
    Ok(total)
}

/// The summary of an operations batch, as written to JSON.
#[derive(Clone, Debug, Serialize)]
pub struct OperationsReport {
    /// Scenario name.
    pub scenario: String,
    /// Periods simulated.
    pub periods: u64,
    /// Base seed.
    pub seed: u64,
    /// Whether all periods asked for were simulated.
    pub complete: bool,
    /// Length of one period, in seconds.
    pub period_s: f64,
    /// Mean commands a day.
    pub commands_per_day: f64,
    /// Commands per period.
    pub commands: Distribution,
    /// Commands per period after which some service lost traffic.
    pub outages_per_period: Distribution,
    /// Share of periods with at least one outage.
    pub periods_with_outage: Proportion,
    /// Share of periods in which some service was down at least 15 minutes, 1 hour, 4 hours
    /// in one go, and the mean number of periods between such periods (`null` if never seen).
    pub worst_cases: Vec<WorstCase>,
    /// The longest single-service downtime in a period, in seconds.
    pub worst_outage_s: Distribution,
    /// Per subsystem, service and customer.
    pub nodes: indexmap::IndexMap<String, NodeAvailability>,
}

/// How often a period holds an outage at least this long.
#[derive(Clone, Debug, Serialize)]
pub struct WorstCase {
    /// The length, as written (`"4h"`).
    pub at_least: &'static str,
    /// Share of periods with such an outage.
    pub probability: Proportion,
    /// `1 / probability`: one such period in this many, on average.
    pub once_every_periods: Option<f64>,
}

/// One node's downtime and availability over periods.
#[derive(Clone, Debug, Serialize)]
pub struct NodeAvailability {
    /// `subsystem`, `service` or `customer`.
    pub kind: &'static str,
    /// Downtime summed over a period, in seconds.
    pub downtime_s: Distribution,
    /// `1 − mean downtime / period`, with the interval from the mean's.
    pub availability: Estimate,
    /// `−log10(1 − availability)`; `null` where there was no downtime.
    pub nines: Option<Estimate>,
}

/// An estimate with a 95 % interval.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    /// The estimate.
    pub estimate: f64,
    /// 95 % interval.
    pub ci95: [f64; 2],
}

impl OperationsReport {
    /// Summarises `t`, the periods of `plan` on `model`.
    pub fn new(model: &Model, ops: &Operations, plan: &Plan, t: &PeriodTally) -> Self {
        let period_ms = ops.period.as_millis() as f64;
        let nodes = model
            .reported()
            .map(|(id, node)| {
                let d = &t.downtime[id.0];
                let mean = d.mean().unwrap_or(0.0);
                let [lo, hi] = d.mean_ci95().unwrap_or([mean, mean]);
                let unavail = |ms: f64| (ms / period_ms).clamp(0.0, 1.0);
                let availability = Estimate {
                    estimate: 1.0 - unavail(mean),
                    ci95: [1.0 - unavail(hi), 1.0 - unavail(lo)],
                };
                let nines = |u: f64| -u.log10();
                let nines = (mean > 0.0).then(|| Estimate {
                    estimate: nines(unavail(mean)),
                    // Less downtime, more nines; an interval reaching zero downtime is open-ended.
                    ci95: [
                        nines(unavail(hi)),
                        if lo > 0.0 {
                            nines(unavail(lo))
                        } else {
                            f64::INFINITY
                        },
                    ],
                });
                let a = NodeAvailability {
                    kind: node.kind.label(),
                    downtime_s: Distribution::new(d, 1e-3),
                    availability,
                    nines,
                };
                (node.name.clone(), a)
            })
            .collect();
        let worst_cases = THRESHOLDS
            .iter()
            .zip(t.beyond)
            .map(|(&(at_least, _), count)| {
                let probability = Proportion::new(count, t.periods);
                let once_every_periods = (count > 0).then(|| t.periods as f64 / count as f64);
                WorstCase {
                    at_least,
                    probability,
                    once_every_periods,
                }
            })
            .collect();
        OperationsReport {
            scenario: model.name.clone(),
            periods: t.periods,
            seed: plan.seed,
            complete: t.periods == plan.runs,
            period_s: ops.period.as_secs_f64(),
            commands_per_day: ops.commands_per_day,
            commands: Distribution::new(&t.commands, 1.0),
            outages_per_period: Distribution::new(&t.outages, 1.0),
            periods_with_outage: Proportion::new(t.periods - t.outages.zeros(), t.periods),
            worst_cases,
            worst_outage_s: Distribution::new(&t.worst, 1e-3),
            nodes,
        }
    }
}
