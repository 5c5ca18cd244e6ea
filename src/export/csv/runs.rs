//! The per-run CSV: one row per run, formatted by the workers as their runs finish.

use std::io;

use crate::engine::capacity::CapacityBack;
use crate::engine::{Outcome, FULL};
use crate::model::{Model, NodeId};
use crate::safeguard::Interventions;
use crate::time::SimDuration;
use crate::typo::Selector;

/// Formats the per-run table: run, typed count, selector, outage, servers removed, cascade
/// depth, recovery (empty when nothing failed or it was not back by the horizon), whether the
/// horizon was hit, then `downtime_s.NODE` per subsystem and service, for a scenario
/// with `data` the writes lost in seconds (`data_loss_s`, 0 when none), and per subsystem
/// when 50 %, 90 % and 100 % of its servers were back (`servers_back_50_s.NODE`,
/// `servers_back_90_s.NODE`, `servers_back_100_s.NODE`: empty when it lost no servers,
/// 0 for a share it never fell below, `inf` for one not back when the run ended).
/// Seconds have three decimals, except zero, which is `0`.
///
/// Each worker owns one and formats its rows into memory ([`RunsCsv::row`]); the caller
/// writes the bytes it [takes](crate::montecarlo::RowFormat::take) after the
/// [`header`](RunsCsv::header), in run order.
pub struct RunsCsv<'m> {
    model: &'m Model,
    nodes: Vec<NodeId>,
    subsystems: Vec<NodeId>,
    /// The selectors' names as CSV fields (quoted where they need it): the intended one,
    /// then each wrong one.
    selectors: Vec<Vec<u8>>,
    /// `,0` for every node: the downtimes of a run in which none lost anything (most
    /// runs), copied at once.
    zeros: Vec<u8>,
    /// The rows formatted since the last take.
    out: Vec<u8>,
    /// Emptied buffers given back, to format into without allocating.
    spares: Vec<Vec<u8>>,
    /// The last row formatted, after its run number: most runs repeat the one before.
    last: Last,
}

/// A row's fields after the run number, and everything they were formatted from: the
/// outcome's totals and, per node the run touched (every other node lost nothing), its
/// downtime and capacity. A run equal in these gets the same bytes.
#[derive(Default)]
struct Last {
    totals: Option<Totals>,
    touched: Vec<(NodeId, SimDuration, CapacityBack)>,
    bytes: Vec<u8>,
}

/// The fields of an [`Outcome`] a row shows, but for its nodes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Totals {
    count_typed: u64,
    selector: Option<Selector>,
    interventions: Interventions,
    servers_removed: u64,
    outage: bool,
    customer_outage: bool,
    blast_radius: u32,
    cascade_depth: u32,
    recovery: Option<SimDuration>,
    horizon_hit: bool,
    data_loss: Option<SimDuration>,
}

impl Totals {
    fn of(o: &Outcome) -> Self {
        Totals {
            count_typed: o.count_typed,
            selector: o.selector,
            interventions: o.interventions,
            servers_removed: o.servers_removed,
            outage: o.outage,
            customer_outage: o.customer_outage,
            blast_radius: o.blast_radius,
            cascade_depth: o.cascade_depth,
            recovery: o.recovery,
            horizon_hit: o.horizon_hit,
            data_loss: o.data_loss,
        }
    }
}

impl Last {
    /// Whether `o`'s row, after the run number, is `self.bytes`.
    fn matches(&self, o: &Outcome) -> bool {
        self.totals == Some(Totals::of(o))
            && self.touched.len() == o.touched.len()
            && self
                .touched
                .iter()
                .zip(&o.touched)
                .all(|(&(was, down, cap), &id)| {
                    let node = &o.nodes[id.0];
                    was == id && node.downtime == down && node.capacity == cap
                })
    }

    /// Remembers `bytes` as `o`'s row after the run number.
    fn keep(&mut self, o: &Outcome, bytes: &[u8]) {
        self.totals = Some(Totals::of(o));
        self.touched.clear();
        self.touched.extend(o.touched.iter().map(|&id| {
            let node = &o.nodes[id.0];
            (id, node.downtime, node.capacity)
        }));
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
    }
}

