//! Sharded runs: `run`, `compare` and `sweep` with `--shard I/N --partial FILE` run one
//! share of the runs and write its statistics; `merge` checks that the files are every
//! shard of one round, once, and reports the whole, byte for byte as the run done at once
//! would. By strata a run has two rounds (see [`crate::stratified::first_round`]): round
//! 1's shards merge into a pilot, from which round 2's shards allocate the rest.

use std::io::Write;
use std::time::Instant;

use super::args::ShardArgs;
use super::plan::Outputs;
use super::{files, present, start_job, stdout_error, stop_on_ctrl_c};
use crate::error::Error;
use crate::export::partial::{self, Job, Partial, Source, Statistics};
use crate::export::AtomicFile;
use crate::model::Model;
use crate::montecarlo::{self, Plan, Share};
use crate::scenario;
use crate::stratified::{self, Paired};

/// What a sharded command runs.
pub(super) struct Work<'a> {
    /// What is run.
    pub job: Job,
    /// Its scenarios, as run.
    pub scenarios: Vec<Source>,
    /// Runs, seed, threads, keystroke errors.
    pub options: stratified::Options,
    /// No progress bar.
    pub quiet: bool,
    /// The outputs asked for, which a shard refuses: `merge` writes them.
    pub outputs: Outputs<'a>,
}

/// Runs `share` of `work` and writes its partial result where `sharding` says; `inputs`
/// are the scenario files read (which it must not overwrite).
pub(super) fn run(
    work: Work,
    share: Share,
    sharding: &ShardArgs,
    inputs: &[&str],
    out: &mut dyn Write,
) -> Result<(), Error> {
    let refuse = |expected: &str| Error::InvalidOption {
        option: "--shard",
        value: format!("{}/{}", share.index, share.count),
        expected: expected.into(),
    };
    if work.outputs.json.is_some() || work.outputs.csv.is_some() {
        return Err(refuse(
            "no --json or --csv with it: `merge` writes the results",
        ));
    }
    let plain = work.job == Job::Plain;
    if plain && sharding.pilot.is_some() {
        return Err(refuse(
            "no --pilot with --method plain: plain runs have one round",
        ));
    }
    let Some(path) = sharding.partial.as_deref() else {
        return Err(refuse("--partial FILE with it"));
    };
    let mut read: Vec<&str> = inputs.to_vec();
    let pilot_name = sharding.pilot.as_ref().map(|p| p.display().to_string());
    read.extend(pilot_name.as_deref());
    files::check_outputs(&read, &present(&[("--partial", Some(path))]))?;
    let models = work
        .scenarios
        .iter()
        .map(|s| scenario::parse(&s.origin, &s.text))
        .collect::<Result<Vec<Model>, _>>()?;
    let refs: Vec<&Model> = models.iter().collect();
    let o = work.options;
    let stop = stop_on_ctrl_c();
    let bar = start_job(o.runs, "runs", work.quiet);
    let started = Instant::now();
    let mut planned = 0;
    let mut progress = |done, all| {
        planned = all;
        bar.set_length(all);
        bar.set_position(done);
    };
    let (round, pilot, statistics, done) = if plain {
        let plan = Plan {
            runs: o.runs,
            seed: o.seed,
            threads: o.threads,
        };
        let range = share.of(plan.runs);
        let size = range.end - range.start;
        let mut progress = |done| progress(done, size);
        let acc =
            montecarlo::run_range(&models[0], plan, range.clone(), None, &mut progress, &stop)?;
        let done = acc.runs;
        let statistics = Statistics::Plain {
            first_run: range.start,
            end_run: range.end,
            statistics: Box::new(acc),
        };
        (1, None, statistics, (done, done == size))
    } else {
        let pairs = matches!(work.job, Job::Compare { .. });
        let (round, pilot, p) = match &sharding.pilot {
            None => {
                let p = stratified::first_round(&refs, o, pairs, share, &mut progress, &stop)?;
                (1, None, p)
            }
            Some(file) => {
                let pilot = partial::read(file)?;
                let refuse = |why: String| Error::Partial {
                    path: file.clone(),
                    why,
                };
                if pilot.round != 1 || pilot.shard.is_some() {
                    return Err(refuse(
                        "not a pilot: give the merged round 1 (`merge … --partial PILOT`)".into(),
                    ));
                }
                let theirs = (&pilot.job, &pilot.scenario_hash, pilot.seed, pilot.runs);
                let ours = (
                    &work.job,
                    &partial::scenarios_hash(&work.scenarios),
                    o.seed,
                    o.runs,
                );
                if theirs != ours
                    || pilot.max_errors != o.max_errors
                    || pilot.build != partial::build()
                {
                    return Err(refuse(format!(
                        "the pilot of another run ({}; seed {}, {} runs): round 2 takes the same \
                         command, scenario, seed and --runs as round 1",
                        pilot.build, pilot.seed, pilot.runs
                    )));
                }
                let Statistics::Strata { state } = pilot.statistics else {
                    return Err(refuse("not a run by strata".into()));
                };
                let start = Paired::restore(&refs, o.max_errors, pairs, state).map_err(refuse)?;
                let p = stratified::second_round(&refs, o, &start, share, &mut progress, &stop)?;
                (2, Some(pilot.file_hash), p)
            }
        };
        let complete = p.variants.iter().all(|e| e.complete);
        let done = p.runs();
        (
            round,
            pilot,
            Statistics::Strata { state: p.state() },
            (done, complete),
        )
    };
    bar.finish_and_clear();
    let (done, complete) = done;
    let p = Partial {
        format: partial::FORMAT.into(),
        version: partial::VERSION,
        build: partial::build(),
        job: work.job,
        scenario_hash: partial::scenarios_hash(&work.scenarios),
        scenarios: work.scenarios,
        seed: o.seed,
        runs: o.runs,
        max_errors: o.max_errors,
        round,
        shard: Some(share.index),
        shards: share.count,
        pilot,
        statistics,
        file_hash: String::new(),
    };
    AtomicFile::write_with(path, |w| partial::write(w, &p))?;
    writeln!(
        out,
        "round {round}, shard {}/{} ({}): {done} runs in {:.2} s, written to {}",
        share.index,
        share.count,
        p.scenarios[0].origin,
        started.elapsed().as_secs_f64(),
        path.display()
    )
    .map_err(stdout_error)?;
    if !complete {
        return Err(Error::Interrupted {
            done,
            asked: planned,
        });
    }
    Ok(())
}
