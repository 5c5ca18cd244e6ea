//! Data lost to a destructive removal (`[subsystems.X.data]`), against closed forms: the
//! window of writes lost, when a removal loses data and when it does not, the restore
//! before the cold restart, and what the reports say.

use std::sync::atomic::AtomicBool;

use blastradius::engine::{Change, Simulation};
use blastradius::model::{Model, NodeId};
use blastradius::montecarlo::{self, run_rng, Plan};
use blastradius::scenario;
use blastradius::time::{SimDuration, SimTime};
use blastradius::typo::Selector;

type Trace = Vec<(SimTime, NodeId, Change)>;

/// `blastradius ARGS` in `dir`, which must succeed; its standard output.
fn blastradius(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// A database of `servers` servers (minimum 1, all boot at once in 5 minutes) behind a
/// service; `data` is its `[subsystems.db.data]` table (empty: none), `command` the rest
/// of the command table after `target`.
fn text(servers: u64, data: &str, command: &str) -> String {
    let data = if data.is_empty() {
        String::new()
    } else {
        format!("\n[subsystems.db.data]\n{data}\n")
    };
    format!(
        "[scenario]\nname = \"db\"\nhorizon = \"7d\"\n\n\
         [subsystems.db]\nservers = {servers}\nmin_capacity = 1\n\
         restart = {{ parallelism = {servers}, boot_time = {{ dist = \"constant\", value = \"5m\" }} }}\n\
         {data}\n\
         [services.api]\nneeds = [\"db\"]\n\n\
         [command]\ntarget = \"db\"\n{command}\n"
    )
}

fn model(servers: u64, data: &str, command: &str) -> Model {
    scenario::parse("db.toml", &text(servers, data, command)).expect("scenario is valid")
}

fn run(model: &Model, count: u64, seed: u64) -> (blastradius::engine::Outcome, Trace) {
    let mut trace = Trace::new();
    let out = Simulation::new(model)
        .run_input(count, Selector::Intended, &mut run_rng(seed, 0), &mut trace)
        .clone();
    (out, trace)
}

fn plain(model: &Model, runs: u64, seed: u64) -> blastradius::stats::Accumulator {
    let plan = Plan {
        runs,
        seed,
        threads: 2,
    };
    montecarlo::run(model, plan, None, &mut |_| {}, &AtomicBool::new(false)).expect("runs")
}

#[test]
fn backups_every_b_with_a_uniformly_timed_command_lose_b_over_2_on_average() {
    // Every run removes the only server: every run loses data, U × B of it. With B fixed
    // at 1 h the mean is 30 min, the standard deviation B/√12; with B uniform on
    // [30m, 90m], E[UB] = E[B]/2 = 30 min and Var(UB) = E[B²]/3 − E[B]²/4. False failure
    // (4 standard errors): 6e-5 each.
    let runs = 40_000u64;
    let cases = [
        ("backup_every = \"1h\"", 3600.0f64 / 12f64.sqrt()),
        (
            "backup_every = { dist = \"uniform\", min = \"30m\", max = \"90m\" }",
            {
                let (mean, var) = (3600.0f64, 3600.0f64 * 3600.0 / 12.0);
                ((mean * mean + var) / 3.0 - mean * mean / 4.0).sqrt()
            },
        ),
    ];
    for (data, sd) in cases {
        let m = model(1, data, "count = 1");
        let acc = plain(&m, runs, 9);
        assert_eq!(acc.data_loss.len(), runs, "{data}");
        let mean = acc.data_loss.mean().unwrap() / 1e3;
        let se = sd / (runs as f64).sqrt();
        assert!(
            (mean - 1800.0).abs() < 4.0 * se,
            "{data}: mean {mean} s, expected 1800 ± {}",
            4.0 * se
        );
        // The 95 % interval of the mean holds it too, and no window exceeds a cycle.
        let [lo, hi] = acc.data_loss.mean_ci95().unwrap();
        assert!(
            lo / 1e3 < 1800.0 && 1800.0 < hi / 1e3,
            "{data}: [{lo}, {hi}] ms"
        );
        let max = acc.data_loss.max().unwrap().value();
        assert!(
            max <= if data.contains("90m") {
                5_400_000
            } else {
                3_600_000
            }
        );
    }
}

#[test]
fn the_summaries_report_the_window_and_its_interval() {
    // By strata and by plain Monte Carlo: data lost in every command, on average the
    // writes of the last 30 minutes, the interval holding 1800 s.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("db.toml"),
        text(1, "backup_every = \"1h\"", "count = 1"),
    )
    .unwrap();
    let strata = blastradius(
        dir.path(),
        &[
            "run", "db.toml", "--runs", "20000", "--quiet", "--json", "s.json",
        ],
    );
    assert!(
        strata.contains("data lost: a removal destroys a subsystem's data"),
        "{strata}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    let d = &json["data_loss"];
    assert_eq!(d["probability"]["estimate"], 1.0);
    let [lo, hi] = [0, 1].map(|i| d["given_loss_s"]["ci95"][i].as_f64().unwrap());
    assert!(lo < 1800.0 && 1800.0 < hi, "[{lo}, {hi}]");
    let plain = blastradius(
        dir.path(),
        &[
            "run", "db.toml", "--method", "plain", "--runs", "20000", "--quiet", "--json",
            "p.json", "--csv", "p.csv",
        ],
    );
    assert!(plain.contains("writes lost"), "{plain}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("p.json")).unwrap()).unwrap();
    assert_eq!(json["data_loss_probability"]["count"], 20000);
    let [lo, hi] = [0, 1].map(|i| json["data_loss_s"]["mean_ci95"][i].as_f64().unwrap());
    assert!(lo < 1800.0 && 1800.0 < hi, "[{lo}, {hi}]");
    let csv = std::fs::read_to_string(dir.path().join("p.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert!(header.contains(&"data_loss_s"), "{header:?}");
    let replay = blastradius(dir.path(), &["replay", "db.toml", "--input", "1"]);
    assert!(
        replay.contains("every server out of service: data written in the last ")
            && replay.contains(" before the command is lost"),
        "{replay}"
    );
}

#[test]
fn without_a_data_table_nothing_is_said_about_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("db.toml"), text(1, "", "count = 1")).unwrap();
    let strata = blastradius(
        dir.path(),
        &[
            "run", "db.toml", "--runs", "100", "--quiet", "--json", "s.json",
        ],
    );
    let plain = blastradius(
        dir.path(),
        &[
            "run", "db.toml", "--method", "plain", "--runs", "100", "--quiet", "--json", "p.json",
            "--csv", "p.csv",
        ],
    );
    let replay = blastradius(dir.path(), &["replay", "db.toml", "--input", "1"]);
    let replay_json = blastradius(dir.path(), &["replay", "db.toml", "--input", "1", "--json"]);
    for file in ["s.json", "p.json", "p.csv"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(!text.contains("data_loss"), "{file}: {text}");
    }
    for out in [strata, plain, replay, replay_json] {
        assert!(
            !out.contains("data") && !out.contains("writes lost"),
            "{out}"
        );
    }
    let (out, _) = run(&model(1, "", "count = 1"), 1, 1);
    assert_eq!(out.data_loss, None);
}

#[test]
fn a_reboot_or_a_removal_that_leaves_a_server_loses_no_data() {
    let data = "backup_every = \"1h\"\nrestore = \"2h\"";
    // Rebooting both servers stops the database (a cold restart) but destroys nothing:
    // no data lost, no restore, back after one boot.
    let reboot = model(2, data, "count = 2\naction = \"reboot\"");
    let (out, trace) = run(&reboot, 2, 1);
    assert!(out.outage);
    assert_eq!(out.data_loss, None);
    assert!(!trace
        .iter()
        .any(|(_, _, c)| matches!(c, Change::DataLost { .. })));
    assert_eq!(out.recovery, Some(SimDuration::from_secs(300)));
    // Removing one of two leaves a copy: nothing lost. Removing both: lost, restored.
    let remove = model(2, data, "count = 1");
    let (out, _) = run(&remove, 1, 1);
    assert_eq!(out.data_loss, None);
    let (out, _) = run(&remove, 2, 1);
    assert!(out.data_loss.is_some());
    // Statistically too: rebooting everything never loses data.
    let acc = plain(&reboot, 1000, 3);
    assert_eq!((acc.data_loss.len(), acc.outages), (0, 1000));
}

#[test]
fn the_restore_comes_before_the_cold_restart() {
    // Diagnosis 30 min, restore 18 h, boot 5 min: back at 18h 35m, where without data the
    // diagnosis and the boot alone take 35 min.
    let restart =
        "restart = { parallelism = 1, boot_time = { dist = \"constant\", value = \"5m\" }, \
                   begins_after = { dist = \"constant\", value = \"30m\" } }";
    let with = |data: &str| {
        let t = text(1, data, "count = 1").replace(
            "restart = { parallelism = 1, boot_time = { dist = \"constant\", value = \"5m\" } }",
            restart,
        );
        scenario::parse("db.toml", &t).expect("valid")
    };
    let (out, trace) = run(&with("backup_every = \"24h\"\nrestore = \"18h\""), 1, 1);
    assert_eq!(
        out.recovery,
        Some(SimDuration::from_secs((18 * 60 + 35) * 60))
    );
    let lost: Vec<_> = trace
        .iter()
        .filter_map(|&(t, _, c)| match c {
            Change::DataLost {
                window, restore, ..
            } => Some((t, window, restore)),
            _ => None,
        })
        .collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].0, SimTime::ZERO);
    assert!(lost[0].1 < SimDuration::from_secs(24 * 3600));
    assert_eq!(lost[0].2, Some(SimDuration::from_secs(18 * 3600)));
    assert_eq!(out.data_loss, Some(lost[0].1));
    let (out, _) = run(&with(""), 1, 1);
    assert_eq!(out.recovery, Some(SimDuration::from_secs(35 * 60)));
}

