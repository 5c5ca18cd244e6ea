//! How a round's runs are shared among the inputs: in proportion to their probabilities
//! first (the pilot), then by Neyman allocation on what the pilot saw.

use super::rounds::Job;
use super::{Paired, MIN_RUNS};
use crate::model::Model;

/// Half the budget in proportion to the inputs' probabilities (the largest over the
/// variants), at least [`MIN_RUNS`] runs for every input with chance in some variant.
pub(super) fn proportional(p: &Paired, budget: u64) -> Vec<Job> {
    let weight = |u: usize| -> Option<f64> {
        let mut random = false;
        let mut w = 0.0f64;
        for (v, h) in p.inputs[u].iter().enumerate() {
            if let Some(h) = *h {
                let est = &p.variants[v];
                random |= !est.deterministic[h];
                w = w.max(est.strata.strata[h].probability);
            }
        }
        random.then_some(w)
    };
    let weights: Vec<f64> = (0..p.inputs.len())
        .map(|u| weight(u).unwrap_or(0.0))
        .collect();
    let shares = apportion(budget, &weights);
    (0..p.inputs.len())
        .filter(|&u| weight(u).is_some())
        .map(|u| (u, p.runs[u], shares[u].max(MIN_RUNS)))
        .filter(|&(_, a, b)| b > a)
        .collect()
}

/// Splits `budget` runs in proportion to `weights` by the largest-remainder method, so
/// that the parts add up to the budget exactly (ties to the earlier).
fn apportion(budget: u64, weights: &[f64]) -> Vec<u64> {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 || budget == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| budget as f64 * w / total).collect();
    let mut parts: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let given: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(budget.saturating_sub(given) as usize) {
        parts[i] += 1;
    }
    parts
}

/// The rest of the budget by Neyman allocation, averaged over variants and nodes.
pub(super) fn neyman(models: &[&Model], p: &Paired, budget: u64) -> Vec<Job> {
    let n = p.inputs.len();
    let mut share = vec![0.0f64; n];
    let mut parts = 0usize;
    for (v, model) in models.iter().enumerate() {
        let est = &p.variants[v];
        for (id, _) in model.reported() {
            let mut score = vec![0.0f64; n];
            for (u, input) in p.inputs.iter().enumerate() {
                let Some(h) = input[v] else { continue };
                if est.exact(h, id.index()) {
                    continue;
                }
                let acc = &est.results[h];
                // Laplace-smoothed share of runs in which the node lost traffic.
                let impacted = acc.nodes.get(id.index()).impacted_runs as f64;
                let q = (impacted + 1.0) / (acc.runs as f64 + 2.0);
                score[u] = est.strata.strata[h].probability * (q * (1.0 - q)).sqrt();
            }
            let sum: f64 = score.iter().sum();
            if sum > 0.0 {
                parts += 1;
                for u in 0..n {
                    share[u] += score[u] / sum;
                }
            }
        }
    }
    if parts == 0 {
        return Vec::new();
    }
    apportion(budget, &share)
        .into_iter()
        .enumerate()
        .filter(|&(_, add)| add > 0)
        .map(|(u, add)| (u, p.runs[u], p.runs[u] + add))
        .collect()
}
