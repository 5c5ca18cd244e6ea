//! Planning tools on common random numbers: a sweep runs a scenario at every point of a
//! grid of varied values, a budget finds the smallest (or largest) value that meets a
//! target. Every point is a variant of one [`run_variants`], so each input's run `r` draws
//! the same numbers at every point: differences between points are the values' doing, not
//! chance's, and the answer is the same every time.

mod target;
mod vary;

use std::sync::atomic::AtomicBool;

use serde::Serialize;

pub use target::{Quantity, Target, Verdict};
pub use vary::{Vary, MAX_VALUES};

use crate::error::Error;
use crate::model::Model;
use crate::report::{Interval, Precision, StrataReport};
use crate::scenario::{self, Set};
use crate::stratified::{run_variants, Options, Paired};

/// Most points in a sweep's grid.
pub const MAX_POINTS: usize = 400;

/// The models of a grid: one per combination of the varied values, the first `--vary`
/// changing slowest. Each is `spec` with `sets`, then the point's values.
pub fn grid(
    spec: &str,
    sets: &[Set],
    varies: &[Vary],
) -> Result<(Vec<Model>, Vec<Vec<usize>>), Error> {
    let (sources, indices) = grid_sources(spec, sets, varies)?;
    let models = sources
        .iter()
        .map(|(origin, text)| scenario::parse(origin, text))
        .collect::<Result<_, _>>()?;
    Ok((models, indices))
}

/// A scenario's origin, as reports name it, and its text.
pub type Origin = (String, String);

