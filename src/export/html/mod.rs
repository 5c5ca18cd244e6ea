//! The HTML report: one self-contained file (inline SVG and CSS, no script, no font or
//! anything else fetched) that tells a scenario's story to a room: the scenario and what
//! it assumes, its dependency graph, the run as it happened as a Gantt chart and a
//! timeline, and the Monte Carlo results by strata, with the variants compared if asked.

pub mod charts;
pub mod graph;
mod results;

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::export::gantt;
use crate::export::text::duration;
use crate::export::timeline::Replay;
use crate::model::{Model, NodeId};
use crate::report::distribution::Bin;
use crate::report::{CompareReport, StrataReport};
use crate::scenario::Notes;

/// The page's style sheet.
const STYLE: &str = include_str!("style.css");

/// What a report shows.
pub struct Page<'a> {
    /// The scenario.
    pub model: &'a Model,
    /// What its file says in comments.
    pub notes: &'a Notes,
    /// Its results by strata.
    pub report: &'a StrataReport,
    /// The time until everything was back, given that something lost traffic.
    pub recovery: &'a [Bin],
    /// Per customer-facing service that ever became unavailable, its time unavailable
    /// given that it did.
    pub downtime: &'a [(String, Vec<Bin>)],
    /// The run as it happened, if the scenario says what was typed.
    pub replay: Option<Replay<'a>>,
    /// Its variants compared, if asked.
    pub compare: Option<&'a CompareReport>,
    /// The program and version that wrote it.
    pub generator: &'a str,
}

/// `text` with `&`, `<`, `>` and `"` escaped for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Writes the page.
pub fn write(w: &mut dyn Write, page: &Page) -> io::Result<()> {
    let mut html = String::with_capacity(256 << 10);
    let m = page.model;
    let title = escape(&m.name);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{title}: blastradius report</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(page.generator)
    );
    header(&mut html, page);
    scenario(&mut html, page);
    graph_section(&mut html, page);
    if let Some(replay) = &page.replay {
        as_it_happened(&mut html, replay)?;
    }
    results::monte_carlo(&mut html, page)?;
    if let Some(compare) = page.compare {
        results::compare(&mut html, compare)?;
    }
    assumptions(&mut html, page);
    method(&mut html);
    html.push_str("</body>\n</html>\n");
    w.write_all(html.as_bytes())
}

fn header(html: &mut String, page: &Page) {
    let (m, r) = (page.model, page.report);
    let _ = write!(
        html,
        "<header>\n<h1>{}</h1>\n<p>{}</p>\n<p class=\"meta\">{} · {} runs by strata of the \
         input, seed {} · {}</p>\n</header>\n",
        escape(&m.name),
        escape(m.description.trim()),
        escape(&m.origin),
        r.runs,
        r.seed,
        escape(page.generator)
    );
    html.push_str("<section class=\"cards\">\n");
    let [p, lo, hi] = crate::export::strata::probability_parts(&r.facing_outage_probability);
    card(
        html,
        "a customer-facing outage, per command",
        &p,
        &format!("95% interval [{lo}, {hi}]"),
    );
    if let (Some(mean), Some(q)) = (
        &r.recovery_given_outage_s,
        &r.recovery_given_outage_quantiles_s,
    ) {
        card(
            html,
            "everything back, when something lost traffic",
            &format!("{} on average", duration(mean.estimate)),
            &format!(
                "p50 {}, p90 {}, p99 {}",
                duration(q.p50.estimate),
                duration(q.p90.estimate),
                duration(q.p99.estimate)
            ),
        );
    }
    if let Some(replay) = &page.replay {
        let back = match replay.outcome.recovery {
            Some(t) => format!("back after {}", duration(t.as_secs_f64())),
            None if replay.outcome.horizon_hit => "not back by the horizon".into(),
            None => "nothing became unavailable".into(),
        };
        card(
            html,
            "the input as it was typed",
            &back,
            &format!(
                "{} servers removed, a cascade {} deep",
                replay.outcome.servers_removed, replay.outcome.cascade_depth
            ),
        );
    }
    html.push_str("</section>\n");
}

fn card(html: &mut String, what: &str, value: &str, detail: &str) {
    let _ = writeln!(
        html,
        "<div class=\"card\"><div>{}</div><div class=\"value\">{}</div>\
         <div class=\"interval\">{}</div></div>",
        escape(what),
        escape(value),
        escape(detail)
    );
}

fn scenario(html: &mut String, page: &Page) {
    let notes = page.notes;
    if notes.preface.is_empty() {
        return;
    }
    let _ = write!(
        html,
        "<section>\n<h2>The scenario</h2>\n<p class=\"note\">From the scenario file's opening \
         comment (its assumptions are listed at the end):</p>\n<pre>{}</pre>\n</section>\n",
        escape(&notes.preface.join("\n"))
    );
}

