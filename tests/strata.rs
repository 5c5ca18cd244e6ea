//! Estimates by strata of the discrete input, checked against plain Monte Carlo where
//! outages are common, against exact answers where a stratum has no chance left in it, and
//! for determinism.

use std::sync::atomic::AtomicBool;

use blastradius::model::Model;
use blastradius::montecarlo::{self, Plan};
use blastradius::report::{Interval, Report, StrataReport};
use blastradius::sampling::typed_counts;
use blastradius::scenario;
use blastradius::stratified::{self, Options};

fn fixture(name: &str) -> Model {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    scenario::load(&path).expect("fixture loads")
}

fn strata(model: &Model, runs: u64, threads: usize) -> StrataReport {
    strata_up_to(model, runs, threads, 2)
}

fn strata_up_to(model: &Model, runs: u64, threads: usize, max_errors: u32) -> StrataReport {
    let options = Options {
        runs,
        seed: 7,
        threads,
        max_errors,
    };
    let est =
        stratified::run(model, options, &mut |_, _| {}, &AtomicBool::new(false)).expect("runs");
    StrataReport::new(model, &est, 7)
}

fn plain(model: &Model, runs: u64) -> Report {
    let plan = Plan {
        runs,
        seed: 11,
        threads: 2,
    };
    let acc =
        montecarlo::run(model, plan, None, &mut |_| {}, &AtomicBool::new(false)).expect("runs");
    Report::new(model, &plan, &acc)
}

/// Whether two independent estimates agree: their difference within 4 standard errors of
/// it (each standard error read off its 95 % interval). A correct estimator fails this
/// about once in 15,000 comparisons.
fn agree(what: &str, a: f64, a_ci: [f64; 2], b: f64, b_ci: [f64; 2]) {
    let se = |ci: [f64; 2]| (ci[1] - ci[0]) / 2.0 / 1.96;
    let tolerance = 4.0 * (se(a_ci).powi(2) + se(b_ci).powi(2)).sqrt();
    assert!(
        (a - b).abs() <= tolerance.max(1e-12),
        "{what}: strata {a} {a_ci:?}, plain {b} {b_ci:?}"
    );
}

#[test]
fn strata_agree_with_plain_monte_carlo_where_outages_are_common() {
    let model = fixture("typo-mix.toml");
    let p = plain(&model, 200_000);
    // With two keystroke errors enumerated, three-error inputs are left out: they widen
    // the upper ends, and the estimates still agree.
    let s = strata(&model, 30_000, 2);
    assert!(
        s.strata.left_out_probability > 1e-3,
        "three keys, two errors"
    );
    for (name, node) in &s.nodes {
        let u = &p.nodes[name].unavailable_probability;
        let i = node.unavailable_probability;
        agree(name, i.estimate, i.ci95, u.estimate, u.ci95);
    }
    // All three enumerated: nothing is left out.
    let s = strata_up_to(&model, 30_000, 2, 3);
    assert!(s.strata.left_out_probability < 1e-15, "{:?}", s.strata);
    agree(
        "outage",
        s.outage_probability.estimate,
        s.outage_probability.ci95,
        p.outage_probability.estimate,
        p.outage_probability.ci95,
    );
    for (name, node) in &s.nodes {
        let q = &p.nodes[name];
        let Interval { estimate, ci95 } = node.unavailable_probability;
        let u = &q.unavailable_probability;
        agree(
            &format!("{name} unavailable"),
            estimate,
            ci95,
            u.estimate,
            u.ci95,
        );
        let Interval { estimate, ci95 } = node.impacted_probability;
        let i = &q.impacted_probability;
        agree(
            &format!("{name} impacted"),
            estimate,
            ci95,
            i.estimate,
            i.ci95,
        );
        let Interval { estimate, ci95 } = node.expected_downtime_s;
        let d = &q.downtime_s;
        agree(
            &format!("{name} mean downtime"),
            estimate,
            ci95,
            d.mean.unwrap(),
            d.mean_ci95.unwrap(),
        );
    }
    // Even where outages are common, strata are no less precise than plain sampling with
    // as many runs (here a quarter wider at most, for the smoothing that keeps unseen
    // events uncertain).
    let p = plain(&model, s.runs);
    let width = |ci: [f64; 2]| ci[1] - ci[0];
    for (name, node) in &s.nodes {
        let (a, b) = (
            node.unavailable_probability,
            &p.nodes[name].unavailable_probability,
        );
        assert!(
            width(a.ci95) < 1.25 * width(b.ci95),
            "{name}: {a:?} vs {b:?}"
        );
    }
}

