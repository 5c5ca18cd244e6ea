//! The rounds of a run by strata: the probe, and rounds of runs per input, each spread over
//! the workers and merged exactly (integer sums: the same whichever worker ran a run).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, PoisonError};

use rand::RngCore;

use super::Paired;
use crate::engine::{Change, Observer, Phase, Simulation, Unobserved};
use crate::error::Error;
use crate::model::{Model, NodeId};
use crate::montecarlo::{in_parallel, Plan};
use crate::sampling::{downstream, stratum_rng};
use crate::stats::StratumSums;
use crate::time::SimTime;

/// Runs of one input: (input, first run, end run).
pub(super) type Job = (usize, u64, u64);

/// A generator that counts the draws made from it.
struct Counting<R> {
    inner: R,
    draws: u64,
}

impl<R: RngCore> RngCore for Counting<R> {
    fn next_u32(&mut self) -> u32 {
        self.draws += 1;
        self.inner.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.draws += 1;
        self.inner.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.draws += 1;
        self.inner.fill_bytes(dst)
    }
}

/// Collects the subsystems that had a cell stop (fall below its minimum) in a run.
struct Stopped(Vec<bool>);

impl Observer for Stopped {
    fn observe(&mut self, _: SimTime, node: NodeId, change: Change) {
        if let Change::Phase {
            to: Phase::Down, ..
        } = change
        {
            self.0[node.index()] = true;
        }
    }
}

/// What one input's runs did in every variant, on one worker.
struct Seen {
    accs: Vec<Option<StratumSums>>,
    cross: Vec<Vec<[i128; 3]>>,
    runs: u64,
    /// From the probe: per variant, whether the run drew, and which subsystems stopped.
    probe: Vec<Option<(bool, Vec<bool>)>>,
}

/// Nodes held for one input past which a worker hands its sums over every
/// [`BIG_RUNS`] runs: a cascade through 100,000 nodes makes sums of about 30 MB, which a
/// worker would otherwise grow into a second copy of the stratum's total, histograms and
/// all, before handing them over. None in the crate's unit tests, so that small models
/// take this path there too (see the tests below).
const BIG: usize = if cfg!(test) { 0 } else { 16_384 };

/// See [`BIG`]: merging 100,000 nodes into the total after every run made such runs 20 %
/// slower; every 16th run, about 2 %.
const BIG_RUNS: u64 = 16;

impl Seen {
    fn is_big(&self) -> bool {
        self.runs >= BIG_RUNS
            && self
                .accs
                .iter()
                .flatten()
                .map(|a| a.nodes.len())
                .sum::<usize>()
                > BIG
    }
}

/// One worker: a simulator per variant and what it saw of the input it is running.
struct Worker<'m> {
    sims: Vec<Simulation<'m>>,
    seen: Option<(usize, Seen)>,
    values: Vec<i128>,
    first: Vec<i128>,
}

/// The shared settings of the rounds.
pub(super) struct Rounds<'a, 'm> {
    pub models: &'a [&'m Model],
    pub options: super::Options,
    pub progress: &'a mut dyn FnMut(u64, u64),
    pub stop: &'a AtomicBool,
}

impl Rounds<'_, '_> {
    /// Run 0 of every input: settles the deterministic strata and what each can affect.
    pub fn probe(&mut self, p: &mut Paired, planned: u64) -> Result<(), Error> {
        let jobs: Vec<Job> = (0..p.inputs.len()).map(|u| (u, 0, 1)).collect();
        let seen = self.execute(p, &jobs, true, planned)?;
        let mut sets: Vec<BTreeMap<Vec<bool>, usize>> = vec![BTreeMap::new(); self.models.len()];
        for (u, probes) in seen {
            for (v, probe) in probes.into_iter().enumerate() {
                let (Some(h), Some((drew, stopped))) = (p.inputs[u][v], probe) else {
                    continue;
                };
                let est = &mut p.variants[v];
                est.deterministic[h] = !drew;
                let stratum = &est.strata.strata[h];
                let set = if stratum.fixed_removal {
                    downstream(self.models[v], &stopped)
                } else {
                    est.strata.reaches[stratum.reach].clone()
                };
                let next = sets[v].len();
                est.affected[h] = *sets[v].entry(set).or_insert(next);
            }
        }
        for (est, sets) in p.variants.iter_mut().zip(sets) {
            est.affected_sets = vec![Vec::new(); sets.len()];
            for (set, i) in sets {
                est.affected_sets[i] = set;
            }
        }
        Ok(())
    }

