//! The inputs behind a node's unavailability: the strata that contribute most to its
//! probability, and their safeguards' outcomes in words.

use super::strata::Cause;
use crate::model::Model;
use crate::safeguard::Fates;
use crate::stats::strata::Part;
use crate::stratified::Estimate;

/// Causes listed per node.
const CAUSES: usize = 3;

/// The inputs that contribute most to a probability estimated from `parts`.
pub(super) fn causes(model: &Model, est: &Estimate, parts: &[Part]) -> Vec<Cause> {
    let contribution = |p: &Part| {
        if p.n == 0 {
            0.0
        } else {
            p.weight * p.sum / p.n as f64
        }
    };
    let total: f64 = parts.iter().map(contribution).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..parts.len())
        .filter(|&h| contribution(&parts[h]) > 0.0)
        .collect();
    // Largest first; equal ones in stratum order, so the list is the same on any machine.
    order.sort_by(|&a, &b| {
        contribution(&parts[b])
            .total_cmp(&contribution(&parts[a]))
            .then(a.cmp(&b))
    });
    order
        .into_iter()
        .take(CAUSES)
        .map(|h| {
            let s = &est.strata.strata[h];
            Cause {
                typed: s.count.text.clone(),
                selector: model.command.selector_name(s.selector).to_string(),
                safeguards: describe(s.fates),
                probability: s.probability,
                share: contribution(&parts[h]) / total,
            }
        })
        .collect()
}

/// How the safeguards' chance outcomes fell, in words.
pub fn describe(f: Fates) -> String {
    let says = |what: &str, works: Option<bool>| {
        works.map(|w| format!("{what} {}", if w { "worked" } else { "failed" }))
    };
    let parts: Vec<String> = [
        says("prompt", f.prompt_works),
        f.confirmed_anyway.map(|c| {
            if c {
                "operator confirmed anyway".to_string()
            } else {
                "operator declined".to_string()
            }
        }),
        says("guard", f.guard_works),
        says("rate limit", f.limit_works),
        f.matched.map(|m| match m.is_exact() {
            true => format!("pattern matched {}", m.lo),
            false => format!("pattern matched {}-{}", m.lo, m.hi),
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}
