//! Command-line arguments as clap sees them, and their conversion into checked options.
//! Nothing past this module sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::planning::{Target, Vary};
use crate::scenario::{Set, DEFAULT};

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

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A scenario file or the name of a built-in scenario.
    #[arg(default_value = DEFAULT)]
    pub scenario: String,
    /// Where to write the HTML (never half-written).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Another scenario to compare with the first, on common random numbers (repeatable).
    #[arg(long, value_name = "SCENARIO")]
    pub compare: Vec<String>,
    /// A variant of the scenario to compare, as for `compare`:
    /// `--variant p120:subsystems.index.restart.parallelism=120` (repeatable).
    #[arg(long = "variant", value_name = "NAME:KEY=VALUE")]
    pub variants: Vec<String>,
    /// Change a value in every scenario and variant, by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// Runs, seed, threads and outputs.
    #[command(flatten)]
    pub estimate: EstimateArgs,
}

/// Arguments of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// A scenario file or the name of a built-in scenario.
    #[arg(default_value = DEFAULT)]
    pub scenario: String,
    /// Change a scenario value first, by its dotted path (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// The format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Write it here instead of to standard output (never half-written).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The formats of `graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
    /// JSON nodes and edges.
    Json,
}

impl From<GraphFormat> for crate::export::diagram::Format {
    fn from(f: GraphFormat) -> Self {
        use crate::export::diagram::Format;
        match f {
            GraphFormat::Dot => Format::Dot,
            GraphFormat::Mermaid => Format::Mermaid,
            GraphFormat::Json => Format::Json,
        }
    }
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Subsystems.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub subsystems: u64,
    /// Services, each needing two subsystems.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub services: u64,
    /// Earlier subsystems each subsystem needs.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=100))]
    pub needs: u64,
    /// Subsystems a mistyped selector hits.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub hits: u64,
    /// Seed of the draws that wire the graph.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the scenario here instead of to standard output (never half-written).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl GenerateArgs {
    /// The shape to generate.
    pub fn shape(&self) -> crate::scenario::Shape {
        crate::scenario::Shape {
            subsystems: self.subsystems as usize,
            services: self.services as usize,
            needs: self.needs as usize,
            hits: self.hits as usize,
            seed: self.seed,
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
    /// Worker threads [default: all cores]. Does not change the results.
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

/// Sharded runs, for `run`, `compare` and `sweep`.
#[derive(Debug, Default, Args)]
pub struct ShardArgs {
    /// Run only shard I of N (`--shard 2/8`: the second eighth of the runs) and write its
    /// partial result to `--partial`; `merge` combines the shards. By strata in two rounds:
    /// merge round 1's shards with `merge … --partial PILOT`, then run round 2 with
    /// `--pilot PILOT` and merge the pilot with round 2's shards
    #[arg(long, value_name = "I/N", requires = "partial")]
    pub shard: Option<Shard>,
    /// Where `--shard` writes its partial result.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub partial: Option<PathBuf>,
    /// By strata, round 2 of a sharded run: the merged round 1 (`merge … --partial PILOT`),
    /// from which every shard allocates the rest of the runs.
    #[arg(long, value_name = "PILOT", requires = "shard")]
    pub pilot: Option<PathBuf>,
}

impl ShardArgs {
    /// The share of the runs asked for, if any.
    pub fn share(&self) -> Option<crate::montecarlo::Share> {
        self.shard.map(|Shard(share)| share)
    }
}

/// One shard of a run: `index` (from 1) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard(pub crate::montecarlo::Share);

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => {
                Ok(Shard(crate::montecarlo::Share { index, count }))
            }
            _ => Err("expected I/N with 1 <= I <= N, such as 2/8".into()),
        }
    }
}

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The partial results of every shard of one round, in any order (round 2 by strata:
    /// with the pilot they were allocated from).
    #[arg(required = true, value_name = "PARTIAL")]
    pub partials: Vec<PathBuf>,
    /// Write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the results as CSV to this file (by strata: as `run`, `compare` or `sweep`
    /// would; plain runs keep no rows).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Round 1 by strata: where to write the merged round (the pilot round 2 needs).
    #[arg(long, value_name = "PILOT")]
    pub partial: Option<PathBuf>,
}

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
    /// Worker threads [default: all cores]. Does not change the results.
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

/// How `run` estimates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// By strata of the discrete input, with exact probabilities.
    Strata,
    /// Plain Monte Carlo: every run draws its input.
    Plain,
}

