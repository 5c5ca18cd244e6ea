//! Large generated inputs: checking stays linear, deep structures do not exhaust the stack,
//! and messages stay short whatever the size of the file.

use std::process::{Command, Output};

const HEADER: &str = "[scenario]\nname = \"big\"\n\n[subsystems.s]\nservers = 2\n\
                      min_capacity = 1\nrestart = { parallelism = 1, boot_time = \
                      { dist = \"constant\", value = \"1m\" } }\n\n";
const COMMAND: &str = "[command]\ntarget = \"s\"\ncount = 1\n";

fn check(text: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    std::fs::write(&path, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(["check", path.to_str().unwrap()])
        .output()
        .expect("the binary runs")
}

#[test]
fn a_cycle_through_100000_services_is_reported_briefly() {
    // Each service needs the next; the last needs the first. Before, the cycle search was
    // recursive (a stack overflow, exit 134) and name lookups linear (minutes).
    let n = 100_000;
    let mut text = String::from(HEADER);
    for i in 0..n {
        text += &format!("[services.n{i}]\nneeds = [\"n{}\"]\n\n", (i + 1) % n);
    }
    text += COMMAND;
    let out = check(&text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("dependency cycle n"), "{stderr}");
    assert!(
        stderr.contains("more) …"),
        "the middle of the cycle is left out"
    );
    assert!(stderr.len() < 1_000, "{} bytes", stderr.len());
}

#[test]
fn an_unknown_reference_among_100000_names_lists_the_closest_only() {
    let n = 100_000;
    let mut text = String::from(HEADER);
    for i in 0..n {
        text += &format!("[services.n{i}]\nneeds = [\"s\"]\n\n");
    }
    text += "[services.x]\nneeds = [\"n12345x\"]\n\n";
    text += COMMAND;
    let out = check(&text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "refers to unknown node \"n12345x\"; did you mean \"n12345\"? the closest known: n12345, "
        ),
        "{stderr}"
    );
    assert!(stderr.contains("and 99992 others"), "{stderr}"); // 100,002 names in all
    assert!(stderr.len() < 500, "{} bytes", stderr.len());
}

#[test]
fn a_three_node_cycle_points_at_a_reference_on_it() {
    // Before, only a 2-cycle found its edge; a longer one was reported at 1:1.
    let text = format!(
        "{HEADER}[services.a]\nneeds = [\"c\"]\n\n[services.b]\nneeds = [\"a\"]\n\n\
         [services.c]\nneeds = [\"b\"]\n\n{COMMAND}"
    );
    let out = check(&text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains(":1:1:"), "{stderr}");
    assert!(stderr.contains("dependency cycle"), "{stderr}");
}

const SMALL: &str = "[scenario]\nname = \"t\"\n\n[subsystems.a]\nservers = 10\n\
                     min_capacity = 5\nrestart = { parallelism = 2, boot_time = \
                     { dist = \"constant\", value = \"1m\" } }\n\n[services.s]\n\
                     needs = [\"a\"]\n\n[command]\ntarget = \"a\"\ncount = 1\n";

/// `SMALL` with `from` replaced by `to` is refused with exit 2 and `message`.
fn says(from: &str, to: &str, message: &str) {
    assert!(SMALL.contains(from), "{from}");
    let out = check(&SMALL.replacen(from, to, 1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(message), "{to}: {stderr}");
    for internal in ["Raw", "struct", "i128", "map;"] {
        assert!(!stderr.contains(internal), "{to}: {stderr}");
    }
}

#[test]
fn messages_speak_of_the_file_not_of_the_program() {
    says(
        "restart = {",
        "restart = \"fast\"\nx = {",
        "`restart` is string \"fast\"; expected a table",
    );
    says(
        "[scenario]",
        "[[scenario]]",
        "`[[scenario]]` makes a list of tables; expected one table, `[scenario]`",
    );
    says(
        "count = 1",
        "count = 123456789012345678901234567890",
        "`count` is integer `123456789012345678901234567890`, too large; expected a whole number",
    );
    says(
        "min_capacity = 5",
        "min_capacity = 5.0",
        "is the number 5.0; expected a number of servers",
    );
    says(
        "servers = 10",
        "servers = 10\nservers = 11",
        "`servers` is given twice; expected each key once in a table",
    );
}

#[test]
fn a_rate_limit_that_would_take_millions_of_steps_is_refused_at_check() {
    // 10,000,000 servers at 1 a step: 10,000,000 events a run (2.6 GB, 14 s before).
    let text = SMALL.replacen("servers = 10", "servers = 10000000", 1)
        + "\n[command.safeguards]\nrate_limit = { servers = 1, per = \"1ms\", \
           detection = { dist = \"constant\", value = \"1h\" } }\n";
    let out = check(&text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("expected at most 1000000 steps per command: at least 10 servers a step"),
        "{stderr}"
    );
}