fn assumptions(html: &mut String, page: &Page) {
    let assumed = &page.notes.assumed;
    if assumed.is_empty() {
        return;
    }
    let _ = write!(
        html,
        "<section>\n<h2>What the scenario assumes</h2>\n<p>{} values are marked \
         <code>ASSUMED</code> in the file: they are not public and were chosen, not measured.\
         </p>\n<table>\n<tr><th>key</th><th>value</th><th>comment</th></tr>\n",
        assumed.len()
    );
    for a in assumed {
        let _ = writeln!(
            html,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&a.key),
            escape(&a.value),
            escape(&a.comment)
        );
    }
    html.push_str("</table>\n</section>\n");
}

fn graph_section(html: &mut String, page: &Page) {
    let m = page.model;
    // What the run as it happened did to each node.
    let fill = |id: NodeId| {
        let out = &page.replay.as_ref()?.outcome.nodes[id.index()];
        if out.down_at.is_some() {
            Some(graph::DOWN)
        } else if !out.lost_nothing() {
            Some(graph::HIT)
        } else {
            None
        }
    };
    if m.nodes.len() > graph::MOST_NODES {
        let _ = writeln!(
            html,
            "<section>\n<h2>Dependency graph</h2>\n<p class=\"note\">{} nodes: more than the \
             {} a page can show legibly (and a layered layout can place quickly). \
             <code>blastradius graph --format dot</code> gives it to Graphviz.</p>\n</section>",
            m.nodes.len(),
            graph::MOST_NODES
        );
        return;
    }
    let Some(svg) = graph::svg(m, &fill) else {
        return;
    };
    html.push_str("<section>\n<h2>Dependency graph</h2>\n");
    html.push_str(
        "<p class=\"note\">Dependencies on the left, what needs them to the right. Boxes are \
         subsystems (servers, minimum), ellipses services; a dashed edge is one of several \
         alternatives (<code>needs_any</code>), a dotted one a restart that waits \
         (<code>restart_after</code>). The command's target is drawn bold.</p>\n",
    );
    html.push_str("<figure class=\"wide\">\n");
    html.push_str(&svg);
    html.push_str("</figure>\n");
    if page.replay.is_some() {
        let _ = writeln!(
            html,
            "<p class=\"legend\"><span><i style=\"background:{}\"></i>unavailable in the run \
             as typed</span><span><i style=\"background:{}\"></i>lost servers or a part of \
             its traffic</span></p>",
            graph::DOWN,
            graph::HIT
        );
    }
    html.push_str("</section>\n");
}

fn as_it_happened(html: &mut String, replay: &Replay) -> io::Result<()> {
    let m = replay.model;
    html.push_str("<section>\n<h2>As it happened</h2>\n");
    let mut rows = gantt::rows(m, replay.changes);
    let span = replay.end().since_start().as_millis();
    let changed = rows.len();
    // A chart of more rows than this is not read: the first ones (the causes) are drawn.
    const MOST_ROWS: usize = 60;
    rows.truncate(MOST_ROWS);
    if changed > MOST_ROWS {
        let _ = writeln!(
            html,
            "<p class=\"note\">{changed} nodes changed; the chart shows the first {MOST_ROWS} \
             in dependency order, the timeline below has them all.</p>"
        );
    }
    if !rows.is_empty() && span > 0 {
        let names: Vec<String> = rows
            .iter()
            .map(|(id, _)| m.node(*id).name.clone())
            .collect();
        html.push_str("<figure>\n");
        html.push_str(&charts::gantt(&rows, &names, span, &m.start_clock)?);
        html.push_str("<figcaption class=\"legend\">");
        for state in [
            gantt::State::Down,
            gantt::State::Restarting,
            gantt::State::Validating,
            gantt::State::Partial,
            gantt::State::Up,
        ] {
            let c = charts::colour(state);
            let _ = write!(
                html,
                "<span><i style=\"background:#{:02x}{:02x}{:02x}\"></i>{}</span>",
                c.0,
                c.1,
                c.2,
                state.label()
            );
        }
        html.push_str("</figcaption>\n</figure>\n");
    }
    let mut story = Vec::new();
    replay.write_story(&mut story)?;
    let _ = write!(
        html,
        "<details open>\n<summary>The timeline, every change with its cause</summary>\n\
         <pre>{}</pre>\n</details>\n</section>\n",
        escape(&String::from_utf8_lossy(&story))
    );
    Ok(())
}

fn method(html: &mut String) {
    html.push_str(
        "<section>\n<h2>How these numbers are computed</h2>\n<p>Every distinct input the \
         typo model allows (the count as typed, what the selector matched, how each \
         safeguard's chance fell) is a stratum with an exact probability; blastradius \
         simulates each stratum's runs and weights them by that probability. A probability \
         per command is the weighted sum over strata, with a 95% interval that stays within \
         [0, 1] (Wilson intervals per stratum, combined); inputs with more keystroke errors \
         than enumerated are left out and their probability is added to every upper bound. \
         A time \"when it goes wrong\" is conditional on the event: the strata's runs in \
         which it happened, weighted the same way; quantiles come from histograms with \
         buckets at most 0.2% wide, with Woodruff intervals. The histograms and CDFs above are \
         drawn from those buckets, each bucket's probability spread evenly over its width. \
         The run as it happened is one run of the input as typed, with the seed shown.</p>\n\
         </section>\n",
    );
}
