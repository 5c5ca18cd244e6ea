//! The exact distribution of the typed count under the keystroke model
//! ([`NumberTypos`]): every way of typing the intended digits with at most `max_errors`
//! keystroke errors, with its probability, lumped by the number the tool reads; and the
//! exact probability of more errors than that, which is left out.

use std::collections::BTreeMap;

use crate::typo::{neighbours, read_count, NumberTypos, TypoKind};

/// One count the tool can read, with its probability and the likeliest way to type it.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedCount {
    /// The number the tool reads.
    pub count: u64,
    /// Probability of reading it (over the typings enumerated).
    pub probability: f64,
    /// The likeliest digits that read as `count`, for reports.
    pub text: String,
    /// Keystroke errors in that likeliest typing.
    pub errors: u32,
}

/// The typed counts with at most `max_errors` keystroke errors, by count, and the exact
/// probability of more errors (what the list leaves out).
pub fn typed_counts(
    typos: &NumberTypos,
    intended: &str,
    max_errors: u32,
) -> (Vec<TypedCount>, f64) {
    let keys = intended.as_bytes();
    let mut walk = Walk {
        typos,
        keys,
        max_errors,
        out: Vec::new(),
        found: BTreeMap::new(),
    };
    walk.go(0, 0, 1.0);
    let counts = walk.found.into_values().map(|(c, _)| c).collect();
    (counts, more_errors(typos, keys, max_errors))
}

/// One chance outcome of a keystroke.
struct Keystroke {
    /// What is typed.
    typed: Vec<u8>,
    /// Keystroke errors (0 or 1).
    errors: u32,
    /// Keys of the intended digits it takes: 2 for a transposition, else 1.
    keys: usize,
    probability: f64,
}

/// The chance outcomes of typing `key`, followed by `next` if any; the same draws, in the
/// same proportions, as [`NumberTypos::type_digits`].
fn outcomes(typos: &NumberTypos, key: u8, next: Option<u8>) -> Vec<Keystroke> {
    let p = typos.per_keystroke.clamp(0.0, 1.0);
    let weight = |k: TypoKind| match (k, next) {
        (TypoKind::Transpose, None) => 0.0,
        _ => typos.weights[k as usize],
    };
    let total: f64 = TypoKind::ALL.iter().map(|&k| weight(k)).sum();
    let one = |typed: Vec<u8>, errors, keys, probability| Keystroke {
        typed,
        errors,
        keys,
        probability,
    };
    if p == 0.0 || total <= 0.0 {
        // No error is possible on this key: it is typed as meant.
        return vec![one(vec![key], 0, 1, 1.0)];
    }
    let mut out = vec![one(vec![key], 0, 1, 1.0 - p)];
    let near = neighbours(key);
    for k in TypoKind::ALL {
        let q = p * weight(k) / total;
        if q <= 0.0 {
            continue;
        }
        let each = q / near.len().max(1) as f64;
        match k {
            TypoKind::Duplicate => out.push(one(vec![key, key], 1, 1, q)),
            TypoKind::Omit => out.push(one(Vec::new(), 1, 1, q)),
            TypoKind::Substitute => out.extend(near.iter().map(|&n| one(vec![n], 1, 1, each))),
            TypoKind::Insert => {
                for &n in near {
                    out.push(one(vec![key, n], 1, 1, each / 2.0));
                    out.push(one(vec![n, key], 1, 1, each / 2.0));
                }
            }
            TypoKind::Transpose => {
                let next = next.unwrap_or(key);
                out.push(one(vec![next, key], 1, 2, q));
            }
        }
    }
    out
}

struct Walk<'a> {
    typos: &'a NumberTypos,
    keys: &'a [u8],
    max_errors: u32,
    out: Vec<u8>,
    /// Per count: what it is, and the probability of the likeliest typing that names it.
    found: BTreeMap<u64, (TypedCount, f64)>,
}

impl Walk<'_> {
    fn go(&mut self, i: usize, errors: u32, probability: f64) {
        if i >= self.keys.len() {
            self.found_one(errors, probability);
            return;
        }
        let next = self.keys.get(i + 1).copied();
        for k in outcomes(self.typos, self.keys[i], next) {
            if errors + k.errors > self.max_errors || k.probability <= 0.0 {
                continue;
            }
            let len = self.out.len();
            self.out.extend(&k.typed);
            self.go(i + k.keys, errors + k.errors, probability * k.probability);
            self.out.truncate(len);
        }
    }

    fn found_one(&mut self, errors: u32, probability: f64) {
        let count = read_count(&self.out);
        let (entry, likeliest) = self.found.entry(count).or_insert((
            TypedCount {
                count,
                probability: 0.0,
                text: String::new(),
                errors,
            },
            -1.0,
        ));
        // The likeliest typing names the count; ties go to the first enumerated.
        if probability > *likeliest {
            *likeliest = probability;
            entry.text = String::from_utf8_lossy(&self.out).into_owned();
            entry.errors = errors;
        }
        entry.probability += probability;
    }
}

