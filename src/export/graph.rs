//! The dependency graph as text: what `blastradius check` prints about a valid scenario.

use std::io::{self, Write};

use super::text::bytes;
use crate::model::{Model, NodeId, NodeKind};

/// Writes what `blastradius check` prints: counts, then every node in dependency order
/// by level with its parameters and dependencies, then the command and its typo model.
pub fn write<W: Write + ?Sized>(w: &mut W, m: &Model) -> io::Result<()> {
    let count = |kind: &str| {
        let n = m.nodes.iter().filter(|n| n.kind.label() == kind).count();
        format!("{n} {kind}{}", if n == 1 { "" } else { "s" })
    };
    writeln!(
        w,
        "{}: ok. {}, {}, {}; horizon {}; deepest possible cascade {} levels",
        m.origin,
        count("subsystem"),
        count("service"),
        count("standby"),
        m.horizon,
        m.graph.max_cascade_depth()
    )?;
    writeln!(w)?;
    let names = |ids: &[NodeId]| -> String {
        ids.iter()
            .map(|d| m.node(*d).name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // By level (the level a cascade reaches it at, from 1), each level in dependency order.
    let mut order = m.graph.order().to_vec();
    order.sort_by_key(|&id| m.graph.level(id));
    for id in order {
        let n = m.node(id);
        let detail = match &n.kind {
            NodeKind::Subsystem(s) => {
                let validation = s.validation.as_ref().map_or("no validation".into(), |v| {
                    format!("validates {} in {}", bytes(v.metadata_now), v.duration)
                });
                let mut cells = match s.cells.len() {
                    1 => String::new(),
                    k => format!("; {k} cells"),
                };
                if let Some(safe) = s.safe_parallelism {
                    cells += &format!("; safe at {safe} booting at once");
                }
                if let Some(d) = &s.data {
                    cells += &format!("; data backed up every {}", d.backup_every);
                    if let Some(r) = &d.restore {
                        cells += &format!(", restored in {r}");
                    }
                }
                format!(
                    "{} servers, minimum {}, serves from {}; restart {} at a time, boot {}; {validation}{cells}",
                    s.servers, s.min_servers, s.serve_servers, s.parallelism, s.boot
                )
            }
            NodeKind::Service {
                backlog: Some(b), ..
            } => {
                format!(
                    "backlog drains with {:.0}% spare capacity",
                    b.headroom * 100.0
                )
            }
            NodeKind::Service { backlog: None, .. } => String::new(),
            NodeKind::Customer { failover } => {
                format!(
                    "fails over after detection ({}) and switch ({})",
                    failover.detection, failover.switch
                )
            }
            NodeKind::Standby { activation } => format!("ready {activation} after first needed"),
        };
        let line = format!(
            "[level {}] {} ({}) {detail}",
            m.graph.level(id) + 1,
            n.name,
            n.kind.label()
        );
        writeln!(w, "{}", line.trim_end())?;
        for (label, ids) in [
            ("needs", &n.needs),
            ("needs any of", &n.needs_any),
            ("restarts after", &n.restart_after),
        ] {
            if !ids.is_empty() {
                writeln!(w, "    {label}: {}", names(ids))?;
            }
        }
    }
    let c = &m.command;
    writeln!(w)?;
    writeln!(
        w,
        "command: {} {} server{} from {}",
        c.action.key(),
        c.count,
        if c.count == 1 { "" } else { "s" },
        m.node(c.target).name
    )?;
    writeln!(
        w,
        "typos: {} per keystroke; wrong selector {} ({})",
        c.number_typos.per_keystroke,
        c.target_typos.probability,
        c.target_typos
            .matches
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(())
}
