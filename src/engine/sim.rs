//! One run: removal → capacity check → failure → unavailability cascading through the
//! dependency graph → ordered, parallelism-limited restarts → validation → partial
//! service → full recovery, until everything is back or the horizon is reached.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;

use super::{Change, Event, EventQueue, Health, Observer, Phase};
use crate::model::{Model, NodeId, NodeKind, Subsystem};
use crate::time::{SimDuration, SimTime};
use crate::typo::Selector;

/// What one run did to one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeOutcome {
    /// Total time unavailable, up to the horizon.
    pub downtime: SimDuration,
    /// When it first became unavailable.
    pub down_at: Option<SimTime>,
    /// When it first served again (partially or fully) after that.
    pub serving_at: Option<SimTime>,
    /// When it last became fully available after having been unavailable.
    pub recovered_at: Option<SimTime>,
    /// Its cascade depth: 1 if it failed on its own, else one more than the deepest
    /// unavailable node it needs; 0 if it never became unavailable.
    pub depth: u32,
}

/// What one run did, in total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The count the tool read from the typed digits.
    pub count_typed: u64,
    /// Which servers the typed selector matched.
    pub selector: Option<Selector>,
    /// Servers actually removed (the tool cannot remove more than there are).
    pub servers_removed: u64,
    /// Whether any service became unavailable.
    pub outage: bool,
    /// The deepest cascade depth of any node (0: nothing became unavailable).
    pub cascade_depth: u32,
    /// Time from the command until every node that became unavailable was fully
    /// available again; `None` if nothing did, or if something had not by the horizon.
    pub recovery: Option<SimDuration>,
    /// Whether the run stopped at the horizon with something not yet recovered.
    pub horizon_hit: bool,
    /// Events processed.
    pub events: u64,
    /// Per node, indexed like [`Model::nodes`].
    pub nodes: Vec<NodeOutcome>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StandbyState {
    Idle,
    Activating,
    Ready,
}

/// Mutable state of one node during a run.
#[derive(Clone, Debug)]
struct NodeState {
    phase: Phase,
    capacity: u64,
    epoch: u32,
    health: Health,
    standby: StandbyState,
    down_since: Option<SimTime>,
}

/// A reusable simulator for one model: holds the per-run buffers so that a Monte Carlo
/// worker allocates once, not once a run.
pub struct Simulation<'m> {
    model: &'m Model,
    queue: EventQueue<Event>,
    state: Vec<NodeState>,
    outcome: Outcome,
    removal: Vec<(NodeId, u64)>,
    slots: BinaryHeap<Reverse<u64>>,
    finishes: Vec<u64>,
    typed: Vec<u8>,
}

impl<'m> Simulation<'m> {
    /// A simulator for `model`.
    pub fn new(model: &'m Model) -> Self {
        Simulation {
            model,
            queue: EventQueue::default(),
            state: Vec::with_capacity(model.nodes.len()),
            outcome: Outcome::default(),
            removal: Vec::new(),
            slots: BinaryHeap::new(),
            finishes: Vec::new(),
            typed: Vec::new(),
        }
    }

    /// One Monte Carlo run: draws the typed input from `rng`, then simulates it.
    pub fn run_random<R: Rng + ?Sized, O: Observer>(
        &mut self,
        rng: &mut R,
        obs: &mut O,
    ) -> &Outcome {
        let (count, selector) = self.model.command.draw(rng, &mut self.typed);
        self.run_input(count, selector, rng, obs)
    }

    /// Simulates the command with this typed `count` and `selector`; boot times come from `rng`.
    pub fn run_input<R: Rng + ?Sized, O: Observer>(
        &mut self,
        count: u64,
        selector: Selector,
        rng: &mut R,
        obs: &mut O,
    ) -> &Outcome {
        self.reset(count, selector);
        self.model
            .command
            .removal(count, selector, rng, &mut self.removal);
        for &(node, servers) in &self.removal {
            self.queue
                .push(SimTime::ZERO, Event::Remove { node, servers });
        }
        let horizon = SimTime::ZERO + self.model.horizon;
        let mut now = SimTime::ZERO;
        while let Some(time) = self.queue.peek_time() {
            if time > horizon {
                break;
            }
            // Everything that happens at one instant happens before its consequences are
            // propagated: a removal that hits two subsystems at once hits both first.
            now = time;
            while self.queue.peek_time() == Some(now) {
                let Some((_, event)) = self.queue.pop() else {
                    break;
                };
                self.outcome.events += 1;
                self.handle(now, event, obs);
            }
            self.propagate(now, rng, obs);
        }
        self.finish(now, horizon);
        &self.outcome
    }

