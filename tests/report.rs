//! The HTML report: self-contained (nothing fetched, no script), the same bytes on every
//! run, every section and chart present; and drawn by a real headless Chromium, which
//! must print no console error and whose screenshot must show the charts' colours.
//! `.ci/run` installs Debian's `chromium`; without it the browser test says so and passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn blastradius(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Writes the report of `args` into a new folder and returns the folder and its text.
fn report(args: &[&str]) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("report.html");
    let mut all = vec![
        "report",
        "-q",
        "--runs",
        "3000",
        "-o",
        path.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    blastradius(&all);
    let html = std::fs::read_to_string(&path).expect("written");
    (dir, path, html)
}

/// The opening tags of SVG shapes in `html`.
fn shapes(html: &str) -> usize {
    [
        "<rect",
        "<path",
        "<ellipse",
        "<circle",
        "<polyline",
        "<line",
    ]
    .iter()
    .map(|t| html.matches(t).count())
    .sum()
}

#[test]
fn the_report_is_self_contained_complete_and_the_same_each_time() {
    let (_dir, _, html) = report(&["--variant", "p120:subsystems.index.restart.parallelism=120"]);
    // Nothing to fetch: no script, no style sheet or image by address, no URL but the SVG
    // namespace (a name, never loaded).
    for banned in [
        "<script", "<link", "<img", "<iframe", "src=", "url(http", "@import",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }
    let addresses = html.matches("http").count();
    let namespaces = html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(addresses, namespaces, "only SVG namespaces");
    for section in [
        "The scenario",
        "Dependency graph",
        "As it happened",
        "Monte Carlo",
        "Why: the inputs behind each outage",
        "Variants compared",
        "How these numbers are computed",
    ] {
        assert!(html.contains(section), "{section}");
    }
    // One graph, one Gantt chart, the probabilities, the recovery pair, a pair per group
    // of customer-facing services (3 for s3-2017) and the comparison's chart.
    assert_eq!(html.matches("<svg").count(), 1 + 1 + 1 + 2 + 3 * 2 + 1);
    assert!(shapes(&html) > 200, "{}", shapes(&html));
    let model = blastradius::scenario::load("s3-2017").expect("built-in");
    for node in &model.nodes {
        assert!(
            html.contains(&format!(">{}</tspan>", node.name)),
            "{}",
            node.name
        );
    }
    // Every ASSUMED value of the file is listed.
    let text = blastradius::scenario::BUILTINS[0].text;
    let assumed = blastradius::scenario::notes(text).assumed.len();
    assert!(assumed > 10);
    assert!(html.contains(&format!("{assumed} values are marked")));
    // The replay as it happened: the 2017 input, every transition, recoveries included.
    assert!(html.contains("typed:    count &quot;100&quot;, selector storage-fleet"));
    assert!(html.contains("partially available → available (needs s3-get)"));
    // The p120 variant restarts index faster: its downtime difference is negative.
    assert!(html.contains("<tr><td>p120</td><td>index</td><td class=\"num\">-"));
    let (_dir2, _, again) = report(&["--variant", "p120:subsystems.index.restart.parallelism=120"]);
    assert_eq!(html, again, "the same bytes on every run");
}

#[test]
fn a_scenario_without_an_input_as_typed_has_no_replay_and_a_bad_output_is_refused() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/k-of-n.toml");
    let (_dir, _, html) = report(&[fixture]);
    assert!(!html.contains("As it happened"));
    assert!(html.contains("Monte Carlo"));
    // The report may not be written over the scenario it reads.
    let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(["report", "-q", "--runs", "100", fixture, "-o", fixture])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    // And an output is required: clap says so.
    let out = Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(["report", "-q"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));
}

/// Debian's Chromium, if installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Runs headless Chromium on `page` with `args`; its output.
fn headless(browser: &str, page: &Path, profile: &Path, args: &[&str]) -> Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
fn headless_chromium_draws_the_report() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (.ci/run installs it)"
        );
        eprintln!("chromium is not installed: the report is not drawn (.ci/run installs it)");
        return;
    };
    let (dir, page, _) = report(&[]);
    let profile = dir.path().join("profile");
    // The DOM as the browser parsed it: every chart an SVG with shapes in it.
    let dom = headless(browser, &page, &profile, &["--dump-dom"]);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    for line in log.lines() {
        assert!(
            !(line.contains("CONSOLE") || line.contains("Failed to load resource")),
            "console: {line}"
        );
    }
    assert!(dom_text.contains("</html>"), "{log}");
    let svgs: Vec<&str> = dom_text.split("<svg").skip(1).collect();
    assert_eq!(svgs.len(), 1 + 1 + 1 + 2 + 3 * 2);
    for svg in &svgs {
        let body = svg.split("</svg>").next().unwrap_or("");
        assert!(
            shapes(body) > 3,
            "an empty chart: {}",
            &body[..body.len().min(200)]
        );
    }
    // A screenshot: the Gantt chart's red and the charts' blue are on it.
    let shot = dir.path().join("report.png");
    let out = headless(
        browser,
        &page,
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,6000",
        ],
    );
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("the screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    let step = info.color_type.samples();
    let count = |rgb: [u8; 3]| {
        pixels[..info.buffer_size()]
            .chunks(step)
            .filter(|p| p[..3] == rgb)
            .count()
    };
    let red = count([0xc9, 0x3c, 0x3c]); // unavailable, in the Gantt chart
    let blue = count([0x3b, 0x6e, 0xa8]); // histograms, CDFs, probabilities
    let fill = count([0xf4, 0xa6, 0xa6]); // failed nodes in the graph
    eprintln!("screenshot: {red} red, {blue} blue, {fill} filled pixels");
    assert!(red > 10_000, "Gantt chart: {red} red pixels");
    assert!(blue > 5_000, "charts: {blue} blue pixels");
    assert!(fill > 1_000, "graph: {fill} filled pixels");
}

#[test]
fn a_graph_too_big_to_draw_is_named_not_drawn() {
    let dir = tempfile::tempdir().expect("a folder");
    let big = dir.path().join("big.toml");
    blastradius(&[
        "generate",
        "--subsystems",
        "200",
        "--services",
        "20",
        "-o",
        big.to_str().expect("utf-8"),
    ]);
    let (_out, _, html) = report(&[big.to_str().expect("utf-8")]);
    assert!(html.contains("220 nodes: more than the 150"), "the note");
    assert!(!html.contains("<svg class=\"graph\""));
    assert!(html.contains("Monte Carlo"));
}
