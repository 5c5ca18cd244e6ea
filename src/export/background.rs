//! A file written by a thread of its own, so that writing one batch of bytes overlaps
//! computing the next.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::AtomicFile;
use crate::error::Error;

/// How many batches may wait for the writer before [`Background::write`] waits for it: a
/// disk slower than the simulation then holds the simulation back rather than letting the
/// bytes pile up in memory.
const QUEUE: usize = 4;

/// An [`AtomicFile`] fed through a bounded queue to a writer thread, which gives the
/// emptied buffers back for reuse. The bytes land in the order they were sent.
pub struct Background {
    /// `None` once the writer has been joined.
    how: Option<How>,
}

enum How {
    Thread {
        full: SyncSender<Vec<u8>>,
        empty: Receiver<Vec<u8>>,
        thread: JoinHandle<Result<AtomicFile, Error>>,
    },
    /// Standard output is written on the calling thread: it holds the lock on it.
    Inline(AtomicFile),
}

fn write_error(file: &AtomicFile, source: std::io::Error) -> Error {
    Error::Write {
        path: file.path().to_path_buf(),
        source,
    }
}

impl Background {
    /// Starts the writer thread for `file`.
    pub fn start(mut file: AtomicFile) -> Result<Self, Error> {
        if file.is_stdout() {
            return Ok(Background {
                how: Some(How::Inline(file)),
            });
        }
        let (full, queue) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
        let (give_back, empty) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("writer".into())
            .spawn(move || {
                for mut bytes in queue {
                    file.write_all(&bytes).map_err(|e| write_error(&file, e))?;
                    bytes.clear();
                    // The other side may be gone already: the buffer is then dropped.
                    let _ = give_back.send(bytes);
                }
                Ok(file)
            })
            .map_err(|e| Error::Threads {
                threads: 1,
                message: e.to_string(),
            })?;
        Ok(Background {
            how: Some(How::Thread {
                full,
                empty,
                thread,
            }),
        })
    }

    /// Queues `bytes`, waiting while the queue is full; returns a buffer the writer has
    /// emptied, if one is back. An error the writer met is returned here (or by
    /// [`Background::finish`]).
    pub fn write(&mut self, mut bytes: Vec<u8>) -> Result<Option<Vec<u8>>, Error> {
        match &mut self.how {
            Some(How::Inline(file)) => {
                file.write_all(&bytes).map_err(|e| write_error(file, e))?;
                bytes.clear();
                Ok(Some(bytes))
            }
            Some(How::Thread { full, empty, .. }) => match full.send(bytes) {
                Ok(()) => Ok(empty.try_recv().ok()),
                // The writer stopped on an error: report it.
                Err(_) => self.join().map(|_| None),
            },
            None => Err(Error::Write {
                path: "the per-run rows".into(),
                source: std::io::Error::other("written after the writer stopped"),
            }),
        }
    }

    /// Waits for the writer to write everything queued and returns the file.
    pub fn finish(mut self) -> Result<AtomicFile, Error> {
        self.join()
    }

    fn join(&mut self) -> Result<AtomicFile, Error> {
        match self.how.take() {
            Some(How::Inline(file)) => Ok(file),
            Some(How::Thread { full, thread, .. }) => {
                drop(full);
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
            None => Err(Error::Write {
                path: "the per-run rows".into(),
                source: std::io::Error::other("the writer stopped already"),
            }),
        }
    }
}

impl Drop for Background {
    /// Lets the writer finish before its file is dropped (and its temporary file removed).
    fn drop(&mut self) {
        let _ = self.join();
    }
}
