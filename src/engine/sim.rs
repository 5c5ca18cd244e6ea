//! One run: safeguards → timed removals → capacity check per cell → failure →
//! unavailability cascading through the dependency graph → ordered, parallelism-limited
//! restarts → validation → partial service → full recovery (then backlogs drain and
//! customers settle), until everything is back or the horizon is reached.
//!
//! The [`Simulation`] owns the loop and the propagation; each mechanism it drives owns its
//! own state: the cells ([`Cells`]), the removal, the recovery on the restart budget, the
//! customer router, the backlogs, the standbys, and the outcome's record. What they schedule
//! and mark goes through one [`Agenda`], which only the loop takes from.

use rand::Rng;

use super::agenda::Agenda;
use super::backlog::Backlogs;
use super::cells::Cells;
use super::hot::{self, Hot};
use super::levels::{Level, Levels};
use super::record::Record;
use super::recovery::Recovery;
use super::removal::Removal;
use super::router::Router;
use super::standby::Standbys;
use super::{Change, Event, Health, Observer, Outcome};
use crate::model::{Model, NodeId, NodeKind};
use crate::safeguard::{Fates, Interventions, Step};
use crate::time::SimTime;
use crate::typo::Selector;

/// A reusable simulator for one model: holds the per-run buffers so that a Monte Carlo
/// worker allocates once, not once a run.
pub struct Simulation<'m> {
    model: &'m Model,
    agenda: Agenda<'m>,
    /// What propagation reads of each node's kind and `needs`, packed.
    hot: Hot,
    /// Every node's level of service, as its dependents see it.
    levels: Levels,
    cells: Cells<'m>,
    removal: Removal,
    recovery: Recovery,
    router: Router,
    backlogs: Backlogs,
    standbys: Standbys,
    record: Record,
    /// The nodes the last run touched, being reset.
    stale: Vec<NodeId>,
    plan: Vec<(NodeId, u64)>,
    steps: Vec<Step>,
    typed: Vec<u8>,
}

