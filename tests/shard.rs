//! Sharded runs: the merged partial results of N shards are byte for byte the run done at
//! once, whatever the shards' thread counts; anything but every shard of one run, once,
//! is refused with exit status 2.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn blastradius(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs")
}

fn ok(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = blastradius(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

const RUNS: &str = "30000";

/// A plain run of typo-mix.toml with `--set command.count=3`, `RUNS` runs, this seed and
/// these further arguments, in `dir`; its standard output.
fn typo_mix(dir: &Path, seed: &str, more: &[&str]) -> Vec<u8> {
    let scenario = fixture("typo-mix.toml");
    let mut args = vec![
        "run",
        &scenario,
        "--method",
        "plain",
        "--runs",
        RUNS,
        "--seed",
        seed,
        "--set",
        "command.count=3",
        "-q",
    ];
    args.extend(more);
    ok(dir, &args)
}

/// Shards `i/n` of the typo-mix run (seed 5), on `threads` threads.
fn shard(dir: &Path, i: u64, n: u64, threads: u64) -> String {
    let name = format!("part-{i}-of-{n}.json");
    let (s, t) = (format!("{i}/{n}"), threads.to_string());
    typo_mix(
        dir,
        "5",
        &["--threads", &t, "--shard", &s, "--partial", &name],
    );
    name
}

#[test]
fn merged_shards_are_the_run_done_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let whole = typo_mix(d, "5", &["--threads", "2", "--json", "whole.json"]);
    for n in [1u64, 3, 7] {
        let mut parts: Vec<String> = (1..=n).map(|i| shard(d, i, n, 1 + i % 2)).collect();
        parts.reverse(); // any order
        let mut args = vec!["merge"];
        args.extend(parts.iter().map(String::as_str));
        let json = format!("merged-{n}.json");
        args.extend(["--json", &json]);
        let merged = ok(d, &args);
        assert_eq!(merged, whole, "{n} shards: summary");
        assert_eq!(
            std::fs::read(d.join(&json)).unwrap(),
            std::fs::read(d.join("whole.json")).unwrap(),
            "{n} shards: JSON"
        );
    }
}

fn refused(dir: &Path, args: &[&str], message: &str) {
    let out = blastradius(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(message), "{args:?}: {stderr}");
}

#[test]
fn anything_but_every_shard_of_one_run_once_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b, c) = (shard(d, 1, 3, 1), shard(d, 2, 3, 1), shard(d, 3, 3, 1));
    refused(d, &["merge", &a, &b], "shard 3/3 is missing");
    refused(d, &["merge", &a, &b, &c, &b], "shard 2/3 is also");
    // Another seed is another run.
    typo_mix(d, "6", &["--shard", "3/3", "--partial", "other.json"]);
    refused(
        d,
        &["merge", &a, &b, "other.json"],
        "not a shard of the same run",
    );
    // A file that is not a partial result, and one whose scenario was edited.
    std::fs::write(d.join("junk.json"), "{}").unwrap();
    refused(d, &["merge", &a, "junk.json"], "not a partial result");
    let edited =
        std::fs::read_to_string(d.join(&c))
            .unwrap()
            .replacen("[command]", "[command] ", 1);
    std::fs::write(d.join("edited.json"), edited).unwrap();
    refused(
        d,
        &["merge", &a, &b, "edited.json"],
        "do not match their hash",
    );
    // Histograms edited by hand: they would make a quantile wrong, or panic.
    for (edit, message) in [
        (
            (|h: &mut Value| h["min"] = (h["max"].as_u64().unwrap() + 1).into()) as fn(&mut Value),
            "smallest value is above its largest",
        ),
        (
            |h: &mut Value| h["total"] = (h["total"].as_u64().unwrap() + 1).into(),
            "total is not the sum of its counts",
        ),
    ] {
        let mut partial: Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(&c)).unwrap()).unwrap();
        edit(first_histogram(&mut partial).expect("a histogram of values"));
        std::fs::write(d.join("tampered.json"), partial.to_string()).unwrap();
        refused(d, &["merge", &a, &b, "tampered.json"], message);
    }
    let scenario = fixture("typo-mix.toml");
    refused(
        d,
        &[
            "run",
            &scenario,
            "--method",
            "plain",
            "--shard",
            "3/2",
            "--partial",
            "x.json",
        ],
        "1 <= I <= N",
    );
    refused(
        d,
        &["merge", &a, &b, &c, "--partial", "pilot.json"],
        "plain run",
    );
}

/// The first histogram in a partial result holding two different values.
fn first_histogram(v: &mut Value) -> Option<&mut Value> {
    let spread = |v: &Value| v["total"].as_u64() > Some(0) && v["min"].as_u64() < v["max"].as_u64();
    if v.get("counts").is_some() && spread(v) {
        return Some(v);
    }
    match v {
        Value::Object(map) => map.values_mut().find_map(first_histogram),
        Value::Array(list) => list.iter_mut().find_map(first_histogram),
        _ => None,
    }
}

