//! One run: safeguards → timed removals → capacity check per cell → failure →
//! unavailability cascading through the dependency graph → ordered, parallelism-limited
//! restarts → validation → partial service → full recovery (then backlogs drain and
//! customers settle), until everything is back or the horizon is reached.

use rand::Rng;
use rand_distr::{Distribution, Hypergeometric};

use super::capacity::CapacityBack;
use super::data::Losses;
use super::restart::{Restarts, Window};
use super::sparse::Sparse;
use super::{Change, Event, EventQueue, Health, Observer, Phase};
use crate::model::{Backlog, CellAssignment, Model, NodeId, NodeKind, Subsystem};
use crate::safeguard::{Fates, Interventions, Step};
use crate::time::{SimDuration, SimTime};
use crate::typo::{Action, Selector};

/// A whole node's traffic, in millionths.
pub const FULL: u32 = 1_000_000;

/// Milliseconds of traffic not served during `d` at a served share of `served` millionths.
fn lost_ms(served: u32, d: SimDuration) -> u64 {
    (u128::from(FULL - served) * u128::from(d.as_millis()) / u128::from(FULL)) as u64
}

/// What one run did to one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeOutcome {
    /// Total time fully unavailable, up to the horizon.
    pub downtime: SimDuration,
    /// Traffic-weighted unavailability: the time integral of the share not served (equal to
    /// `downtime` for a node that is either fully up or fully down).
    pub lost_service: SimDuration,
    /// The smallest share of its traffic served at any time, in millionths.
    pub min_served: u32,
    /// When it first became fully unavailable.
    pub down_at: Option<SimTime>,
    /// When it first served again (partially or fully) after that.
    pub serving_at: Option<SimTime>,
    /// When it last became fully available after having lost traffic.
    pub recovered_at: Option<SimTime>,
    /// Its cascade depth: 1 if it lost traffic on its own, else one more than the deepest
    /// node it needs that lost traffic; 0 if it never lost any.
    pub depth: u32,
    /// Still fully unavailable when the run stopped at the horizon: `downtime` is then a
    /// lower bound (right-censored).
    pub still_down: bool,
    /// Still losing traffic when the run stopped at the horizon: `lost_service` is then a
    /// lower bound.
    pub still_losing: bool,
    /// For a subsystem: whether it lost servers, and when 50 %, 90 % and 100 % of them
    /// were back in service for good.
    pub capacity: CapacityBack,
}

impl NodeOutcome {
    /// Whether the node lost nothing in the run: every value of it is zero.
    pub fn lost_nothing(&self) -> bool {
        self.depth == 0
            && self.down_at.is_none()
            && self.downtime.as_millis() == 0
            && self.lost_service.as_millis() == 0
            && !self.still_down
            && !self.still_losing
    }
}

/// What one run did, in total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The count the tool read from the typed digits.
    pub count_typed: u64,
    /// Which servers the typed selector matched.
    pub selector: Option<Selector>,
    /// What the safeguards did.
    pub interventions: Interventions,
    /// Servers actually removed (the tool cannot remove more than there are).
    pub servers_removed: u64,
    /// Whether any service lost traffic (fully or in part).
    pub outage: bool,
    /// Whether any customer-facing (not internal) service lost traffic.
    pub facing_outage: bool,
    /// Whether any customer lost traffic.
    pub customer_outage: bool,
    /// The largest share of any service's traffic not served at some time, in millionths.
    pub blast_radius: u32,
    /// The deepest cascade depth of any node (0: nothing lost traffic).
    pub cascade_depth: u32,
    /// Time from the command until every node that lost traffic was fully available again;
    /// `None` if nothing did, or if something had not by the horizon.
    pub recovery: Option<SimDuration>,
    /// Whether the run stopped at the horizon with something not yet recovered.
    pub horizon_hit: bool,
    /// The data lost, as the time before the command back to the last backup: the longest
    /// window of any subsystem whose data a removal destroyed; `None` if none did.
    pub data_loss: Option<SimDuration>,
    /// Events processed.
    pub events: u64,
    /// Per node, indexed like [`Model::nodes`].
    pub nodes: Vec<NodeOutcome>,
    /// The nodes the run changed, each once, in the order first changed: every other
    /// node's outcome is as at the start (it lost nothing). What a run costs to read.
    pub touched: Vec<NodeId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StandbyState {
    Idle,
    Activating,
    Ready,
}

