//! Mechanisms beyond the removal itself, against closed-form answers.

use blastradius::engine::{Change, Outcome, Simulation};
use blastradius::model::{Model, NodeId};
use blastradius::montecarlo::run_rng;
use blastradius::scenario;
use blastradius::time::{SimDuration, SimTime};
use blastradius::typo::Selector;

type Trace = Vec<(SimTime, NodeId, Change)>;

/// `blastradius ARGS`, which must succeed; its standard output.
fn blastradius(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    out.stdout
}

/// A store of 10 servers (minimum 8, 2 boot at a time, 10 minutes each, then 20 minutes
/// of validation; `cells` cells) behind a service, and a command removing 5 servers:
/// below the minimum, so a cold restart. `restart` adds keys to its `restart` table.
fn model(restart: &str, cells: u32) -> Model {
    let text = format!(
        "[scenario]\nname = \"fidelity\"\nhorizon = \"2d\"\n\n\
         [subsystems.store]\nservers = 10\nmin_capacity = 8\ncells = {cells}\n\
         restart = {{ parallelism = 2, boot_time = {{ dist = \"constant\", value = \"10m\" }}{restart} }}\n\
         validation = {{ metadata = \"1 TB\", throughput = \"3 TB/h\" }}\n\n\
         [services.api]\nneeds = [\"store\"]\n\n\
         [command]\ntarget = \"store\"\ncount = 5\n"
    );
    scenario::parse("fidelity.toml", &text).expect("scenario is valid")
}

fn run(model: &Model) -> (Outcome, Trace) {
    let mut trace = Trace::new();
    let mut sim = Simulation::new(model);
    let out = sim
        .run_input(5, Selector::Intended, &mut run_rng(1, 0), &mut trace)
        .clone();
    (out, trace)
}

#[test]
fn begins_after_shifts_every_milestone_of_the_restart_by_its_constant_value() {
    let shift = SimDuration::from_secs(45 * 60);
    for cells in [1, 2] {
        let (base_out, base) = run(&model("", cells));
        let delayed = model(
            ", begins_after = { dist = \"constant\", value = \"45m\" }",
            cells,
        );
        let (out, trace) = run(&delayed);
        // The same changes, those after the removal 45 minutes later, and the diagnosis
        // announced when each cell goes down.
        let (told, rest): (Trace, Trace) = trace
            .into_iter()
            .partition(|(_, _, c)| matches!(c, Change::Diagnosing { .. }));
        assert!(!told.is_empty(), "{cells} cells: no diagnosis");
        for &(t, _, c) in &told {
            let Change::Diagnosing { until, .. } = c else {
                unreachable!()
            };
            assert_eq!(until, t + shift);
        }
        // Going down happens at the removal; the restart (scheduling it, booting,
        // validating, serving) and all that follows 45 minutes later.
        let restart = |c: &Change| match c {
            Change::Phase { to, .. } => *to == blastradius::engine::Phase::Restarting,
            Change::Scheduled { .. } => true,
            _ => false,
        };
        let key = |(t, id, c): &(SimTime, NodeId, Change)| format!("{t:?} {id:?} {c:?}");
        let mut want: Vec<String> = base
            .iter()
            .map(|&(t, id, c)| {
                let c = match c {
                    Change::Scheduled { cell, start, end } => Change::Scheduled {
                        cell,
                        start: start + shift,
                        end: end + shift,
                    },
                    c => c,
                };
                let at_removal = t == SimTime::ZERO && !restart(&c);
                (if at_removal { t } else { t + shift }, id, c)
            })
            .map(|x| key(&x))
            .collect();
        let mut got: Vec<String> = rest.iter().map(key).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{cells} cells");
        // api loses all its traffic (one cell) or half of it (two) for 45 minutes longer.
        let api = delayed.find("api").expect("api").index();
        assert_eq!(
            out.nodes[api].lost_service,
            base_out.nodes[api].lost_service
                + SimDuration::from_millis(shift.as_millis() / u64::from(cells)),
            "{cells} cells"
        );
        assert_eq!(out.recovery, base_out.recovery.map(|r| r + shift));
    }
}