    /// Runs `jobs` in every variant and adds them to `p`.
    pub fn round(&mut self, p: &mut Paired, jobs: &[Job]) -> Result<(), Error> {
        let planned = p.runs() + jobs.iter().map(|&(_, a, b)| b - a).sum::<u64>();
        self.execute(p, jobs, false, planned)?;
        Ok(())
    }

    fn execute(
        &mut self,
        p: &mut Paired,
        jobs: &[Job],
        probing: bool,
        planned: u64,
    ) -> Result<BTreeMap<usize, Probes>, Error> {
        let mut ends = Vec::with_capacity(jobs.len());
        let mut total = 0u64;
        for &(_, a, b) in jobs {
            total += b - a;
            ends.push(total);
        }
        let (models, options) = (self.models, self.options);
        // What the workers add to, taken out of `p` while they read the rest of it: a
        // worker adds an input's runs when it goes on to another input or finds no piece
        // left, so it never holds more than one input's (at 100,000 nodes, tens
        // of megabytes a stratum).
        let done: u64 = p.runs.iter().sum();
        let sink = Mutex::new(Sink {
            results: p
                .variants
                .iter_mut()
                .map(|e| std::mem::take(&mut e.results))
                .collect(),
            cross: std::mem::take(&mut p.cross),
            runs: std::mem::take(&mut p.runs),
            probes: BTreeMap::new(),
        });
        let shared: &Paired = p;
        let plan = Plan {
            runs: total,
            seed: options.seed,
            threads: options.threads,
        };
        let progress = &mut *self.progress;
        let outcome = in_parallel(
            plan,
            || Worker {
                sims: models.iter().map(|m| Simulation::new(m)).collect(),
                seen: None,
                values: Vec::new(),
                first: Vec::new(),
            },
            |w: &mut Worker, runs| {
                for g in runs {
                    let j = ends.partition_point(|&e| e <= g);
                    let (u, first, end) = jobs[j];
                    let r = first + g - (ends[j] - (end - first));
                    if w.seen.as_ref().is_some_and(|&(held, _)| held != u) {
                        hand_over(w, &sink, shared);
                    }
                    one(w, shared, models, (u, r), probing, options.seed);
                    if let Some((u, seen)) = w.seen.as_mut().filter(|(_, s)| s.is_big()) {
                        sink.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .add_and_clear(shared, *u, seen);
                    }
                }
            },
            |w: &mut Worker| hand_over(w, &sink, shared),
            |runs, ()| {
                progress(done + runs.end, planned);
                Ok(())
            },
            self.stop,
        );
        let Sink {
            results,
            cross,
            runs,
            probes,
        } = sink.into_inner().unwrap_or_else(PoisonError::into_inner);
        for (est, results) in p.variants.iter_mut().zip(results) {
            est.results = results;
        }
        (p.cross, p.runs) = (cross, runs);
        outcome?;
        Ok(probes)
    }
}

/// Per variant, from the probe: whether the run drew, and which subsystems stopped.
type Probes = Vec<Option<(bool, Vec<bool>)>>;

/// What the rounds' runs add up to, while the workers run.
struct Sink {
    /// Per variant, per stratum.
    results: Vec<Vec<StratumSums>>,
    /// As [`Paired::cross`].
    cross: Vec<Vec<Vec<[i128; 3]>>>,
    /// As [`Paired::runs`].
    runs: Vec<u64>,
    /// Per input probed.
    probes: BTreeMap<usize, Probes>,
}

impl Sink {
    /// Adds what a worker saw of input `u` (exact integers: the same in any order), its
    /// sums moved in whole where the total has none yet.
    fn add(&mut self, p: &Paired, u: usize, mut s: Seen) {
        self.add_counts(u, &mut s);
        for (v, acc) in s.accs.into_iter().enumerate() {
            if let (Some(acc), Some(h)) = (acc, p.inputs[u][v]) {
                self.results[v][h].absorb(acc);
            }
        }
    }

    /// Adds what a worker saw of input `u` and empties it, keeping its tables' room for
    /// the next runs.
    fn add_and_clear(&mut self, p: &Paired, u: usize, s: &mut Seen) {
        self.add_counts(u, s);
        for (v, acc) in s.accs.iter_mut().enumerate() {
            if let (Some(acc), Some(h)) = (acc, p.inputs[u][v]) {
                self.results[v][h].merge(acc);
                acc.clear();
            }
        }
    }

