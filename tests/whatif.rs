//! What-if features change results in the direction and by the amount a careful engineer
//! would predict: safeguards, cells, restart drills, multi-region customers, backlogs and
//! operations over time. Fixed seeds throughout; tolerances are 4 standard errors.

use std::sync::atomic::AtomicBool;

use blastradius::engine::{Outcome, Simulation, Unobserved, FULL};
use blastradius::model::{Model, NodeKind, Subsystem, Validation};
use blastradius::montecarlo::{self, run_rng, Plan};
use blastradius::safeguard::{Confirmation, Guard, GuardMode, RateLimit};
use blastradius::scenario;
use blastradius::stats::Accumulator;
use blastradius::time::SimDuration;
use blastradius::typo::Selector;

fn load(name: &str) -> Model {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    scenario::load(if name.ends_with(".toml") { &path } else { name }).expect("scenario loads")
}

fn batch(model: &Model, runs: u64, seed: u64) -> Accumulator {
    let plan = Plan {
        runs,
        seed,
        threads: 2,
    };
    montecarlo::run(model, plan, None, &mut |_| {}, &AtomicBool::new(false)).expect("runs")
}

fn id(model: &Model, name: &str) -> usize {
    model.find(name).expect("node exists").index()
}

/// The S3 model with typos made frequent, so that wrong commands are common.
fn s3_typo_storm(name: &str) -> Model {
    let mut model = load(name);
    model.command.number_typos.per_keystroke = 0.3;
    model.command.target_typos.probability = 0.5;
    model
}

/// Replays the 2017 input `runs` times with different random streams.
fn replays(model: &Model, runs: u64) -> Vec<Outcome> {
    let input = model.command.as_typed.clone().expect("pinned input");
    let mut sim = Simulation::new(model);
    (0..runs)
        .map(|run| {
            sim.run_input(
                input.count,
                input.selector,
                &mut run_rng(9, run),
                &mut Unobserved,
            )
            .clone()
        })
        .collect()
}

fn secs(
    o: &Outcome,
    model: &Model,
    node: &str,
    f: impl Fn(&blastradius::engine::NodeOutcome) -> Option<blastradius::time::SimTime>,
) -> f64 {
    f(&o.nodes[id(model, node)]).map_or(f64::NAN, |t| t.since_start().as_secs_f64())
}

// ---------------------------------------------------------------- safeguards

#[test]
fn a_working_guard_never_lets_a_subsystem_below_its_minimum() {
    for mode in [GuardMode::Refuse, GuardMode::Clip] {
        let mut model = s3_typo_storm("s3-2017");
        model.command.safeguards.guard = Some(Guard { mode, fails: 0.0 });
        let acc = batch(&model, 50_000, 1);
        for (node, n) in model.reported() {
            if matches!(n.kind, NodeKind::Subsystem(_)) {
                assert_eq!(
                    acc.nodes[node.index()].down_runs,
                    0,
                    "{mode:?}: {} went down",
                    n.name
                );
            }
        }
        let acted = acc.safeguards.refused + acc.safeguards.clipped;
        assert!(
            acted > 1_000,
            "{mode:?}: the storm should give the guard work ({acted})"
        );
        assert_eq!(acc.outages, 0, "{mode:?}: no service can lose traffic");
    }
}

#[test]
fn a_guard_that_fails_one_time_in_ten_lets_one_wrong_command_in_ten_through() {
    let mut model = load("s3-2017");
    model.command.safeguards.guard = Some(Guard {
        mode: GuardMode::Refuse,
        fails: 0.1,
    });
    let runs = replays(&model, 10_000);
    let through = runs
        .iter()
        .filter(|o| o.nodes[id(&model, "index")].down_at.is_some())
        .count() as f64;
    let se = (0.1f64 * 0.9 / 10_000.0).sqrt();
    assert!((through / 10_000.0 - 0.1).abs() < 4.0 * se, "{through}");
}

#[test]
fn rate_limit_times_detection_bounds_the_servers_removed() {
    // 5 servers a minute, noticed after exactly 7 minutes: steps at 0, 1, … 6 minutes.
    let mut model = s3_typo_storm("s3-2017");
    let detection = blastradius::model::Delay::constant(SimDuration::from_secs(420));
    model.command.safeguards.rate_limit = Some(RateLimit {
        servers: 5,
        per: SimDuration::from_secs(60),
        detection,
        fails: 0.0,
    });
    let acc = batch(&model, 50_000, 2);
    assert!(
        acc.servers_removed.max().unwrap().value() <= 35,
        "max removed {:?}",
        acc.servers_removed.max()
    );
    assert!(
        acc.safeguards.aborted > 1_000,
        "aborted {}",
        acc.safeguards.aborted
    );
    // Without the limit the same storm removes far more.
    let unlimited = batch(&s3_typo_storm("s3-2017"), 50_000, 2);
    assert!(unlimited.servers_removed.max().unwrap().value() > 100);
}

