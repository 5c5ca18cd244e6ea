//! CSV: one row per run, written as the runs complete, in run order.

use std::io::{self, Write};

use crate::engine::{Outcome, FULL};
use crate::model::{Model, NodeId};
use crate::time::SimDuration;

/// Writes the per-run table: run, typed count, selector, outage, servers removed, cascade
/// depth, recovery (empty when nothing failed or it was not back by the horizon), whether the
/// horizon was hit, then `downtime_s.NODE` per subsystem and service, for a scenario
/// with `data` the writes lost in seconds (`data_loss_s`, 0 when none), and per subsystem
/// when 50 %, 90 % and 100 % of its servers were back (`servers_back_50_s.NODE`,
/// `servers_back_90_s.NODE`, `servers_back_100_s.NODE`: empty when it lost no servers,
/// 0 for a share it never fell below, `inf` for one not back when the run ended).
pub struct RunsCsv<'m, W: Write> {
    model: &'m Model,
    nodes: Vec<NodeId>,
    subsystems: Vec<NodeId>,
    /// The selectors' names as CSV fields (quoted where they need it): the intended one,
    /// then each wrong one.
    selectors: Vec<Vec<u8>>,
    /// `,0.000` for every node: the downtimes of a run in which none lost anything (most
    /// runs), copied at once.
    zeros: Vec<u8>,
    out: W,
    line: Vec<u8>,
}

