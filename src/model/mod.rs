//! The checked model: what the engine runs. Built once from a scenario file by
//! `build`, it cannot hold an invalid value: counts are in range,
//! references resolve, and the dependency graph is acyclic with a topological order.

mod build;
mod dist;
mod graph;

use crate::time::{SimDuration, SimTime};
use crate::typo::Command;

pub(crate) use build::build;
pub use dist::Delay;
pub use graph::DependencyGraph;

/// Index of a node (subsystem, service or standby) in [`Model::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

impl NodeId {
    /// The position in [`Model::nodes`].
    pub fn index(self) -> usize {
        self.0
    }
}

/// A scenario, checked and ready to simulate.
#[derive(Clone, Debug)]
pub struct Model {
    /// Short name, e.g. `s3-2017`.
    pub name: String,
    /// One paragraph for humans.
    pub description: String,
    /// Where it came from: a path, or `builtin:NAME`.
    pub origin: String,
    /// Simulated time after which a run stops, recovered or not.
    pub horizon: SimDuration,
    /// The wall clock at the moment of the command, for timelines.
    pub start_clock: Clock,
    /// Every node: subsystems, then services, customers and standbys, each in file order.
    pub nodes: Vec<Node>,
    /// The dependency graph and an order in which every node comes after what it depends on.
    pub graph: DependencyGraph,
    /// The operator's command and its typo model.
    pub command: Command,
    /// Routine commands over a period, for `blastradius operate`.
    pub operations: Option<Operations>,
}

/// A period of routine operations: commands arrive at random (Poisson) at this rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Operations {
    /// Mean commands per day.
    pub commands_per_day: f64,
    /// Length of one simulated period (a year, say).
    pub period: SimDuration,
}

impl Model {
    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0]
    }

    /// Finds a node by name.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name).map(NodeId)
    }

    /// Whether some subsystem declares `data` (a removal can lose it): only then do
    /// reports say how much data was lost.
    pub fn has_data(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(&n.kind, NodeKind::Subsystem(s) if s.data.is_some()))
    }

    /// Nodes whose availability is reported (subsystems and services, not standbys).
    pub fn reported(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| !matches!(n.kind, NodeKind::Standby { .. }))
            .map(|(i, n)| (NodeId(i), n))
    }
}

/// A subsystem, service or standby, and what it depends on.
#[derive(Clone, Debug)]
pub struct Node {
    /// Unique name.
    pub name: String,
    /// One line for humans.
    pub description: String,
    /// What kind of node, with its own parameters.
    pub kind: NodeKind,
    /// Unavailable while any of these is unavailable.
    pub needs: Vec<NodeId>,
    /// Unavailable while all of these are unavailable (empty: no such group).
    pub needs_any: Vec<NodeId>,
    /// Its cold restart cannot begin until all of these are serving.
    pub restart_after: Vec<NodeId>,
}

/// The kinds of node.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A fleet of servers with a capacity, a minimum and a restart procedure.
    Subsystem(Subsystem),
    /// A customer-facing API or downstream system: available when what it needs is.
    Service {
        /// Work that piles up while it is unavailable, drained afterwards.
        backlog: Option<Backlog>,
        /// Internal (billing, metering): its outages are not customer-facing.
        internal: bool,
    },
    /// A customer's application: uses one of `needs_any` at a time and fails over to
    /// another after a detection and a switch delay. Reported apart from the provider's
    /// services.
    Customer {
        /// How long failing over takes.
        failover: Failover,
    },
    /// A fallback that is idle until first needed, then ready after `activation`
    /// (for example an operator's manual workaround).
    Standby {
        /// Time from first being needed to being ready.
        activation: SimDuration,
    },
}

impl NodeKind {
    /// `subsystem`, `service` or `standby`.
    pub fn label(&self) -> &'static str {
        match self {
            NodeKind::Subsystem(_) => "subsystem",
            NodeKind::Service { .. } => "service",
            NodeKind::Customer { .. } => "customer",
            NodeKind::Standby { .. } => "standby",
        }
    }
}

/// A service's backlog: while it is unavailable, requests pile up at the arrival rate;
/// afterwards they drain with its spare capacity, so it is back to normal only later.
#[derive(Clone, Debug, PartialEq)]
pub struct Backlog {
    /// Spare capacity as a share of the arrival rate (0.5: it can serve 1.5× its load);
    /// draining a backlog of `d` of lost time takes `d / headroom`.
    pub headroom: f64,
}

/// How a customer fails over between the alternatives it needs.
#[derive(Clone, Debug)]
pub struct Failover {
    /// From its current alternative becoming unavailable to the customer noticing.
    pub detection: Delay,
    /// From noticing to running on another alternative.
    pub switch: Delay,
}

/// How a removal's servers fall into a subsystem's cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellAssignment {
    /// Hosts are listed cell by cell, so a removal empties the first cells first.
    Sequential,
    /// Removed hosts are spread at random over all cells (multivariate hypergeometric).
    Spread,
}

/// One cell of a subsystem: an independent part that fails, restarts and validates alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Servers in the cell.
    pub servers: u64,
    /// Below this many it needs a cold restart.
    pub min_servers: u64,
    /// During a restart it serves from this many.
    pub serve_servers: u64,
}

