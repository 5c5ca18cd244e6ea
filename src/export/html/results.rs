//! The report's Monte Carlo sections: probabilities per command with their intervals,
//! each node's results, the distributions of time when it goes wrong, the inputs behind
//! each outage, and the variants compared.

use std::fmt::Write as _;
use std::io;

use super::{charts, escape, Page};
use crate::export::strata::probability;
use crate::export::text::duration;
use crate::report::distribution::Bin;
use crate::report::{CompareReport, Interval, StrataReport};

/// Writes the results by strata.
pub(super) fn monte_carlo(html: &mut String, page: &Page) -> io::Result<()> {
    let r = page.report;
    html.push_str("<section>\n<h2>Monte Carlo: what happens per command</h2>\n");
    html.push_str("<figure>\n");
    html.push_str(&charts::probabilities(
        &headline(r),
        "probability per command",
    )?);
    html.push_str(
        "<figcaption>Each dot is an estimate, each grey bar its 95% interval. Level 1 of a \
         cascade is the subsystem the command hit; each level more is a dependent that lost \
         traffic through it.</figcaption>\n</figure>\n",
    );
    nodes(html, r);
    if !page.recovery.is_empty() {
        html.push_str("<h3>Everything back, when something lost traffic</h3>\n");
        pair(html, page.recovery, "time until everything was back")?;
    }
    if !page.downtime.is_empty() {
        html.push_str("<h3>Customer-facing services, when they become unavailable</h3>\n");
        // Services whose distributions are the same (they fail together) share a chart.
        let mut groups: Vec<(Vec<&str>, &[Bin])> = Vec::new();
        for (name, bins) in page.downtime {
            match groups.iter_mut().find(|(_, b)| *b == bins.as_slice()) {
                Some((names, _)) => names.push(name),
                None => groups.push((vec![name], bins)),
            }
        }
        for (names, bins) in groups {
            let _ = writeln!(html, "<h4>{}</h4>", escape(&names.join(", ")));
            pair(html, bins, "time unavailable")?;
        }
    }
    causes(html, r);
    html.push_str("</section>\n");
    Ok(())
}

/// The probabilities the report leads with, as chart rows.
fn headline(r: &StrataReport) -> Vec<(String, f64, [f64; 2])> {
    let row = |name: &str, i: &Interval| (name.to_string(), i.estimate, i.ci95);
    let mut rows = vec![
        row("a customer-facing service", &r.facing_outage_probability),
        row("any service", &r.outage_probability),
    ];
    if r.nodes.values().any(|n| n.kind == "customer") {
        rows.push(row("a customer", &r.customer_outage_probability));
    }
    for (d, i) in r.cascade_depth_at_least.iter().enumerate().skip(1) {
        rows.push(row(&format!("a cascade of {} levels or more", d + 1), i));
    }
    rows
}

/// A histogram and a CDF side by side.
fn pair(html: &mut String, bins: &[Bin], what: &str) -> io::Result<()> {
    html.push_str("<div class=\"pair\">\n");
    html.push_str(&charts::histogram(bins, &format!("{what}: histogram"))?);
    html.push_str(&charts::cdf(bins, &format!("{what}: CDF"))?);
    html.push_str("</div>\n");
    Ok(())
}

fn nodes(html: &mut String, r: &StrataReport) {
    html.push_str(
        "<table>\n<tr><th>node</th><th>P(unavailable) per command [95%]</th>\
         <th>down for, when unavailable: mean</th><th>p50</th><th>p90</th><th>p99</th></tr>\n",
    );
    for (name, n) in &r.nodes {
        let at_least = if n.still_down_at_horizon_probability.is_some() {
            "≥ "
        } else {
            ""
        };
        let mean = n.downtime_given_unavailable_s.map_or("-".into(), |i| {
            format!("{at_least}{}", duration(i.estimate))
        });
        let q = |f: fn(&crate::report::Quantiles) -> f64| {
            n.downtime_given_unavailable_quantiles_s
                .as_ref()
                .map_or("-".into(), |q| duration(f(q)))
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(name),
            escape(&probability(&n.unavailable_probability)),
            escape(&mean),
            q(|q| q.p50.estimate),
            q(|q| q.p90.estimate),
            q(|q| q.p99.estimate),
        );
    }
    html.push_str("</table>\n");
}

