//! `--target "mean(s3-get) <= 1h"`: what a budget must achieve, and whether a variant's
//! results achieve it with confidence.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::report::{Interval, StrataReport};
use crate::scenario::units;

/// What a target is about.
#[derive(Clone, Debug, PartialEq)]
pub enum Quantity {
    /// `facing`: probability per command that a customer-facing service loses traffic.
    Facing,
    /// `p(NODE)`: probability per command that the node becomes unavailable.
    Unavailable(String),
    /// `mean(NODE)`: mean downtime of the node when it becomes unavailable.
    Mean(String),
    /// `expected(NODE)`: expected downtime of the node per command.
    Expected(String),
    /// `p50(NODE)`, `p90(NODE)`, `p99(NODE)`: a percentile (50, 90 or 99) of the node's
    /// downtime when it becomes unavailable.
    Percentile(u8, String),
    /// `mean(recovery)` (`None`) or `p50(recovery)`, `p90(recovery)`, `p99(recovery)`: the
    /// time until everything is back, when something lost traffic.
    Recovery(Option<u8>),
}

/// A bound on a quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// What is bounded.
    pub quantity: Quantity,
    /// `true` for `<=`, `false` for `>=`.
    pub at_most: bool,
    /// The bound: a probability, or seconds.
    pub bound: f64,
    /// As written.
    pub text: String,
}

/// Whether a variant meets a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Its whole 95 % interval is on the right side of the bound.
    Meets,
    /// Its whole interval is on the wrong side.
    Fails,
    /// The interval straddles the bound: more runs would tell.
    Undecided,
}

const FORMAT: &str = "QUANTITY <= BOUND or QUANTITY >= BOUND, QUANTITY one of facing, \
                      p(NODE), mean(NODE), p50(NODE), p90(NODE), p99(NODE), \
                      expected(NODE), or mean, p50, p90, p99 of (recovery): such as \"mean(s3-get) <= 1h\", \
                      \"p99(s3-get) <= 3h\", \"p(s3-get) <= 1e-6\", \"expected(index) <= 30s\"";

