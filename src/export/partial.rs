//! Partial results of a sharded run: what `--shard I/N --partial FILE` writes and `merge`
//! reads. A partial result is JSON holding the scenarios' text (so that `merge` needs
//! nothing else), a hash of them, the seed, the whole run's size, which shard of which
//! round it is and its runs' statistics. The statistics are integer counts and sums, so
//! merging shards is exact and gives the same bytes as the run done at once.
//!
//! Plain runs have one round. Runs by strata have two (see
//! [`crate::stratified::first_round`]): round 1's shards merge into a pilot (a partial
//! result with no shard number), which round 2's shards name by its hash.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::stats::Accumulator;
use crate::stratified::State;

/// What the `format` field says.
pub const FORMAT: &str = "blastradius partial result";
/// The version of the layout; a reader refuses any other.
pub const VERSION: u32 = 3;

/// What was run, and so what the merged result reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Job {
    /// `run --method plain`.
    Plain,
    /// `run` by strata.
    Strata,
    /// `compare`: the scenarios' and variants' names, in order.
    Compare {
        /// As the comparison names them.
        names: Vec<String>,
    },
    /// `sweep`.
    Sweep {
        /// The scenario varied (its origin, with the changes made to every point).
        scenario: String,
        /// The varied keys.
        varied: Vec<String>,
        /// Per point, the values of the varied keys.
        values: Vec<Vec<String>>,
        /// The node the table shows.
        node: String,
    },
}

/// A scenario as run: its origin as reports name it and its text, changes applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// As reports name it (with its `--set` changes).
    pub origin: String,
    /// Its text, changes applied.
    pub text: String,
}

/// A shard's runs' statistics.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Statistics {
    /// Plain Monte Carlo: runs `first_run..end_run`.
    Plain {
        /// Its first run index.
        first_run: u64,
        /// One past its last run index.
        end_run: u64,
        /// Its runs' statistics (`runs` among them says how many were done).
        statistics: Box<Accumulator>,
    },
    /// By strata: its share of a round, in every variant.
    Strata {
        /// What its runs did.
        state: State,
    },
}

/// One shard's result, or a merged round 1 by strata (the pilot).
#[derive(Debug, Serialize, Deserialize)]
pub struct Partial {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The build that ran it ([`build`]): shards of other builds may have simulated
    /// differently, so `merge` refuses to mix them.
    pub build: String,
    /// What was run.
    pub job: Job,
    /// The scenarios run: one, or a comparison's, or a sweep's points.
    pub scenarios: Vec<Source>,
    /// FNV-1a (64 bits) of the scenarios' origins and texts, in hex: shards of other
    /// scenarios are refused.
    pub scenario_hash: String,
    /// The base seed.
    pub seed: u64,
    /// Runs of the whole (per variant), all shards together.
    pub runs: u64,
    /// By strata: keystroke errors enumerated.
    pub max_errors: u32,
    /// The round: 1, or 2 (by strata).
    pub round: u32,
    /// This shard, from 1; none for a merged round 1.
    pub shard: Option<u64>,
    /// Shards in the round.
    pub shards: u64,
    /// Round 2: the hash of the pilot it was allocated from ([`Partial::file_hash`]).
    pub pilot: Option<String>,
    /// Its runs' statistics.
    pub statistics: Statistics,
    /// FNV-1a of the file's bytes, as read (round 2 names its pilot by it).
    #[serde(skip)]
    pub file_hash: String,
}

/// The hash of `scenarios`, for [`Partial::scenario_hash`].
pub fn scenarios_hash(scenarios: &[Source]) -> String {
    let mut text = String::new();
    for s in scenarios {
        text.push_str(&format!(
            "{}\n{}\n{}\n",
            s.origin.len(),
            s.origin,
            s.text.len()
        ));
        text.push_str(&s.text);
    }
    hash(text.as_bytes())
}

/// This build: the crate's name and version.
pub fn build() -> String {
    format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}

/// FNV-1a of `bytes`, as 16 hex digits.
pub fn hash(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// Writes `p` as JSON.
pub fn write(w: &mut dyn Write, p: &Partial) -> io::Result<()> {
    serde_json::to_writer(&mut *w, p).map_err(io::Error::from)?;
    writeln!(w)
}

/// Reads a partial result from `path`, refusing anything that is not one of this version
/// or whose scenarios do not match their hash.
pub fn read(path: &Path) -> Result<Partial, Error> {
    let refuse = |why: String| Error::Partial {
        path: path.to_path_buf(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut p: Partial = serde_json::from_slice(&bytes)
        .map_err(|e| refuse(format!("not a partial result of `--shard` ({e})")))?;
    if p.format != FORMAT || p.version != VERSION {
        return Err(refuse(format!(
            "a partial result of format {:?} version {}; expected {FORMAT:?} version {VERSION}",
            p.format, p.version
        )));
    }
    if scenarios_hash(&p.scenarios) != p.scenario_hash || p.scenarios.is_empty() {
        return Err(refuse("its scenarios do not match their hash".into()));
    }
    let strata = !matches!(p.job, Job::Plain);
    let shard_ok = match p.shard {
        Some(i) => i >= 1 && i <= p.shards,
        None => strata && p.round == 1,
    };
    let round_ok = p.round == 1 && p.pilot.is_none() || strata && p.round == 2 && p.pilot.is_some();
    if !shard_ok || !round_ok {
        return Err(refuse(format!(
            "shard {:?} of {} in round {}: not a shard this build writes",
            p.shard, p.shards, p.round
        )));
    }
    match (&p.statistics, p.shard) {
        (
            Statistics::Plain {
                first_run, end_run, ..
            },
            Some(i),
        ) if !strata => {
            let range = crate::montecarlo::Share {
                index: i,
                count: p.shards,
            }
            .of(p.runs);
            if (*first_run..*end_run) != range {
                return Err(refuse(format!(
                    "shard {i} of {} does not hold runs {first_run}..{end_run}",
                    p.shards
                )));
            }
        }
        (Statistics::Strata { .. }, _) if strata => {}
        _ => return Err(refuse("statistics of another method than its job's".into())),
    }
    p.file_hash = hash(&bytes);
    Ok(p)
}
