//! Distribution tables (`{ dist = "lognormal", median = "2m", sigma = 0.5 }`): the keys each
//! kind of distribution takes, each parameter checked, and the [`Delay`] they make.

use std::ops::Range;

use super::values::describe;
use super::{Checker, Result};
use crate::model::Delay;
use crate::scenario::raw::{RawDist, Spanned};
use crate::time::SimDuration;

impl Checker<'_> {
    pub(super) fn delay(&self, key: &str, d: &Spanned<RawDist>) -> Result<Delay> {
        self.delay_at(key, d.get_ref(), d.span())
    }

    /// A distribution table written at `span`.
    pub(super) fn delay_at(&self, key: &str, raw: &RawDist, span: Range<usize>) -> Result<Delay> {
        let kind = raw.dist.get_ref().as_str();
        let required: &[&str] = match kind {
            "constant" => &["value"],
            "uniform" => &["min", "max"],
            "exponential" => &["mean"],
            "lognormal" => &["median", "sigma"],
            _ => {
                return Err(self.invalid(
                    raw.dist.span(),
                    &format!("{key}.dist"),
                    format!("{kind:?}"),
                    "one of \"constant\", \"uniform\", \"exponential\", \"lognormal\"",
                ))
            }
        };
        let given = [
            ("value", raw.value.as_ref().map(|v| v.span())),
            ("min", raw.min.as_ref().map(|v| v.span())),
            ("max", raw.max.as_ref().map(|v| v.span())),
            ("mean", raw.mean.as_ref().map(|v| v.span())),
            ("median", raw.median.as_ref().map(|v| v.span())),
            ("sigma", raw.sigma.as_ref().map(|v| v.span())),
        ];
        let expected = format!(
            "a \"{kind}\" distribution to have exactly the keys dist, {}",
            required.join(", ")
        );
        for (field, at) in given {
            match at {
                Some(at) if !required.contains(&field) => {
                    let found = format!("set, but a \"{kind}\" distribution does not use it");
                    return Err(self.invalid(at, &format!("{key}.{field}"), found, expected));
                }
                None if required.contains(&field) => {
                    return Err(self.invalid(
                        span.clone(),
                        &format!("{key}.{field}"),
                        "missing".into(),
                        expected,
                    ))
                }
                _ => {}
            }
        }
        let k = |field: &str| format!("{key}.{field}");
        let built = match (
            kind,
            &raw.value,
            &raw.min,
            &raw.max,
            &raw.mean,
            &raw.median,
            &raw.sigma,
        ) {
            ("constant", Some(value), ..) => {
                Some(Delay::constant(self.duration(&k("value"), value)?))
            }
            ("uniform", _, Some(min), Some(max), ..) => {
                let lo = self.duration(&k("min"), min)?;
                let hi = self.duration(&k("max"), max)?;
                if hi < lo {
                    return Err(self.invalid(
                        max.span(),
                        &k("max"),
                        describe(max.get_ref()),
                        format!("at least min ({lo})"),
                    ));
                }
                Delay::uniform(lo, hi)
            }
            ("exponential", _, _, _, Some(mean), ..) => {
                Delay::exponential(self.duration(&k("mean"), mean)?)
            }
            ("lognormal", .., Some(median), Some(sigma)) => {
                let m = self.duration(&k("median"), median)?;
                if m == SimDuration::ZERO {
                    return Err(self.invalid(
                        median.span(),
                        &k("median"),
                        describe(median.get_ref()),
                        "a duration above zero",
                    ));
                }
                let s = *sigma.get_ref();
                if !(s.is_finite() && (0.0..=20.0).contains(&s)) {
                    return Err(self.invalid(
                        sigma.span(),
                        &k("sigma"),
                        format!("{s}"),
                        "a number from 0 to 20",
                    ));
                }
                Delay::lognormal(m, s)
            }
            _ => None,
        };
        // Presence and every parameter were checked above, so this is always `Some`.
        built.ok_or_else(|| {
            self.invalid(
                span.clone(),
                key,
                format!("a {kind} distribution"),
                "parameters it can be sampled with",
            )
        })
    }
}