impl<'m> Simulation<'m> {
    /// A simulator for `model`.
    pub fn new(model: &'m Model) -> Self {
        let n = model.nodes.len();
        Simulation {
            model,
            agenda: Agenda::new(model),
            hot: Hot::new(model),
            levels: Levels::new(model),
            cells: Cells::new(model),
            removal: Removal::new(model.command.action),
            recovery: Recovery::default(),
            router: Router::new(n),
            backlogs: Backlogs::new(model),
            standbys: Standbys::new(n),
            record: Record::new(n),
            stale: Vec::new(),
            plan: Vec::new(),
            steps: Vec::new(),
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
        self.record.outcome.interventions = did;
        if did != Interventions::default() {
            obs.observe(SimTime::ZERO, command.target, Change::Safeguards(did));
        }
        for step in &self.steps {
            let (node, servers) = (step.node, step.servers);
            self.agenda.at(step.at, Event::Remove { node, servers });
        }
        if let Some(at) = abort {
            self.agenda.at(at, Event::Abort);
        }
        let horizon = SimTime::ZERO + model.horizon;
        let mut now = SimTime::ZERO;
        while let Some(time) = self.agenda.next_time() {
            if time > horizon {
                break;
            }
            // Everything that happens at one instant happens before its consequences are
            // propagated: a removal that hits two subsystems at once hits both first.
            now = time;
            while self.agenda.next_time() == Some(now) {
                let Some((_, event)) = self.agenda.pop() else {
                    break;
                };
                self.record.outcome.events += 1;
                self.handle(now, event, rng, obs);
            }
            // Only a change of some node's health can change anything downstream.
            if self.agenda.take_dirty() {
                self.propagate(now, rng, obs);
            }
        }
        self.finish(now, horizon);
        &self.record.outcome
    }

    /// Back to the start, resetting only the nodes the last run touched.
    fn reset(&mut self, count: u64, selector: Selector) {
        self.agenda.clear(&mut self.stale);
        // One pass over the nodes touched: each mechanism puts back its own state of them
        // (no copy of the start is kept per simulator). The cells put back those that
        // changed, fewer: in a cascade, the subsystems that lost servers.
        for &id in &self.stale {
            self.levels
                .reset(id, self.hot.flags(id) & hot::STANDBY != 0);
            self.router.reset(id);
            self.backlogs.reset(id);
            self.standbys.reset(id);
            self.record.reset(id);
        }
        self.cells.reset();
        self.record.start(count, selector);
        self.removal.reset();
        self.recovery.reset();
    }

    /// Hands `event` to the mechanism it belongs to.
    fn handle<R: Rng + ?Sized, O: Observer>(
        &mut self,
        now: SimTime,
        event: Event,
        rng: &mut R,
        obs: &mut O,
    ) {
        let (cells, agenda) = (&mut self.cells, &mut self.agenda);
        match event {
            Event::Remove { node, servers } => {
                let (removal, recovery) = (&mut self.removal, &mut self.recovery);
                removal.remove((now, node, servers), cells, recovery, rng, agenda, obs);
            }
            Event::Abort => obs.observe(now, self.model.command.target, Change::Aborted),
            Event::Booted { node, cell, epoch } => {
                let cell = (node, cell, epoch);
                self.recovery.booted(now, cell, cells, agenda, obs);
            }
            Event::Serve { node, cell, epoch } => {
                cells.serve(now, (node, cell, epoch), agenda, obs);
            }
            Event::Full { node, cell, epoch } => {
                cells.full(now, (node, cell, epoch), agenda, obs);
            }
            Event::Rebooted { node, cell, epoch } => {
                cells.server_back(now, (node, cell, epoch), agenda, obs);
            }
            Event::Diagnosed { node, cell, epoch } => {
                cells.diagnosed((node, cell, epoch), agenda);
            }
            Event::StandbyReady { node } => self.standbys.activated(node, agenda),
            Event::Drained { node, epoch } => self.backlogs.drained(node, epoch, agenda),
            Event::FailedOver { node: id, epoch } => {
                let customer = (id, self.model.node(id), epoch);
                let levels = &self.levels;
                self.router.failed_over(now, customer, levels, agenda, obs);
            }
        }
    }

    /// Recomputes, in dependency order, the level of every node that changed or depends on
    /// one that did; activates standbys that are needed, moves backlogs and customers along,
    /// and begins the restarts whose `restart_after` dependencies now serve. Equivalent to a
    /// sweep over every node (see [`super::sparse::Sparse`]).
    fn propagate<R: Rng + ?Sized, O: Observer>(&mut self, now: SimTime, rng: &mut R, obs: &mut O) {
        let model = self.model;
        self.backlogs.mark_growing(&self.levels, &mut self.agenda);
        while let Some(id) = self.agenda.next_node() {
            let flags = self.hot.flags(id);
            let own = self.own(id);
            let mut level = self.levels.needs(self.hot.needs(id), own);
            // The model's node is read only for what the packed flags do not settle.
            let node = || model.node(id);
            if flags & hot::SPECIAL != 0 {
                let node = node();
                match &node.kind {
                    NodeKind::Customer { .. } => {
                        let (levels, agenda) = (&self.levels, &mut self.agenda);
                        self.router.steer(now, (id, node), levels, rng, agenda, obs);
                        level = level.min(self.levels.get(self.router.on(id, node)));
                    }
                    _ if !node.needs_any.is_empty() => {
                        let best = self.levels.best(&node.needs_any);
                        if best.health == Health::Down {
                            let options = (model, node.needs_any.as_slice());
                            self.standbys.activate(now, options, &mut self.agenda, obs);
                        }
                        level = level.min(best);
                    }
                    _ => {}
                }
                if let NodeKind::Service {
                    backlog: Some(b), ..
                } = &node.kind
                {
                    let before = self.levels.get(id).served;
                    let agenda = &mut self.agenda;
                    level.health = self
                        .backlogs
                        .drain(now, (id, b), before, level, agenda, obs);
                }
            }
            if level != self.levels.get(id) {
                self.set_level(now, id, level, own.served, obs);
                for d in model.graph.dependents(id) {
                    self.agenda.mark(d);
                }
            }
            let may_restart = if flags & hot::RESTARTS_FREELY != 0 {
                true
            } else {
                !self.cells.of(id).is_empty()
                    && node()
                        .restart_after
                        .iter()
                        .all(|d| self.levels.get(*d).health != Health::Down)
            };
            if may_restart {
                let (cells, agenda) = (&mut self.cells, &mut self.agenda);
                self.recovery.begin(now, id, cells, rng, agenda, obs);
            }
        }
    }

    /// A node's level on its own account, before what it needs.
    #[inline]
    fn own(&self, id: NodeId) -> Level {
        let flags = self.hot.flags(id);
        if flags & hot::SUBSYSTEM != 0 {
            self.cells.own(id)
        } else if flags & hot::STANDBY != 0 && !self.standbys.ready(id) {
            Level::DOWN
        } else {
            Level::UP
        }
    }

    /// Node `id` now serves at `to`: its dependents see it, the observer is told, the
    /// record kept.
    fn set_level<O: Observer>(
        &mut self,
        now: SimTime,
        id: NodeId,
        to: Level,
        own_served: u32,
        obs: &mut O,
    ) {
        let from = self.levels.set(id, to);
        if from != to {
            let (from, to, served) = (from.health, to.health, to.served);
            obs.observe(now, id, Change::Health { from, to, served });
        }
        let flags = self.hot.flags(id);
        // What it needs: its alternatives are read from the model only if it has some.
        let needs_any: &[NodeId] = if flags & hot::SPECIAL != 0 {
            &self.model.node(id).needs_any
        } else {
            &[]
        };
        let needs = (self.hot.needs(id), needs_any);
        self.record.changed(
            now,
            (id, flags),
            needs,
            (from, to),
            own_served,
            &self.levels,
        );
    }

    /// Ends the run at `now`, or at `horizon` if it was stopped there.
    fn finish(&mut self, now: SimTime, horizon: SimTime) {
        let out = &mut self.record.outcome;
        out.servers_removed = self.removal.removed();
        out.data_loss = self.removal.data_loss();
        out.touched.extend_from_slice(self.agenda.touched());
        self.cells.record(&out.touched, &mut out.nodes);
        let idle = self.agenda.idle();
        self.record
            .close(&self.hot, &self.levels, (now, horizon), idle);
    }
}