/// One cell of a subsystem during a run.
#[derive(Clone, Copy, Debug)]
struct CellState {
    phase: Phase,
    capacity: u64,
    epoch: u32,
    /// Servers removed since its last restart began (while it served partially): they do
    /// not come back when the restart completes.
    lost: u64,
    /// Whether, being down, it may begin its restart (`restart.begins_after` has passed).
    diagnosed: bool,
}

/// Mutable state of one node during a run.
#[derive(Clone, Copy, Debug)]
struct NodeState {
    health: Health,
    served: u32,
    /// Since when `served` has had its value (for lost-service accounting).
    since: SimTime,
    lost: u128,
    down_since: Option<SimTime>,
    standby: StandbyState,
    /// Drain and failover events carry this; a stale one is ignored.
    epoch: u32,
    /// Backlog of lost traffic, in milliseconds at the normal arrival rate.
    backlog: u64,
    /// Until when lost traffic has been added to `backlog`.
    backlog_at: SimTime,
    draining: Option<SimTime>,
    /// A subsystem's servers in service, in all its cells.
    in_service: u64,
    /// The customer's current alternative, as an index into `needs_any`.
    active: usize,
    failing_over: bool,
    /// Failed over with no alternative up: takes the first that comes back.
    stranded: bool,
}

/// A reusable simulator for one model: holds the per-run buffers so that a Monte Carlo
/// worker allocates once, not once a run.
pub struct Simulation<'m> {
    model: &'m Model,
    queue: EventQueue<Event>,
    state: Vec<NodeState>,
    cells: Vec<Vec<CellState>>,
    outcome: Outcome,
    /// What `state`, `cells` and `outcome.nodes` hold at the start of every run.
    initial: (Vec<NodeState>, Vec<Vec<CellState>>, Vec<NodeOutcome>),
    /// Whether some node's health may have changed since the last propagation.
    dirty: bool,
    /// The nodes this run touched, and those waiting to be propagated.
    sparse: Sparse,
    /// The nodes the last run touched, being reset.
    stale: Vec<NodeId>,
    /// Services with a backlog: each propagation moves those losing traffic along.
    backlogs: Vec<NodeId>,
    plan: Vec<(NodeId, u64)>,
    steps: Vec<Step>,
    split: Vec<u64>,
    /// When rebooted servers are back, in ms.
    back: Vec<u64>,
    restarts: Restarts,
    /// The data lost in this run.
    losses: Losses,
    typed: Vec<u8>,
}

