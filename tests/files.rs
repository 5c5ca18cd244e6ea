//! The user's files and surroundings: outputs never overwrite the scenario or each other,
//! are checked before anything runs, write through symbolic links and keep modes; scenario
//! paths that are not regular files are refused at once; a closed stderr is no crash.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const SCENARIO: &str = "[scenario]\nname = \"tiny\"\n\n[subsystems.a]\nservers = 4\n\
                        min_capacity = 3\nrestart = { parallelism = 2, boot_time = \
                        { dist = \"constant\", value = \"1m\" } }\n\n[services.api]\n\
                        needs = [\"a\"]\n\n[command]\ntarget = \"a\"\ncount = 1\n";

fn blastradius_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blastradius"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// Exit `code`, nothing on stdout, `message` on stderr.
fn refused(out: &Output, code: i32, message: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(out.stdout.is_empty(), "printed a result: {stderr}");
    assert!(stderr.contains(message), "{stderr}");
}

#[test]
fn an_output_never_overwrites_the_scenario_or_another_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), SCENARIO).unwrap();
    let out = blastradius_in(dir.path(), &["run", "tiny.toml", "--json", "tiny.toml"]);
    refused(&out, 2, "expected a file other than the scenario it reads");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tiny.toml")).unwrap(),
        SCENARIO
    );
    // Through another spelling of the same path too.
    let out = blastradius_in(dir.path(), &["run", "tiny.toml", "--csv", "./tiny.toml"]);
    refused(&out, 2, "expected a file other than the scenario it reads");
    let out = blastradius_in(
        dir.path(),
        &[
            "run",
            "tiny.toml",
            "--csv",
            "same.out",
            "--json",
            "same.out",
        ],
    );
    refused(&out, 2, "a file of its own: --csv names it too");
    let out = blastradius_in(
        dir.path(),
        &[
            "compare",
            "tiny.toml",
            "--variant",
            "x:",
            "--json",
            "tiny.toml",
        ],
    );
    refused(&out, 2, "expected a file other than the scenario it reads");
    // A missing folder is found before the runs, not after them.
    let out = blastradius_in(
        dir.path(),
        &["run", "tiny.toml", "--json", "nowhere/x.json"],
    );
    refused(
        &out,
        1,
        "cannot write nowhere/x.json: its folder does not exist",
    );
}

#[cfg(unix)]
#[test]
fn outputs_write_through_symbolic_links_and_keep_modes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), SCENARIO).unwrap();
    std::fs::write(dir.path().join("real.json"), "old").unwrap();
    let mode = std::fs::Permissions::from_mode(0o640);
    std::fs::set_permissions(dir.path().join("real.json"), mode).unwrap();
    std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).unwrap();
    let out = blastradius_in(
        dir.path(),
        &["run", "tiny.toml", "-q", "--json", "link.json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = std::fs::symlink_metadata(dir.path().join("link.json")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is still a link");
    let real = dir.path().join("real.json");
    assert!(std::fs::read_to_string(&real)
        .unwrap()
        .contains("\"scenario\": \"tiny\""));
    let kept = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(kept, 0o640, "a replaced file keeps its mode");
}

#[cfg(unix)]
#[test]
fn a_scenario_path_that_is_no_regular_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    refused(
        &blastradius_in(dir.path(), &["check", "/dev/zero"]),
        2,
        "expected a regular TOML file, not a device, pipe or socket",
    );
    refused(
        &blastradius_in(dir.path(), &["check", "."]),
        2,
        "expected a TOML file, not a folder",
    );
    // A pipe with no writer would block a reader forever: it is never opened.
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    refused(
        &blastradius_in(dir.path(), &["check", "fifo"]),
        2,
        "not a device, pipe or socket",
    );
    // Text that is not UTF-8: a scenario error at the first bad byte.
    std::fs::write(
        dir.path().join("bad.toml"),
        b"[scenario]\nname = \"\xff\"\n",
    )
    .unwrap();
    refused(
        &blastradius_in(dir.path(), &["check", "bad.toml"]),
        2,
        "bad.toml:2:9: not UTF-8 text; expected a TOML file encoded in UTF-8",
    );
    // A folder named like a built-in does not hide it.
    std::fs::create_dir(dir.path().join("s3-2017")).unwrap();
    let out = blastradius_in(dir.path(), &["run", "--runs", "300", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_is_no_crash() {
    let full = || {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        Stdio::from(file)
    };
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_blastradius"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(full())
            .status()
            .unwrap()
    };
    // The error message cannot be written: still exit 2, not a panic (101).
    assert_eq!(run(&["check", "missing.toml"]).code(), Some(2));
    // The timing line cannot be written: the run still succeeds.
    assert_eq!(run(&["run", "--runs", "300"]).code(), Some(0));
}

#[cfg(unix)]
#[test]
fn files_are_written_before_a_reader_closes_stdout() {
    // `blastradius run … --json out.json | head -1`: the summary's reader goes away after
    // one line; the JSON is written before the summary, so it is there all the same.
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_blastradius");
    for method in ["strata", "plain"] {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "'{bin}' run --method {method} --runs 2000 -q --json {method}.json | head -1"
            ))
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let json = std::fs::read_to_string(dir.path().join(format!("{method}.json"))).unwrap();
        assert!(json.contains("\"scenario\": \"s3-2017\""), "{method}");
    }
}

#[test]
fn json_to_dev_stdout_lands_before_the_summary_in_a_redirected_file() {
    // `/dev/stdout` opened anew would start at offset 0 and the summary, printed through
    // the shell's descriptor, would write over the JSON; with `>>` it would not append.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.toml"), SCENARIO).unwrap();
    for (redirect, before) in [(">", ""), (">>", "earlier line\n")] {
        let out_path = dir.path().join("out.txt");
        std::fs::write(&out_path, before).unwrap();
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "\"$0\" run tiny.toml --runs 50 --json /dev/stdout {redirect} out.txt"
            ))
            .arg(env!("CARGO_BIN_EXE_blastradius"))
            .current_dir(dir.path())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let text = std::fs::read_to_string(&out_path).unwrap();
        let rest = text.strip_prefix(before).expect("what was there stays");
        let mut json = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
        let first = json.next().expect("the JSON").expect("whole JSON first");
        assert_eq!(first["scenario"], "tiny");
        let summary = &rest[json.byte_offset()..];
        assert!(summary.starts_with("\ntiny (tiny.toml): "), "{summary}");
    }
}
