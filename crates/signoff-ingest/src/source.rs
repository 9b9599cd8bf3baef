//! Where the bytes come from: a file, read (and re-read, for a second pass or an
//! error's line number) from disk, or a slice already in memory. Every parser reads
//! through this, so [`crate::parse_path`] and [`crate::parse_bytes`] share all code.
//!
//! A file is read only when it is a regular file (a pipe, FIFO or device cannot be
//! read twice, and a device may never end): the caller copies anything else into a
//! regular file first, under the same limits. Every reader of a file stops with an
//! error at the size limit, so a file that grows while it is read is never read
//! past it.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use signoff_core::Format;

use crate::error::{IngestError, IngestErrorKind, line_column, line_column_in_file};

/// The input of one parse.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A file, streamed, read no further than its limit.
    File(&'a Path, u64),
    /// Bytes in memory.
    Bytes(&'a [u8]),
}

impl<'a> Source<'a> {
    /// Size in bytes.
    pub(crate) fn size(&self) -> io::Result<u64> {
        match self {
            Source::File(path, _) => {
                let metadata = std::fs::metadata(path)?;
                match special_file(&metadata) {
                    Some(what) => Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "not a regular file but {what}: capture a regular file, or pipe it to standard input (`signoff capture -`)"
                        ),
                    )),
                    None => Ok(metadata.len()),
                }
            }
            Source::Bytes(bytes) => Ok(bytes.len() as u64),
        }
    }

    /// The first `limit` bytes (fewer for a shorter input).
    pub(crate) fn head(&self, limit: usize) -> io::Result<Cow<'a, [u8]>> {
        match self {
            Source::File(path, _) => {
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
            Source::File(path, limit) => {
                Ok(Box::new(BufReader::with_capacity(1 << 20, Bounded::new(File::open(path)?, *limit))))
            }
            Source::Bytes(bytes) => Ok(Box::new(*bytes)),
        }
    }

    /// A reader from the start without a buffer of its own, for a reader that
    /// buffers itself (the JSON scanner): a second buffer would only copy every
    /// byte once more.
    pub(crate) fn unbuffered(&self) -> io::Result<Box<dyn Read + 'a>> {
        match self {
            Source::File(path, limit) => Ok(Box::new(Bounded::new(File::open(path)?, *limit))),
            Source::Bytes(bytes) => Ok(Box::new(*bytes)),
        }
    }

    /// Line and column (1-based) of a byte offset; for a file this re-reads its
    /// start, which only happens on the error path.
    pub(crate) fn line_column(&self, offset: u64) -> Option<(u64, u64)> {
        match self {
            Source::File(path, _) => line_column_in_file(path, offset),
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
            Source::File(path, _) => {
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

/// What a file is when it is not a regular file ("a FIFO", "a character device"...).
pub fn special_file(metadata: &std::fs::Metadata) -> Option<&'static str> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// A reader that fails once more than `limit` bytes have been read: the size was
/// checked before reading, so only a file that grows while it is read gets there.
pub(crate) struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> Bounded<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Bounded<R> {
        Bounded { inner, left: limit, limit }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more says whether the file really goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "the file grew past the limit of {} bytes while it was read (raise it with --max-size)",
                    self.limit
                ))),
            };
        }
        let room = usize::try_from(self.left).unwrap_or(usize::MAX).min(buffer.len());
        let read = self.inner.read(&mut buffer[..room])?;
        self.left -= read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_stops_at_the_limit_of_an_endless_input() {
        let mut read = Vec::new();
        let error = Bounded::new(io::repeat(b'x'), 1 << 20).read_to_end(&mut read).unwrap_err();
        assert!(error.to_string().contains("grew past the limit of 1048576 bytes"), "{error}");
        assert_eq!(read.len(), 1 << 20);
        let mut exact = Vec::new();
        Bounded::new(&[7u8; 100][..], 100).read_to_end(&mut exact).unwrap();
        assert_eq!(exact.len(), 100);
    }
}
