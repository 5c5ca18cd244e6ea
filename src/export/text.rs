//! The human summary of a Monte Carlo batch, and small formatting helpers shared by the
//! human-facing exporters.

use std::io::{self, Write};

use super::shown::Shown;
use crate::operations::OperationsReport;
use crate::report::{Distribution, Proportion, Report, RunsToReplay};
use crate::time::SimDuration;

/// `4h 17m` from seconds (rounded to the second above one minute).
pub fn duration(secs: f64) -> String {
    let d = SimDuration::from_secs_f64(secs);
    if d.as_millis() >= 60_000 {
        SimDuration::from_secs((d.as_millis() + 500) / 1000).to_string()
    } else {
        d.to_string()
    }
}

/// `182.4 TB` from bytes (decimal units).
pub fn bytes(b: f64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.1} {}", units[u])
}

/// `1.23%` with enough digits for small probabilities.
pub fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct == 0.0 {
        "0%".into()
    } else if pct >= 1.0 {
        format!("{pct:.2}%")
    } else {
        // Three significant digits: 0.424%, 0.00384%.
        let decimals = (2.0 - pct.log10().floor()).clamp(0.0, 12.0) as usize;
        format!("{pct:.decimals$}%")
    }
}

/// A count of runs and its Wilson interval, in the one style of
/// [`super::strata::probability`].
fn proportion(p: &Proportion) -> String {
    super::strata::probability(&crate::report::Interval {
        estimate: p.estimate,
        ci95: p.ci95,
    })
}

/// A mean of a count (servers, levels): whole when it is, else with the digits that show
/// it (`10.13`, `8.50e-3`).
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else if v.abs() < 0.01 {
        format!("{v:.2e}")
    } else {
        format!("{v:.2}")
    }
}

/// `show(v)`, or `> show(v)` when `name` is only a lower bound in `d` (censored runs).
fn bounded(d: &Distribution, name: &str, v: f64, show: &impl Fn(f64) -> String) -> String {
    if d.lower_bounds.contains(&name) {
        let sign = if name == "mean" { "≥ " } else { "> " };
        format!("{sign}{}", show(v))
    } else {
        show(v)
    }
}

/// A distribution on two lines, the second indented by `indent`: its mean with the mean's
/// interval, then its quantiles and maximum.
fn dist_line(d: &Distribution, indent: usize, show: impl Fn(f64) -> String) -> String {
    match (d.mean, d.mean_ci95, d.p50, d.p90, d.p99, d.max) {
        (Some(mean), ci, Some(p50), Some(p90), Some(p99), Some(max)) => {
            // A mean that is a lower bound has no interval worth showing.
            let ci = match ci {
                Some([a, b]) if d.censored == 0 => format!(" [{}, {}]", show(a), show(b)),
                _ => String::new(),
            };
            format!(
                "mean {}{ci}\n{:indent$}p50 {}, p90 {}, p99 {}, max {}",
                bounded(d, "mean", mean, &show),
                "",
                bounded(d, "p50", p50, &show),
                bounded(d, "p90", p90, &show),
                bounded(d, "p99", p99, &show),
                bounded(d, "max", max, &show)
            )
        }
        _ => "no runs".into(),
    }
}

/// Summaries fit this many columns.
pub const WIDTH: usize = 100;

/// A summary's first line, `NAME (ORIGIN): what`; `what` goes on a line of its own,
/// indented, when both would not fit [`WIDTH`] columns (a long path, a `--set`).
pub fn heading<W: Write + ?Sized>(
    w: &mut W,
    scenario: &str,
    origin: &str,
    what: &str,
) -> io::Result<()> {
    let line = format!("{scenario} ({origin}): {what}");
    if line.chars().count() <= WIDTH {
        writeln!(w, "{line}")
    } else {
        writeln!(w, "{scenario} ({origin}):\n  {what}")
    }
}

