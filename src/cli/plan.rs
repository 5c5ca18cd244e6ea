//! The commands that estimate by strata of the input: `run --method strata`, and the
//! planning commands on common random numbers, `compare`, `sweep` and `budget`.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::shard;
use super::{start_job, stdout_error, stop_on_ctrl_c};
use super::{BudgetArgs, CompareArgs, EstimateArgs, RunArgs, SweepArgs};
use crate::error::Error;
use crate::export::partial::{Job, Source};
use crate::export::{compare as compare_text, csv, json, strata, sweep as sweep_text, AtomicFile};
use crate::model::{Model, NodeKind};
use crate::planning::{self, SweepReport};
use crate::report::{CompareReport, StrataReport};
use crate::scenario;
use crate::stratified;

/// `run --method strata`: every distinct input with its exact probability.
pub(super) fn run_strata(
    args: &RunArgs,
    model: &Model,
    threads: usize,
    precision: Option<(f64, Option<std::time::Duration>)>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let options = stratified::Options {
        runs: args.runs(),
        seed: args.seed,
        threads,
        max_errors: args.max_errors,
    };
    let stop = stop_on_ctrl_c();
    let bar = start_job(args.runs(), "runs", args.quiet);
    let started = Instant::now();
    let mut progress = |done, planned| {
        bar.set_length(planned);
        bar.set_position(done);
    };
    let (est, report) = match precision {
        Some((target, max_time)) => {
            planning::precise(model, options, target, max_time, &mut progress, &stop)?
        }
        None => {
            let est = stratified::run(model, options, &mut progress, &stop)?;
            let report = StrataReport::new(model, &est, args.seed);
            (est, report)
        }
    };
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let outputs = Outputs {
        csv: args.csv.as_deref(),
        json: args.json.as_deref(),
    };
    show_strata(outputs, model, &est, &report, out)?;
    if !args.quiet {
        let runs = est.runs();
        note!(
            "{runs} runs in {elapsed:.2} s on {threads} thread{}: {:.0} runs/s",
            if threads == 1 { "" } else { "s" },
            runs as f64 / elapsed,
        );
    }
    if !est.complete {
        return Err(Error::Interrupted {
            done: est.runs(),
            asked: args.runs(),
        });
    }
    Ok(())
}

/// Where results go besides the summary on standard output.
#[derive(Clone, Copy, Debug)]
pub(super) struct Outputs<'a> {
    /// `--csv`.
    pub csv: Option<&'a Path>,
    /// `--json`.
    pub json: Option<&'a Path>,
}

impl<'a> Outputs<'a> {
    pub fn of(args: &'a EstimateArgs) -> Self {
        Outputs {
            csv: args.csv.as_deref(),
            json: args.json.as_deref(),
        }
    }

    /// Writes the files asked for: files first, so that a reader who closes standard
    /// output early (`| head`) does not cost them.
    pub fn write(
        self,
        csv: impl FnOnce(&mut dyn Write) -> io::Result<()>,
        json: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), Error> {
        if let Some(path) = self.csv {
            AtomicFile::write_with(path, |w| csv(w))?;
        }
        if let Some(path) = self.json {
            AtomicFile::write_with(path, |w| json(w))?;
        }
        Ok(())
    }
}

/// The results of a run by strata: its files, then its summary.
pub(super) fn show_strata(
    outputs: Outputs,
    model: &Model,
    est: &stratified::Estimate,
    report: &StrataReport,
    out: &mut dyn Write,
) -> Result<(), Error> {
    outputs.write(
        |w| csv::write_strata(w, model, est),
        |w| json::write(w, report),
    )?;
    strata::write_summary(out, report).map_err(stdout_error)
}

