//! What a run did: per node ([`NodeOutcome`]) and in total ([`Outcome`]). Plain data, kept
//! as a run goes by [`super::record`] and read by the statistics and the exporters.

use super::capacity::CapacityBack;
use crate::model::NodeId;
use crate::safeguard::Interventions;
use crate::time::{SimDuration, SimTime};
use crate::typo::Selector;

/// What one run did to one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeOutcome {
    /// Total time fully unavailable, up to the horizon.
    pub downtime: SimDuration,
    /// Traffic-weighted unavailability: the time integral of the share not served (equal to
    /// `downtime` for a node that is either fully up or fully down).
    pub lost_service: SimDuration,
    /// The smallest share of its traffic served at any time, in millionths.
    pub min_served: u32,
    /// When it first became fully unavailable.
    pub down_at: Option<SimTime>,
    /// When it first served again (partially or fully) after that.
    pub serving_at: Option<SimTime>,
    /// When it last became fully available after having lost traffic.
    pub recovered_at: Option<SimTime>,
    /// Its cascade depth: 1 if it lost traffic on its own, else one more than the deepest
    /// node it needs that lost traffic; 0 if it never lost any.
    pub depth: u32,
    /// Still fully unavailable when the run stopped at the horizon: `downtime` is then a
    /// lower bound (right-censored).
    pub still_down: bool,
    /// Still losing traffic when the run stopped at the horizon: `lost_service` is then a
    /// lower bound.
    pub still_losing: bool,
    /// For a subsystem: whether it lost servers, and when 50 %, 90 % and 100 % of them
    /// were back in service for good.
    pub capacity: CapacityBack,
}

impl NodeOutcome {
    /// Whether the node lost nothing in the run: every value of it is zero.
    pub fn lost_nothing(&self) -> bool {
        self.depth == 0
            && self.down_at.is_none()
            && self.downtime.as_millis() == 0
            && self.lost_service.as_millis() == 0
            && !self.still_down
            && !self.still_losing
    }
}

/// What one run did, in total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The count the tool read from the typed digits.
    pub count_typed: u64,
    /// Which servers the typed selector matched.
    pub selector: Option<Selector>,
    /// What the safeguards did.
    pub interventions: Interventions,
    /// Servers actually removed (the tool cannot remove more than there are).
    pub servers_removed: u64,
    /// Whether any service lost traffic (fully or in part).
    pub outage: bool,
    /// Whether any customer-facing (not internal) service lost traffic.
    pub facing_outage: bool,
    /// Whether any customer lost traffic.
    pub customer_outage: bool,
    /// The largest share of any service's traffic not served at some time, in millionths.
    pub blast_radius: u32,
    /// The deepest cascade depth of any node (0: nothing lost traffic).
    pub cascade_depth: u32,
    /// Time from the command until every node that lost traffic was fully available again;
    /// `None` if nothing did, or if something had not by the horizon.
    pub recovery: Option<SimDuration>,
    /// Whether the run stopped at the horizon with something not yet recovered.
    pub horizon_hit: bool,
    /// The data lost, as the time before the command back to the last backup: the longest
    /// window of any subsystem whose data a removal destroyed; `None` if none did.
    pub data_loss: Option<SimDuration>,
    /// Events processed.
    pub events: u64,
    /// Per node, indexed like [`Model::nodes`](crate::model::Model::nodes).
    pub nodes: Vec<NodeOutcome>,
    /// The nodes the run changed, each once, in the order first changed: every other
    /// node's outcome is as at the start (it lost nothing). What a run costs to read.
    pub touched: Vec<NodeId>,
}
