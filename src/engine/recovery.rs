//! Bringing cells back on the restart budget: a stopped cell's cold restart (booting, then
//! validating, then serving its `serve_at` share, then whole) and a rebooted server's return,
//! each timed by the restart scheduler ([`Restarts`]) and turned into the events that move
//! the cell on. The cells' states are [`Cells`]'; this decides only when.

use rand::Rng;

use super::agenda::Agenda;
use super::cells::Cells;
use super::restart::{Restarts, Window};
use super::{Change, Event, Observer, Phase};
use crate::model::{NodeId, Subsystem};
use crate::time::SimTime;

/// The restart budgets in use during a run.
#[derive(Default)]
pub(super) struct Recovery {
    restarts: Restarts,
    /// When rebooted servers are back, in ms.
    back: Vec<u64>,
}

impl Recovery {
    /// Forgets the previous run, keeping the allocations.
    #[inline]
    pub fn reset(&mut self) {
        self.restarts.reset();
    }

    /// Begins the cold restart of every stopped cell of `id`, in cell order, on the
    /// subsystem's one restart budget (first come, first served: see [`Restarts`]).
    #[inline]
    pub fn begin<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        cells: &mut Cells,
        rng: &mut R,
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let Some(sub) = cells.subsystem(id) else {
            return;
        };
        for i in 0..cells.of(id).len() {
            let c = cells.of(id)[i];
            if c.phase != Phase::Down || !c.diagnosed {
                continue;
            }
            let spec = sub.cells[i];
            // With validation, nothing serves before all servers have booted; without it,
            // servers serve as soon as they have booted.
            let serve = if sub.validation.is_some() {
                spec.servers
            } else {
                spec.serve_servers
            };
            let window = self.restarts.boot(id, sub, (spec.servers, serve), now, rng);
            schedule(now, (id, cells.name(id, i)), window, obs);
            cells.set_phase(now, (id, i), Phase::Restarting, (0, 0), agenda, obs);
            let c = cells.get_mut(id, i);
            c.lost = 0;
            let (epoch, cell) = (c.epoch, i as u32);
            if sub.validation.is_some() {
                let booted = Event::Booted {
                    node: id,
                    cell,
                    epoch,
                };
                agenda.at(window.end, booted);
            } else {
                let partial = spec.serve_servers < spec.servers;
                finish_at(window, (id, cell, epoch), partial, agenda);
            }
        }
    }

    /// All servers of a restarting cell have booted: it validates its share of the
    /// metadata, after the cells that booted before it.
    #[inline]
    pub fn booted<O: Observer>(
        &mut self,
        now: SimTime,
        (node, cell, epoch): (NodeId, u32, u32),
        cells: &mut Cells,
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let Some((sub, _)) = cells.current((node, cell, epoch)) else {
            return;
        };
        let i = cell as usize;
        let spec = sub.cells[i];
        let window = self
            .restarts
            .validate(node, sub, (spec.servers, spec.serve_servers), now);
        schedule(now, (node, cells.name(node, i)), window, obs);
        cells.set_phase(now, (node, i), Phase::Validating, (0, 0), agenda, obs);
        let partial = spec.serve_servers < spec.servers;
        finish_at(window, (node, cell, epoch), partial, agenda);
    }

    /// `servers` servers of cell `cell` of `node` were rebooted at `now`: each is back after
    /// its own boot (or the crew's work).
    #[inline]
    pub fn reboot<R: Rng + ?Sized>(
        &mut self,
        (now, node, cell, epoch): (SimTime, NodeId, u32, u32),
        sub: &Subsystem,
        servers: u64,
        rng: &mut R,
        agenda: &mut Agenda,
    ) {
        self.restarts
            .reboot(node, sub, (servers, now), rng, &mut self.back);
        for &at in &self.back {
            let at = SimTime::from_millis(at);
            agenda.at(at, Event::Rebooted { node, cell, epoch });
        }
    }
}

/// Tells the observer when a cell's booting or validating will run.
fn schedule<O: Observer>(
    now: SimTime,
    (id, cell): (NodeId, Option<u32>),
    window: Window,
    obs: &mut O,
) {
    super::pace::tell(obs, (now, id, cell), window.overload);
    obs.observe(
        now,
        id,
        Change::Scheduled {
            cell,
            start: window.start,
            end: window.end,
        },
    );
}

/// Queues a cell's Serve (when it serves before it is whole) and Full events.
fn finish_at(
    window: Window,
    (node, cell, epoch): (NodeId, u32, u32),
    serve: bool,
    agenda: &mut Agenda,
) {
    if serve {
        agenda.at(window.serve, Event::Serve { node, cell, epoch });
    }
    agenda.at(window.end, Event::Full { node, cell, epoch });
}
