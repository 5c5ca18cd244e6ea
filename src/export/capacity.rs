//! The summaries' table of capacity over time: for each subsystem that lost servers and
//! each share of its servers it fell below, how likely that is and, when it does, when
//! the share was back. Past [`super::shown::LIMIT`] subsystems, those most likely to
//! fall below a share.

use std::io::{self, Write};

use indexmap::IndexMap;

use super::shown::Shown;
use super::text::duration;
use crate::report::{PlainShareBack, StrataShareBack};

/// One share's row: the subsystem's name, the share, the probability that it falls
/// below the share as shown, and the p50, p90 and p99 of when it was back in seconds
/// (`None`: not back).
type Row<'a> = (&'a str, &'static str, String, [Option<f64>; 3]);

/// The table of a summary by strata; nothing when no subsystem lost servers.
pub fn write_strata<W: Write + ?Sized>(
    w: &mut W,
    back: &IndexMap<String, IndexMap<&'static str, StrataShareBack>>,
) -> io::Result<()> {
    let shown = Shown::worst(back.iter().map(|(name, shares)| {
        let below = shares.values().map(|s| s.below_probability.estimate);
        (name.as_str(), [below.fold(0.0, f64::max), 0.0])
    }));
    let rows: Vec<Row> = back
        .iter()
        .filter(|(name, _)| shown.contains(name))
        .flat_map(|(name, shares)| {
            shares.iter().map(move |(&share, s)| {
                let p = super::strata::probability_parts(&s.below_probability)[0].clone();
                (name.as_str(), share, p, [s.p50_s, s.p90_s, s.p99_s])
            })
        })
        .collect();
    write(w, &rows, "per command", shown.left_out)
}

/// The table of a plain summary; nothing when no subsystem lost servers.
pub fn write_plain<W: Write + ?Sized>(
    w: &mut W,
    back: &IndexMap<String, IndexMap<&'static str, PlainShareBack>>,
) -> io::Result<()> {
    let shown = Shown::worst(back.iter().map(|(name, shares)| {
        let below = shares.values().map(|s| s.below_probability.estimate);
        (name.as_str(), [below.fold(0.0, f64::max), 0.0])
    }));
    let rows: Vec<Row> = back
        .iter()
        .filter(|(name, _)| shown.contains(name))
        .flat_map(|(name, shares)| {
            shares.iter().map(move |(&share, s)| {
                let p = super::text::percent(s.below_probability.estimate);
                (name.as_str(), share, p, [s.p50_s, s.p90_s, s.p99_s])
            })
        })
        .collect();
    write(w, &rows, "per run", shown.left_out)
}

fn write<W: Write + ?Sized>(w: &mut W, rows: &[Row], per: &str, left_out: usize) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(12);
    let show = |s: Option<f64>| s.map_or_else(|| "not back".to_string(), duration);
    writeln!(w)?;
    let below = format!("P(below) {per}");
    writeln!(
        w,
        "{:width$}  {:>5}  {below:<20}  {:>11}  {:>11}  {:>11}",
        "servers back", "share", "p50", "p90", "p99"
    )?;
    let mut last = "";
    for &(name, share, ref p, q) in rows {
        let name = if name == last { "" } else { name };
        last = if name.is_empty() { last } else { name };
        writeln!(
            w,
            "{name:width$}  {share:>5}  {p:<20}  {:>11}  {:>11}  {:>11}",
            show(q[0]),
            show(q[1]),
            show(q[2])
        )?;
    }
    Shown::write_left_out(
        w,
        left_out,
        "subsystem",
        "less likely to fall below a share",
    )?;
    writeln!(
        w,
        "  when its servers in service fell below the share: times since the command until it"
    )?;
    writeln!(
        w,
        "  was back for good; not back: still below when the run ended (removed, or the horizon)"
    )
}
