//! The replay of one run as a timeline a person can read (one line per state change of each
//! subsystem and service, with wall-clock times), and its milestones as JSON.

use std::collections::HashMap;
use std::io::{self, Write};

use indexmap::IndexMap;
use serde::Serialize;

use super::text::{bytes, duration};
use crate::engine::{Change, Health, Outcome, Phase, FULL};
use crate::model::{Model, NodeId, NodeKind};
use crate::time::SimTime;
use crate::typo::{Action, TypedInput};

/// One run, as recorded for a replay.
pub struct Replay<'a> {
    /// The scenario.
    pub model: &'a Model,
    /// What was typed.
    pub input: &'a TypedInput,
    /// What it did.
    pub outcome: &'a Outcome,
    /// Every state change, in order.
    pub changes: &'a [(SimTime, NodeId, Change)],
}

/// The JSON form: milestones per node in seconds since the command.
#[derive(Serialize)]
struct ReplayJson<'a> {
    scenario: &'a str,
    typed: TypedJson<'a>,
    servers_removed: u64,
    cascade_depth: u32,
    recovery_s: Option<f64>,
    /// Seconds of writes lost (the longest window of any subsystem), when data was lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    data_loss_s: Option<f64>,
    milestones: IndexMap<&'a str, Milestones>,
}

#[derive(Serialize)]
struct TypedJson<'a> {
    count: &'a str,
    selector: &'a str,
}

/// When a node went down, served again and was fully back, in seconds since the command;
/// for a subsystem that lost servers, also when 50 %, 90 % and 100 % of them were back in
/// service for good (0 for a share it never fell below; null if not back by the horizon).
#[derive(Serialize)]
struct Milestones {
    down_s: Option<f64>,
    serving_s: Option<f64>,
    recovered_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    capacity_back_s: Option<IndexMap<&'static str, Option<f64>>>,
}

/// A subsystem of more cells than this is told in summary in the timeline.
const MANY_CELLS: usize = 16;

/// The shares of a fleet whose return the replay reports.
const SHARES: [&str; 3] = crate::engine::capacity::SHARE_NAMES;