/// The arguments of a command by strata on typo-mix.toml (`--set command.count=3`), seed
/// 5, with `more` after them.
fn by_strata<'a>(command: &[&'a str], scenario: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = command.to_vec();
    args.extend([
        scenario,
        "--runs",
        "3000",
        "--seed",
        "5",
        "--set",
        "command.count=3",
        "-q",
    ]);
    args.extend(more);
    args
}

/// Runs `command` in two rounds of `first` and `second` shards (mixed thread counts) and
/// merges them, with `outputs` (named with `tag`); the merged summary.
fn two_rounds(d: &Path, command: &[&str], first: u64, second: u64, tag: &str) -> Vec<u8> {
    let scenario = fixture("typo-mix.toml");
    let pilot = format!("{tag}-pilot.json");
    let round = |r: u64, n: u64| -> Vec<String> {
        (1..=n)
            .map(|i| {
                let (s, t) = (format!("{i}/{n}"), (1 + i % 2).to_string());
                let name = format!("{tag}-r{r}-{i}.json");
                let mut more = vec!["--threads", &t, "--shard", &s, "--partial", &name];
                if r == 2 {
                    more.extend(["--pilot", &pilot]);
                }
                ok(d, &by_strata(command, &scenario, &more));
                name
            })
            .collect()
    };
    let mut parts = round(1, first);
    parts.reverse(); // any order
    let mut merge = vec!["merge"];
    merge.extend(parts.iter().map(String::as_str));
    merge.extend(["--partial", &pilot]);
    ok(d, &merge);
    let parts = round(2, second);
    let (json, csv) = (format!("{tag}.json"), format!("{tag}.csv"));
    let mut merge = vec!["merge"];
    merge.extend(parts.iter().map(String::as_str));
    merge.extend([pilot.as_str(), "--json", &json, "--csv", &csv]);
    ok(d, &merge)
}

#[test]
fn sharded_runs_by_strata_in_two_rounds_are_the_run_done_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = fixture("typo-mix.toml");
    let commands: [&[&str]; 3] = [
        &["run"],
        &[
            "compare",
            "--variant",
            "slow:subsystems.store.restart.parallelism=4",
        ],
        &[
            "sweep",
            "--vary",
            "subsystems.store.restart.parallelism=10..30:10",
        ],
    ];
    for (k, command) in commands.iter().enumerate() {
        // compare and sweep take the scenario after their options.
        let whole = ok(
            d,
            &by_strata(
                command,
                &scenario,
                &["--json", "whole.json", "--csv", "whole.csv"],
            ),
        );
        for (first, second) in [(1, 1), (3, 2), (2, 5)] {
            let tag = format!("c{k}-{first}-{second}");
            let merged = two_rounds(d, command, first, second, &tag);
            assert_eq!(merged, whole, "{command:?}, {first} then {second} shards");
            for ext in ["json", "csv"] {
                assert_eq!(
                    std::fs::read(d.join(format!("{tag}.{ext}"))).unwrap(),
                    std::fs::read(d.join(format!("whole.{ext}"))).unwrap(),
                    "{command:?}, {first} then {second} shards: {ext}"
                );
            }
        }
    }
}

#[test]
fn the_rounds_by_strata_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = fixture("typo-mix.toml");
    let shard = |more: &[&str]| ok(d, &by_strata(&["run"], &scenario, more));
    shard(&["--shard", "1/2", "--partial", "a1.json"]);
    shard(&["--shard", "2/2", "--partial", "a2.json"]);
    refused(d, &["merge", "a1.json", "a2.json"], "--partial PILOT");
    // Statistics of a node the scenario does not have are refused, not indexed.
    let text = std::fs::read_to_string(d.join("a2.json")).unwrap();
    assert!(text.contains("\"nodes\":[[0,"));
    let beyond = text.replacen("\"nodes\":[[0,", "\"nodes\":[[999999,", 1);
    std::fs::write(d.join("beyond.json"), beyond).unwrap();
    refused(
        d,
        &["merge", "a1.json", "beyond.json", "--partial", "p.json"],
        "a node beyond the scenario",
    );
    refused(
        d,
        &["merge", "a1.json", "--partial", "p.json"],
        "shard 2/2 is missing",
    );
    ok(d, &["merge", "a1.json", "a2.json", "--partial", "p.json"]);
    refused(d, &["merge", "p.json"], "a pilot alone");
    // Round 2 must be the same run as its pilot, and is merged with it.
    let mut other = by_strata(
        &["run"],
        &scenario,
        &["--shard", "1/1", "--pilot", "p.json", "--partial", "b.json"],
    );
    let seed = other.iter().position(|&a| a == "--seed").unwrap();
    other[seed + 1] = "6";
    refused(d, &other, "the pilot of another run");
    refused(
        d,
        &by_strata(
            &["run"],
            &scenario,
            &[
                "--shard",
                "1/1",
                "--pilot",
                "a1.json",
                "--partial",
                "b.json",
            ],
        ),
        "not a pilot",
    );
    shard(&["--shard", "1/1", "--pilot", "p.json", "--partial", "b.json"]);
    refused(d, &["merge", "b.json"], "without its pilot");
    refused(
        d,
        &["merge", "a1.json", "a2.json", "b.json"],
        "not of the round",
    );
    // A pilot of the same run, merged from other shards, is another file: refused.
    shard(&["--shard", "1/1", "--partial", "c1.json"]);
    ok(d, &["merge", "c1.json", "--partial", "q.json"]);
    refused(d, &["merge", "q.json", "b.json"], "another pilot");
    ok(d, &["merge", "p.json", "b.json"]);
    // A shard never overwrites its pilot or its scenario.
    refused(
        d,
        &by_strata(
            &["run"],
            &scenario,
            &["--shard", "1/1", "--pilot", "p.json", "--partial", "p.json"],
        ),
        "p.json",
    );
    refused(
        d,
        &by_strata(
            &["run"],
            &scenario,
            &["--shard", "1/1", "--partial", "x.json", "--json", "y.json"],
        ),
        "`merge` writes the results",
    );
}

