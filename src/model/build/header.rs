//! `[scenario]` and `[operations]`: the horizon, the wall clock at the command, and the rate
//! of routine commands for `operate`.

use super::values::describe;
use super::{Checker, Result};
use crate::model::{Clock, Operations};
use crate::scenario::raw::{Loose, RawOperations, Spanned};
use crate::time::SimDuration;

/// Horizon when the scenario does not give one.
const DEFAULT_HORIZON: SimDuration = SimDuration::from_secs(7 * 86_400);

impl Checker<'_> {
    /// `scenario.horizon`: a duration above zero, by default a week.
    pub(super) fn horizon(&self, v: Option<&Loose>) -> Result<SimDuration> {
        Ok(match v {
            Some(v) => {
                let h = self.duration("scenario.horizon", v)?;
                if h == SimDuration::ZERO {
                    return Err(self.invalid(
                        v.span(),
                        "scenario.horizon",
                        "\"0s\"".into(),
                        "a duration longer than zero",
                    ));
                }
                h
            }
            None => DEFAULT_HORIZON,
        })
    }

    pub(super) fn operations(&self, o: &RawOperations) -> Result<Operations> {
        let rate = *o.commands_per_day.get_ref();
        if !(rate.is_finite() && (0.0..=10_000.0).contains(&rate)) {
            return Err(self.invalid(
                o.commands_per_day.span(),
                "operations.commands_per_day",
                format!("{rate}"),
                "a rate from 0 to 10000 commands a day",
            ));
        }
        let period = self.duration("operations.period", &o.period)?;
        if period == SimDuration::ZERO || period > SimDuration::from_secs(100 * 365 * 86_400) {
            return Err(self.invalid(
                o.period.span(),
                "operations.period",
                describe(o.period.get_ref()),
                "a period above zero and at most 100 years",
            ));
        }
        Ok(Operations {
            commands_per_day: rate,
            period,
        })
    }

    pub(super) fn clock(&self, v: Option<&Spanned<String>>) -> Result<Clock> {
        let Some(v) = v else {
            return Ok(Clock {
                seconds_of_day: 0,
                zone: String::new(),
            });
        };
        let text = v.get_ref().trim();
        let (time, zone) = text.split_once(' ').unwrap_or((text, ""));
        let parts: Vec<Option<u32>> = time.split(':').map(|p| p.parse().ok()).collect();
        let seconds = match parts.as_slice() {
            [Some(h), Some(m)] if *h < 24 && *m < 60 => Some(h * 3600 + m * 60),
            [Some(h), Some(m), Some(s)] if *h < 24 && *m < 60 && *s < 60 => {
                Some(h * 3600 + m * 60 + s)
            }
            _ => None,
        };
        seconds
            .map(|seconds_of_day| Clock {
                seconds_of_day,
                zone: zone.trim().to_string(),
            })
            .ok_or_else(|| {
                self.invalid(
                    v.span(),
                    "scenario.start_clock",
                    format!("{text:?}"),
                    "a time of day such as \"09:37 PST\" or \"09:37:30\"",
                )
            })
    }
}
