//! Arguments of the planning commands on common random numbers: `compare`, `sweep`,
//! `budget`.

use std::path::PathBuf;

use clap::Args;

use super::{check_count, check_errors, threads, ShardArgs};
use crate::error::Error;
use crate::planning::{Target, Vary};
use crate::scenario::{Set, DEFAULT};

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files or built-in names; the others are compared with the first.
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<String>,
    /// A variant of the first scenario and one change to it:
    /// `--variant p120:subsystems.index.restart.parallelism=120`. Repeat with the same
    /// name for more changes to one variant; `NAME:` alone is the scenario unchanged.
    #[arg(long = "variant", value_name = "NAME:KEY=VALUE")]
    pub variants: Vec<String>,
    /// Change a value in every scenario and variant, by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// Runs, seed, threads and outputs.
    #[command(flatten)]
    pub estimate: EstimateArgs,
    /// Sharded runs: `--shard I/N --partial FILE [--pilot FILE]`.
    #[command(flatten)]
    pub sharding: ShardArgs,
}

/// Arguments of `sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A scenario file or the name of a built-in scenario.
    #[arg(default_value = DEFAULT)]
    pub scenario: String,
    /// A value to vary, KEY=FROM..TO:STEP or KEY=FROM..TO:xFACTOR, units as in the file
    /// (`subsystems.index.validation.since_last_full_restart=0y..6y:1y`). Several make a
    /// grid.
    #[arg(long, required = true, value_name = "KEY=FROM..TO:STEP")]
    pub vary: Vec<Vary>,
    /// The node whose results the table shows [default: the first customer-facing
    /// service].
    #[arg(long)]
    pub node: Option<String>,
    /// Change a value at every point, by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// Runs, seed, threads and outputs.
    #[command(flatten)]
    pub estimate: EstimateArgs,
    /// Sharded runs: `--shard I/N --partial FILE [--pilot FILE]`.
    #[command(flatten)]
    pub sharding: ShardArgs,
}

/// Arguments of `budget`.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// A scenario file or the name of a built-in scenario.
    #[arg(default_value = DEFAULT)]
    pub scenario: String,
    /// The value to vary, KEY=FROM..TO:STEP or KEY=FROM..TO:xFACTOR.
    #[arg(long, value_name = "KEY=FROM..TO:STEP")]
    pub vary: Vary,
    /// What must hold, with 95 % confidence: `facing`, `p(NODE)`, `mean(NODE)` or
    /// `expected(NODE)`, then `<=` or `>=` and a bound (`"mean(s3-get) <= 1h"`).
    #[arg(long)]
    pub target: Target,
    /// Find the largest value that meets the target (default: the smallest).
    #[arg(long)]
    pub largest: bool,
    /// Change a value at every point, by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// Runs, seed, threads and outputs.
    #[command(flatten)]
    pub estimate: EstimateArgs,
}

/// What the planning commands share: how much to run, and where results go.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Runs per scenario, variant or point, by strata of the input (at least one per
    /// input, two per input with chance left in it).
    #[arg(long, default_value_t = 20_000)]
    pub runs: u64,
    /// Base seed; every variant draws the same numbers for the same input.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads, for reading the scenario and for the runs [default: all cores]. Does not
    /// change the results.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Keystroke errors enumerated per command.
    #[arg(long, default_value_t = crate::sampling::MAX_ERRORS, value_name = "N")]
    pub max_errors: u32,
    /// Write the results as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress bar and no timing on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

impl EstimateArgs {
    /// Checks the values clap cannot, as for `run`, and gives the options to run with.
    pub fn options(&self) -> Result<crate::stratified::Options, Error> {
        check_count("--runs", self.runs)?;
        check_errors(self.max_errors)?;
        Ok(crate::stratified::Options {
            runs: self.runs,
            seed: self.seed,
            threads: threads(self.threads)?,
            max_errors: self.max_errors,
        })
    }
}
