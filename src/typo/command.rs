//! The command as typed: the count, a selector that may match more than meant, and the
//! servers the removal takes from each subsystem.

use rand::Rng;
use rand_distr::{Binomial, Distribution};

use super::{pick_weighted, NumberTypos};
use crate::model::NodeId;
use crate::safeguard::{Matched, Safeguards};

/// What a wrong selector matches: the typed count shared among subsystems (`hits`), and
/// hosts matched by pattern whatever the count (`each`).
#[derive(Clone, Debug, PartialEq)]
pub struct SelectorMatch {
    /// Name used in `as_typed.selector` and in reports.
    pub name: String,
    /// Relative likelihood among the wrong selectors.
    pub weight: f64,
    /// Subsystems hit and their share of the typed count, in parts per million.
    pub hits: Vec<(NodeId, u64)>,
    /// Subsystems of which each server is matched, and so removed, independently with
    /// this probability; with the subsystem's server count.
    pub each: Vec<EachServer>,
}

/// Every server of a subsystem matched independently with probability `share`.
#[derive(Clone, Debug, PartialEq)]
pub struct EachServer {
    /// The subsystem.
    pub node: NodeId,
    /// Its servers.
    pub servers: u64,
    /// Probability that one server matches.
    pub share: f64,
}

/// How the target goes wrong: with `probability`, the selector matches one of `matches`.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetTypos {
    /// Probability that the selector is wrong.
    pub probability: f64,
    /// What a wrong selector can match.
    pub matches: Vec<SelectorMatch>,
}

/// Which servers the typed selector matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The intended target.
    Intended,
    /// The wrong selector at this index of [`TargetTypos::matches`].
    Wrong(usize),
}

/// The operator's command, as meant and as it can go wrong.
#[derive(Clone, Debug)]
pub struct Command {
    /// What the playbook step is for.
    pub description: String,
    /// The subsystem the command is meant for.
    pub target: NodeId,
    /// How many servers it is meant to remove (or reboot).
    pub count: u64,
    /// What it does to the servers it selects.
    pub action: Action,
    /// How the count is mistyped.
    pub number_typos: NumberTypos,
    /// How the target is mistyped.
    pub target_typos: TargetTypos,
    /// The input as it was typed on the day, for `replay`.
    pub as_typed: Option<TypedInput>,
    /// What the tool does to stop or limit a wrong removal.
    pub safeguards: Safeguards,
}

/// What the command does to the servers it selects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Action {
    /// Takes them out of service for good (until a cold restart brings the whole cell back).
    #[default]
    Remove,
    /// Reboots them: each is out of service for one boot time, then back, with no cold
    /// restart unless its cell falls below its minimum.
    Reboot,
}

impl Action {
    /// The word a scenario uses for it.
    pub fn key(self) -> &'static str {
        match self {
            Action::Remove => "remove",
            Action::Reboot => "reboot",
        }
    }
}

/// One typed input: the count as typed and the selector it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypedInput {
    /// The digits typed, as the operator would have seen them.
    pub count_text: String,
    /// The number the tool read from them (saturating; empty reads as 0).
    pub count: u64,
    /// Which servers the selector matched.
    pub selector: Selector,
}

/// Reads typed digits the way the tool would: saturating at `u64::MAX`, empty as 0.
pub fn read_count(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10)
            .saturating_add(u64::from(d.wrapping_sub(b'0')))
    })
}

impl Command {
    /// Draws one typed input: the count and the selector. `scratch` is reused between runs.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, scratch: &mut Vec<u8>) -> (u64, Selector) {
        let mut digits = itoa::Buffer::new();
        let intended = digits.format(self.count);
        self.number_typos
            .type_digits(intended.as_bytes(), rng, scratch);
        let count = read_count(scratch);
        let typos = &self.target_typos;
        let selector = if typos.probability > 0.0
            && !typos.matches.is_empty()
            && rng.random::<f64>() < typos.probability
        {
            let weights = typos.matches.iter().map(|m| m.weight);
            // Checked at build: some match has a weight above zero.
            let i = pick_weighted(weights, rng).unwrap_or(0);
            Selector::Wrong(i)
        } else {
            Selector::Intended
        };
        (count, selector)
    }

    /// How many servers of which subsystem the tool is asked to remove: `count` shared
    /// among the `hits` subsystems by largest remainder (ties to the earlier one), then a
    /// binomial draw for each `each` subsystem, unless `matched` fixes the count of a
    /// selector's only `each` entry.
    pub fn removal<R: Rng + ?Sized>(
        &self,
        (count, matched): (u64, Option<Matched>),
        selector: Selector,
        rng: &mut R,
        out: &mut Vec<(NodeId, u64)>,
    ) {
        out.clear();
        match selector {
            Selector::Intended => out.push((self.target, count)),
            Selector::Wrong(i) => {
                let m = &self.target_typos.matches[i];
                apportion(count, &m.hits, out);
                let fixed = matched.filter(|_| m.each.len() == 1);
                for e in &m.each {
                    let matched = match fixed {
                        Some(m) if m.is_exact() => m.lo,
                        Some(m) => binomial_within(e.servers, e.share, m, rng),
                        // Checked at build: 0 ≤ share ≤ 1, so the distribution exists.
                        None => Binomial::new(e.servers, e.share).map_or(0, |b| b.sample(rng)),
                    };
                    out.push((e.node, matched));
                }
            }
        }
    }

    /// The name of a selector, for reports.
    /// The input `COUNT` or `COUNT@SELECTOR` as typed (`100@storage-fleet`), or what is
    /// wrong with it.
    pub fn parse_input(&self, text: &str) -> Result<TypedInput, String> {
        let (digits, name) = text.split_once('@').unwrap_or((text, "intended"));
        let names = || {
            std::iter::once("intended")
                .chain(self.target_typos.matches.iter().map(|m| m.name.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("digits, then @ and a selector ({})", names()));
        }
        let selector = match name {
            "intended" => Selector::Intended,
            _ => match self
                .target_typos
                .matches
                .iter()
                .position(|m| m.name == name)
            {
                Some(i) => Selector::Wrong(i),
                None => return Err(format!("a selector the scenario names ({})", names())),
            },
        };
        Ok(TypedInput {
            count_text: digits.to_string(),
            count: read_count(digits.as_bytes()),
            selector,
        })
    }

    pub fn selector_name(&self, selector: Selector) -> &str {
        match selector {
            Selector::Intended => "intended",
            Selector::Wrong(i) => &self.target_typos.matches[i].name,
        }
    }
}

