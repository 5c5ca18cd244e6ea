//! Command-line arguments as clap sees them, and their conversion into checked options.
//! Nothing past this module sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::scenario::{Set, DEFAULT};

mod output;
mod planning;
mod replay;
mod shard;

pub use output::{GenerateArgs, GraphArgs, ReportArgs};
pub use planning::{BudgetArgs, CompareArgs, EstimateArgs, SweepArgs};
pub use replay::{Forced, OperateArgs, ReplayArgs};
pub use shard::{MergeArgs, ShardArgs};

/// Replays typo-sized removal events through a model of infrastructure subsystems and
/// estimates downtime and cascade depth. With no command, runs the Monte Carlo (`run`,
/// whose options it takes) on the built-in s3-2017 scenario.
#[derive(Debug, Parser)]
#[command(
    name = "blastradius",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command: `run`'s arguments (`blastradius --runs 10000`).
    #[command(flatten)]
    pub run: RunArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Monte Carlo: draw typed inputs from the scenario's typo model and summarise downtime.
    Run(RunArgs),
    /// Replay the input as it was typed (the scenario's `[command.as_typed]`) as a timeline.
    Replay(ReplayArgs),
    /// Operations over time: periods (a year, say) of routine commands; annual downtime,
    /// availability and how often the worst cases happen. Needs `[operations]`.
    Operate(OperateArgs),
    /// Compare scenarios, or variants of one, on common random numbers: each one's results
    /// and its differences from the first, with paired intervals.
    Compare(CompareArgs),
    /// Run a scenario at every value of a grid (`--vary`) on common random numbers: a
    /// table of the results against the values.
    Sweep(SweepArgs),
    /// Find the smallest (or largest) value of `--vary` that meets `--target` with 95 %
    /// confidence, on common random numbers.
    Budget(BudgetArgs),
    /// Write one self-contained HTML report: the scenario and its assumptions, its graph,
    /// the input as typed replayed as a Gantt chart and a timeline, and the results by
    /// strata with their distributions (`--compare`: variants side by side).
    Report(ReportArgs),
    /// Check a scenario file and print its dependency graph.
    Check {
        /// A scenario file or the name of a built-in scenario.
        scenario: String,
    },
    /// Combine the partial results of a sharded run (`run`, `compare` or `sweep` with
    /// `--shard I/N --partial FILE` on each of N machines) into its summary: the same bytes
    /// as the run done on one machine. By strata, round 1 merges into a pilot (`--partial`).
    Merge(MergeArgs),
    /// The dependency graph for other tools: Graphviz DOT, Mermaid or JSON
    /// (`blastradius graph --format dot | dot -Tsvg > graph.svg`).
    Graph(GraphArgs),
    /// List the built-in scenarios.
    Scenarios,
    /// Write a generated scenario of any size: a layered dependency graph in which each
    /// subsystem needs earlier ones, for trying the tool (and benchmarking it) at scale.
    Generate(GenerateArgs),
}

impl Command {
    /// `--threads` as given, for the commands that take it; `None` for all cores.
    pub fn threads_asked(&self) -> Option<usize> {
        match self {
            Command::Run(a) => a.threads,
            Command::Operate(a) => a.threads,
            Command::Compare(a) => a.estimate.threads,
            Command::Sweep(a) => a.estimate.threads,
            Command::Budget(a) => a.estimate.threads,
            Command::Report(a) => a.estimate.threads,
            Command::Replay(_)
            | Command::Check { .. }
            | Command::Merge(_)
            | Command::Graph(_)
            | Command::Scenarios
            | Command::Generate(_) => None,
        }
    }
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A scenario file or the name of a built-in scenario.
    #[arg(default_value = DEFAULT)]
    pub scenario: String,
    /// Change a scenario value before running, by its dotted path:
    /// `--set subsystems.index.restart.parallelism=120` (repeatable; checked like the file).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// How to estimate: `strata` simulates each distinct input (typed count, selector,
    /// safeguard outcomes) with its exact probability; `plain` draws every run's input.
    #[arg(long, value_enum, default_value_t = Method::Strata)]
    pub method: Method,
    /// Number of Monte Carlo runs [default: 100,000 by strata (at least one per input and
    /// two per input with chance left in it); 1,000,000 plain].
    #[arg(long)]
    pub runs: Option<u64>,
    /// By strata: run until the 95 % interval of the probability of a customer-facing
    /// outage is this narrow, relative to it (`10%`: ±10 %), or `--runs` (then a limit,
    /// default 10,000,000) or `--max-time` is reached.
    #[arg(long, value_name = "PERCENT")]
    pub precision: Option<String>,
    /// With --precision: stop after this long (`30s`, `10m`).
    #[arg(long, value_name = "DURATION")]
    pub max_time: Option<String>,
    /// By strata: keystroke errors enumerated per command; inputs with more are left out
    /// and their probability is added to every upper bound.
    #[arg(long, default_value_t = crate::sampling::MAX_ERRORS, value_name = "N")]
    pub max_errors: u32,
    /// Base seed; run i uses the ChaCha8 stream (seed, i).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads, for reading the scenario and for the runs [default: all cores]. Does not
    /// change the results.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write one row per run to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress bar and no timing on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Sharded runs: `--shard I/N --partial FILE [--pilot FILE]`.
    #[command(flatten)]
    pub sharding: ShardArgs,
}

