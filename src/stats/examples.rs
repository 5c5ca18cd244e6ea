//! Runs worth showing: of a batch, the run with the longest time until everything was
//! back, and for each histogram bucket of that time the first run that fell in it, so that
//! a run at the median (or any quantile) can be named once the batch is done. Mergeable in
//! any order: the same runs are named on any thread count.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::histogram::index;

/// The longest run and the first run of each bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Examples {
    /// The longest time, in ms, and its run: the lowest run among equals.
    pub longest: Option<Example>,
    /// Per histogram bucket of the time, its lowest run.
    pub first: BTreeMap<u32, Example>,
}

/// One run and its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// The run's index in its batch (or stratum).
    pub run: u64,
    /// Its time, in ms.
    pub ms: u64,
}

impl Examples {
    /// Counts run `run`, whose time was `ms`.
    pub fn record(&mut self, ms: u64, run: u64) {
        self.add(Example { run, ms });
    }

    fn add(&mut self, e: Example) {
        let longer = |old: &Example| e.ms > old.ms || (e.ms == old.ms && e.run < old.run);
        if self.longest.as_ref().map_or(true, longer) {
            self.longest = Some(e);
        }
        let first = self.first.entry(index(e.ms) as u32).or_insert(e);
        if e.run < first.run {
            *first = e;
        }
    }

    /// Adds `other`'s runs.
    pub fn merge(&mut self, other: &Examples) {
        if let Some(e) = other.longest {
            self.add(e);
        }
        for e in other.first.values() {
            self.add(*e);
        }
    }

    /// The bucket nearest to the one of `ms` that holds a run (the lower one of two as
    /// near), with its first run.
    pub fn near(&self, ms: u64) -> Option<(u32, Example)> {
        let b = index(ms) as u32;
        let above = self.first.range(b..).next();
        let below = self.first.range(..b).next_back();
        match (below, above) {
            (Some((&lo, &x)), Some((&hi, &y))) => {
                Some(if b - lo <= hi - b { (lo, x) } else { (hi, y) })
            }
            (Some((&k, &e)), None) | (None, Some((&k, &e))) => Some((k, e)),
            (None, None) => None,
        }
    }
}

/// The bucket of time `ms`.
pub fn bucket(ms: u64) -> u32 {
    index(ms) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_in_any_order_names_the_same_runs() {
        let times = [5_000u64, 90_000, 90_000, 7_000, 90_000, 5_001];
        let mut all = Examples::default();
        for (run, &ms) in times.iter().enumerate() {
            all.record(ms, run as u64);
        }
        let (mut a, mut b) = (Examples::default(), Examples::default());
        for (run, &ms) in times.iter().enumerate().rev() {
            if run % 2 == 0 { &mut a } else { &mut b }.record(ms, run as u64);
        }
        b.merge(&a);
        assert_eq!(all, b);
        assert_eq!(all.longest, Some(Example { run: 1, ms: 90_000 }));
        // 5,000 and 5,001 share a bucket: its first run is 0.
        assert_eq!(all.near(5_000).map(|(_, e)| e.run), Some(0));
        assert_eq!(all.near(6_500).map(|(_, e)| e.run), Some(3));
    }
}
