//! Sharded runs: `run --shard I/N --partial FILE` runs one contiguous share of the runs and
//! writes its statistics; `merge` checks that the files are every shard of one run, once,
//! and reports the whole, byte for byte as the run done at once would.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::args::{MergeArgs, Method, RunArgs, Shard};
use super::{files, present, progress_bar, stdout_error, stop_on_ctrl_c};
use crate::error::Error;
use crate::export::partial::{self, Partial};
use crate::export::{json, text, AtomicFile};
use crate::montecarlo::{self, Plan};
use crate::report::Report;
use crate::scenario;
use crate::stats::Accumulator;

/// `run --shard I/N --partial FILE`.
pub fn run(args: &RunArgs, shard: Shard, path: &Path, out: &mut dyn Write) -> Result<(), Error> {
    let refuse = |expected: &str| Error::InvalidOption {
        option: "--shard",
        value: format!("{}/{}", shard.index, shard.count),
        expected: expected.into(),
    };
    if args.method != Method::Plain {
        // By strata, each round's allocation depends on every run before it.
        return Err(refuse(
            "--method plain with it (runs by strata are not sharded)",
        ));
    }
    if args.precision()?.is_some() {
        return Err(refuse(
            "no --precision with it: shards run a fixed number of runs",
        ));
    }
    if args.json.is_some() || args.csv.is_some() {
        return Err(refuse(
            "no --json or --csv with it: `merge` writes the summary",
        ));
    }
    files::check_outputs(&[&args.scenario], &present(&[("--partial", Some(path))]))?;
    let threads = args.threads()?;
    let (origin, text) = scenario::text_with(&args.scenario, &args.sets)?;
    let model = scenario::parse(&origin, &text)?;
    let plan = Plan {
        runs: args.runs(),
        seed: args.seed,
        threads,
    };
    let range = partial::shard_range(plan.runs, shard.index, shard.count);
    let stop = stop_on_ctrl_c();
    let bar = progress_bar(range.end - range.start, "runs", args.quiet);
    let started = Instant::now();
    let acc = montecarlo::run_range(
        &model,
        plan,
        range.clone(),
        None,
        &mut |done| bar.set_position(done),
        &stop,
    )?;
    bar.finish_and_clear();
    let done = acc.runs;
    let p = Partial {
        format: partial::FORMAT.into(),
        version: partial::VERSION,
        build: partial::build(),
        origin,
        scenario_hash: partial::hash(&text),
        scenario: text,
        seed: plan.seed,
        runs: plan.runs,
        shard: shard.index,
        shards: shard.count,
        first_run: range.start,
        end_run: range.end,
        statistics: acc,
    };
    AtomicFile::write_with(path, |w| partial::write(w, &p))?;
    writeln!(
        out,
        "shard {}/{} of {} ({}): runs {}..{} ({done} done) in {:.2} s, written to {}",
        shard.index,
        shard.count,
        model.name,
        p.origin,
        range.start,
        range.end,
        started.elapsed().as_secs_f64(),
        path.display()
    )
    .map_err(stdout_error)?;
    if done < range.end - range.start {
        return Err(Error::Interrupted {
            done,
            asked: range.end - range.start,
        });
    }
    Ok(())
}

/// `merge PARTIAL… [--json FILE]`.
pub fn merge(args: &MergeArgs, out: &mut dyn Write) -> Result<(), Error> {
    let inputs: Vec<String> = args
        .partials
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    files::check_outputs(&inputs, &present(&[("--json", args.json.as_deref())]))?;
    let mut parts = Vec::with_capacity(args.partials.len());
    for path in &args.partials {
        parts.push((path.as_path(), partial::read(path)?));
    }
    let (first_path, first) = &parts[0];
    let refuse = |path: &Path, why: String| Error::Partial {
        path: path.to_path_buf(),
        why,
    };
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
    for (path, p) in &parts {
        let same = p.build == first.build
            && p.scenario_hash == first.scenario_hash
            && p.origin == first.origin
            && p.seed == first.seed
            && p.runs == first.runs
            && p.shards == first.shards;
        if !same {
            return Err(refuse(
                path,
                format!(
                    "not a shard of the same run as {} ({}, scenario {} {}, seed {}, {} runs in {} \
                     shards; here {}, {} {}, seed {}, {} runs in {} shards)",
                    first_path.display(),
                    first.build,
                    first.origin,
                    first.scenario_hash,
                    first.seed,
                    first.runs,
                    first.shards,
                    p.build,
                    p.origin,
                    p.scenario_hash,
                    p.seed,
                    p.runs,
                    p.shards
                ),
            ));
        }
        let slot = &mut seen[(p.shard - 1) as usize];
        if let Some(other) = slot.replace(*path) {
            return Err(refuse(
                path,
                format!("shard {}/{} is also {}", p.shard, p.shards, other.display()),
            ));
        }
        let asked = p.end_run - p.first_run;
        if p.statistics.runs != asked {
            return Err(refuse(
                path,
                format!(
                    "shard {}/{} was stopped after {} of its {asked} runs: run it again",
                    p.shard, p.shards, p.statistics.runs
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
    let model = scenario::parse(&first.origin, &first.scenario)?;
    let mut acc = Accumulator::new(&model);
    for (_, p) in &parts {
        if p.statistics.nodes.len() != model.nodes.len() {
            return Err(refuse(first_path, "statistics of another model".into()));
        }
        acc.merge(&p.statistics);
    }
    acc.settle(&model);
    let plan = Plan {
        runs: first.runs,
        seed: first.seed,
        threads: 1,
    };
    let report = Report::new(&model, &plan, &acc);
    if let Some(path) = &args.json {
        AtomicFile::write_with(path, |w| json::write(w, &report))?;
    }
    text::write_summary(out, &report).map_err(stdout_error)
}
