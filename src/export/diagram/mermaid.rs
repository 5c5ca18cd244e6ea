//! A Mermaid flowchart, for Markdown renderers that draw ```` ```mermaid ```` blocks.
//! Nodes get ids `n0`, `n1`, … (names may hold characters Mermaid reads as syntax) and
//! their names as labels. `needs` is a solid arrow, `needs_any` dotted and labelled
//! "any", `restart_after` thick and labelled "restart after".

use std::io::{self, Write};

use super::{detail, edges, nodes, Dependency};
use crate::model::{Model, NodeKind};

/// Writes `model`'s graph as a Mermaid flowchart.
pub fn write(w: &mut dyn Write, model: &Model) -> io::Result<()> {
    writeln!(w, "flowchart LR")?;
    for (id, node) in nodes(model) {
        let label = format!("{}<br/>{}", escape(&node.name), escape(&detail(node)));
        let (open, close) = match node.kind {
            NodeKind::Subsystem(_) => ("[", "]"),
            NodeKind::Service { .. } => ("([", "])"),
            NodeKind::Customer { .. } => ("((", "))"),
            NodeKind::Standby { .. } => ("[/", "/]"),
        };
        writeln!(w, "  n{}{open}\"{label}\"{close}", id.index())?;
    }
    for (id, node) in nodes(model) {
        for (from, kind) in edges(node) {
            let arrow = match kind {
                Dependency::Needs => "-->",
                Dependency::NeedsAny => "-. any .->",
                Dependency::RestartAfter => "== restart after ==>",
            };
            writeln!(w, "  n{} {arrow} n{}", from.index(), id.index())?;
        }
    }
    let target = model.command.target.index();
    writeln!(w, "  style n{target} stroke-width:3px")
}

/// Text safe inside a quoted Mermaid label: `"` and the characters of HTML entities.
fn escape(s: &str) -> String {
    s.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}
