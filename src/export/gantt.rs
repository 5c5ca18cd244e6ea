//! A compact text Gantt chart of one run, under the replay's timeline: one row per node
//! that changed, one column per equal slice of the time until everything was back, within
//! 100 columns. A column shows the worst state the node was in during its slice.

use std::io::{self, Write};

use crate::engine::{Change, Health, Phase};
use crate::model::{Model, NodeId, NodeKind};
use crate::time::SimTime;

/// Columns of the chart itself.
const COLUMNS: usize = 60;
/// Longest node name shown; longer ones are cut.
const NAME: usize = 24;

/// A node's state in the chart, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Serving all its traffic.
    Up,
    /// Serving a part of it.
    Partial,
    /// Validating its metadata (an undivided subsystem).
    Validating,
    /// Restarting its servers (an undivided subsystem).
    Restarting,
    /// Serving nothing.
    Down,
}

impl State {
    /// Its name in a legend.
    pub fn label(self) -> &'static str {
        match self {
            State::Up => "available",
            State::Partial => "partly",
            State::Validating => "validating",
            State::Restarting => "restarting",
            State::Down => "unavailable",
        }
    }

    fn glyph(self) -> char {
        match self {
            State::Up => '·',
            State::Partial => '▒',
            State::Validating => 'v',
            State::Restarting => 'r',
            State::Down => '█',
        }
    }
}

/// One row of the chart: a node and its states from the command on, as (ms, state).
pub type Row = (NodeId, Vec<(u64, State)>);

/// The rows of the run whose state changes are `changes`: one per node that changed (a
/// standby's are left out), in the model's dependency order, so that causes come before
/// what they cause.
pub fn rows(model: &Model, changes: &[(SimTime, NodeId, Change)]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for &(t, id, change) in changes {
        let single = match &model.node(id).kind {
            NodeKind::Subsystem(s) => s.cells.len() == 1,
            _ => false,
        };
        let state = match change {
            // An undivided subsystem shows its restart's phases.
            Change::Phase { to, .. } if single => match to {
                Phase::Down => State::Down,
                Phase::Restarting => State::Restarting,
                Phase::Validating => State::Validating,
                Phase::ServingPartially => State::Partial,
                Phase::Running | Phase::Degraded | Phase::Recovered => State::Up,
            },
            Change::Health { to, .. } if !single => match to {
                Health::Down => State::Down,
                Health::Partial => State::Partial,
                Health::Up => State::Up,
            },
            _ => continue,
        };
        if matches!(model.node(id).kind, NodeKind::Standby { .. }) {
            continue;
        }
        let at = t.since_start().as_millis();
        match rows.iter_mut().find(|(n, _)| *n == id) {
            Some((_, states)) => states.push((at, state)),
            None => rows.push((id, vec![(at, state)])),
        }
    }
    rows.sort_by_key(|(id, _)| model.graph.rank(*id));
    rows
}

/// Writes the chart of the run whose state changes are `changes`, from the command to
/// `end` (when everything was back, or the last change).
pub fn write<W: Write + ?Sized>(
    w: &mut W,
    model: &Model,
    changes: &[(SimTime, NodeId, Change)],
    end: SimTime,
) -> io::Result<()> {
    let span = end.since_start().as_millis();
    if span == 0 {
        return Ok(());
    }
    let rows = rows(model, changes);
    if rows.is_empty() {
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|(id, _)| model.node(*id).name.chars().count().min(NAME))
        .max()
        .unwrap_or(4);
    let clock = |ms: u64| {
        let s = ms / 1000;
        format!("+{}:{:02}", s / 3600, s / 60 % 60)
    };
    writeln!(w)?;
    let right = clock(span);
    writeln!(
        w,
        "{:width$}  {:<half$}{:>rest$}",
        "",
        "+0:00",
        right,
        half = COLUMNS / 2,
        rest = COLUMNS - COLUMNS / 2
    )?;
    for (id, states) in &rows {
        let mut line = String::with_capacity(COLUMNS * 3);
        for c in 0..COLUMNS as u64 {
            let (from, to) = (span * c / COLUMNS as u64, span * (c + 1) / COLUMNS as u64);
            // The state at the slice's start, and any the node entered during it.
            let before = states
                .iter()
                .take_while(|(t, _)| *t <= from)
                .last()
                .map_or(State::Up, |s| s.1);
            let during = states
                .iter()
                .filter(|(t, _)| *t > from && *t < to)
                .map(|s| s.1)
                .max()
                .unwrap_or(State::Up);
            line.push(before.max(during).glyph());
        }
        let name: String = model.node(*id).name.chars().take(NAME).collect();
        writeln!(w, "{name:width$}  {line}")?;
    }
    writeln!(
        w,
        "{:width$}  █ unavailable  r restarting  v validating  ▒ partly  · available",
        ""
    )
}