/// Writes the summary of `r`.
pub fn write_summary<W: Write + ?Sized>(w: &mut W, r: &Report) -> io::Result<()> {
    let status = if r.complete { "complete" } else { "PARTIAL" };
    let what = format!("{} runs, seed {}, {status}", r.runs, r.seed);
    heading(w, &r.scenario, &r.origin, &what)?;
    writeln!(w)?;
    // Labels take 17 columns; what follows them, at most 83.
    const IN: usize = 17;
    writeln!(
        w,
        "outage           {}   ({} of {} runs)",
        proportion(&r.outage_probability),
        r.outage_probability.count,
        r.runs
    )?;
    writeln!(
        w,
        "recovery time    {}",
        dist_line(&r.recovery_s, IN, duration)
    )?;
    writeln!(
        w,
        "{:IN$}(over the {} runs with something down)",
        "", r.recovery_s.runs
    )?;
    if r.unrecovered_runs > 0 {
        let share = r.unrecovered_runs as f64 / r.recovery_s.runs.max(1) as f64;
        writeln!(
            w,
            "not recovered    {} runs ({}) still down at the horizon ({}):",
            r.unrecovered_runs,
            percent(share),
            duration(r.horizon_s)
        )?;
        writeln!(w, "{:IN$}their times are lower bounds (>, ≥)", "")?;
        if share > 0.01 {
            writeln!(
                w,
                "warning: more than 1% of the runs with something down outlast the horizon of {};\n\
                 {:IN$}a longer `horizon` in [scenario] would show how long they take",
                duration(r.horizon_s),
                ""
            )?;
        }
    }
    let hist: Vec<String> = r
        .cascade_depth
        .histogram
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(d, n)| format!("{d}: {n}"))
        .collect();
    writeln!(
        w,
        "cascade depth    mean {}, max {}; runs by depth {}",
        number(r.cascade_depth.mean),
        r.cascade_depth.max,
        hist.join(", ")
    )?;
    writeln!(
        w,
        "servers removed  {}",
        dist_line(&r.servers_removed, IN, number)
    )?;
    if let (Some(p), Some(d)) = (&r.data_loss_probability, &r.data_loss_given_loss_s) {
        writeln!(
            w,
            "data lost        {}   ({} of {} runs: a removal destroyed data)",
            proportion(p),
            p.count,
            r.runs
        )?;
        if d.runs > 0 {
            writeln!(w, "writes lost      {}", dist_line(d, IN, duration))?;
            writeln!(
                w,
                "{:IN$}(the window before the command, when data is lost)",
                ""
            )?;
        }
    }
    if r.outage_probability.count > 0 {
        writeln!(
            w,
            "blast radius     {}",
            dist_line(&r.blast_radius, IN, percent)
        )?;
        writeln!(
            w,
            "{:IN$}(the largest share of a service's traffic lost)",
            ""
        )?;
    }
    let sg = &r.safeguards;
    if sg.declined + sg.refused + sg.clipped + sg.aborted + sg.failed > 0 {
        writeln!(
            w,
            "safeguards       in runs with a wrong command: declined at the prompt {}, refused by the",
            sg.declined
        )?;
        writeln!(
            w,
            "{:IN$}guard {}, clipped {}, aborted {}; did not work {}",
            "", sg.refused, sg.clipped, sg.aborted, sg.failed
        )?;
    }
    let customers = r.nodes.values().filter(|n| n.kind == "customer").count() as u64;
    if customers > 0 {
        writeln!(
            w,
            "customer outage  {}   ({} of {} runs)",
            proportion(&r.customer_outage_probability),
            r.customer_outage_probability.count,
            r.runs
        )?;
    }
    writeln!(w)?;
    let shown = Shown::worst(r.nodes.iter().map(|(name, n)| {
        let badness = [
            n.unavailable_probability.estimate,
            n.downtime_s.mean.unwrap_or(0.0),
        ];
        (name.as_str(), badness)
    }));
    let width = shown.width(r.nodes.keys(), 4);
    writeln!(
        w,
        "{:width$}  {:28}  {:>11}  {:>11}  {:>11}",
        "node", "P(unavailable) [95%]", "mean down", "max down", "mean lost"
    )?;
    // The provider's nodes first, then what its customers saw.
    let provider = r.nodes.iter().filter(|(_, n)| n.kind != "customer");
    let customers = r.nodes.iter().filter(|(_, n)| n.kind == "customer");
    let rows = provider
        .chain(customers)
        .filter(|(name, _)| shown.contains(name));
    for (name, n) in rows {
        let d = &n.downtime_s;
        let show = |dist: &Distribution, name: &str, v: Option<f64>| {
            v.map_or("-".into(), |v| bounded(dist, name, v, &duration))
        };
        let lost = &n.lost_service_s;
        writeln!(
            w,
            "{name:width$}  {:28}  {:>11}  {:>11}  {:>11}",
            proportion(&n.unavailable_probability),
            show(d, "mean", d.mean),
            show(d, "max", d.max),
            show(lost, "mean", lost.mean)
        )?;
    }
    Shown::write_left_out(
        w,
        shown.left_out,
        "node",
        "less often or less long unavailable",
    )?;
    super::capacity::write_plain(w, &r.servers_back)?;
    if let Some(runs) = &r.runs_to_replay {
        runs_to_replay(w, runs, &r.origin, r.seed)?;
    }
    Ok(())
}