/// How `run` estimates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// By strata of the discrete input, with exact probabilities.
    Strata,
    /// Plain Monte Carlo: every run draws its input.
    Plain,
}

/// Most keystroke errors enumerated: the inputs grow about tenfold per error.
const MAX_ERRORS: u32 = 6;
/// Most threads accepted.
const MAX_THREADS: usize = 1024;
/// Most runs accepted in one batch: about a week at a million runs a second.
const MAX_RUNS: u64 = 1_000_000_000_000;

impl RunArgs {
    /// The runs asked for, or the method's default (with --precision, a limit).
    pub fn runs(&self) -> u64 {
        self.runs.unwrap_or(match self.method {
            Method::Strata if self.precision.is_some() => 10_000_000,
            Method::Strata => 100_000,
            Method::Plain => 1_000_000,
        })
    }

    /// `--precision` as a fraction, and `--max-time`, checked: only by strata.
    pub fn precision(&self) -> Result<Option<(f64, Option<std::time::Duration>)>, Error> {
        let invalid = |option, value: &str, expected: &str| Error::InvalidOption {
            option,
            value: value.to_string(),
            expected: expected.to_string(),
        };
        let Some(p) = &self.precision else {
            if let Some(t) = &self.max_time {
                return Err(invalid("--max-time", t, "--precision with it"));
            }
            return Ok(None);
        };
        if self.method == Method::Plain {
            return Err(invalid("--precision", p, "--method strata (the default)"));
        }
        let target = crate::scenario::units::parse_percent(p)
            .filter(|f| *f > 0.0 && *f < 1.0)
            .ok_or_else(|| {
                invalid(
                    "--precision",
                    p,
                    "a percentage above 0% and below 100%, such as 10%",
                )
            })?;
        let max_time = match &self.max_time {
            Some(t) => Some(
                crate::scenario::units::parse_duration(t)
                    .filter(|d| d.as_millis() > 0)
                    .map(|d| std::time::Duration::from_millis(d.as_millis()))
                    .ok_or_else(|| {
                        invalid("--max-time", t, "a duration with units, such as 30s or 10m")
                    })?,
            ),
            None => None,
        };
        Ok(Some((target, max_time)))
    }

    /// Checks the values clap cannot: 1 ≤ runs ≤ 10^12, 1 ≤ threads ≤ 1024, at most
    /// 6 keystroke errors enumerated.
    pub fn threads(&self) -> Result<usize, Error> {
        check_count("--runs", self.runs())?;
        check_errors(self.max_errors)?;
        threads(self.threads)
    }
}

fn check_count(option: &'static str, n: u64) -> Result<(), Error> {
    if (1..=MAX_RUNS).contains(&n) {
        return Ok(());
    }
    Err(Error::InvalidOption {
        option,
        value: n.to_string(),
        expected: format!("from 1 to {MAX_RUNS}"),
    })
}

fn check_errors(n: u32) -> Result<(), Error> {
    if n <= MAX_ERRORS {
        return Ok(());
    }
    Err(Error::InvalidOption {
        option: "--max-errors",
        value: n.to_string(),
        expected: format!("from 0 to {MAX_ERRORS}"),
    })
}

/// Has every thread the library starts outside the runs (reading a big scenario by
/// sections, checking its nodes) come from a pool of `asked` threads, as the runs do: a
/// job given one core uses one. A value out of range is left to [`threads`] to refuse.
pub fn use_threads(asked: Option<usize>) {
    if let Some(n) = asked.filter(|n| (1..=MAX_THREADS).contains(n)) {
        // Fails only if the pool was set up already, which the command line does once.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
}

fn threads(asked: Option<usize>) -> Result<usize, Error> {
    match asked {
        Some(t) if (1..=MAX_THREADS).contains(&t) => Ok(t),
        Some(t) => Err(Error::InvalidOption {
            option: "--threads",
            value: t.to_string(),
            expected: format!("from 1 to {MAX_THREADS}"),
        }),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}
