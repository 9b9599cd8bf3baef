//! Reading CI tool outputs as evidence.
//!
//! [`parse_path`] detects a file's format from its content (or takes the one asked
//! for), parses it, reports its summary and hands each normalized finding to a
//! [`FindingSink`] as soon as it is read. SARIF and JUnit are streamed, so a
//! gigabyte-sized log is read in bounded memory.
//!
//! Architecture Invariant: this crate reads the input file and nothing else. It
//! does not know about the store, the ledger or the network; the caller decides what
//! happens to findings by choosing the sink.
//!
//! Architecture Invariant: no input makes a parser panic, recurse without bound or
//! allocate without bound. Nesting is limited ([`json_scan::MAX_DEPTH`]), as are the
//! size of any single JSON value held in memory ([`Limits::max_value`]) and the file
//! size ([`Limits::max_size`]).

mod detect;
mod error;
mod ids;
pub mod json_scan;
mod junit;
mod sarif;

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use detect::{Detected, HEAD_SIZE, detect};
pub use error::{IngestError, IngestErrorKind, Place};
use signoff_core::{EvidenceKind, Finding, Format, Summary, Tool};

/// What a parsed file is.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Its format.
    pub format: Format,
    /// Its evidence kind (from `--kind`, or implied by format and tool).
    pub kind: EvidenceKind,
    /// The tool that wrote it.
    pub tool: Tool,
    /// Counts.
    pub summary: Summary,
    /// When the tool says it produced the file.
    pub produced_at: Option<String>,
    /// When the bytes to store differ from the input (a redacted secrets report),
    /// the bytes to store instead.
    pub stored: Option<Vec<u8>>,
    /// How many secret values were replaced in `stored`.
    pub redacted: u64,
}

/// Size limits. Exceeding one is an error that names the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted.
    pub max_size: u64,
    /// Largest single JSON value held in memory while streaming (one SARIF result,
    /// one run's `tool`).
    pub max_value: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_size: 4 << 30, max_value: 64 << 20 }
    }
}

/// How to parse.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The format, when the caller names it; otherwise detected.
    pub format: Option<Format>,
    /// The evidence kind, when the caller names it; otherwise implied.
    pub kind: Option<EvidenceKind>,
    /// Limits.
    pub limits: Limits,
    /// The key of the keyed hash that replaces secret values
    /// (`redacted:<keyed hash>:<length>`). Each store has its own, so equal
    /// secrets are recognisable within a store and nowhere else.
    pub redaction_key: [u8; 32],
}

/// Receives findings as they are parsed.
pub trait FindingSink {
    /// Takes one finding.
    ///
    /// # Errors
    /// When the consumer cannot keep it; parsing stops with that error.
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

impl FindingSink for Vec<Finding> {
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Vec::push(self, finding);
        Ok(())
    }
}

/// A sink that drops findings (for `inspect`, which only counts).
#[derive(Debug, Default)]
pub struct Discard;

impl FindingSink for Discard {
    fn push(&mut self, _finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

/// Parses the file at `path`; `display` is how errors name it.
///
/// # Errors
/// When the file cannot be read, is empty, too large, of an unknown format, or not
/// valid for its format; the error names the file, the format and the place.
pub fn parse_path(
    path: &Path,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    let io_error = |error| IngestError::new(display, options.format, IngestErrorKind::Io(error));
    let mut file = File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    if size > options.limits.max_size {
        return Err(IngestError::new(
            display,
            options.format,
            IngestErrorKind::TooLarge { size, limit: options.limits.max_size },
        ));
    }
    let mut head = Vec::with_capacity(HEAD_SIZE.min(size as usize));
    (&mut file).take(HEAD_SIZE as u64).read_to_end(&mut head).map_err(io_error)?;
    drop(file);

    let detected = detect(&head);
    let format = match (options.format, detected) {
        (_, Detected::Empty) => return Err(IngestError::new(display, options.format, IngestErrorKind::Empty)),
        (Some(format), _) => format,
        (None, Detected::Format(format)) => format,
        (None, Detected::Unknown(looks_like)) => {
            return Err(IngestError::new(display, None, IngestErrorKind::UnknownFormat { looks_like }));
        }
    };
    match format {
        Format::Sarif => sarif::parse(path, display, options, sink),
        Format::Junit => junit::parse(path, display, options),
        other => Err(IngestError::new(
            display,
            Some(other),
            IngestErrorKind::UnknownFormat {
                looks_like: format!("{other} (this build of signoff cannot read it yet)"),
            },
        )),
    }
}