/// Arguments of `operate`.
#[derive(Debug, Args)]
pub struct OperateArgs {
    /// A scenario file or the name of a built-in scenario, with an `[operations]` table.
    #[arg(default_value = "s3-operations")]
    pub scenario: String,
    /// Change a scenario value before running, by its dotted path:
    /// `--set subsystems.index.restart.parallelism=120` (repeatable; checked like the file).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// Number of periods to simulate.
    #[arg(long, default_value_t = 2_000)]
    pub periods: u64,
    /// Base seed; period i uses the ChaCha8 stream (seed, i).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads [default: all cores]. Does not change the results.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress bar and no timing on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A scenario file or the name of a built-in scenario.
    #[arg(default_value = DEFAULT)]
    pub scenario: String,
    /// Change a scenario value before running, by its dotted path:
    /// `--set subsystems.index.restart.parallelism=120` (repeatable; checked like the file).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<Set>,
    /// Seed for the boot-time draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the milestones as JSON instead of the timeline.
    #[arg(long)]
    pub json: bool,
    /// Replay this input instead of `[command.as_typed]`: the digits typed, and the
    /// selector's name if it matched more than meant (`100@storage-fleet`).
    #[arg(long, value_name = "COUNT[@SELECTOR]")]
    pub input: Option<String>,
    /// Force the safeguards' chance outcomes: `work` (the prompt appears and is declined
    /// for a wrong input, the guard and rate limit work), `fail` (none of them does), or
    /// each one by name, the others drawn: `guard=fail,limit=work` (names `prompt`,
    /// `operator` = `confirm` or `decline`, `guard`, `limit`). By default all are drawn.
    #[arg(long, value_name = "work|fail|NAME=VALUE,…")]
    pub safeguards: Option<Forced>,
    /// Replay one run of a `run` batch of this scenario and seed exactly, as its summary
    /// names it: `INPUT:RUN` by strata (the default method), the run's index with
    /// `--method plain`.
    #[arg(long, value_name = "ID", conflicts_with_all = ["input", "safeguards"])]
    pub run: Option<String>,
    /// With `--run INPUT:RUN`: keystroke errors enumerated, as given to `run`.
    #[arg(long, default_value_t = crate::sampling::MAX_ERRORS, value_name = "N")]
    pub max_errors: u32,
}

/// Safeguards forced by `replay --safeguards`: every one, or some by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forced(crate::safeguard::Fates);

impl Forced {
    /// The safeguards' outcomes this forces (`None` where drawn).
    pub fn fates(self) -> crate::safeguard::Fates {
        self.0
    }
}

impl std::str::FromStr for Forced {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let all = |works: bool| crate::safeguard::Fates {
            prompt_works: Some(works),
            confirmed_anyway: Some(!works),
            guard_works: Some(works),
            limit_works: Some(works),
            matched: None,
        };
        match s.trim() {
            "work" => return Ok(Forced(all(true))),
            "fail" => return Ok(Forced(all(false))),
            _ => {}
        }
        let expected =
            "`work`, `fail`, or NAME=VALUE pairs separated by commas: prompt=work|fail, \
                        operator=confirm|decline, guard=work|fail, limit=work|fail";
        let mut fates = crate::safeguard::Fates::default();
        for pair in s.split(',') {
            let (name, value) = pair
                .split_once('=')
                .map(|(n, v)| (n.trim(), v.trim()))
                .ok_or_else(|| expected.to_string())?;
            let works = match value {
                "work" | "works" => true,
                "fail" | "fails" => false,
                _ if name == "operator" => match value {
                    "confirm" | "confirms" => false,
                    "decline" | "declines" => true,
                    _ => return Err(format!("operator={value}: expected {expected}")),
                },
                _ => return Err(format!("{name}={value}: expected {expected}")),
            };
            let slot = match name {
                "prompt" => &mut fates.prompt_works,
                "guard" => &mut fates.guard_works,
                "limit" => &mut fates.limit_works,
                // The operator declining is the prompt's catch working.
                "operator" => &mut fates.confirmed_anyway,
                _ => return Err(format!("no safeguard named `{name}`: expected {expected}")),
            };
            *slot = Some(if name == "operator" { !works } else { works });
        }
        Ok(Forced(fates))
    }
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

impl OperateArgs {
    /// Checks the values clap cannot: 1 ≤ periods ≤ 10^12, 1 ≤ threads ≤ 1024.
    pub fn threads(&self) -> Result<usize, Error> {
        check_count("--periods", self.periods)?;
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
