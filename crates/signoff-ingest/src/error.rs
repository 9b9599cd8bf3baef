//! Why a file could not be read as evidence, and where.
//!
//! Every error names the file, the format (detected or asked for) and, where there
//! is one, the place: a line and column, or a JSON path. The CLI prints it as
//! `FILE: FORMAT: PLACE: MESSAGE`.

use std::fmt;
use std::io;

use signoff_core::Format;

/// A file that could not be parsed.
#[derive(Debug)]
pub struct IngestError {
    /// The file as the user named it.
    pub file: String,
    /// The format it was read as, when known.
    pub format: Option<Format>,
    /// Where in the file.
    pub place: Option<Place>,
    /// What went wrong.
    pub kind: IngestErrorKind,
}

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// 1-based line and column (columns count bytes).
    LineColumn {
        /// Line.
        line: u64,
        /// Column.
        column: u64,
    },
    /// A JSON path such as `$.runs[0].results[3].level`, with the line and column
    /// where known.
    JsonPath {
        /// The path.
        path: String,
        /// Line and column, if known.
        line_column: Option<(u64, u64)>,
    },
    /// A line of a line-oriented format.
    Line(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Place::JsonPath { path, line_column: Some((line, column)) } => {
                write!(f, "{path} (line {line}, column {column})")
            }
            Place::JsonPath { path, line_column: None } => f.write_str(path),
            Place::Line(line) => write!(f, "line {line}"),
        }
    }
}

/// The kinds of ingest failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestErrorKind {
    /// The file has no content (or only whitespace).
    #[error("the file is empty")]
    Empty,
    /// The file is larger than the configured limit.
    #[error("the file is {size} bytes, over the limit of {limit} bytes for this format (raise it with --max-size)")]
    TooLarge {
        /// File size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The content is not a format signoff knows.
    #[error("unrecognised format: {looks_like} (name one with --format)")]
    UnknownFormat {
        /// What it looked like.
        looks_like: String,
    },
    /// The bytes are not valid JSON / XML / LCOV.
    #[error("{message}")]
    Syntax {
        /// The parser's message.
        message: String,
    },
    /// Valid syntax, but not the shape the format requires.
    #[error("{message}")]
    Shape {
        /// What was expected.
        message: String,
    },
    /// The file is in an encoding other than UTF-8 (every format read is UTF-8).
    #[error(
        "the file is {encoding}, not UTF-8: convert it first (for example `iconv -f {encoding} -t UTF-8 FILE > FILE.utf8`)"
    )]
    Encoding {
        /// The encoding seen ("UTF-16LE", ...).
        encoding: &'static str,
    },
    /// Findings already handed to the sink changed by a redaction found later, and
    /// the sink cannot take them back: parse again with
    /// [`crate::Options::redact_first`].
    #[error("a secret found late changes findings already read: the file must be read again, redacted first")]
    Reread,
    /// Reading the file failed.
    #[error("cannot read: {0}")]
    Io(#[source] io::Error),
    /// The consumer of findings failed (for example, the store).
    #[error("cannot record findings: {0}")]
    Sink(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl IngestError {
    /// An error about `file` without a place yet.
    pub fn new(file: &str, format: Option<Format>, kind: IngestErrorKind) -> IngestError {
        IngestError { file: file.to_owned(), format, place: None, kind }
    }

    /// Adds the place.
    pub fn at(mut self, place: Place) -> IngestError {
        self.place = Some(place);
        self
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match self.format {
            Some(format) => write!(f, ": {format}")?,
            None => write!(f, ": unknown format")?,
        }
        if let Some(place) = &self.place {
            write!(f, ": {place}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for IngestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            IngestErrorKind::Io(error) => Some(error),
            IngestErrorKind::Sink(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}

/// Line and column (1-based) of a byte offset in `bytes`.
pub(crate) fn line_column(bytes: &[u8], offset: u64) -> (u64, u64) {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
    let before = &bytes[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |index| index + 1);
    (line, (offset - line_start) as u64 + 1)
}

/// Line and column of a byte offset in a file, read again on the error path only.
pub(crate) fn line_column_in_file(path: &std::path::Path, offset: u64) -> Option<(u64, u64)> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut prefix = Vec::new();
    file.take(offset).read_to_end(&mut prefix).ok()?;
    Some(line_column(&prefix, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_format_and_place() {
        let error = IngestError::new(
            "scan.sarif",
            Some(Format::Sarif),
            IngestErrorKind::Shape { message: "expected an array".into() },
        )
        .at(Place::JsonPath { path: "$.runs".into(), line_column: Some((2, 11)) });
        assert_eq!(error.to_string(), "scan.sarif: sarif: $.runs (line 2, column 11): expected an array");
    }

    #[test]
    fn line_columns() {
        assert_eq!(line_column(b"ab\ncd", 0), (1, 1));
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column(b"ab\ncd", 99), (2, 3));
    }
}
