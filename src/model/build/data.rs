//! `[subsystems.X.data]` (what a destructive removal loses) and durations that may be
//! written either as a string or as a distribution.

use toml::Value;

use super::{values::describe, Checker, Result};
use crate::model::{Data, Delay};
use crate::scenario::raw::{RawData, RawDuration, Spanned};
use crate::scenario::units::{self, DURATION_FORMAT};

impl Checker<'_> {
    /// A subsystem's `data` table.
    pub(super) fn data(&self, key: &str, d: &RawData) -> Result<Data> {
        let k = format!("{key}.backup_every");
        let backup_every = self.any_duration(&k, &d.backup_every)?;
        if backup_every.mean_secs() <= 0.0 {
            return Err(self.invalid(
                d.backup_every.span(),
                &k,
                format!("an interval of {backup_every}"),
                "a time between backups above zero",
            ));
        }
        let restore = match &d.restore {
            Some(r) => Some(self.any_duration(&format!("{key}.restore"), r)?),
            None => None,
        };
        Ok(Data {
            backup_every,
            restore,
        })
    }

    /// A duration as a string (`"1h"`, always that) or a distribution table.
    fn any_duration(&self, key: &str, v: &Spanned<RawDuration>) -> Result<Delay> {
        match v.get_ref() {
            RawDuration::Fixed(value) => {
                let parsed = match value {
                    Value::String(s) => units::parse_duration(s),
                    _ => None,
                };
                let expected = format!(
                    "{DURATION_FORMAT}, or a distribution such as \
                     {{ dist = \"uniform\", min = \"50m\", max = \"70m\" }}"
                );
                parsed
                    .map(Delay::constant)
                    .ok_or_else(|| self.invalid(v.span(), key, describe(value), expected))
            }
            RawDuration::Dist(dist) => self.delay_at(key, dist, v.span()),
        }
    }
}