/// Writes the runs worth replaying and the command that replays them.
pub fn runs_to_replay<W: Write + ?Sized>(
    w: &mut W,
    runs: &RunsToReplay,
    origin: &str,
    seed: u64,
) -> io::Result<()> {
    // The scenario as the replay takes it: a built-in by name, a file by path.
    let spec = match origin.strip_prefix("builtin:") {
        _ if origin.contains(" (--set ") => "SCENARIO --set …",
        Some(name) => name,
        None => origin,
    };
    writeln!(w)?;
    let line = format!("runs to replay (blastradius replay {spec} --seed {seed} --run ID):");
    if line.chars().count() <= WIDTH {
        writeln!(w, "{line}")?;
    } else {
        // A long path: the command on a line of its own.
        writeln!(w, "runs to replay, with")?;
        writeln!(w, "  blastradius replay {spec} --seed {seed} --run ID")?;
    }
    for (what, run) in [
        ("the longest outage", &runs.longest),
        ("a median outage", &runs.median),
    ] {
        writeln!(
            w,
            "  {what:<19}  {:>12}  --run {}",
            duration(run.recovery_s),
            run.run
        )?;
    }
    Ok(())
}

/// Writes the summary of an operations batch.
pub fn write_operations<W: Write + ?Sized>(w: &mut W, r: &OperationsReport) -> io::Result<()> {
    let status = if r.complete { "complete" } else { "PARTIAL" };
    writeln!(
        w,
        "{}: {} periods of {} with {} commands a day, seed {}, {status}",
        r.scenario,
        r.periods,
        duration(r.period_s),
        r.commands_per_day,
        r.seed
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "commands per period    {}",
        dist_line(&r.commands, 23, number)
    )?;
    writeln!(
        w,
        "outages per period     {}",
        dist_line(&r.outages_per_period, 23, number)
    )?;
    writeln!(
        w,
        "periods with an outage {}   ({} of {})",
        proportion(&r.periods_with_outage),
        r.periods_with_outage.count,
        r.periods
    )?;
    for c in &r.worst_cases {
        let every = c.once_every_periods.map_or("never seen".into(), |n| {
            format!("once every {n:.1} periods")
        });
        writeln!(
            w,
            "a service down ≥ {:3}  {}   ({every})",
            c.at_least,
            proportion(&c.probability)
        )?;
    }
    writeln!(w)?;
    let shown = Shown::worst(r.nodes.iter().map(|(name, n)| {
        let d = &n.downtime_s;
        (name.as_str(), [d.mean.unwrap_or(0.0), d.max.unwrap_or(0.0)])
    }));
    let width = shown.width(r.nodes.keys(), 4);
    writeln!(
        w,
        "{:width$}  {:9}  {:>16}  {:>11}  {:>11}  {:>20}",
        "node", "kind", "mean down/period", "p99", "max", "nines [95% CI]"
    )?;
    for (name, n) in r.nodes.iter().filter(|(name, _)| shown.contains(name)) {
        let d = &n.downtime_s;
        let show =
            |name: &str, v: Option<f64>| v.map_or("-".into(), |v| bounded(d, name, v, &duration));
        let nines = n.nines.as_ref().map_or("no downtime".into(), |e| {
            let hi = if e.ci95[1].is_finite() {
                format!("{:.2}", e.ci95[1])
            } else {
                "∞".into()
            };
            format!("{:.2} [{:.2}, {hi}]", e.estimate, e.ci95[0])
        });
        writeln!(
            w,
            "{name:width$}  {:9}  {:>16}  {:>11}  {:>11}  {:>20}",
            n.kind,
            show("mean", d.mean),
            show("p99", d.p99),
            show("max", d.max),
            nines
        )?;
    }
    Shown::write_left_out(w, shown.left_out, "node", "down less per period")
}
