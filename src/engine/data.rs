//! Data lost by a destructive removal. A subsystem with `data` is backed up every
//! `backup_every`; a removal (not a reboot) that takes every server of one of its cells
//! out of service leaves no copy of that cell's data, so it comes back from the last
//! backup: what was written since is lost. The command falls at a uniformly random moment
//! of the backup cycle, so the window lost is `U × B`, `U` uniform on [0, 1) and `B` the
//! cycle (drawn from `backup_every`): on average `B / 2`. The window is drawn once per
//! subsystem per run, when it first loses a cell's data (its cells share one backup
//! schedule); each cell that loses its data then waits for its own restore before its
//! cold restart may begin.

use rand::Rng;

use super::{Change, Observer};
use crate::model::{Data, NodeId, Subsystem};
use crate::time::{SimDuration, SimTime};

/// The data lost in one run, per subsystem.
#[derive(Debug, Default)]
pub struct Losses {
    lost: Vec<(NodeId, SimDuration)>,
}

impl Losses {
    /// Forgets the previous run, keeping the allocation.
    pub fn clear(&mut self) {
        self.lost.clear();
    }

    /// A cell of `node` lost its data: the window of writes lost (drawn on the
    /// subsystem's first loss in the run, the same for its later ones) and the time to
    /// restore this cell from the backup (`None` when the scenario gives none).
    pub fn lose<R: Rng + ?Sized>(
        &mut self,
        node: NodeId,
        data: &Data,
        rng: &mut R,
    ) -> (SimDuration, Option<SimDuration>) {
        let window = match self.lost.iter().find(|(n, _)| *n == node) {
            Some(&(_, w)) => w,
            None => {
                let cycle = data.backup_every.sample(rng);
                let u: f64 = rng.random();
                let w = SimDuration::from_millis((cycle.as_millis() as f64 * u) as u64);
                self.lost.push((node, w));
                w
            }
        };
        (window, data.restore.as_ref().map(|r| r.sample(rng)))
    }

    /// A removal took every server of `cell` of subsystem `node` out of service at `now`:
    /// if it has data, that is lost (told to `obs`) and must be restored. The time until
    /// its cold restart may begin: `wait` (its diagnosis), plus the restore.
    pub fn destroyed<R: Rng + ?Sized, O: Observer>(
        &mut self,
        (node, cell): (NodeId, usize),
        sub: &Subsystem,
        (now, wait): (SimTime, Option<SimDuration>),
        rng: &mut R,
        obs: &mut O,
    ) -> Option<SimDuration> {
        let Some(data) = &sub.data else {
            return wait;
        };
        let (window, restore) = self.lose(node, data, rng);
        let cell = (sub.cells.len() > 1).then_some(cell as u32);
        let lost = Change::DataLost {
            cell,
            window,
            restore,
        };
        obs.observe(now, node, lost);
        match restore {
            Some(r) => Some(wait.unwrap_or(SimDuration::ZERO) + r),
            None => wait,
        }
    }

    /// The longest window lost by any subsystem in the run; `None` if none lost data.
    pub fn longest(&self) -> Option<SimDuration> {
        self.lost.iter().map(|&(_, w)| w).max()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::model::Delay;

    #[test]
    fn one_window_per_subsystem_and_run() {
        let hour = SimDuration::from_secs(3600);
        let data = Data {
            backup_every: Delay::constant(hour),
            restore: Some(Delay::constant(hour)),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut losses = Losses::default();
        assert_eq!(losses.longest(), None);
        let (a, ra) = losses.lose(NodeId(0), &data, &mut rng);
        let (b, rb) = losses.lose(NodeId(0), &data, &mut rng);
        assert_eq!((a, ra, rb), (b, Some(hour), Some(hour)));
        assert!(a < hour);
        let (c, _) = losses.lose(NodeId(1), &data, &mut rng);
        assert_eq!(losses.longest(), Some(a.max(c)));
        losses.clear();
        assert_eq!(losses.longest(), None);
    }
}
