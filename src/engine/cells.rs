//! The subsystems' cells, each a state machine ([`Phase`]), and each subsystem's servers in
//! service (the sum of its cells', recorded as [`CapacityBack`]). Every phase change goes
//! through [`Cells::set_phase`], which counts the servers, marks the subsystem for
//! propagation and tells the observer. The steps that need no restart budget are here too: a
//! cell serving again, whole again, a rebooted server back, a diagnosis over. What takes a
//! cell down is the removal's; when its restart runs is the recovery's.

use super::agenda::Agenda;
use super::capacity::CapacityBack;
use super::levels::{Level, FULL};
use super::{Change, Event, Health, NodeOutcome, Observer, Phase};
use crate::model::{Model, Node, NodeId, NodeKind, Subsystem};
use crate::time::SimTime;

/// One cell of a subsystem during a run.
#[derive(Clone, Copy, Debug)]
pub(super) struct CellState {
    /// Where it is in its life.
    pub phase: Phase,
    /// Servers in service.
    pub capacity: u64,
    /// Events of the cell carry this; a stale one is ignored.
    pub epoch: u32,
    /// Servers removed since its last restart began (while it served partially): they do
    /// not come back when the restart completes.
    pub lost: u64,
    /// Whether, being down, it may begin its restart (`restart.begins_after` has passed).
    pub diagnosed: bool,
}

/// A subsystem's servers in service, in all its cells, and their return.
#[derive(Clone, Copy, Debug)]
struct Fleet {
    in_service: u64,
    back: CapacityBack,
}

/// A node's cells at the start of a run (none unless a subsystem).
fn start_cells(node: &Node) -> impl Iterator<Item = CellState> + '_ {
    let cells = match &node.kind {
        NodeKind::Subsystem(s) => &s.cells[..],
        _ => &[],
    };
    cells.iter().map(|c| CellState {
        phase: Phase::Running,
        capacity: c.servers,
        epoch: 0,
        lost: 0,
        diagnosed: true,
    })
}

/// A node's servers in service at the start of a run: all of a subsystem's, none else.
fn start_fleet(node: &Node) -> Fleet {
    Fleet {
        in_service: match &node.kind {
            NodeKind::Subsystem(s) => s.servers,
            _ => 0,
        },
        back: CapacityBack::START,
    }
}

/// Every subsystem's cells during a run (no cells for other nodes).
pub(super) struct Cells<'m> {
    model: &'m Model,
    /// Every subsystem's cells, one after the other: those of node `i` are
    /// `cells[cells_at[i]..cells_at[i + 1]]` (one block, not a list per node: a worker on
    /// 100,000 subsystems made 100,000 of them).
    cells: Vec<CellState>,
    cells_at: Vec<usize>,
    fleets: Vec<Fleet>,
    /// The subsystems whose cells changed since the start of the run, each once: what
    /// [`Cells::reset`] puts back. In a cascade these are the few that lost servers, not
    /// the many that lost what they need.
    changed: Vec<NodeId>,
    /// Per node, whether it is in `changed`.
    is_changed: Vec<bool>,
}

impl<'m> Cells<'m> {
    /// Every cell of `model` running at full capacity.
    pub fn new(model: &'m Model) -> Self {
        let mut cells = Vec::new();
        let mut cells_at = Vec::with_capacity(model.nodes.len() + 1);
        for node in &model.nodes {
            cells_at.push(cells.len());
            cells.extend(start_cells(node));
        }
        cells_at.push(cells.len());
        Cells {
            model,
            cells,
            cells_at,
            fleets: model.nodes.iter().map(start_fleet).collect(),
            changed: Vec::new(),
            is_changed: vec![false; model.nodes.len()],
        }
    }

    /// Puts every subsystem whose cells changed in the last run back as at the start of a
    /// run: from the model, not from a copy of the start kept per simulator (a worker on
    /// 100,000 nodes held tens of MB of such copies).
    pub fn reset(&mut self) {
        while let Some(id) = self.changed.pop() {
            self.is_changed[id.0] = false;
            let node = self.model.node(id);
            let range = self.range(id);
            for (cell, start) in self.cells[range].iter_mut().zip(start_cells(node)) {
                *cell = start;
            }
            self.fleets[id.0] = start_fleet(node);
        }
    }

    /// The cells of `node`, to change: it is reset after the run.
    #[inline]
    fn change(&mut self, node: NodeId) -> &mut [CellState] {
        if !self.is_changed[node.0] {
            self.is_changed[node.0] = true;
            self.changed.push(node);
        }
        let range = self.range(node);
        &mut self.cells[range]
    }

    /// Where the cells of `node` are in `cells`.
    #[inline]
    fn range(&self, node: NodeId) -> std::ops::Range<usize> {
        self.cells_at[node.0]..self.cells_at[node.0 + 1]
    }