#[test]
fn a_stratum_without_chance_is_known_exactly() {
    // 20 servers, minimum 15, constant 1-minute boots 5 at a time: a typed count of 6 or
    // more stops the fleet, which serves again with 15 back (its minimum, the default
    // `serve_at`) after exactly three waves; 5 or fewer leave it running. Every stratum is
    // deterministic, so P(unavailable) is the exact probability of typing 6 or more, and
    // downtime given unavailable is 180 s, with no width.
    let model = scenario::parse(
        "exact.toml",
        "[scenario]\nname = \"exact\"\n\n[subsystems.fleet]\nservers = 20\nmin_capacity = 15\n\
         restart = { parallelism = 5, boot_time = { dist = \"constant\", value = \"1m\" } }\n\n\
         [services.api]\nneeds = [\"fleet\"]\n\n\
         [command]\ntarget = \"fleet\"\ncount = 3\n\
         number_typos = { per_keystroke = 0.1 }\n",
    )
    .expect("valid");
    let s = strata(&model, 1_000, 1);
    assert_eq!(s.strata.random, 0);
    let (counts, left) = typed_counts(&model.command.number_typos, "3", 2);
    let p: f64 = counts
        .iter()
        .filter(|c| c.count >= 6)
        .map(|c| c.probability)
        .sum();
    let api = &s.nodes["api"];
    assert!((api.unavailable_probability.estimate - p).abs() < 1e-15);
    assert_eq!(
        api.unavailable_probability.ci95,
        [
            api.unavailable_probability.estimate,
            api.unavailable_probability.estimate + left
        ]
    );
    let given = api.downtime_given_unavailable_s.unwrap();
    assert_eq!((given.estimate, given.ci95), (180.0, [180.0, 180.0]));
    // And so is every quantile of it, with no width.
    let q = api.downtime_given_unavailable_quantiles_s.unwrap();
    for (name, q) in [("p50", q.p50), ("p90", q.p90), ("p99", q.p99)] {
        assert_eq!(
            (q.estimate, q.ci95),
            (180.0, [Some(180.0), Some(180.0)]),
            "{name}"
        );
    }
    // Everything is back after the fourth wave: recovery 240 s, exactly, every quantile too.
    let back = s.recovery_given_outage_s.unwrap();
    assert_eq!((back.estimate, back.ci95), (240.0, [240.0, 240.0]));
    let q = s.recovery_given_outage_quantiles_s.unwrap();
    assert_eq!(
        (q.p99.estimate, q.p99.ci95),
        (240.0, [Some(240.0), Some(240.0)])
    );
    assert!(s.not_back_at_horizon_probability.is_none());
    // Expected downtime per command: 180 s times the probability, exactly.
    assert!((api.expected_downtime_s.estimate - 180.0 * p).abs() < 1e-12);
}

#[test]
fn strata_are_the_same_on_any_thread_count() {
    let model = fixture("typo-mix.toml");
    let one = serde_json::to_string(&strata(&model, 5_000, 1)).unwrap();
    let two = serde_json::to_string(&strata(&model, 5_000, 2)).unwrap();
    let three = serde_json::to_string(&strata(&model, 5_000, 3)).unwrap();
    assert_eq!(one, two);
    assert_eq!(one, three);
}

#[test]
fn intervals_stay_in_range() {
    let model = fixture("typo-mix.toml");
    let s = strata(&model, 3_000, 2);
    let inside = |what: &str, i: &Interval, hi: f64| {
        assert!(
            0.0 <= i.ci95[0]
                && i.ci95[0] <= i.estimate
                && i.estimate <= i.ci95[1]
                && i.ci95[1] <= hi,
            "{what}: {i:?}"
        );
    };
    inside("outage", &s.outage_probability, 1.0);
    for (name, n) in &s.nodes {
        inside(name, &n.unavailable_probability, 1.0);
        inside(name, &n.impacted_probability, 1.0);
        inside(name, &n.expected_downtime_s, f64::INFINITY);
        if let Some(d) = &n.downtime_given_unavailable_s {
            inside(name, d, f64::INFINITY);
        }
        if let Some(q) = &n.downtime_given_unavailable_quantiles_s {
            for q in [q.p50, q.p90, q.p99] {
                let lo = q.ci95[0].unwrap();
                assert!(0.0 <= lo && lo <= q.estimate, "{name}: {q:?}");
                assert!(
                    q.ci95[1].map_or(true, |hi| q.estimate <= hi),
                    "{name}: {q:?}"
                );
            }
            assert!(q.p50.estimate <= q.p90.estimate && q.p90.estimate <= q.p99.estimate);
        }
    }
}

