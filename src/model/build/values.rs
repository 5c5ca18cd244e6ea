//! Checks of one value each: counts, probabilities, weights, numbers of servers, and strings
//! with units (durations, sizes, rates, percentages). Each error names the key, says what was
//! found and what is allowed, and points at where the value is written.

use std::ops::Range;

use toml::Value;

use super::{Checker, Result};
use crate::scenario::raw::{Loose, Spanned};
use crate::scenario::units::{self, DURATION_FORMAT};
use crate::scenario::{ScenarioError, ScenarioErrorKind};
use crate::time::SimDuration;

/// A value as an error message quotes it.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Integer(i) => format!("the number {i}"),
        // As written: 5.0 is not the whole number 5.
        Value::Float(f) => format!("the number {f:?}"),
        Value::Boolean(b) => format!("{b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(_) => "an array".into(),
        Value::Table(_) => "a table".into(),
    }
}

impl Checker<'_> {
    pub(super) fn error(&self, span: Range<usize>, kind: ScenarioErrorKind) -> ScenarioError {
        ScenarioError::at(self.origin, self.text, span.start, kind)
    }

    pub(super) fn invalid(
        &self,
        span: Range<usize>,
        key: &str,
        found: String,
        expected: impl Into<String>,
    ) -> ScenarioError {
        self.error(
            span,
            ScenarioErrorKind::InvalidValue {
                key: key.to_string(),
                found,
                expected: expected.into(),
            },
        )
    }

    /// A string value parsed by `parse`, or an error saying what `format` is allowed.
    pub(super) fn with_units<T>(
        &self,
        key: &str,
        v: &Loose,
        format: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T> {
        match v.get_ref() {
            Value::String(s) => parse(s),
            _ => None,
        }
        .ok_or_else(|| self.invalid(v.span(), key, describe(v.get_ref()), format))
    }

    pub(super) fn duration(&self, key: &str, v: &Loose) -> Result<SimDuration> {
        self.with_units(key, v, DURATION_FORMAT, units::parse_duration)
    }

    pub(super) fn count(&self, key: &str, v: &Spanned<i64>, min: i64, max: i64) -> Result<u64> {
        let n = *v.get_ref();
        if n < min || n > max {
            return Err(self.invalid(
                v.span(),
                key,
                format!("{n}"),
                format!("a whole number from {min} to {max}"),
            ));
        }
        Ok(n as u64)
    }

    pub(super) fn probability(&self, key: &str, v: &Spanned<f64>) -> Result<f64> {
        let p = *v.get_ref();
        if !(0.0..=1.0).contains(&p) {
            return Err(self.invalid(v.span(), key, format!("{p}"), "a probability from 0 to 1"));
        }
        Ok(p)
    }

    pub(super) fn weight(&self, key: &str, v: &Spanned<f64>) -> Result<f64> {
        let w = *v.get_ref();
        if !(w.is_finite() && w >= 0.0) {
            return Err(self.invalid(
                v.span(),
                key,
                format!("{w}"),
                "a finite weight of 0 or more",
            ));
        }
        Ok(w)
    }

    /// A number of servers (`850`) or a share of `total` (`"85%"`, rounded up).
    pub(super) fn servers(&self, key: &str, v: &Loose, total: u64, min: u64) -> Result<u64> {
        let expected = || {
            format!("a number of servers from {min} to {total}, or a percentage such as \"85%\"")
        };
        let (n, found) = match v.get_ref() {
            Value::Integer(i) => (u64::try_from(*i).ok(), format!("{i} servers")),
            Value::String(s) => {
                // Exact: a share of the fleet, rounded up, in whole numbers.
                let n = units::parse_percent_exact(s)
                    .filter(|(num, den)| num <= den)
                    .map(|(num, den)| (u128::from(total) * num).div_ceil(den) as u64);
                let found = n.map_or(format!("{s:?}"), |n| format!("{s:?} ({n} servers)"));
                (n, found)
            }
            other => (None, describe(other)),
        };
        match (n, v.get_ref()) {
            (Some(n), _) if (min..=total).contains(&n) => Ok(n),
            (None, Value::String(s)) if s.trim().parse::<u64>().is_ok() => {
                let name = key.rsplit('.').next().unwrap_or(key);
                let expected = format!(
                    "{}; a number of servers is written without quotes: `{name} = {}`",
                    expected(),
                    s.trim()
                );
                Err(self.invalid(v.span(), key, found, expected))
            }
            _ => Err(self.invalid(v.span(), key, found, expected())),
        }
    }
}
