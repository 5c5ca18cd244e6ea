//! The dependency graph for other tools: Graphviz DOT, Mermaid and JSON, one module each.
//! Every format has the same content: each node with its kind and level, and each edge from
//! a dependency to the node that depends on it, of one of three kinds (`needs`,
//! `needs_any`, `restart_after`), nodes in dependency order and each node's edges in the
//! order the scenario wrote them.

pub mod dot;
pub mod json;
pub mod mermaid;

use std::fmt;

use crate::model::{Model, Node, NodeId, NodeKind};

/// The graph formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Graphviz (`dot -Tsvg`).
    Dot,
    /// Mermaid flowchart (Markdown renderers on code hosts draw it).
    Mermaid,
    /// JSON: nodes and edges.
    Json,
}

/// How a node depends on another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dependency {
    /// Unavailable while the dependency is.
    Needs,
    /// One of several alternatives.
    NeedsAny,
    /// Its cold restart waits for the dependency to serve.
    RestartAfter,
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dependency::Needs => "needs",
            Dependency::NeedsAny => "needs_any",
            Dependency::RestartAfter => "restart_after",
        })
    }
}

/// Writes `model`'s graph in `format`.
pub fn write(w: &mut dyn std::io::Write, model: &Model, format: Format) -> std::io::Result<()> {
    match format {
        Format::Dot => dot::write(w, model),
        Format::Mermaid => mermaid::write(w, model),
        Format::Json => json::write(w, model),
    }
}

/// The nodes in dependency order (everything a node depends on comes before it).
fn nodes(model: &Model) -> impl Iterator<Item = (NodeId, &Node)> {
    model.graph.order().iter().map(|&id| (id, model.node(id)))
}

/// The edges into `node`: (dependency, kind), in the order the scenario wrote them.
fn edges(node: &Node) -> impl Iterator<Item = (NodeId, Dependency)> + '_ {
    node.needs
        .iter()
        .map(|&d| (d, Dependency::Needs))
        .chain(node.needs_any.iter().map(|&d| (d, Dependency::NeedsAny)))
        .chain(
            node.restart_after
                .iter()
                .map(|&d| (d, Dependency::RestartAfter)),
        )
}

/// A one-line description of a node: its kind and what sizes it.
fn detail(node: &Node) -> String {
    match &node.kind {
        NodeKind::Subsystem(s) => {
            let cells = match s.cells.len() {
                1 => String::new(),
                k => format!(", {k} cells"),
            };
            format!("{} servers, min {}{cells}", s.servers, s.min_servers)
        }
        NodeKind::Service { internal: true, .. } => "internal service".into(),
        NodeKind::Service { .. } => "service".into(),
        NodeKind::Customer { .. } => "customer".into(),
        NodeKind::Standby { .. } => "standby".into(),
    }
}