impl Replay<'_> {
    /// Writes `{"milestones": {NODE: {"down_s", "serving_s", "recovered_s"}}, ...}`.
    pub fn write_json<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        let secs = |t: Option<SimTime>| t.map(|t| t.since_start().as_secs_f64());
        let backs = self.capacity_back();
        let milestones = self
            .model
            .reported()
            .map(|(id, node)| {
                let o = &self.outcome.nodes[id.0];
                let capacity_back_s = backs.get(&id).map(|back| {
                    SHARES
                        .iter()
                        .zip(back)
                        .map(|(&share, t)| (share, secs(*t)))
                        .collect()
                });
                let m = Milestones {
                    down_s: secs(o.down_at),
                    serving_s: secs(o.serving_at),
                    recovered_s: secs(o.recovered_at),
                    capacity_back_s,
                };
                (node.name.as_str(), m)
            })
            .collect();
        let json = ReplayJson {
            scenario: &self.model.name,
            typed: TypedJson {
                count: &self.input.count_text,
                selector: self.model.command.selector_name(self.input.selector),
            },
            servers_removed: self.outcome.servers_removed,
            cascade_depth: self.outcome.cascade_depth,
            recovery_s: self.outcome.recovery.map(|d| d.as_secs_f64()),
            data_loss_s: self.outcome.data_loss.map(|d| d.as_secs_f64()),
            milestones,
        };
        super::json::write(w, &json)
    }

    /// For each subsystem that lost servers in the run, when 50 %, 90 % and 100 % of them
    /// were back in service for good (see [`crate::engine::capacity`]).
    fn capacity_back(&self) -> HashMap<NodeId, [Option<SimTime>; 3]> {
        self.outcome
            .touched
            .iter()
            .map(|&id| (id, self.outcome.nodes[id.0].capacity))
            .filter(|(_, c)| c.lost)
            .map(|(id, c)| (id, c.back))
            .collect()
    }

    /// Writes the timeline, then its Gantt chart.
    pub fn write_text<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        self.write_story(w)?;
        super::gantt::write(w, self.model, self.changes, self.end())
    }

    /// Writes the timeline without its chart: what was meant and typed, every change with
    /// its cause, and when things were back.
    pub fn write_story<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        let m = self.model;
        let cmd = &m.command;
        writeln!(w, "{} ({})", m.name, m.origin)?;
        if !m.description.is_empty() {
            writeln!(w, "{}", m.description.trim())?;
        }
        let target = &m.node(cmd.target).name;
        let selector = cmd.selector_name(self.input.selector);
        let servers = if cmd.count == 1 { "server" } else { "servers" };
        writeln!(w)?;
        writeln!(
            w,
            "meant:    {} {} {servers} from {target}",
            cmd.action.key(),
            cmd.count
        )?;
        writeln!(
            w,
            "typed:    count \"{}\", selector {selector}",
            self.input.count_text
        )?;
        writeln!(w)?;
        // The clock column, as wide as its widest time (the last, with `(+1d)` past midnight).
        let last = self.changes.last().map_or(SimTime::ZERO, |c| c.0);
        let clock = m.start_clock.at(last).chars().count().max(16);
        let since = last.to_string().chars().count();
        let width = m
            .nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::Subsystem(s) if s.cells.len() > 1 => {
                    n.name.len() + 2 + s.cells.len().to_string().len()
                }
                _ => n.name.len(),
            })
            .max()
            .unwrap_or(4)
            .max("tool".len());
        // Servers in service per cell, and each subsystem's phase (of its first cell).
        let mut capacity: Vec<Vec<u64>> = m
            .nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::Subsystem(s) => s.cells.iter().map(|c| c.servers).collect(),
                _ => Vec::new(),
            })
            .collect();
        let mut phase = vec![Phase::Running; m.nodes.len()];
        // What the restart budget gave each cell for its next phase.
        let mut window = None;
        // A subsystem of many cells is told in summary: how many cells went down (or began
        // a diagnosis) at an instant, not each cell's every phase; and any node's share
        // served only when it passes a tenth.
        let mut told: Option<(SimTime, NodeId, u8)> = None;
        let mut tenth: Vec<Option<u32>> = vec![None; m.nodes.len()];
        // The cell whose restore the next diagnosis line includes.
        let mut restoring = None;
        for (k, &(t, id, change)) in self.changes.iter().enumerate() {
            let mut name = m.node(id).name.clone();
            if capacity[id.0].len() > MANY_CELLS {
                let kind = match change {
                    Change::Phase {
                        to: Phase::Down, ..
                    } => 0,
                    Change::Diagnosing { .. } => 1,
                    Change::DataLost { .. } => 3,
                    Change::Phase { .. } | Change::Capacity { .. } | Change::Scheduled { .. } => {
                        continue
                    }
                    _ => 2,
                };
                if kind != 2 {
                    if told == Some((t, id, kind)) {
                        continue;
                    }
                    told = Some((t, id, kind));
                    let same = |c: &Change| match c {
                        Change::Phase {
                            to: Phase::Down, ..
                        } => kind == 0,
                        Change::Diagnosing { .. } => kind == 1,
                        Change::DataLost { .. } => kind == 3,
                        _ => false,
                    };
                    let cells = self.changes[k..]
                        .iter()
                        .take_while(|&&(u, n, _)| u == t && n == id)
                        .filter(|(_, _, c)| same(c))
                        .count();
                    let of = capacity[id.0].len();
                    let text = match (kind, change) {
                        (0, _) => format!(
                            "{cells} of its {of} cells down at once, below their minimum: full cold restarts needed"
                        ),
                        (_, Change::Diagnosing { until, .. }) => format!(
                            "diagnosing {cells} cells: the first may begin its cold restart at {} (in {})",
                            m.start_clock.at(until),
                            until - t
                        ),
                        (_, Change::DataLost {
                            window, restore, ..
                        }) => super::loss::lost(window, restore, cells),
                        _ => continue,
                    };
                    writeln!(
                        w,
                        "{:>clock$}  {:>since$}  {name:width$}  {text}",
                        m.start_clock.at(t),
                        t.to_string()
                    )?;
                    continue;
                }
            }
            let text = match change {
                Change::Phase {
                    cell,
                    from,
                    to,
                    capacity: after,
                    removed,
                } => {
                    let i = cell.unwrap_or(0) as usize;
                    let before = std::mem::replace(&mut capacity[id.0][i], after);
                    phase[id.0] = to;
                    if let Some(c) = cell {
                        name = format!("{name}[{c}]");
                    }
                    let mut why = self.explain(id, i, to, before, after, removed);
                    if let (Some(window), Some(_)) = (window.take(), cell) {
                        why += &share_of_budget(t, to, window);
                    }
                    format!("{} → {}: {why}", from.label(), to.label())
                }
                Change::Scheduled { start, end, .. } => {
                    window = Some((start, end));
                    continue;
                }
                Change::Capacity {
                    cell,
                    capacity: now,
                } => {
                    // One rebooted server back: counted, not a line of its own.
                    capacity[id.0][cell.unwrap_or(0) as usize] = now;
                    continue;
                }
                Change::Health { from, to, served } => {
                    // An undivided subsystem's own phase changes are shown already; show
                    // only the health changes its dependencies cause.
                    if capacity[id.0].len() == 1 && to == phase[id.0].health() {
                        continue;
                    }
                    // Partly served all along: told only when the share passes a tenth.
                    let step = served / (FULL / 10);
                    let seen = tenth[id.0].replace(step);
                    if from == Health::Partial && to == Health::Partial && seen == Some(step) {
                        continue;
                    }
                    self.explain_health(id, from, to, served)
                }
                Change::DataLost {
                    cell,
                    window,
                    restore,
                } => {
                    if let Some(c) = cell {
                        name = format!("{name}[{c}]");
                    }
                    restoring = restore.map(|_| (id, cell));
                    super::loss::lost(window, restore, 1)
                }
                Change::Overloaded {
                    cell,
                    at_once,
                    until,
                } => {
                    if let Some(c) = cell {
                        name = format!("{name}[{c}]");
                    }
                    super::loss::overloaded(m, id, at_once, until)
                }
                Change::Diagnosing { cell, until } => {
                    if let Some(c) = cell {
                        name = format!("{name}[{c}]");
                    }
                    let what = if restoring.take() == Some((id, cell)) {
                        "diagnosing and restoring"
                    } else {
                        "diagnosing"
                    };
                    format!(
                        "{what}: its cold restart may begin at {} (in {})",
                        m.start_clock.at(until),
                        until - t
                    )
                }
                Change::Activating => match m.node(id).kind {
                    NodeKind::Standby { activation } => {
                        format!("needed: activating, ready in {activation}")
                    }
                    _ => "activating".into(),
                },
                Change::Draining { until } => {
                    format!(
                        "catching up on its backlog until {} ({})",
                        m.start_clock.at(until),
                        until - t
                    )
                }
                Change::FailingOver => "its alternative is down: failing over".into(),
                Change::FailedOver { to } => format!("now runs on {}", m.node(to).name),
                Change::Safeguards(did) => {
                    name = "tool".into();
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
                Change::Aborted => {
                    name = "tool".into();
                    "monitoring noticed: the operator aborts the rest of the removal".into()
                }
            };
            writeln!(
                w,
                "{:>clock$}  {:>since$}  {name:width$}  {text}",
                m.start_clock.at(t),
                t.to_string()
            )?;
        }
        writeln!(w)?;
        let o = self.outcome;
        writeln!(
            w,
            "servers {}: {}; cascade depth: {}",
            match m.command.action {
                Action::Remove => "removed",
                Action::Reboot => "rebooted",
            },
            o.servers_removed,
            o.cascade_depth
        )?;
        super::loss::summary(w, m, self.changes)?;
        let backs = self.capacity_back();
        for (id, node) in m.reported() {
            let Some(&back) = backs.get(&id) else {
                continue;
            };
            let at = |t: Option<SimTime>| match t {
                Some(t) if t == SimTime::ZERO => "never below".to_string(),
                Some(t) => format!("at {t}"),
                None => "not by the horizon".to_string(),
            };
            let shares: Vec<String> = SHARES
                .iter()
                .zip(back)
                .map(|(&share, t)| format!("{share} {}", at(t)))
                .collect();
            writeln!(w, "{} servers back: {}", node.name, shares.join(", "))?;
        }
        match o.recovery {
            Some(r) => writeln!(
                w,
                "everything back after {} (at {})",
                duration(r.as_secs_f64()),
                m.start_clock.at(SimTime::ZERO + r)
            )?,
            None if o.horizon_hit => {
                writeln!(w, "not everything was back by the horizon ({})", m.horizon)?
            }
            None => writeln!(w, "nothing became unavailable")?,
        }
        Ok(())
    }

    /// When the chart of the run ends: when everything was back, else the last change.
    pub fn end(&self) -> SimTime {
        let last = self.changes.last().map_or(SimTime::ZERO, |c| c.0);
        self.outcome.recovery.map_or(last, |r| SimTime::ZERO + r)
    }

    fn explain(
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

    fn explain_health(&self, id: NodeId, from: Health, to: Health, served: u32) -> String {
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

/// What a cell got of its subsystem's restart budget, which goes to cells first come, first
/// served: when its servers boot, or when its metadata is validated.
fn share_of_budget(now: SimTime, to: Phase, (start, end): (SimTime, SimTime)) -> String {
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
