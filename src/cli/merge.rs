//! `merge`: the partial results of every shard of one round, checked (one run, every shard
//! once, each run to its end) and added up. A plain run, or round 2 by strata with its
//! pilot, gives the results, byte for byte those of the run done at once; round 1 by
//! strata gives the pilot that round 2 allocates from.

use std::io::Write;
use std::path::Path;

use super::args::MergeArgs;
use super::plan::{self, Outputs};
use super::{files, present, stdout_error};
use crate::error::Error;
use crate::export::partial::{self, Job, Partial, Statistics};
use crate::export::{json, text, AtomicFile};
use crate::model::Model;
use crate::montecarlo::Plan;
use crate::planning::SweepReport;
use crate::report::{CompareReport, Report, StrataReport};
use crate::scenario;
use crate::stats::Accumulator;
use crate::stratified::Paired;

/// `merge PARTIAL… [--json FILE] [--csv FILE] [--partial PILOT]`.
pub fn merge(args: &MergeArgs, out: &mut dyn Write) -> Result<(), Error> {
    let inputs: Vec<String> = args
        .partials
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let outputs = [
        ("--json", args.json.as_deref()),
        ("--csv", args.csv.as_deref()),
        ("--partial", args.partial.as_deref()),
    ];
    files::check_outputs(&inputs, &present(&outputs))?;
    let mut parts = Vec::with_capacity(args.partials.len());
    for path in &args.partials {
        parts.push((path.as_path(), partial::read(path)?));
    }
    let (first_path, first) = &parts[0];
    for (path, p) in &parts {
        let same = p.build == first.build
            && p.job == first.job
            && p.scenario_hash == first.scenario_hash
            && p.seed == first.seed
            && p.runs == first.runs
            && p.max_errors == first.max_errors;
        if !same {
            return Err(refuse(
                path,
                format!(
                    "not a shard of the same run as {} ({}, scenario {} {}, seed {}, {} runs; \
                     here {}, {} {}, seed {}, {} runs)",
                    first_path.display(),
                    first.build,
                    first.scenarios[0].origin,
                    first.scenario_hash,
                    first.seed,
                    first.runs,
                    p.build,
                    p.scenarios[0].origin,
                    p.scenario_hash,
                    p.seed,
                    p.runs,
                ),
            ));
        }
    }
    let (pilots, shards): (Vec<_>, Vec<_>) = parts.iter().partition(|(_, p)| p.shard.is_none());
    let Some((shard_path, shard)) = shards.first() else {
        return Err(refuse(
            first_path,
            "a pilot alone: give it with round 2's shards (`--pilot` PILOT)".into(),
        ));
    };
    every_shard_once(&shards)?;
    let models = first
        .scenarios
        .iter()
        .map(|s| scenario::parse(&s.origin, &s.text))
        .collect::<Result<Vec<Model>, _>>()?;
    let refs: Vec<&Model> = models.iter().collect();
    if first.job == Job::Plain {
        if let Some((path, _)) = pilots.first() {
            return Err(refuse(path, "a pilot: plain runs have none".into()));
        }
        return plain(args, &models[0], &shards, out);
    }
    let pairs = matches!(first.job, Job::Compare { .. });
    let restore = |path: &Path, p: &Partial| -> Result<Paired, Error> {
        let Statistics::Strata { state } = &p.statistics else {
            return Err(refuse(path, "not a run by strata".into()));
        };
        Paired::restore(&refs, p.max_errors, pairs, state.clone()).map_err(|w| refuse(path, w))
    };
    let mut sum = match (shard.round, pilots.as_slice()) {
        (1, []) => {
            if let Some((option, path)) = [("--json", &args.json), ("--csv", &args.csv)]
                .into_iter()
                .find_map(|(o, p)| Some((o, p.as_ref()?)))
            {
                return Err(Error::InvalidOption {
                    option,
                    value: path.display().to_string(),
                    expected: "no results from round 1 of a run by strata: it merges into a \
                               pilot (--partial PILOT); the results come with round 2"
                        .into(),
                });
            }
            if args.partial.is_none() {
                return Err(refuse(
                    shard_path,
                    "round 1 of a run by strata: merge it into a pilot with --partial PILOT, \
                     then run round 2 (the same command with --pilot PILOT --shard I/N \
                     --partial FILE) and merge the pilot with round 2's shards"
                        .into(),
                ));
            }
            None
        }
        (1, [(path, _), ..]) => {
            return Err(refuse(path, "a pilot given with round 1's shards".into()))
        }
        (_, [(path, pilot)]) => {
            if let Some(partial) = &args.partial {
                return Err(Error::InvalidOption {
                    option: "--partial",
                    value: partial.display().to_string(),
                    expected: "no --partial with round 2: it gives the results".into(),
                });
            }
            if shards
                .iter()
                .any(|(_, s)| s.pilot.as_ref() != Some(&pilot.file_hash))
            {
                return Err(refuse(
                    shard_path,
                    format!("round 2 of another pilot than {}", path.display()),
                ));
            }
            Some(restore(path, pilot)?)
        }
        (_, []) => {
            return Err(refuse(
                shard_path,
                "round 2 without its pilot: give the pilot too".into(),
            ))
        }
        (_, [_, (path, _), ..]) => return Err(refuse(path, "a second pilot".into())),
    };
    for (path, p) in &shards {
        let theirs = restore(path, p)?;
        match &mut sum {
            Some(sum) => sum.add(&theirs).map_err(|w| refuse(path, w))?,
            None => sum = Some(theirs),
        }
    }
    let Some(paired) = sum else {
        return Err(refuse(shard_path, "no shard to merge".into()));
    };
    if let (1, Some(pilot)) = (shard.round, args.partial.as_deref()) {
        return write_pilot(pilot, first, shard.shards, &paired, out);
    }
    let outputs = Outputs {
        csv: args.csv.as_deref(),
        json: args.json.as_deref(),
    };
    match &first.job {
        Job::Plain => plain(args, &models[0], &shards, out),
        Job::Strata => {
            let est = &paired.variants[0];
            let report = StrataReport::new(&models[0], est, first.seed);
            plan::show_strata(outputs, &models[0], est, &report, out)
        }
        Job::Compare { names } => {
            let report = CompareReport::new(&refs, names, &paired, first.seed);
            plan::show_compare(outputs, &report, out)
        }
        Job::Sweep {
            scenario,
            varied,
            values,
            node,
        } => {
            let report = SweepReport::new(
                scenario.clone(),
                varied.clone(),
                values.clone(),
                &refs,
                &paired,
                first.seed,
            );
            plan::show_sweep(outputs, &report, node, out)
        }
    }
}