impl<'m> Simulation<'m> {
    /// A simulator for `model`.
    pub fn new(model: &'m Model) -> Self {
        let state: Vec<NodeState> = model
            .nodes
            .iter()
            .map(|node| {
                let (health, served, standby) = match &node.kind {
                    NodeKind::Standby { .. } => (Health::Down, 0, StandbyState::Idle),
                    _ => (Health::Up, FULL, StandbyState::Ready),
                };
                let in_service = match &node.kind {
                    NodeKind::Subsystem(s) => s.servers,
                    _ => 0,
                };
                NodeState {
                    health,
                    served,
                    since: SimTime::ZERO,
                    lost: 0,
                    down_since: None,
                    standby,
                    epoch: 0,
                    backlog: 0,
                    backlog_at: SimTime::ZERO,
                    draining: None,
                    in_service,
                    active: 0,
                    failing_over: false,
                    stranded: false,
                }
            })
            .collect();
        let cells: Vec<Vec<CellState>> = model
            .nodes
            .iter()
            .map(|node| match &node.kind {
                NodeKind::Subsystem(s) => s
                    .cells
                    .iter()
                    .map(|c| CellState {
                        phase: Phase::Running,
                        capacity: c.servers,
                        epoch: 0,
                        lost: 0,
                        diagnosed: true,
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let nodes = vec![
            NodeOutcome {
                min_served: FULL,
                ..NodeOutcome::default()
            };
            model.nodes.len()
        ];
        let backlogs = model
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
        Simulation {
            model,
            queue: EventQueue::default(),
            state: state.clone(),
            cells: cells.clone(),
            outcome: Outcome {
                nodes: nodes.clone(),
                ..Outcome::default()
            },
            initial: (state, cells, nodes),
            dirty: false,
            sparse: Sparse::new(model.nodes.len()),
            stale: Vec::new(),
            backlogs,
            plan: Vec::new(),
            steps: Vec::new(),
            split: Vec::new(),
            back: Vec::new(),
            restarts: Restarts::default(),
            losses: Losses::default(),
            typed: Vec::new(),
        }
    }

    /// The digits typed in the last run drawn by [`Simulation::run_random`].
    pub fn typed_digits(&self) -> String {
        String::from_utf8_lossy(&self.typed).into_owned()
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

    /// Simulates the command with this typed `count` and `selector`; everything else random
    /// (what a pattern matches, whether safeguards work, delays, boot times) comes from `rng`.
    pub fn run_input<R: Rng + ?Sized, O: Observer>(
        &mut self,
        count: u64,
        selector: Selector,
        rng: &mut R,
        obs: &mut O,
    ) -> &Outcome {
        self.run_fated(count, selector, Fates::default(), rng, obs)
    }

    /// As [`Simulation::run_input`], with the safeguards' chance outcomes that `fates`
    /// fixes taken as given instead of drawn.
    pub fn run_fated<R: Rng + ?Sized, O: Observer>(
        &mut self,
        count: u64,
        selector: Selector,
        fates: Fates,
        rng: &mut R,
        obs: &mut O,
    ) -> &Outcome {
        self.reset(count, selector);
        let model = self.model;
        let command = &model.command;
        command.removal((count, fates.matched), selector, rng, &mut self.plan);
        let wrong = count != command.count || selector != Selector::Intended;
        let mut did = Interventions::default();
        let abort = command.safeguards.apply(
            model,
            &self.plan,
            (wrong, fates),
            rng,
            &mut self.steps,
            &mut did,
        );
        self.outcome.interventions = did;
        if did != Interventions::default() {
            obs.observe(SimTime::ZERO, command.target, Change::Safeguards(did));
        }
        for step in &self.steps {
            self.queue.push(
                step.at,
                Event::Remove {
                    node: step.node,
                    servers: step.servers,
                },
            );
        }
        if let Some(at) = abort {
            self.queue.push(at, Event::Abort);
        }
        let horizon = SimTime::ZERO + model.horizon;
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
                self.handle(now, event, rng, obs);
            }
            // Only a change of some node's health can change anything downstream.
            if std::mem::take(&mut self.dirty) {
                self.propagate(now, rng, obs);
            }
        }
        self.finish(now, horizon);
        &self.outcome
    }

    /// Back to the start, resetting only the nodes the last run touched.
    fn reset(&mut self, count: u64, selector: Selector) {
        self.queue.clear();
        self.sparse.clear(&mut self.stale);
        let (state, cells, nodes) = &self.initial;
        for &id in &self.stale {
            self.state[id.0] = state[id.0];
            self.cells[id.0].clone_from(&cells[id.0]);
            self.outcome.nodes[id.0].clone_from(&nodes[id.0]);
        }
        self.outcome = Outcome {
            count_typed: count,
            selector: Some(selector),
            nodes: std::mem::take(&mut self.outcome.nodes),
            touched: std::mem::take(&mut self.outcome.touched),
            ..Outcome::default()
        };
        self.outcome.touched.clear();
        self.dirty = false;
        self.restarts.reset();
        self.losses.clear();
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
        (node, cell): (NodeId, usize),
        to: Phase,
        capacity: u64,
        removed: u64,
        obs: &mut O,
    ) {
        let c = &mut self.cells[node.0][cell];
        let from = std::mem::replace(&mut c.phase, to);
        let before = std::mem::replace(&mut c.capacity, capacity);
        self.count_in_service(now, node, before, capacity);
        self.dirty |= from.health() != to.health();
        self.sparse.mark(self.model, node);
        let cell = (self.cells[node.0].len() > 1).then_some(cell as u32);
        obs.observe(
            now,
            node,
            Change::Phase {
                cell,
                from,
                to,
                capacity,
                removed,
            },
        );
    }

    /// A cell of subsystem `node` went from `before` to `after` servers in service.
    fn count_in_service(&mut self, now: SimTime, node: NodeId, before: u64, after: u64) {
        let Some(sub) = self.subsystem(node) else {
            return;
        };
        let st = &mut self.state[node.0];
        st.in_service = st.in_service - before + after;
        let out = &mut self.outcome.nodes[node.0].capacity;
        out.changed(st.in_service, sub.servers, now);
    }

    fn handle<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        event: Event,
        rng: &mut R,
        obs: &mut O,
    ) {
        match event {
            Event::Remove { node, servers } => self.remove(now, node, servers, rng, obs),
            Event::Abort => obs.observe(now, self.model.command.target, Change::Aborted),
            Event::Booted { node, cell, epoch } => {
                let Some(sub) = self.subsystem(node) else {
                    return;
                };
                let i = cell as usize;
                if self.cells[node.0][i].epoch != epoch {
                    return;
                }
                let spec = sub.cells[i];
                let window =
                    self.restarts
                        .validate(node, sub, (spec.servers, spec.serve_servers), now);
                self.schedule(now, (node, i), window, obs);
                self.set_phase(now, (node, i), Phase::Validating, 0, 0, obs);
                let partial = spec.serve_servers < spec.servers;
                self.finish_at(window, (node, cell, epoch), partial);
            }
            Event::Serve { node, cell, epoch } => {
                let Some(sub) = self.subsystem(node) else {
                    return;
                };
                if self.cells[node.0][cell as usize].epoch == epoch {
                    let serve = sub.cells[cell as usize].serve_servers;
                    self.set_phase(
                        now,
                        (node, cell as usize),
                        Phase::ServingPartially,
                        serve,
                        0,
                        obs,
                    );
                }
            }
            Event::Full { node, cell, epoch } => {
                let Some(sub) = self.subsystem(node) else {
                    return;
                };
                let c = self.cells[node.0][cell as usize];
                if c.epoch == epoch {
                    // Servers removed while it served partially stay removed.
                    let servers = sub.cells[cell as usize].servers - c.lost;
                    let to = if c.lost > 0 {
                        Phase::Degraded
                    } else {
                        Phase::Recovered
                    };
                    self.set_phase(now, (node, cell as usize), to, servers, 0, obs);
                }
            }
            Event::Rebooted { node, cell, epoch } => {
                let Some(sub) = self.subsystem(node) else {
                    return;
                };
                let i = cell as usize;
                let c = &mut self.cells[node.0][i];
                if c.epoch == epoch && c.phase == Phase::Degraded {
                    // Back one by one: the cell serves in full all along (it is above its
                    // minimum), so only its capacity changes until the last is back.
                    c.capacity += 1;
                    let capacity = c.capacity;
                    self.count_in_service(now, node, capacity - 1, capacity);
                    self.sparse.touch(node);
                    if capacity >= sub.cells[i].servers {
                        self.set_phase(now, (node, i), Phase::Recovered, capacity, 0, obs);
                    } else {
                        let cell = (sub.cells.len() > 1).then_some(cell);
                        obs.observe(now, node, Change::Capacity { cell, capacity });
                    }
                }
            }
            Event::Diagnosed { node, cell, epoch } => {
                let c = &mut self.cells[node.0][cell as usize];
                if c.epoch == epoch && c.phase == Phase::Down {
                    c.diagnosed = true;
                    self.sparse.mark(self.model, node);
                    self.dirty = true;
                }
            }
            Event::StandbyReady { node } => {
                self.state[node.0].standby = StandbyState::Ready;
                self.sparse.mark(self.model, node);
                self.dirty = true;
            }
            Event::Drained { node, epoch } => {
                let st = &mut self.state[node.0];
                if st.epoch == epoch && st.draining.is_some() {
                    st.backlog = 0;
                    st.draining = None;
                    self.sparse.mark(self.model, node);
                    self.dirty = true;
                }
            }
            Event::FailedOver { node, epoch } => {
                let st = &mut self.state[node.0];
                if st.epoch == epoch && st.failing_over {
                    st.failing_over = false;
                    self.switch(now, node, obs);
                    self.sparse.mark(self.model, node);
                    self.dirty = true;
                }
            }
        }
    }

    /// Removes `servers` servers of `node`, shared over its cells.
    fn remove<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        node: NodeId,
        servers: u64,
        rng: &mut R,
        obs: &mut O,
    ) {
        let Some(sub) = self.subsystem(node) else {
            return;
        };
        let cells = &self.cells[node.0];
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
        for i in 0..self.split.len() {
            let removed = self.split[i];
            if removed == 0 {
                continue;
            }
            self.outcome.servers_removed += removed;
            let c = self.cells[node.0][i];
            let spec = sub.cells[i];
            let left = c.capacity - removed;
            if left < spec.min_servers || left == 0 {
                // Below the minimum the whole cell stops; pending restart events are stale.
                self.cells[node.0][i].epoch += 1;
                self.set_phase(now, (node, i), Phase::Down, 0, removed, obs);
                let mut wait = sub.begins_after.as_ref().map(|d| d.sample(rng));
                if left == 0 && self.model.command.action == Action::Remove {
                    // No copy of the cell's data is left: restored from the last backup.
                    let cell = (node, i);
                    wait = self.losses.destroyed(cell, sub, (now, wait), rng, obs);
                }
                if let Some(d) = wait {
                    let until = now + d;
                    let c = &mut self.cells[node.0][i];
                    c.diagnosed = false;
                    let (cell, epoch) = (i as u32, c.epoch);
                    self.queue
                        .push(until, Event::Diagnosed { node, cell, epoch });
                    let cell = (sub.cells.len() > 1).then_some(cell);
                    obs.observe(now, node, Change::Diagnosing { cell, until });
                }
            } else {
                let reboot = self.model.command.action == Action::Reboot;
                let to = if c.phase == Phase::ServingPartially {
                    // Still restarting the rest: what it removed stays removed when it is
                    // done; what it rebooted comes back with the restart.
                    if !reboot {
                        self.cells[node.0][i].lost += removed;
                    }
                    c.phase
                } else {
                    Phase::Degraded
                };
                self.set_phase(now, (node, i), to, left, removed, obs);
                if reboot && to == Phase::Degraded {
                    // Each rebooted server is back after its own boot (or the crew's work).
                    let (cell, epoch) = (i as u32, self.cells[node.0][i].epoch);
                    let mut back = std::mem::take(&mut self.back);
                    self.restarts
                        .reboot(node, sub, (removed, now), rng, &mut back);
                    for &at in &back {
                        let at = SimTime::from_millis(at);
                        self.queue.push(at, Event::Rebooted { node, cell, epoch });
                    }
                    self.back = back;
                }
            }
        }
    }

    /// Recomputes, in dependency order, the health and served share of every node that
    /// changed or depends on one that did; activates standbys that are needed, moves
    /// backlogs and customers along, and begins the restarts whose `restart_after`
    /// dependencies now serve. Equivalent to a sweep over every node (see [`Sparse`]).
    fn propagate<R: Rng + ?Sized, O: Observer>(&mut self, now: SimTime, rng: &mut R, obs: &mut O) {
        let model = self.model;
        // A backlog grows with every propagation while its service loses traffic.
        for i in 0..self.backlogs.len() {
            let id = self.backlogs[i];
            if self.state[id.0].served < FULL {
                self.sparse.mark(model, id);
            }
        }
        while let Some(id) = self.sparse.next(model) {
            let node = model.node(id);
            let (own, own_served) = self.own(id);
            let mut health = own;
            let mut served = own_served;
            for d in &node.needs {
                health = health.min(self.state[d.0].health);
                served = served.min(self.state[d.0].served);
            }
            match &node.kind {
                NodeKind::Customer { .. } => {
                    self.steer(now, id, rng, obs);
                    let a = node.needs_any[self.state[id.0].active];
                    health = health.min(self.state[a.0].health);
                    served = served.min(self.state[a.0].served);
                }
                _ if !node.needs_any.is_empty() => {
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
                    served = served.min(
                        node.needs_any
                            .iter()
                            .map(|d| self.state[d.0].served)
                            .max()
                            .unwrap_or(0),
                    );
                }
                _ => {}
            }
            if let NodeKind::Service {
                backlog: Some(b), ..
            } = &node.kind
            {
                health = self.drain(now, id, b, health, served, obs);
            }
            let st = &self.state[id.0];
            if health != st.health || served != st.served {
                self.set_health(now, id, health, served, own_served, obs);
                for d in model.graph.dependents(id) {
                    self.sparse.mark(model, d);
                }
            }
            if !self.cells[id.0].is_empty()
                && node
                    .restart_after
                    .iter()
                    .all(|d| self.state[d.0].health != Health::Down)
            {
                self.begin_restarts(now, id, rng, obs);
            }
        }
    }

    /// A node's health and served share on its own account, before what it needs.
    fn own(&self, id: NodeId) -> (Health, u32) {
        match &self.model.node(id).kind {
            NodeKind::Subsystem(_) => {
                let cells = &self.cells[id.0];
                let serving = cells
                    .iter()
                    .filter(|c| c.phase.health() != Health::Down)
                    .count();
                let served = (serving as u64 * u64::from(FULL) / cells.len() as u64) as u32;
                let health = if serving == 0 {
                    Health::Down
                } else if cells.iter().all(|c| c.phase.health() == Health::Up) {
                    Health::Up
                } else {
                    Health::Partial
                };
                (health, served)
            }
            NodeKind::Standby { .. } if self.state[id.0].standby != StandbyState::Ready => {
                (Health::Down, 0)
            }
            _ => (Health::Up, FULL),
        }
    }

    fn activate_standbys<O: Observer>(&mut self, now: SimTime, options: &[NodeId], obs: &mut O) {
        for &d in options {
            if let NodeKind::Standby { activation } = self.model.node(d).kind {
                if self.state[d.0].standby == StandbyState::Idle {
                    self.sparse.touch(d);
                    self.state[d.0].standby = StandbyState::Activating;
                    self.queue
                        .push(now + activation, Event::StandbyReady { node: d });
                    obs.observe(now, d, Change::Activating);
                }
            }
        }
    }

    /// A backlog grows with the traffic lost (all of it while unavailable, a share while
    /// partly served) and drains, with the spare capacity, once the service serves all its
    /// traffic again: until then it is only partially available.
    fn drain<O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        b: &Backlog,
        health: Health,
        served: u32,
        obs: &mut O,
    ) -> Health {
        // `served` changes only here, in propagation, so the old share held since `backlog_at`.
        let st = &mut self.state[id.0];
        st.backlog = st
            .backlog
            .saturating_add(lost_ms(st.served, now - st.backlog_at));
        st.backlog_at = now;
        match st.draining {
            Some(start) if served < FULL => {
                // Losing traffic again while draining: what was drained so far is gone.
                let drained = ((now - start).as_millis() as f64 * b.headroom) as u64;
                st.backlog = st.backlog.saturating_sub(drained);
                st.draining = None;
                st.epoch += 1;
            }
            None if served == FULL && st.backlog > 0 => {
                st.draining = Some(now);
                st.epoch += 1;
                // At least a millisecond, so that a drain always moves time forward.
                let take = SimDuration::from_secs_f64(st.backlog as f64 / 1000.0 / b.headroom);
                let until = now + take.max(SimDuration::from_millis(1));
                self.queue.push(
                    until,
                    Event::Drained {
                        node: id,
                        epoch: st.epoch,
                    },
                );
                obs.observe(now, id, Change::Draining { until });
            }
            _ => {}
        }
        if st.backlog > 0 {
            health.min(Health::Partial)
        } else {
            health
        }
    }

