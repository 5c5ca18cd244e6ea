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
        stderr.contains("refers to unknown node \"n12345x\"; the closest known: n12345, "),
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
