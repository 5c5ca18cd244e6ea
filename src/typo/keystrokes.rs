//! Keystroke errors in the typed number: which kinds, how likely, and what they type.

use rand::Rng;

/// The kinds of keystroke error, in the order used for weights and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypoKind {
    /// The key is struck twice: `10` → `100` (the classic "out by ten").
    Duplicate,
    /// The key is missed: `10` → `1`.
    Omit,
    /// A neighbouring key on the number row is struck instead: `10` → `19`.
    Substitute,
    /// A neighbouring key is struck as well, before or after: `10` → `190`.
    Insert,
    /// This key and the next are swapped: `12` → `21`.
    Transpose,
}

impl TypoKind {
    /// Every kind, in weight order.
    pub const ALL: [TypoKind; 5] = [
        TypoKind::Duplicate,
        TypoKind::Omit,
        TypoKind::Substitute,
        TypoKind::Insert,
        TypoKind::Transpose,
    ];

    /// The key that names this kind in a scenario file.
    pub fn key(self) -> &'static str {
        match self {
            TypoKind::Duplicate => "duplicate",
            TypoKind::Omit => "omit",
            TypoKind::Substitute => "substitute",
            TypoKind::Insert => "insert",
            TypoKind::Transpose => "transpose",
        }
    }
}

/// The digits beside each digit on a keyboard's number row `1234567890`, indexed by digit.
const NEIGHBOURS: [&[u8]; 10] = [
    b"9", b"2", b"13", b"24", b"35", b"46", b"57", b"68", b"79", b"80",
];

/// The digits beside `digit` on a keyboard's number row (`1` and `0` have one each).
pub fn neighbours(digit: u8) -> &'static [u8] {
    match digit {
        b'0'..=b'9' => NEIGHBOURS[usize::from(digit - b'0')],
        _ => &[],
    }
}

/// How the count is mistyped: each keystroke independently goes wrong with probability
/// `per_keystroke`, and then in one of the [`TypoKind`]s with the given relative weights.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberTypos {
    /// Probability that one keystroke goes wrong.
    pub per_keystroke: f64,
    /// Relative weight of each kind, indexed like [`TypoKind::ALL`].
    pub weights: [f64; 5],
}

impl NumberTypos {
    /// Never mistyped.
    pub const NONE: NumberTypos = NumberTypos {
        per_keystroke: 0.0,
        weights: [1.0; 5],
    };

    /// Types `intended` (ASCII digits) into `out`, drawing errors from `rng`.
    pub fn type_digits<R: Rng + ?Sized>(&self, intended: &[u8], rng: &mut R, out: &mut Vec<u8>) {
        out.clear();
        let mut i = 0;
        while i < intended.len() {
            let key = intended[i];
            let next = intended.get(i + 1).copied();
            i += 1;
            if self.per_keystroke <= 0.0 || rng.random::<f64>() >= self.per_keystroke {
                out.push(key);
                continue;
            }
            match self.pick_kind(next.is_some(), rng) {
                None => out.push(key),
                Some(TypoKind::Duplicate) => out.extend([key, key]),
                Some(TypoKind::Omit) => {}
                Some(TypoKind::Substitute) => out.push(pick(neighbours(key), key, rng)),
                Some(TypoKind::Insert) => {
                    let extra = pick(neighbours(key), key, rng);
                    if rng.random::<bool>() {
                        out.extend([key, extra]);
                    } else {
                        out.extend([extra, key]);
                    }
                }
                Some(TypoKind::Transpose) => {
                    out.extend([next.unwrap_or(key), key]);
                    i += 1;
                }
            }
        }
    }

    /// Draws a kind by weight among those possible on this key (transposition needs a
    /// following keystroke); `None` if none with a weight is, and then the key is typed
    /// correctly. A kind of weight 0 is never drawn.
    fn pick_kind<R: Rng + ?Sized>(&self, has_next: bool, rng: &mut R) -> Option<TypoKind> {
        let weight = |k: usize| {
            if has_next || TypoKind::ALL[k] != TypoKind::Transpose {
                self.weights[k]
            } else {
                0.0
            }
        };
        pick_weighted((0..5).map(weight), rng).map(|k| TypoKind::ALL[k])
    }
}