/// As [`grid`], the points' origins and texts (for partial results, which carry them).
pub fn grid_sources(
    spec: &str,
    sets: &[Set],
    varies: &[Vary],
) -> Result<(Vec<Origin>, Vec<Vec<usize>>), Error> {
    let points: usize = varies.iter().map(|v| v.values.len()).product();
    if points > MAX_POINTS {
        return Err(Error::InvalidOption {
            option: "--vary",
            value: format!("{points} points"),
            expected: format!("a grid of at most {MAX_POINTS} points"),
        });
    }
    let mut indices: Vec<Vec<usize>> = vec![Vec::new()];
    for v in varies {
        indices = indices
            .into_iter()
            .flat_map(|prefix| {
                (0..v.values.len()).map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    let sources = indices
        .iter()
        .map(|point| {
            let mut all = sets.to_vec();
            all.extend(point.iter().zip(varies).map(|(&i, v)| v.set(i)));
            scenario::text_with(spec, &all)
        })
        .collect::<Result<_, _>>()?;
    Ok((sources, indices))
}

/// Each point's values, as set, of the grid `indices` of `varies`.
pub fn point_values(varies: &[Vary], indices: &[Vec<usize>]) -> Vec<Vec<String>> {
    indices
        .iter()
        .map(|point| {
            point
                .iter()
                .zip(varies)
                .map(|(&i, v)| v.values[i].trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

/// A sweep's results: each point's values and its results.
#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    /// `"strata, common random numbers"`.
    pub method: &'static str,
    /// Base seed.
    pub seed: u64,
    /// Runs per point.
    pub runs: u64,
    /// Whether every round ran to its end.
    pub complete: bool,
    /// The scenario varied (its origin, with the changes made to every point).
    pub scenario: String,
    /// The varied keys.
    pub varied: Vec<String>,
    /// Per point: its values (as set) and its results.
    pub points: Vec<Point>,
}

/// One point of a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// The values of the varied keys, as set.
    pub values: Vec<String>,
    /// Its results.
    pub report: StrataReport,
}

/// Runs every point of the grid of `varies` over `spec` on common random numbers.
pub fn sweep(
    spec: &str,
    sets: &[Set],
    varies: &[Vary],
    options: Options,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<SweepReport, Error> {
    let base = scenario::load_with(spec, sets)?.origin;
    let (models, indices) = grid(spec, sets, varies)?;
    let refs: Vec<&Model> = models.iter().collect();
    let paired = run_variants(&refs, options, progress, stop)?;
    let varied = varies.iter().map(|v| v.key.clone()).collect();
    let values = point_values(varies, &indices);
    Ok(SweepReport::new(
        base,
        varied,
        values,
        &refs,
        &paired,
        options.seed,
    ))
}

impl SweepReport {
    /// The report of the points `models` (whose varied values are `values`) of a sweep of
    /// `scenario` over the keys `varied`, from their runs `paired`.
    pub fn new(
        scenario: String,
        varied: Vec<String>,
        values: Vec<Vec<String>>,
        models: &[&Model],
        paired: &Paired,
        seed: u64,
    ) -> Self {
        let points = values
            .into_iter()
            .zip(models.iter().zip(&paired.variants))
            .map(|(values, (m, est))| Point {
                values,
                report: StrataReport::new(m, est, seed),
            })
            .collect();
        SweepReport {
            method: "strata, common random numbers",
            seed,
            runs: paired.runs(),
            complete: paired.variants.iter().all(|e| e.complete),
            scenario,
            varied,
            points,
        }
    }
}

/// A budget's answer.
#[derive(Clone, Debug, Serialize)]
pub struct BudgetReport {
    /// The target, as written.
    pub target: String,
    /// The varied key.
    pub varied: String,
    /// Whether the largest value meeting the target was asked for (else the smallest).
    pub largest: bool,
    /// The value found: the smallest (or largest) that meets the target with 95 %
    /// confidence; absent if none does.
    pub answer: Option<String>,
    /// Whether the verdicts change only once along the values (as they should when the
    /// quantity moves one way with the value); if not, the answer is the first met.
    pub monotone: bool,
    /// Per value: the quantity with its interval, and the verdict.
    pub values: Vec<Tried>,
    /// The sweep behind it.
    pub sweep: SweepReport,
}

/// One value tried.
#[derive(Clone, Debug, Serialize)]
pub struct Tried {
    /// The value, as set.
    pub value: String,
    /// The quantity the target bounds.
    pub quantity: Interval,
    /// Whether it is only a lower bound (runs cut at the horizon while the node was down):
    /// then an upper target is never declared met.
    pub lower_bound: bool,
    /// Whether it meets the target.
    pub verdict: Verdict,
}

/// What a budget looks for.
#[derive(Clone, Debug)]
pub struct Budget {
    /// The value varied.
    pub vary: Vary,
    /// What must be met.
    pub target: Target,
    /// The largest value that meets it, rather than the smallest.
    pub largest: bool,
}

/// Finds the smallest (or largest) value of the budget's `vary` at which `spec` meets its
/// target with 95 % confidence, trying every value on common random numbers.
pub fn budget(
    spec: &str,
    sets: &[Set],
    asked: &Budget,
    options: Options,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<BudgetReport, Error> {
    let Budget {
        vary,
        target,
        largest,
    } = asked;
    let largest = *largest;
    // The node must exist before anything runs.
    let first = scenario::load_with(spec, sets)?;
    if let Some(node) = target.node() {
        if first.find(node).is_none() || !first.reported().any(|(_, n)| n.name == node) {
            let names: Vec<&str> = first.reported().map(|(_, n)| n.name.as_str()).collect();
            return Err(Error::InvalidOption {
                option: "--target",
                value: target.to_string(),
                expected: format!("a node of the scenario: {}", names.join(", ")),
            });
        }
    }
    let sweep = sweep(
        spec,
        sets,
        std::slice::from_ref(vary),
        options,
        progress,
        stop,
    )?;
    let values: Vec<Tried> = sweep
        .points
        .iter()
        .map(|p| {
            let quantity = target.value(&p.report).expect("the node was checked");
            let lower_bound = target.lower_bound(&p.report);
            Tried {
                value: p.values[0].clone(),
                verdict: target.verdict(&quantity, lower_bound),
                quantity,
                lower_bound,
            }
        })
        .collect();
    let met = |t: &&Tried| t.verdict == Verdict::Meets;
    let answer = if largest {
        values.iter().rev().find(met)
    } else {
        values.iter().find(met)
    }
    .map(|t| t.value.clone());
    let changes = values
        .windows(2)
        .filter(|w| (w[0].verdict == Verdict::Meets) != (w[1].verdict == Verdict::Meets))
        .count();
    Ok(BudgetReport {
        target: target.to_string(),
        varied: vary.key.clone(),
        largest,
        answer,
        monotone: changes <= 1,
        values,
        sweep,
    })
}

/// Runs `model` by strata with a growing budget until the headline probability's 95 %
/// interval has a relative half-width of at most `target`, or `options.runs` runs or
/// `max_time` are reached: each round asks for about as many runs as the last one's width
/// says are needed (two to four times as many), and repeats its runs (the same streams).
/// `max_time` also cuts a round short; the result is then the last round that ran to its
/// end (or, if none did, the runs of the cut one).
pub fn precise(
    model: &Model,
    options: Options,
    target: f64,
    max_time: Option<std::time::Duration>,
    progress: &mut dyn FnMut(u64, u64),
    stop: &AtomicBool,
) -> Result<(crate::stratified::Estimate, StrataReport), Error> {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    let started = Instant::now();
    let cut = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // Raises `cut` on a stop request or at the deadline, whichever comes first.
        scope.spawn(|| {
            while !finished.load(Ordering::Relaxed) {
                let late = max_time.is_some_and(|t| started.elapsed() >= t);
                if late || stop.load(Ordering::Relaxed) {
                    cut.store(true, Ordering::Relaxed);
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let result = rounds(model, options, target, progress, (stop, &cut));
        finished.store(true, Ordering::Relaxed);
        result
    })
}

/// The rounds of [`precise`]; `cut` is raised by a stop request (`stop`) or the deadline.
fn rounds(
    model: &Model,
    options: Options,
    target: f64,
    progress: &mut dyn FnMut(u64, u64),
    (stop, cut): (&AtomicBool, &AtomicBool),
) -> Result<(crate::stratified::Estimate, StrataReport), Error> {
    use std::sync::atomic::Ordering;
    let mut budget = options.runs.min(1_000);
    let mut last: Option<(crate::stratified::Estimate, StrataReport)> = None;
    loop {
        let round = Options {
            runs: budget,
            ..options
        };
        let mut est = crate::stratified::run(model, round, progress, cut)?;
        // Cut by the deadline, not by the user: the last round that ran to its end is the
        // result asked for.
        let timed_out = cut.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed);
        if timed_out {
            est.complete = true;
            if let Some((before, _)) = last.take() {
                est = before;
            }
        }
        let mut report = StrataReport::new(model, &est, options.seed);
        let (headline, i) = if report.facing_outage_probability.estimate > 0.0 {
            (
                "facing_outage_probability",
                report.facing_outage_probability,
            )
        } else {
            ("outage_probability", report.outage_probability)
        };
        let reached = if i.estimate > 0.0 {
            (i.ci95[1] - i.ci95[0]) / 2.0 / i.estimate
        } else {
            f64::INFINITY
        };
        let stopped_by = if reached <= target {
            Some("met")
        } else if timed_out {
            Some("time")
        } else if budget >= options.runs || !est.complete {
            Some("runs")
        } else {
            None
        };
        if let Some(stopped_by) = stopped_by {
            report.precision = Some(Precision {
                target,
                reached,
                headline,
                stopped_by,
            });
            return Ok((est, report));
        }
        last = Some((est, report));
        // The width shrinks as 1/√runs.
        let needed = if reached.is_finite() {
            (budget as f64 * (reached / target).powi(2) * 1.1).ceil() as u64
        } else {
            budget.saturating_mul(4)
        };
        // At most four times as many a round, so that a round ends before a deadline
        // would waste it.
        budget = needed
            .clamp(budget.saturating_mul(2), budget.saturating_mul(4))
            .min(options.runs);
    }
}
