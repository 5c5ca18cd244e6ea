//! Host patterns: how many servers a pattern matches is binomial, and its counts (or ranges
//! of them) become inputs of their own with exact probabilities.

use crate::model::{Model, NodeKind};
use crate::safeguard::Matched;
use crate::typo::Selector;

/// Ranges a host pattern's matched count is cut into (one more at its threshold) when its
/// counts one by one would make too many inputs.
pub const MAX_MATCHED: usize = 256;

/// How a host pattern's matched count is enumerated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Patterns {
    /// Count by count.
    Counts,
    /// In ranges of consecutive counts: [`MAX_MATCHED`], and one at the threshold.
    Ranges,
    /// Not: drawn in every run.
    Drawn,
}

/// The matched counts of a selector's host pattern (its one `each` entry), each with its
/// binomial probability, over the window where they are not negligible (each term left
/// out is below 1e-20 of the likeliest); and a bound on what that window leaves out. The
/// window is cut into `most` ranges of equal width (width 1 when it has no more
/// counts than that), each with its exact probability, within which runs draw the count:
/// so the tails, where a pattern matching far more servers than usual does the damage,
/// are strata of their own with exact weights rather than rare draws. One more range starts
/// at the count at which the pattern alone takes its subsystem below its minimum, so that
/// for an undivided subsystem hit only through the pattern every run of a range fails it
/// or none does (with cells, or `hits` on the same subsystem, this only narrows the
/// ranges' variance). `[(None, 1)]` when
/// there is no pattern or several: then the count is drawn in every run.
pub fn matched_counts(
    model: &Model,
    selector: Selector,
    most: usize,
) -> (Vec<(Option<Matched>, f64)>, f64) {
    let drawn = (vec![(None, 1.0)], 0.0);
    let Selector::Wrong(i) = selector else {
        return drawn;
    };
    let [e] = model.command.target_typos.matches[i].each.as_slice() else {
        return drawn;
    };
    let (first, p) = crate::stats::interval::binomial_window(e.servers, e.share);
    let width = p.len().div_ceil(most.max(1));
    // The first count that alone takes the subsystem below its minimum starts a range, so
    // that no range straddles it: its runs then all fail it, or none do.
    let falls = match &model.node(e.node).kind {
        NodeKind::Subsystem(s) => (s.servers + 1).checked_sub(s.min_servers),
        _ => None,
    };
    let mut counts: Vec<(Option<Matched>, f64)> = Vec::new();
    for (i, q) in p.into_iter().enumerate() {
        let k = first + i as u64;
        match counts.last_mut() {
            Some((Some(m), sum)) if i % width != 0 && Some(k) != falls => {
                m.hi = k;
                *sum += q;
            }
            _ => counts.push((Some(Matched::exactly(k)), q)),
        }
    }
    // At most n + 1 terms outside the window, each below 1e-20 of the largest (≤ 1).
    (counts, (e.servers as f64 + 1.0) * 1e-20)
}
