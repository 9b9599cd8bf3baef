//! Where the bytes come from: a file, read (and re-read, for a second pass or an
//! error's line number) from disk, or a slice already in memory. Every parser reads
//! through this, so [`crate::parse_path`] and [`crate::parse_bytes`] share all code.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use signoff_core::Format;

use crate::error::{IngestError, IngestErrorKind, line_column, line_column_in_file};

/// The input of one parse.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A file, streamed.
    File(&'a Path),
    /// Bytes in memory.
    Bytes(&'a [u8]),
}

impl<'a> Source<'a> {
    /// Size in bytes.
    pub(crate) fn size(&self) -> io::Result<u64> {
        match self {
            Source::File(path) => Ok(std::fs::metadata(path)?.len()),
            Source::Bytes(bytes) => Ok(bytes.len() as u64),
        }
    }

    /// The first `limit` bytes (fewer for a shorter input).
    pub(crate) fn head(&self, limit: usize) -> io::Result<Cow<'a, [u8]>> {
        match self {
            Source::File(path) => {
                let mut head = Vec::with_capacity(limit.min(64 * 1024));
                File::open(path)?.take(limit as u64).read_to_end(&mut head)?;
                Ok(Cow::Owned(head))
            }
            Source::Bytes(bytes) => Ok(Cow::Borrowed(&bytes[..bytes.len().min(limit)])),
        }
    }

    /// A buffered reader from the start.
    pub(crate) fn reader(&self) -> io::Result<Box<dyn BufRead + 'a>> {
        match self {
            Source::File(path) => Ok(Box::new(BufReader::with_capacity(1 << 20, File::open(path)?))),
            Source::Bytes(bytes) => Ok(Box::new(*bytes)),
        }
    }

    /// A reader from the start without a buffer of its own, for a reader that
    /// buffers itself (the JSON scanner): a second buffer would only copy every
    /// byte once more.
    pub(crate) fn unbuffered(&self) -> io::Result<Box<dyn Read + 'a>> {
        match self {
            Source::File(path) => Ok(Box::new(File::open(path)?)),
            Source::Bytes(bytes) => Ok(Box::new(*bytes)),
        }
    }

    /// Line and column (1-based) of a byte offset; for a file this re-reads its
    /// start, which only happens on the error path.
    pub(crate) fn line_column(&self, offset: u64) -> Option<(u64, u64)> {
        match self {
            Source::File(path) => line_column_in_file(path, offset),
            Source::Bytes(bytes) => Some(line_column(bytes, offset)),
        }
    }

    /// The whole input in memory, refusing more than `limit` bytes.
    pub(crate) fn bytes(&self, display: &str, format: Format, limit: u64) -> Result<Cow<'a, [u8]>, IngestError> {
        let error = |kind| IngestError::new(display, Some(format), kind);
        let size = self.size().map_err(|io| error(IngestErrorKind::Io(io)))?;
        if size > limit {
            return Err(error(IngestErrorKind::TooLarge { size, limit }));
        }
        match self {
            Source::Bytes(bytes) => Ok(Cow::Borrowed(bytes)),
            Source::File(path) => {
                let file = File::open(path).map_err(|io| error(IngestErrorKind::Io(io)))?;
                let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                // The file may have grown since its size was read: never read past the limit.
                file.take(limit.saturating_add(1))
                    .read_to_end(&mut bytes)
                    .map_err(|io| error(IngestErrorKind::Io(io)))?;
                if bytes.len() as u64 > limit {
                    return Err(error(IngestErrorKind::TooLarge { size: bytes.len() as u64, limit }));
                }
                Ok(Cow::Owned(bytes))
            }
        }
    }
}
