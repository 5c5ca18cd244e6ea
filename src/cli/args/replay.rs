//! Arguments of the commands that run one input or many periods: `replay`, `operate`.

use std::path::PathBuf;

use clap::Args;

use super::{check_count, threads};
use crate::error::Error;
use crate::scenario::{Set, DEFAULT};

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
    /// Threads, for reading the scenario and for the runs [default: all cores]. Does not
    /// change the results.
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

impl OperateArgs {
    /// Checks the values clap cannot: 1 ≤ periods ≤ 10^12, 1 ≤ threads ≤ 1024.
    pub fn threads(&self) -> Result<usize, Error> {
        check_count("--periods", self.periods)?;
        threads(self.threads)
    }
}
