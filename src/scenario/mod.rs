//! Scenario input: finding a scenario (a file or a built-in), reading its TOML into raw
//! types, and reporting problems at their position. Checking the meaning of what was read
//! is [`crate::model`]'s job; this module never sees the engine.

mod error;
mod generate;
mod notes;
pub(crate) mod raw;
mod read;
mod set;
pub mod units;

use std::path::Path;

pub(crate) use error::did_you_mean;
pub use error::{ScenarioError, ScenarioErrorKind};
pub use generate::{generate, Shape};
pub use notes::{notes, Assumed, Notes};
pub(crate) use read::read;
pub use set::Set;

use crate::error::Error;
use crate::model::Model;

/// A scenario that ships inside the binary.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// The name to pass on the command line.
    pub name: &'static str,
    /// One line saying what it shows.
    pub summary: &'static str,
    /// The TOML text.
    pub text: &'static str,
}

/// The built-in scenarios; the first is the default.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "s3-2017",
        summary: "S3 us-east-1, 2017-02-28: a mistyped removal takes index and placement down",
        text: include_str!("../../scenarios/s3-2017.toml"),
    },
    Builtin {
        name: "s3-2017-guarded",
        summary: "the same, with the minimum-capacity guard and rate limit announced afterwards",
        text: include_str!("../../scenarios/s3-2017-guarded.toml"),
    },
    Builtin {
        name: "s3-cells",
        summary: "the same, with the index subsystem split into 8 cells",
        text: include_str!("../../scenarios/s3-cells.toml"),
    },
    Builtin {
        name: "multi-region",
        summary:
            "customer sites in one region, or failing over to a second by hand or automatically",
        text: include_str!("../../scenarios/multi-region.toml"),
    },
    Builtin {
        name: "s3-operations",
        summary: "a year of routine playbook commands on the 2017 topology (for `operate`)",
        text: include_str!("../../scenarios/s3-operations.toml"),
    },
    Builtin {
        name: "joyent-2014",
        summary: "Joyent us-east-1, 2014-05-27: a mistyped reboot of every server; failed boots wait for a crew",
        text: include_str!("../../scenarios/joyent-2014.toml"),
    },
    Builtin {
        name: "gitlab-2017",
        summary: "GitLab.com, 2017-01-31: a removal on the wrong database host; 6 h of writes lost, restored from a snapshot",
        text: include_str!("../../scenarios/gitlab-2017.toml"),
    },
    Builtin {
        name: "kinesis-2020",
        summary: "Amazon Kinesis us-east-1, 2020-11-25: the front-end fleet out, 5 h of diagnosis, restarted at a safe pace",
        text: include_str!("../../scenarios/kinesis-2020.toml"),
    },
];

/// The name of the scenario used when none is given.
pub const DEFAULT: &str = "s3-2017";

/// Parses and checks scenario text; `origin` names it in error messages.
pub fn parse(origin: &str, text: &str) -> Result<Model, ScenarioError> {
    crate::model::build(origin, text)
}

/// Loads `spec`: a path to a TOML file if one exists there, else the name of a built-in.
pub fn load(spec: &str) -> Result<Model, Error> {
    load_with(spec, &[])
}

/// Loads `spec` with the changes `sets` made to its text first; errors then name it
/// `ORIGIN (--set …)`, at the line and column in the changed text (the same as in the
/// original for every line not changed).
pub fn load_with(spec: &str, sets: &[Set]) -> Result<Model, Error> {
    let (origin, text) = text_with(spec, sets)?;
    Ok(parse(&origin, &text)?)
}

/// The text of `spec` with the changes `sets` made to it, and the origin that errors and
/// reports name it by (`ORIGIN (--set …)` when something was changed): what
/// [`load_with`] parses.
pub fn text_with(spec: &str, sets: &[Set]) -> Result<(String, String), Error> {
    let (origin, text) = source(spec)?;
    if sets.is_empty() {
        return Ok((origin, text));
    }
    let changed = set::apply(&text, sets)?;
    let list: Vec<String> = sets.iter().map(Set::to_string).collect();
    Ok((format!("{origin} (--set {})", list.join(" ")), changed))
}

/// The largest scenario file read: far beyond any real topology, small enough that a
/// mistaken path (`/dev/zero`) cannot take the machine's memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The origin (a path, or `builtin:NAME`) and text of `spec`: a regular file if there is
/// one at that path, else the built-in of that name (a folder of that name does not hide
/// it). A folder, a device or a pipe is refused before anything is read from it.
fn source(spec: &str) -> Result<(String, String), Error> {
    let path = Path::new(spec);
    let builtin = BUILTINS.iter().find(|b| b.name == spec);
    let refuse = |expected: &str| Error::InvalidOption {
        option: "SCENARIO",
        value: spec.to_string(),
        expected: expected.to_string(),
    };
    match (std::fs::metadata(path), builtin) {
        (Ok(m), _) if m.is_file() => {
            if m.len() > MAX_FILE_BYTES {
                return Err(refuse("a scenario file of at most 16 MiB"));
            }
            let text = read_text(spec)?;
            Ok((spec.to_string(), text))
        }
        (_, Some(b)) => Ok((format!("builtin:{}", b.name), b.text.to_string())),
        (Ok(m), None) if m.is_dir() => Err(refuse("a TOML file, not a folder")),
        (Ok(_), None) => Err(refuse("a regular TOML file, not a device, pipe or socket")),
        (Err(_), None) => Err(Error::UnknownScenario {
            name: spec.to_string(),
            builtins: BUILTINS.iter().map(|b| b.name.to_string()).collect(),
        }),
    }
}

/// Reads at most [`MAX_FILE_BYTES`] of a file as UTF-8; text that is not UTF-8 is a
/// scenario error at the position of its first bad byte.
fn read_text(spec: &str) -> Result<String, Error> {
    use std::io::Read;
    let failed = |source| Error::Read {
        path: Path::new(spec).to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(spec)
        .map_err(failed)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::InvalidOption {
            option: "SCENARIO",
            value: spec.to_string(),
            expected: "a scenario file of at most 16 MiB".into(),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = std::str::from_utf8(good).unwrap_or_default();
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::Scenario(ScenarioError {
            origin: spec.to_string(),
            line,
            column,
            kind: ScenarioErrorKind::Syntax(
                "not UTF-8 text; expected a TOML file encoded in UTF-8".into(),
            ),
        })
    })
}
