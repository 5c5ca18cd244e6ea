//! The restart scheduler: each subsystem's restart budget during one run.
//!
//! A subsystem has one pool of `parallelism` boot slots and one validation throughput,
//! whatever its number of cells. Cells are served first come, first served: a cell whose
//! restart begins takes, server by server, the earliest free boot slot (list scheduling
//! over the whole subsystem), and a cell that has booted validates its share of the
//! metadata at the full throughput once the cells that booted before it are done. So at no
//! instant do more than `parallelism` servers of a subsystem boot, capacity freed by one
//! cell goes to the next, and one cell alone restarts fastest.
//!
//! Boot times are drawn when a cell's restart begins, so a cell's whole schedule is known
//! then; the engine turns it into events.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;

use super::pace::{self, Overload};
use crate::model::{NodeId, Subsystem};
use crate::time::{SimDuration, SimTime};

/// When a cell's booting or validating runs, and when enough of it is done to serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// When the first server starts booting (or validation starts).
    pub start: SimTime,
    /// When the `serve_servers`-th server has booted (or that share is validated).
    pub serve: SimTime,
    /// When the last server has booted (or validation is done).
    pub end: SimTime,
    /// A first wave that booted more servers at once than is safe, and failed.
    pub overload: Option<Overload>,
}

/// One subsystem's budget in use.
#[derive(Debug, Default)]
struct Pool {
    node: Option<NodeId>,
    /// When each busy boot slot frees, in ms since the command; at most `parallelism`.
    slots: BinaryHeap<Reverse<u64>>,
    /// When the validation throughput is free again, in ms since the command.
    validated_until: u64,
    /// When each busy member of the crew that repairs failed boots frees, in ms.
    crew: BinaryHeap<Reverse<u64>>,
    /// Whether a wave above `safe_parallelism` has failed: the budget is the safe number.
    paced: bool,
}

/// Every subsystem's restart budget during one run. Only the subsystems that restart in a
/// run have a pool, so a run costs what it restarts, not the size of the model.
#[derive(Debug, Default)]
pub struct Restarts {
    pools: Vec<Pool>,
    used: usize,
    /// Per node, its pool's index in `pools` this run (`u32::MAX`: none yet).
    index: Vec<u32>,
    finishes: Vec<u64>,
    failed: Vec<u64>,
}

impl Restarts {
    /// Forgets the previous run, keeping the allocations.
    pub fn reset(&mut self) {
        for p in &self.pools[..self.used] {
            if let Some(node) = p.node {
                self.index[node.0] = u32::MAX;
            }
        }
        self.used = 0;
    }

    /// The pool of `node`, empty if this run has not used it yet.
    fn pool(&mut self, node: NodeId) -> &mut Pool {
        if node.0 >= self.index.len() {
            self.index.resize(node.0 + 1, u32::MAX);
        }
        let found = match self.index[node.0] {
            u32::MAX => None,
            i => Some(i as usize),
        };
        let i = found.unwrap_or_else(|| {
            if self.used == self.pools.len() {
                self.pools.push(Pool::default());
            }
            let p = &mut self.pools[self.used];
            p.node = Some(node);
            p.slots.clear();
            p.validated_until = 0;
            p.crew.clear();
            p.paced = false;
            self.index[node.0] = self.used as u32;
            self.used += 1;
            self.used - 1
        });
        &mut self.pools[i]
    }

    /// Boots `servers` servers of subsystem `node` from `now`, each on the earliest free
    /// slot of the subsystem's pool. `serve` says after how many booted servers the cell
    /// can serve (`servers` if only when all have).
    pub fn boot<R: Rng + ?Sized>(
        &mut self,
        node: NodeId,
        sub: &Subsystem,
        cell: (u64, u64),
        now: SimTime,
        rng: &mut R,
    ) -> Window {
        self.boot_each(node, sub, cell, now, rng, |_, _| {})
    }

