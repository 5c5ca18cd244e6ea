//! What is yet to happen in a run: the events to come (an [`EventQueue`]) and the nodes
//! whose change must be propagated (see [`Sparse`]). Every mechanism of the engine writes
//! here; only the simulation's loop takes from it, so an event's consequences are never
//! acted on by the mechanism that caused them.

use super::queue::EventQueue;
use super::sparse::Sparse;
use super::Event;
use crate::model::{Model, NodeId};
use crate::time::SimTime;

/// The events and propagations a run has still to do.
pub(super) struct Agenda<'m> {
    model: &'m Model,
    queue: EventQueue<Event>,
    /// The nodes this run touched, and those waiting to be propagated.
    sparse: Sparse,
    /// Whether some node's health may have changed since the last propagation.
    dirty: bool,
}

impl<'m> Agenda<'m> {
    /// Nothing to do, for `model`.
    pub fn new(model: &'m Model) -> Self {
        Agenda {
            model,
            queue: EventQueue::default(),
            sparse: Sparse::new(model.nodes.len()),
            dirty: false,
        }
    }

    /// Forgets the run, handing over the nodes it touched (see [`Sparse::clear`]).
    #[inline]
    pub fn clear(&mut self, stale: &mut Vec<NodeId>) {
        self.queue.clear();
        self.sparse.clear(stale);
        self.dirty = false;
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn at(&mut self, time: SimTime, event: Event) {
        self.queue.push(time, event);
    }

    /// Notes that the run changed `id` (so that the next run resets it), with nothing to
    /// propagate.
    #[inline]
    pub fn touch(&mut self, id: NodeId) {
        self.sparse.touch(id);
    }

    /// Notes that `id` must be propagated at the next propagation, if there is one.
    #[inline]
    pub fn mark(&mut self, id: NodeId) {
        self.sparse.mark(self.model, id);
    }

    /// Notes that `id`'s health may have changed: there will be a propagation.
    #[inline]
    pub fn changed(&mut self, id: NodeId) {
        self.mark(id);
        self.dirty = true;
    }

    /// When the next event happens; `None` when none is left.
    #[inline]
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// The next event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        self.queue.pop()
    }

    /// Whether a propagation is due, and then none more until something changes.
    #[inline]
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// The next node of the propagation in progress (see [`Sparse::next`]).
    #[inline]
    pub fn next_node(&mut self) -> Option<NodeId> {
        self.sparse.next(self.model)
    }

    /// Whether no event is left.
    #[inline]
    pub fn idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// The nodes this run touched, each once, in the order first touched.
    #[inline]
    pub fn touched(&self) -> &[NodeId] {
        self.sparse.touched()
    }
}