/// `compare`: variants on common random numbers.
pub(super) fn compare(args: &CompareArgs, out: &mut dyn Write) -> Result<(), Error> {
    let options = args.estimate.options()?;
    let inputs: Vec<&str> = args.scenarios.iter().map(String::as_str).collect();
    check(&inputs, &args.estimate)?;
    let (models, names, sources) = variants(args)?;
    if let Some(share) = args.sharding.share() {
        let work = shard::Work {
            job: Job::Compare { names },
            scenarios: sources,
            options,
            quiet: args.estimate.quiet,
            outputs: Outputs::of(&args.estimate),
        };
        return shard::run(work, share, &args.sharding, &inputs, out);
    }
    let refs: Vec<&Model> = models.iter().collect();
    let paired = estimating(&args.estimate, |progress, stop| {
        stratified::run_paired(&refs, options, progress, stop)
    })?;
    let report = CompareReport::new(&refs, &names, &paired, options.seed);
    show_compare(Outputs::of(&args.estimate), &report, out)?;
    finished(&args.estimate, report.complete, report.runs)
}

/// The results of a comparison: its files, then its table.
pub(super) fn show_compare(
    outputs: Outputs,
    report: &CompareReport,
    out: &mut dyn Write,
) -> Result<(), Error> {
    outputs.write(
        |w| csv::write_compare(w, report),
        |w| json::write(w, report),
    )?;
    compare_text::write(out, report).map_err(stdout_error)
}

/// `sweep`: a grid of values on common random numbers.
pub(super) fn sweep(args: &SweepArgs, out: &mut dyn Write) -> Result<(), Error> {
    let options = args.estimate.options()?;
    check(&[&args.scenario], &args.estimate)?;
    let node = chosen_node(&args.scenario, &args.sets, args.node.as_deref())?;
    if let Some(share) = args.sharding.share() {
        let base = scenario::load_with(&args.scenario, &args.sets)?.origin;
        let (points, indices) = planning::grid_sources(&args.scenario, &args.sets, &args.vary)?;
        let work = shard::Work {
            job: Job::Sweep {
                scenario: base,
                varied: args.vary.iter().map(|v| v.key.clone()).collect(),
                values: planning::point_values(&args.vary, &indices),
                node,
            },
            scenarios: points
                .into_iter()
                .map(|(origin, text)| Source { origin, text })
                .collect(),
            options,
            quiet: args.estimate.quiet,
            outputs: Outputs::of(&args.estimate),
        };
        return shard::run(work, share, &args.sharding, &[&args.scenario], out);
    }
    let report = estimating(&args.estimate, |progress, stop| {
        planning::sweep(
            &args.scenario,
            &args.sets,
            &args.vary,
            options,
            progress,
            stop,
        )
    })?;
    show_sweep(Outputs::of(&args.estimate), &report, &node, out)?;
    finished(&args.estimate, report.complete, report.runs)
}

/// The results of a sweep: its files, then its table of `node`.
pub(super) fn show_sweep(
    outputs: Outputs,
    report: &SweepReport,
    node: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    outputs.write(|w| csv::write_sweep(w, report), |w| json::write(w, report))?;
    sweep_text::write_sweep(out, report, node).map_err(stdout_error)
}

/// `budget`: the smallest (or largest) value that meets a target.
pub(super) fn budget(args: &BudgetArgs, out: &mut dyn Write) -> Result<(), Error> {
    let options = args.estimate.options()?;
    check(&[&args.scenario], &args.estimate)?;
    let asked = planning::Budget {
        vary: args.vary.clone(),
        target: args.target.clone(),
        largest: args.largest,
    };
    let report = estimating(&args.estimate, |progress, stop| {
        planning::budget(&args.scenario, &args.sets, &asked, options, progress, stop)
    })?;
    Outputs::of(&args.estimate).write(
        |w| csv::write_sweep(w, &report.sweep),
        |w| json::write(w, &report),
    )?;
    sweep_text::write_budget(out, &report).map_err(stdout_error)?;
    finished(&args.estimate, report.sweep.complete, report.sweep.runs)
}

/// The node a sweep's table shows: the one asked for (which must be reported), else the
/// first customer-facing service, else the first reported node.
fn chosen_node(spec: &str, sets: &[scenario::Set], asked: Option<&str>) -> Result<String, Error> {
    let model = scenario::load_with(spec, sets)?;
    let names: Vec<&str> = model.reported().map(|(_, n)| n.name.as_str()).collect();
    if let Some(asked) = asked {
        if !names.contains(&asked) {
            return Err(Error::InvalidOption {
                option: "--node",
                value: asked.to_string(),
                expected: format!("a node of the scenario: {}", names.join(", ")),
            });
        }
        return Ok(asked.to_string());
    }
    let facing = model.reported().find(|(_, n)| {
        matches!(
            n.kind,
            NodeKind::Service {
                internal: false,
                ..
            }
        )
    });
    Ok(facing
        .map(|(_, n)| n.name.clone())
        .or_else(|| names.first().map(|n| n.to_string()))
        .unwrap_or_default())
}