/// Appends seconds from whole milliseconds (no floating point): `0`, or exactly three
/// decimals.
#[inline]
fn secs(line: &mut Vec<u8>, d: SimDuration) {
    let ms = d.as_millis();
    if ms == 0 {
        line.push(b'0');
        return;
    }
    let mut int = itoa::Buffer::new();
    line.extend_from_slice(int.format(ms / 1000).as_bytes());
    let frac = ms % 1000;
    line.extend_from_slice(&[
        b'.',
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
}

/// `text` as one CSV field: quoted, with quotes doubled, when it holds a comma, a quote or
/// a line break.
fn field(text: &str) -> Vec<u8> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into_bytes()
    } else {
        text.as_bytes().to_vec()
    }
}

impl<'m> RunsCsv<'m> {
    /// The header line of `model`'s table.
    pub fn header(model: &Model) -> io::Result<Vec<u8>> {
        let csv = RunsCsv::rows(model);
        let mut header: Vec<String> = [
            "run",
            "typed_count",
            "selector",
            "outage",
            "servers_removed",
            "cascade_depth",
            "recovery_s",
            "horizon_hit",
            "blast_radius",
            "customer_outage",
            "safeguards",
        ]
        .map(String::from)
        .to_vec();
        header.extend(
            csv.nodes
                .iter()
                .map(|&id| format!("downtime_s.{}", model.node(id).name)),
        );
        if model.has_data() {
            header.push("data_loss_s".into());
        }
        for &id in &csv.subsystems {
            for share in [50, 90, 100] {
                header.push(format!("servers_back_{share}_s.{}", model.node(id).name));
            }
        }
        let mut head = csv::Writer::from_writer(Vec::new());
        head.write_record(&header)?;
        head.into_inner().map_err(|e| e.into_error())
    }

    /// A formatter of `model`'s rows, nothing formatted yet.
    pub fn rows(model: &'m Model) -> Self {
        let nodes: Vec<NodeId> = model.reported().map(|(id, _)| id).collect();
        let subsystems: Vec<NodeId> = nodes
            .iter()
            .copied()
            .filter(|&id| matches!(model.node(id).kind, crate::model::NodeKind::Subsystem(_)))
            .collect();
        let cmd = &model.command;
        let selectors = std::iter::once(cmd.selector_name(Selector::Intended))
            .chain(cmd.target_typos.matches.iter().map(|m| m.name.as_str()))
            .map(field)
            .collect();
        RunsCsv {
            model,
            zeros: b",0".repeat(nodes.len()),
            nodes,
            subsystems,
            selectors,
            out: Vec::new(),
            spares: Vec::new(),
            last: Last::default(),
        }
    }

    /// Appends run `run`'s row.
    pub fn row(&mut self, run: u64, o: &Outcome) {
        let mut int = itoa::Buffer::new();
        self.out.extend_from_slice(int.format(run).as_bytes());
        if self.last.matches(o) {
            self.out.extend_from_slice(&self.last.bytes);
            return;
        }
        let from = self.out.len();
        self.rest(o);
        self.last.keep(o, &self.out[from..]);
    }

    /// Appends the fields of `o`'s row after the run number, and the line's end.
    fn rest(&mut self, o: &Outcome) {
        let mut int = itoa::Buffer::new();
        let l = &mut self.out;
        let bit = |l: &mut Vec<u8>, b: bool| l.extend_from_slice(if b { b"1," } else { b"0," });
        l.push(b',');
        l.extend_from_slice(int.format(o.count_typed).as_bytes());
        l.push(b',');
        match o.selector {
            Some(Selector::Intended) => l.extend_from_slice(&self.selectors[0]),
            Some(Selector::Wrong(i)) => l.extend_from_slice(&self.selectors[i + 1]),
            None => {}
        }
        l.push(b',');
        bit(l, o.outage);
        l.extend_from_slice(int.format(o.servers_removed).as_bytes());
        l.push(b',');
        l.extend_from_slice(int.format(o.cascade_depth).as_bytes());
        l.push(b',');
        if let Some(r) = o.recovery {
            secs(l, r);
        }
        l.push(b',');
        bit(l, o.horizon_hit);
        l.extend_from_slice(int.format(o.blast_radius / FULL).as_bytes());
        l.push(b'.');
        let frac = int.format(o.blast_radius % FULL);
        l.extend(std::iter::repeat(b'0').take(6 - frac.len()));
        l.extend_from_slice(frac.as_bytes());
        l.push(b',');
        bit(l, o.customer_outage);
        let did = &o.interventions;
        let acts = [
            (did.failed, "failed"),
            (did.declined, "declined"),
            (did.refused, "refused"),
            (did.clipped, "clipped"),
            (did.aborted, "aborted"),
        ];
        let mut first = true;
        for (_, name) in acts.iter().filter(|(happened, _)| *happened) {
            if !first {
                l.push(b'+');
            }
            first = false;
            l.extend_from_slice(name.as_bytes());
        }
        // Only the nodes the run touched can have lost anything.
        if o.touched
            .iter()
            .all(|id| o.nodes[id.0].downtime == SimDuration::ZERO)
        {
            l.extend_from_slice(&self.zeros);
        } else {
            for id in &self.nodes {
                l.push(b',');
                secs(l, o.nodes[id.0].downtime);
            }
        }
        if self.model.has_data() {
            l.push(b',');
            secs(l, o.data_loss.unwrap_or(SimDuration::ZERO));
        }
        for id in &self.subsystems {
            let c = o.nodes[id.0].capacity;
            for back in c.back {
                l.push(b',');
                match back {
                    _ if !c.lost => {}
                    Some(t) => secs(l, t.since_start()),
                    None => l.extend_from_slice(b"inf"),
                }
            }
        }
        l.push(b'\n');
    }
}

