//! `--vary KEY=FROM..TO:STEP`: the values a sweep or a budget tries for one scenario
//! value, in steps (`20..240:20`) or by a factor (`20..240:x2`), with a unit kept as
//! written (`0y..6y:1y`, `"10 GB/s".."40 GB/s":x2`).

use std::str::FromStr;

use crate::error::Error;
use crate::scenario::Set;

/// Most values one `--vary` may give.
pub const MAX_VALUES: usize = 200;

/// One varied value: its path and the values tried, in order, as TOML text.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// The dotted path, as for `--set`.
    pub key: String,
    /// The values, ascending, as `--set` values.
    pub values: Vec<String>,
    /// The values as numbers (without their unit), for reports.
    pub numbers: Vec<f64>,
}

impl Vary {
    /// The `--set` for value `i`.
    pub fn set(&self, i: usize) -> Set {
        Set {
            path: self.key.split('.').map(str::to_string).collect(),
            value: self.values[i].clone(),
        }
    }
}

/// A number and the unit written after it (`"6y"` → 6, `"y"`; `"29.9 GB/s"` → 29.9, `" GB/s"`).
fn split_unit(s: &str) -> Option<(f64, &str)> {
    let s = s.trim().trim_matches('"');
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(s.len(), |(i, _)| i);
    let number: f64 = s[..end].parse().ok()?;
    number.is_finite().then_some((number, &s[end..]))
}

/// A number as short as it can be written without losing what the steps made of it.
fn show(x: f64) -> String {
    let rounded = (x * 1e9).round() / 1e9;
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

impl FromStr for Vary {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = |expected: &str| Error::InvalidOption {
            option: "--vary",
            value: s.to_string(),
            expected: expected.to_string(),
        };
        let format = "KEY=FROM..TO:STEP or KEY=FROM..TO:xFACTOR, such as \
                      subsystems.index.restart.parallelism=20..240:20";
        let (key, range) = s.split_once('=').ok_or_else(|| invalid(format))?;
        let (span, step) = range.rsplit_once(':').ok_or_else(|| invalid(format))?;
        let (from, to) = span.split_once("..").ok_or_else(|| invalid(format))?;
        let (Some((from, unit)), Some((to, to_unit))) = (split_unit(from), split_unit(to)) else {
            return Err(invalid(
                "FROM and TO numbers, with the same unit if any (0y..6y)",
            ));
        };
        if !to_unit.is_empty() && to_unit != unit {
            return Err(invalid("FROM and TO in the same unit"));
        }
        if to < from {
            return Err(invalid("a range from a smaller value to a larger one"));
        }
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(invalid("a dotted path of keys before the ="));
        }
        let step = step.trim();
        let mut numbers = Vec::new();
        if let Some(factor) = step.strip_prefix('x') {
            let factor: f64 = factor
                .parse()
                .map_err(|_| invalid("a factor above 1 after x"))?;
            if !(factor > 1.0 && factor.is_finite()) || from <= 0.0 {
                return Err(invalid("a factor above 1 and a range above 0 (20..240:x2)"));
            }
            let mut v = from;
            while v <= to * (1.0 + 1e-9) && numbers.len() <= MAX_VALUES {
                numbers.push(v);
                v *= factor;
            }
        } else {
            let Some((step, step_unit)) = split_unit(step) else {
                return Err(invalid("a step above 0, in the range's unit"));
            };
            if step.is_nan() || step <= 0.0 || (!step_unit.is_empty() && step_unit != unit) {
                return Err(invalid("a step above 0, in the range's unit"));
            }
            let mut k = 0.0;
            while from + k * step <= to + step * 1e-9 && numbers.len() <= MAX_VALUES {
                numbers.push(from + k * step);
                k += 1.0;
            }
        }
        if numbers.len() > MAX_VALUES {
            return Err(invalid(&format!(
                "at most {MAX_VALUES} values: a larger step"
            )));
        }
        let values = numbers
            .iter()
            .map(|&n| {
                if unit.is_empty() {
                    show(n)
                } else {
                    format!("\"{}{unit}\"", show(n))
                }
            })
            .collect();
        Ok(Vary {
            key: key.to_string(),
            values,
            numbers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(s: &str) -> Vary {
        s.parse().unwrap()
    }

    #[test]
    fn steps_factors_and_units() {
        assert_eq!(
            vary("a.b=20..100:20").values,
            ["20", "40", "60", "80", "100"]
        );
        assert_eq!(vary("a.b=20..240:x2").values, ["20", "40", "80", "160"]);
        assert_eq!(
            vary("a.b=0y..3y:1y").values,
            ["\"0y\"", "\"1y\"", "\"2y\"", "\"3y\""]
        );
        assert_eq!(vary("a.b=0.1..0.3:0.1").values, ["0.1", "0.2", "0.3"]);
        assert_eq!(
            vary("a.b=10 GB/s..40 GB/s:x2").values,
            ["\"10 GB/s\"", "\"20 GB/s\"", "\"40 GB/s\""]
        );
        assert_eq!(vary("a.b=5..5:1").values, ["5"]);
    }

    #[test]
    fn bad_ranges_say_what_is_allowed() {
        for (bad, says) in [
            ("a.b=10..1:1", "from a smaller value to a larger one"),
            ("a.b=1..10:0", "a step above 0"),
            ("a.b=1..10:-1", "a step above 0"),
            ("a.b=1..10:x1", "a factor above 1"),
            ("a.b=0..10:x2", "a range above 0"),
            ("a.b=1y..10m:1y", "the same unit"),
            ("a.b=1..10", "KEY=FROM..TO:STEP"),
            ("a.b=..10:1", "FROM and TO numbers"),
            ("=1..2:1", "a dotted path"),
            ("a.b=1..1000:1", "at most 200 values"),
        ] {
            let e = bad.parse::<Vary>().unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
