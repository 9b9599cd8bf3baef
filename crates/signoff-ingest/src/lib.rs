//! Reading CI tool outputs as evidence.
//!
//! [`parse_path`] (a file) and [`parse_bytes`] (bytes in memory) detect the format
//! from the content (or take the one asked for), parse it, report its summary and
//! hand each normalized finding to a [`FindingSink`] as soon as it is read. Both go
//! through the same code: a `source::Source` is either a path or a slice.
//!
//! What each format counts, how each tool's severities map to ours, which evidence
//! kind a file implies, how findings are fingerprinted and which values are
//! redacted is documented in the format's module under `formats/`, in
//! [`severity`] (the severity table) and in [`redact`].
//!
//! # Memory
//! SARIF and JUnit are streamed from the file, so a gigabyte-sized log is read in
//! bounded memory; so are the XML coverage, CycloneDX and ZAP reports and LCOV. The
//! other JSON formats are read into memory whole (at most [`Limits::max_document`]
//! bytes) and walked with the streaming scanner, decoding one array element at a
//! time into typed structs that keep only the fields we use; findings go to the sink
//! as they are read. A document therefore costs about its own size plus one element.
//! Only documents that need redaction are parsed into a `serde_json::Value` tree.
//!
//! Architecture Invariant: this crate reads the input and nothing else. It does not
//! know about the store, the ledger or the network; the caller decides what happens
//! to findings by choosing the sink.
//!
//! Architecture Invariant: no input makes a parser panic, recurse without bound or
//! allocate without bound. Nesting is limited (`json_scan::MAX_DEPTH`, quick-xml's
//! and serde_json's own limits), as are the size of any single JSON value held in
//! memory while streaming ([`Limits::max_value`]), the size of a document read into
//! memory ([`Limits::max_document`]) and the file size ([`Limits::max_size`]).
//!
//! Architecture Invariant: secret values never leave this crate unredacted. A
//! secrets report's bytes to store come back in [`Parsed::stored`], and its findings
//! are read from those redacted bytes, never from the original.

mod clearance;
mod detect;
mod error;
mod formats;
mod ids;
pub mod json_scan;
mod json_walk;
pub mod redact;
pub mod severity;
mod source;

use std::path::Path;
use std::sync::Arc;

pub use clearance::{Clearance, Cleared};
pub use detect::{Detected, HEAD_SIZE, detect};
pub use error::{IngestError, IngestErrorKind, Place};
use signoff_core::{EvidenceKind, Finding, Format, Summary, Tool};
pub use source::special_file;

use crate::source::Source;

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
    /// What was scanned, when the report says (A4): Trivy's `ArtifactName`
    /// (with its `ArtifactType`), Grype's `source.target`, an SBOM's subject
    /// (`metadata.component`), SARIF's `versionControlProvenance` repository. A
    /// finding is fixed only by a later scan of the same target.
    pub target: Option<String>,
}

/// Size limits. Exceeding one is an error that names the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted.
    pub max_size: u64,
    /// Largest single JSON value held in memory while streaming (one SARIF result,
    /// one run's `tool`).
    pub max_value: usize,
    /// Largest document read into memory whole: the vendor JSON formats (Trivy,
    /// Grype, ...) and secrets reports that are redacted before anything is stored.
    /// Such a document costs about its size again in memory, never more than a few
    /// times it.
    pub max_document: u64,
    /// Longest wait for more bytes from a pipe (standard input, a FIFO) before the
    /// capture gives up; a regular file never waits.
    pub max_wait: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_size: 4 << 30,
            max_value: 64 << 20,
            max_document: 512 << 20,
            max_wait: std::time::Duration::from_secs(600),
        }
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
    /// Where the parser says how much of the input is known to be stored as it is,
    /// for a caller that copies the input while it is parsed (see [`Clearance`]).
    pub clearance: Option<Arc<Clearance>>,
    /// Read a SARIF log in memory and redact it before any finding reaches the sink,
    /// as after [`IngestErrorKind::Reread`].
    pub redact_first: bool,
}

/// Receives findings as they are parsed.
pub trait FindingSink {
    /// Takes one finding.
    ///
    /// # Errors
    /// When the consumer cannot keep it; parsing stops with that error.
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;

    /// Takes back every finding pushed so far, when the parser learns it must hand
    /// them over again (redaction changed them: a SARIF run that mentions a secret
    /// a later secret scanner's run reports); false when the sink cannot, and the
    /// parse then ends with [`IngestErrorKind::Reread`].
    fn retract(&mut self) -> bool {
        false
    }
}

impl FindingSink for Vec<Finding> {
    fn push(&mut self, finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Vec::push(self, finding);
        Ok(())
    }

    fn retract(&mut self) -> bool {
        self.clear();
        true
    }
}

/// A sink that drops findings (for `inspect`, which only counts).
#[derive(Debug, Default)]
pub struct Discard;

impl FindingSink for Discard {
    fn push(&mut self, _finding: Finding) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }

    fn retract(&mut self) -> bool {
        true
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
    parse_source(&Source::File(path, options.limits.max_size), display, options, sink)
}

/// Parses bytes already in memory, exactly as [`parse_path`] parses a file with
/// these contents; `display` is how errors name them.
///
/// # Errors
/// As [`parse_path`].
pub fn parse_bytes(
    bytes: &[u8],
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    parse_source(&Source::Bytes(bytes), display, options, sink)
}

fn parse_source(
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    let io_error = |error| IngestError::new(display, options.format, IngestErrorKind::Io(error));
    let size = source.size().map_err(io_error)?;
    if size > options.limits.max_size {
        return Err(IngestError::new(
            display,
            options.format,
            IngestErrorKind::TooLarge { size, limit: options.limits.max_size },
        ));
    }
    let head = source.head(HEAD_SIZE).map_err(io_error)?;
    if let Some(encoding) = detect::utf16_or_32(&head) {
        return Err(IngestError::new(display, options.format, IngestErrorKind::Encoding { encoding }));
    }
    let detected = detect(&head);
    let format = match (options.format, detected) {
        (_, Detected::Empty) => return Err(IngestError::new(display, options.format, IngestErrorKind::Empty)),
        (Some(format), _) => format,
        (None, Detected::Format(format)) => format,
        // `--kind` on a JSON document signoff does not otherwise read keeps it as a
        // generic attestation of that kind.
        (None, Detected::Unknown(_)) if options.kind.is_some() && detect::looks_like_json(&head) => Format::Generic,
        (None, Detected::Unknown(looks_like)) => {
            return Err(IngestError::new(display, None, IngestErrorKind::UnknownFormat { looks_like }));
        }
    };
    formats::parse(format, source, display, options, sink)
}
