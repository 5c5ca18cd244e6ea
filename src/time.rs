//! Simulated time: a point in time ([`SimTime`]) and a length of time ([`SimDuration`]),
//! both whole milliseconds so that event ordering never depends on floating point.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A length of simulated time in whole milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

/// A point in simulated time: milliseconds since the operator's command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms)
    }

    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1000)
    }

    /// Rounds a non-negative number of seconds to the nearest millisecond, saturating at the
    /// largest representable duration. Negative and NaN inputs give zero.
    pub fn from_secs_f64(s: f64) -> Self {
        let ms = (s * 1000.0).round();
        if ms.is_nan() || ms <= 0.0 {
            SimDuration(0)
        } else if ms >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            SimDuration(ms as u64)
        }
    }

    /// Whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds, for reporting.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// `self × num / den`, rounded down, without intermediate overflow.
    pub fn mul_div(self, num: u64, den: u64) -> SimDuration {
        debug_assert!(den > 0);
        SimDuration((u128::from(self.0) * u128::from(num) / u128::from(den.max(1))) as u64)
    }

    /// Sum that saturates instead of wrapping.
    pub fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl SimTime {
    /// The moment the command runs.
    pub const ZERO: SimTime = SimTime(0);

    /// The point `ms` milliseconds after the command.
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    /// Milliseconds since the command.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The length of time from the command to this point.
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }

    /// The length of time from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        self.saturating_add(d)
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        *self = self.saturating_add(d);
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

/// Formats as `4h 17m`, `2h 49m 30s`, `90s` or `250ms`: the same units the scenario format reads.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms < 1000 {
            return write!(f, "{ms}ms");
        }
        let total_s = ms / 1000;
        let (d, h, m, s) = (
            total_s / 86_400,
            total_s / 3600 % 24,
            total_s / 60 % 60,
            total_s % 60,
        );
        let mut parts = Vec::with_capacity(4);
        if d > 0 {
            parts.push(format!("{d}d"));
        }
        if h > 0 {
            parts.push(format!("{h}h"));
        }
        if m > 0 {
            parts.push(format!("{m}m"));
        }
        if s > 0 || parts.is_empty() {
            parts.push(format!("{s}s"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// Formats as the offset since the command, `+3:41:00`.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0 / 1000;
        write!(f, "+{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_display_uses_scenario_units() {
        assert_eq!(
            SimDuration::from_secs(4 * 3600 + 17 * 60).to_string(),
            "4h 17m"
        );
        assert_eq!(SimDuration::from_secs(90).to_string(), "1m 30s");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(86_400 + 1).to_string(), "1d 1s");
    }

    #[test]
    fn mul_div_does_not_overflow() {
        let d = SimDuration::from_millis(u64::MAX / 2);
        assert_eq!(d.mul_div(4, 4), d);
    }

    #[test]
    fn time_arithmetic_saturates() {
        assert_eq!(
            SimTime::from_millis(5).since(SimTime::from_millis(9)),
            SimDuration::ZERO
        );
        assert_eq!(
            SimTime::from_millis(u64::MAX) + SimDuration::from_millis(1),
            SimTime::from_millis(u64::MAX)
        );
    }
}
