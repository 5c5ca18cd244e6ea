//! Safeguards on the operator's tool: what stands between a typed input and the servers it
//! removes. A confirmation over a blast-radius threshold, a minimum-capacity guard that
//! refuses or clips, and a rate limit under which monitoring notices the anomaly and the
//! operator aborts. Each safeguard can itself fail (not work) for a given command.
//!
//! The output is a list of timed removal steps for the engine; this module knows nothing
//! of what the removal then does.

use rand::Rng;

use crate::model::{Delay, Model, NodeId, NodeKind};
use crate::time::{SimDuration, SimTime};

/// What the minimum-capacity guard does with a removal that would take a subsystem below
/// its minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardMode {
    /// Removes nothing at all.
    Refuse,
    /// Removes only down to the minimum.
    Clip,
}

/// The minimum-capacity guard.
#[derive(Clone, Debug, PartialEq)]
pub struct Guard {
    /// Refuse or clip.
    pub mode: GuardMode,
    /// Probability that it does not work for a command.
    pub fails: f64,
}

/// Removal at most `servers` servers per `per`; after `detection` (from the command)
/// monitoring notices a wrong removal and the operator aborts what is left of it.
#[derive(Clone, Debug)]
pub struct RateLimit {
    /// Servers removed per step.
    pub servers: u64,
    /// Time between steps.
    pub per: SimDuration,
    /// Time from the command until a wrong removal is noticed and aborted.
    pub detection: Delay,
    /// Probability that the limit does not work for a command (everything goes at once).
    pub fails: f64,
}

/// A confirmation prompt for commands that would remove more than `above` servers.
#[derive(Clone, Debug, PartialEq)]
pub struct Confirmation {
    /// Servers above which the tool asks.
    pub above: u64,
    /// Probability that the operator confirms a wrong input anyway.
    pub confirm_anyway: f64,
    /// Probability that the prompt does not appear.
    pub fails: f64,
}

/// The safeguards of the operator's tool; any may be absent.
#[derive(Clone, Debug, Default)]
pub struct Safeguards {
    /// Minimum-capacity guard.
    pub guard: Option<Guard>,
    /// Rate limit with detection and abort.
    pub rate_limit: Option<RateLimit>,
    /// Confirmation over a threshold.
    pub confirmation: Option<Confirmation>,
}

/// What the safeguards did to one command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interventions {
    /// The operator declined at the confirmation prompt.
    pub declined: bool,
    /// The guard refused the whole command.
    pub refused: bool,
    /// The guard clipped the removal to the minimum.
    pub clipped: bool,
    /// The rate-limited removal was aborted before it finished.
    pub aborted: bool,
    /// Some safeguard that exists did not work for this command.
    pub failed: bool,
    /// Which did not: the confirmation prompt (it did not appear), the guard, the rate
    /// limit.
    pub failures: Failures,
    /// The prompt asked about a wrong input, and the operator confirmed it.
    pub confirmed: bool,
}

/// Which safeguards did not work for one command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// The confirmation prompt did not appear.
    pub prompt: bool,
    /// The minimum-capacity guard did not check.
    pub guard: bool,
    /// The rate limit did not hold the removal back.
    pub limit: bool,
}

/// One timed removal: `servers` servers of `node` at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// When.
    pub at: SimTime,
    /// The subsystem.
    pub node: NodeId,
    /// How many servers.
    pub servers: u64,
}

/// How the safeguards' chance outcomes fall for one command: each `None` is drawn from the
/// run's random stream, each `Some` is fixed (by a sampling plan that enumerates them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fates {
    /// Whether the confirmation prompt works (appears).
    pub prompt_works: Option<bool>,
    /// Whether the operator, asked about a wrong input, confirms it anyway.
    pub confirmed_anyway: Option<bool>,
    /// Whether the minimum-capacity guard works.
    pub guard_works: Option<bool>,
    /// Whether the rate limit works.
    pub limit_works: Option<bool>,
    /// How many servers a host pattern (a selector's one `each` entry) matched: exactly,
    /// or within a range (then drawn from the binomial within it); `None`: drawn.
    pub matched: Option<Matched>,
}

/// The servers a host pattern matched: `lo` to `hi` (both included); exactly `lo` when
/// they are equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Matched {
    /// Fewest.
    pub lo: u64,
    /// Most.
    pub hi: u64,
}

impl Matched {
    /// Exactly `k`.
    pub fn exactly(k: u64) -> Matched {
        Matched { lo: k, hi: k }
    }

    /// Whether it is one count.
    pub fn is_exact(self) -> bool {
        self.lo == self.hi
    }
}

