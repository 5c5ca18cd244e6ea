//! The human summary of an estimate by strata ([`StrataReport`]), under 100 columns: the
//! probability per command of each kind of outage, each node's probability of becoming
//! unavailable and how long it is down when it does, and the inputs behind the worst.

use std::io::{self, Write};

use super::shown::Shown;
use super::text::duration;
use crate::report::{Cause, Interval, StrataReport};

/// A probability and its interval in one style for both ends: percent from 0.1 % up,
/// else scientific (`3.520e-6`); with the significant digits that tell the ends apart
/// (three at least, six at most).
pub fn probability(i: &Interval) -> String {
    let [p, lo, hi] = probability_parts(i);
    format!("{p} [{lo}, {hi}]")
}

/// The estimate and the ends of the interval of [`probability`], apart.
pub fn probability_parts(i: &Interval) -> [String; 3] {
    let [lo, hi] = i.ci95;
    let digits = if hi > lo && i.estimate > 0.0 {
        let relative = (hi - lo) / i.estimate;
        (2.0 - relative.log10()).ceil().clamp(3.0, 6.0) as usize
    } else {
        3
    };
    let percent = hi >= 1e-3;
    // One number of decimals for all three, from the largest: 100.00% [99.81%, 100.00%].
    let whole = (hi * 100.0).log10().floor().max(0.0) as usize;
    let decimals = digits.saturating_sub(1 + whole);
    let show = |p: f64| -> String {
        if p == 0.0 {
            "0".into()
        } else if percent {
            format!("{:.decimals$}%", p * 100.0)
        } else {
            format!("{p:.*e}", digits - 1)
        }
    };
    [show(i.estimate), show(lo), show(hi)]
}

fn seconds(i: &Interval) -> String {
    format!(
        "{} [{}, {}]",
        duration(i.estimate),
        duration(i.ci95[0]),
        duration(i.ci95[1])
    )
}

