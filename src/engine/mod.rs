//! The discrete-event engine: one run of one typed command through the checked model.
//!
//! Each subsystem cell has a state machine ([`Phase`]); every node has a [`Health`] and a
//! served fraction derived from its own state and what it needs. Events ([`Event`]) are kept
//! in an [`EventQueue`] ordered by (time, sequence). The engine never reads files, prints or
//! draws its own input: the Monte Carlo layer gives it a random stream, the replay gives it
//! the pinned input.

mod agenda;
mod backlog;
pub mod capacity;
mod cells;
mod data;
mod hot;
mod levels;
mod outcome;
mod pace;
mod queue;
mod ranks;
mod record;
mod recovery;
mod removal;
mod restart;
mod router;
mod sim;
mod sparse;
mod standby;

pub use levels::FULL;
pub use outcome::{NodeOutcome, Outcome};
pub use queue::EventQueue;
pub use sim::Simulation;

use crate::model::NodeId;
use crate::safeguard::Interventions;
use crate::time::{SimDuration, SimTime};

/// Where a subsystem (or one of its cells) is in its life: the state machine a removal starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Full capacity, never disturbed in this run.
    Running,
    /// Lost servers but still at or above its minimum: keeps serving.
    Degraded,
    /// Below its minimum: stopped, waiting for its cold restart to begin.
    Down,
    /// Servers booting, at most `parallelism` at a time.
    Restarting,
    /// All servers booted; metadata being validated. Not serving yet.
    Validating,
    /// Enough capacity back to serve, but not all of it.
    ServingPartially,
    /// All capacity back after a restart.
    Recovered,
}

impl Phase {
    /// Lower-case name for timelines and files.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Running => "running",
            Phase::Degraded => "degraded",
            Phase::Down => "down",
            Phase::Restarting => "restarting",
            Phase::Validating => "validating",
            Phase::ServingPartially => "serving partially",
            Phase::Recovered => "recovered",
        }
    }

    /// How a subsystem in this phase serves on its own account.
    pub fn health(self) -> Health {
        match self {
            Phase::Running | Phase::Degraded | Phase::Recovered => Health::Up,
            Phase::ServingPartially => Health::Partial,
            Phase::Down | Phase::Restarting | Phase::Validating => Health::Down,
        }
    }

    /// Whether a cold restart is under way.
    pub fn restarting(self) -> bool {
        matches!(self, Phase::Restarting | Phase::Validating)
    }
}

/// Whether a node serves, as its dependents see it. Ordered: `Down < Partial < Up`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    /// Unavailable.
    Down,
    /// Serving, but with reduced capacity, part of its traffic, or a backlog to drain.
    Partial,
    /// Fully available.
    Up,
}

impl Health {
    /// Lower-case name for timelines and files.
    pub fn label(self) -> &'static str {
        match self {
            Health::Down => "unavailable",
            Health::Partial => "partially available",
            Health::Up => "available",
        }
    }
}

/// Something that happens at a point in simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The operator's tool removes up to `servers` servers from `node`.
    Remove {
        /// The subsystem.
        node: NodeId,
        /// How many the tool removes there in this step.
        servers: u64,
    },
    /// The operator aborts what is left of a rate-limited removal.
    Abort,
    /// One rebooted server of a cell is back.
    Rebooted {
        /// The subsystem.
        node: NodeId,
        /// The cell.
        cell: u32,
        /// The cell's state this belongs to; a stale epoch (the cell went down since) is
        /// ignored: its cold restart brings the server back.
        epoch: u32,
    },
    /// A cell that went down may begin its cold restart: the problem is diagnosed.
    Diagnosed {
        /// The subsystem.
        node: NodeId,
        /// The cell.
        cell: u32,
        /// The outage this belongs to; a stale epoch is ignored.
        epoch: u32,
    },
    /// All servers of a cell's restart have booted (only when validation follows).
    Booted {
        /// The subsystem.
        node: NodeId,
        /// The cell.
        cell: u32,
        /// The restart this belongs to; a stale epoch is ignored.
        epoch: u32,
    },
    /// Enough of a cell's capacity is back to serve.
    Serve {
        /// The subsystem.
        node: NodeId,
        /// The cell.
        cell: u32,
        /// The restart this belongs to.
        epoch: u32,
    },
    /// All of a cell's capacity is back.
    Full {
        /// The subsystem.
        node: NodeId,
        /// The cell.
        cell: u32,
        /// The restart this belongs to.
        epoch: u32,
    },
    /// A standby has finished activating.
    StandbyReady {
        /// The standby.
        node: NodeId,
    },
    /// A service has drained its backlog.
    Drained {
        /// The service.
        node: NodeId,
        /// The draining this belongs to.
        epoch: u32,
    },
    /// A customer has finished failing over.
    FailedOver {
        /// The customer.
        node: NodeId,
        /// The failover this belongs to.
        epoch: u32,
    },
}