#[test]
fn confirmation_lets_through_the_share_confirmed_anyway() {
    let mut model = load("s3-2017");
    model.command.safeguards.confirmation = Some(Confirmation {
        above: 50,
        confirm_anyway: 0.25,
        fails: 0.0,
    });
    let runs = replays(&model, 10_000);
    let through = runs.iter().filter(|o| o.outage).count() as f64 / 10_000.0;
    let se = (0.25f64 * 0.75 / 10_000.0).sqrt();
    assert!((through - 0.25).abs() < 4.0 * se, "{through}");
    assert!(runs
        .iter()
        .filter(|o| !o.outage)
        .all(|o| o.interventions.declined));
}

#[test]
fn the_guarded_scenario_refuses_the_2017_input() {
    let model = load("s3-2017-guarded");
    let runs = replays(&model, 2_000);
    let refused = runs.iter().filter(|o| o.interventions.refused).count();
    let outages = runs.iter().filter(|o| o.outage).count();
    // The guard fails 1 time in 100; then the rate limit and a 5-minute median detection
    // keep the removal small, so an outage needs a slow detection on top.
    assert!(refused > 1_940, "refused {refused}");
    assert!(outages < 20, "outages {outages}");
}

// ---------------------------------------------------------------- cells

#[test]
fn one_cell_of_k_lost_serves_k_minus_1_over_k() {
    for k in [2u64, 4, 8] {
        let mut model = load("cells.toml");
        let store = id(&model, "store");
        if let NodeKind::Subsystem(s) = &mut model.nodes[store].kind {
            s.cells = Subsystem::split(s.servers, s.min_servers, s.serve_servers, k);
        }
        model.command.count = 64 / k; // exactly one cell's servers
        let mut sim = Simulation::new(&model);
        let o = sim
            .run_input(
                64 / k,
                Selector::Intended,
                &mut run_rng(1, 0),
                &mut Unobserved,
            )
            .clone();
        let api = &o.nodes[id(&model, "api")];
        assert_eq!(
            u64::from(api.min_served),
            u64::from(FULL) * (k - 1) / k,
            "K = {k}"
        );
        assert_eq!(api.down_at, None, "K = {k}: never fully down");
        // One cell of 64/k servers restarts alone with all 8 slots: ⌈(64/k)/8⌉ waves of 10
        // minutes, then its 1/k of 64 TB at the full 1 GB/s.
        let waves = (64 / k).div_ceil(8);
        let expected = waves * 600 + 64_000 / k;
        assert_eq!(
            o.recovery.unwrap().as_secs_f64(),
            expected as f64,
            "K = {k}"
        );
        // The cell serves again once half its servers are validated (its minimum, 50 %):
        // 1/k of the traffic is lost until then.
        let serving_again = waves * 600 + 64_000 / k / 2;
        assert_eq!(
            api.lost_service.as_millis(),
            serving_again * 1000 / k,
            "K = {k}"
        );
    }
}

#[test]
fn more_cells_shrink_blast_radius_and_recovery_of_the_2017_removal() {
    let mut last = (u32::MAX, f64::INFINITY);
    for k in [1u64, 2, 4, 8] {
        let mut model = load("s3-cells");
        let index = id(&model, "index");
        if let NodeKind::Subsystem(s) = &mut model.nodes[index].kind {
            s.cells = Subsystem::split(s.servers, s.min_servers, s.serve_servers, k);
        }
        let o = &replays(&model, 1)[0];
        let get = &o.nodes[id(&model, "s3-get")];
        let radius = FULL - get.min_served;
        let back = secs(o, &model, "s3-get", |n| n.recovered_at);
        assert!(
            radius <= last.0 && back <= last.1,
            "K = {k}: radius {radius}, GET back at {back} s, before {last:?}"
        );
        last = (radius, back);
    }
    assert_eq!(
        last.0,
        FULL / 4,
        "with 8 cells the 2017 removal costs GET a quarter of its traffic"
    );
    assert!(
        last.1 < 3600.0,
        "and GET is whole within the hour ({} s)",
        last.1
    );
}

