//! The runs of a batch worth replaying: the one whose outage lasted longest and one at the
//! median, named so that `blastradius replay --run ID` (same scenario, same seed) shows
//! exactly that run.

use serde::Serialize;

use crate::stats::{bucket, Accumulator, Example};
use crate::stratified::Estimate;

/// The longest and a median outage of a batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunsToReplay {
    /// The longest time until everything was back (the horizon if it was not).
    pub longest: RunToReplay,
    /// A run in the histogram bucket of that time nearest the median.
    pub median: RunToReplay,
}

/// One run to replay.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunToReplay {
    /// What `replay --run` takes: the run's index in a plain batch; by strata
    /// `INPUT:RUN`, the input's number and the run's index among its runs.
    pub run: String,
    /// Its time until everything was back, in seconds.
    pub recovery_s: f64,
}

impl RunToReplay {
    fn new(run: String, e: Example) -> Self {
        RunToReplay {
            run,
            recovery_s: e.ms as f64 / 1e3,
        }
    }
}

/// The runs to replay of a plain batch; `None` if nothing lost traffic.
pub fn plain(acc: &Accumulator) -> Option<RunsToReplay> {
    let ex = &acc.examples;
    let longest = ex.longest?;
    let median = ex.near(acc.recovery.quantile(0.5)?)?.1;
    Some(RunsToReplay {
        longest: RunToReplay::new(longest.run.to_string(), longest),
        median: RunToReplay::new(median.run.to_string(), median),
    })
}

/// The runs to replay of an estimate by strata; `None` if nothing lost traffic. The
/// longest is the longest of any input; the median is the run of the input that adds the
/// most probability to the bucket nearest the weighted median, `median_ms`.
pub fn strata(est: &Estimate, median_ms: Option<u64>) -> Option<RunsToReplay> {
    let id = |h: usize, e: Example| format!("{h}:{}", e.run);
    let (h, longest) = est
        .results
        .iter()
        .enumerate()
        .filter_map(|(h, a)| Some((h, a.examples.longest?)))
        // Longest first; among equals the first input, then the first run.
        .min_by(|(h, a), (k, b)| b.ms.cmp(&a.ms).then(h.cmp(k)).then(a.run.cmp(&b.run)))?;
    let target = bucket(median_ms?);
    // The bucket nearest the median's that some input has a run in.
    let nearest = est
        .results
        .iter()
        .filter_map(|a| a.examples.near(median_ms?).map(|(b, _)| b))
        .min_by_key(|&b| (b.abs_diff(target), b))?;
    let weight = |h: usize| {
        let a = &est.results[h];
        let in_bucket = a
            .recovery_buckets
            .iter()
            .find(|&(b, _)| b as u32 == nearest)
            .map_or(0, |(_, n)| n);
        est.strata.strata[h].probability * in_bucket as f64 / a.runs.max(1) as f64
    };
    let (m, median) = est
        .results
        .iter()
        .enumerate()
        .filter_map(|(h, a)| Some((h, *a.examples.first.get(&nearest)?)))
        .max_by(|(h, _), (k, _)| weight(*h).total_cmp(&weight(*k)).then(k.cmp(h)))?;
    Some(RunsToReplay {
        longest: RunToReplay::new(id(h, longest), longest),
        median: RunToReplay::new(id(m, median), median),
    })
}
