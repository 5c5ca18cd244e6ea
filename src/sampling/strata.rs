//! Strata of the discrete input: each distinct (typed count, selector, safeguard fates)
//! with its exact probability, the random streams its runs use, and which nodes it can
//! reach at all.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::counts::{typed_counts, TypedCount};
use super::patterns::{matched_counts, Patterns, MAX_MATCHED};
use crate::model::{Model, NodeId, NodeKind};
use crate::safeguard::{Fates, Matched};
use crate::typo::{apportion, Selector};

/// Keystroke errors enumerated by default: inputs with more are left out, and their total
/// probability is added to the upper end of every interval.
pub const MAX_ERRORS: u32 = 2;

/// One discrete input and its exact probability.
#[derive(Clone, Debug)]
pub struct Stratum {
    /// The count the tool reads, with the likeliest digits that give it.
    pub count: TypedCount,
    /// What the selector matched.
    pub selector: Selector,
    /// How the safeguards' chance outcomes fall.
    pub fates: Fates,
    /// Exact probability of this input per command.
    pub probability: f64,
    /// Names this input's random streams: the same input draws the same numbers in every
    /// variant of a scenario (common random numbers).
    pub key: u64,
    /// Index into [`Strata::reaches`]: the nodes this input can make lose traffic.
    pub reach: usize,
    /// Whether what this input removes is fixed and all at the command's instant (no
    /// pattern matched by chance, no random spread over cells, no rate limit at work): then
    /// which subsystems fall below their minimum is the same in every run.
    pub fixed_removal: bool,
}

/// Every stratum of a model's command, and the probability left out.
#[derive(Clone, Debug)]
pub struct Strata {
    /// The strata, by count, then selector, then fates.
    pub strata: Vec<Stratum>,
    /// Probability of the inputs not listed (more than `max_errors` keystroke errors): at
    /// most this much can be missing from any probability estimated from the strata.
    pub left_out: f64,
    /// Keystroke errors enumerated.
    pub max_errors: u32,
    /// Per distinct set of subsystems an input can remove servers from: which nodes
    /// (indexed like [`Model::nodes`]) are downstream of it and so can lose traffic.
    pub reaches: Vec<Vec<bool>>,
}

impl Strata {
    /// The strata of `model`'s command with at most `max_errors` keystroke errors. A host
    /// pattern's matched count is enumerated too, count by count when that keeps the inputs
    /// within `MAX_ENUMERATED` (every stratum then fixes its removal, and in a model with
    /// no other chance one run settles it); else in ranges of consecutive counts
    /// (`MAX_MATCHED` per pattern) if those fit; beyond, each input needing its own runs
    /// costs more than the binomial draw it saves, and the count is drawn in every run.
    pub fn new(model: &Model, max_errors: u32) -> Strata {
        [Patterns::Counts, Patterns::Ranges, Patterns::Drawn]
            .into_iter()
            .find_map(|patterns| Strata::build(model, max_errors, patterns))
            .expect("drawn patterns are never too many")
    }

    /// The strata with host patterns enumerated as `patterns` says; `None` if that makes
    /// more than `MAX_ENUMERATED` (never when they are drawn).
    fn build(model: &Model, max_errors: u32, patterns: Patterns) -> Option<Strata> {
        let command = &model.command;
        let (counts, left_out) = typed_counts(
            &command.number_typos,
            &command.count.to_string(),
            max_errors,
        );
        let mut reaches: Vec<Vec<bool>> = Vec::new();
        let mut reach_of: BTreeMap<Vec<bool>, usize> = BTreeMap::new();
        let mut reach_of_hit: BTreeMap<Vec<bool>, usize> = BTreeMap::new();
        let mut strata = Vec::new();
        let mut left_out = left_out;
        let matched_counts = |selector| match patterns {
            Patterns::Counts => matched_counts(model, selector, usize::MAX),
            Patterns::Ranges => matched_counts(model, selector, MAX_MATCHED),
            Patterns::Drawn => (vec![(None, 1.0)], 0.0),
        };
        for (selector, p_selector) in selectors(model) {
            left_out += p_selector * matched_counts(selector).1;
        }
        for count in counts {
            for (selector, p_selector) in selectors(model) {
                for (matched, p_matched) in matched_counts(selector).0 {
                    let input = (count.count, matched);
                    if patterns != Patterns::Drawn && strata.len() > MAX_ENUMERATED {
                        return None;
                    }
                    let hit = removal_targets(model, input, selector);
                    let r = match reach_of_hit.get(&hit) {
                        Some(&r) => r,
                        None => {
                            let reach = downstream(model, &hit);
                            let next = reaches.len();
                            let r = *reach_of.entry(reach.clone()).or_insert(next);
                            if r == next {
                                reaches.push(reach);
                            }
                            reach_of_hit.insert(hit.clone(), r);
                            r
                        }
                    };
                    for (fates, p_fates) in fates(model, input, selector) {
                        let fates = Fates { matched, ..fates };
                        let probability = count.probability * p_selector * p_matched * p_fates;
                        if probability <= 0.0 {
                            continue;
                        }
                        let limited = command.safeguards.rate_limit.is_some()
                            && fates.limit_works != Some(false);
                        let name = command.selector_name(selector);
                        strata.push(Stratum {
                            fixed_removal: !limited
                                && fixed_removal(model, (selector, matched), &hit),
                            key: stream_key(count.count, name, fates),
                            count: count.clone(),
                            selector,
                            fates,
                            probability,
                            reach: r,
                        });
                    }
                }
            }
        }
        if patterns != Patterns::Drawn && strata.len() > MAX_ENUMERATED {
            return None;
        }
        Some(Strata {
            strata,
            left_out,
            max_errors,
            reaches,
        })
    }
}

