//! Backlogs and their drains. A service with a `backlog` keeps the work it could not serve:
//! its backlog grows with the traffic lost (all of it while unavailable, a share while partly
//! served) and drains, with the spare capacity, once the service serves all its traffic
//! again; until it has drained the service is only partially available. Losing traffic again
//! while draining loses what was drained so far.

use super::agenda::Agenda;
use super::levels::{Level, Levels, FULL};
use super::{Change, Event, Health, Observer};
use crate::model::{Backlog, Model, NodeId, NodeKind};
use crate::time::{SimDuration, SimTime};

/// Milliseconds of traffic not served during `d` at a served share of `served` millionths.
fn lost_ms(served: u32, d: SimDuration) -> u64 {
    (u128::from(FULL - served) * u128::from(d.as_millis()) / u128::from(FULL)) as u64
}

/// One service's backlog.
#[derive(Clone, Copy, Debug, Default)]
struct Pile {
    /// Lost traffic, in milliseconds at the normal arrival rate.
    backlog: u64,
    /// Until when lost traffic has been added to `backlog`.
    backlog_at: SimTime,
    draining: Option<SimTime>,
    /// Drain events carry this; a stale one is ignored.
    epoch: u32,
}

/// Every service's backlog during a run.
pub(super) struct Backlogs {
    /// The services with a backlog.
    services: Vec<NodeId>,
    /// Per node (only those of `services` are used).
    piles: Vec<Pile>,
}

impl Backlogs {
    /// No backlog yet, for the services of `model` that keep one.
    pub fn new(model: &Model) -> Self {
        let services = model
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                matches!(
                    n.kind,
                    NodeKind::Service {
                        backlog: Some(_),
                        ..
                    }
                )
            })
            .map(|(i, _)| NodeId(i))
            .collect();
        Backlogs {
            services,
            piles: vec![Pile::default(); model.nodes.len()],
        }
    }

    /// Puts node `id`, which the last run touched, back as at the start of a run.
    #[inline]
    pub fn reset(&mut self, id: NodeId) {
        self.piles[id.0] = Pile::default();
    }

    /// Marks for the coming propagation every service whose backlog is growing: it grows
    /// with every propagation while its service loses traffic.
    #[inline]
    pub fn mark_growing(&self, levels: &Levels, agenda: &mut Agenda) {
        for &id in &self.services {
            if levels.get(id).served < FULL {
                agenda.mark(id);
            }
        }
    }

    /// Service `id` with backlog `b`, having served `before` since the last propagation,
    /// now serves at `to`: adds what it lost to its backlog, starts or stops draining it.
    /// Its health: no better than partial while there is a backlog.
    #[inline]
    pub fn drain<O: Observer>(
        &mut self,
        now: SimTime,
        (id, b): (NodeId, &Backlog),
        before: u32,
        to: Level,
        agenda: &mut Agenda,
        obs: &mut O,
    ) -> Health {
        let pile = &mut self.piles[id.0];
        pile.backlog = pile
            .backlog
            .saturating_add(lost_ms(before, now - pile.backlog_at));
        pile.backlog_at = now;
        match pile.draining {
            Some(start) if to.served < FULL => {
                // Losing traffic again while draining: what was drained so far is gone.
                let drained = ((now - start).as_millis() as f64 * b.headroom) as u64;
                pile.backlog = pile.backlog.saturating_sub(drained);
                pile.draining = None;
                pile.epoch += 1;
            }
            None if to.served == FULL && pile.backlog > 0 => {
                pile.draining = Some(now);
                pile.epoch += 1;
                // At least a millisecond, so that a drain always moves time forward.
                let take = SimDuration::from_secs_f64(pile.backlog as f64 / 1000.0 / b.headroom);
                let until = now + take.max(SimDuration::from_millis(1));
                let epoch = pile.epoch;
                agenda.at(until, Event::Drained { node: id, epoch });
                obs.observe(now, id, Change::Draining { until });
            }
            _ => {}
        }
        if pile.backlog > 0 {
            to.health.min(Health::Partial)
        } else {
            to.health
        }
    }

    /// Service `id` has drained its backlog (unless it lost traffic again since).
    #[inline]
    pub fn drained(&mut self, id: NodeId, epoch: u32, agenda: &mut Agenda) {
        let pile = &mut self.piles[id.0];
        if pile.epoch == epoch && pile.draining.is_some() {
            pile.backlog = 0;
            pile.draining = None;
            agenda.changed(id);
        }
    }
}
