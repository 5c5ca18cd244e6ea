//! The dependency edges as a whole, once every node is built: a standby only as a fallback,
//! and no cycle (one found is reported at the reference that closes it).

use std::ops::Range;

use super::{Checker, Result};
use crate::model::graph::{DependencyGraph, EdgeKind};
use crate::model::{Node, NodeId, NodeKind};
use crate::scenario::ScenarioErrorKind;

/// A dependency edge and where the user wrote it.
pub(super) struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    pub span: Range<usize>,
}

impl Checker<'_> {
    /// A standby is a fallback: it may only be one of several `needs_any` alternatives, at
    /// least one of which is not a standby (otherwise the node would be down from the start).
    pub(super) fn standbys_are_fallbacks(&self, nodes: &[Node], edges: &[Edge]) -> Result<()> {
        let standby = |id: NodeId| matches!(nodes[id.0].kind, NodeKind::Standby { .. });
        for e in edges.iter().filter(|e| standby(e.from)) {
            let node = &nodes[e.to.0];
            let fallback =
                e.kind == EdgeKind::NeedsAny && node.needs_any.iter().any(|&d| !standby(d));
            if !fallback {
                let section = match node.kind {
                    NodeKind::Subsystem(_) => "subsystems",
                    NodeKind::Customer { .. } => "customers",
                    _ => "services",
                };
                let field = if e.kind == EdgeKind::NeedsAny {
                    "needs_any"
                } else {
                    "needs"
                };
                return Err(self.invalid(
                    e.span.clone(),
                    &format!("{section}.{}.{field}", node.name),
                    format!("{:?}, a standby", nodes[e.from.0].name),
                    "a standby only in `needs_any`, beside at least one alternative that is not a standby",
                ));
            }
        }
        Ok(())
    }

    pub(super) fn graph(&self, nodes: &[Node], edges: &[Edge]) -> Result<DependencyGraph> {
        let plain: Vec<_> = edges.iter().map(|e| (e.from, e.to, e.kind)).collect();
        DependencyGraph::new(nodes.len(), &plain).map_err(|cycle| {
            // Point at the reference that closes the cycle as printed (the path is printed
            // reversed, "x depends on y"): its first edge, dependency → dependent.
            let (from, to) = (cycle[0], cycle[1]);
            let span = edges
                .iter()
                .find(|e| e.from == from && e.to == to)
                .map_or(0..0, |e| e.span.clone());
            // Edges run dependency → dependent; print the path as "x depends on y".
            let path = cycle
                .iter()
                .rev()
                .map(|id| nodes[id.0].name.clone())
                .collect();
            self.error(span, ScenarioErrorKind::Cycle { path })
        })
    }
}