#[test]
fn a_restart_that_waits_for_a_dependency_and_a_diagnosis_waits_for_the_later() {
    // `b` restarts after `a` serves. Both go down together; `a` is back after 10 minutes
    // of boots, `b`'s diagnosis takes 1 h: `b` begins at 1 h, not at 10 minutes.
    let text = "[scenario]\nname = \"wait\"\nhorizon = \"1d\"\n\n\
        [subsystems.a]\nservers = 2\nmin_capacity = 2\n\
        restart = { parallelism = 2, boot_time = { dist = \"constant\", value = \"10m\" } }\n\n\
        [subsystems.b]\nservers = 2\nmin_capacity = 2\nrestart_after = [\"a\"]\n\
        restart = { parallelism = 2, boot_time = { dist = \"constant\", value = \"10m\" }, \
        begins_after = { dist = \"constant\", value = \"1h\" } }\n\n\
        [services.api]\nneeds = [\"a\", \"b\"]\n\n\
        [command]\ntarget = \"a\"\ncount = 1\n\n\
        [command.target_typos]\nprobability = 0.5\n\n\
        [[command.target_typos.matches]]\nname = \"both\"\nhits = { a = \"50%\", b = \"50%\" }\n";
    let model = scenario::parse("wait.toml", text).expect("valid");
    let mut trace = Trace::new();
    let mut sim = Simulation::new(&model);
    let out = sim
        .run_input(2, Selector::Wrong(0), &mut run_rng(1, 0), &mut trace)
        .clone();
    let b = model.find("b").expect("b");
    let began = trace
        .iter()
        .find(|&&(_, id, c)| {
            id == b
                && matches!(
                    c,
                    Change::Phase {
                        to: blastradius::engine::Phase::Restarting,
                        ..
                    }
                )
        })
        .map(|&(t, _, _)| t);
    assert_eq!(began, Some(SimTime::from_millis(3_600_000)));
    let api = model.find("api").expect("api").index();
    assert_eq!(out.nodes[api].downtime, SimDuration::from_secs(70 * 60));
}

/// The store of [`model`] (one cell, no diagnosis), with `command` as its command table.
fn store_with(command: &str) -> Model {
    let text = format!(
        "[scenario]\nname = \"reboot\"\nhorizon = \"2d\"\n\n\
         [subsystems.store]\nservers = 10\nmin_capacity = 8\n\
         restart = {{ parallelism = 2, boot_time = {{ dist = \"constant\", value = \"10m\" }} }}\n\n\
         [services.api]\nneeds = [\"store\"]\n\n\
         [command]\ntarget = \"store\"\n{command}\n"
    );
    scenario::parse("reboot.toml", &text).expect("scenario is valid")
}

#[test]
fn a_reboot_above_the_minimum_is_back_to_full_capacity_after_one_boot() {
    // Rebooting 2 of 10 (minimum 8): no cold restart, nothing unavailable, all 10 back
    // exactly one boot time (10 minutes) later.
    let model = store_with("count = 2\naction = \"reboot\"");
    let mut trace = Trace::new();
    let out = Simulation::new(&model)
        .run_input(2, Selector::Intended, &mut run_rng(1, 0), &mut trace)
        .clone();
    assert!(!out.outage, "{out:?}");
    let phases: Vec<(SimTime, blastradius::engine::Phase, u64)> = trace
        .iter()
        .filter_map(|&(t, _, c)| match c {
            Change::Phase { to, capacity, .. } => Some((t, to, capacity)),
            _ => None,
        })
        .collect();
    use blastradius::engine::Phase::{Degraded, Recovered};
    assert_eq!(
        phases,
        vec![
            (SimTime::ZERO, Degraded, 8),
            (SimTime::from_millis(600_000), Recovered, 10)
        ]
    );
    // The first server back is told as a change of capacity, the last as the recovery.
    let counted: Vec<u64> = trace
        .iter()
        .filter_map(|&(_, _, c)| match c {
            Change::Capacity { capacity, .. } => Some(capacity),
            _ => None,
        })
        .collect();
    assert_eq!(counted, vec![9]);
    // Removing the same 2 leaves the store degraded for good.
    let removed = store_with("count = 2");
    let mut trace = Trace::new();
    Simulation::new(&removed).run_input(2, Selector::Intended, &mut run_rng(1, 0), &mut trace);
    assert!(trace
        .iter()
        .all(|(_, _, c)| !matches!(c, Change::Phase { to: Recovered, .. })));
}

