//! From what the user wrote ([`RawScenario`]) to the checked [`Model`]: every value is
//! checked here once, and every problem is reported at its position in the file.

mod command;
mod data;
mod messages;

use std::ops::Range;

use toml::Value;

use self::messages::{key_before, plain_serde_message, with_hint};
use super::graph::{DependencyGraph, EdgeKind};
use super::{
    Backlog, BootFailures, CellAssignment, Clock, Delay, Failover, Model, Node, NodeId, NodeKind,
    Operations, Subsystem, Validation,
};
use crate::scenario::raw::*;
use crate::scenario::units::{self, DURATION_FORMAT, PERCENT_FORMAT, RATE_FORMAT, SIZE_FORMAT};
use crate::scenario::{ScenarioError, ScenarioErrorKind};
use crate::time::SimDuration;

/// Most servers one subsystem may have: each server's boot is simulated.
pub const MAX_SERVERS: i64 = 10_000_000;
/// Horizon when the scenario does not give one.
const DEFAULT_HORIZON: SimDuration = SimDuration::from_secs(7 * 86_400);

type Result<T> = std::result::Result<T, ScenarioError>;

/// Parses and checks a scenario; `origin` names it in errors.
pub(crate) fn build(origin: &str, text: &str) -> Result<Model> {
    let raw: RawScenario = crate::scenario::read(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let key = key_before(text, at);
        let mut message = plain_serde_message(e.message().trim());
        if let (true, Some(key)) = (e.message().starts_with("invalid "), key) {
            message = format!("`{key}` is {message}");
        }
        message = with_hint(message, e.message(), key.unwrap_or("key"));
        // What is written at the error, up to `=` or the end of its line.
        let here = text.get(at..).unwrap_or("");
        let written = here
            .lines()
            .next()
            .unwrap_or("")
            .split('=')
            .next()
            .unwrap_or("")
            .trim();
        if message == "duplicate key" {
            message = if written.is_empty() {
                "a key is given twice; expected each key once in a table".into()
            } else {
                format!("`{written}` is given twice; expected each key once in a table")
            };
        } else if let Some(name) = written
            .strip_prefix("[[")
            .and_then(|w| w.strip_suffix("]]"))
        {
            message = format!("`{written}` makes a list of tables; expected one table, `[{name}]`");
        }
        ScenarioError::at(origin, text, at, ScenarioErrorKind::Syntax(message))
    })?;
    Checker { origin, text }.model(raw)
}

struct Checker<'a> {
    origin: &'a str,
    text: &'a str,
}

/// A dependency edge and where the user wrote it.
struct Edge {
    from: NodeId,
    to: NodeId,
    kind: EdgeKind,
    span: Range<usize>,
}

