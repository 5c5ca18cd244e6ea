//! Arguments of the commands that write a picture or a file: `report`, `graph`,
//! `generate`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::EstimateArgs;
use crate::scenario::{Set, DEFAULT};

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