/// Which inputs make each node unavailable; nodes with the same causes share a row.
fn causes(html: &mut String, r: &StrataReport) {
    let mut groups: Vec<(Vec<&str>, &[crate::report::Cause])> = Vec::new();
    for (name, n) in &r.nodes {
        if n.causes.is_empty() {
            continue;
        }
        let same = |c: &[crate::report::Cause]| {
            c.len() == n.causes.len()
                && c.iter().zip(&n.causes).all(|(a, b)| {
                    a.typed == b.typed
                        && a.selector == b.selector
                        && a.safeguards == b.safeguards
                        && a.share == b.share
                })
        };
        match groups.iter_mut().find(|(_, c)| same(c)) {
            Some((names, _)) => names.push(name),
            None => groups.push((vec![name], &n.causes)),
        }
    }
    if groups.is_empty() {
        return;
    }
    html.push_str(
        "<h3>Why: the inputs behind each outage</h3>\n<table>\n<tr><th>unavailable</th>\
         <th>typed</th><th>selector matched</th><th>safeguards</th>\
         <th>P(input)</th><th>share</th></tr>\n",
    );
    for (names, causes) in groups {
        for (k, c) in causes.iter().enumerate() {
            let who = if k == 0 {
                escape(&names.join(", "))
            } else {
                String::new()
            };
            let _ = writeln!(
                html,
                "<tr><td>{who}</td><td><code>{}</code></td><td>{}</td><td>{}</td>\
                 <td class=\"num\">{:.3e}</td><td class=\"num\">{:.1}%</td></tr>",
                if c.typed.is_empty() {
                    "\"\"".into()
                } else {
                    escape(&c.typed)
                },
                escape(&c.selector),
                escape(&c.safeguards),
                c.probability,
                c.share * 100.0
            );
        }
    }
    html.push_str("</table>\n");
}

/// Writes the variants side by side, with their paired differences from the first.
pub(super) fn compare(html: &mut String, c: &CompareReport) -> io::Result<()> {
    html.push_str("<section>\n<h2>Variants compared</h2>\n");
    let _ = writeln!(
        html,
        "<p class=\"note\">{} runs per variant on common random numbers (every variant draws \
         the same numbers for the same input), seed {}.</p>",
        c.runs, c.seed
    );
    let rows: Vec<(String, f64, [f64; 2])> = c
        .variants
        .iter()
        .map(|(name, r)| {
            let p = &r.facing_outage_probability;
            (name.clone(), p.estimate, p.ci95)
        })
        .collect();
    html.push_str("<figure>\n");
    html.push_str(&charts::probabilities(
        &rows,
        "a customer-facing outage, per command",
    )?);
    html.push_str(
        "</figure>\n<table>\n<tr><th>variant</th><th>P(customer-facing outage)</th>\
         <th>P(any outage)</th><th>everything back, when something lost traffic</th></tr>\n",
    );
    for (name, r) in &c.variants {
        let back = r
            .recovery_given_outage_s
            .map_or("-".into(), |i| duration(i.estimate));
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            escape(name),
            escape(&probability(&r.facing_outage_probability)),
            escape(&probability(&r.outage_probability)),
            escape(&back)
        );
    }
    html.push_str("</table>\n");
    if !c.differences.is_empty() {
        html.push_str(
            "<table>\n<tr><th>variant</th><th>against</th>\
             <th>difference in P(customer-facing outage) [95% paired]</th>\
             <th>difference in P(any outage)</th></tr>\n",
        );
        for (name, d) in &c.differences {
            let diff = |x: &crate::report::Difference| {
                format!(
                    "{:+.3e} [{:+.3e}, {:+.3e}]",
                    x.estimate, x.ci95[0], x.ci95[1]
                )
            };
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(name),
                escape(&d.against),
                diff(&d.facing_outage_probability),
                diff(&d.outage_probability)
            );
        }
        html.push_str("</table>\n");
        node_differences(html, c);
    }
    html.push_str("</section>\n");
    Ok(())
}

/// Per variant, the nodes whose expected downtime per command changed.
fn node_differences(html: &mut String, c: &CompareReport) {
    let changed: Vec<_> = c
        .differences
        .iter()
        .flat_map(|(v, d)| d.nodes.iter().map(move |(n, x)| (v, n, x)))
        .filter(|(_, _, x)| x.expected_downtime_s.estimate != 0.0)
        .collect();
    if changed.is_empty() {
        return;
    }
    html.push_str(
        "<table>\n<tr><th>variant</th><th>node</th>\
         <th>difference in expected downtime per command [95% paired]</th>\
         <th>difference in P(unavailable)</th></tr>\n",
    );
    for (variant, node, x) in changed {
        let d = &x.expected_downtime_s;
        let p = &x.unavailable_probability;
        let cut = if x.censored {
            " (cut at the horizon)"
        } else {
            ""
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{:+.3e} s [{:+.3e}, {:+.3e}]{cut}</td>\
             <td class=\"num\">{:+.3e} [{:+.3e}, {:+.3e}]</td></tr>",
            escape(variant),
            escape(node),
            d.estimate,
            d.ci95[0],
            d.ci95[1],
            p.estimate,
            p.ci95[0],
            p.ci95[1]
        );
    }
    html.push_str("</table>\n");
}
