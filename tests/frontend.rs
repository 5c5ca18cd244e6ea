//! The built-in kinesis-2020 (a front-end fleet restarted slowly after a long diagnosis)
//! against its public figures and the closed forms of its assumptions.

use serde_json::Value;

/// `blastradius ARGS`, which must succeed; its standard output.
fn blastradius(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

const HOUR: f64 = 3600.0;

#[test]
fn the_kinesis_2020_replay_lands_on_the_public_figures() {
    let j: Value =
        serde_json::from_str(&blastradius(&["replay", "kinesis-2020", "--json"])).unwrap();
    // Public: first alarms 5:15 AM PST, Kinesis fully back 10:23 PM PST: 17 h 8 min.
    let public = 17.0 * HOUR + 8.0 * 60.0;
    let recovered = j["milestones"]["kinesis"]["recovered_s"].as_f64().unwrap();
    assert!(
        (recovered - public).abs() / public < 0.01,
        "back after {recovered} s, public {public} s"
    );
    // The closed forms of the assumptions: the restart begins 5 h after the fleet went
    // out, 100 servers (10 groups) every 20 minutes, 360 groups: the first back at
    // 5 h 20 m, 50 % after 18 waves, 90 % after 33, all after 36.
    let wave = 20.0 * 60.0;
    let f = &j["milestones"]["front-end"];
    assert_eq!(f["serving_s"].as_f64(), Some(5.0 * HOUR + wave));
    let back = &f["capacity_back_s"];
    assert_eq!(back["50%"].as_f64(), Some(5.0 * HOUR + 18.0 * wave));
    assert_eq!(back["90%"].as_f64(), Some(5.0 * HOUR + 33.0 * wave));
    assert_eq!(back["100%"].as_f64(), Some(5.0 * HOUR + 36.0 * wave));
    assert_eq!(recovered, 5.0 * HOUR + 36.0 * wave);
}

#[test]
fn the_summary_says_when_the_fleet_was_back_and_restarting_faster_is_slower() {
    let dir = std::env::temp_dir().join(format!("blastradius-frontend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = |extra: &[&str]| -> Value {
        let out = dir.join("run.json");
        let mut args = vec!["run", "kinesis-2020", "-q", "--json", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        blastradius(&args);
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    };
    let j = json(&[]);
    let back = &j["servers_back"]["front-end"];
    for (share, hours) in [("50%", 11.0), ("90%", 16.0), ("100%", 17.0)] {
        assert_eq!(back[share]["p50_s"].as_f64(), Some(hours * HOUR), "{share}");
        assert_eq!(back[share]["below_probability"]["estimate"], 1.0);
    }
    // 400 at once is above the safe 100: the first wave above it fails its health checks
    // and the restart goes on at the safe pace, so it is never faster; with the fleet as
    // one group the whole first wave fails, exactly one boot (20 minutes) slower.
    let slow = j["recovery_given_outage_s"]["estimate"].as_f64().unwrap();
    let recovery = |extra: &[&str]| {
        json(extra)["recovery_given_outage_s"]["estimate"]
            .as_f64()
            .unwrap()
    };
    let fast = "subsystems.front-end.restart.parallelism=400";
    assert!(recovery(&["--set", fast]) >= slow);
    let one = "subsystems.front-end.cells=1";
    let whole = recovery(&["--set", one]);
    assert_eq!(whole, slow);
    assert_eq!(
        recovery(&["--set", one, "--set", fast]) - whole,
        20.0 * 60.0
    );
}