    /// A customer whose alternative is down starts failing over; one whose alternative came
    /// back before the switch stays; a stranded one takes the first alternative that is up.
    fn steer<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        rng: &mut R,
        obs: &mut O,
    ) {
        let node = self.model.node(id);
        let NodeKind::Customer { failover } = &node.kind else {
            return;
        };
        let st = &self.state[id.0];
        let active_down = self.state[node.needs_any[st.active].0].health == Health::Down;
        if st.stranded {
            self.switch(now, id, obs);
        } else if active_down && !st.failing_over && node.needs_any.len() > 1 {
            let delay = failover.detection.sample(rng) + failover.switch.sample(rng);
            let st = &mut self.state[id.0];
            st.failing_over = true;
            st.epoch += 1;
            self.queue.push(
                now + delay,
                Event::FailedOver {
                    node: id,
                    epoch: st.epoch,
                },
            );
            obs.observe(now, id, Change::FailingOver);
        } else if !active_down && st.failing_over {
            let st = &mut self.state[id.0];
            st.failing_over = false;
            st.epoch += 1;
        }
    }

    /// Moves a customer to the first alternative that is up, preferring another one.
    fn switch<O: Observer>(&mut self, now: SimTime, id: NodeId, obs: &mut O) {
        let options = &self.model.node(id).needs_any;
        let active = self.state[id.0].active;
        let up = |i: &usize| self.state[options[*i].0].health != Health::Down;
        let next = (0..options.len())
            .filter(|&i| i != active)
            .find(up)
            .or_else(|| Some(active).filter(up));
        let st = &mut self.state[id.0];
        st.stranded = next.is_none();
        if let Some(i) = next {
            if i != st.active {
                st.active = i;
                obs.observe(now, id, Change::FailedOver { to: options[i] });
            }
        }
    }

    fn set_health<O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        to: Health,
        served: u32,
        own_served: u32,
        obs: &mut O,
    ) {
        let node = self.model.node(id);
        let st = &mut self.state[id.0];
        st.lost += u128::from(FULL - st.served) * u128::from((now - st.since).as_millis());
        st.since = now;
        let old_served = std::mem::replace(&mut st.served, served);
        let from = std::mem::replace(&mut st.health, to);
        if from != to || old_served != served {
            obs.observe(now, id, Change::Health { from, to, served });
        }
        if matches!(node.kind, NodeKind::Standby { .. }) {
            return; // a standby's idle time is not downtime
        }
        let losing = served < FULL;
        if losing && self.outcome.nodes[id.0].depth == 0 {
            let depth = if own_served < FULL {
                1
            } else {
                let deps = node.needs.iter().chain(&node.needs_any);
                let deepest = deps
                    .filter(|d| self.state[d.0].served < FULL)
                    .map(|d| self.outcome.nodes[d.0].depth)
                    .max();
                deepest.unwrap_or(0) + 1
            };
            self.outcome.nodes[id.0].depth = depth;
        }
        let out = &mut self.outcome.nodes[id.0];
        out.min_served = out.min_served.min(served);
        if losing {
            match node.kind {
                NodeKind::Service { internal, .. } => {
                    self.outcome.outage = true;
                    self.outcome.facing_outage |= !internal;
                }
                NodeKind::Customer { .. } => self.outcome.customer_outage = true,
                _ => {}
            }
        }
        let st = &mut self.state[id.0];
        if to == Health::Down && from != Health::Down {
            st.down_since = Some(now);
            out.down_at.get_or_insert(now);
        } else if from == Health::Down && to != Health::Down {
            if let Some(since) = st.down_since.take() {
                out.downtime += now - since;
                out.serving_at.get_or_insert(now);
            }
        }
        if out.depth > 0 {
            out.recovered_at = (to == Health::Up && !losing).then_some(now);
        }
    }

    /// Begins the cold restart of every stopped cell of `id`, in cell order, on the
    /// subsystem's one restart budget (first come, first served: see [`Restarts`]).
    fn begin_restarts<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        rng: &mut R,
        obs: &mut O,
    ) {
        let Some(sub) = self.subsystem(id) else {
            return;
        };
        for i in 0..self.cells[id.0].len() {
            let c = self.cells[id.0][i];
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
            self.schedule(now, (id, i), window, obs);
            self.set_phase(now, (id, i), Phase::Restarting, 0, 0, obs);
            let c = &mut self.cells[id.0][i];
            c.lost = 0;
            let (epoch, cell) = (c.epoch, i as u32);
            if sub.validation.is_some() {
                let booted = Event::Booted {
                    node: id,
                    cell,
                    epoch,
                };
                self.queue.push(window.end, booted);
            } else {
                self.finish_at(window, (id, cell, epoch), spec.serve_servers < spec.servers);
            }
        }
    }

    /// Tells the observer when a cell's booting or validating will run.
    fn schedule<O: Observer>(
        &mut self,
        now: SimTime,
        (id, i): (NodeId, usize),
        window: Window,
        obs: &mut O,
    ) {
        let cells = self.cells[id.0].len();
        let cell = (cells > 1).then_some(i as u32);
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
    fn finish_at(&mut self, window: Window, (node, cell, epoch): (NodeId, u32, u32), serve: bool) {
        if serve {
            self.queue
                .push(window.serve, Event::Serve { node, cell, epoch });
        }
        self.queue
            .push(window.end, Event::Full { node, cell, epoch });
    }

    fn finish(&mut self, now: SimTime, horizon: SimTime) {
        self.outcome.data_loss = self.losses.longest();
        self.outcome
            .touched
            .extend_from_slice(self.sparse.touched());
        // A node the run did not touch is as it started: up, and never lost traffic.
        let model = self.model;
        let reported = |id: &NodeId| !matches!(model.node(*id).kind, NodeKind::Standby { .. });
        let touched = std::mem::take(&mut self.outcome.touched);
        if touched.iter().all(|id| self.outcome.nodes[id.0].depth == 0) {
            self.outcome.touched = touched;
            return; // nothing lost traffic: the outcome is as reset left it
        }
        // With nothing left to happen, a node still losing traffic never recovers: it stays
        // so until the horizon.
        let stuck = touched
            .iter()
            .filter(|id| reported(id))
            .any(|id| self.state[id.0].served < FULL);
        let end = if self.queue.is_empty() && !stuck {
            now
        } else {
            horizon
        };
        let mut all_back = true;
        let mut latest = SimTime::ZERO;
        let mut any_lost = false;
        for &id in touched.iter().filter(|id| reported(id)) {
            let st = &mut self.state[id.0];
            let out = &mut self.outcome.nodes[id.0];
            if let Some(since) = st.down_since.take() {
                out.downtime += end - since;
                out.still_down = true;
            }
            out.still_losing = st.served < FULL;
            st.lost += u128::from(FULL - st.served) * u128::from((end - st.since).as_millis());
            out.lost_service = SimDuration::from_millis((st.lost / u128::from(FULL)) as u64);
            if out.depth > 0 {
                any_lost = true;
                match out.recovered_at {
                    Some(t) => latest = latest.max(t),
                    None => all_back = false,
                }
            }
            if matches!(self.model.node(id).kind, NodeKind::Service { .. }) {
                self.outcome.blast_radius = self.outcome.blast_radius.max(FULL - out.min_served);
            }
            self.outcome.cascade_depth = self.outcome.cascade_depth.max(out.depth);
        }
        self.outcome.touched = touched;
        self.outcome.horizon_hit = any_lost && !all_back;
        self.outcome.recovery = (any_lost && all_back).then(|| latest.since_start());
    }
}
