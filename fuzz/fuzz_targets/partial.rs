//! Fuzz target: `blastradius merge` on partial results. The input is a mode byte, then up
//! to four partial files separated by NUL bytes (which JSON text never holds): each is
//! written to a file of its own and merged by the command line, as a user's shards are,
//! with `--partial OUT` after a `P` (round 1 by strata merged into a pilot) and with
//! `--json OUT` otherwise. The seeds are real shards (`seeds-partial/`): a plain run, both
//! rounds of a run by strata and of a comparison. Whatever the files hold, the command
//! must answer with results (exit 0) or a clear refusal (exit 2): a panic, an overflow (the
//! target has debug assertions), a hang or any other exit status is a bug.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;

/// Most partial files merged at once.
const MOST_FILES: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("blastradius-fuzz-partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder for the shards");
    let mut args = vec!["blastradius".into(), "merge".into()];
    for (i, file) in rest.split(|&b| b == 0).take(MOST_FILES).enumerate() {
        let path = dir.join(format!("shard{i}.json"));
        std::fs::write(&path, file).expect("a shard written");
        args.push(path.into_os_string());
    }
    let out: PathBuf = dir.join("out.json");
    args.push(if mode == b'P' { "--partial" } else { "--json" }.into());
    args.push(out.into_os_string());
    let code = blastradius::cli::main(args);
    assert!(code == 0 || code == 2, "merge exited with status {code}");
});
