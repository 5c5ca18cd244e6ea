//! What the user wrote: the TOML scenario file deserialized as-is, every value with its
//! position so that the checks in [`crate::model`] can point at it. Unknown keys are
//! rejected here (`deny_unknown_fields`); nothing here checks meaning. The file is read
//! a section at a time ([`super::read`]), so every position is shifted by where its
//! section starts.

use std::cell::Cell;
use std::ops::Range;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use toml::Value;

/// A value whose form (number with unit, percentage, either) is decided by the checks.
pub(crate) type Loose = Spanned<Value>;
/// A table of named nodes, in file order.
pub(crate) type Named<T> = IndexMap<Spanned<String>, T>;

/// A value and where it is written in the whole file: bytes `start..end` (a scenario file
/// is at most 16 MiB, so 32 bits hold a position). Equal, hashed and borrowed by value
/// alone, as `toml::Spanned`, which it reads through.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    start: u32,
    end: u32,
    value: T,
}

thread_local! {
    /// Where the section being deserialized on this thread starts in the whole file.
    static SECTION_START: Cell<usize> = const { Cell::new(0) };
}

/// While alive, positions read on this thread are shifted by `start`, the offset of the
/// section being deserialized in the whole file; back to 0 when dropped.
pub(crate) struct SectionAt(());

impl SectionAt {
    pub(crate) fn new(start: usize) -> SectionAt {
        SECTION_START.with(|s| s.set(start));
        SectionAt(())
    }
}

impl Drop for SectionAt {
    fn drop(&mut self) {
        SECTION_START.with(|s| s.set(0));
    }
}