/// Draws an index with probability proportional to its weight (finite, ≥ 0, with a finite
/// sum: the model's builder scales weights that would overflow). `None` if all are zero;
/// never an index of weight zero, even where rounding leaves the draw at the top edge.
pub fn pick_weighted<R: Rng + ?Sized>(
    weights: impl Iterator<Item = f64> + Clone,
    rng: &mut R,
) -> Option<usize> {
    let total: f64 = weights.clone().sum();
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let mut x = rng.random::<f64>() * total;
    let mut last = None;
    for (i, w) in weights.enumerate().filter(|&(_, w)| w > 0.0) {
        if x < w {
            return Some(i);
        }
        x -= w;
        last = Some(i);
    }
    last
}

fn pick<R: Rng + ?Sized>(choices: &[u8], fallback: u8, rng: &mut R) -> u8 {
    match choices.len() {
        0 => fallback,
        n => choices[rng.random_range(0..n)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn only(kind: TypoKind) -> NumberTypos {
        let mut weights = [0.0; 5];
        weights[kind as usize] = 1.0;
        NumberTypos {
            per_keystroke: 1.0,
            weights,
        }
    }

    fn typed(model: &NumberTypos, intended: &str, seed: u64) -> String {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        model.type_digits(intended.as_bytes(), &mut rng, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_kind_does_what_it_says() {
        assert_eq!(typed(&only(TypoKind::Duplicate), "10", 1), "1100");
        assert_eq!(typed(&only(TypoKind::Omit), "10", 1), "");
        // transposition swaps pairs; a lone last key cannot transpose, and with no other
        // kind of weight above zero it is typed correctly
        assert_eq!(typed(&only(TypoKind::Transpose), "12", 1), "21");
        assert_eq!(typed(&only(TypoKind::Transpose), "123", 1), "213");
        assert_eq!(typed(&only(TypoKind::Transpose), "5", 1), "5");
        for seed in 0..50 {
            let s = typed(&only(TypoKind::Substitute), "5", seed);
            assert!(s == "4" || s == "6", "{s}");
            let s = typed(&only(TypoKind::Insert), "0", seed);
            assert!(s == "09" || s == "90", "{s}");
        }
    }

    #[test]
    fn no_typos_when_probability_is_zero() {
        let model = NumberTypos {
            per_keystroke: 0.0,
            weights: [1.0; 5],
        };
        for seed in 0..100 {
            assert_eq!(typed(&model, "1234", seed), "1234");
        }
    }

    #[test]
    fn neighbours_on_the_number_row() {
        assert_eq!(neighbours(b'1'), b"2");
        assert_eq!(neighbours(b'0'), b"9");
        assert_eq!(neighbours(b'5'), b"46");
        assert_eq!(neighbours(b'9'), b"80");
        for d in b'0'..=b'9' {
            assert!(
                !neighbours(d).contains(&d),
                "a key is not its own neighbour"
            );
        }
    }

    #[test]
    fn substitute_never_yields_the_same_key_twice_in_a_row_for_edges() {
        // '1' has a single neighbour, so substitution is deterministic
        assert_eq!(typed(&only(TypoKind::Substitute), "1", 3), "2");
    }

    /// Pearson's chi-square statistic of observed counts against expected probabilities.
    #[test]
    fn a_kind_of_weight_zero_is_never_drawn() {
        // Only transposition, count "10", half the keystrokes wrong: the first key swaps
        // with the second ("01") or is typed right, and then the last key, which cannot
        // transpose, is typed right too ("10"). Never "100", "1" or anything else.
        let model = NumberTypos {
            per_keystroke: 0.5,
            weights: only(TypoKind::Transpose).weights,
        };
        let mut seen = std::collections::BTreeMap::new();
        for seed in 0..4000 {
            *seen.entry(typed(&model, "10", seed)).or_insert(0u64) += 1;
        }
        assert_eq!(seen.keys().collect::<Vec<_>>(), ["01", "10"], "{seen:?}");
        // Each half the time: 2000 ± 4 sd (sd = 31.6).
        assert!(seen["01"].abs_diff(2000) < 127, "{seen:?}");
    }

    /// A generator whose every draw is the largest possible: `random::<f64>()` is then
    /// 1 − 2⁻⁵³, the top edge where rounding can leave a weighted draw past the last weight.
    struct Top;

    impl rand::RngCore for Top {
        fn next_u32(&mut self) -> u32 {
            u32::MAX
        }
        fn next_u64(&mut self) -> u64 {
            u64::MAX
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.fill(0xff);
        }
    }

    #[test]
    fn weighted_draw_at_the_top_edge_takes_the_last_weight_above_zero() {
        for weights in [
            vec![1.0, 1.0, 1.0, 0.0],
            vec![0.1, 0.2, 0.0, 0.0, 0.0],
            vec![1e-300, 0.0],
            vec![3.0, 1e-17, 0.0],
        ] {
            let i = pick_weighted(weights.iter().copied(), &mut Top).unwrap();
            assert!(weights[i] > 0.0, "{weights:?} drew {i}");
        }
        assert_eq!(pick_weighted([0.0, 0.0].into_iter(), &mut Top), None);
    }

    fn chi_square(observed: &[u64], expected: &[f64]) -> f64 {
        let n: u64 = observed.iter().sum();
        observed
            .iter()
            .zip(expected)
            .map(|(&o, &p)| {
                let e = p * n as f64;
                (o as f64 - e).powi(2) / e
            })
            .sum()
    }

    #[test]
    fn keystroke_errors_follow_their_specified_probabilities() {
        // One keystroke ("5"), error probability 0.3, kinds weighted 3:2:3:1 (transposition
        // needs a next key, so it cannot happen here). Classes: no error, and each kind,
        // told apart by what was typed. 4 degrees of freedom: the 0.1 % critical value is
        // 18.47, so a correct generator fails this once in a thousand seeds.
        let model = NumberTypos {
            per_keystroke: 0.3,
            weights: [3.0, 2.0, 3.0, 1.0, 5.0],
        };
        let mut rng = ChaCha8Rng::seed_from_u64(2017);
        let mut counts = [0u64; 5];
        let mut out = Vec::new();
        for _ in 0..200_000 {
            model.type_digits(b"5", &mut rng, &mut out);
            let class = match out.as_slice() {
                b"5" => 0,
                b"55" => 1,
                b"" => 2,
                b"4" | b"6" => 3,
                b"45" | b"54" | b"56" | b"65" => 4,
                other => panic!("impossible typing {other:?}"),
            };
            counts[class] += 1;
        }
        let p = 0.3 / 9.0;
        let expected = [0.7, 3.0 * p, 2.0 * p, 3.0 * p, p];
        let chi2 = chi_square(&counts, &expected);
        assert!(chi2 < 18.47, "chi-square {chi2} for {counts:?}");
    }

    #[test]
    fn kinds_of_weight_zero_leave_the_others_in_proportion() {
        // "5", error probability 0.3, duplicate 1, substitute 2, omit and insert 0, and a
        // transposition of weight 5 that one key cannot make: an error is a duplicate one
        // time in three and a substitution two in three; an omission or insertion never.
        // 2 degrees of freedom: the 0.1 % critical value is 13.82.
        let model = NumberTypos {
            per_keystroke: 0.3,
            weights: [1.0, 0.0, 2.0, 0.0, 5.0],
        };
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let mut counts = [0u64; 3];
        let mut out = Vec::new();
        for _ in 0..100_000 {
            model.type_digits(b"5", &mut rng, &mut out);
            let class = match out.as_slice() {
                b"5" => 0,
                b"55" => 1,
                b"4" | b"6" => 2,
                other => panic!("a kind of weight zero was drawn: typed {other:?}"),
            };
            counts[class] += 1;
        }
        let chi2 = chi_square(&counts, &[0.7, 0.1, 0.2]);
        assert!(chi2 < 13.82, "chi-square {chi2} for {counts:?}");
    }

    #[test]
    fn transposition_and_two_key_counts_follow_their_probabilities() {
        // "12" with only transposition and duplication (1:1), error probability 0.2.
        // The first key errs with 0.2: half swap ("21", consuming the second key), half
        // double it ("11" then the second key, itself erring with 0.2 by duplication only,
        // as it has no next key). Classes: 12, 21, 112, 1122, 122.
        let mut weights = [0.0; 5];
        weights[TypoKind::Duplicate as usize] = 1.0;
        weights[TypoKind::Transpose as usize] = 1.0;
        let model = NumberTypos {
            per_keystroke: 0.2,
            weights,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(41);
        let mut counts = [0u64; 5];
        let mut out = Vec::new();
        for _ in 0..200_000 {
            model.type_digits(b"12", &mut rng, &mut out);
            let class = match out.as_slice() {
                b"12" => 0,
                b"21" => 1,
                b"112" => 2,
                b"1122" => 3,
                b"122" => 4,
                other => panic!("impossible typing {other:?}"),
            };
            counts[class] += 1;
        }
        let expected = [0.8 * 0.8, 0.1, 0.1 * 0.8, 0.1 * 0.2, 0.8 * 0.2];
        let chi2 = chi_square(&counts, &expected);
        assert!(chi2 < 18.47, "chi-square {chi2} for {counts:?}");
    }
}