/// `PATH` with the binary under test first.
fn path_with_binary() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_blastradius"))
        .parent()
        .unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs the script `name` of examples/cluster in `dir` with `env`; its standard output.
fn script(dir: &Path, name: &str, env: &[(&str, &str)]) -> Vec<u8> {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cluster");
    let out = Command::new("bash")
        .arg(scripts.join(name))
        .current_dir(dir)
        .env("PATH", path_with_binary())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} {env:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn the_slurm_array_scripts_shard_and_merge_as_shipped() {
    // Run examples/cluster/slurm-shards.sh as the array tasks of each round would, with
    // the binary on PATH, and slurm-merge.sh after each round: the results are the run
    // done at once, by strata (two rounds, of 3 and 2 tasks) and plain (one round).
    let scenario = fixture("typo-mix.toml");
    for (method, runs) in [("strata", "2000"), ("plain", RUNS)] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let rounds: &[(&str, u64)] = if method == "plain" {
            &[("1", 3)]
        } else {
            &[("1", 3), ("2", 2)]
        };
        let mut merged = Vec::new();
        for &(round, tasks) in rounds {
            for task in 1..=tasks {
                let (t, n) = (task.to_string(), tasks.to_string());
                let env = [
                    ("SLURM_ARRAY_TASK_ID", t.as_str()),
                    ("SLURM_ARRAY_TASK_COUNT", &n),
                    ("SLURM_CPUS_PER_TASK", "1"),
                    ("SCENARIO", &scenario),
                    ("METHOD", method),
                    ("RUNS", runs),
                    ("SEED", "9"),
                    ("ROUND", round),
                ];
                script(d, "slurm-shards.sh", &env);
            }
            merged = script(d, "slurm-merge.sh", &[("ROUND", round), ("METHOD", method)]);
        }
        let whole = ok(
            d,
            &[
                "run",
                &scenario,
                "--method",
                method,
                "--runs",
                runs,
                "--seed",
                "9",
                "-q",
                "--json",
                "whole.json",
            ],
        );
        assert_eq!(merged, whole, "{method}");
        assert_eq!(
            std::fs::read(d.join("result.json")).unwrap(),
            std::fs::read(d.join("whole.json")).unwrap(),
            "{method}"
        );
    }
}

/// The shell command of a shipped Kubernetes manifest (its folded `args`), with the
/// shared volume at `dir`.
fn k8s_command(name: &str, dir: &Path) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/cluster")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim() == "- >-").unwrap() + 1;
    let indent = lines[start].len() - lines[start].trim_start().len();
    let folded: Vec<&str> = lines[start..]
        .iter()
        .take_while(|l| l.len() - l.trim_start().len() == indent && !l.trim().is_empty())
        .map(|l| l.trim())
        .collect();
    folded
        .join(" ")
        .replace("/results", &dir.display().to_string())
        .replace("s3-2017 --runs 10000000", "s3-2017 --runs 3000")
}

#[test]
fn the_kubernetes_jobs_shard_and_merge_as_shipped() {
    // The shards' and the merge's commands as the Jobs run them (index from 0, ROUND as
    // k8s-run.sh sets it), on 16 shards of a small run: the results are the run at once.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (shard, merge) = (
        k8s_command("k8s-indexed-job.yaml", d),
        k8s_command("k8s-merge-job.yaml", d),
    );
    assert!(shard.contains("--runs 3000"), "{shard}");
    let sh = |command: &str, env: &[(&str, String)]| {
        let out = Command::new("sh")
            .args(["-c", command])
            .env("PATH", path_with_binary())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let mut merged = Vec::new();
    for round in ["1", "2"] {
        for index in 0..16 {
            let env = [
                ("ROUND", round.to_string()),
                ("JOB_COMPLETION_INDEX", index.to_string()),
            ];
            sh(&shard, &env);
        }
        merged = sh(&merge, &[("ROUND", round.to_string())]);
    }
    let whole = ok(d, &["run", "--runs", "3000", "-q", "--json", "whole.json"]);
    assert_eq!(merged, whole);
    assert_eq!(
        std::fs::read(d.join("result.json")).unwrap(),
        std::fs::read(d.join("whole.json")).unwrap()
    );
}
