//! Partial results of a sharded run: what `run --shard I/N --partial FILE` writes and
//! `merge` reads. A partial result is JSON holding the scenario's text (so that `merge`
//! needs nothing else), a hash of it, the seed, the whole run's size, which shard it is and
//! its runs' statistics. The statistics are integer counts and sums, so merging shards is
//! exact and gives the same bytes as the run done at once.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::stats::Accumulator;

/// What the `format` field says.
pub const FORMAT: &str = "blastradius partial result";
/// The version of the layout; a reader refuses any other.
pub const VERSION: u32 = 1;

/// One shard's result.
#[derive(Debug, Serialize, Deserialize)]
pub struct Partial {
    /// [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// The build that ran it ([`build`]): shards of other builds may have simulated
    /// differently, so `merge` refuses to mix them.
    pub build: String,
    /// The scenario's origin as reports name it (with its `--set` changes).
    pub origin: String,
    /// FNV-1a (64 bits) of `scenario`, in hex: shards of other scenarios are refused.
    pub scenario_hash: String,
    /// The scenario text the shard ran (its `--set` changes applied).
    pub scenario: String,
    /// The base seed.
    pub seed: u64,
    /// Runs of the whole, all shards together.
    pub runs: u64,
    /// This shard, from 1.
    pub shard: u64,
    /// Shards in all.
    pub shards: u64,
    /// Its first run index.
    pub first_run: u64,
    /// One past its last run index.
    pub end_run: u64,
    /// Its runs' statistics (`runs` among them says how many were done).
    pub statistics: Accumulator,
}

/// This build: the crate's name and version.
pub fn build() -> String {
    format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}

/// The runs of shard `shard` (from 1) of `shards`: a contiguous range, the shards in order
/// covering `0..runs` exactly.
pub fn shard_range(runs: u64, shard: u64, shards: u64) -> std::ops::Range<u64> {
    let at = |i: u64| (u128::from(runs) * u128::from(i) / u128::from(shards.max(1))) as u64;
    at(shard - 1)..at(shard)
}

/// FNV-1a of `text`, as 16 hex digits.
pub fn hash(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// Writes `p` as JSON.
pub fn write(w: &mut dyn Write, p: &Partial) -> io::Result<()> {
    serde_json::to_writer(&mut *w, p).map_err(io::Error::from)?;
    writeln!(w)
}

/// Reads a partial result from `path`, refusing anything that is not one of this version
/// or whose scenario does not match its hash.
pub fn read(path: &Path) -> Result<Partial, Error> {
    let refuse = |why: String| Error::Partial {
        path: path.to_path_buf(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let p: Partial = serde_json::from_slice(&bytes)
        .map_err(|e| refuse(format!("not a partial result of `run --shard` ({e})")))?;
    if p.format != FORMAT || p.version != VERSION {
        return Err(refuse(format!(
            "a partial result of format {:?} version {}; expected {FORMAT:?} version {VERSION}",
            p.format, p.version
        )));
    }
    if hash(&p.scenario) != p.scenario_hash {
        return Err(refuse("its scenario text does not match its hash".into()));
    }
    let range = shard_range(p.runs, p.shard.max(1), p.shards);
    if p.shard == 0 || p.shard > p.shards || (p.first_run..p.end_run) != range {
        return Err(refuse(format!(
            "shard {} of {} does not hold runs {}..{}",
            p.shard, p.shards, p.first_run, p.end_run
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_runs_exactly_and_in_order() {
        for runs in [0u64, 1, 7, 1_000_003, u64::MAX] {
            for shards in [1u64, 2, 3, 10, 64] {
                let mut next = 0;
                for i in 1..=shards {
                    let r = shard_range(runs, i, shards);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, runs);
            }
        }
    }
}
