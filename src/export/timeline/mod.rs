//! The replay of one run as a timeline a person can read (one line per state change of each
//! subsystem and service, with wall-clock times), and its milestones as JSON.
//!
//! The timeline is told in `story`, with the reasons for each change in `explain` and
//! what the run came to in `totals`; the milestones are written in `json`.

mod explain;
mod json;
mod story;
mod totals;

use std::collections::HashMap;
use std::io::{self, Write};

use crate::engine::{Change, Outcome};
use crate::model::{Model, NodeId};
use crate::time::SimTime;
use crate::typo::TypedInput;

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

/// The shares of a fleet whose return the replay reports.
const SHARES: [&str; 3] = crate::engine::capacity::SHARE_NAMES;

impl Replay<'_> {
    /// Writes the timeline, then its Gantt chart.
    pub fn write_text<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        self.write_story(w)?;
        super::gantt::write(w, self.model, self.changes, self.end())
    }

    /// When the chart of the run ends: when everything was back, else the last change.
    pub fn end(&self) -> SimTime {
        let last = self.changes.last().map_or(SimTime::ZERO, |c| c.0);
        self.outcome.recovery.map_or(last, |r| SimTime::ZERO + r)
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
}
