//! The customer router: a customer runs on one of its `needs_any` alternatives at a time.
//! When that one is down, the customer notices and switches (after its `failover` detection
//! and switch delays) to another that is up; if its alternative comes back first, it stays.
//! One that finds none up is stranded and takes the first to come back. The router only
//! reads the levels; the propagation takes the customer's from the alternative it is on.

use rand::Rng;

use super::agenda::Agenda;
use super::levels::Levels;
use super::{Change, Event, Health, Observer};
use crate::model::{Node, NodeId, NodeKind};
use crate::time::SimTime;

/// Where one customer runs.
#[derive(Clone, Copy, Debug, Default)]
struct Route {
    /// Its current alternative, as an index into `needs_any`.
    active: usize,
    failing_over: bool,
    /// Failed over with no alternative up: takes the first that comes back.
    stranded: bool,
    /// Failover events carry this; a stale one is ignored.
    epoch: u32,
}

/// Every customer's route during a run (indexed by node; only customers' are used).
pub(super) struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Every customer on its first alternative, for a model of `n` nodes.
    pub fn new(n: usize) -> Self {
        Router {
            routes: vec![Route::default(); n],
        }
    }

    /// Puts node `id`, which the last run touched, back as at the start of a run.
    #[inline]
    pub fn reset(&mut self, id: NodeId) {
        self.routes[id.0] = Route::default();
    }

    /// The alternative customer `id` runs on.
    #[inline]
    pub fn on(&self, id: NodeId, node: &Node) -> NodeId {
        node.needs_any[self.routes[id.0].active]
    }

    /// A customer whose alternative is down starts failing over; one whose alternative came
    /// back before the switch stays; a stranded one takes the first alternative that is up.
    #[inline]
    pub fn steer<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        (id, node): (NodeId, &Node),
        levels: &Levels,
        rng: &mut R,
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let NodeKind::Customer { failover } = &node.kind else {
            return;
        };
        let route = &self.routes[id.0];
        let active_down = levels.get(node.needs_any[route.active]).health == Health::Down;
        if route.stranded {
            self.switch(now, (id, node), levels, obs);
        } else if active_down && !route.failing_over && node.needs_any.len() > 1 {
            let delay = failover.detection.sample(rng) + failover.switch.sample(rng);
            let route = &mut self.routes[id.0];
            route.failing_over = true;
            route.epoch += 1;
            let epoch = route.epoch;
            agenda.at(now + delay, Event::FailedOver { node: id, epoch });
            obs.observe(now, id, Change::FailingOver);
        } else if !active_down && route.failing_over {
            let route = &mut self.routes[id.0];
            route.failing_over = false;
            route.epoch += 1;
        }
    }

    /// A customer's failover is done (unless it was called off since): it moves.
    #[inline]
    pub fn failed_over<O: Observer>(
        &mut self,
        now: SimTime,
        (id, node, epoch): (NodeId, &Node, u32),
        levels: &Levels,
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let route = &mut self.routes[id.0];
        if route.epoch == epoch && route.failing_over {
            route.failing_over = false;
            self.switch(now, (id, node), levels, obs);
            agenda.changed(id);
        }
    }

    /// Moves a customer to the first alternative that is up, preferring another one.
    fn switch<O: Observer>(
        &mut self,
        now: SimTime,
        (id, node): (NodeId, &Node),
        levels: &Levels,
        obs: &mut O,
    ) {
        let options = &node.needs_any;
        let route = &mut self.routes[id.0];
        let active = route.active;
        let up = |i: &usize| levels.get(options[*i]).health != Health::Down;
        let next = (0..options.len())
            .filter(|&i| i != active)
            .find(up)
            .or_else(|| Some(active).filter(up));
        route.stranded = next.is_none();
        if let Some(i) = next {
            if i != route.active {
                route.active = i;
                obs.observe(now, id, Change::FailedOver { to: options[i] });
            }
        }
    }
}
