//! Exporters, one per format, each writing to any `io::Write`; where the bytes go is
//! decided by the caller. [`AtomicFile`] makes sure a file is either complete or absent.

pub mod compare;
pub mod csv;
pub mod graph;
pub mod json;
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
pub struct AtomicFile {
    path: PathBuf,
    target: Target,
}

enum Target {
    Temporary(BufWriter<NamedTempFile>),
    Direct(BufWriter<std::fs::File>),
}

impl AtomicFile {
    /// Starts writing what will become `path`.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let fail = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
        let target = if special {
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
            let file = tempfile::Builder::new()
                .prefix(".blastradius-")
                .suffix(".partial")
                .tempfile_in(dir)
                .map_err(fail)?;
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
        }
        Ok(())
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
