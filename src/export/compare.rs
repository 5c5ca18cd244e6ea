//! The human summary of a comparison ([`CompareReport`]), under 100 columns: per variant,
//! its differences from the first in each node's probability of becoming unavailable and
//! in its expected downtime per command, with paired intervals.

use std::io::{self, Write};

use super::shown::Shown;
use super::text::duration;
use crate::report::{CompareReport, Difference};

/// A signed probability difference and its interval, in one style: percent where the
/// largest end is 0.1 % or more, else scientific; with the digits that tell the ends
/// apart.
fn probability(d: &Difference) -> String {
    let [lo, hi] = d.ci95;
    let size = d.estimate.abs().max(lo.abs()).max(hi.abs());
    let digits = if hi > lo && d.estimate != 0.0 {
        (2.0 - ((hi - lo) / d.estimate.abs()).log10())
            .ceil()
            .clamp(3.0, 6.0) as usize
    } else {
        3
    };
    let whole = (size * 100.0).log10().floor().max(0.0) as usize;
    let decimals = digits.saturating_sub(1 + whole);
    let show = |p: f64| -> String {
        if p == 0.0 {
            "0".into()
        } else if size >= 1e-3 {
            format!("{:+.decimals$}%", p * 100.0)
        } else {
            format!("{p:+.*e}", digits - 1)
        }
    };
    format!("{} [{}, {}]", show(d.estimate), show(lo), show(hi))
}

/// A signed length of time and its interval: in seconds with the significant digits that
/// tell the ends apart under a minute (`-0.0360 s`), else as `+1h 2m`.
fn seconds(d: &Difference) -> String {
    let [lo, hi] = d.ci95;
    let size = d.estimate.abs().max(lo.abs()).max(hi.abs());
    // Sums of products leave rounding residue: a billionth of the largest end is zero.
    let zero = |x: f64| x.abs() <= size * 1e-9;
    if size >= 60.0 {
        let show = |x: f64| {
            if zero(x) {
                "0".to_string()
            } else {
                format!("{}{}", if x < 0.0 { '-' } else { '+' }, duration(x.abs()))
            }
        };
        return format!("{} [{}, {}]", show(d.estimate), show(lo), show(hi));
    }
    let digits = if hi > lo && !zero(d.estimate) {
        (2.0 - ((hi - lo) / d.estimate.abs()).log10())
            .ceil()
            .clamp(3.0, 6.0) as i32
    } else {
        3
    };
    // Milliseconds under a second.
    let (scale, unit) = if size < 1.0 { (1e3, "ms") } else { (1.0, "s") };
    let decimals = if size > 0.0 {
        (digits - 1 - (size * scale).log10().floor() as i32).max(0) as usize
    } else {
        0
    };
    let show = |x: f64| {
        if zero(x) {
            "0".to_string()
        } else {
            format!("{:+.decimals$}", x * scale)
        }
    };
    format!("{} [{}, {}] {unit}", show(d.estimate), show(lo), show(hi))
}

/// Writes the summary.
pub fn write<W: Write + ?Sized>(w: &mut W, r: &CompareReport) -> io::Result<()> {
    let state = if r.complete {
        "complete"
    } else {
        "stopped early"
    };
    writeln!(
        w,
        "compared on common random numbers: {} runs per variant by strata of the input, seed {}, {state}",
        r.runs, r.seed
    )?;
    let width = r.variants.keys().map(|n| n.len()).max().unwrap_or(0);
    for (i, (name, v)) in r.variants.iter().enumerate() {
        let note = if i == 0 {
            "  (the others are compared with it)"
        } else {
            ""
        };
        writeln!(w, "  {name:width$}  {}{note}", v.origin)?;
    }
    for (name, d) in &r.differences {
        writeln!(w)?;
        writeln!(w, "{name} − {}, per command:", d.against)?;
        let shown = Shown::worst(d.nodes.iter().map(|(node, n)| {
            let change = [
                n.unavailable_probability.estimate.abs(),
                n.expected_downtime_s.estimate.abs(),
            ];
            (node.as_str(), change)
        }));
        let node_width = shown.width(d.nodes.keys(), "customer-facing".len());
        writeln!(
            w,
            "  {:node_width$}  {:<38}  expected downtime",
            "node", "P(unavailable)"
        )?;
        writeln!(
            w,
            "  {:node_width$}  {}",
            "customer-facing",
            probability(&d.facing_outage_probability)
        )?;
        writeln!(
            w,
            "  {:node_width$}  {}",
            "any service",
            probability(&d.outage_probability)
        )?;
        if d.nodes.is_empty() {
            writeln!(
                w,
                "  (no subsystem, service or customer of the same name in both)"
            )?;
        }
        let mut reductions = vec![];
        for (node, n) in &d.nodes {
            reductions.extend(n.unavailable_probability.variance_reduction);
            reductions.extend(n.expected_downtime_s.variance_reduction);
            if !shown.contains(node) {
                continue;
            }
            let cut = if n.censored {
                "  (cut at the horizon: lower bounds)"
            } else {
                ""
            };
            writeln!(
                w,
                "  {node:node_width$}  {:<38}  {}{cut}",
                probability(&n.unavailable_probability),
                seconds(&n.expected_downtime_s)
            )?;
        }
        if shown.left_out > 0 {
            write!(w, "  ")?;
        }
        Shown::write_left_out(w, shown.left_out, "node", "changed less")?;
        reductions.sort_by(f64::total_cmp);
        if let Some(median) = reductions.get(reductions.len() / 2) {
            writeln!(
                w,
                "  pairing: the differences' variances are {median:.1}× smaller than with \
                 independent runs (median of {})",
                reductions.len()
            )?;
        }
    }
    Ok(())
}