/// Appends seconds with exactly three decimals, from whole milliseconds (no floating point).
#[inline]
fn secs(line: &mut Vec<u8>, d: SimDuration) {
    let ms = d.as_millis();
    if ms == 0 {
        line.extend_from_slice(b"0.000");
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

impl<'m, W: Write> RunsCsv<'m, W> {
    /// Writes the header.
    pub fn new(model: &'m Model, w: W) -> io::Result<Self> {
        let mut csv = RunsCsv::unwritten(model, w);
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
        csv.out
            .write_all(&head.into_inner().map_err(|e| e.into_error())?)?;
        Ok(csv)
    }

    /// The formatter of `model`'s rows into `w`, nothing written yet.
    fn unwritten(model: &'m Model, w: W) -> Self {
        let nodes: Vec<NodeId> = model.reported().map(|(id, _)| id).collect();
        let subsystems: Vec<NodeId> = nodes
            .iter()
            .copied()
            .filter(|&id| matches!(model.node(id).kind, crate::model::NodeKind::Subsystem(_)))
            .collect();
        let cmd = &model.command;
        let selectors = std::iter::once(cmd.selector_name(crate::typo::Selector::Intended))
            .chain(cmd.target_typos.matches.iter().map(|m| m.name.as_str()))
            .map(field)
            .collect();
        RunsCsv {
            model,
            zeros: b",0.000".repeat(nodes.len()),
            nodes,
            subsystems,
            selectors,
            out: w,
            line: Vec::with_capacity(256),
        }
    }

    /// Writes one run's row.
    pub fn row(&mut self, run: u64, o: &Outcome) -> io::Result<()> {
        let mut int = itoa::Buffer::new();
        let l = &mut self.line;
        l.clear();
        let bit = |l: &mut Vec<u8>, b: bool| l.extend_from_slice(if b { b"1," } else { b"0," });
        l.extend_from_slice(int.format(run).as_bytes());
        l.push(b',');
        l.extend_from_slice(int.format(o.count_typed).as_bytes());
        l.push(b',');
        match o.selector {
            Some(crate::typo::Selector::Intended) => l.extend_from_slice(&self.selectors[0]),
            Some(crate::typo::Selector::Wrong(i)) => l.extend_from_slice(&self.selectors[i + 1]),
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
        if self
            .nodes
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
        self.out.write_all(l)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<'m> RunsCsv<'m, Vec<u8>> {
    /// A formatter of rows without the header, into memory: what each worker of a batch
    /// formats its runs with, the caller writing them after the header in run order.
    pub fn rows(model: &'m Model) -> Self {
        RunsCsv::unwritten(model, Vec::new())
    }
}

impl crate::montecarlo::RowFormat for RunsCsv<'_, Vec<u8>> {
    fn row(&mut self, run: u64, outcome: &Outcome) -> io::Result<()> {
        RunsCsv::row(self, run, outcome)
    }

    fn take(&mut self) -> io::Result<Vec<u8>> {
        // The next chunk's rows take about as much room: no copies as the buffer grows.
        let room = Vec::with_capacity(self.out.len() + self.out.len() / 8);
        Ok(std::mem::replace(&mut self.out, room))
    }
}

/// Writes the table of an estimate by strata, one row per distinct input: its typed count
/// (and the likeliest digits), selector, safeguard outcomes, exact probability, runs,
/// whether it had chance left in it, then per subsystem, service and customer the runs in
/// which it became unavailable (`unavailable_runs.NODE`) and its mean downtime in seconds
/// over the stratum's runs (`mean_downtime_s.NODE`); for a scenario with `data`, then the
/// runs that lost data (`data_loss_runs`) and the mean writes lost over the stratum's runs
/// (`mean_data_loss_s`); then per subsystem the runs in which it lost servers
/// (`lost_servers_runs.NODE`).
pub fn write_strata<W: Write + ?Sized>(
    w: &mut W,
    model: &Model,
    est: &crate::stratified::Estimate,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let nodes: Vec<(NodeId, &str)> = model
        .reported()
        .map(|(id, n)| (id, n.name.as_str()))
        .collect();
    let mut header: Vec<String> = [
        "count",
        "typed",
        "selector",
        "safeguards",
        "probability",
        "runs",
        "random",
    ]
    .map(String::from)
    .to_vec();
    header.extend(nodes.iter().map(|(_, n)| format!("unavailable_runs.{n}")));
    header.extend(nodes.iter().map(|(_, n)| format!("mean_downtime_s.{n}")));
    let data = model.has_data();
    if data {
        header.extend(["data_loss_runs".into(), "mean_data_loss_s".into()]);
    }
    let subsystems: Vec<&(NodeId, &str)> = nodes
        .iter()
        .filter(|(id, _)| matches!(model.node(*id).kind, crate::model::NodeKind::Subsystem(_)))
        .collect();
    header.extend(
        subsystems
            .iter()
            .map(|(_, n)| format!("lost_servers_runs.{n}")),
    );
    out.write_record(&header)?;
    for (h, s) in est.strata.strata.iter().enumerate() {
        let acc = &est.results[h];
        let mut row = vec![
            s.count.count.to_string(),
            s.count.text.clone(),
            model.command.selector_name(s.selector).to_string(),
            crate::report::describe(s.fates),
            format!("{:e}", s.probability),
            acc.runs.to_string(),
            (!est.deterministic[h]).to_string(),
        ];
        row.extend(
            nodes
                .iter()
                .map(|(id, _)| acc.nodes.get(id.index()).down_runs.to_string()),
        );
        row.extend(nodes.iter().map(|(id, _)| {
            let (sum, _) = acc.nodes.get(id.index()).downtime.seconds();
            format!("{:.3}", sum / acc.runs.max(1) as f64)
        }));
        if data {
            let (sum, _) = acc.data_loss.seconds();
            row.push(acc.data_loss_runs.to_string());
            row.push(format!("{:.3}", sum / acc.runs.max(1) as f64));
        }
        row.extend(subsystems.iter().map(|(id, _)| {
            // Below 100 % is losing any server.
            let lost = acc.capacity.get(id.index()).map_or(0, |c| c.below_runs[2]);
            lost.to_string()
        }));
        out.write_record(&row)?;
    }
    out.flush()
}

/// Writes a comparison, one row per variant and node (the first variant's nodes; `*` for
/// "some service"): the variant's probability of the node becoming unavailable and its
/// expected downtime per command, with intervals, and the differences from the first
/// variant with their intervals and variance reductions (empty for the first variant).
pub fn write_compare<W: Write + ?Sized>(
    w: &mut W,
    r: &crate::report::CompareReport,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "variant",
        "node",
        "p_unavailable",
        "p_unavailable_lo",
        "p_unavailable_hi",
        "expected_downtime_s",
        "expected_downtime_s_lo",
        "expected_downtime_s_hi",
        "p_difference",
        "p_difference_lo",
        "p_difference_hi",
        "p_variance_reduction",
        "downtime_difference_s",
        "downtime_difference_s_lo",
        "downtime_difference_s_hi",
        "downtime_variance_reduction",
    ])?;
    let num = |x: f64| format!("{x:e}");
    let diff = |d: Option<&crate::report::Difference>| match d {
        Some(d) => vec![
            num(d.estimate),
            num(d.ci95[0]),
            num(d.ci95[1]),
            d.variance_reduction.map_or(String::new(), num),
        ],
        None => vec![String::new(); 4],
    };
    for (name, v) in &r.variants {
        let d = r.differences.get(name);
        let mut row = vec![name.clone(), "*".into()];
        let p = &v.outage_probability;
        row.extend([num(p.estimate), num(p.ci95[0]), num(p.ci95[1])]);
        row.extend(vec![String::new(); 3]);
        row.extend(diff(d.map(|d| &d.outage_probability)));
        row.extend(vec![String::new(); 4]);
        out.write_record(&row)?;
        for (node, n) in &v.nodes {
            let nd = d.and_then(|d| d.nodes.get(node));
            let mut row = vec![name.clone(), node.clone()];
            let (p, e) = (&n.unavailable_probability, &n.expected_downtime_s);
            row.extend([num(p.estimate), num(p.ci95[0]), num(p.ci95[1])]);
            row.extend([num(e.estimate), num(e.ci95[0]), num(e.ci95[1])]);
            row.extend(diff(nd.map(|n| &n.unavailable_probability)));
            row.extend(diff(nd.map(|n| &n.expected_downtime_s)));
            out.write_record(&row)?;
        }
    }
    out.flush()
}

/// Writes a sweep, one row per point and node: the varied values, the node, its
/// probability of becoming unavailable, its mean downtime when it does and its expected
/// downtime per command, each with its interval.
pub fn write_sweep<W: Write + ?Sized>(
    w: &mut W,
    r: &crate::planning::SweepReport,
) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header = r.varied.clone();
    header.extend(
        [
            "node",
            "p_unavailable",
            "p_unavailable_lo",
            "p_unavailable_hi",
            "downtime_given_unavailable_s",
            "downtime_given_unavailable_s_lo",
            "downtime_given_unavailable_s_hi",
            "expected_downtime_s",
            "expected_downtime_s_lo",
            "expected_downtime_s_hi",
        ]
        .map(String::from),
    );
    out.write_record(&header)?;
    let num = |x: f64| format!("{x:e}");
    for p in &r.points {
        for (node, n) in &p.report.nodes {
            let mut row = p.values.clone();
            row.push(node.clone());
            let u = &n.unavailable_probability;
            row.extend([num(u.estimate), num(u.ci95[0]), num(u.ci95[1])]);
            match &n.downtime_given_unavailable_s {
                Some(d) => row.extend([num(d.estimate), num(d.ci95[0]), num(d.ci95[1])]),
                None => row.extend(vec![String::new(); 3]),
            }
            let e = &n.expected_downtime_s;
            row.extend([num(e.estimate), num(e.ci95[0]), num(e.ci95[1])]);
            out.write_record(&row)?;
        }
    }
    out.flush()
}
