//! Making an input readable: a regular file is read where it is; standard input
//! (`-`), a pipe (`<(cat f)`) or a FIFO is copied into a scratch file first, under
//! the same size limit and within [`Limits::max_wait`], because the parsers read a
//! file more than once (detection, a second pass, an error's line number) and a
//! pipe can be read only once; a device or a folder is refused by name. Bytes
//! held in memory are written to a scratch file when they are read under the
//! ledger's lock, which reads files.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use signoff_ingest::Limits;
use signoff_store::ScratchFile;

use super::InputFile;
use crate::error::AppError;

/// The name standing for standard input.
pub(crate) const STDIN: &str = "-";

/// A file the parsers can read: the input itself, or its copy.
pub(crate) struct Readable {
    /// Where to read it.
    pub(crate) path: PathBuf,
    /// The copy, removed when this drops.
    _copy: Option<ScratchFile>,
}

/// The input as a file the parsers can read; a copy (of a pipe, or of bytes held
/// in memory) goes into `scratch`.
pub(crate) fn readable(input: &InputFile, limits: &Limits, scratch: &Path) -> Result<Readable, AppError> {
    let (path, display) = (input.path.as_path(), input.display.as_str());
    let refuse = |message: String| AppError::Invalid(format!("{display}: {message}"));
    if let Some(contents) = &input.contents {
        let (mut file, copy) = signoff_store::scratch_file(scratch)?;
        file.write_all(contents).and_then(|()| file.flush()).map_err(AppError::io(&copy.path))?;
        return Ok(Readable { path: copy.path.clone(), _copy: Some(copy) });
    }
    if path.as_os_str() == STDIN {
        let stdin = io::stdin();
        #[cfg(unix)]
        let source = {
            use std::os::fd::AsFd;
            File::from(stdin.as_fd().try_clone_to_owned().map_err(|error| refuse(format!("cannot read: {error}")))?)
        };
        return copy(source, display, limits, scratch);
    }
    let metadata = std::fs::metadata(path).map_err(AppError::io(path))?;
    match signoff_ingest::special_file(&metadata) {
        None => Ok(Readable { path: path.to_owned(), _copy: None }),
        #[cfg(unix)]
        Some(_) if std::os::unix::fs::FileTypeExt::is_fifo(&metadata.file_type()) => {
            // Opening a FIFO waits for a writer: open it without waiting, and wait
            // (at most max_wait) for bytes instead.
            use std::os::unix::fs::OpenOptionsExt;
            let source = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(nix::libc::O_NONBLOCK)
                .open(path)
                .map_err(AppError::io(path))?;
            copy(source, display, limits, scratch)
        }
        Some(what) => Err(refuse(format!(
            "not a regular file but {what}: capture a regular file, or pipe it to standard input (`signoff capture -`)"
        ))),
    }
}

/// Copies a pipe into a scratch file, refusing more than `max_size` bytes or a wait
/// past `max_wait`.
fn copy(mut source: File, display: &str, limits: &Limits, scratch: &Path) -> Result<Readable, AppError> {
    let refuse = |message: String| AppError::Invalid(format!("{display}: {message}"));
    let (mut file, copy) = signoff_store::scratch_file(scratch)?;
    let deadline = Instant::now() + limits.max_wait;
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || !readable_within(&source, left).map_err(|error| refuse(format!("cannot read: {error}")))? {
            return Err(refuse(format!(
                "the pipe did not end within {} seconds, the limit for reading a pipe (raise it with --read-timeout)",
                limits.max_wait.as_secs()
            )));
        }
        let read = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => continue,
            Err(error) => return Err(refuse(format!("cannot read: {error}"))),
        };
        size += read as u64;
        if size > limits.max_size {
            return Err(refuse(format!(
                "more than {} bytes arrived, over the limit (raise it with --max-size)",
                limits.max_size
            )));
        }
        file.write_all(&buffer[..read]).map_err(AppError::io(&copy.path))?;
    }
    file.flush().map_err(AppError::io(&copy.path))?;
    Ok(Readable { path: copy.path.clone(), _copy: Some(copy) })
}

/// Waits until `source` has bytes (or has ended), at most `wait`; false when the
/// wait ran out.
#[cfg(unix)]
fn readable_within(source: &File, wait: std::time::Duration) -> io::Result<bool> {
    use nix::poll::{PollFd, PollFlags, poll};
    use std::os::fd::AsFd;
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        // In slices of at most a second: a poll interrupted by a signal costs little.
        let slice = u16::try_from(left.as_millis().clamp(1, 1000)).unwrap_or(1000);
        let mut fds = [PollFd::new(source.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, slice) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => return Ok(true),
            Err(error) => return Err(io::Error::from(error)),
        }
    }
}

#[cfg(not(unix))]
fn readable_within(_source: &File, _wait: std::time::Duration) -> io::Result<bool> {
    Ok(true)
}
