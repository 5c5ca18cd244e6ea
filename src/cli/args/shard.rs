//! Arguments of sharded runs: `--shard`, `--partial`, `--pilot`, and `merge`.

use std::path::PathBuf;

use clap::Args;

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