#[test]
fn a_reboot_below_the_minimum_is_a_cold_restart_like_a_removal() {
    // Rebooting 5 of 10 stops the cell: the same cold restart, the same timeline, as
    // removing them.
    let reboot = store_with("count = 5\naction = \"reboot\"");
    let remove = store_with("count = 5");
    let run = |m: &Model| {
        let mut trace = Trace::new();
        let out = Simulation::new(m)
            .run_input(5, Selector::Intended, &mut run_rng(1, 0), &mut trace)
            .clone();
        (out, trace)
    };
    let (a, ta) = run(&reboot);
    let (b, tb) = run(&remove);
    assert_eq!(ta, tb);
    assert_eq!(a, b);
    // 10 servers, 2 at a time, 10 minutes each: 50 minutes.
    assert_eq!(a.recovery, Some(SimDuration::from_secs(50 * 60)));
}

#[test]
fn an_unknown_action_is_named_with_what_is_allowed() {
    let text = "[scenario]\nname = \"x\"\n\n[subsystems.s]\nservers = 2\nmin_capacity = 1\n\
        restart = { parallelism = 1, boot_time = { dist = \"constant\", value = \"1m\" } }\n\n\
        [services.api]\nneeds = [\"s\"]\n\n[command]\ntarget = \"s\"\ncount = 1\naction = \"restart\"\n";
    let e = scenario::parse("x.toml", text).expect_err("rejected");
    assert_eq!(
        e.to_string(),
        "x.toml:15:10: `command.action` is \"restart\"; expected \"remove\" or \"reboot\""
    );
}

/// A store of 6 servers, all booting at once in 10 minutes, any loss a cold restart, whose
/// boots fail with `p` and then take 30 minutes of a crew of `crew`; `action` its command.
fn failing(p: f64, crew: u64, extra: &str) -> Model {
    let text = format!(
        "[scenario]\nname = \"crew\"\nhorizon = \"2d\"\n\n\
         [subsystems.store]\nservers = 6\nmin_capacity = {}\n\
         restart = {{ parallelism = 6, boot_time = {{ dist = \"constant\", value = \"10m\" }}, \
         boot_failures = {{ probability = {p}, crew = {crew}, manual = {{ dist = \"constant\", value = \"30m\" }} }} }}\n\n\
         [services.api]\nneeds = [\"store\"]\n\n\
         [command]\ntarget = \"store\"\ncount = 1\n{extra}\n",
        if extra.is_empty() { 6 } else { 4 }
    );
    scenario::parse("crew.toml", &text).expect("scenario is valid")
}

fn recovered_at(model: &Model, count: u64) -> Vec<SimTime> {
    let mut trace = Trace::new();
    Simulation::new(model).run_input(count, Selector::Intended, &mut run_rng(1, 0), &mut trace);
    trace
        .iter()
        .filter(|(_, _, c)| {
            matches!(
                c,
                Change::Phase {
                    to: blastradius::engine::Phase::Recovered,
                    ..
                }
            )
        })
        .map(|&(t, _, _)| t)
        .collect()
}

#[test]
fn a_crew_works_through_failed_boots_in_rounds() {
    // Every boot fails: 6 servers fail at 10 minutes and a crew of c repairs them c at a
    // time, 30 minutes each: all back at 10 + ⌈6/c⌉ × 30 minutes.
    for crew in 1..=7u64 {
        let minutes = 10 + 6u64.div_ceil(crew) * 30;
        assert_eq!(
            recovered_at(&failing(1.0, crew, ""), 1),
            vec![SimTime::from_millis(minutes * 60_000)],
            "crew of {crew}"
        );
    }
    // No boot fails: as if there were no failures at all (10 minutes).
    assert_eq!(
        recovered_at(&failing(0.0, 1, ""), 1),
        vec![SimTime::from_millis(600_000)]
    );
}

#[test]
fn rebooted_servers_whose_boots_fail_wait_for_the_crew() {
    // Rebooting 2 of 6 (minimum 4): both boots fail at 10 minutes, one person repairs
    // them one after the other: all back at 10 + 2 × 30 = 70 minutes, no cold restart.
    let model = failing(1.0, 1, "action = \"reboot\"");
    assert_eq!(
        recovered_at(&model, 2),
        vec![SimTime::from_millis(70 * 60_000)]
    );
}

