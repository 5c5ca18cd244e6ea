//! The timeline as a story: what was meant and typed, then a line for each change with its
//! wall-clock time, its time since the command, the node and why it happened. A subsystem of
//! many cells is told in summary: how many of its cells went down (or began a diagnosis, or
//! lost their data) at an instant, not each cell's every phase.

use std::io::{self, Write};

use super::explain::{safeguards, share_of_budget};
use super::Replay;
use crate::engine::{Change, Health, Phase, FULL};
use crate::export::loss;
use crate::model::{NodeId, NodeKind};
use crate::time::SimTime;

/// A subsystem of more cells than this is told in summary in the timeline.
const MANY_CELLS: usize = 16;

impl Replay<'_> {
    /// Writes the timeline without its chart: what was meant and typed, every change with
    /// its cause, and when things were back.
    pub fn write_story<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        self.write_intent(w)?;
        let m = self.model;
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
        let mut story = Story::new(self);
        for k in 0..self.changes.len() {
            let Some((name, text)) = story.line(k) else {
                continue;
            };
            let t = self.changes[k].0;
            writeln!(
                w,
                "{:>clock$}  {:>since$}  {name:width$}  {text}",
                m.start_clock.at(t),
                t.to_string()
            )?;
        }
        writeln!(w)?;
        self.write_totals(w)
    }

    /// The scenario, and the command as meant and as typed.
    fn write_intent<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
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
        writeln!(w)
    }
}

/// How a change of a subsystem of many cells is told.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Summary {
    /// Not at all: its cells' phases and capacities are not followed one by one.
    Untold,
    /// In one line for all its cells that went down at the instant,
    Down,
    /// that began a diagnosis,
    Diagnosing,
    /// or that lost their data.
    DataLost,
    /// In a line of its own, like any node's.
    Own,
}

impl Summary {
    fn of(change: Change) -> Summary {
        match change {
            Change::Phase {
                to: Phase::Down, ..
            } => Summary::Down,
            Change::Diagnosing { .. } => Summary::Diagnosing,
            Change::DataLost { .. } => Summary::DataLost,
            Change::Phase { .. } | Change::Capacity { .. } | Change::Scheduled { .. } => {
                Summary::Untold
            }
            _ => Summary::Own,
        }
    }
}

/// What the story has told so far, to tell the next change.
struct Story<'r, 'a> {
    replay: &'r Replay<'a>,
    /// Servers in service per cell.
    capacity: Vec<Vec<u64>>,
    /// Each subsystem's phase (of its first cell).
    phase: Vec<Phase>,
    /// What the restart budget gave the next cell for its next phase.
    window: Option<(SimTime, SimTime)>,
    /// The summary last told: its instant, its node and of what.
    told: Option<(SimTime, NodeId, Summary)>,
    /// Per node, the tenth of its traffic it last served: a share served is told only when
    /// it passes a tenth.
    tenth: Vec<Option<u32>>,
    /// The cell whose restore the next diagnosis line includes.
    restoring: Option<(NodeId, Option<u32>)>,
}

