//! The report's charts as inline SVG, drawn with `plotters` and its SVG backend: the
//! Gantt chart of a run, histograms and CDFs of conditional times, and probabilities with
//! their intervals on a log scale.

use std::io;

use plotters::coord::ranged1d::{AsRangedCoord, SegmentValue, ValueFormatter};
use plotters::prelude::*;

use crate::export::gantt::{Row, State};
use crate::model::Clock;
use crate::report::distribution::Bin;
use crate::time::SimTime;

/// Pixels of a chart's width; the page scales it to the column.
const WIDTH: u32 = 900;
/// Columns of a histogram.
const COLUMNS: usize = 40;
/// The font every label is set in.
const FONT: &str = "sans-serif";

const BLUE: RGBColor = RGBColor(0x3b, 0x6e, 0xa8);
const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// A unit to show times in, chosen from the largest: seconds, minutes or hours.
#[derive(Clone, Copy)]
struct Unit {
    seconds: f64,
    name: &'static str,
}

fn unit(max_s: f64) -> Unit {
    if max_s <= 180.0 {
        Unit {
            seconds: 1.0,
            name: "seconds",
        }
    } else if max_s <= 3.0 * 3600.0 {
        Unit {
            seconds: 60.0,
            name: "minutes",
        }
    } else {
        Unit {
            seconds: 3600.0,
            name: "hours",
        }
    }
}

fn fail<E: std::fmt::Display>(e: E) -> io::Error {
    io::Error::other(format!("drawing a chart: {e}"))
}

/// The colour of a state in the Gantt chart.
pub fn colour(state: State) -> RGBColor {
    match state {
        State::Up => RGBColor(0xd9, 0xef, 0xd5),
        State::Partial => RGBColor(0xf6, 0xc3, 0x5b),
        State::Validating => RGBColor(0x8e, 0x7c, 0xc3),
        State::Restarting => RGBColor(0x5b, 0x9b, 0xd5),
        State::Down => RGBColor(0xc9, 0x3c, 0x3c),
    }
}

