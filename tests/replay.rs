//! `run` names the longest outage and a median one; `replay --run ID` replays exactly that
//! run: the same time until everything was back, by strata and plain, on any thread count.

use std::process::Command;

use serde_json::Value;

fn blastradius(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The runs a batch's JSON names: (which, id, recovery in seconds).
fn named(args: &[&str]) -> Vec<(String, String, f64)> {
    let dir = tempfile::tempdir().expect("a folder");
    let json = dir.path().join("run.json");
    let mut all = vec!["run", "-q", "--json", json.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    blastradius(&all);
    let v: Value = serde_json::from_slice(&std::fs::read(&json).expect("written")).expect("JSON");
    let runs = &v["runs_to_replay"];
    ["longest", "median"]
        .iter()
        .map(|k| {
            (
                k.to_string(),
                runs[k]["run"].as_str().expect("an id").to_string(),
                runs[k]["recovery_s"].as_f64().expect("seconds"),
            )
        })
        .collect()
}

/// The time until everything was back in the replay of run `id`.
fn replayed(scenario: &str, seed: &str, id: &str) -> f64 {
    let out = blastradius(&["replay", scenario, "--seed", seed, "--run", id, "--json"]);
    let v: Value = serde_json::from_slice(&out).expect("JSON");
    v["recovery_s"].as_f64().expect("back")
}

#[test]
fn the_named_runs_replay_exactly_by_strata_and_plain() {
    for (method, runs) in [("strata", "20000"), ("plain", "100000")] {
        let one = named(&[
            "--method",
            method,
            "--runs",
            runs,
            "--seed",
            "3",
            "--threads",
            "1",
        ]);
        let two = named(&[
            "--method",
            method,
            "--runs",
            runs,
            "--seed",
            "3",
            "--threads",
            "2",
        ]);
        assert_eq!(one, two, "{method}: the same runs on any thread count");
        for (which, id, recovery) in &one {
            assert_eq!(
                replayed("s3-2017", "3", id),
                *recovery,
                "{method} {which} {id}"
            );
        }
        let (longest, median) = (one[0].2, one[1].2);
        assert!(longest > 3.0 * 3600.0, "{method}: {longest}");
        assert!(
            (15.0 * 60.0..30.0 * 60.0).contains(&median),
            "{method}: {median}"
        );
    }
}

#[test]
fn a_bad_run_id_is_refused_with_what_is_allowed() {
    for id in ["x", "99999:0", "1:-1", "1:2:3"] {
        let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
            .args(["replay", "--run", id])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{id}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--run") && err.contains("INPUT:RUN"),
            "{id}: {err}"
        );
    }
}

#[test]
fn safeguards_are_forced_one_by_one() {
    let removed = |forced: &str| -> u64 {
        let out = blastradius(&[
            "replay",
            "s3-2017-guarded",
            "--safeguards",
            forced,
            "--json",
        ]);
        let v: Value = serde_json::from_slice(&out).expect("JSON");
        v["servers_removed"].as_u64().expect("a count")
    };
    // The guard failing alone: the rate limit holds the removal back at 25 servers.
    assert_eq!(removed("guard=fail,limit=work"), 25);
    // Both failing: the 100 servers of 2017; as with `fail`.
    assert_eq!(removed("guard=fail, limit=fail"), 100);
    assert_eq!(removed("fail"), 100);
    assert_eq!(removed("guard=work"), 0);
    for bad in ["guard", "bogus=fail", "limit=maybe"] {
        let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
            .args(["replay", "s3-2017-guarded", "--safeguards", bad])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("guard=work|fail"), "{bad}: {err}");
    }
}
