//! Sharded runs: the merged partial results of N shards are byte for byte the run done at
//! once, whatever the shards' thread counts; anything but every shard of one run, once,
//! is refused with exit status 2.

use std::path::Path;
use std::process::{Command, Output};

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
        "does not match its hash",
    );
    // By strata, a run is not sharded.
    let scenario = fixture("typo-mix.toml");
    refused(
        d,
        &["run", &scenario, "--shard", "1/2", "--partial", "x.json"],
        "--method plain",
    );
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
}

#[test]
fn the_slurm_array_scripts_shard_and_merge_as_shipped() {
    // Run examples/cluster/slurm-shards.sh as three array tasks would, with the binary
    // on PATH, then slurm-merge.sh: the summary is the run done at once.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bin = Path::new(env!("CARGO_BIN_EXE_blastradius"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cluster");
    let scenario = fixture("typo-mix.toml");
    for task in 1..=3 {
        let out = Command::new("bash")
            .arg(scripts.join("slurm-shards.sh"))
            .current_dir(d)
            .env("PATH", &path)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "3")
            .env("SLURM_CPUS_PER_TASK", "1")
            .env("SCENARIO", &scenario)
            .env("RUNS", RUNS)
            .env("SEED", "9")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let merged = Command::new("bash")
        .arg(scripts.join("slurm-merge.sh"))
        .current_dir(d)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let whole = ok(
        d,
        &[
            "run",
            &scenario,
            "--method",
            "plain",
            "--runs",
            RUNS,
            "--seed",
            "9",
            "-q",
            "--json",
            "whole.json",
        ],
    );
    assert_eq!(merged.stdout, whole);
    assert_eq!(
        std::fs::read(d.join("result.json")).unwrap(),
        std::fs::read(d.join("whole.json")).unwrap()
    );
}