    /// [`Restarts::boot`], telling `each` when every server starts and finishes booting.
    fn boot_each<R: Rng + ?Sized>(
        &mut self,
        node: NodeId,
        sub: &Subsystem,
        (servers, serve): (u64, u64),
        now: SimTime,
        rng: &mut R,
        mut each: impl FnMut(u64, u64),
    ) -> Window {
        let at = now.since_start().as_millis();
        let want_kth = serve < servers;
        let mut finishes = std::mem::take(&mut self.finishes);
        let mut failed = std::mem::take(&mut self.failed);
        finishes.clear();
        failed.clear();
        let pool = self.pool(node);
        // Above the safe number at once, the first wave fails; the servers boot again.
        let overload = pace::first_wave(&mut pool.slots, &mut pool.paced, sub, (servers, at), rng);
        let at = overload.map_or(at, |o| o.until.since_start().as_millis());
        let budget = pace::limit(sub, pool.paced);
        // A pool at least as large as the fleet never makes a server wait: no bookkeeping
        // (unless a safe number below it needs the servers booting at once counted).
        let limited = budget < sub.servers || pace::tracks(sub);
        let parallelism = usize::try_from(budget).unwrap_or(usize::MAX);
        let mut first = u64::MAX;
        let mut last = at;
        for _ in 0..servers {
            let slots = &mut pool.slots;
            let start = if limited {
                pace::next_start(slots, parallelism, at)
            } else {
                at
            };
            let done = start.saturating_add(sub.boot.sample(rng).as_millis());
            if limited {
                slots.push(Reverse(done));
            }
            each(start, done);
            first = first.min(start);
            if fails(sub, rng) {
                failed.push(done);
                continue;
            }
            if want_kth {
                finishes.push(done);
            }
            last = last.max(done);
        }
        for ready in repair(pool, sub, &mut failed, rng) {
            if want_kth {
                finishes.push(ready);
            }
            last = last.max(ready);
        }
        let serve_at = match serve {
            k if want_kth && k >= 1 => {
                let k = (k as usize).min(finishes.len()) - 1;
                *finishes.select_nth_unstable(k).1
            }
            _ => last,
        };
        self.finishes = finishes;
        self.failed = failed;
        Window {
            start: ms(first.min(last)),
            serve: ms(serve_at),
            end: ms(last),
            overload,
        }
    }

    /// Reboots `servers` servers of subsystem `node` at `now`: each boots by itself (no
    /// restart slot), and a boot that fails waits for the crew. Their times back, in ms
    /// since the command, into `out`.
    pub fn reboot<R: Rng + ?Sized>(
        &mut self,
        node: NodeId,
        sub: &Subsystem,
        (servers, now): (u64, SimTime),
        rng: &mut R,
        out: &mut Vec<u64>,
    ) {
        let at = now.since_start().as_millis();
        let mut failed = std::mem::take(&mut self.failed);
        failed.clear();
        out.clear();
        for _ in 0..servers {
            let done = at.saturating_add(sub.boot.sample(rng).as_millis());
            if fails(sub, rng) {
                failed.push(done);
            } else {
                out.push(done);
            }
        }
        let pool = self.pool(node);
        out.extend(repair(pool, sub, &mut failed, rng));
        self.failed = failed;
    }

    /// Validates the metadata of a cell of `cell_servers` servers of subsystem `node` that
    /// finished booting at `now`, after the cells that booted before it, at the full
    /// throughput. `serve` as for [`Restarts::boot`].
    pub fn validate(
        &mut self,
        node: NodeId,
        sub: &Subsystem,
        (cell_servers, serve): (u64, u64),
        now: SimTime,
    ) -> Window {
        let whole = sub
            .validation
            .as_ref()
            .map_or(SimDuration::ZERO, |v| v.duration);
        // The cell's share of the metadata.
        let length = whole.mul_div(cell_servers, sub.servers).as_millis();
        let pool = self.pool(node);
        let start = pool.validated_until.max(now.since_start().as_millis());
        let end = start.saturating_add(length);
        pool.validated_until = end;
        let serve_at = start.saturating_add(
            SimDuration::from_millis(length)
                .mul_div(serve, cell_servers)
                .as_millis(),
        );
        Window {
            start: ms(start),
            serve: ms(serve_at),
            end: ms(end),
            overload: None,
        }
    }
}