    /// The subsystem `node` is, if it is one.
    #[inline]
    pub fn subsystem(&self, node: NodeId) -> Option<&'m Subsystem> {
        match &self.model.node(node).kind {
            NodeKind::Subsystem(s) => Some(s),
            _ => None,
        }
    }

    /// The cells of `node` (none for a node that is not a subsystem).
    #[inline]
    pub fn of(&self, node: NodeId) -> &[CellState] {
        &self.cells[self.range(node)]
    }

    /// The subsystem `node` is and the state of its cell `cell`, if an event of the cell's
    /// `epoch` is not stale.
    #[inline]
    pub fn current(
        &self,
        (node, cell, epoch): (NodeId, u32, u32),
    ) -> Option<(&'m Subsystem, CellState)> {
        let sub = self.subsystem(node)?;
        let c = self.of(node)[cell as usize];
        (c.epoch == epoch).then_some((sub, c))
    }

    /// Cell `i` of `node`, to change other than its phase and capacity.
    #[inline]
    pub fn get_mut(&mut self, node: NodeId, i: usize) -> &mut CellState {
        &mut self.change(node)[i]
    }

    /// How the observer names cell `i` of `node`: by number only in a subsystem of cells.
    #[inline]
    pub fn name(&self, node: NodeId, i: usize) -> Option<u32> {
        (self.of(node).len() > 1).then_some(i as u32)
    }

    /// A subsystem's level on its own account: the share of its cells serving.
    pub fn own(&self, id: NodeId) -> Level {
        let cells = self.of(id);
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
        Level { health, served }
    }

    /// Cell `cell` of `node` goes to phase `to` with `capacity` servers in service, the
    /// event having removed `removed`.
    pub fn set_phase<O: Observer>(
        &mut self,
        now: SimTime,
        (node, cell): (NodeId, usize),
        to: Phase,
        (capacity, removed): (u64, u64),
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let c = &mut self.change(node)[cell];
        let from = std::mem::replace(&mut c.phase, to);
        let before = std::mem::replace(&mut c.capacity, capacity);
        self.count_in_service(now, node, before, capacity);
        if from.health() != to.health() {
            agenda.changed(node);
        } else {
            agenda.mark(node);
        }
        let cell = self.name(node, cell);
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

    /// A cell of subsystem `node` went from `before` to `after` servers in service (the
    /// caller changed that cell through [`Cells::change`], so the fleet is reset too).
    fn count_in_service(&mut self, now: SimTime, node: NodeId, before: u64, after: u64) {
        let Some(sub) = self.subsystem(node) else {
            return;
        };
        let fleet = &mut self.fleets[node.0];
        fleet.in_service = fleet.in_service - before + after;
        fleet.back.changed(fleet.in_service, sub.servers, now);
    }

    /// Copies the capacity over time of each of the `touched` nodes whose cells changed
    /// into its outcome (the others' is as at the start, as their outcome's was reset).
    #[inline]
    pub fn record(&self, touched: &[NodeId], nodes: &mut [NodeOutcome]) {
        for &id in touched {
            if self.is_changed[id.0] {
                nodes[id.0].capacity = self.fleets[id.0].back;
            }
        }
    }

    /// A cell that went down at `now` may begin its cold restart at `until`, once diagnosed
    /// (and restored).
    #[inline]
    pub fn wait<O: Observer>(
        &mut self,
        now: SimTime,
        (node, i): (NodeId, usize),
        until: SimTime,
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let c = &mut self.change(node)[i];
        c.diagnosed = false;
        let (cell, epoch) = (i as u32, c.epoch);
        agenda.at(until, Event::Diagnosed { node, cell, epoch });
        let cell = self.name(node, i);
        obs.observe(now, node, Change::Diagnosing { cell, until });
    }

    /// A down cell's diagnosis is over: it may begin its restart.
    #[inline]
    pub fn diagnosed(&mut self, (node, cell, epoch): (NodeId, u32, u32), agenda: &mut Agenda) {
        let c = &mut self.change(node)[cell as usize];
        if c.epoch == epoch && c.phase == Phase::Down {
            c.diagnosed = true;
            agenda.changed(node);
        }
    }

    /// Enough of a restarting cell is back to serve: its `serve_at` share.
    #[inline]
    pub fn serve<O: Observer>(
        &mut self,
        now: SimTime,
        (node, cell, epoch): (NodeId, u32, u32),
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        if let Some((sub, _)) = self.current((node, cell, epoch)) {
            let serve = sub.cells[cell as usize].serve_servers;
            let to = Phase::ServingPartially;
            self.set_phase(now, (node, cell as usize), to, (serve, 0), agenda, obs);
        }
    }

    /// A restarting cell is whole again, but for the servers removed while it served
    /// partially, which stay removed.
    #[inline]
    pub fn full<O: Observer>(
        &mut self,
        now: SimTime,
        (node, cell, epoch): (NodeId, u32, u32),
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        if let Some((sub, c)) = self.current((node, cell, epoch)) {
            let servers = sub.cells[cell as usize].servers - c.lost;
            let to = if c.lost > 0 {
                Phase::Degraded
            } else {
                Phase::Recovered
            };
            self.set_phase(now, (node, cell as usize), to, (servers, 0), agenda, obs);
        }
    }

    /// One rebooted server of a degraded cell is back. The cell serves in full all along
    /// (it is above its minimum), so only its capacity changes until the last is back.
    #[inline]
    pub fn server_back<O: Observer>(
        &mut self,
        now: SimTime,
        (node, cell, epoch): (NodeId, u32, u32),
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        let degraded = |(_, c): &(&Subsystem, CellState)| c.phase == Phase::Degraded;
        let Some((sub, _)) = self.current((node, cell, epoch)).filter(degraded) else {
            return;
        };
        let i = cell as usize;
        let c = &mut self.change(node)[i];
        c.capacity += 1;
        let capacity = c.capacity;
        self.count_in_service(now, node, capacity - 1, capacity);
        agenda.touch(node);
        if capacity >= sub.cells[i].servers {
            self.set_phase(now, (node, i), Phase::Recovered, (capacity, 0), agenda, obs);
        } else {
            let cell = (sub.cells.len() > 1).then_some(cell);
            obs.observe(now, node, Change::Capacity { cell, capacity });
        }
    }
}