/// The Gantt chart of a run: one row per node of `rows` (with its `names`), its states
/// from the command to `span_ms`, the x axis in wall-clock time from `clock`.
pub fn gantt(rows: &[Row], names: &[String], span_ms: u64, clock: &Clock) -> io::Result<String> {
    let n = rows.len() as u32;
    let height = 70 + 22 * n;
    let u = unit(span_ms as f64 / 1e3);
    let span = span_ms as f64 / 1e3 / u.seconds;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let label = names.iter().map(|s| s.len()).max().unwrap_or(4) as u32;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size((label * 7 + 10).min(260))
            .build_cartesian_2d(0f64..span, (0..n).into_segmented())
            .map_err(fail)?;
        let at = |x: &f64| {
            let ms = (x * u.seconds * 1e3).round().max(0.0) as u64;
            let text = clock.at(SimTime::from_millis(ms));
            // The time of day, without seconds or zone, and the day if past midnight.
            let day = text.find(" (+").map_or("", |i| &text[i..]);
            format!("{}{day}", &text[..5])
        };
        let name = |v: &SegmentValue<u32>| match v {
            // Rows from the top; plotters also asks about the segment past the last.
            SegmentValue::CenterOf(i) => n
                .checked_sub(i + 1)
                .and_then(|r| names.get(r as usize))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .x_labels(10)
            .x_label_formatter(&at)
            .y_labels(n as usize)
            .y_label_formatter(&name)
            .x_desc(format!("wall clock ({})", clock.zone).trim_end_matches(" ()"))
            .label_style((FONT, 13))
            .draw()
            .map_err(fail)?;
        let to_x = |ms: u64| (ms as f64 / 1e3 / u.seconds).min(span);
        let mut bars = Vec::new();
        for (r, (_, states)) in rows.iter().enumerate() {
            let y = n - 1 - r as u32;
            let mut from = (0, State::Up);
            for &(t, s) in states.iter().chain(std::iter::once(&(span_ms, State::Up))) {
                if t > from.0 {
                    bars.push(Rectangle::new(
                        [
                            (to_x(from.0), SegmentValue::Exact(y)),
                            (to_x(t), SegmentValue::Exact(y + 1)),
                        ],
                        colour(from.1).filled(),
                    ));
                }
                from = (t, s);
            }
        }
        chart.draw_series(bars).map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// A histogram of a conditional time from its `bins` (log-linear buckets), in columns
/// between the smallest and largest value (equal in width, or in ratio on a log axis when
/// the values span more than a factor of 10), each bucket's probability spread evenly
/// over its width.
pub fn histogram(bins: &[Bin], what: &str) -> io::Result<String> {
    let (lo, hi) = range(bins);
    let log = lo > 0.0 && hi / lo > 10.0;
    // A log axis is labelled at whole units: take them from the smallest value.
    let u = unit(if log { lo } else { hi });
    let edge = |c: usize| {
        let f = c as f64 / COLUMNS as f64;
        if log {
            lo * (hi / lo).powf(f)
        } else {
            lo + (hi - lo) * f
        }
    };
    let mut columns: Vec<(f64, f64, f64)> =
        (0..COLUMNS).map(|c| (edge(c), edge(c + 1), 0.0)).collect();
    for b in bins {
        let span = b.to_s - b.from_s;
        for (a, z, mass) in columns.iter_mut() {
            *mass += if span < 1e-3 {
                // A bucket of one value: all of it in the column that holds it.
                if b.from_s >= *a && (b.from_s < *z || *z >= hi) {
                    b.probability
                } else {
                    0.0
                }
            } else {
                b.probability * (b.to_s.min(*z) - b.from_s.max(*a)).max(0.0) / span
            };
        }
    }
    let top = columns.iter().map(|c| c.2).fold(0.0, f64::max).max(1e-9) * 1.1;
    let bars: Vec<(f64, f64, f64)> = columns
        .into_iter()
        .filter(|c| c.2 > 0.0)
        .map(|(a, z, m)| (a / u.seconds, z / u.seconds, m))
        .collect();
    let (x0, x1) = (lo / u.seconds, hi / u.seconds);
    let axis = Axis {
        caption: what,
        x: u.name,
        y: "probability",
        top,
    };
    if log {
        plot(axis, (x0..x1).log_scale(), &bars, &[])
    } else {
        plot(axis, x0..x1, &bars, &[])
    }
}

/// The cumulative distribution of a conditional time from its `bins`: the probability
/// that it is at most x, at each bucket's upper edge; on a log axis when the values span
/// more than a factor of 10.
pub fn cdf(bins: &[Bin], what: &str) -> io::Result<String> {
    let (lo, hi) = range(bins);
    let log = lo > 0.0 && hi / lo > 10.0;
    // A log axis is labelled at whole units: take them from the smallest value.
    let u = unit(if log { lo } else { hi });
    let mut points = vec![(lo / u.seconds, 0.0)];
    let mut total = 0.0;
    for b in bins {
        points.push((b.from_s / u.seconds, total));
        total += b.probability;
        points.push((b.to_s / u.seconds, total.min(1.0)));
    }
    let (x0, x1) = (lo / u.seconds, hi / u.seconds);
    let axis = Axis {
        caption: what,
        x: u.name,
        y: "P(at most x)",
        top: 1.0,
    };
    if log {
        plot(axis, (x0..x1).log_scale(), &[], &points)
    } else {
        plot(axis, x0..x1, &[], &points)
    }
}

/// What a distribution's chart says on its axes.
struct Axis<'a> {
    caption: &'a str,
    x: &'a str,
    y: &'a str,
    top: f64,
}

/// A chart of `bars` (from, to, height) and a `line` over the x axis `x` (linear or log),
/// the y axis from 0 to `axis.top` in percent.
fn plot<X>(axis: Axis, x: X, bars: &[(f64, f64, f64)], line: &[(f64, f64)]) -> io::Result<String>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH / 2, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .caption(axis.caption, (FONT, 15))
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x, 0f64..axis.top)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc(axis.x)
            .y_desc(axis.y)
            .x_label_formatter(&|v| {
                format!("{v:.3}")
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string()
            })
            .y_label_formatter(&|p| format!("{:.0}%", p * 100.0))
            .label_style((FONT, 12))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(
                bars.iter()
                    .map(|&(a, z, m)| Rectangle::new([(a, 0.0), (z, m)], BLUE.filled())),
            )
            .map_err(fail)?;
        if !line.is_empty() {
            chart
                .draw_series(LineSeries::new(line.iter().copied(), BLUE.stroke_width(2)))
                .map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// A probability on a log axis: `10%`, `0.1%`, `1e-5`.
fn tick(p: f64) -> String {
    if p >= 0.01 {
        format!("{:.0}%", p * 100.0)
    } else if p >= 0.001 {
        format!("{:.1}%", p * 100.0)
    } else {
        format!("{:.0e}", p)
    }
}

/// The smallest and largest value of `bins`, in seconds.
fn range(bins: &[Bin]) -> (f64, f64) {
    let lo = bins.iter().map(|b| b.from_s).fold(f64::INFINITY, f64::min);
    let hi = bins.iter().map(|b| b.to_s).fold(0.0, f64::max);
    if lo.is_finite() {
        (lo, hi.max(lo + 1.0))
    } else {
        (0.0, 1.0)
    }
}

/// Probabilities with their 95 % intervals, one row each, on a log scale: a dot at the
/// estimate and a whisker over the interval.
pub fn probabilities(items: &[(String, f64, [f64; 2])], what: &str) -> io::Result<String> {
    let n = items.len() as u32;
    let positive = items
        .iter()
        .flat_map(|(_, p, [lo, hi])| [*p, *lo, *hi])
        .filter(|p| *p > 0.0);
    let smallest = positive.fold(1.0, f64::min);
    let floor = 10f64.powf(smallest.log10().floor()).min(0.1);
    let height = 80 + 30 * n;
    let label = items.iter().map(|i| i.0.len()).max().unwrap_or(4) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .caption(what, (FONT, 15))
            .x_label_area_size(40)
            .y_label_area_size((label * 7 + 10).min(300))
            .build_cartesian_2d((floor..1f64).log_scale(), (0..n).into_segmented())
            .map_err(fail)?;
        let name = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => n
                .checked_sub(i + 1)
                .and_then(|r| items.get(r as usize))
                .map(|i| i.0.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n as usize)
            .y_label_formatter(&name)
            .x_label_formatter(&|p| tick(*p))
            .x_desc("probability per command (log scale)")
            .label_style((FONT, 12))
            .draw()
            .map_err(fail)?;
        let clamp = |p: f64| p.max(floor);
        for (r, (_, p, [lo, hi])) in items.iter().enumerate() {
            let y = n - 1 - r as u32;
            let mid = || SegmentValue::CenterOf(y);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(clamp(*lo), mid()), (clamp(*hi), mid())],
                    GREY.stroke_width(3),
                )))
                .map_err(fail)?;
            if *p > 0.0 {
                chart
                    .draw_series(std::iter::once(Circle::new((*p, mid()), 5, BLUE.filled())))
                    .map_err(fail)?;
            }
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}
