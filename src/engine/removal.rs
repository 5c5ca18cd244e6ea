//! The command's effect on a subsystem: which of its cells lose how many of the servers a
//! step removes (cell by cell, or spread at random, as its `cell_assignment` says), and what
//! becomes of each: below its minimum it stops and waits for diagnosis (and, with no copy of
//! its data left, a restore from the last backup); above it, it keeps serving with fewer
//! servers, or has them rebooted. Counts the servers removed and the data lost in a run.

use rand::Rng;
use rand_distr::{Distribution, Hypergeometric};

use super::agenda::Agenda;
use super::cells::{CellState, Cells};
use super::data::Losses;
use super::recovery::Recovery;
use super::{Health, Observer, Phase};
use crate::model::{CellAssignment, NodeId, Subsystem};
use crate::time::{SimDuration, SimTime};
use crate::typo::Action;

/// The removals of one run.
pub(super) struct Removal {
    action: Action,
    /// Servers removed in this run.
    removed: u64,
    /// The data lost in this run.
    losses: Losses,
    /// Per cell, the servers the removal in progress takes from it.
    split: Vec<u64>,
}

impl Removal {
    /// Removals that do what `action` does to a server.
    pub fn new(action: Action) -> Self {
        Removal {
            action,
            removed: 0,
            losses: Losses::default(),
            split: Vec::new(),
        }
    }

    /// Forgets the previous run, keeping the allocations.
    #[inline]
    pub fn reset(&mut self) {
        self.removed = 0;
        self.losses.clear();
    }

    /// Servers removed in the run so far (the tool cannot remove more than there are).
    #[inline]
    pub fn removed(&self) -> u64 {
        self.removed
    }

    /// The longest window of writes lost by any subsystem in the run; `None` if none lost
    /// data.
    #[inline]
    pub fn data_loss(&self) -> Option<SimDuration> {
        self.losses.longest()
    }

    /// Removes `servers` servers of `node`, shared over its cells.
    #[inline]
    pub fn remove<R: Rng + ?Sized, O: Observer>(
        &mut self,
        (now, node, servers): (SimTime, NodeId, u64),
        cells: &mut Cells,
        recovery: &mut Recovery,
        rng: &mut R,
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let Some(sub) = cells.subsystem(node) else {
            return;
        };
        self.split(sub, cells.of(node), servers, rng);
        for i in 0..self.split.len() {
            let removed = self.split[i];
            if removed == 0 {
                continue;
            }
            self.removed += removed;
            let c = cells.of(node)[i];
            let spec = sub.cells[i];
            let left = c.capacity - removed;
            if left < spec.min_servers || left == 0 {
                // Below the minimum the whole cell stops; pending restart events are stale.
                cells.get_mut(node, i).epoch += 1;
                cells.set_phase(now, (node, i), Phase::Down, (0, removed), agenda, obs);
                let mut wait = sub.begins_after.as_ref().map(|d| d.sample(rng));
                if left == 0 && self.action == Action::Remove {
                    // No copy of the cell's data is left: restored from the last backup.
                    let cell = (node, i);
                    wait = self.losses.destroyed(cell, sub, (now, wait), rng, obs);
                }
                if let Some(d) = wait {
                    cells.wait(now, (node, i), now + d, agenda, obs);
                }
            } else {
                let reboot = self.action == Action::Reboot;
                let to = if c.phase == Phase::ServingPartially {
                    // Still restarting the rest: what it removed stays removed when it is
                    // done; what it rebooted comes back with the restart.
                    if !reboot {
                        cells.get_mut(node, i).lost += removed;
                    }
                    c.phase
                } else {
                    Phase::Degraded
                };
                cells.set_phase(now, (node, i), to, (left, removed), agenda, obs);
                if reboot && to == Phase::Degraded {
                    let epoch = cells.of(node)[i].epoch;
                    let cell = (now, node, i as u32, epoch);
                    recovery.reboot(cell, sub, removed, rng, agenda);
                }
            }
        }
    }

    /// Shares `servers` removed servers of `sub` out over its `cells`, into `self.split`.
    fn split<R: Rng + ?Sized>(
        &mut self,
        sub: &Subsystem,
        cells: &[CellState],
        servers: u64,
        rng: &mut R,
    ) {
        // Servers in service per cell: a stopped cell has none left to remove.
        self.split.clear();
        self.split.extend(cells.iter().map(|c| {
            if c.phase.health() == Health::Down {
                0
            } else {
                c.capacity
            }
        }));
        let total: u64 = self.split.iter().sum();
        let mut left = servers.min(total);
        match sub.assignment {
            CellAssignment::Sequential => {
                for hit in &mut self.split {
                    let take = (*hit).min(left);
                    left -= take;
                    *hit = take;
                }
            }
            CellAssignment::Spread => {
                // Multivariate hypergeometric, one cell at a time.
                let mut population = total;
                for hit in &mut self.split {
                    let in_cell = *hit;
                    let take = match Hypergeometric::new(population, in_cell, left) {
                        Ok(h) => h.sample(rng).min(in_cell),
                        Err(_) => left.min(in_cell),
                    };
                    population -= in_cell;
                    left -= take;
                    *hit = take;
                }
            }
        }
    }
}
