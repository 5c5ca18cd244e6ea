//! Golden results: fixed-seed outputs checked in, so that any change to the numbers shows in
//! review and has to be explained by the commit that makes it. To accept a deliberate
//! change, regenerate with `BLASTRADIUS_UPDATE_GOLDEN=1 cargo test --test golden` and say
//! why in the commit message.

use std::path::Path;
use std::process::Command;

fn blastradius(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Compares `actual` with `tests/golden/NAME`, or rewrites it when asked to.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("BLASTRADIUS_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("golden file exists");
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        panic!(
            "{name} changed at line {}:\n  now:      {}\n  expected: {}\n(BLASTRADIUS_UPDATE_GOLDEN=1 accepts the change)",
            first + 1,
            actual.lines().nth(first).unwrap_or("<end>"),
            expected.lines().nth(first).unwrap_or("<end>")
        );
    }
}

#[test]
fn s3_2017_summary() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s3.json");
    let args = [
        "run", "s3-2017", "--method", "plain", "--runs", "300000", "--seed", "2017", "--quiet",
        "--json",
    ];
    let summary = blastradius(&[&args[..], &[json.to_str().unwrap()]].concat());
    golden("s3-2017.json", &std::fs::read_to_string(&json).unwrap());
    golden("s3-2017-summary.txt", &summary);
}

/// The default command's output: s3-2017 by strata of the input.
#[test]
fn s3_2017_by_strata() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s3.json");
    let args = ["run", "--runs", "20000", "--quiet", "--json"];
    let summary = blastradius(&[&args[..], &[json.to_str().unwrap()]].concat());
    golden(
        "s3-2017-strata.json",
        &std::fs::read_to_string(&json).unwrap(),
    );
    golden("s3-2017-strata-summary.txt", &summary);
}

#[test]
fn s3_2017_replay_timeline() {
    golden("s3-2017-replay.txt", &blastradius(&["replay", "s3-2017"]));
}

/// Every built-in's default summary (by strata) and its replay, where it has an input as
/// typed: what a new user sees first, held to its bytes (and by tests/cli.rs and
/// tests/usage.rs to 100 columns).
#[test]
fn every_builtin_summary_and_replay() {
    for b in blastradius::scenario::BUILTINS {
        let summary = blastradius(&["run", b.name, "--runs", "5000", "--quiet"]);
        golden(&format!("summary-{}.txt", b.name), &summary);
        let model = blastradius::scenario::load(b.name).expect("a built-in");
        if model.command.as_typed.is_some() {
            golden(
                &format!("replay-{}.txt", b.name),
                &blastradius(&["replay", b.name]),
            );
        }
    }
}
