//! What a propagation reads of every node it visits, packed small: a cascade visits the
//! nodes in dependency order, which can be far from their order in [`Model::nodes`] (it
//! is the nearest such order, see [`DependencyGraph::order`]), so each visit may be a jump
//! in memory. Read from the model's nodes (416 bytes each, their `needs` on
//! the heap), a cascade through 10,000 nodes spent most of its time waiting for memory;
//! these arrays take 1 byte a node for its kind and 4 bytes a dependency, and the levels
//! ([`super::levels::Levels`]) 8 bytes a node for how it serves, so that a graph of 100,000
//! nodes fits in the cache. Built once per simulator; nothing here changes during a run.
//!
//! [`Model::nodes`]: crate::model::Model::nodes
//! [`DependencyGraph::order`]: crate::model::DependencyGraph::order

use crate::model::{Model, NodeId, NodeKind};

/// A subsystem (its own health comes from its cells).
pub const SUBSYSTEM: u8 = 1;
/// A standby (down until it is ready).
pub const STANDBY: u8 = 2;
/// Needs more than its `needs` to be propagated: a customer, a node with alternatives
/// (`needs_any`) or a service with a backlog. The propagation then reads the model's node.
pub const SPECIAL: u8 = 4;
/// A subsystem with cells whose cold restart waits for nothing (`restart_after` empty).
pub const RESTARTS_FREELY: u8 = 8;
/// A service (its lost traffic is an outage).
pub const SERVICE: u8 = 16;
/// An internal service (its outages are not customer-facing).
pub const INTERNAL: u8 = 32;
/// A customer.
pub const CUSTOMER: u8 = 64;

/// The packed view of a model's nodes.
#[derive(Debug, Default)]
pub(super) struct Hot {
    /// Per node, the flags above.
    flags: Vec<u8>,
    /// Where each node's `needs` begin in `needs` (one more entry than nodes).
    needs_at: Vec<u32>,
    needs: Vec<u32>,
}

impl Hot {
    /// The packed view of `model`.
    pub fn new(model: &Model) -> Hot {
        let n = model.nodes.len();
        let mut hot = Hot {
            flags: Vec::with_capacity(n),
            needs_at: Vec::with_capacity(n + 1),
            needs: Vec::new(),
        };
        for node in &model.nodes {
            let special = matches!(
                node.kind,
                NodeKind::Customer { .. }
                    | NodeKind::Service {
                        backlog: Some(_),
                        ..
                    }
            ) || !node.needs_any.is_empty();
            let flags = match &node.kind {
                NodeKind::Subsystem(s) => {
                    let free = !s.cells.is_empty() && node.restart_after.is_empty();
                    SUBSYSTEM | if free { RESTARTS_FREELY } else { 0 }
                }
                NodeKind::Standby { .. } => STANDBY,
                NodeKind::Service { internal, .. } => {
                    SERVICE | if *internal { INTERNAL } else { 0 }
                }
                NodeKind::Customer { .. } => CUSTOMER,
            } | if special { SPECIAL } else { 0 };
            hot.flags.push(flags);
            hot.needs_at.push(hot.needs.len() as u32);
            hot.needs.extend(node.needs.iter().map(|d| d.0 as u32));
        }
        hot.needs_at.push(hot.needs.len() as u32);
        hot
    }

    /// `id`'s flags.
    #[inline]
    pub fn flags(&self, id: NodeId) -> u8 {
        self.flags[id.0]
    }

    /// What `id` needs (its `needs` only), as node indices.
    #[inline]
    pub fn needs(&self, id: NodeId) -> &[u32] {
        let (from, to) = (self.needs_at[id.0], self.needs_at[id.0 + 1]);
        &self.needs[from as usize..to as usize]
    }
}
