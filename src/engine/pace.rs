//! Restarting too fast: `restart.safe_parallelism`. Above that many servers booting at
//! once, what they share (peers, caches, the database they warm from) cannot take the load
//! and their health checks fail. The first time in a run that a cell's cold restart begins
//! with more than the safe number of the subsystem's servers booting at once, that whole
//! first wave fails: each of its servers boots and fails its health check; once the last
//! has, the operators go on at the safe number at a time. The cell's servers then all boot
//! again, and the subsystem's restart budget stays at the safe number for the rest of the
//! run. So more parallelism than safe is slower (by the failed wave), never faster.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;

use super::{Change, Observer};
use crate::model::{NodeId, Subsystem};
use crate::time::SimTime;

/// A first wave that failed its health checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overload {
    /// Servers that booted at once (the failed wave and those of other cells still booting).
    pub at_once: u64,
    /// When the last server of the failed wave had booted and failed: the cell's servers
    /// boot again from then, at the safe number at a time.
    pub until: SimTime,
}

/// The subsystem's boot slots in use: when each busy one frees, in ms since the command.
pub type Slots = BinaryHeap<Reverse<u64>>;

/// Whether the subsystem's restarts must count the servers booting at once (even when
/// `parallelism` alone would never make one wait): it has a safe number below it.
pub fn tracks(sub: &Subsystem) -> bool {
    sub.safe_parallelism
        .is_some_and(|safe| safe.get() < sub.parallelism)
}

/// How many of the subsystem's servers may boot at once now: the safe number once a wave
/// has failed (`paced`), else `parallelism`.
pub fn limit(sub: &Subsystem, paced: bool) -> u64 {
    match sub.safe_parallelism {
        Some(safe) if paced => safe.get().min(sub.parallelism),
        _ => sub.parallelism,
    }
}

/// A cell's cold restart of `servers` servers begins at `at` (ms): if no wave has failed
/// yet in this run and it would boot more than the safe number of servers at once (those
/// still booting and as many of its own as there are free slots), that wave boots and
/// fails: its slots are taken until each of its boots is done, the pool is `paced` from
/// now on, and the cell's servers boot again once the whole wave is done.
pub fn first_wave<R: Rng + ?Sized>(
    slots: &mut Slots,
    paced: &mut bool,
    sub: &Subsystem,
    (servers, at): (u64, u64),
    rng: &mut R,
) -> Option<Overload> {
    let safe = sub.safe_parallelism?.get();
    if *paced || !tracks(sub) {
        return None;
    }
    let busy = slots.iter().filter(|&&Reverse(free)| free > at).count() as u64;
    let wave = servers.min(sub.parallelism.saturating_sub(busy));
    if busy + wave <= safe {
        return None;
    }
    *paced = true;
    let mut until = at;
    for _ in 0..wave {
        let done = at.saturating_add(sub.boot.sample(rng).as_millis());
        slots.push(Reverse(done));
        until = until.max(done);
    }
    Some(Overload {
        at_once: busy + wave,
        until: SimTime::from_millis(until),
    })
}

/// The first free slot at `at` under a budget of `limit` slots: when the next boot may
/// start. More than `limit` busy (a failed wave wider than the safe number) must first
/// come down to it: the earliest of them free first.
pub fn next_start(slots: &mut Slots, limit: usize, at: u64) -> u64 {
    while slots.len() > limit {
        slots.pop();
    }
    if slots.len() < limit {
        return at;
    }
    slots.pop().map_or(at, |Reverse(free)| free.max(at))
}

/// Tells `obs` that a cell of `id` began its restart with a first wave that failed.
pub fn tell<O: Observer>(
    obs: &mut O,
    (now, id, cell): (SimTime, NodeId, Option<u32>),
    overload: Option<Overload>,
) {
    if let Some(o) = overload {
        let (at_once, until) = (o.at_once, o.until);
        let failed = Change::Overloaded {
            cell,
            at_once,
            until,
        };
        obs.observe(now, id, failed);
    }
}
