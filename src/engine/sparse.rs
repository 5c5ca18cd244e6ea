//! What a run costs is what it touches: the nodes it changed (so that the next run resets
//! those and nothing else), and the nodes awaiting propagation, taken in dependency order
//! (so that a change propagates to what depends on it, not through the whole graph).
//!
//! Propagation visits the waiting nodes by rank in [`DependencyGraph::order`]. A node
//! marked while the sweep is at or past its rank (a node that changes itself, such as a
//! subsystem beginning its restart) waits for the next propagation: exactly when a sweep
//! over every node would have seen it.
//!
//! [`DependencyGraph::order`]: crate::model::DependencyGraph::order

use super::ranks::Ranks;
use crate::model::{Model, NodeId};

/// The touched and waiting nodes of one run.
#[derive(Debug)]
pub struct Sparse {
    touched: Vec<NodeId>,
    is_touched: Vec<bool>,
    /// Ranks of the nodes waiting for this propagation.
    waiting: Ranks,
    /// Whether a node is waiting (now or for the next propagation).
    queued: Vec<bool>,
    /// Nodes waiting for the next propagation.
    later: Vec<u32>,
    /// The rank the sweep in progress has reached.
    at: Option<u32>,
}

impl Sparse {
    /// Nothing touched, for a model of `n` nodes.
    pub fn new(n: usize) -> Sparse {
        Sparse {
            touched: Vec::new(),
            is_touched: vec![false; n],
            waiting: Ranks::new(n),
            queued: vec![false; n],
            later: Vec::new(),
            at: None,
        }
    }

    /// Notes that the run changed `id`.
    pub fn touch(&mut self, id: NodeId) {
        if !std::mem::replace(&mut self.is_touched[id.0], true) {
            self.touched.push(id);
        }
    }

    /// Notes that `id` changed and must be propagated (it is touched too).
    pub fn mark(&mut self, model: &Model, id: NodeId) {
        self.touch(id);
        if std::mem::replace(&mut self.queued[id.0], true) {
            return;
        }
        let rank = model.graph.rank(id);
        match self.at {
            Some(at) if rank <= at => self.later.push(rank),
            _ => self.waiting.insert(rank),
        }
    }

    /// The next node of the propagation in progress, in dependency order; `None` when it
    /// is done (what was marked behind the sweep then waits for the next one).
    pub fn next(&mut self, model: &Model) -> Option<NodeId> {
        match self.waiting.pop_min() {
            Some(rank) => {
                let id = model.graph.order()[rank as usize];
                self.queued[id.0] = false;
                self.at = Some(rank);
                Some(id)
            }
            None => {
                self.at = None;
                for rank in self.later.drain(..) {
                    self.waiting.insert(rank);
                }
                None
            }
        }
    }

    /// The nodes touched since the last [`Sparse::clear`], each once, in the order first
    /// touched.
    pub fn touched(&self) -> &[NodeId] {
        &self.touched
    }

    /// Forgets the run, handing over the touched nodes (`into` is cleared first) to be
    /// reset.
    pub fn clear(&mut self, into: &mut Vec<NodeId>) {
        for &id in &self.touched {
            self.is_touched[id.0] = false;
            self.queued[id.0] = false;
        }
        into.clear();
        into.append(&mut self.touched);
        self.waiting.clear();
        self.later.clear();
        self.at = None;
    }
}