/// Whether a safeguard that fails with probability `fails` works: `fate` if fixed, else
/// drawn. Records a failure in `failed`.
fn works<R: Rng + ?Sized>(fails: f64, fate: Option<bool>, rng: &mut R, failed: &mut bool) -> bool {
    let broken = match fate {
        Some(works) => !works,
        None => fails > 0.0 && rng.random::<f64>() < fails,
    };
    *failed |= broken;
    !broken
}

fn fleet(model: &Model, node: NodeId) -> (u64, u64) {
    match &model.node(node).kind {
        NodeKind::Subsystem(s) => (s.servers, s.min_servers),
        _ => (0, 0),
    }
}

impl Safeguards {
    /// Turns the tool's removal `plan` (servers per subsystem, as asked) into timed steps.
    /// `wrong` says whether the typed input differs from what was meant: a prompt or
    /// monitoring only catches a wrong command. Returns when the operator aborts, if they do.
    pub fn apply<R: Rng + ?Sized>(
        &self,
        model: &Model,
        plan: &[(NodeId, u64)],
        input: (bool, Fates),
        rng: &mut R,
        steps: &mut Vec<Step>,
        did: &mut Interventions,
    ) -> Option<SimTime> {
        *did = Interventions::default();
        let abort = self.steps(model, plan, input, rng, steps, did);
        let f = did.failures;
        did.failed = f.prompt || f.guard || f.limit;
        abort
    }

    /// [`Safeguards::apply`], but for `did.failed`.
    fn steps<R: Rng + ?Sized>(
        &self,
        model: &Model,
        plan: &[(NodeId, u64)],
        (wrong, fates): (bool, Fates),
        rng: &mut R,
        steps: &mut Vec<Step>,
        did: &mut Interventions,
    ) -> Option<SimTime> {
        steps.clear();
        if self.guard.is_none() && self.rate_limit.is_none() && self.confirmation.is_none() {
            // No safeguard: the tool removes what it was asked, at once.
            steps.extend(plan.iter().map(|&(node, servers)| Step {
                at: SimTime::ZERO,
                node,
                servers,
            }));
            return None;
        }
        // One entry per subsystem, in first-mentioned order, at most its whole fleet.
        let mut asked: Vec<(NodeId, u64)> = Vec::with_capacity(plan.len());
        for &(node, n) in plan {
            match asked.iter_mut().find(|(m, _)| *m == node) {
                Some((_, total)) => *total = total.saturating_add(n),
                None => asked.push((node, n)),
            }
        }
        for (node, n) in &mut asked {
            *n = (*n).min(fleet(model, *node).0);
        }
        if let Some(c) = &self.confirmation {
            let total: u64 = asked.iter().map(|(_, n)| n).sum();
            if works(c.fails, fates.prompt_works, rng, &mut did.failures.prompt)
                && wrong
                && total > c.above
            {
                if !fates
                    .confirmed_anyway
                    .unwrap_or_else(|| rng.random::<f64>() < c.confirm_anyway)
                {
                    did.declined = true;
                    return None;
                }
                did.confirmed = true;
            }
        }
        if let Some(g) = &self.guard {
            if works(g.fails, fates.guard_works, rng, &mut did.failures.guard) {
                for (node, n) in &mut asked {
                    let (servers, min) = fleet(model, *node);
                    if servers - *n < min {
                        match g.mode {
                            GuardMode::Refuse => {
                                did.refused = true;
                                return None;
                            }
                            GuardMode::Clip => {
                                did.clipped = true;
                                *n = servers - min;
                            }
                        }
                    }
                }
            }
        }
        match &self.rate_limit {
            Some(r) if works(r.fails, fates.limit_works, rng, &mut did.failures.limit) => {
                let abort = wrong.then(|| SimTime::ZERO + r.detection.sample(rng));
                let mut at = SimTime::ZERO;
                let mut budget = r.servers;
                'steps: for &(node, mut n) in &asked {
                    while n > 0 {
                        if abort.is_some_and(|a| at >= a) {
                            did.aborted = true;
                            break 'steps;
                        }
                        let take = n.min(budget);
                        steps.push(Step {
                            at,
                            node,
                            servers: take,
                        });
                        n -= take;
                        budget -= take;
                        if budget == 0 {
                            budget = r.servers;
                            at = at + r.per;
                        }
                    }
                }
                abort.filter(|_| did.aborted)
            }
            _ => {
                steps.extend(asked.iter().map(|&(node, servers)| Step {
                    at: SimTime::ZERO,
                    node,
                    servers,
                }));
                None
            }
        }
    }
}
