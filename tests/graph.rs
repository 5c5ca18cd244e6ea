//! `blastradius graph`: the same nodes and edges in every format, and DOT that Graphviz
//! draws (when `dot` is installed: `.ci/run` installs it).

use std::path::Path;
use std::process::{Command, Stdio};

use blastradius::scenario::{self, BUILTINS};
use serde_json::Value;

fn blastradius(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn scenarios() -> Vec<String> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut all: Vec<String> = BUILTINS.iter().map(|b| b.name.to_string()).collect();
    let mut files: Vec<String> = std::fs::read_dir(fixtures)
        .expect("fixtures")
        .map(|e| e.expect("entry").path().display().to_string())
        .filter(|p| p.ends_with(".toml"))
        .collect();
    files.sort();
    all.extend(files);
    all
}

#[test]
fn every_format_has_every_node_and_edge() {
    for spec in scenarios() {
        let model = scenario::load(&spec).expect("loads");
        let edges: usize = model
            .nodes
            .iter()
            .map(|n| n.needs.len() + n.needs_any.len() + n.restart_after.len())
            .sum();
        let json: Value =
            serde_json::from_str(&blastradius(&["graph", &spec, "--format", "json"])).unwrap();
        assert_eq!(
            json["nodes"].as_array().unwrap().len(),
            model.nodes.len(),
            "{spec}"
        );
        assert_eq!(json["edges"].as_array().unwrap().len(), edges, "{spec}");
        for e in json["edges"].as_array().unwrap() {
            let (from, to) = (e["from"].as_str().unwrap(), e["to"].as_str().unwrap());
            let to = model.node(model.find(to).unwrap());
            let from = model.find(from).unwrap();
            let list = match e["kind"].as_str().unwrap() {
                "needs" => &to.needs,
                "needs_any" => &to.needs_any,
                "restart_after" => &to.restart_after,
                other => panic!("{other}"),
            };
            assert!(list.contains(&from), "{spec}: {e}");
        }
        let dot = blastradius(&["graph", &spec, "--format", "dot"]);
        assert_eq!(dot.matches(" -> ").count(), edges, "{spec}");
        let mermaid = blastradius(&["graph", &spec, "--format", "mermaid"]);
        let arrows = mermaid
            .lines()
            .filter(|l| l.contains("-->") || l.contains(".->") || l.contains("==>"))
            .count();
        assert_eq!(arrows, edges, "{spec}");
    }
}

#[test]
fn graphviz_draws_the_dot() {
    if Command::new("dot").arg("-V").output().is_err() {
        eprintln!("graphviz is not installed: DOT not drawn (.ci/run installs it)");
        return;
    }
    for spec in scenarios() {
        let dot = blastradius(&["graph", &spec]);
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dot runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{spec}: {stderr}"
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        let model = scenario::load(&spec).unwrap();
        // One drawn group per node and per edge.
        assert_eq!(
            svg.matches("class=\"node\"").count(),
            model.nodes.len(),
            "{spec}"
        );
    }
}