/// Writes the summary.
pub fn write_summary<W: Write + ?Sized>(w: &mut W, r: &StrataReport) -> io::Result<()> {
    let state = if r.complete {
        "complete"
    } else {
        "stopped early"
    };
    let what = format!(
        "{} runs by strata of the input, seed {}, {state}",
        r.runs, r.seed
    );
    super::text::heading(w, &r.scenario, &r.origin, &what)?;
    let s = &r.strata;
    let left = if s.left_out_probability > 0.0 {
        format!(
            "inputs with more, probability {:.2e}, are left out (added to each upper bound)",
            s.left_out_probability
        )
    } else {
        "nothing left out".into()
    };
    writeln!(
        w,
        "inputs: {} distinct (count × selector × safeguards), {} of them with chance left",
        s.count, s.random
    )?;
    writeln!(
        w,
        "        in them; up to {} keystroke errors; {left}",
        s.max_keystroke_errors
    )?;
    if let Some(p) = &r.precision {
        let why = match p.stopped_by {
            "met" => "met",
            "runs" => "not met: the --runs limit came first",
            _ => "not met: the --max-time limit came first",
        };
        let what = if p.headline == "outage_probability" {
            "any outage"
        } else {
            "a customer-facing outage"
        };
        writeln!(
            w,
            "precision: ±{:.1}% asked on P({what}), ±{:.1}% reached: {why}",
            p.target * 100.0,
            p.reached * 100.0
        )?;
    }
    writeln!(w)?;
    writeln!(w, "per command:")?;
    writeln!(
        w,
        "  a customer-facing service loses traffic  {}",
        probability(&r.facing_outage_probability)
    )?;
    writeln!(
        w,
        "  any service, internal ones too           {}",
        probability(&r.outage_probability)
    )?;
    // Level 1 is the subsystem the command hit: "any service" above says as much. Of a
    // run of levels equally likely (as printed), only the first and the last are listed:
    // a deep graph would otherwise list dozens of equal lines.
    let levels = r.cascade_depth_at_least.iter().enumerate().skip(1);
    let levels: Vec<(usize, String)> = levels.map(|(d, p)| (d + 1, probability(p))).collect();
    let at = |j: Option<usize>| j.and_then(|j| levels.get(j)).map(|l| &l.1);
    let mut omitted = false;
    for (i, (depth, p)) in levels.iter().enumerate() {
        if at(i.checked_sub(1)) == Some(p) && at(Some(i + 1)) == Some(p) {
            omitted = true;
            continue;
        }
        let label = format!("a cascade {depth} or more levels deep");
        writeln!(w, "  {label:<39}  {p}")?;
    }
    if omitted {
        writeln!(
            w,
            "  (the depths between two listed with the same figure have it too)"
        )?;
    }
    if let (Some(mean), Some(q)) = (
        &r.recovery_given_outage_s,
        &r.recovery_given_outage_quantiles_s,
    ) {
        let at_least = if r.not_back_at_horizon_probability.is_some() {
            "≥ "
        } else {
            ""
        };
        let hi = q.p99.ci95[1].map_or("> max".to_string(), duration);
        writeln!(
            w,
            "when something loses traffic, everything is back after {at_least}{} on average;",
            duration(mean.estimate)
        )?;
        writeln!(
            w,
            "  p50 {at_least}{}, p90 {at_least}{}, p99 {at_least}{} [{}, {hi}]",
            duration(q.p50.estimate),
            duration(q.p90.estimate),
            duration(q.p99.estimate),
            q.p99.ci95[0].map_or("-".to_string(), duration),
        )?;
    }
    if r.nodes.values().any(|n| n.kind == "customer") {
        writeln!(
            w,
            "  a customer's application                 {}",
            probability(&r.customer_outage_probability)
        )?;
    }
    if let Some(d) = &r.data_loss {
        writeln!(
            w,
            "data lost: a removal destroys a subsystem's data  {} per command",
            probability(&d.probability)
        )?;
        if let (Some(mean), Some(q)) = (&d.given_loss_s, &d.given_loss_quantiles_s) {
            writeln!(
                w,
                "  when it does, the writes of the last {} on average;",
                seconds(mean)
            )?;
            writeln!(
                w,
                "  p50 {}, p90 {}, p99 {}",
                duration(q.p50.estimate),
                duration(q.p90.estimate),
                duration(q.p99.estimate)
            )?;
        }
    }
    writeln!(w)?;
    let shown = Shown::worst(r.nodes.iter().map(|(name, n)| {
        let badness = [
            n.unavailable_probability.estimate,
            n.expected_downtime_s.estimate,
        ];
        (name.as_str(), badness)
    }));
    let width = shown.width(r.nodes.keys(), 4);
    writeln!(
        w,
        "{:width$}  {:<36}  down for, when unavailable (mean)",
        "node", "P(unavailable) per command"
    )?;
    // The nodes still down at the horizon in some run.
    let cut = r.nodes.iter();
    let cut = cut.filter(|(_, n)| n.still_down_at_horizon_probability.is_some());
    let cut: Vec<&str> = cut.map(|(name, _)| name.as_str()).collect();
    for (name, n) in r.nodes.iter().filter(|(name, _)| shown.contains(name)) {
        let at_least = if n.still_down_at_horizon_probability.is_some() {
            "≥ "
        } else {
            ""
        };
        let given = n
            .downtime_given_unavailable_s
            .as_ref()
            .map_or_else(|| "-".to_string(), |i| format!("{at_least}{}", seconds(i)));
        writeln!(
            w,
            "{name:width$}  {:<36}  {given}",
            probability(&n.unavailable_probability)
        )?;
    }
    Shown::write_left_out(
        w,
        shown.left_out,
        "node",
        "less often or less long unavailable",
    )?;
    let down: Vec<_> = r
        .nodes
        .iter()
        .filter(|(name, _)| shown.contains(name))
        .filter_map(|(name, n)| Some((name, n.downtime_given_unavailable_quantiles_s?)))
        .collect();
    if !down.is_empty() {
        writeln!(w)?;
        let width = width.max("when unavailable".len());
        writeln!(
            w,
            "{:width$}  {:>11}  {:>11}  {:>11}  p99's 95% interval",
            "when unavailable", "p50", "p90", "p99"
        )?;
        let at_least = |name: &String| {
            if cut.contains(&name.as_str()) {
                "≥"
            } else {
                ""
            }
        };
        for (name, q) in down {
            let hi = q.p99.ci95[1].map_or("> max".to_string(), duration);
            let lo = q.p99.ci95[0].map_or("-".to_string(), duration);
            writeln!(
                w,
                "{name:width$}  {:>11}  {:>11}  {:>11}  [{lo}, {hi}]",
                format!("{}{}", at_least(name), duration(q.p50.estimate)),
                format!("{}{}", at_least(name), duration(q.p90.estimate)),
                format!("{}{}", at_least(name), duration(q.p99.estimate)),
            )?;
        }
    }
    if !cut.is_empty() {
        let mut names: Vec<&str> = cut.iter().copied().filter(|n| shown.contains(n)).collect();
        let more = cut.len() - names.len();
        let more = format!("{more} more");
        if names.len() < cut.len() {
            names.push(&more);
        }
        writeln!(
            w,
            "≥: {} were still down when runs stopped at the horizon ({}): their downtimes",
            names.join(", "),
            duration(r.horizon_s)
        )?;
        writeln!(
            w,
            "   are lower bounds; a longer `horizon` in [scenario] would show them in full"
        )?;
    }
    super::capacity::write_strata(w, &r.servers_back)?;
    // The inputs behind the unavailability of the customer-facing service down longest
    // per command (of any node if no such service ever is).
    let facing = |n: &&crate::report::StrataNode| n.kind == "service" && !n.internal;
    let candidates = |only_facing: bool| {
        r.nodes
            .iter()
            .filter(move |(_, n)| !n.causes.is_empty() && (!only_facing || facing(n)))
    };
    let pool: Vec<_> = if candidates(true).next().is_some() {
        candidates(true).collect()
    } else {
        candidates(false).collect()
    };
    let worst = pool.into_iter().max_by(|a, b| {
        a.1.expected_downtime_s
            .estimate
            .total_cmp(&b.1.expected_downtime_s.estimate)
    });
    if let Some((name, n)) = worst {
        writeln!(w)?;
        writeln!(
            w,
            "why {name} becomes unavailable ({} unavailable per command, expected):",
            duration(n.expected_downtime_s.estimate)
        )?;
        write_causes(w, &n.causes)?;
    }
    if let Some(runs) = &r.runs_to_replay {
        super::text::runs_to_replay(w, runs, &r.origin, r.seed)?;
    }
    Ok(())
}

fn write_causes<W: Write + ?Sized>(w: &mut W, causes: &[Cause]) -> io::Result<()> {
    let typed = causes
        .iter()
        .map(|c| c.typed.len().max(2))
        .max()
        .unwrap_or(0)
        .max(5);
    let sel = causes
        .iter()
        .map(|c| c.selector.len())
        .max()
        .unwrap_or(0)
        .max(8);
    writeln!(
        w,
        "  {:typed$}  {:sel$}  {:>9}  {:>6}  safeguards",
        "typed", "selector", "P(input)", "share"
    )?;
    for c in causes {
        writeln!(
            w,
            "  {:typed$}  {:sel$}  {:>9.2e}  {:>5.1}%  {}",
            if c.typed.is_empty() { "\"\"" } else { &c.typed },
            c.selector,
            c.probability,
            c.share * 100.0,
            c.safeguards
        )?;
    }
    Ok(())
}