impl<T> Spanned<T> {
    /// Bytes of the file where the value is written.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The value.
    pub fn get_ref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let read = toml::Spanned::<T>::deserialize(d)?;
        let shift = SECTION_START.with(Cell::get);
        // Positions past 4 GiB cannot occur (files are at most 16 MiB); saturate anyway.
        let at = |p: usize| u32::try_from(p + shift).unwrap_or(u32::MAX);
        let span = read.span();
        Ok(Spanned {
            start: at(span.start),
            end: at(span.end),
            value: read.into_inner(),
        })
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} @ {}..{}", self.value, self.start, self.end)
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl std::borrow::Borrow<str> for Spanned<String> {
    fn borrow(&self) -> &str {
        &self.value
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub scenario: RawHeader,
    #[serde(default)]
    pub subsystems: Named<RawSubsystem>,
    #[serde(default)]
    pub services: Named<RawService>,
    #[serde(default)]
    pub standbys: Named<RawStandby>,
    #[serde(default)]
    pub customers: Named<RawCustomer>,
    pub command: Spanned<RawCommand>,
    pub operations: Option<RawOperations>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeader {
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub start_clock: Option<Spanned<String>>,
    pub horizon: Option<Loose>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSubsystem {
    pub description: Option<String>,
    pub servers: Spanned<i64>,
    pub min_capacity: Loose,
    pub serve_at: Option<Box<Loose>>,
    #[serde(default)]
    pub needs: Vec<Spanned<String>>,
    #[serde(default)]
    pub needs_any: Vec<Spanned<String>>,
    #[serde(default)]
    pub restart_after: Vec<Spanned<String>>,
    pub restart: RawRestart,
    pub validation: Option<Box<RawValidation>>,
    pub cells: Option<Spanned<i64>>,
    pub cell_assignment: Option<Spanned<String>>,
    pub data: Option<Box<RawData>>,
}

/// `[subsystems.X.data]`: what a destructive removal of the subsystem loses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawData {
    pub backup_every: Spanned<RawDuration>,
    pub restore: Option<Spanned<RawDuration>>,
}

/// A duration written either as a string (`"1h"`) or as a distribution table
/// (`{ dist = "uniform", min = "50m", max = "70m" }`).
#[derive(Debug)]
pub(crate) enum RawDuration {
    /// Not a table: as written (a string to parse, or a value to describe in an error).
    Fixed(Value),
    /// A distribution table.
    Dist(Box<RawDist>),
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawDuration;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as \"1h\" or a distribution table")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawDuration, E> {
                Ok(RawDuration::Fixed(Value::String(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawDuration, E> {
                Ok(RawDuration::Fixed(Value::Integer(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawDuration, E> {
                Ok(RawDuration::Fixed(Value::Integer(
                    i64::try_from(v).unwrap_or(i64::MAX),
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawDuration, E> {
                Ok(RawDuration::Fixed(Value::Float(v)))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RawDuration, E> {
                Ok(RawDuration::Fixed(Value::Boolean(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawDuration, A::Error> {
                let table = serde::de::value::MapAccessDeserializer::new(map);
                RawDist::deserialize(table).map(|d| RawDuration::Dist(Box::new(d)))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRestart {
    pub boot_time: Spanned<RawDist>,
    pub parallelism: Spanned<i64>,
    pub begins_after: Option<Box<Spanned<RawDist>>>,
    pub boot_failures: Option<Box<RawBootFailures>>,
    pub safe_parallelism: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBootFailures {
    pub probability: Spanned<f64>,
    pub manual: Spanned<RawDist>,
    pub crew: Spanned<i64>,
}

/// `{ dist = "lognormal", median = "6m", sigma = 0.4 }` and friends; which keys a `dist`
/// needs is checked later, so that the error can name them. What is optional here and in
/// a subsystem is boxed: 100,000 subsystems are read before any is checked, and a
/// subsystem of unboxed values took 2.2 kB, most of it absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDist {
    pub dist: Spanned<String>,
    pub value: Option<Box<Loose>>,
    pub min: Option<Box<Loose>>,
    pub max: Option<Box<Loose>>,
    pub mean: Option<Box<Loose>>,
    pub median: Option<Box<Loose>>,
    pub sigma: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawValidation {
    pub metadata: Loose,
    pub growth_per_year: Option<Loose>,
    pub since_last_full_restart: Option<Loose>,
    pub throughput: Loose,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub description: Option<String>,
    #[serde(default)]
    pub needs: Vec<Spanned<String>>,
    #[serde(default)]
    pub needs_any: Vec<Spanned<String>>,
    pub backlog: Option<RawBacklog>,
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBacklog {
    pub headroom: Loose,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCustomer {
    pub description: Option<String>,
    #[serde(default)]
    pub needs: Vec<Spanned<String>>,
    pub needs_any: Spanned<Vec<Spanned<String>>>,
    pub failover: RawFailover,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFailover {
    pub detection: Spanned<RawDist>,
    pub switch: Spanned<RawDist>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOperations {
    pub commands_per_day: Spanned<f64>,
    pub period: Loose,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStandby {
    pub description: Option<String>,
    pub activation: Loose,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCommand {
    pub description: Option<String>,
    pub target: Spanned<String>,
    pub count: Spanned<i64>,
    pub action: Option<Spanned<String>>,
    pub number_typos: Option<RawNumberTypos>,
    pub target_typos: Option<RawTargetTypos>,
    pub as_typed: Option<RawAsTyped>,
    pub safeguards: Option<RawSafeguards>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSafeguards {
    pub min_capacity_guard: Option<RawGuard>,
    pub rate_limit: Option<RawRateLimit>,
    pub confirmation: Option<RawConfirmation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGuard {
    pub mode: Spanned<String>,
    pub fails: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimit {
    pub servers: Spanned<i64>,
    pub per: Loose,
    pub detection: Spanned<RawDist>,
    pub fails: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfirmation {
    pub above: Spanned<i64>,
    pub confirm_anyway: Spanned<f64>,
    pub fails: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNumberTypos {
    pub per_keystroke: Spanned<f64>,
    pub kinds: Option<RawTypoKinds>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTypoKinds {
    pub duplicate: Option<Spanned<f64>>,
    pub omit: Option<Spanned<f64>>,
    pub substitute: Option<Spanned<f64>>,
    pub insert: Option<Spanned<f64>>,
    pub transpose: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTargetTypos {
    pub probability: Spanned<f64>,
    #[serde(default)]
    pub matches: Vec<RawMatch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMatch {
    pub name: Spanned<String>,
    pub weight: Option<Spanned<f64>>,
    pub hits: Option<Spanned<Named<Loose>>>,
    pub each: Option<Spanned<Named<Loose>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAsTyped {
    pub count: Loose,
    pub selector: Option<Spanned<String>>,
}