fn refuse(path: &Path, why: String) -> Error {
    Error::Partial {
        path: path.to_path_buf(),
        why,
    }
}

/// Checks that `shards` are shards 1 to N of one round, each once, each run to its end.
fn every_shard_once(shards: &[&(&Path, Partial)]) -> Result<(), Error> {
    let (first_path, first) = shards[0];
    let mut seen = vec![
        None;
        usize::try_from(first.shards)
            .unwrap_or(usize::MAX)
            .min(1 << 20)
    ];
    if seen.len() as u64 != first.shards {
        return Err(refuse(
            first_path,
            format!("{} shards: too many", first.shards),
        ));
    }
    for &(path, p) in shards {
        if p.round != first.round || p.shards != first.shards {
            return Err(refuse(
                path,
                format!(
                    "round {}, shard {:?} of {}: not of the round of {} (round {}, {} shards)",
                    p.round,
                    p.shard,
                    p.shards,
                    first_path.display(),
                    first.round,
                    first.shards
                ),
            ));
        }
        let i = p.shard.unwrap_or(1);
        if let Some(other) = seen[(i - 1) as usize].replace(*path) {
            return Err(refuse(
                path,
                format!("shard {i}/{} is also {}", p.shards, other.display()),
            ));
        }
        let stopped = match &p.statistics {
            Statistics::Plain {
                first_run,
                end_run,
                statistics,
            } => (statistics.runs != end_run - first_run).then_some(statistics.runs),
            Statistics::Strata { state } => state
                .variants
                .iter()
                .any(|v| !v.complete)
                .then(|| state.runs.iter().sum()),
        };
        if let Some(done) = stopped {
            return Err(refuse(
                path,
                format!(
                    "shard {i}/{} was stopped after {done} runs: run it again",
                    p.shards
                ),
            ));
        }
    }
    if let Some(missing) = seen.iter().position(Option::is_none) {
        return Err(refuse(
            first_path,
            format!("shard {}/{} is missing", missing + 1, first.shards),
        ));
    }
    Ok(())
}

/// The merged shards of a plain run: its summary.
fn plain(
    args: &MergeArgs,
    model: &Model,
    shards: &[&(&Path, Partial)],
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (first_path, first) = shards[0];
    if args.csv.is_some() || args.partial.is_some() {
        return Err(Error::InvalidOption {
            option: if args.csv.is_some() {
                "--csv"
            } else {
                "--partial"
            },
            value: first_path.display().to_string(),
            expected: "only --json for a plain run: its shards keep no per-run rows, and it \
                       has one round"
                .into(),
        });
    }
    let mut acc = Accumulator::new(model);
    for (path, p) in shards {
        let Statistics::Plain { statistics, .. } = &p.statistics else {
            return Err(refuse(path, "not a plain run".into()));
        };
        let capacity_ok = statistics
            .capacity
            .nodes
            .iter()
            .all(|&(i, _)| (i as usize) < model.nodes.len());
        if statistics.nodes.len() != model.nodes.len() || !capacity_ok {
            return Err(refuse(path, "statistics of another model".into()));
        }
        acc.merge(statistics);
    }
    acc.settle(model);
    let plan = Plan {
        runs: first.runs,
        seed: first.seed,
        threads: 1,
    };
    let report = Report::new(model, &plan, &acc);
    if let Some(path) = &args.json {
        AtomicFile::write_with(path, |w| json::write(w, &report))?;
    }
    text::write_summary(out, &report).map_err(stdout_error)
}

/// Writes round 1's shards, added up, as the pilot.
fn write_pilot(
    path: &Path,
    first: &Partial,
    shards: u64,
    paired: &Paired,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let pilot = Partial {
        format: partial::FORMAT.into(),
        version: partial::VERSION,
        build: first.build.clone(),
        job: first.job.clone(),
        scenarios: first.scenarios.clone(),
        scenario_hash: first.scenario_hash.clone(),
        seed: first.seed,
        runs: first.runs,
        max_errors: first.max_errors,
        round: 1,
        shard: None,
        shards,
        pilot: None,
        statistics: Statistics::Strata {
            state: paired.state(),
        },
        file_hash: String::new(),
    };
    AtomicFile::write_with(path, |w| partial::write(w, &pilot))?;
    writeln!(
        out,
        "round 1 ({shards} shard{}, {} runs) merged into the pilot {}: now run round 2, the same \
         command with --pilot {} --shard I/N --partial FILE, and merge the pilot with its shards",
        if shards == 1 { "" } else { "s" },
        paired.runs(),
        path.display(),
        path.display()
    )
    .map_err(stdout_error)
}
