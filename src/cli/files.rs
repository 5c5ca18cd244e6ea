//! Output paths checked before any work: an output never names the scenario being read or
//! another output, and its folder exists, so that a long run cannot end in an error about
//! where to write, or write over its own input.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// What a path will be once written: its canonical form, or its folder's canonical form
/// and its name when it does not exist yet. `None` when its folder does not exist.
fn identity(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(dir).ok()?.join(path.file_name()?))
}

/// Whether writing `path` writes a device or a pipe (`/dev/null`, `/dev/stdout`) rather
/// than a file: several outputs may share those.
fn special(path: &Path) -> bool {
    path.starts_with("/dev")
        || path.starts_with("/proc")
        || std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// Checks `outputs` (option, path) against each other and against the scenario files
/// read (`inputs`, names of built-ins included: they match no file).
pub fn check_outputs(inputs: &[&str], outputs: &[(&'static str, &Path)]) -> Result<(), Error> {
    let read: Vec<PathBuf> = inputs
        .iter()
        .filter(|s| Path::new(s).is_file())
        .filter_map(|s| std::fs::canonicalize(s).ok())
        .collect();
    let mut seen: Vec<(&'static str, PathBuf)> = Vec::new();
    for &(option, path) in outputs {
        let Some(id) = identity(path) else {
            return Err(Error::Write {
                path: path.to_path_buf(),
                source: io::Error::new(io::ErrorKind::NotFound, "its folder does not exist"),
            });
        };
        let refuse = |expected: String| Error::InvalidOption {
            option,
            value: path.display().to_string(),
            expected,
        };
        if read.contains(&id) {
            return Err(refuse("a file other than the scenario it reads".into()));
        }
        if special(path) {
            continue;
        }
        if let Some((other, _)) = seen.iter().find(|(_, p)| *p == id) {
            return Err(refuse(format!("a file of its own: {other} names it too")));
        }
        seen.push((option, id));
    }
    Ok(())
}
