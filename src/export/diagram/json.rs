//! The graph as JSON: `{"scenario", "nodes": [{"name", "kind", "level", …}], "edges":
//! [{"from", "to", "kind"}]}`, nodes in dependency order, edges from the dependency.

use std::io::{self, Write};

use serde::Serialize;

use super::{edges, nodes};
use crate::model::{Model, NodeKind};

#[derive(Serialize)]
struct Graph<'a> {
    scenario: &'a str,
    target: &'a str,
    nodes: Vec<Node<'a>>,
    edges: Vec<Edge<'a>>,
}

#[derive(Serialize)]
struct Node<'a> {
    name: &'a str,
    kind: &'static str,
    /// Longest `needs`/`needs_any` chain below it.
    level: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    servers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_servers: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cells: Option<usize>,
    /// For services: not customer-facing.
    #[serde(skip_serializing_if = "Option::is_none")]
    internal: Option<bool>,
}

#[derive(Serialize)]
struct Edge<'a> {
    from: &'a str,
    to: &'a str,
    kind: String,
}

/// Writes `model`'s graph as JSON.
pub fn write(w: &mut dyn Write, model: &Model) -> io::Result<()> {
    let graph = Graph {
        scenario: &model.name,
        target: &model.node(model.command.target).name,
        nodes: nodes(model)
            .map(|(id, n)| {
                let sub = match &n.kind {
                    NodeKind::Subsystem(s) => Some(s),
                    _ => None,
                };
                Node {
                    name: &n.name,
                    kind: n.kind.label(),
                    level: model.graph.level(id),
                    servers: sub.map(|s| s.servers),
                    min_servers: sub.map(|s| s.min_servers),
                    cells: sub.map(|s| s.cells.len()),
                    internal: match n.kind {
                        NodeKind::Service { internal, .. } => Some(internal),
                        _ => None,
                    },
                }
            })
            .collect(),
        edges: nodes(model)
            .flat_map(|(_, n)| {
                edges(n).map(move |(from, kind)| Edge {
                    from: &model.node(from).name,
                    to: &n.name,
                    kind: kind.to_string(),
                })
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *w, &graph).map_err(io::Error::from)?;
    writeln!(w)
}
