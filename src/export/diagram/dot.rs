//! Graphviz DOT: `blastradius graph --format dot | dot -Tsvg > graph.svg`. Dependencies on
//! the left, what depends on them to the right. Subsystems are boxes, services ellipses
//! (internal ones grey), customers double circles, standbys dashed boxes; `needs` is a
//! solid edge, `needs_any` dashed, `restart_after` dotted and labelled. The command's
//! target is drawn bold, with the count it is meant to remove.

use std::io::{self, Write};

use super::{detail, edges, nodes, Dependency};
use crate::model::{Model, NodeId, NodeKind};

/// Writes `model`'s graph as DOT.
pub fn write(w: &mut dyn Write, model: &Model) -> io::Result<()> {
    write_filled(w, model, &|_| None)
}

/// Writes `model`'s graph as DOT, each node filled with the colour `fill` gives it (a name
/// or `#rrggbb`), if any: the HTML report marks what failed in a run so.
pub fn write_filled(
    w: &mut dyn Write,
    model: &Model,
    fill: &dyn Fn(NodeId) -> Option<&'static str>,
) -> io::Result<()> {
    writeln!(w, "digraph {} {{", quote(&model.name))?;
    writeln!(w, "  rankdir=LR;")?;
    writeln!(w, "  node [fontname=\"Helvetica\", fontsize=11];")?;
    writeln!(w, "  edge [fontname=\"Helvetica\", fontsize=9];")?;
    for (id, node) in nodes(model) {
        let shape = match &node.kind {
            NodeKind::Subsystem(_) => "shape=box",
            NodeKind::Service { internal: true, .. } => {
                "shape=ellipse, color=gray40, fontcolor=gray40"
            }
            NodeKind::Service { .. } => "shape=ellipse",
            NodeKind::Customer { .. } => "shape=doublecircle",
            NodeKind::Standby { .. } => "shape=box, style=dashed",
        };
        let (target, command) = if id == model.command.target {
            let c = &model.command;
            let remove = format!("\ncommand: {} {}", c.action.key(), c.count);
            (", penwidth=3", remove)
        } else {
            ("", String::new())
        };
        let label = format!("{}\n{}{command}", node.name, detail(node));
        let filled = match fill(id) {
            Some(colour) if shape.contains("style=dashed") => {
                format!(", style=\"dashed,filled\", fillcolor=\"{colour}\"")
            }
            Some(colour) => format!(", style=filled, fillcolor=\"{colour}\""),
            None => String::new(),
        };
        writeln!(
            w,
            "  {} [label={}, {shape}{target}{filled}];",
            quote(&node.name),
            quote(&label)
        )?;
    }
    for (_, node) in nodes(model) {
        for (from, kind) in edges(node) {
            let style = match kind {
                Dependency::Needs => "",
                Dependency::NeedsAny => " [style=dashed, label=\"any\"]",
                Dependency::RestartAfter => " [style=dotted, label=\"restart after\"]",
            };
            writeln!(
                w,
                "  {} -> {}{style};",
                quote(&model.node(from).name),
                quote(&node.name)
            )?;
        }
    }
    writeln!(w, "}}")
}

/// A DOT string: quoted, with quotes and backslashes escaped and a newline as `\n`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
