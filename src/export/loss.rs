//! How the replay tells what a restart or a removal cost beyond time: data lost to a
//! destructive removal, and a restart that booted more servers at once than is safe.

use std::io::{self, Write};

use super::text::duration;
use crate::engine::Change;
use crate::model::{Model, NodeId, NodeKind};
use crate::time::{SimDuration, SimTime};

/// The timeline's text for a cell whose data was lost (`cells`: how many at once, for a
/// subsystem told in summary).
pub(super) fn lost(window: SimDuration, restore: Option<SimDuration>, cells: usize) -> String {
    let whose = match cells {
        1 => "every server out of service".to_string(),
        n => format!("{n} cells with every server out of service"),
    };
    let restore = match restore {
        Some(r) => format!("; restoring the last backup takes {r}"),
        None => String::new(),
    };
    format!(
        "{whose}: data written in the last {} before the command is lost{restore}",
        duration(window.as_secs_f64())
    )
}

/// The timeline's text for a first wave that booted more than the safe number at once.
pub(super) fn overloaded(m: &Model, id: NodeId, at_once: u64, until: SimTime) -> String {
    let safe = match &m.node(id).kind {
        NodeKind::Subsystem(s) => s.safe_parallelism.map_or(0, |n| n.get()),
        _ => 0,
    };
    format!(
        "{at_once} servers booting at once, more than the safe {safe}: the whole first wave fails its health checks; all boot again from {until}, {safe} at a time"
    )
}

/// One line per subsystem that lost data, for the end of the timeline.
pub(super) fn summary<W: Write + ?Sized>(
    w: &mut W,
    m: &Model,
    changes: &[(SimTime, NodeId, Change)],
) -> io::Result<()> {
    let mut told: Vec<NodeId> = Vec::new();
    for &(_, id, change) in changes {
        if let Change::DataLost { window, .. } = change {
            if !told.contains(&id) {
                told.push(id);
                writeln!(
                    w,
                    "{} data lost: written in the last {} before the command",
                    m.node(id).name,
                    duration(window.as_secs_f64())
                )?;
            }
        }
    }
    Ok(())
}
