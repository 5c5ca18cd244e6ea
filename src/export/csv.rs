//! CSV: one row per run, written as the runs complete, in run order.

use std::io::{self, Write};

use crate::engine::Outcome;
use crate::model::{Model, NodeId};
use crate::time::SimDuration;

/// Writes the per-run table: run, typed count, selector, outage, servers removed, cascade
/// depth, recovery (empty when nothing failed or it was not back by the horizon), whether the
/// horizon was hit, then `downtime_s.NODE` per subsystem and service.
pub struct RunsCsv<'m, W: Write> {
    model: &'m Model,
    nodes: Vec<NodeId>,
    out: csv::Writer<W>,
}

fn secs(d: SimDuration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

impl<'m, W: Write> RunsCsv<'m, W> {
    /// Writes the header.
    pub fn new(model: &'m Model, w: W) -> io::Result<Self> {
        let mut out = csv::Writer::from_writer(w);
        let nodes: Vec<NodeId> = model.reported().map(|(id, _)| id).collect();
        let mut header: Vec<String> = [
            "run",
            "typed_count",
            "selector",
            "outage",
            "servers_removed",
            "cascade_depth",
            "recovery_s",
            "horizon_hit",
        ]
        .map(String::from)
        .to_vec();
        header.extend(
            nodes
                .iter()
                .map(|&id| format!("downtime_s.{}", model.node(id).name)),
        );
        out.write_record(&header)?;
        Ok(RunsCsv { model, nodes, out })
    }

    /// Writes one run's row.
    pub fn row(&mut self, run: u64, o: &Outcome) -> io::Result<()> {
        let selector = o
            .selector
            .map_or("", |s| self.model.command.selector_name(s));
        let mut record = vec![
            run.to_string(),
            o.count_typed.to_string(),
            selector.to_string(),
            u8::from(o.outage).to_string(),
            o.servers_removed.to_string(),
            o.cascade_depth.to_string(),
            o.recovery.map(secs).unwrap_or_default(),
            u8::from(o.horizon_hit).to_string(),
        ];
        record.extend(self.nodes.iter().map(|id| secs(o.nodes[id.0].downtime)));
        self.out.write_record(&record)?;
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}
