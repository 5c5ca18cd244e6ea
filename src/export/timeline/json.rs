//! The replay's milestones as JSON: per node, when it went down, served again and was fully
//! back, in seconds since the command.

use std::io::{self, Write};

use indexmap::IndexMap;
use serde::Serialize;

use super::{Replay, SHARES};
use crate::time::SimTime;

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
        crate::export::json::write(w, &json)
    }
}