/// A state change, as reported to an [`Observer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A subsystem (or cell `cell` of it) changed phase; `capacity` is its servers in service
    /// afterwards and `removed` how many servers the event removed.
    Phase {
        /// The cell, for a subsystem in cells.
        cell: Option<u32>,
        /// Before.
        from: Phase,
        /// After.
        to: Phase,
        /// Servers in service afterwards.
        capacity: u64,
        /// Servers removed by the event that caused this.
        removed: u64,
    },
    /// A node's health as seen by its dependents, or the share of its traffic it serves,
    /// changed; `served` is that share afterwards, in millionths.
    Health {
        /// Before.
        from: Health,
        /// After.
        to: Health,
        /// Served share afterwards, in millionths.
        served: u32,
    },
    /// A subsystem's cell was given its share of the restart budget: its next phase
    /// (booting, or validating) runs from `start` to `end`. Reported just before the
    /// phase change it explains.
    Scheduled {
        /// The cell, for a subsystem in cells.
        cell: Option<u32>,
        /// When its first server starts booting, or its validation starts.
        start: SimTime,
        /// When its last server has booted, or its validation is done.
        end: SimTime,
    },
    /// A subsystem's cell went down; its cold restart may begin at `until` (the time to
    /// notice, diagnose and decide: `restart.begins_after`).
    Diagnosing {
        /// The cell, for a subsystem in cells.
        cell: Option<u32>,
        /// When the restart may begin.
        until: SimTime,
    },
    /// A subsystem's cell got a server back without changing phase (a rebooted server
    /// back while the others are still rebooting): its servers in service now.
    Capacity {
        /// The cell, for a subsystem in cells.
        cell: Option<u32>,
        /// Servers in service.
        capacity: u64,
    },
    /// A removal took every server of a subsystem's cell out of service: its data since
    /// the last backup is lost, and the cell is restored from that backup before its cold
    /// restart may begin.
    DataLost {
        /// The cell, for a subsystem in cells.
        cell: Option<u32>,
        /// The writes lost: those of this long before the command.
        window: SimDuration,
        /// The time the restore takes, if the scenario gives one.
        restore: Option<SimDuration>,
    },
    /// A subsystem's cell began its cold restart with more servers booting at once than
    /// `restart.safe_parallelism`: that first wave fails its health checks, and the servers
    /// boot again from `until`, at the safe number at a time. Reported just before the
    /// cell's `Scheduled`.
    Overloaded {
        /// The cell, for a subsystem in cells.
        cell: Option<u32>,
        /// Servers of the subsystem booting at once in the failed wave.
        at_once: u64,
        /// When the failed wave is over.
        until: SimTime,
    },
    /// A standby was needed and began activating.
    Activating,
    /// A service began draining its backlog, until `until`.
    Draining {
        /// When it will have caught up.
        until: SimTime,
    },
    /// A customer noticed its alternative was down and began failing over.
    FailingOver,
    /// A customer now runs on `to`.
    FailedOver {
        /// The alternative it runs on.
        to: NodeId,
    },
    /// The safeguards acted on the command.
    Safeguards(Interventions),
    /// The operator aborted the rest of the removal.
    Aborted,
}

/// Watches a run's state changes, for example to print a timeline. The Monte Carlo loop
/// uses [`Unobserved`], which the compiler removes entirely.
pub trait Observer {
    /// `node` changed at `time`.
    fn observe(&mut self, time: SimTime, node: NodeId, change: Change);
}

/// An observer that ignores everything.
pub struct Unobserved;

impl Observer for Unobserved {
    #[inline(always)]
    fn observe(&mut self, _: SimTime, _: NodeId, _: Change) {}
}

impl Observer for Vec<(SimTime, NodeId, Change)> {
    fn observe(&mut self, time: SimTime, node: NodeId, change: Change) {
        self.push((time, node, change));
    }
}