/// The selector's outcomes and their probabilities; never one of probability zero.
fn selectors(model: &Model) -> Vec<(Selector, f64)> {
    let t = &model.command.target_typos;
    let total: f64 = t.matches.iter().map(|m| m.weight).sum();
    if t.probability <= 0.0 || total <= 0.0 {
        return vec![(Selector::Intended, 1.0)];
    }
    let mut out = vec![(Selector::Intended, 1.0 - t.probability)];
    for (i, m) in t.matches.iter().enumerate() {
        out.push((Selector::Wrong(i), t.probability * m.weight / total));
    }
    out.retain(|&(_, p)| p > 0.0);
    out
}

/// Most inputs when host patterns' matched counts are enumerated.
pub const MAX_ENUMERATED: usize = 5_000;

/// Which subsystems the input can remove servers from (before safeguards), indexed like
/// the model's nodes.
fn removal_targets(
    model: &Model,
    (count, matched): (u64, Option<Matched>),
    selector: Selector,
) -> Vec<bool> {
    let mut hit = vec![false; model.nodes.len()];
    match selector {
        Selector::Intended => hit[model.command.target.index()] = count > 0,
        Selector::Wrong(i) => {
            let m = &model.command.target_typos.matches[i];
            let mut shares = Vec::new();
            apportion(count, &m.hits, &mut shares);
            for (node, n) in shares {
                hit[node.index()] |= n > 0;
            }
            for e in &m.each {
                let some = match matched {
                    Some(m) => m.hi > 0,
                    None => e.share > 0.0 && e.servers > 0,
                };
                hit[e.node.index()] |= some;
            }
        }
    }
    hit
}

/// Whether the servers an input removes are fixed before any draw: no `each` pattern and
/// no subsystem hit whose cells are chosen at random.
fn fixed_removal(
    model: &Model,
    (selector, matched): (Selector, Option<Matched>),
    hit: &[bool],
) -> bool {
    // A host pattern draws its match unless the count is fixed.
    let each = match selector {
        Selector::Intended => false,
        Selector::Wrong(i) => {
            !model.command.target_typos.matches[i].each.is_empty()
                && !matched.is_some_and(Matched::is_exact)
        }
    };
    let spread = model.nodes.iter().zip(hit).any(|(node, &hit)| {
        hit && matches!(&node.kind, NodeKind::Subsystem(s)
            if s.cells.len() > 1 && s.assignment == crate::model::CellAssignment::Spread)
    });
    !each && !spread
}

/// The nodes that can lose traffic when the `hit` subsystems lose servers: those and
/// everything that needs them, directly or not.
pub fn downstream(model: &Model, hit: &[bool]) -> Vec<bool> {
    let mut reach = hit.to_vec();
    for &id in model.graph.order() {
        let node = model.node(id);
        let needs = node.needs.iter().chain(&node.needs_any);
        if needs.clone().any(|d| reach[d.index()]) {
            reach[id.index()] = true;
        }
    }
    reach
}

/// The servers the tool is asked to remove, when that is known before any draw (no `each`
/// pattern, or its count fixed; for a range of counts, the most it can be): what a
/// confirmation prompt compares with its threshold.
fn asked_total(
    model: &Model,
    (count, matched): (u64, Option<Matched>),
    selector: Selector,
) -> Option<u64> {
    let fleet = |node: NodeId| match &model.node(node).kind {
        NodeKind::Subsystem(s) => s.servers,
        _ => 0,
    };
    match selector {
        Selector::Intended => Some(count.min(fleet(model.command.target))),
        Selector::Wrong(i) => {
            let m = &model.command.target_typos.matches[i];
            let mut shares = Vec::new();
            match (m.each.as_slice(), matched) {
                ([], _) => {}
                // A range asks at most what its largest count asks.
                ([e], Some(m)) => shares.push((e.node, m.hi)),
                _ => return None,
            }
            apportion(count, &m.hits, &mut shares);
            let mut per_node: BTreeMap<usize, u64> = BTreeMap::new();
            for (node, n) in shares {
                let asked = per_node.entry(node.index()).or_insert(0);
                *asked = asked.saturating_add(n);
            }
            Some(
                per_node
                    .iter()
                    .map(|(&i, &n)| n.min(fleet(NodeId(i))))
                    .fold(0u64, u64::saturating_add),
            )
        }
    }
}