#[test]
fn the_cells_of_a_subsystem_share_one_backup_schedule() {
    // Four one-server cells, all removed: four cells lose their data, the same window.
    let t = text(4, "backup_every = \"1h\"", "count = 4")
        .replace("min_capacity = 1\n", "min_capacity = 4\ncells = 4\n");
    let m = scenario::parse("cells.toml", &t).expect("valid");
    let (out, trace) = run(&m, 4, 5);
    let windows: Vec<SimDuration> = trace
        .iter()
        .filter_map(|&(_, _, c)| match c {
            Change::DataLost { window, .. } => Some(window),
            _ => None,
        })
        .collect();
    assert_eq!(windows.len(), 4);
    assert!(windows.iter().all(|&w| w == windows[0]));
    assert_eq!(out.data_loss, Some(windows[0]));
}

#[test]
fn data_tables_are_checked_with_positions() {
    let cases = [
        (
            "backup_every = \"1h\"\nbackups = 3",
            "db.toml:12:1: unknown key `backups`; expected `backup_every` or `restore`",
        ),
        (
            "restore = \"1h\"",
            "db.toml:10:1: missing required key `backup_every`",
        ),
        (
            "backup_every = 60",
            "db.toml:11:16: `subsystems.db.data.backup_every` is the number 60; expected a duration with units",
        ),
        (
            "backup_every = \"0s\"",
            "db.toml:11:16: `subsystems.db.data.backup_every` is an interval of constant 0ms; expected a time between backups above zero",
        ),
        (
            "backup_every = { dist = \"uniform\", min = \"1h\", maxx = \"2h\" }",
            "db.toml:11:48: unknown key `maxx`; did you mean `max`?",
        ),
    ];
    for (data, want) in cases {
        let e = scenario::parse("db.toml", &text(1, data, "count = 1"))
            .expect_err("rejected")
            .to_string();
        assert!(e.starts_with(want), "{data}:\n  got  {e}\n  want {want}");
    }
}

