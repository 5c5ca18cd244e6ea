//! The library's error type. Each variant carries what the user needs to fix the problem;
//! [`Error::exit_code`] says how the binary should exit.

use std::io;
use std::path::PathBuf;

use crate::scenario::ScenarioError;

/// Everything that can go wrong in blastradius.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file is malformed.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// Neither a file nor a built-in scenario has this name.
    #[error("no scenario file or built-in scenario named {name:?} (built-ins: {})", builtins.join(", "))]
    UnknownScenario {
        /// What was asked for.
        name: String,
        /// The built-in names.
        builtins: Vec<String>,
    },
    /// A command-line value is out of range.
    #[error("invalid value {value:?} for {option}: expected {expected}")]
    InvalidOption {
        /// The option, e.g. `--runs`.
        option: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// The command needs something the scenario does not have.
    #[error("{scenario}: {what}")]
    Unsupported {
        /// The scenario's origin.
        scenario: String,
        /// What is missing.
        what: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file or stream could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file, or `-` for standard output.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The user interrupted a batch; what was done has been reported and written.
    #[error("interrupted after {done} of {asked} runs; the summary and output files cover the runs done")]
    Interrupted {
        /// Runs completed.
        done: u64,
        /// Runs asked for.
        asked: u64,
    },
    /// Partial results of a sharded run that cannot be merged: not one run's shards, or
    /// not all of them, or not a partial result at all.
    #[error("{}: {why}", path.display())]
    Partial {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// How many were asked for.
        threads: usize,
        /// Why not.
        message: String,
    },
}

impl Error {
    /// 2 for bad input (scenario or command line), 130 after an interruption (as a shell
    /// reports SIGINT), 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted { .. } => 130,
            Error::Scenario(_)
            | Error::UnknownScenario { .. }
            | Error::InvalidOption { .. }
            | Error::Unsupported { .. }
            | Error::Partial { .. } => 2,
            Error::Read { .. } | Error::Write { .. } | Error::Threads { .. } => 1,
        }
    }
}