/// The safeguards' chance outcomes that can matter for this input, each with its
/// probability: every safeguard works or fails, and the operator, when asked about a wrong
/// input, confirms it anyway or not. An outcome that cannot matter is fixed, not split.
fn fates(
    model: &Model,
    (count, matched): (u64, Option<Matched>),
    selector: Selector,
) -> Vec<(Fates, f64)> {
    let g = &model.command.safeguards;
    let wrong = count != model.command.count || selector != Selector::Intended;
    let works = |fails: Option<f64>| -> Vec<(Option<bool>, f64)> {
        match fails {
            None => vec![(None, 1.0)],
            Some(f) => vec![(Some(true), 1.0 - f), (Some(false), f)],
        }
    };
    let asks = g.confirmation.as_ref().is_some_and(|c| {
        wrong
            && asked_total(model, (count, matched), selector).map_or(true, |total| total > c.above)
    });
    let confirms = match &g.confirmation {
        Some(c) if asks => vec![
            (Some(true), c.confirm_anyway),
            (Some(false), 1.0 - c.confirm_anyway),
        ],
        _ => vec![(None, 1.0)],
    };
    let mut out = Vec::new();
    for (prompt_works, a) in works(g.confirmation.as_ref().map(|c| c.fails)) {
        // A prompt that does not appear asks nobody.
        let confirms: &[_] = if prompt_works == Some(false) {
            &[(None, 1.0)]
        } else {
            &confirms
        };
        for &(confirmed_anyway, b) in confirms {
            for (guard_works, c) in works(g.guard.as_ref().map(|g| g.fails)) {
                for (limit_works, d) in works(g.rate_limit.as_ref().map(|r| r.fails)) {
                    let fates = Fates {
                        prompt_works,
                        confirmed_anyway,
                        guard_works,
                        limit_works,
                        matched: None,
                    };
                    let p = a * b * c * d;
                    if p > 0.0 {
                        out.push((fates, p));
                    }
                }
            }
        }
    }
    out
}

/// A stable name for an input's random streams, from what it is (not from its position in
/// the list, which changes with the scenario): FNV-1a over the count, the selector's name
/// and the fates.
fn stream_key(count: u64, selector: &str, fates: Fates) -> u64 {
    let fate = |f: Option<bool>| match f {
        None => 0u8,
        Some(false) => 1,
        Some(true) => 2,
    };
    let mut bytes = count.to_le_bytes().to_vec();
    bytes.extend(selector.as_bytes());
    bytes.push(0xff);
    bytes.extend([
        fate(fates.prompt_works),
        fate(fates.confirmed_anyway),
        fate(fates.guard_works),
        fate(fates.limit_works),
    ]);
    // A fixed match count, or range, is part of the input; none leaves the key as it was.
    match fates.matched {
        Some(m) if m.is_exact() => {
            bytes.push(0xfe);
            bytes.extend(m.lo.to_le_bytes());
        }
        Some(m) => {
            bytes.push(0xfd);
            bytes.extend(m.lo.to_le_bytes());
            bytes.extend(m.hi.to_le_bytes());
        }
        None => {}
    }
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h: u64, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The random stream of run `run` of the stratum named `key`: ChaCha8 keyed by the seed
/// and the stratum's key, on stream number `run`.
pub fn stratum_rng(seed: u64, key: u64, run: u64) -> ChaCha8Rng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&key.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(bytes);
    rng.set_stream(run);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    #[test]
    fn the_strata_and_what_is_left_out_add_up_to_one() {
        for name in ["s3-2017", "s3-2017-guarded", "s3-cells", "multi-region"] {
            let model = scenario::load(name).unwrap();
            for max in [1, 2, 3] {
                let s = Strata::new(&model, max);
                let total: f64 = s.strata.iter().map(|s| s.probability).sum();
                assert!(
                    (total + s.left_out - 1.0).abs() < 1e-12,
                    "{name} ≤{max}: {total} + {}",
                    s.left_out
                );
                let mut keys: Vec<u64> = s.strata.iter().map(|s| s.key).collect();
                keys.sort_unstable();
                keys.dedup();
                assert_eq!(
                    keys.len(),
                    s.strata.len(),
                    "{name}: stream keys are distinct"
                );
            }
        }
    }
}