/// A fleet of servers.
#[derive(Clone, Debug)]
pub struct Subsystem {
    /// Servers at full capacity.
    pub servers: u64,
    /// Below this many servers it cannot keep running and needs a full cold restart.
    pub min_servers: u64,
    /// During a restart it serves (partially) again once this many servers are back.
    pub serve_servers: u64,
    /// How many servers can boot at once (the restart budget).
    pub parallelism: u64,
    /// Boot time of one server.
    pub boot: Delay,
    /// Time from a cell going down until its cold restart may begin: noticing, diagnosing,
    /// deciding on a full restart. `None`: at once.
    pub begins_after: Option<Delay>,
    /// Boots that fail and need manual work, if any.
    pub boot_failures: Option<BootFailures>,
    /// Above this many of its servers booting at once, boots fail their health checks:
    /// the first cold restart in a run that boots more at once loses that wave and goes
    /// on at this many at a time. `None`: no such limit.
    pub safe_parallelism: Option<std::num::NonZeroU64>,
    /// The data it holds, lost back to the last backup when a removal takes every server
    /// of a cell out of service. `None`: nothing to lose.
    pub data: Option<Box<Data>>,
    /// Metadata validation after the servers are booted, if any.
    pub validation: Option<Validation>,
    /// The cells (one for an undivided subsystem), servers and minimums shared in
    /// proportion. Restart parallelism and validation throughput are the subsystem's, one
    /// budget granted to its cells first come, first served.
    pub cells: Vec<Cell>,
    /// How removed servers fall into cells.
    pub assignment: CellAssignment,
}

impl Subsystem {
    /// Splits `servers`, `min_servers` and `serve_servers` into `k` cells in proportion
    /// (each at least one server, minimums rounded up).
    pub fn split(servers: u64, min_servers: u64, serve_servers: u64, k: u64) -> Vec<Cell> {
        let k = k.clamp(1, servers);
        (0..k)
            .map(|i| {
                let n = servers / k + u64::from(i < servers % k);
                let share =
                    |x: u64| (u128::from(x) * u128::from(n)).div_ceil(u128::from(servers)) as u64;
                let min = share(min_servers).clamp(1, n);
                Cell {
                    servers: n,
                    min_servers: min,
                    serve_servers: share(serve_servers).clamp(1, n),
                }
            })
            .collect()
    }
}

/// Boots that do not come back by themselves: each boot (in a cold restart or a reboot)
/// fails with `probability`, and the server then needs `manual` work by one of `crew`
/// people. The crew's queue is planned when a cell's restart (or a reboot) begins: its
/// failed boots join the queue then, in the order they will fail, behind those of the
/// cells that began before it.
#[derive(Clone, Debug)]
pub struct BootFailures {
    /// Probability that one boot fails.
    pub probability: f64,
    /// The manual work on one failed server.
    pub manual: Delay,
    /// People who do it, each one server at a time (≥ 1).
    pub crew: u64,
}

/// A subsystem's data: backed up every `backup_every`; a removal that takes every server
/// of a cell out of service loses what was written since the last backup, and the cell's
/// cold restart waits for the `restore`.
#[derive(Clone, Debug)]
pub struct Data {
    /// The interval between backups (the backup cycle the command falls in).
    pub backup_every: Delay,
    /// The time to restore the last backup, before the cold restart may begin; `None`:
    /// no time.
    pub restore: Option<Delay>,
}

/// The metadata-integrity check that runs after a cold restart, before serving.
#[derive(Clone, Debug, PartialEq)]
pub struct Validation {
    /// Metadata held at the last full restart, in bytes.
    pub metadata_at_last_restart: f64,
    /// Yearly growth, as a fraction (0.3 = 30 % a year), compounded.
    pub growth_per_year: f64,
    /// Time since the last full restart.
    pub since_last_full_restart: SimDuration,
    /// Validation rate of the whole subsystem, bytes per second.
    pub throughput: f64,
    /// Metadata now: `metadata_at_last_restart × (1 + growth)^years`.
    pub metadata_now: f64,
    /// Time to validate all of it: `metadata_now / throughput`.
    pub duration: SimDuration,
}

impl Validation {
    /// Longest validation accepted: 2^53 ms (about 285,000 years) keeps time exact.
    const MAX_SECS: f64 = 9.0e12;

    /// Metadata of `metadata_at_last_restart` bytes that grew by `growth_per_year`
    /// (compounded) for `since_last_full_restart`, validated at `throughput` bytes/s.
    /// `None` unless the inputs are finite, non-negative, the throughput positive, and the
    /// validation shorter than about 285,000 years.
    pub fn new(
        metadata_at_last_restart: f64,
        growth_per_year: f64,
        since_last_full_restart: SimDuration,
        throughput: f64,
    ) -> Option<Self> {
        let finite = [metadata_at_last_restart, growth_per_year, throughput]
            .iter()
            .all(|x| x.is_finite() && *x >= 0.0);
        if !finite || throughput <= 0.0 {
            return None;
        }
        let years = since_last_full_restart.as_secs_f64() / (365.0 * 86_400.0);
        let metadata_now = metadata_at_last_restart * (1.0 + growth_per_year).powf(years);
        let secs = metadata_now / throughput;
        (secs.is_finite() && secs < Self::MAX_SECS).then(|| Validation {
            metadata_at_last_restart,
            growth_per_year,
            since_last_full_restart,
            throughput,
            metadata_now,
            duration: SimDuration::from_secs_f64(secs),
        })
    }
}

/// A wall-clock time of day and a zone label, for printing timelines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Seconds after midnight at the moment of the command.
    pub seconds_of_day: u32,
    /// Zone label as written (`PST`), possibly empty.
    pub zone: String,
}

impl Clock {
    /// The wall clock at simulated time `t`: `13:54:00 PST`, with `(+1d)` past midnight.
    pub fn at(&self, t: SimTime) -> String {
        let total = u64::from(self.seconds_of_day) + t.as_millis() / 1000;
        let (days, s) = (total / 86_400, total % 86_400);
        let mut text = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
        if !self.zone.is_empty() {
            text.push(' ');
            text.push_str(&self.zone);
        }
        if days > 0 {
            text.push_str(&format!(" (+{days}d)"));
        }
        text
    }
}