fn describe(v: &Value) -> String {
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
    fn error(&self, span: Range<usize>, kind: ScenarioErrorKind) -> ScenarioError {
        ScenarioError::at(self.origin, self.text, span.start, kind)
    }

    fn invalid(
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
    fn with_units<T>(
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

    fn duration(&self, key: &str, v: &Loose) -> Result<SimDuration> {
        self.with_units(key, v, DURATION_FORMAT, units::parse_duration)
    }

    fn count(&self, key: &str, v: &Spanned<i64>, min: i64, max: i64) -> Result<u64> {
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

    fn probability(&self, key: &str, v: &Spanned<f64>) -> Result<f64> {
        let p = *v.get_ref();
        if !(0.0..=1.0).contains(&p) {
            return Err(self.invalid(v.span(), key, format!("{p}"), "a probability from 0 to 1"));
        }
        Ok(p)
    }

    fn weight(&self, key: &str, v: &Spanned<f64>) -> Result<f64> {
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
    fn servers(&self, key: &str, v: &Loose, total: u64, min: u64) -> Result<u64> {
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

    fn model(&self, raw: RawScenario) -> Result<Model> {
        let names = self.names(&raw)?;
        // Looked up once per reference: a map, so that checking stays linear in the file.
        let index: std::collections::HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let resolve = |key: &str, r: &Spanned<String>| -> Result<NodeId> {
            index
                .get(r.get_ref().as_str())
                .map(|&i| NodeId(i))
                .ok_or_else(|| {
                    self.error(
                        r.span(),
                        ScenarioErrorKind::UnknownNode {
                            key: key.to_string(),
                            name: r.get_ref().clone(),
                            known: names.clone(),
                        },
                    )
                })
        };
        let mut nodes = Vec::with_capacity(names.len());
        let mut edges = Vec::new();
        for (name, s) in &raw.subsystems {
            let key = format!("subsystems.{}", name.get_ref());
            let id = NodeId(nodes.len());
            let deps = self.dependencies(&key, id, &s.needs, &s.needs_any, &resolve, &mut edges)?;
            let mut restart_after = Vec::new();
            for r in &s.restart_after {
                let from = resolve(&format!("{key}.restart_after"), r)?;
                restart_after.push(from);
                edges.push(Edge {
                    from,
                    to: id,
                    kind: EdgeKind::RestartAfter,
                    span: r.span(),
                });
            }
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Subsystem(self.subsystem(&key, s)?),
                needs: deps.0,
                needs_any: deps.1,
                restart_after,
            });
        }
        for (name, s) in &raw.services {
            let key = format!("services.{}", name.get_ref());
            let id = NodeId(nodes.len());
            let deps = self.dependencies(&key, id, &s.needs, &s.needs_any, &resolve, &mut edges)?;
            let backlog = match &s.backlog {
                Some(b) => {
                    let k = format!("{key}.backlog.headroom");
                    let headroom =
                        self.with_units(&k, &b.headroom, PERCENT_FORMAT, units::parse_percent)?;
                    if headroom <= 0.0 {
                        return Err(self.invalid(
                            b.headroom.span(),
                            &k,
                            describe(b.headroom.get_ref()),
                            "spare capacity above 0%",
                        ));
                    }
                    Some(Backlog { headroom })
                }
                None => None,
            };
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Service {
                    backlog,
                    internal: s.internal,
                },
                needs: deps.0,
                needs_any: deps.1,
                restart_after: Vec::new(),
            });
        }
        for (name, c) in &raw.customers {
            let key = format!("customers.{}", name.get_ref());
            let id = NodeId(nodes.len());
            let deps = self.dependencies(
                &key,
                id,
                &c.needs,
                c.needs_any.get_ref(),
                &resolve,
                &mut edges,
            )?;
            if deps.1.is_empty() {
                return Err(self.invalid(
                    c.needs_any.span(),
                    &format!("{key}.needs_any"),
                    "empty".into(),
                    "the alternatives it can run on, such as [\"s3-east\", \"s3-west\"]",
                ));
            }
            let failover = Failover {
                detection: self
                    .delay(&format!("{key}.failover.detection"), &c.failover.detection)?,
                switch: self.delay(&format!("{key}.failover.switch"), &c.failover.switch)?,
            };
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: c.description.clone().unwrap_or_default(),
                kind: NodeKind::Customer { failover },
                needs: deps.0,
                needs_any: deps.1,
                restart_after: Vec::new(),
            });
        }
        for (name, s) in &raw.standbys {
            let key = format!("standbys.{}", name.get_ref());
            let activation = self.duration(&format!("{key}.activation"), &s.activation)?;
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Standby { activation },
                needs: Vec::new(),
                needs_any: Vec::new(),
                restart_after: Vec::new(),
            });
        }
        self.standbys_are_fallbacks(&nodes, &edges)?;
        let graph = self.graph(&nodes, &edges)?;
        let command = self.command(&raw.command, &nodes, &resolve)?;
        let operations = match &raw.operations {
            Some(o) => Some(self.operations(o)?),
            None => None,
        };
        let header = &raw.scenario;
        let horizon = match &header.horizon {
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
        };
        Ok(Model {
            name: header.name.get_ref().clone(),
            description: header.description.clone().unwrap_or_default(),
            origin: self.origin.to_string(),
            horizon,
            start_clock: self.clock(header.start_clock.as_ref())?,
            nodes,
            graph,
            command,
            operations,
        })
    }

    fn operations(&self, o: &RawOperations) -> Result<Operations> {
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

    /// All node names, each checked, in the order the nodes are built: subsystems, services,
    /// customers, standbys (a name's position is its `NodeId`).
    fn names(&self, raw: &RawScenario) -> Result<Vec<String>> {
        let keys = raw
            .subsystems
            .keys()
            .chain(raw.services.keys())
            .chain(raw.customers.keys())
            .chain(raw.standbys.keys());
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for key in keys {
            let name = key.get_ref();
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(self.invalid(
                    key.span(),
                    "node name",
                    format!("{name:?}"),
                    "a name of ASCII letters, digits, '-', '_' or '.'",
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(self.error(
                    key.span(),
                    ScenarioErrorKind::DuplicateNode { name: name.clone() },
                ));
            }
            names.push(name.clone());
        }
        Ok(names)
    }

    fn dependencies(
        &self,
        key: &str,
        id: NodeId,
        needs: &[Spanned<String>],
        needs_any: &[Spanned<String>],
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
        edges: &mut Vec<Edge>,
    ) -> Result<(Vec<NodeId>, Vec<NodeId>)> {
        let mut out = (Vec::new(), Vec::new());
        for (list, field, kind, ids) in [
            (needs, "needs", EdgeKind::Needs, &mut out.0),
            (needs_any, "needs_any", EdgeKind::NeedsAny, &mut out.1),
        ] {
            for r in list {
                let from = resolve(&format!("{key}.{field}"), r)?;
                ids.push(from);
                edges.push(Edge {
                    from,
                    to: id,
                    kind,
                    span: r.span(),
                });
            }
        }
        Ok(out)
    }

    /// A standby is a fallback: it may only be one of several `needs_any` alternatives, at
    /// least one of which is not a standby (otherwise the node would be down from the start).
    fn standbys_are_fallbacks(&self, nodes: &[Node], edges: &[Edge]) -> Result<()> {
        let standby = |id: NodeId| matches!(nodes[id.0].kind, NodeKind::Standby { .. });
        for e in edges.iter().filter(|e| standby(e.from)) {
            let node = &nodes[e.to.0];
            let fallback =
                e.kind == EdgeKind::NeedsAny && node.needs_any.iter().any(|&d| !standby(d));
            if !fallback {
                let section = match node.kind {
                    NodeKind::Subsystem(_) => "subsystems",
                    NodeKind::Customer { .. } => "customers",
                    _ => "services",
                };
                let field = if e.kind == EdgeKind::NeedsAny {
                    "needs_any"
                } else {
                    "needs"
                };
                return Err(self.invalid(
                    e.span.clone(),
                    &format!("{section}.{}.{field}", node.name),
                    format!("{:?}, a standby", nodes[e.from.0].name),
                    "a standby only in `needs_any`, beside at least one alternative that is not a standby",
                ));
            }
        }
        Ok(())
    }

    fn graph(&self, nodes: &[Node], edges: &[Edge]) -> Result<DependencyGraph> {
        let plain: Vec<_> = edges.iter().map(|e| (e.from, e.to, e.kind)).collect();
        DependencyGraph::new(nodes.len(), &plain).map_err(|cycle| {
            // Point at the reference that closes the cycle as printed (the path is printed
            // reversed, "x depends on y"): its first edge, dependency → dependent.
            let (from, to) = (cycle[0], cycle[1]);
            let span = edges
                .iter()
                .find(|e| e.from == from && e.to == to)
                .map_or(0..0, |e| e.span.clone());
            // Edges run dependency → dependent; print the path as "x depends on y".
            let path = cycle
                .iter()
                .rev()
                .map(|id| nodes[id.0].name.clone())
                .collect();
            self.error(span, ScenarioErrorKind::Cycle { path })
        })
    }

    fn subsystem(&self, key: &str, s: &RawSubsystem) -> Result<Subsystem> {
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

    fn delay(&self, key: &str, d: &Spanned<RawDist>) -> Result<Delay> {
        self.delay_at(key, d.get_ref(), d.span())
    }

    /// A distribution table written at `span`.
    fn delay_at(&self, key: &str, raw: &RawDist, span: Range<usize>) -> Result<Delay> {
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

    fn clock(&self, v: Option<&Spanned<String>>) -> Result<Clock> {
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

    fn subsystem_ref(
        &self,
        key: &str,
        r: &Spanned<String>,
        nodes: &[Node],
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
    ) -> Result<NodeId> {
        let id = resolve(key, r)?;
        if matches!(nodes[id.0].kind, NodeKind::Subsystem(_)) {
            return Ok(id);
        }
        let subsystems: Vec<&str> = nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Subsystem(_)))
            .map(|n| n.name.as_str())
            .collect();
        Err(self.invalid(
            r.span(),
            key,
            format!("{:?}, a {}", r.get_ref(), nodes[id.0].kind.label()),
            format!("the name of a subsystem ({})", subsystems.join(", ")),
        ))
    }
}