#[test]
fn quantiles_given_unavailable_agree_with_plain_monte_carlo() {
    // Where outages are common, the strata's p50 and p90 of a node's downtime when it is
    // down agree with the plain runs' quantiles over their down runs: the plain value
    // lies within the strata's interval widened by its bucket (0.2 %).
    let model = fixture("typo-mix.toml");
    let s = strata_up_to(&model, 30_000, 2, 3);
    let plan = Plan {
        runs: 100_000,
        seed: 3,
        threads: 2,
    };
    let acc = montecarlo::run(&model, plan, None, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let i = model.find("api").unwrap().index();
    // The plain runs' downtime of api counts zeros for runs where it stayed up: its
    // quantile q over down runs is its quantile 1 − (1 − q)·P(down) over all runs.
    let t = &acc.nodes[i].downtime;
    let p_down = acc.nodes[i].down_runs as f64 / acc.runs as f64;
    let q = s.nodes["api"]
        .downtime_given_unavailable_quantiles_s
        .unwrap();
    for (level, strata_q) in [(0.5, q.p50), (0.9, q.p90)] {
        let plain = t.quantile(1.0 - (1.0 - level) * p_down).unwrap() as f64 / 1e3;
        let lo = strata_q.ci95[0].unwrap() * 0.995;
        let hi = strata_q.ci95[1].unwrap() * 1.005;
        assert!(
            lo <= plain && plain <= hi,
            "p{}: plain {plain}, strata {strata_q:?}",
            level * 100.0
        );
    }
}

#[test]
fn a_host_pattern_is_enumerated_exactly() {
    // k-of-n: a pattern matches each of 20 servers with probability 0.2 and the fleet
    // needs 15: it fails when 6 or more match, P = P(Binomial(20, 0.2) >= 6) = 0.19579.
    // With the matched count enumerated, every input is deterministic (constant boots):
    // the answer is exact, its interval only as wide as the neglected binomial tail.
    let model = fixture("k-of-n.toml");
    let s = strata(&model, 1_000, 1);
    assert_eq!(s.strata.random, 0, "{:?}", s.strata);
    let exact: f64 = (6..=20u32)
        .map(|k| {
            let choose = (0..k).fold(1.0, |c, i| c * f64::from(20 - i) / f64::from(i + 1));
            choose * 0.2f64.powi(k as i32) * 0.8f64.powi(20 - k as i32)
        })
        .sum();
    let p = s.nodes["api"].unavailable_probability;
    assert!(
        (p.estimate - exact).abs() < 1e-12,
        "{} vs {exact}",
        p.estimate
    );
    assert!(p.ci95[1] - p.ci95[0] < 1e-15, "{:?}", p.ci95);
    assert!((exact - 0.19579).abs() < 1e-5);
}

/// P(wide-pattern.toml's fleet falls below its minimum) = 0.01 × P(Binomial(20000, 1/2)
/// ≥ 10284): computed from the mode by the ratio of neighbouring terms, an independent
/// route to the same number.
fn wide_pattern_exact() -> f64 {
    let (n, threshold) = (20_000u64, 10_284u64);
    let mut term = 1.0f64; // relative to the mode's term, at k = 10000
    let (mut tail, mut total) = (0.0, 1.0);
    for k in n / 2..n {
        term *= (n - k) as f64 / (k + 1) as f64;
        if k + 1 >= threshold {
            tail += term;
        }
        total += term;
    }
    // The lower half mirrors the upper one (p = 1/2).
    let exact = 0.01 * tail / (2.0 * total - 1.0);
    assert!((2e-7..4e-7).contains(&exact), "{exact}");
    exact
}

#[test]
fn a_wide_host_pattern_is_enumerated_out_to_its_far_tail() {
    // 1,357 matched counts are not negligible; the damage starts 4 standard deviations
    // out. Every count is an input of its own, deterministic here: the answer is exact.
    let exact = wide_pattern_exact();
    let s = strata(&fixture("wide-pattern.toml"), 20_000, 2);
    assert_eq!(s.strata.random, 0, "{:?}", s.strata);
    assert!(s.strata.count > 1_000, "{:?}", s.strata);
    let p = s.nodes["api"].unavailable_probability;
    assert!((p.estimate / exact - 1.0).abs() < 1e-9, "{p:?} vs {exact}");
    assert!(p.ci95[1] - p.ci95[0] < 1e-15, "{:?}", p.ci95);
    // Every run that takes it down keeps it down for one boot: exactly 1 h.
    let down = s.nodes["api"].downtime_given_unavailable_s.expect("some");
    assert!((down.estimate - 3600.0).abs() < 1e-9, "{down:?}");
    // Plain Monte Carlo at the same runs would expect 0.006 outages: nothing to go on.
}

#[test]
fn a_wide_host_pattern_with_typed_counts_is_cut_into_ranges_that_reach_its_tail() {
    // Keystroke errors make the pattern's 1,357 counts too many inputs once per typed
    // count: each pattern is cut into 256 ranges of about 5 counts, drawn within, and one
    // more at the count that takes the fleet below its minimum. Those from it on always
    // take the fleet down and those short of it never, so the estimate is exact; the
    // interval stays honest about ranges in which no run happened to see an outage.
    let path = format!(
        "{}/tests/fixtures/wide-pattern.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture")
        + "\n[command.number_typos]\nper_keystroke = 0.01\n";
    let model = scenario::parse("wide-pattern-typed.toml", &text).expect("parses");
    let exact = wide_pattern_exact();
    let s = strata(&model, 20_000, 2);
    assert!(s.strata.random > 256, "{:?}", s.strata);
    let p = s.nodes["api"].unavailable_probability;
    assert!(p.ci95[0] <= exact && exact <= p.ci95[1], "{p:?} vs {exact}");
    assert!((p.estimate / exact - 1.0).abs() < 1e-9, "{p:?} vs {exact}");
}