#[test]
fn the_gitlab_2017_replay_lands_on_the_public_figures() {
    // GitLab's postmortem: the primary database emptied at 23:27 UTC, GitLab.com back at
    // 18:14 UTC the next day (18 h 47 min); about 6 hours of writes lost, with snapshots
    // otherwise once every 24 hours.
    let dir = tempfile::tempdir().unwrap();
    let out = blastradius(dir.path(), &["replay", "gitlab-2017", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let back = json["recovery_s"].as_f64().expect("back") / 60.0;
    let public = 18.0 * 60.0 + 47.0;
    assert!((back / public - 1.0).abs() < 0.01, "back after {back} min");
    let lost = json["data_loss_s"].as_f64().expect("data lost") / 3600.0;
    assert!((0.0..24.0).contains(&lost), "{lost} h");
    // Over many commands: the window is uniform on [0, 24 h), 12 h on average and at the
    // median; the public 6 h is its first quartile.
    blastradius(
        dir.path(),
        &[
            "run",
            "gitlab-2017",
            "--runs",
            "20000",
            "--quiet",
            "--json",
            "g.json",
        ],
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("g.json")).unwrap()).unwrap();
    let d = &json["data_loss"];
    let [lo, hi] = [0, 1].map(|i| d["given_loss_s"]["ci95"][i].as_f64().unwrap() / 3600.0);
    assert!(lo < 12.0 && 12.0 < hi, "[{lo}, {hi}] h");
    let p50 = d["given_loss_quantiles_s"]["p50"]["estimate"]
        .as_f64()
        .unwrap()
        / 3600.0;
    assert!(6.0 < p50 && p50 < 18.0, "p50 {p50} h");
    // Only the wrong target loses data: the intended command empties the replica.
    let p = d["probability"]["estimate"].as_f64().unwrap();
    assert!((p - 0.01).abs() < 1e-9, "{p}");
}
