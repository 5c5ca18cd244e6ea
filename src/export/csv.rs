//! CSV: one row per run, written as the runs complete, in run order.

use std::io::{self, Write};

use std::fmt::Write as _;

use crate::engine::{Outcome, FULL};
use crate::model::{Model, NodeId};
use crate::time::SimDuration;

/// Writes the per-run table: run, typed count, selector, outage, servers removed, cascade
/// depth, recovery (empty when nothing failed or it was not back by the horizon), whether the
/// horizon was hit, then `downtime_s.NODE` per subsystem and service, and for a scenario
/// with `data` the writes lost in seconds (`data_loss_s`, 0 when none).
pub struct RunsCsv<'m, W: Write> {
    model: &'m Model,
    nodes: Vec<NodeId>,
    out: csv::Writer<W>,
    buf: String,
}

/// Seconds with exactly three decimals, from whole milliseconds (no floating point).
fn secs(buf: &mut String, d: SimDuration) -> &str {
    use std::fmt::Write as _;
    buf.clear();
    let ms = d.as_millis();
    let _ = write!(buf, "{}.{:03}", ms / 1000, ms % 1000);
    buf
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
            "blast_radius",
            "customer_outage",
            "safeguards",
        ]
        .map(String::from)
        .to_vec();
        header.extend(
            nodes
                .iter()
                .map(|&id| format!("downtime_s.{}", model.node(id).name)),
        );
        if model.has_data() {
            header.push("data_loss_s".into());
        }
        out.write_record(&header)?;
        Ok(RunsCsv {
            model,
            nodes,
            out,
            buf: String::new(),
        })
    }

    /// Writes one run's row.
    pub fn row(&mut self, run: u64, o: &Outcome) -> io::Result<()> {
        let selector = o
            .selector
            .map_or("", |s| self.model.command.selector_name(s));
        let mut int = itoa::Buffer::new();
        let out = &mut self.out;
        out.write_field(int.format(run))?;
        out.write_field(int.format(o.count_typed))?;
        out.write_field(selector)?;
        out.write_field(if o.outage { "1" } else { "0" })?;
        out.write_field(int.format(o.servers_removed))?;
        out.write_field(int.format(o.cascade_depth))?;
        match o.recovery {
            Some(r) => out.write_field(secs(&mut self.buf, r))?,
            None => out.write_field("")?,
        }
        out.write_field(if o.horizon_hit { "1" } else { "0" })?;
        self.buf.clear();
        let _ = write!(
            self.buf,
            "{}.{:06}",
            o.blast_radius / FULL,
            o.blast_radius % FULL
        );
        out.write_field(&self.buf)?;
        out.write_field(if o.customer_outage { "1" } else { "0" })?;
        let did = &o.interventions;
        let acts = [
            (did.failed, "failed"),
            (did.declined, "declined"),
            (did.refused, "refused"),
            (did.clipped, "clipped"),
            (did.aborted, "aborted"),
        ];
        self.buf.clear();
        for (_, name) in acts.iter().filter(|(happened, _)| *happened) {
            if !self.buf.is_empty() {
                self.buf.push('+');
            }
            self.buf.push_str(name);
        }
        out.write_field(&self.buf)?;
        for id in &self.nodes {
            out.write_field(secs(&mut self.buf, o.nodes[id.0].downtime))?;
        }
        if self.model.has_data() {
            let lost = o.data_loss.unwrap_or(SimDuration::ZERO);
            out.write_field(secs(&mut self.buf, lost))?;
        }
        out.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// Writes the table of an estimate by strata, one row per distinct input: its typed count
/// (and the likeliest digits), selector, safeguard outcomes, exact probability, runs,
/// whether it had chance left in it, then per subsystem, service and customer the runs in
/// which it became unavailable (`unavailable_runs.NODE`) and its mean downtime in seconds
/// over the stratum's runs (`mean_downtime_s.NODE`); for a scenario with `data`, then the
/// runs that lost data (`data_loss_runs`) and the mean writes lost over the stratum's runs
/// (`mean_data_loss_s`).
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
