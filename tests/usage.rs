//! How a new user calls the tool: with no command it runs `run`, and takes `run`'s options
//! (`blastradius --runs 10000`, `blastradius s3-cells`); a command's own options stay its own.

use std::process::Command;

fn blastradius(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn no_command_is_run_with_its_options() {
    let bare = blastradius(&["--runs", "2000", "-q", "--seed", "4"]);
    assert!(
        bare.status.success(),
        "{}",
        String::from_utf8_lossy(&bare.stderr)
    );
    let run = blastradius(&["run", "--runs", "2000", "-q", "--seed", "4"]);
    assert_eq!(bare.stdout, run.stdout);
    let text = String::from_utf8_lossy(&bare.stdout);
    assert!(
        text.starts_with("s3-2017 (builtin:s3-2017): 2000 runs by strata"),
        "{text}"
    );
    let other = blastradius(&["s3-cells", "--runs", "2000", "-q"]);
    assert!(String::from_utf8_lossy(&other.stdout).starts_with("s3-cells (builtin:s3-cells)"));
}

#[test]
fn run_options_do_not_leak_into_other_commands() {
    let out = blastradius(&["replay", "--runs", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--runs"));
    // A mistyped command is taken for a scenario and named as such.
    let out = blastradius(&["rn"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"rn\"") && err.contains("`blastradius run`"),
        "{err}"
    );
}

#[test]
fn every_shipped_scenario_s_plain_summary_fits_100_columns() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    for entry in std::fs::read_dir(dir).expect("scenarios/") {
        let path = entry.expect("an entry").path();
        let spec = path.to_str().expect("utf-8");
        let out = blastradius(&["run", spec, "--method", "plain", "--runs", "20000", "-q"]);
        assert!(out.status.success(), "{spec}");
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{spec}: {line}");
        }
    }
}
