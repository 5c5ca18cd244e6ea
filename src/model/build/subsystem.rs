//! `[subsystems.X]`: a fleet's servers, its minimum and the share it serves again at, its
//! cells, its restart (parallelism, boot time, when it may begin, failed boots, a safe pace),
//! its data and the validation of its metadata.

use super::values::describe;
use super::{Checker, Result};
use crate::model::{BootFailures, CellAssignment, Subsystem, Validation};
use crate::scenario::raw::{RawSubsystem, RawValidation};
use crate::scenario::units::{self, PERCENT_FORMAT, RATE_FORMAT, SIZE_FORMAT};
use crate::time::SimDuration;

/// Most servers one subsystem may have: each server's boot is simulated.
const MAX_SERVERS: i64 = 10_000_000;

impl Checker<'_> {
    pub(super) fn subsystem(&self, key: &str, s: &RawSubsystem) -> Result<Subsystem> {
        let servers = self.count(&format!("{key}.servers"), &s.servers, 1, MAX_SERVERS)?;
        let min_servers =
            self.servers(&format!("{key}.min_capacity"), &s.min_capacity, servers, 1)?;
        let serve_servers = match &s.serve_at {
            // Below the minimum too: a fleet that cannot keep running under full load may
            // serve some of it with its first servers back.
            Some(v) => self.servers(&format!("{key}.serve_at"), v, servers, 1)?,
            None => min_servers,
        };
        let parallelism = self.count(
            &format!("{key}.restart.parallelism"),
            &s.restart.parallelism,
            1,
            i64::MAX,
        )?;
        let boot = self.delay(&format!("{key}.restart.boot_time"), &s.restart.boot_time)?;
        let validation = match &s.validation {
            Some(v) => Some(self.validation(&format!("{key}.validation"), v)?),
            None => None,
        };
        let k = match &s.cells {
            Some(c) => self.count(&format!("{key}.cells"), c, 1, (servers as i64).min(1000))?,
            None => 1,
        };
        let assignment = match s
            .cell_assignment
            .as_ref()
            .map(|a| (a, a.get_ref().as_str()))
        {
            None | Some((_, "sequential")) => CellAssignment::Sequential,
            Some((_, "spread")) => CellAssignment::Spread,
            Some((a, other)) => {
                return Err(self.invalid(
                    a.span(),
                    &format!("{key}.cell_assignment"),
                    format!("{other:?}"),
                    "\"sequential\" or \"spread\"",
                ))
            }
        };
        let begins_after = match &s.restart.begins_after {
            Some(d) => Some(self.delay(&format!("{key}.restart.begins_after"), d)?),
            None => None,
        };
        let boot_failures = match &s.restart.boot_failures {
            Some(f) => {
                let at = |k: &str| format!("{key}.restart.boot_failures.{k}");
                Some(BootFailures {
                    probability: self.probability(&at("probability"), &f.probability)?,
                    manual: self.delay(&at("manual"), &f.manual)?,
                    crew: self.count(&at("crew"), &f.crew, 1, MAX_SERVERS)?,
                })
            }
            None => None,
        };
        let safe_parallelism = match &s.restart.safe_parallelism {
            Some(n) => {
                let k = format!("{key}.restart.safe_parallelism");
                std::num::NonZeroU64::new(self.count(&k, n, 1, i64::MAX)?.min(servers))
            }
            None => None,
        };
        let data = match &s.data {
            Some(d) => Some(Box::new(self.data(&format!("{key}.data"), d)?)),
            None => None,
        };
        Ok(Subsystem {
            servers,
            min_servers,
            serve_servers,
            parallelism: parallelism.min(servers),
            boot,
            begins_after,
            boot_failures,
            safe_parallelism,
            data,
            validation,
            cells: Subsystem::split(servers, min_servers, serve_servers, k),
            assignment,
        })
    }

    fn validation(&self, key: &str, v: &RawValidation) -> Result<Validation> {
        let metadata = self.with_units(
            &format!("{key}.metadata"),
            &v.metadata,
            SIZE_FORMAT,
            units::parse_size,
        )?;
        let growth = match &v.growth_per_year {
            Some(g) => self.with_units(
                &format!("{key}.growth_per_year"),
                g,
                PERCENT_FORMAT,
                units::parse_percent,
            )?,
            None => 0.0,
        };
        let since = match &v.since_last_full_restart {
            Some(s) => self.duration(&format!("{key}.since_last_full_restart"), s)?,
            None => SimDuration::ZERO,
        };
        let throughput_key = format!("{key}.throughput");
        let throughput = self.with_units(
            &throughput_key,
            &v.throughput,
            RATE_FORMAT,
            units::parse_rate,
        )?;
        if throughput <= 0.0 {
            return Err(self.invalid(
                v.throughput.span(),
                &throughput_key,
                describe(v.throughput.get_ref()),
                "a rate above zero",
            ));
        }
        Validation::new(metadata, growth, since, throughput).ok_or_else(|| {
            self.invalid(
                v.metadata.span(),
                &format!("{key}.metadata"),
                format!(
                    "{} growing {}% a year for {since}",
                    describe(v.metadata.get_ref()),
                    growth * 100.0
                ),
                "metadata that can be validated in less than 285,000 years",
            )
        })
    }
}