/// Splits `count` over `shares` (parts per million) by the largest-remainder method.
pub fn apportion(count: u64, shares: &[(NodeId, u64)], out: &mut Vec<(NodeId, u64)>) {
    let total: u128 = shares.iter().map(|&(_, w)| u128::from(w)).sum();
    if total == 0 {
        return;
    }
    let mut remainders = Vec::with_capacity(shares.len());
    let mut given = 0u128;
    for (i, &(node, w)) in shares.iter().enumerate() {
        let exact = u128::from(count) * u128::from(w);
        let base = exact / total;
        given += base;
        out.push((node, base as u64));
        remainders.push((exact % total, i));
    }
    // Larger remainder first; ties go to the earlier entry.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = (u128::from(count) - given) as usize;
    for &(_, i) in remainders.iter().take(left) {
        out[i].1 += 1;
    }
}

/// A draw from Binomial(`n`, `q`) given that it falls within `m`: by inverting the
/// distribution function over the range, with the probabilities relative to the first
/// (t(k+1) = t(k)·(n−k)/(k+1)·q/(1−q): multiplications and divisions only, so the same
/// on every machine). A range is the binomial's window cut in 256.
fn binomial_within<R: Rng + ?Sized>(n: u64, q: f64, m: Matched, rng: &mut R) -> u64 {
    let (lo, hi) = (m.lo.min(n), m.hi.min(n));
    if q <= 0.0 || q >= 1.0 || lo >= hi {
        return lo;
    }
    let odds = q / (1.0 - q);
    let weights = || {
        (lo..=hi).scan(1.0, move |t, k| {
            let w = *t;
            *t *= (n - k) as f64 / (k + 1) as f64 * odds;
            Some((k, w))
        })
    };
    let total: f64 = weights().map(|(_, w)| w).sum();
    let mut u = rng.random::<f64>() * total;
    for (k, w) in weights() {
        if u < w {
            return k;
        }
        u -= w;
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn read_count_saturates() {
        assert_eq!(read_count(b""), 0);
        assert_eq!(read_count(b"0100"), 100);
        assert_eq!(read_count(b"99999999999999999999999"), u64::MAX);
    }

    #[test]
    fn apportion_is_exact_and_stable() {
        let a = NodeId(0);
        let b = NodeId(1);
        let mut out = Vec::new();
        apportion(100, &[(a, 600_000), (b, 400_000)], &mut out);
        assert_eq!(out, vec![(a, 60), (b, 40)]);
        out.clear();
        apportion(7, &[(a, 1), (b, 1)], &mut out);
        assert_eq!(out, vec![(a, 4), (b, 3)]);
        out.clear();
        apportion(u64::MAX, &[(a, 1), (b, 2)], &mut out);
        assert_eq!(
            out.iter().map(|x| u128::from(x.1)).sum::<u128>(),
            u128::from(u64::MAX)
        );
    }

    #[test]
    fn a_draw_within_a_range_follows_the_binomial_given_the_range() {
        // Binomial(30, 0.3) given 7 ≤ k ≤ 12: exact conditional probabilities from the
        // binomial coefficients, against 200,000 draws, each within 4 standard errors.
        let (n, q, m) = (30u64, 0.3f64, Matched { lo: 7, hi: 12 });
        let pmf = |k: u64| {
            let choose = (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64);
            choose * q.powi(k as i32) * (1.0 - q).powi((n - k) as i32)
        };
        let total: f64 = (m.lo..=m.hi).map(pmf).sum();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let draws = 200_000u64;
        let mut seen = [0u64; 6];
        for _ in 0..draws {
            let k = binomial_within(n, q, m, &mut rng);
            assert!((m.lo..=m.hi).contains(&k), "{k}");
            seen[(k - m.lo) as usize] += 1;
        }
        for (i, &c) in seen.iter().enumerate() {
            let p = pmf(m.lo + i as u64) / total;
            let se = (p * (1.0 - p) / draws as f64).sqrt();
            let f = c as f64 / draws as f64;
            assert!(
                (f - p).abs() < 4.0 * se,
                "k = {}: {f} vs {p}",
                m.lo + i as u64
            );
        }
        // A range of one count, and one past the fleet, need no draw.
        assert_eq!(binomial_within(n, q, Matched::exactly(9), &mut rng), 9);
        assert_eq!(
            binomial_within(n, q, Matched { lo: 31, hi: 40 }, &mut rng),
            30
        );
    }
}
