//! Why each change in the timeline happened, in words: a subsystem's phase change (servers
//! lost, a cold restart and its budget, validation, servers back), a node's health change
//! (what it needs, the share it serves), and what the safeguards did.

use super::Replay;
use crate::engine::{Health, Phase, FULL};
use crate::export::text::bytes;
use crate::model::{NodeId, NodeKind};
use crate::safeguard::Interventions;
use crate::time::SimTime;
use crate::typo::Action;

impl Replay<'_> {
    pub(super) fn explain(
        &self,
        id: NodeId,
        cell: usize,
        to: Phase,
        before: u64,
        after: u64,
        removed: u64,
    ) -> String {
        let m = self.model;
        let NodeKind::Subsystem(s) = &m.node(id).kind else {
            return String::new();
        };
        let c = s.cells[cell];
        match to {
            Phase::Degraded if removed > 0 && m.command.action == Action::Reboot => {
                format!("rebooting {}, {after} of {} in service (minimum {}): each back after its boot ({})", servers(removed), c.servers, c.min_servers, s.boot)
            }
            Phase::Degraded | Phase::ServingPartially if removed > 0 => {
                format!(
                    "lost {}, {after} of {} left (minimum {})",
                    servers(removed),
                    c.servers,
                    c.min_servers
                )
            }
            Phase::Down => format!(
                "lost {removed} of {}, {} left, below the minimum of {}: full cold restart needed",
                servers(before),
                before.saturating_sub(removed),
                c.min_servers
            ),
            Phase::Restarting => {
                let waited: Vec<&str> = m
                    .node(id)
                    .restart_after
                    .iter()
                    .map(|d| m.node(*d).name.as_str())
                    .collect();
                let mut after = if waited.is_empty() {
                    String::new()
                } else {
                    format!(" ({} serving)", waited.join(", "))
                };
                if let Some(safe) = s.safe_parallelism {
                    after += &format!("; safe at {safe} at a time");
                }
                if let Some(f) = &s.boot_failures {
                    after += &format!(
                        "; a boot fails with probability {} and then waits for {} of a crew of {}",
                        f.probability, f.manual, f.crew
                    );
                }
                if s.cells.len() > 1 {
                    format!("cold restart of {}, boot time {}{after}, on the budget of {} at a time that the cells share", servers(c.servers), s.boot, s.parallelism)
                } else {
                    format!(
                        "cold restart of {}, up to {} at a time, boot time {}{after}",
                        servers(c.servers),
                        s.parallelism,
                        s.boot
                    )
                }
            }
            Phase::Validating => match &s.validation {
                Some(v) => {
                    let share = c.servers as f64 / s.servers as f64;
                    let how = if s.cells.len() > 1 {
                        ", one cell at a time"
                    } else {
                        ""
                    };
                    format!(
                        "all servers booted; validating {} of metadata at up to {}/s{how}",
                        bytes(v.metadata_now * share),
                        bytes(v.throughput)
                    )
                }
                None => "all servers booted".into(),
            },
            Phase::ServingPartially => format!(
                "{after} of {} back ({:.0}%), serving again",
                servers(c.servers),
                after as f64 * 100.0 / c.servers as f64
            ),
            Phase::Recovered if c.servers == 1 => "its server back".to_string(),
            Phase::Recovered => format!("all {} servers back", c.servers),
            Phase::Running | Phase::Degraded => String::new(),
        }
    }

    pub(super) fn explain_health(
        &self,
        id: NodeId,
        from: Health,
        to: Health,
        served: u32,
    ) -> String {
        let m = self.model;
        let node = m.node(id);
        if matches!(node.kind, NodeKind::Standby { .. }) && to == Health::Up {
            return "ready".into();
        }
        let names = |ids: &[NodeId]| -> String {
            let names: Vec<&str> = ids.iter().map(|d| m.node(*d).name.as_str()).collect();
            names.join(", ")
        };
        let because = match (node.needs.is_empty(), node.needs_any.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!(" (needs {})", names(&node.needs)),
            (true, false) => format!(" (needs any of {})", names(&node.needs_any)),
            (false, false) => format!(
                " (needs {}; any of {})",
                names(&node.needs),
                names(&node.needs_any)
            ),
        };
        let share = if served > 0 && served < FULL {
            let percent = f64::from(served) / f64::from(FULL) * 100.0;
            // A share below one percent keeps a decimal: not "0%" while something serves.
            let digits = usize::from(percent < 1.0);
            format!(", serving {percent:.digits$}% of its traffic")
        } else {
            String::new()
        };
        format!("{} → {}{because}{share}", from.label(), to.label())
    }
}

/// What the safeguards did, as the tool's line says it.
pub(super) fn safeguards(did: Interventions) -> String {
    let acts: Vec<&str> = [
        (
            did.failures.prompt,
            "the confirmation prompt did not appear",
        ),
        (
            did.confirmed,
            "the prompt asked, and the operator confirmed the wrong input",
        ),
        (
            did.failures.guard,
            "the minimum-capacity guard did not check the command",
        ),
        (
            did.failures.limit,
            "the rate limit did not hold the removal back",
        ),
        (
            did.declined,
            "the operator declined at the confirmation prompt: nothing removed",
        ),
        (
            did.refused,
            "the minimum-capacity guard refused the command: nothing removed",
        ),
        (
            did.clipped,
            "the minimum-capacity guard clipped the removal to the minimum",
        ),
        (did.aborted, "removing at the rate limit"),
    ]
    .into_iter()
    .filter_map(|(happened, what)| happened.then_some(what))
    .collect();
    acts.join("; ")
}

/// What a cell got of its subsystem's restart budget, which goes to cells first come, first
/// served: when its servers boot, or when its metadata is validated.
pub(super) fn share_of_budget(now: SimTime, to: Phase, (start, end): (SimTime, SimTime)) -> String {
    let wait = if start > now {
        "waits for the cells that booted before it, then "
    } else {
        ""
    };
    match to {
        Phase::Restarting => format!(": {wait}boots from {start}, all booted at {end}"),
        Phase::Validating => format!(": {wait}validates from {start} to {end}"),
        _ => String::new(),
    }
}

/// `n` servers, in the singular for one.
fn servers(n: u64) -> String {
    if n == 1 {
        "1 server".into()
    } else {
        format!("{n} servers")
    }
}