/// Checks the outputs asked for before anything runs.
fn check(inputs: &[&str], args: &EstimateArgs) -> Result<(), Error> {
    let outputs = [
        ("--csv", args.csv.as_deref()),
        ("--json", args.json.as_deref()),
    ];
    super::files::check_outputs(inputs, &super::present(&outputs))
}

/// Runs `work` with a progress bar and Ctrl-C handling; says how long it took.
pub(super) fn estimating<T>(
    args: &EstimateArgs,
    work: impl FnOnce(&mut dyn FnMut(u64, u64), &AtomicBool) -> Result<T, Error>,
) -> Result<T, Error> {
    let stop = stop_on_ctrl_c();
    let bar = start_job(args.runs, "runs", args.quiet);
    let started = Instant::now();
    let result = work(
        &mut |done, planned| {
            bar.set_length(planned);
            bar.set_position(done);
        },
        &stop,
    );
    bar.finish_and_clear();
    if !args.quiet && result.is_ok() {
        note!("done in {:.2} s", started.elapsed().as_secs_f64());
    }
    result
}

/// An error if a stop request cut the work short.
pub(super) fn finished(args: &EstimateArgs, complete: bool, runs: u64) -> Result<(), Error> {
    if complete {
        return Ok(());
    }
    Err(Error::Interrupted {
        done: runs,
        asked: args.runs,
    })
}

/// The models `compare` runs and their names: each scenario, then each `--variant` of the
/// first; two at least.
fn variants(args: &CompareArgs) -> Result<Named, Error> {
    let (models, names, sources) = models(&args.scenarios, &args.variants, &args.sets)?;
    if models.len() < 2 {
        return Err(Error::InvalidOption {
            option: "compare",
            value: args.scenarios.join(" "),
            expected: "two scenarios or more, or a scenario and --variant NAME KEY=VALUE...".into(),
        });
    }
    Ok((models, names, sources))
}

/// Models, their names and their texts.
pub(super) type Named = (Vec<Model>, Vec<String>, Vec<Source>);

/// The models of `scenarios`, then of each variant of the first (`NAME:KEY=VALUE`), each
/// with `sets` applied, their names (a name already taken gets ` #2`, ` #3`…) and their
/// texts.
pub(super) fn models(
    scenarios: &[String],
    variants: &[String],
    sets: &[scenario::Set],
) -> Result<Named, Error> {
    let mut models = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut sources = Vec::new();
    let mut add = |spec: &str, sets: &[scenario::Set], name: Option<String>| {
        let (origin, text) = scenario::text_with(spec, sets)?;
        let model = scenario::parse(&origin, &text)?;
        let name = name.unwrap_or_else(|| model.name.clone());
        let mut unique = name.clone();
        let mut k = 2;
        while names.contains(&unique) {
            unique = format!("{name} #{k}");
            k += 1;
        }
        names.push(unique);
        models.push(model);
        sources.push(Source { origin, text });
        Ok::<(), Error>(())
    };
    for spec in scenarios {
        add(spec, sets, None)?;
    }
    // Changes grouped by variant name, in the order the names first appear.
    let mut groups: Vec<(String, Vec<scenario::Set>)> = Vec::new();
    for variant in variants {
        let Some((name, change)) = variant.split_once(':').filter(|(n, _)| !n.is_empty()) else {
            return Err(Error::InvalidOption {
                option: "--variant",
                value: variant.clone(),
                expected: "NAME:KEY=VALUE, or NAME: for the scenario unchanged".into(),
            });
        };
        let i = match groups.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                groups.push((name.to_string(), sets.to_vec()));
                groups.len() - 1
            }
        };
        if !change.trim().is_empty() {
            groups[i].1.push(change.parse()?);
        }
    }
    for (name, sets) in groups {
        add(&scenarios[0], &sets, Some(name))?;
    }
    Ok((models, names, sources))
}