impl FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = |expected: &str| Error::InvalidOption {
            option: "--target",
            value: s.to_string(),
            expected: expected.to_string(),
        };
        let (lhs, at_most, rhs) = if let Some((l, r)) = s.split_once("<=") {
            (l, true, r)
        } else if let Some((l, r)) = s.split_once(">=") {
            (l, false, r)
        } else {
            return Err(invalid(FORMAT));
        };
        let lhs = lhs.trim();
        let node = |name: &str| {
            lhs.strip_prefix(name)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
        };
        let quantity = if lhs == "facing" {
            Quantity::Facing
        } else if lhs == "mean(recovery)" {
            Quantity::Recovery(None)
        } else if let Some(q) = [50u8, 90, 99]
            .into_iter()
            .find(|q| lhs == format!("p{q}(recovery)"))
        {
            Quantity::Recovery(Some(q))
        } else if let Some(n) = node("p") {
            Quantity::Unavailable(n)
        } else if let Some(n) = node("mean") {
            Quantity::Mean(n)
        } else if let Some(n) = node("expected") {
            Quantity::Expected(n)
        } else if let Some((q, n)) = [50u8, 90, 99]
            .into_iter()
            .find_map(|q| node(&format!("p{q}")).map(|n| (q, n)))
        {
            Quantity::Percentile(q, n)
        } else {
            return Err(invalid(FORMAT));
        };
        let rhs = rhs.trim();
        let bound = match quantity {
            Quantity::Facing | Quantity::Unavailable(_) => units::parse_percent(rhs)
                .or_else(|| rhs.parse::<f64>().ok())
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| invalid("a probability from 0 to 1 (1e-6, or 0.0001%)"))?,
            _ => units::parse_duration(rhs)
                .map(|d| d.as_secs_f64())
                .ok_or_else(|| invalid("a duration with units (30s, 1h, 4h 17m)"))?,
        };
        Ok(Target {
            quantity,
            at_most,
            bound,
            text: s.trim().to_string(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Target {
    /// The node it names, if any.
    pub fn node(&self) -> Option<&str> {
        match &self.quantity {
            Quantity::Facing | Quantity::Recovery(_) => None,
            Quantity::Unavailable(n)
            | Quantity::Mean(n)
            | Quantity::Expected(n)
            | Quantity::Percentile(_, n) => Some(n),
        }
    }

    /// The quantity in `r`, with its interval. A node that never becomes unavailable has a
    /// mean downtime of 0 when unavailable, for a target's purpose.
    pub fn value(&self, r: &StrataReport) -> Option<Interval> {
        let node = |n: &str| r.nodes.get(n);
        match &self.quantity {
            Quantity::Facing => Some(r.facing_outage_probability),
            Quantity::Unavailable(n) => node(n).map(|n| n.unavailable_probability),
            Quantity::Mean(n) => node(n).map(|n| {
                n.downtime_given_unavailable_s.unwrap_or(Interval {
                    estimate: 0.0,
                    ci95: [0.0, 0.0],
                })
            }),
            Quantity::Expected(n) => node(n).map(|n| n.expected_downtime_s),
            Quantity::Recovery(q) => {
                let zero = Interval {
                    estimate: 0.0,
                    ci95: [0.0, 0.0],
                };
                Some(match q {
                    None => r.recovery_given_outage_s.unwrap_or(zero),
                    Some(q) => r.recovery_given_outage_quantiles_s.map_or(zero, |qs| {
                        let p = match q {
                            50 => qs.p50,
                            90 => qs.p90,
                            _ => qs.p99,
                        };
                        Interval {
                            estimate: p.estimate,
                            ci95: [p.ci95[0].unwrap_or(0.0), p.ci95[1].unwrap_or(f64::INFINITY)],
                        }
                    }),
                })
            }
            Quantity::Percentile(q, n) => node(n).map(|n| {
                let Some(qs) = n.downtime_given_unavailable_quantiles_s else {
                    return Interval {
                        estimate: 0.0,
                        ci95: [0.0, 0.0],
                    };
                };
                let p = match q {
                    50 => qs.p50,
                    90 => qs.p90,
                    _ => qs.p99,
                };
                // An upper end that is unknown bounds nothing: infinity.
                Interval {
                    estimate: p.estimate,
                    ci95: [p.ci95[0].unwrap_or(0.0), p.ci95[1].unwrap_or(f64::INFINITY)],
                }
            }),
        }
    }

    /// Whether the quantity in `r` is only a lower bound: a downtime of a node that was
    /// still down when runs stopped at the horizon.
    pub fn lower_bound(&self, r: &StrataReport) -> bool {
        match &self.quantity {
            Quantity::Recovery(_) => r.not_back_at_horizon_probability.is_some(),
            Quantity::Mean(n) | Quantity::Expected(n) | Quantity::Percentile(_, n) => r
                .nodes
                .get(n)
                .is_some_and(|n| n.still_down_at_horizon_probability.is_some()),
            _ => false,
        }
    }

    /// Whether `i` meets the target with 95 % confidence, fails it, or cannot tell. When
    /// `i` is only a lower bound of the truth, an upper target cannot be met (the truth
    /// may be above it) though it can fail, and a lower target is met as soon as the bound
    /// is.
    pub fn verdict(&self, i: &Interval, lower_bound: bool) -> Verdict {
        let [lo, hi] = i.ci95;
        let (good, bad) = if self.at_most {
            (hi <= self.bound && !lower_bound, lo > self.bound)
        } else {
            (lo >= self.bound, hi < self.bound && !lower_bound)
        };
        match (good, bad) {
            (true, _) => Verdict::Meets,
            (_, true) => Verdict::Fails,
            _ => Verdict::Undecided,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_as_written() {
        let t: Target = "mean(s3-get) <= 1h".parse().unwrap();
        assert_eq!(t.quantity, Quantity::Mean("s3-get".into()));
        assert!(t.at_most);
        assert_eq!(t.bound, 3600.0);
        let t: Target = "p(index)>=0.01%".parse().unwrap();
        assert_eq!(
            (t.quantity, t.at_most, t.bound),
            (Quantity::Unavailable("index".into()), false, 1e-4)
        );
        let t: Target = "facing <= 1e-6".parse().unwrap();
        assert_eq!((t.quantity, t.bound), (Quantity::Facing, 1e-6));
        let t: Target = "p99(s3-get) <= 3h".parse().unwrap();
        assert_eq!(
            (t.quantity, t.bound),
            (Quantity::Percentile(99, "s3-get".into()), 10800.0)
        );
        for bad in [
            "p95(x) <= 1h",
            "mean(x) < 1h",
            "median(x) <= 1h",
            "p() <= 0.1",
            "p(x) <= 2",
            "mean(x) <= 1",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_verdict_needs_the_whole_interval() {
        let t: Target = "mean(x) <= 100s".parse().unwrap();
        let i = |lo, hi| Interval {
            estimate: (lo + hi) / 2.0,
            ci95: [lo, hi],
        };
        assert_eq!(t.verdict(&i(80.0, 99.0), false), Verdict::Meets);
        assert_eq!(t.verdict(&i(90.0, 110.0), false), Verdict::Undecided);
        assert_eq!(t.verdict(&i(101.0, 120.0), false), Verdict::Fails);
        // Censored: a lower bound below the target says nothing; above it, it fails.
        assert_eq!(t.verdict(&i(80.0, 99.0), true), Verdict::Undecided);
        assert_eq!(t.verdict(&i(101.0, 120.0), true), Verdict::Fails);
        let at_least: Target = "mean(x) >= 100s".parse().unwrap();
        assert_eq!(at_least.verdict(&i(101.0, 120.0), true), Verdict::Meets);
        assert_eq!(at_least.verdict(&i(80.0, 99.0), true), Verdict::Undecided);
    }
}