#[test]
fn the_replay_says_when_each_share_of_a_fleet_was_back() {
    // Rebooting 2 of 10: 80 % in service at once (never below 50 %), 90 % and 100 % back
    // after one boot, 10 minutes. Removing them: 90 % and 100 % never back.
    let dir = tempfile::tempdir().unwrap();
    for (action, back) in [
        (
            "action = \"reboot\"",
            serde_json::json!({"50%": 0.0, "90%": 600.0, "100%": 600.0}),
        ),
        (
            "",
            serde_json::json!({"50%": 0.0, "90%": null, "100%": null}),
        ),
    ] {
        let text = format!(
            "[scenario]\nname = \"back\"\nhorizon = \"1d\"\n\n\
             [subsystems.store]\nservers = 10\nmin_capacity = 8\n\
             restart = {{ parallelism = 2, boot_time = {{ dist = \"constant\", value = \"10m\" }} }}\n\n\
             [services.api]\nneeds = [\"store\"]\n\n\
             [command]\ntarget = \"store\"\ncount = 2\n{action}\n\n\
             [command.as_typed]\ncount = 2\n"
        );
        let path = dir.path().join("back.toml");
        std::fs::write(&path, text).unwrap();
        let out = blastradius(&["replay", path.to_str().unwrap(), "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            json["milestones"]["store"]["capacity_back_s"], back,
            "{action}"
        );
        assert!(json["milestones"]["api"].get("capacity_back_s").is_none());
    }
}

#[test]
fn the_joyent_2014_replay_lands_on_the_public_figures() {
    // Joyent's postmortem: customer instances down at least 20 minutes and at most 149,
    // more than 90 % back within an hour.
    let out = blastradius(&["replay", "joyent-2014", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let m = &json["milestones"];
    let minutes = |v: &serde_json::Value| v.as_f64().expect("a time") / 60.0;
    let first = minutes(&m["instances"]["serving_s"]);
    assert!(
        (20.0..21.0).contains(&first),
        "first instances back at {first} min"
    );
    let ninety = minutes(&m["compute"]["capacity_back_s"]["90%"]);
    assert!(ninety < 60.0, "90 % back at {ninety} min");
    let all = minutes(&m["compute"]["capacity_back_s"]["100%"]);
    assert!(
        (all / 149.0 - 1.0).abs() < 0.05,
        "all back at {all} min, 149 public"
    );
    assert_eq!(json["servers_removed"], 1008);
}

#[test]
fn a_fleet_can_serve_below_its_minimum_while_it_restarts() {
    // 10 servers, minimum 8, serving again from 2: 2 boot at a time, 10 minutes each, so
    // it serves (partially) after the first 10 minutes and is whole after 50.
    let text = "[scenario]\nname = \"below\"\nhorizon = \"1d\"\n\n\
        [subsystems.store]\nservers = 10\nmin_capacity = 8\nserve_at = 2\n\
        restart = { parallelism = 2, boot_time = { dist = \"constant\", value = \"10m\" } }\n\n\
        [services.api]\nneeds = [\"store\"]\n\n\
        [command]\ntarget = \"store\"\ncount = 5\n";
    let model = scenario::parse("below.toml", text).expect("serve_at below the minimum is valid");
    let (out, trace) = run(&model);
    use blastradius::engine::Phase::{Recovered, ServingPartially};
    let at = |phase| {
        trace
            .iter()
            .find(|(_, _, c)| matches!(c, Change::Phase { to, .. } if *to == phase))
            .map(|&(t, _, c)| (t, c))
    };
    let (serving, change) = at(ServingPartially).expect("serves partially");
    assert_eq!(serving, SimTime::from_millis(600_000));
    assert!(
        matches!(change, Change::Phase { capacity: 2, .. }),
        "{change:?}"
    );
    assert_eq!(
        at(Recovered).map(|x| x.0),
        Some(SimTime::from_millis(3_000_000))
    );
    let api = model.find("api").expect("api").index();
    assert_eq!(out.nodes[api].downtime, SimDuration::from_secs(600));
}

#[test]
fn the_replay_of_a_thousand_cells_is_told_in_summary() {
    // 1,000 one-server cells: one line for the cells going down, the share served when it
    // passes each tenth, not a line per cell per phase.
    let text = String::from_utf8(blastradius(&["replay", "joyent-2014"])).unwrap();
    assert!(text.lines().count() < 60, "{text}");
    assert!(
        text.contains("compute        1000 of its 1000 cells down at once"),
        "{text}"
    );
    assert!(text.contains("serving 0.1% of its traffic"), "{text}");
    assert!(text.contains("serving 90% of its traffic"), "{text}");
}