// ---------------------------------------------------------------- restart drills

#[test]
fn quarterly_restarts_validate_less_metadata_and_recover_sooner() {
    let mut back = Vec::new();
    for since in ["13w", "1y", "6y"] {
        let mut model = load("s3-2017");
        let index = id(&model, "index");
        if let NodeKind::Subsystem(s) = &mut model.nodes[index].kind {
            let v = s.validation.clone().unwrap();
            let since = blastradius::scenario::units::parse_duration(since).unwrap();
            s.validation = Validation::new(
                v.metadata_at_last_restart,
                v.growth_per_year,
                since,
                v.throughput,
            );
        }
        back.push(secs(&replays(&model, 1)[0], &model, "index", |n| {
            n.recovered_at
        }));
    }
    assert!(back[0] < back[1] && back[1] < back[2], "{back:?}");
    // 45 % growth a year: six years is 1.45^5.75 ≈ 8.5 times the metadata of a quarter.
    assert!(back[2] / back[0] > 5.0, "{back:?}");
}

// ---------------------------------------------------------------- multi-region customers

#[test]
fn customers_see_what_their_failover_allows() {
    let model = load("multi-region");
    let runs = replays(&model, 200);
    for o in &runs {
        let down = |name: &str| o.nodes[id(&model, name)].downtime.as_secs_f64();
        // One region only: exactly the provider's GET downtime.
        assert_eq!(down("single-region-site"), down("east-get"));
        // Automatic: 3 minutes to notice, 60 s to switch.
        assert_eq!(down("automatic-failover-site"), 240.0);
        assert!(
            down("manual-failover-site") > 240.0
                && down("manual-failover-site") <= down("east-get")
        );
        assert!(o.customer_outage);
    }
    let mean = |name: &str| {
        runs.iter()
            .map(|o| o.nodes[id(&model, name)].downtime.as_secs_f64())
            .sum::<f64>()
            / 200.0
    };
    // Manual failover: detection and switch are log-normal with medians 20 and 40 minutes.
    let expected = (20.0 + 40.0) * 60.0 * (0.5f64 * 0.5 / 2.0).exp();
    assert!(
        (mean("manual-failover-site") - expected).abs() < 0.1 * expected,
        "{}",
        mean("manual-failover-site")
    );
}

// ---------------------------------------------------------------- backlogs

#[test]
fn a_backlog_keeps_a_service_partial_until_drained() {
    let model = load("s3-2017");
    let o = &replays(&model, 1)[0];
    let get_serving = secs(o, &model, "s3-get", |n| n.serving_at);
    let get_back = secs(o, &model, "s3-get", |n| n.recovered_at);
    // EC2 launches were down for exactly as long as GET; with 300 % spare capacity the
    // backlog drains in a third of that, from when GET serves again.
    let ec2_back = secs(o, &model, "ec2-launch", |n| n.recovered_at);
    let expected = (get_serving + get_serving / 3.0).max(get_back);
    assert!(
        (ec2_back - expected).abs() <= 0.002,
        "{ec2_back} vs {expected}"
    );
    assert!(ec2_back > get_back, "EC2 recovers after GET");
    let lambda_back = secs(o, &model, "lambda", |n| n.recovered_at);
    assert_eq!(
        lambda_back, get_back,
        "Lambda's backlog (400 %) drains before GET is whole"
    );
}

// ---------------------------------------------------------------- operations over time

#[test]
fn annual_downtime_is_commands_times_downtime_per_command() {
    let model = load("ops-exp.toml");
    let ops = model.operations.clone().unwrap();
    let plan = Plan {
        runs: 4_000,
        seed: 5,
        threads: 2,
    };
    let t = blastradius::operations::run(&model, &ops, plan, &mut |_| {}, &AtomicBool::new(false))
        .unwrap();
    let api = &t.downtime[id(&model, "api")];
    let harmonic: f64 = (1..=10).map(|k| 1.0 / k as f64).sum();
    let expected = 30.0 * 60.0 * (4.0 + harmonic) * 1000.0;
    let [lo, hi] = api.mean_ci95().unwrap();
    let se = (hi - lo) / 2.0 / 1.959_964;
    assert!(
        (api.mean().unwrap() - expected).abs() < 4.0 * se,
        "{} vs {expected}",
        api.mean().unwrap()
    );
    let commands = t.commands.mean().unwrap();
    assert!(
        (commands - 30.0).abs() < 4.0 * (30.0f64 / 4_000.0).sqrt(),
        "{commands}"
    );
}