    /// Takes input `u`'s run count, paired sums and probe out of `s`.
    fn add_counts(&mut self, u: usize, s: &mut Seen) {
        self.runs[u] += std::mem::take(&mut s.runs);
        for (mine, theirs) in self.cross[u].iter_mut().zip(&mut s.cross) {
            for (a, b) in mine.iter_mut().zip(theirs.iter_mut()) {
                for k in 0..3 {
                    a[k] += std::mem::take(&mut b[k]);
                }
            }
        }
        if s.probe.iter().any(Option::is_some) {
            let none = vec![None; s.probe.len()];
            self.probes.insert(u, std::mem::replace(&mut s.probe, none));
        }
    }
}

/// Adds what worker `w` holds to `sink`.
fn hand_over(w: &mut Worker, sink: &Mutex<Sink>, p: &Paired) {
    if let Some((u, seen)) = w.seen.take() {
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(p, u, seen);
    }
}

/// Run `r` of input `u` in every variant that has it, on the same stream.
fn one(
    w: &mut Worker,
    p: &Paired,
    models: &[&Model],
    (u, r): (usize, u64),
    probing: bool,
    seed: u64,
) {
    let variants = models.len();
    let metrics = p.metrics.len();
    let (_, seen) = w.seen.get_or_insert_with(|| {
        let seen = Seen {
            accs: vec![None; variants],
            cross: vec![vec![[0; 3]; metrics]; variants],
            runs: 0,
            probe: vec![None; variants],
        };
        (u, seen)
    });
    seen.runs += 1;
    w.first.clear();
    for (v, model) in models.iter().enumerate() {
        let Some(h) = p.inputs[u][v] else {
            continue;
        };
        let s = &p.variants[v].strata.strata[h];
        let mut rng = Counting {
            inner: stratum_rng(seed, s.key, r),
            draws: 0,
        };
        let sim = &mut w.sims[v];
        let outcome = if probing {
            let mut stopped = Stopped(vec![false; model.nodes.len()]);
            let o = sim.run_fated(s.count.count, s.selector, s.fates, &mut rng, &mut stopped);
            seen.probe[v] = Some((rng.draws > 0, stopped.0));
            o
        } else {
            sim.run_fated(
                s.count.count,
                s.selector,
                s.fates,
                &mut rng,
                &mut Unobserved,
            )
        };
        seen.accs[v]
            .get_or_insert_with(StratumSums::default)
            .record(model, outcome, r);
        p.values(v, outcome, &mut w.values);
        if v == 0 {
            w.first.clone_from(&w.values);
        }
        if v > 0 && p.inputs[u][0].is_some() {
            for ((c, a), y) in seen.cross[v].iter_mut().zip(&w.values).zip(&w.first) {
                let delta = a - y;
                c[0] += delta;
                c[1] += delta * delta;
                c[2] += delta * y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::super::{run, run_paired, Options};
    use crate::report::StrataReport;

    /// Here every input's sums are handed over every 16 runs ([`super::BIG`] is 0 in unit
    /// tests) and node tables turn dense from 5 nodes (`stats::nodes`), neither of which
    /// the command line does for s3-2017's 17 nodes: the same bytes as its golden file
    /// (tests/golden.rs), on either thread count.
    #[test]
    fn sums_handed_over_every_16_runs_give_the_same_bytes() {
        let model = crate::scenario::load("s3-2017").expect("a built-in");
        let golden = include_str!("../../tests/golden/s3-2017-strata.json");
        for threads in [1, 2] {
            let options = Options {
                runs: 20_000,
                seed: 1,
                threads,
                max_errors: 2,
            };
            let est = run(&model, options, &mut |_, _| {}, &AtomicBool::new(false)).expect("runs");
            let mut json = Vec::new();
            crate::export::json::write(&mut json, &StrataReport::new(&model, &est, 1)).unwrap();
            assert!(
                String::from_utf8(json).unwrap() == golden,
                "{threads} threads"
            );
        }
        // And the paired sums of a comparison (cells against none): hand-overs at other
        // runs on 1 and 2 threads.
        let cells = crate::scenario::load("s3-cells").expect("a built-in");
        let cross = |threads| {
            let options = Options {
                runs: 5_000,
                seed: 1,
                threads,
                max_errors: 2,
            };
            let stop = AtomicBool::new(false);
            let p = run_paired(&[&model, &cells], options, &mut |_, _| {}, &stop);
            p.expect("runs").cross
        };
        let one = cross(1);
        assert!(one.iter().flatten().flatten().any(|c| c[0] != 0));
        assert_eq!(one, cross(2));
    }
}
