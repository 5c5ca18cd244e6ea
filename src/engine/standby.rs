//! Standby activation. A standby serves nothing until a node that may fall back on it has
//! none of its `needs_any` alternatives up; it then activates, once in a run, and serves
//! when its `activation` time is over.

use super::agenda::Agenda;
use super::{Change, Event, Observer};
use crate::model::{Model, NodeId, NodeKind};
use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StandbyState {
    Idle,
    Activating,
    Ready,
}

/// Every standby's state during a run (indexed by node; only standbys' are used).
pub(super) struct Standbys {
    states: Vec<StandbyState>,
}

impl Standbys {
    /// Every standby idle, for a model of `n` nodes.
    pub fn new(n: usize) -> Self {
        Standbys {
            states: vec![StandbyState::Idle; n],
        }
    }

    /// Puts node `id`, which the last run touched, back as at the start of a run.
    #[inline]
    pub fn reset(&mut self, id: NodeId) {
        self.states[id.0] = StandbyState::Idle;
    }

    /// Whether standby `id` has finished activating.
    #[inline]
    pub fn ready(&self, id: NodeId) -> bool {
        self.states[id.0] == StandbyState::Ready
    }

    /// None of `options` is up: each of them that is an idle standby begins activating.
    #[inline]
    pub fn activate<O: Observer>(
        &mut self,
        now: SimTime,
        (model, options): (&Model, &[NodeId]),
        agenda: &mut Agenda,
        obs: &mut O,
    ) {
        for &d in options {
            if let NodeKind::Standby { activation } = model.node(d).kind {
                if self.states[d.0] == StandbyState::Idle {
                    agenda.touch(d);
                    self.states[d.0] = StandbyState::Activating;
                    agenda.at(now + activation, Event::StandbyReady { node: d });
                    obs.observe(now, d, Change::Activating);
                }
            }
        }
    }

    /// Standby `id` has finished activating.
    #[inline]
    pub fn activated(&mut self, id: NodeId, agenda: &mut Agenda) {
        self.states[id.0] = StandbyState::Ready;
        agenda.changed(id);
    }
}