impl<'r, 'a> Story<'r, 'a> {
    fn new(replay: &'r Replay<'a>) -> Self {
        let m = replay.model;
        let capacity = m
            .nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::Subsystem(s) => s.cells.iter().map(|c| c.servers).collect(),
                _ => Vec::new(),
            })
            .collect();
        Story {
            replay,
            capacity,
            phase: vec![Phase::Running; m.nodes.len()],
            window: None,
            told: None,
            tenth: vec![None; m.nodes.len()],
            restoring: None,
        }
    }

    /// The `k`th change's line, if it has one: the name it is told under, and what happened.
    fn line(&mut self, k: usize) -> Option<(String, String)> {
        let (t, id, change) = self.replay.changes[k];
        let name = &self.replay.model.node(id).name;
        if self.capacity[id.0].len() > MANY_CELLS {
            match Summary::of(change) {
                Summary::Untold => return None,
                Summary::Own => {}
                summary => return self.summary(k, summary).map(|text| (name.clone(), text)),
            }
        }
        self.own(t, id, change)
    }

    /// The line that tells how many cells of the `k`th change's subsystem did what it did at
    /// its instant; none if it is told already.
    fn summary(&mut self, k: usize, summary: Summary) -> Option<String> {
        let m = self.replay.model;
        let (t, id, change) = self.replay.changes[k];
        if self.told == Some((t, id, summary)) {
            return None;
        }
        self.told = Some((t, id, summary));
        let cells = self.replay.changes[k..]
            .iter()
            .take_while(|&&(u, n, _)| u == t && n == id)
            .filter(|(_, _, c)| Summary::of(*c) == summary)
            .count();
        let of = self.capacity[id.0].len();
        match (summary, change) {
            (Summary::Down, _) => Some(format!(
                "{cells} of its {of} cells down at once, below their minimum: full cold restarts needed"
            )),
            (_, Change::Diagnosing { until, .. }) => Some(format!(
                "diagnosing {cells} cells: the first may begin its cold restart at {} (in {})",
                m.start_clock.at(until),
                until - t
            )),
            (
                _,
                Change::DataLost {
                    window, restore, ..
                },
            ) => Some(loss::lost(window, restore, cells)),
            _ => None,
        }
    }

    /// A change's own line: the name it is told under and what happened; none for a change
    /// that is not told (a budget's schedule, a server back, a small change of share).
    fn own(&mut self, t: SimTime, id: NodeId, change: Change) -> Option<(String, String)> {
        let m = self.replay.model;
        let mut name = m.node(id).name.clone();
        let text = match change {
            Change::Phase {
                cell,
                from,
                to,
                capacity: after,
                removed,
            } => {
                let i = cell.unwrap_or(0) as usize;
                let before = std::mem::replace(&mut self.capacity[id.0][i], after);
                self.phase[id.0] = to;
                if let Some(c) = cell {
                    name = format!("{name}[{c}]");
                }
                let mut why = self.replay.explain(id, i, to, before, after, removed);
                if let (Some(window), Some(_)) = (self.window.take(), cell) {
                    why += &share_of_budget(t, to, window);
                }
                format!("{} → {}: {why}", from.label(), to.label())
            }
            Change::Scheduled { start, end, .. } => {
                self.window = Some((start, end));
                return None;
            }
            Change::Capacity {
                cell,
                capacity: now,
            } => {
                // One rebooted server back: counted, not a line of its own.
                self.capacity[id.0][cell.unwrap_or(0) as usize] = now;
                return None;
            }
            Change::Health { from, to, served } => {
                // An undivided subsystem's own phase changes are shown already; show
                // only the health changes its dependencies cause.
                if self.capacity[id.0].len() == 1 && to == self.phase[id.0].health() {
                    return None;
                }
                // Partly served all along: told only when the share passes a tenth.
                let step = served / (FULL / 10);
                let seen = self.tenth[id.0].replace(step);
                if from == Health::Partial && to == Health::Partial && seen == Some(step) {
                    return None;
                }
                self.replay.explain_health(id, from, to, served)
            }
            Change::DataLost {
                cell,
                window,
                restore,
            } => {
                if let Some(c) = cell {
                    name = format!("{name}[{c}]");
                }
                self.restoring = restore.map(|_| (id, cell));
                loss::lost(window, restore, 1)
            }
            Change::Overloaded {
                cell,
                at_once,
                until,
            } => {
                if let Some(c) = cell {
                    name = format!("{name}[{c}]");
                }
                loss::overloaded(m, id, at_once, until)
            }
            Change::Diagnosing { cell, until } => {
                if let Some(c) = cell {
                    name = format!("{name}[{c}]");
                }
                let what = if self.restoring.take() == Some((id, cell)) {
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
                safeguards(did)
            }
            Change::Aborted => {
                name = "tool".into();
                "monitoring noticed: the operator aborts the rest of the removal".into()
            }
        };
        Some((name, text))
    }
}
