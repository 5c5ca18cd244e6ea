//! Variants run on common random numbers: the union of their inputs, the metrics compared
//! and, per input, the sums of products that give the paired differences' variances.

use std::collections::{BTreeMap, HashMap};

use super::Estimate;
use crate::engine::Outcome;
use crate::model::{Model, NodeKind};

/// A quantity compared between variants, one value per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// 1 if some customer-facing service lost traffic.
    FacingOutage,
    /// 1 if some service lost traffic.
    Outage,
    /// 1 if some customer lost traffic.
    CustomerOutage,
    /// 1 if the node (index in the first variant) became fully unavailable.
    Unavailable(usize),
    /// The node's time fully unavailable, in seconds.
    Downtime(usize),
    /// The node's traffic-weighted unavailability, in seconds.
    LostService(usize),
}

/// Several variants of a scenario run on common random numbers.
#[derive(Clone, Debug)]
pub struct Paired {
    /// Per variant, its strata and results.
    pub variants: Vec<Estimate>,
    /// Every input of any variant (by stream key), the first variant's first: per input,
    /// its stratum in each variant, if that variant has it.
    pub inputs: Vec<Vec<Option<usize>>>,
    /// What is compared, on the first variant's reported nodes.
    pub metrics: Vec<Metric>,
    /// Per variant, per node of the first variant: the node of the same name.
    pub nodes: Vec<Vec<Option<usize>>>,
    /// Per input, per variant, per metric: over the paired runs, with δ the variant's
    /// value minus the first's and y the first's (whole milliseconds, or 0 and 1),
    /// [Σδ, Σδ², Σδ·y], exactly: the same on any thread count, and zero for a variant
    /// identical to the first.
    pub cross: Vec<Vec<Vec<[i128; 3]>>>,
    /// Per input: runs done (the same in every variant that has it).
    pub runs: Vec<u64>,
}

impl Paired {
    /// The inputs of `variants`; the metrics compared only if `pairs`.
    pub(super) fn new(models: &[&Model], variants: Vec<Estimate>, pairs: bool) -> Self {
        let mut index: BTreeMap<u64, usize> = BTreeMap::new();
        let mut inputs: Vec<Vec<Option<usize>>> = Vec::new();
        for (v, est) in variants.iter().enumerate() {
            for (h, s) in est.strata.strata.iter().enumerate() {
                let u = *index.entry(s.key).or_insert_with(|| {
                    inputs.push(vec![None; variants.len()]);
                    inputs.len() - 1
                });
                inputs[u][v] = Some(h);
            }
        }
        let first = models[0];
        let mut metrics = if pairs {
            vec![Metric::FacingOutage, Metric::Outage, Metric::CustomerOutage]
        } else {
            Vec::new()
        };
        for (id, _) in first.reported().filter(|_| pairs) {
            let i = id.index();
            metrics.extend([
                Metric::Unavailable(i),
                Metric::Downtime(i),
                Metric::LostService(i),
            ]);
        }
        let nodes = models.iter().map(|m| same_names(first, m)).collect();
        let m = metrics.len();
        Paired {
            cross: vec![vec![vec![[0; 3]; m]; variants.len()]; inputs.len()],
            runs: vec![0; inputs.len()],
            variants,
            inputs,
            metrics,
            nodes,
        }
    }

    /// Runs done, counting each input's runs once however many variants have it.
    pub fn runs(&self) -> u64 {
        self.runs.iter().sum()
    }

    /// The metrics' values in one run of variant `v`, into `out`: 0 or 1 for events,
    /// milliseconds for times.
    pub(super) fn values(&self, v: usize, o: &Outcome, out: &mut Vec<i128>) {
        out.clear();
        for m in &self.metrics {
            let node = |i: usize| self.nodes[v][i].map(|j| &o.nodes[j]);
            let ms = |d: crate::time::SimDuration| i128::from(d.as_millis());
            out.push(match *m {
                Metric::FacingOutage => i128::from(o.facing_outage),
                Metric::Outage => i128::from(o.outage),
                Metric::CustomerOutage => i128::from(o.customer_outage),
                Metric::Unavailable(i) => node(i).map_or(0, |n| i128::from(n.down_at.is_some())),
                Metric::Downtime(i) => node(i).map_or(0, |n| ms(n.downtime)),
                Metric::LostService(i) => node(i).map_or(0, |n| ms(n.lost_service)),
            });
        }
    }

    /// What one unit of metric `m`'s values is in the units reported: seconds for times.
    pub fn unit(m: Metric) -> f64 {
        match m {
            Metric::Downtime(_) | Metric::LostService(_) => 1e-3,
            _ => 1.0,
        }
    }

    /// Whether metric `m` of input `u` is known exactly in variant `v` (no chance in the
    /// stratum, or the stratum cannot affect what it measures), or `v` lacks the input.
    pub fn exact(&self, models: &[&Model], u: usize, v: usize, m: Metric) -> bool {
        let Some(h) = self.inputs[u][v] else {
            return true;
        };
        let est = &self.variants[v];
        let of_kind = |service: bool| {
            move |k: &NodeKind| {
                if service {
                    matches!(k, NodeKind::Service { .. })
                } else {
                    matches!(k, NodeKind::Customer { .. })
                }
            }
        };
        match m {
            Metric::FacingOutage => {
                let facing = |k: &NodeKind| {
                    matches!(
                        k,
                        NodeKind::Service {
                            internal: false,
                            ..
                        }
                    )
                };
                est.deterministic[h] || !est.can_affect(h, facing, models[v])
            }
            Metric::Outage => est.deterministic[h] || !est.can_affect(h, of_kind(true), models[v]),
            Metric::CustomerOutage => {
                est.deterministic[h] || !est.can_affect(h, of_kind(false), models[v])
            }
            Metric::Unavailable(i) | Metric::Downtime(i) | Metric::LostService(i) => {
                self.nodes[v][i].map_or(true, |j| est.exact(h, j))
            }
        }
    }
}

/// Per node of `first`, the node of `m` with the same name (the first such, as a search
/// would find), from a map of `m`'s names built once: a search per node took 40 s on
/// 100,000 nodes.
fn same_names(first: &Model, m: &Model) -> Vec<Option<usize>> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(m.nodes.len());
    for (i, n) in m.nodes.iter().enumerate() {
        index.entry(n.name.as_str()).or_insert(i);
    }
    first
        .nodes
        .iter()
        .map(|n| index.get(n.name.as_str()).copied())
        .collect()
}