/// Whether one boot fails (a draw only when boots can fail).
fn fails<R: Rng + ?Sized>(sub: &Subsystem, rng: &mut R) -> bool {
    sub.boot_failures
        .as_ref()
        .is_some_and(|f| rng.random::<f64>() < f.probability)
}

/// The crew's work on the boots that failed at the times in `failed` (in ms), taken in
/// the order they failed, each by the first member free: when each server is back.
fn repair<'a, R: Rng + ?Sized>(
    pool: &'a mut Pool,
    sub: &'a Subsystem,
    failed: &'a mut [u64],
    rng: &'a mut R,
) -> impl Iterator<Item = u64> + 'a {
    failed.sort_unstable();
    let crew = sub.boot_failures.as_ref().map_or(1, |f| f.crew);
    let size = usize::try_from(crew).unwrap_or(usize::MAX);
    failed.iter().map(move |&at| {
        let start = match pool.crew.peek() {
            Some(&Reverse(free)) if pool.crew.len() >= size => {
                pool.crew.pop();
                free.max(at)
            }
            _ => at,
        };
        let manual = sub
            .boot_failures
            .as_ref()
            .map_or(0, |f| f.manual.sample(rng).as_millis());
        let ready = start.saturating_add(manual);
        pool.crew.push(Reverse(ready));
        ready
    })
}

fn ms(t: u64) -> SimTime {
    SimTime::from_millis(t)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::model::{Delay, Subsystem};

    fn subsystem(servers: u64, parallelism: u64, cells: u64, sigma: f64) -> Subsystem {
        let boot = Delay::lognormal(SimDuration::from_secs(60), sigma).unwrap();
        Subsystem {
            begins_after: None,
            boot_failures: None,
            safe_parallelism: None,
            data: None,
            servers,
            min_servers: servers,
            serve_servers: servers,
            parallelism,
            boot,
            validation: None,
            cells: Subsystem::split(servers, servers, servers, cells),
            assignment: crate::model::CellAssignment::Sequential,
        }
    }

    proptest! {
        /// Cells of one subsystem begin their restarts at random times with random boot
        /// times: at no instant do more than `parallelism` of its servers boot, and no
        /// server waits for a slot while fewer than `parallelism` are booting (the budget
        /// is never left idle while a server waits).
        #[test]
        fn the_budget_is_respected_and_never_idle_while_servers_wait(
            (cells, parallelism) in (1u64..6, 1u64..8),
            per_cell in 1u64..12,
            gaps in proptest::collection::vec(0u64..200_000, 6),
            sigma in 0.0f64..1.5,
            seed in 0u64..1000,
        ) {
            let sub = subsystem(cells * per_cell, parallelism, cells, sigma);
            let node = NodeId(0);
            let mut restarts = Restarts::default();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            // (ready, start, done) per server: ready is when its cell's restart began.
            let mut boots = Vec::new();
            let mut now = 0;
            for (c, gap) in sub.cells.clone().iter().zip(&gaps) {
                now += gap;
                let at = SimTime::from_millis(now);
                let servers = (c.servers, c.servers);
                restarts.boot_each(node, &sub, servers, at, &mut rng, |s, d| {
                    boots.push((now, s, d))
                });
            }
            let busy = |t: u64| boots.iter().filter(|&&(_, s, d)| s <= t && t < d).count();
            for &(ready, start, _) in &boots {
                prop_assert!(start >= ready);
                prop_assert!(busy(start) as u64 <= parallelism, "{:?}", boots);
                if start > ready {
                    // It waited: just before it started, every slot was taken.
                    prop_assert_eq!(busy(start - 1) as u64, parallelism.min(sub.servers));
                }
            }
        }
    }
}
