//! The human summaries of a sweep ([`SweepReport`]) and a budget ([`BudgetReport`]), under
//! 100 columns: one row per value tried.

use std::io::{self, Write};

use super::strata::probability;
use super::text::duration;
use crate::planning::{BudgetReport, Quantity, SweepReport, Target, Verdict};
use crate::report::Interval;

fn seconds(i: &Interval) -> String {
    format!(
        "{} [{}, {}]",
        duration(i.estimate),
        duration(i.ci95[0]),
        duration(i.ci95[1])
    )
}

/// The last part of a dotted key, for a column header.
fn short(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn header<W: Write + ?Sized>(w: &mut W, what: &str, r: &SweepReport) -> io::Result<()> {
    let state = if r.complete {
        "complete"
    } else {
        "stopped early"
    };
    writeln!(
        w,
        "{what} on common random numbers: {} runs per point by strata of the input, seed {}, {state}",
        r.runs, r.seed
    )?;
    writeln!(w, "scenario: {}", r.scenario)?;
    writeln!(w, "varied:   {}", r.varied.join(", "))
}

/// Writes a sweep's table for `node`.
pub fn write_sweep<W: Write + ?Sized>(w: &mut W, r: &SweepReport, node: &str) -> io::Result<()> {
    header(w, "sweep", r)?;
    writeln!(w)?;
    let widths: Vec<usize> = r
        .varied
        .iter()
        .enumerate()
        .map(|(k, key)| {
            r.points
                .iter()
                .map(|p| p.values[k].len())
                .max()
                .unwrap_or(0)
                .max(short(key).len())
        })
        .collect();
    let mut line = String::new();
    for (key, width) in r.varied.iter().zip(&widths) {
        line += &format!("{:width$}  ", short(key));
    }
    writeln!(
        w,
        "{line}{:<36}  {:<36}  per command",
        format!("P({node} unavailable)"),
        "down for, when unavailable"
    )?;
    for p in &r.points {
        let mut line = String::new();
        for (value, width) in p.values.iter().zip(&widths) {
            line += &format!("{value:width$}  ");
        }
        let Some(n) = p.report.nodes.get(node) else {
            writeln!(w, "{line}(no node {node} here)")?;
            continue;
        };
        // Cut at the horizon: only lower bounds.
        let at_least = if n.still_down_at_horizon_probability.is_some() {
            "≥ "
        } else {
            ""
        };
        let given = n
            .downtime_given_unavailable_s
            .as_ref()
            .map_or_else(|| "-".into(), |i| format!("{at_least}{}", seconds(i)));
        writeln!(
            w,
            "{line}{:<36}  {given:<36}  {}",
            probability(&n.unavailable_probability),
            duration(n.expected_downtime_s.estimate)
        )?;
    }
    Ok(())
}

fn show(target: &Target, i: &Interval) -> String {
    match target.quantity {
        Quantity::Facing | Quantity::Unavailable(_) => probability(i),
        Quantity::Mean(_)
        | Quantity::Expected(_)
        | Quantity::Percentile(..)
        | Quantity::Recovery(_) => seconds(i),
    }
}

/// Writes a budget's answer and the values tried.
pub fn write_budget<W: Write + ?Sized>(w: &mut W, r: &BudgetReport) -> io::Result<()> {
    header(w, "budget", &r.sweep)?;
    let which = if r.largest { "largest" } else { "smallest" };
    writeln!(
        w,
        "target:   {} with 95% confidence; the {which} value that meets it",
        r.target
    )?;
    writeln!(w)?;
    let key = short(&r.varied);
    match &r.answer {
        Some(answer) => writeln!(w, "answer: {key} = {answer}")?,
        None => writeln!(w, "answer: no value tried meets the target with confidence")?,
    }
    if !r.monotone {
        writeln!(
            w,
            "note: the verdicts change more than once along the values; the answer is the {which} met"
        )?;
    }
    writeln!(w)?;
    let target: Target = r.target.parse().expect("a target reads back");
    let width = r
        .values
        .iter()
        .map(|t| t.value.len())
        .max()
        .unwrap_or(0)
        .max(key.len());
    writeln!(w, "{key:width$}  {:<40}  verdict", target_name(&target))?;
    for t in &r.values {
        let verdict = match t.verdict {
            Verdict::Meets => "meets",
            Verdict::Fails => "fails",
            Verdict::Undecided if t.lower_bound => "undecided (a longer horizon would tell)",
            Verdict::Undecided => "undecided (more runs would tell)",
        };
        let mark = if r.answer.as_deref() == Some(t.value.as_str()) {
            "  ←"
        } else {
            ""
        };
        let at_least = if t.lower_bound { "≥ " } else { "" };
        writeln!(
            w,
            "{:width$}  {:<40}  {verdict}{mark}",
            t.value,
            format!("{at_least}{}", show(&target, &t.quantity))
        )?;
    }
    Ok(())
}

fn target_name(t: &Target) -> String {
    t.text
        .split(['<', '>'])
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}
