//! The outcome's bookkeeping. As each node's level of service changes: the traffic it lost,
//! its downtime, its cascade depth and its milestones; when the run ends: what was still
//! down or losing traffic, and the totals (blast radius, cascade depth, recovery time).
//! It only reads the levels; what it keeps changes nothing in the run.

use super::capacity::CapacityBack;
use super::hot::{self, Hot};
use super::levels::{Level, Levels, FULL};
use super::{Health, NodeOutcome, Outcome};
use crate::model::NodeId;
use crate::time::{SimDuration, SimTime};
use crate::typo::Selector;

/// One node's running account of the traffic it lost.
#[derive(Clone, Copy, Debug, Default)]
struct Account {
    /// Since when its served share has had its value.
    since: SimTime,
    /// Traffic not served so far, in millionths × ms.
    lost: u128,
    down_since: Option<SimTime>,
}

/// A node's outcome before the run has done anything to it.
const UNTOUCHED: NodeOutcome = NodeOutcome {
    downtime: SimDuration::ZERO,
    lost_service: SimDuration::ZERO,
    min_served: FULL,
    down_at: None,
    serving_at: None,
    recovered_at: None,
    depth: 0,
    still_down: false,
    still_losing: false,
    capacity: CapacityBack::START,
};

/// What a run did so far.
pub(super) struct Record {
    accounts: Vec<Account>,
    /// The outcome, complete once [`Record::close`] has run.
    pub outcome: Outcome,
}

impl Record {
    /// Nothing done yet, to a model of `n` nodes.
    pub fn new(n: usize) -> Self {
        Record {
            accounts: vec![Account::default(); n],
            outcome: Outcome {
                nodes: vec![UNTOUCHED; n],
                ..Outcome::default()
            },
        }
    }

    /// Puts node `id`, which the last run touched, back as at the start of a run.
    #[inline]
    pub fn reset(&mut self, id: NodeId) {
        self.accounts[id.0] = Account::default();
        self.outcome.nodes[id.0] = UNTOUCHED;
    }

    /// A new run, of the typed `count` and `selector` (every node reset already).
    #[inline]
    pub fn start(&mut self, count: u64, selector: Selector) {
        self.outcome = Outcome {
            count_typed: count,
            selector: Some(selector),
            nodes: std::mem::take(&mut self.outcome.nodes),
            touched: std::mem::take(&mut self.outcome.touched),
            ..Outcome::default()
        };
        self.outcome.touched.clear();
    }

    /// Node `id` (of these [`hot`] `flags`, needing `needs` and one of `needs_any`) went
    /// from `from` to `to` at `now` (`levels` holds `to` already); on its own account it
    /// served `own_served`.
    #[inline]
    pub fn changed(
        &mut self,
        now: SimTime,
        (id, flags): (NodeId, u8),
        (needs, needs_any): (&[u32], &[NodeId]),
        (from, to): (Level, Level),
        own_served: u32,
        levels: &Levels,
    ) {
        let account = &mut self.accounts[id.0];
        account.lost +=
            u128::from(FULL - from.served) * u128::from((now - account.since).as_millis());
        account.since = now;
        if flags & hot::STANDBY != 0 {
            return; // a standby's idle time is not downtime
        }
        let losing = to.served < FULL;
        if losing && self.outcome.nodes[id.0].depth == 0 {
            let depth = if own_served < FULL {
                1
            } else {
                let deps = needs.iter().map(|&d| d as usize);
                let deps = deps.chain(needs_any.iter().map(|d| d.0));
                let deepest = deps
                    .filter(|&d| levels.get(NodeId(d)).served < FULL)
                    .map(|d| self.outcome.nodes[d].depth)
                    .max();
                deepest.unwrap_or(0) + 1
            };
            self.outcome.nodes[id.0].depth = depth;
        }
        let out = &mut self.outcome.nodes[id.0];
        out.min_served = out.min_served.min(to.served);
        if losing && flags & hot::SERVICE != 0 {
            self.outcome.outage = true;
            self.outcome.facing_outage |= flags & hot::INTERNAL == 0;
        }
        if losing && flags & hot::CUSTOMER != 0 {
            self.outcome.customer_outage = true;
        }
        let account = &mut self.accounts[id.0];
        let (from, to) = (from.health, to.health);
        if to == Health::Down && from != Health::Down {
            account.down_since = Some(now);
            out.down_at.get_or_insert(now);
        } else if from == Health::Down && to != Health::Down {
            if let Some(since) = account.down_since.take() {
                out.downtime += now - since;
                out.serving_at.get_or_insert(now);
            }
        }
        if out.depth > 0 {
            out.recovered_at = (to == Health::Up && !losing).then_some(now);
        }
    }

    /// Ends the run at `now` (the last event), or at `horizon` if something was left to
    /// happen (`idle`: no event was) or a node is still losing traffic: closes the accounts
    /// of the nodes in `outcome.touched` and makes the totals.
    #[inline]
    pub fn close(
        &mut self,
        hot: &Hot,
        levels: &Levels,
        (now, horizon): (SimTime, SimTime),
        idle: bool,
    ) {
        // A node the run did not touch is as it started: up, and never lost traffic.
        let reported = |id: &NodeId| hot.flags(*id) & hot::STANDBY == 0;
        let touched = std::mem::take(&mut self.outcome.touched);
        if touched.iter().all(|id| self.outcome.nodes[id.0].depth == 0) {
            self.outcome.touched = touched;
            return; // nothing lost traffic: the outcome is as reset left it
        }
        // With nothing left to happen, a node still losing traffic never recovers: it stays
        // so until the horizon.
        let stuck = touched
            .iter()
            .filter(|id| reported(id))
            .any(|id| levels.get(*id).served < FULL);
        let end = if idle && !stuck { now } else { horizon };
        let mut all_back = true;
        let mut latest = SimTime::ZERO;
        let mut any_lost = false;
        for &id in touched.iter().filter(|id| reported(id)) {
            let account = &mut self.accounts[id.0];
            let served = levels.get(id).served;
            let out = &mut self.outcome.nodes[id.0];
            if let Some(since) = account.down_since.take() {
                out.downtime += end - since;
                out.still_down = true;
            }
            out.still_losing = served < FULL;
            account.lost +=
                u128::from(FULL - served) * u128::from((end - account.since).as_millis());
            out.lost_service = SimDuration::from_millis((account.lost / u128::from(FULL)) as u64);
            if out.depth > 0 {
                any_lost = true;
                match out.recovered_at {
                    Some(t) => latest = latest.max(t),
                    None => all_back = false,
                }
            }
            if hot.flags(id) & hot::SERVICE != 0 {
                self.outcome.blast_radius = self.outcome.blast_radius.max(FULL - out.min_served);
            }
            self.outcome.cascade_depth = self.outcome.cascade_depth.max(out.depth);
        }
        self.outcome.touched = touched;
        self.outcome.horizon_hit = any_lost && !all_back;
        self.outcome.recovery = (any_lost && all_back).then(|| latest.since_start());
    }
}
