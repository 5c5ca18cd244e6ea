//! Exporters, one per format, each writing to any `io::Write`; where the bytes go is
//! decided by the caller. [`AtomicFile`] makes sure a file is either complete or absent.

pub mod background;
mod capacity;
pub mod compare;
pub mod csv;
pub mod diagram;
pub mod gantt;
pub mod graph;
pub mod html;
pub mod json;
mod loss;
pub mod partial;
mod shown;
pub mod strata;
pub mod sweep;
pub mod text;
pub mod timeline;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::Error;

/// A file written to a temporary name in the same folder and renamed into place only when
/// complete, so a crash, a kill or an error never leaves a truncated file at `path`.
/// A path that exists and is not a regular file (`/dev/stdout`, a pipe) is written directly.
/// A symbolic link is written through, never replaced: a link to a regular file gets the
/// file replaced atomically where it is; a link into `/dev` or `/proc` (`/dev/stdout` to
/// a redirected file) is written directly.
pub struct AtomicFile {
    path: PathBuf,
    target: Target,
}

enum Target {
    Temporary(BufWriter<NamedTempFile>),
    Direct(BufWriter<std::fs::File>),
    /// The path is this process's standard output (`/dev/stdout` or the file it was
    /// redirected to): written through it, so the bytes land after what was printed
    /// there already instead of over it.
    Stdout(io::Stdout),
}

impl AtomicFile {
    /// Starts writing what will become `path`.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let fail = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        // `/dev/stdout` links to `/proc/self/fd/1`, which resolves to whatever stdout is
        // (a redirected file, say): such paths are written as they are, never replaced.
        let system = |p: &Path| p.starts_with("/dev") || p.starts_with("/proc");
        let hop = std::fs::read_link(path).ok();
        let through_system = system(path) || hop.as_deref().is_some_and(system);
        let resolved = match hop {
            Some(_) if !through_system => std::fs::canonicalize(path).map_err(fail)?,
            _ => path.to_path_buf(),
        };
        let special = through_system || std::fs::metadata(&resolved).is_ok_and(|m| !m.is_file());
        let path = resolved.as_path();
        let target = if special && is_stdout(path) {
            Target::Stdout(io::stdout())
        } else if special {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(fail)?;
            Target::Direct(BufWriter::new(file))
        } else {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            clean_stale(dir);
            let mut builder = tempfile::Builder::new();
            let prefix = format!("{PARTIAL}{}-", std::process::id());
            builder.prefix(&prefix).suffix(".partial");
            // A replaced file keeps its mode; a new one gets the usual 0666 less the umask
            // (the system applies the umask when the file is created).
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path).map_or(0o666, |m| m.permissions().mode());
                builder.permissions(std::fs::Permissions::from_mode(mode));
            }
            let file = builder.tempfile_in(dir).map_err(fail)?;
            Target::Temporary(BufWriter::new(file))
        };
        Ok(AtomicFile {
            path: path.to_path_buf(),
            target,
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> Result<(), Error> {
        let path = self.path;
        let fail = |source| Error::Write {
            path: path.clone(),
            source,
        };
        match self.target {
            Target::Temporary(writer) => {
                let file = writer.into_inner().map_err(|e| fail(e.into_error()))?;
                file.as_file().sync_all().map_err(fail)?;
                file.persist(&path).map_err(|e| fail(e.error))?;
            }
            Target::Direct(mut writer) => writer.flush().map_err(fail)?,
            Target::Stdout(mut out) => out.flush().map_err(fail)?,
        }
        Ok(())
    }

    /// Whether it is written through this process's standard output.
    pub fn is_stdout(&self) -> bool {
        matches!(self.target, Target::Stdout(_))
    }

    /// Where it will end up.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a whole file with `body`, atomically.
    pub fn write_with(
        path: &Path,
        body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), Error> {
        let mut file = AtomicFile::create(path)?;
        body(&mut file).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
        file.commit()
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.target {
            Target::Temporary(w) => w,
            Target::Direct(w) => w,
            Target::Stdout(w) => w,
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

/// Whether `path` is the file this process's standard output writes to.
#[cfg(unix)]
fn is_stdout(path: &Path) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() else {
        return false;
    };
    match (std::fs::File::from(fd).metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_stdout(_: &Path) -> bool {
    false
}

/// How temporary output files begin; then the writing process's id, a dash, random letters
/// and `.partial`.
const PARTIAL: &str = ".blastradius-";

/// Removes the temporary files that killed runs (SIGKILL, a power cut) left in `dir`: those
/// whose process is gone. Only where that can be told (`/proc`); never another's live file.
fn clean_stale(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PARTIAL)) else {
            continue;
        };
        let Some((pid, _)) = rest.split_once('-') else {
            continue;
        };
        let gone = pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
        });
        if gone && rest.ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
