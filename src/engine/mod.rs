//! The discrete-event engine: one run of one typed command through the checked model.
//!
//! Each subsystem has a state machine ([`Phase`]); every node has a [`Health`] derived from
//! its own phase and what it needs. Events ([`Event`]) are kept in an [`EventQueue`] ordered
//! by (time, sequence). The engine never reads files, prints or draws its own input: the
//! Monte Carlo layer gives it a random stream, the replay gives it the pinned input.

mod queue;
mod sim;

pub use queue::EventQueue;
pub use sim::{NodeOutcome, Outcome, Simulation};

use crate::model::NodeId;
use crate::time::SimTime;

/// Where a subsystem is in its life: the state machine that a removal starts.
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
}

/// Whether a node serves, as its dependents see it. Ordered: `Down < Partial < Up`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    /// Unavailable.
    Down,
    /// Available with reduced capacity.
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
        /// How many the tool was asked to remove there.
        servers: u64,
    },
    /// All servers of a restart have booted (only scheduled when validation follows).
    Booted {
        /// The subsystem.
        node: NodeId,
        /// The restart this belongs to; a stale epoch is ignored.
        epoch: u32,
    },
    /// Enough capacity is back to serve.
    Serve {
        /// The subsystem.
        node: NodeId,
        /// The restart this belongs to.
        epoch: u32,
    },
    /// All capacity is back.
    Full {
        /// The subsystem.
        node: NodeId,
        /// The restart this belongs to.
        epoch: u32,
    },
    /// A standby has finished activating.
    StandbyReady {
        /// The standby.
        node: NodeId,
    },
}

/// A state change, as reported to an [`Observer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A subsystem changed phase; `capacity` is its servers in service afterwards and
    /// `removed` how many servers the event removed (zero unless it was a removal).
    Phase {
        /// Before.
        from: Phase,
        /// After.
        to: Phase,
        /// Servers in service afterwards.
        capacity: u64,
        /// Servers removed by the event that caused this.
        removed: u64,
    },
    /// A node's health as seen by its dependents changed.
    Health {
        /// Before.
        from: Health,
        /// After.
        to: Health,
    },
    /// A standby was needed and began activating.
    Activating,
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