/// Probability of more than `max_errors` keystroke errors, from the distribution of the
/// number of errors (a transposition takes two keys and is one error).
fn more_errors(typos: &NumberTypos, keys: &[u8], max_errors: u32) -> f64 {
    let cap = max_errors as usize + 1;
    // at[i][e]: probability of having typed keys[..i] with e errors (e = cap: more).
    let mut at = vec![vec![0.0f64; cap + 1]; keys.len() + 2];
    at[0][0] = 1.0;
    for i in 0..keys.len() {
        let next = keys.get(i + 1).copied();
        for e in 0..=cap {
            let here = at[i][e];
            if here == 0.0 {
                continue;
            }
            for k in outcomes(typos, keys[i], next) {
                let to = (e + k.errors as usize).min(cap);
                at[i + k.keys][to] += here * k.probability;
            }
        }
    }
    at[keys.len()][cap]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(p: f64, weights: [f64; 5]) -> NumberTypos {
        NumberTypos {
            per_keystroke: p,
            weights,
        }
    }

    fn probability(counts: &[TypedCount], count: u64) -> f64 {
        counts
            .iter()
            .find(|c| c.count == count)
            .map_or(0.0, |c| c.probability)
    }

    #[test]
    fn a_two_digit_count_by_hand() {
        // "10", p = 0.1, all five kinds weighted 1. On "1" (next key "0"): each kind 0.02;
        // on "0" (last key: no transposition) each of four kinds 0.025.
        // neighbours: 1 → 2; 0 → 9.
        let (counts, left) = typed_counts(&model(0.1, [1.0; 5]), "10", 2);
        let ok1 = 0.9;
        let ok0 = 0.9;
        // "100": "1" right and "0" duplicated (an insertion beside "0" adds a 9, not a 0).
        assert!((probability(&counts, 100) - ok1 * 0.025).abs() < 1e-15);
        // "110": "1" duplicated, "0" right.
        assert!((probability(&counts, 110) - 0.02 * ok0).abs() < 1e-15);
        // 1: "0" omitted ("1"), or the two keys transposed ("01", one error taking both).
        assert!((probability(&counts, 1) - (ok1 * 0.025 + 0.02)).abs() < 1e-15);
        // 0: "1" omitted and then "0" right ("0"), omitted too (""), or duplicated ("00").
        let zero = 0.02 * (ok0 + 0.025 + 0.025);
        assert!((probability(&counts, 0) - zero).abs() < 1e-15);
        // The intended count: both keys right.
        assert!((probability(&counts, 10) - ok1 * ok0).abs() < 1e-15);
        // Two keys can make at most two errors: nothing is left out.
        assert_eq!(left, 0.0);
        let total: f64 = counts.iter().map(|c| c.probability).sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn what_is_enumerated_and_what_is_left_out_add_up_to_one() {
        for (intended, max) in [("10", 0), ("10", 1), ("250", 1), ("250", 2), ("1234", 2)] {
            let (counts, left) =
                typed_counts(&model(0.05, [3.0, 2.0, 1.0, 1.0, 0.5]), intended, max);
            let total: f64 = counts.iter().map(|c| c.probability).sum();
            assert!(
                (total + left - 1.0).abs() < 1e-12,
                "{intended} ≤{max}: {total} + {left}"
            );
            assert!(left >= 0.0);
        }
        // With no error allowed, what is left out is the chance of any error.
        let (_, left) = typed_counts(&model(0.05, [1.0; 5]), "250", 0);
        assert!((left - (1.0 - 0.95f64.powi(3))).abs() < 1e-15, "{left}");
    }

    #[test]
    fn the_enumeration_is_what_the_sampler_draws() {
        // "250", p = 0.2, uneven weights; every typing enumerated (3 keys, 3 errors). The
        // sampler's frequencies of the counts with probability ≥ 0.5 % against the exact
        // ones, the rest pooled: chi-square with fewer than 40 degrees of freedom, whose
        // 0.1 % critical value is below 73.4.
        use rand::SeedableRng;
        let typos = model(0.2, [3.0, 2.0, 1.0, 1.0, 0.5]);
        let (counts, left) = typed_counts(&typos, "250", 3);
        assert_eq!(left, 0.0);
        let big: Vec<&TypedCount> = counts.iter().filter(|c| c.probability >= 0.005).collect();
        assert!(big.len() < 40, "{}", big.len());
        let n = 200_000u64;
        let mut seen = vec![0u64; big.len() + 1];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(250);
        let mut out = Vec::new();
        for _ in 0..n {
            typos.type_digits(b"250", &mut rng, &mut out);
            let count = read_count(&out);
            let i = big
                .iter()
                .position(|c| c.count == count)
                .unwrap_or(big.len());
            seen[i] += 1;
        }
        let mut expected: Vec<f64> = big.iter().map(|c| c.probability).collect();
        expected.push(1.0 - expected.iter().sum::<f64>());
        let chi2: f64 = seen
            .iter()
            .zip(&expected)
            .map(|(&o, &p)| (o as f64 - p * n as f64).powi(2) / (p * n as f64))
            .sum();
        assert!(chi2 < 73.4, "chi-square {chi2}: {seen:?}");
    }
}