    fn reset(&mut self, count: u64, selector: Selector) {
        self.queue.clear();
        self.state.clear();
        for node in &self.model.nodes {
            let (capacity, health, standby) = match &node.kind {
                NodeKind::Subsystem(s) => (s.servers, Health::Up, StandbyState::Ready),
                NodeKind::Service => (0, Health::Up, StandbyState::Ready),
                NodeKind::Standby { .. } => (0, Health::Down, StandbyState::Idle),
            };
            self.state.push(NodeState {
                phase: Phase::Running,
                capacity,
                epoch: 0,
                health,
                standby,
                down_since: None,
            });
        }
        let nodes = std::mem::take(&mut self.outcome.nodes);
        self.outcome = Outcome {
            count_typed: count,
            selector: Some(selector),
            nodes,
            ..Outcome::default()
        };
        self.outcome.nodes.clear();
        self.outcome
            .nodes
            .resize(self.model.nodes.len(), NodeOutcome::default());
    }

    fn subsystem(&self, node: NodeId) -> Option<&'m Subsystem> {
        match &self.model.node(node).kind {
            NodeKind::Subsystem(s) => Some(s),
            _ => None,
        }
    }

    fn set_phase<O: Observer>(
        &mut self,
        now: SimTime,
        node: NodeId,
        to: Phase,
        capacity: u64,
        removed: u64,
        obs: &mut O,
    ) {
        let st = &mut self.state[node.0];
        let from = st.phase;
        st.phase = to;
        st.capacity = capacity;
        obs.observe(
            now,
            node,
            Change::Phase {
                from,
                to,
                capacity,
                removed,
            },
        );
    }

    fn handle<O: Observer>(&mut self, now: SimTime, event: Event, obs: &mut O) {
        match event {
            Event::Remove { node, servers } => self.remove(now, node, servers, obs),
            Event::Booted { node, epoch } => {
                let Some(sub) = self.subsystem(node) else {
                    return;
                };
                if self.state[node.0].epoch != epoch {
                    return;
                }
                self.set_phase(now, node, Phase::Validating, 0, 0, obs);
                let validation = sub
                    .validation
                    .as_ref()
                    .map_or(SimDuration::ZERO, |v| v.duration);
                if sub.serve_servers < sub.servers {
                    let serve = validation.mul_div(sub.serve_servers, sub.servers);
                    self.queue.push(now + serve, Event::Serve { node, epoch });
                }
                self.queue
                    .push(now + validation, Event::Full { node, epoch });
            }
            Event::Serve { node, epoch } => {
                let Some(sub) = self.subsystem(node) else {
                    return;
                };
                if self.state[node.0].epoch == epoch {
                    self.set_phase(
                        now,
                        node,
                        Phase::ServingPartially,
                        sub.serve_servers,
                        0,
                        obs,
                    );
                }
            }
            Event::Full { node, epoch } => {
                let Some(sub) = self.subsystem(node) else {
                    return;
                };
                if self.state[node.0].epoch == epoch {
                    self.set_phase(now, node, Phase::Recovered, sub.servers, 0, obs);
                }
            }
            Event::StandbyReady { node } => self.state[node.0].standby = StandbyState::Ready,
        }
    }

    fn remove<O: Observer>(&mut self, now: SimTime, node: NodeId, servers: u64, obs: &mut O) {
        let Some(sub) = self.subsystem(node) else {
            return;
        };
        let st = &self.state[node.0];
        if st.phase.health() == Health::Down {
            return; // nothing in service to remove
        }
        let removed = servers.min(st.capacity);
        if removed == 0 {
            return;
        }
        self.outcome.servers_removed += removed;
        let left = st.capacity - removed;
        if left < sub.min_servers || left == 0 {
            // Below the minimum the whole subsystem stops; pending restart events are stale.
            self.state[node.0].epoch += 1;
            self.set_phase(now, node, Phase::Down, 0, removed, obs);
        } else {
            let to = match st.phase {
                Phase::ServingPartially => Phase::ServingPartially,
                _ => Phase::Degraded,
            };
            self.set_phase(now, node, to, left, removed, obs);
        }
    }

    /// Recomputes every node's health in dependency order, activates standbys that are
    /// needed, and begins the restarts whose `restart_after` dependencies now serve.
    fn propagate<R: Rng + ?Sized, O: Observer>(&mut self, now: SimTime, rng: &mut R, obs: &mut O) {
        let model = self.model;
        for &id in model.graph.order() {
            let node = model.node(id);
            let own = match &node.kind {
                NodeKind::Subsystem(_) => self.state[id.0].phase.health(),
                NodeKind::Service => Health::Up,
                NodeKind::Standby { .. } => match self.state[id.0].standby {
                    StandbyState::Ready => Health::Up,
                    _ => Health::Down,
                },
            };
            let mut health = node
                .needs
                .iter()
                .map(|d| self.state[d.0].health)
                .fold(own, Ord::min);
            if !node.needs_any.is_empty() {
                let best = node
                    .needs_any
                    .iter()
                    .map(|d| self.state[d.0].health)
                    .max()
                    .unwrap_or(Health::Down);
                if best == Health::Down {
                    self.activate_standbys(now, &node.needs_any, obs);
                }
                health = health.min(best);
            }
            if health != self.state[id.0].health {
                self.set_health(now, id, health, own, obs);
            }
            if self.state[id.0].phase == Phase::Down
                && node
                    .restart_after
                    .iter()
                    .all(|d| self.state[d.0].health != Health::Down)
            {
                self.begin_restart(now, id, rng, obs);
            }
        }
    }

    fn activate_standbys<O: Observer>(&mut self, now: SimTime, options: &[NodeId], obs: &mut O) {
        for &d in options {
            if let NodeKind::Standby { activation } = self.model.node(d).kind {
                if self.state[d.0].standby == StandbyState::Idle {
                    self.state[d.0].standby = StandbyState::Activating;
                    self.queue
                        .push(now + activation, Event::StandbyReady { node: d });
                    obs.observe(now, d, Change::Activating);
                }
            }
        }
    }

    fn set_health<O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        to: Health,
        own: Health,
        obs: &mut O,
    ) {
        let from = std::mem::replace(&mut self.state[id.0].health, to);
        obs.observe(now, id, Change::Health { from, to });
        let node = self.model.node(id);
        if matches!(node.kind, NodeKind::Standby { .. }) {
            return; // a standby's idle time is not downtime
        }
        if to == Health::Down {
            self.state[id.0].down_since = Some(now);
            let depth = if own == Health::Down {
                1
            } else {
                let deps = node.needs.iter().chain(&node.needs_any);
                let deepest = deps
                    .filter(|d| self.state[d.0].health == Health::Down)
                    .map(|d| self.outcome.nodes[d.0].depth)
                    .max()
                    .unwrap_or(0);
                deepest + 1
            };
            let out = &mut self.outcome.nodes[id.0];
            if out.down_at.is_none() {
                out.down_at = Some(now);
                out.depth = depth;
            }
            if matches!(node.kind, NodeKind::Service) {
                self.outcome.outage = true;
            }
        } else if from == Health::Down {
            if let Some(since) = self.state[id.0].down_since.take() {
                let out = &mut self.outcome.nodes[id.0];
                out.downtime += now - since;
                out.serving_at.get_or_insert(now);
            }
        }
        let out = &mut self.outcome.nodes[id.0];
        if out.down_at.is_some() {
            out.recovered_at = (to == Health::Up).then_some(now);
        }
    }

    /// Starts the cold restart of every server of `id` and schedules its milestones.
    fn begin_restart<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        rng: &mut R,
        obs: &mut O,
    ) {
        let Some(sub) = self.subsystem(id) else {
            return;
        };
        self.set_phase(now, id, Phase::Restarting, 0, 0, obs);
        let epoch = self.state[id.0].epoch;
        let node = id;
        if sub.validation.is_some() {
            let makespan = self.boot_all(sub, None, rng).1;
            self.queue
                .push(now + makespan, Event::Booted { node, epoch });
        } else {
            // Without validation, servers serve as soon as they have booted.
            let partial = sub.serve_servers < sub.servers;
            let (serve, full) = self.boot_all(sub, partial.then_some(sub.serve_servers), rng);
            if partial {
                self.queue.push(now + serve, Event::Serve { node, epoch });
            }
            self.queue.push(now + full, Event::Full { node, epoch });
        }
    }

    /// Boots all servers of `sub`, at most `parallelism` at a time, each starting on the
    /// first free slot (list scheduling). Returns when the `kth` server finished (if asked)
    /// and when the last did.
    fn boot_all<R: Rng + ?Sized>(
        &mut self,
        sub: &Subsystem,
        kth: Option<u64>,
        rng: &mut R,
    ) -> (SimDuration, SimDuration) {
        let n = sub.servers;
        let p = sub.parallelism.min(n);
        self.slots.clear();
        self.finishes.clear();
        let mut last = 0u64;
        for i in 0..n {
            let start = if i < p {
                0
            } else {
                self.slots.pop().map_or(0, |Reverse(t)| t)
            };
            let done = start.saturating_add(sub.boot.sample(rng).as_millis());
            if p < n {
                self.slots.push(Reverse(done));
            }
            if kth.is_some() {
                self.finishes.push(done);
            }
            last = last.max(done);
        }
        let at_kth = match kth {
            Some(k) if k >= 1 => {
                let k = (k as usize).min(self.finishes.len()) - 1;
                *self.finishes.select_nth_unstable(k).1
            }
            _ => last,
        };
        (
            SimDuration::from_millis(at_kth),
            SimDuration::from_millis(last),
        )
    }

    fn finish(&mut self, now: SimTime, horizon: SimTime) {
        let end = if self.queue.is_empty() { now } else { horizon };
        let mut all_back = true;
        let mut latest = SimTime::ZERO;
        let mut any_down = false;
        for (id, _) in self.model.reported() {
            let st = &mut self.state[id.0];
            let out = &mut self.outcome.nodes[id.0];
            if let Some(since) = st.down_since.take() {
                out.downtime += end - since;
            }
            if out.down_at.is_some() {
                any_down = true;
                match out.recovered_at {
                    Some(t) => latest = latest.max(t),
                    None => all_back = false,
                }
            }
            self.outcome.cascade_depth = self.outcome.cascade_depth.max(out.depth);
        }
        self.outcome.horizon_hit = any_down && !all_back;
        self.outcome.recovery = (any_down && all_back).then(|| latest.since_start());
    }
}