impl crate::montecarlo::RowFormat for RunsCsv<'_> {
    fn row(&mut self, run: u64, outcome: &Outcome) {
        RunsCsv::row(self, run, outcome)
    }

    fn take(&mut self) -> Vec<u8> {
        let next = self.spares.pop().unwrap_or_else(|| {
            // The next piece's rows take about as much room: no copies as it grows.
            Vec::with_capacity(self.out.len() + self.out.len() / 8)
        });
        std::mem::replace(&mut self.out, next)
    }

    fn reuse(&mut self, mut spare: Vec<u8>) {
        spare.clear();
        self.spares.push(spare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Simulation;
    use crate::engine::Unobserved;
    use crate::montecarlo::run_rng;

    /// Rows copied from the run before are the rows formatted afresh, on scenarios with
    /// cells, data loss, customers and wrong selectors, runs repeating an input or not.
    #[test]
    fn a_row_copied_from_the_last_is_the_row_formatted_afresh() {
        // Three of ten servers rebooted, above the minimum: the runs differ only in when
        // each server is back.
        let rebooted = "[scenario]\nname = \"rebooted\"\n\n[subsystems.fleet]\nservers = 10\n\
                        min_capacity = 2\nrestart = { parallelism = 1, boot_time = { dist = \
                        \"uniform\", min = \"1m\", max = \"9m\" } }\n\n[services.api]\n\
                        needs = [\"fleet\"]\n\n[command]\ntarget = \"fleet\"\ncount = 3\n\
                        action = \"reboot\"\n";
        let models = [
            "s3-2017",
            "s3-cells",
            "gitlab-2017",
            "kinesis-2020",
            "multi-region",
        ]
        .map(|name| (name, crate::scenario::load(name).unwrap()));
        let custom = (
            "rebooted",
            crate::scenario::parse("rebooted", rebooted).unwrap(),
        );
        for (name, model) in models.into_iter().chain([custom]) {
            let mut sim = Simulation::new(&model);
            let mut cached = RunsCsv::rows(&model);
            let (mut rows, mut repeats) = (0, 0);
            let wrong = model.command.target_typos.matches.len();
            let intended = model.command.count;
            for run in 0..600u64 {
                let count = [intended, intended, intended * 10, 0, 1][(run / 3 % 5) as usize];
                let selector = match run / 15 % 3 {
                    1 if wrong > 0 => Selector::Wrong(0),
                    _ => Selector::Intended,
                };
                let o = sim.run_input(count, selector, &mut run_rng(7, run), &mut Unobserved);
                let mut fresh = RunsCsv::rows(&model);
                fresh.row(run, o);
                let before = cached.out.len();
                repeats += usize::from(cached.last.matches(o));
                cached.row(run, o);
                assert_eq!(
                    String::from_utf8_lossy(&cached.out[before..]),
                    String::from_utf8_lossy(&fresh.out),
                    "{name} run {run}"
                );
                rows += 1;
            }
            // Both paths were taken.
            assert!(repeats > 0 && repeats < rows, "{name}: {repeats} of {rows}");
        }
    }
}
