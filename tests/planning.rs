//! The planning commands through the real binary: `--set`, `compare` on common random
//! numbers, and their bad input.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn blastradius(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Runs `args` with `--json FILE -q` and returns the JSON.
fn json(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let mut all = args.to_vec();
    all.extend(["-q", "--json", path.to_str().unwrap()]);
    let out = blastradius(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    read(&path)
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("written")).expect("json")
}

/// Exit status 2, nothing on stdout, and this message on stderr.
fn rejected(args: &[&str], message: &str) {
    let out = blastradius(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed a result");
    assert!(stderr.contains(message), "{args:?}:\n{stderr}");
}

#[test]
fn compare_a_scenario_with_itself_differs_by_exactly_nothing() {
    let r = json(&["compare", "s3-2017", "--variant", "same:", "--runs", "3000"]);
    let d = &r["differences"]["same"];
    let zero = |v: &Value| {
        assert_eq!(v["estimate"], 0.0, "{v}");
        assert_eq!(v["ci95"], serde_json::json!([0.0, 0.0]), "{v}");
    };
    zero(&d["outage_probability"]);
    for (_, node) in d["nodes"].as_object().unwrap() {
        zero(&node["unavailable_probability"]);
        zero(&node["expected_downtime_s"]);
        zero(&node["expected_lost_service_s"]);
    }
}

#[test]
fn more_restart_parallelism_shortens_s3_outages_and_pairing_shows_it() {
    let r = json(&[
        "compare",
        "s3-2017",
        "--variant",
        "p120:subsystems.index.restart.parallelism=120",
        "--runs",
        "5000",
    ]);
    let get = &r["differences"]["p120"]["nodes"]["s3-get"];
    // Boots take 2 waves of 3 minutes instead of 4: GET is back sooner, never later, and
    // whether it goes down does not change.
    assert_eq!(get["unavailable_probability"]["estimate"], 0.0);
    let down = &get["expected_downtime_s"];
    let hi = down["ci95"][1].as_f64().unwrap();
    assert!(hi < 0.0, "the whole interval is an improvement: {down}");
    // The same boot times in both: the paired variance is smaller than independent runs'.
    let reduction = down["variance_reduction"].as_f64().unwrap();
    assert!(reduction > 2.0, "{down}");
    // And each variant's own results are there.
    let p120 = &r["variants"]["p120"]["nodes"]["s3-get"]["downtime_given_unavailable_s"];
    let base = &r["variants"]["s3-2017"]["nodes"]["s3-get"]["downtime_given_unavailable_s"];
    assert!(p120["estimate"].as_f64() < base["estimate"].as_f64());
}

#[test]
fn compare_is_the_same_on_any_thread_count() {
    let args = [
        "compare",
        "s3-2017",
        "s3-cells",
        "--runs",
        "3000",
        "--threads",
    ];
    let one = json(&[&args[..], &["1"]].concat());
    let two = json(&[&args[..], &["2"]].concat());
    assert!(one == two, "compare differs between 1 and 2 threads");
}

#[test]
fn set_changes_a_value_and_is_checked_like_the_file() {
    // The replay with 120 boot slots for the index is back sooner than the 2017 one.
    let base = json(&["run", "s3-2017", "--method", "strata", "--runs", "2000"]);
    let faster = json(&[
        "run",
        "s3-2017",
        "--method",
        "strata",
        "--runs",
        "2000",
        "--set",
        "subsystems.index.restart.parallelism=120",
    ]);
    let given = |r: &Value| {
        r["nodes"]["s3-get"]["downtime_given_unavailable_s"]["estimate"]
            .as_f64()
            .unwrap()
    };
    assert!(given(&faster) < given(&base) - 60.0);
    rejected(
        &["run", "--set", "subsystems.index.restart.paralelism=120"],
        "builtin:s3-2017 (--set subsystems.index.restart.paralelism=120):40:1: unknown key \
         `paralelism`; did you mean `parallelism`? Allowed keys: `boot_time`, `parallelism`, \
         `begins_after`",
    );
    rejected(
        &["replay", "--set", "subsystems.index.restart.parallelism=0"],
        "`subsystems.index.restart.parallelism` is 0; expected a whole number from 1",
    );
    rejected(
        &[
            "run",
            "--set",
            "subsystems.index.restart.boot_time.median=fast",
        ],
        "expected a duration with units",
    );
    rejected(&["run", "--set", "novalue"], "expected KEY=VALUE");
    rejected(
        &["run", "--set", "subsystems.index.servers.x=1"],
        "`subsystems.index.servers` is a value",
    );
}

#[test]
fn compare_rejects_what_it_cannot_compare() {
    rejected(
        &["compare", "s3-2017"],
        "two scenarios or more, or a scenario and --variant",
    );
    rejected(
        &["compare", "s3-2017", "--variant", "nocolon"],
        "NAME:KEY=VALUE, or NAME: for the scenario unchanged",
    );
    rejected(
        &[
            "compare",
            "s3-2017",
            "--variant",
            "x:subsystems.nosuch.servers=3",
        ],
        "subsystems.nosuch",
    );
    rejected(
        &["compare", "s3-2017", "s3-cells", "--max-errors", "9"],
        "--max-errors",
    );
}

#[test]
fn sweep_restart_age_makes_recovery_longer_on_common_random_numbers() {
    let r = json(&[
        "sweep",
        "--vary",
        "subsystems.index.validation.since_last_full_restart=0y..6y:2y",
        "--runs",
        "3000",
    ]);
    let points = r["points"].as_array().unwrap();
    let values: Vec<&str> = points
        .iter()
        .map(|p| p["values"][0].as_str().unwrap())
        .collect();
    assert_eq!(values, ["0y", "2y", "4y", "6y"]);
    let given: Vec<f64> = points
        .iter()
        .map(|p| {
            p["report"]["nodes"]["s3-get"]["downtime_given_unavailable_s"]["estimate"]
                .as_f64()
                .unwrap()
        })
        .collect();
    // Older metadata, longer validation: strictly longer every step ("long MTBF is a
    // warning sign"), and the 6-year point is the 2017 scenario as shipped.
    assert!(given.windows(2).all(|w| w[0] < w[1]), "{given:?}");
    let base = json(&["run", "--method", "strata", "--runs", "3000"]);
    let shipped = base["nodes"]["s3-get"]["downtime_given_unavailable_s"]["estimate"]
        .as_f64()
        .unwrap();
    assert_eq!(given[3], shipped);
}

#[test]
fn budget_answers_with_the_first_value_that_meets_the_target() {
    let r = json(&[
        "budget",
        "--vary",
        "subsystems.index.restart.parallelism=20..240:20",
        "--target",
        "mean(s3-get) <= 2h 45m",
        "--runs",
        "3000",
    ]);
    let values = r["values"].as_array().unwrap();
    let answer = r["answer"].as_str().expect("some value meets it");
    let i = values.iter().position(|v| v["value"] == answer).unwrap();
    assert_eq!(values[i]["verdict"], "meets");
    let hi = values[i]["quantity"]["ci95"][1].as_f64().unwrap();
    assert!(hi <= 2.0 * 3600.0 + 45.0 * 60.0, "{}", values[i]);
    assert!(i > 0, "the first value tried already meets it");
    assert_ne!(values[i - 1]["verdict"], "meets");
    assert_eq!(r["monotone"], true);
    // --largest on a target met only by small values: the largest of them.
    let r = json(&[
        "budget",
        "--vary",
        "subsystems.index.restart.parallelism=20..240:20",
        "--target",
        "mean(s3-get) >= 3h",
        "--largest",
        "--runs",
        "3000",
    ]);
    assert_eq!(r["answer"], "20");
    // Targets on the time until everything is back, as the example has it.
    let r = json(&[
        "budget",
        "--vary",
        "subsystems.billing.restart.parallelism=2..10:2",
        "--target",
        "p99(recovery) <= 1h",
        "--runs",
        "3000",
    ]);
    // Billing's 40 servers, 4 minutes each: p99 3.1 h with 1 slot, under 1 h from 4.
    assert_eq!(r["answer"], "4", "{}", r["values"]);
    let r = json(&[
        "budget",
        "--vary",
        "subsystems.billing.restart.parallelism=1..3:1",
        "--target",
        "mean(recovery) >= 1d",
        "--runs",
        "3000",
    ]);
    assert!(
        r["answer"].is_null(),
        "billing is back within minutes: {}",
        r["values"]
    );
}

#[test]
fn sweep_and_budget_reject_bad_ranges_and_targets_before_running() {
    let vary = "subsystems.index.restart.parallelism=20..240:20";
    rejected(
        &[
            "sweep",
            "--vary",
            "subsystems.index.restart.parallelism=240..20:20",
        ],
        "a range from a smaller value to a larger one",
    );
    rejected(
        &[
            "sweep",
            "--vary",
            "subsystems.index.restart.parallelism=20..240:0",
        ],
        "a step above 0",
    );
    rejected(
        &["budget", "--vary", vary, "--target", "p95(s3-get) <= 1h"],
        "QUANTITY one of facing, p(NODE), mean(NODE), p50(NODE), p90(NODE), p99(NODE),",
    );
    rejected(
        &["budget", "--vary", vary, "--target", "mean(nosuch) <= 1h"],
        "a node of the scenario: billing, index",
    );
    rejected(
        &[
            "sweep",
            "--vary",
            "subsystems.index.restart.paralelism=1..2:1",
        ],
        "unknown key `paralelism`",
    );
    rejected(&["sweep", "--vary", vary, "--node", "nosuch"], "--node");
}

#[test]
fn precision_runs_until_the_headline_is_that_narrow_and_says_what_stopped_it() {
    let r = json(&["run", "--precision", "5%"]);
    let p = &r["precision"];
    assert_eq!(p["stopped_by"], "met", "{p}");
    assert_eq!(p["headline"], "facing_outage_probability");
    let reached = p["reached"].as_f64().unwrap();
    assert!(reached <= 0.05, "{p}");
    let i = &r["facing_outage_probability"];
    let (est, lo, hi) = (
        i["estimate"].as_f64().unwrap(),
        i["ci95"][0].as_f64().unwrap(),
        i["ci95"][1].as_f64().unwrap(),
    );
    assert!(((hi - lo) / 2.0 / est - reached).abs() < 1e-12);
    assert!(r["runs"].as_u64().unwrap() <= 4_000, "{}", r["runs"]);
    // The guarded variant's rare outage needs far more: the --runs limit stops it first.
    let r = json(&[
        "run",
        "s3-2017-guarded",
        "--precision",
        "5%",
        "--runs",
        "3000",
    ]);
    assert_eq!(r["precision"]["stopped_by"], "runs");
    assert_eq!(r["runs"], 3000);
    rejected(
        &["run", "--precision", "10%", "--method", "plain"],
        "--method strata (the default)",
    );
    rejected(
        &["run", "--precision", "0%"],
        "a percentage above 0% and below 100%",
    );
    rejected(&["run", "--max-time", "5s"], "--precision with it");
    rejected(
        &["run", "--precision", "5%", "--max-time", "soon"],
        "a duration with units",
    );
}
