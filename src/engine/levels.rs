//! Every node's level of service as its dependents see it: its [`Health`] and the share of
//! its traffic it serves. A node serves no better than its own state and each node it
//! `needs`, and no better than the best of its `needs_any` alternatives; health and share
//! are taken each on its own (the best alternative's health and the largest share need not
//! come from one node). Only the propagation writes here.

use super::Health;
use crate::model::{Model, Node, NodeId, NodeKind};

/// A whole node's traffic, in millionths.
pub const FULL: u32 = 1_000_000;

/// How a node serves: its health and its served share, in millionths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Level {
    pub health: Health,
    pub served: u32,
}

impl Level {
    /// Fully available.
    pub const UP: Level = Level {
        health: Health::Up,
        served: FULL,
    };
    /// Unavailable.
    pub const DOWN: Level = Level {
        health: Health::Down,
        served: 0,
    };

    /// The worse health and the smaller share of the two.
    #[inline]
    pub fn min(self, other: Level) -> Level {
        Level {
            health: self.health.min(other.health),
            served: self.served.min(other.served),
        }
    }
}

/// A node's level at the start of a run: a standby is down until activated, the rest up.
#[inline]
fn start(node: &Node) -> Level {
    match node.kind {
        NodeKind::Standby { .. } => Level::DOWN,
        _ => Level::UP,
    }
}

/// Every node's level during a run: 8 bytes a node, read by the propagation for every
/// node it visits and for what each needs.
pub(super) struct Levels {
    now: Vec<Level>,
}

impl Levels {
    /// Each node of `model` as at the start of a run.
    pub fn new(model: &Model) -> Self {
        Levels {
            now: model.nodes.iter().map(start).collect(),
        }
    }

    /// Puts node `id`, which the last run touched, back as at the start of a run: down if
    /// it is a `standby`, else up (not from a copy of the start kept per simulator).
    #[inline]
    pub fn reset(&mut self, id: NodeId, standby: bool) {
        self.now[id.0] = if standby { Level::DOWN } else { Level::UP };
    }

    /// `id`'s level now.
    #[inline]
    pub fn get(&self, id: NodeId) -> Level {
        self.now[id.0]
    }

    /// Sets `id`'s level, returning the one it had.
    #[inline]
    pub fn set(&mut self, id: NodeId, to: Level) -> Level {
        std::mem::replace(&mut self.now[id.0], to)
    }

    /// What a node can serve, being at `own` on its own account, given the nodes it
    /// `needs` (packed, see [`super::hot::Hot::needs`]). The order does not matter.
    #[inline]
    pub fn needs(&self, needs: &[u32], own: Level) -> Level {
        needs.iter().fold(own, |l, &d| l.min(self.now[d as usize]))
    }

    /// The best health and the largest share of the `options` (down if there are none).
    #[inline]
    pub fn best(&self, options: &[NodeId]) -> Level {
        let each = || options.iter().map(|d| self.get(*d));
        Level {
            health: each().map(|l| l.health).max().unwrap_or(Health::Down),
            served: each().map(|l| l.served).max().unwrap_or(0),
        }
    }
}
