//! CSV: per-run rows (see [`runs`]) and the tables of estimates by strata, comparisons and
//! sweeps.

use std::io::{self, Write};

use crate::model::{Model, NodeId};

pub mod runs;

pub use runs::RunsCsv;

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
