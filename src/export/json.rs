//! JSON: the report as one pretty-printed object with a trailing newline.

use std::io::{self, Write};

use serde::Serialize;

/// Writes `value` as pretty JSON.
pub fn write<W: Write + ?Sized, T: Serialize>(w: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, value).map_err(io::Error::other)?;
    w.write_all(b"\n")
}
