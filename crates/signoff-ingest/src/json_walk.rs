//! Walking a JSON document in memory with the streaming scanner, and handing
//! findings to the sink.
//!
//! [`Walker`] keeps the JSON path of where it is (`$.Results[3].Vulnerabilities`),
//! so every error names it, and decodes the parts a parser needs into typed serde
//! structs one at a time (one Trivy result, one Grype match): a document with a
//! million findings never holds more than one of them decoded. Unknown members are
//! skipped without being decoded.
//!
//! [`Emitter`] fingerprints, counts and forwards findings.

use serde::de::DeserializeOwned;
use signoff_core::finding::Fingerprinter;
use signoff_core::summary::FindingCounts;
use signoff_core::{Digest, Finding, Format};

use crate::FindingSink;
use crate::error::{IngestError, IngestErrorKind, Place, line_column};
use crate::json_scan::{JsonScanner, ScanError};

pub(crate) type Result<T> = std::result::Result<T, IngestError>;

/// A JSON document in memory, with what its errors must name.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) display: &'a str,
    pub(crate) format: Format,
}

impl<'a> Doc<'a> {
    pub(crate) fn new(bytes: &'a [u8], display: &'a str, format: Format) -> Doc<'a> {
        Doc { bytes, display, format }
    }

    pub(crate) fn error(&self, kind: IngestErrorKind) -> IngestError {
        IngestError::new(self.display, Some(self.format), kind)
    }

    /// A shape error at a JSON path, with the line and column of `offset`.
    pub(crate) fn shape(&self, path: &str, message: impl Into<String>, offset: Option<u64>) -> IngestError {
        let line_column = offset.map(|offset| line_column(self.bytes, offset));
        self.error(IngestErrorKind::Shape { message: message.into() })
            .at(Place::JsonPath { path: path.to_owned(), line_column })
    }

    /// A walker from the start of the document (after a byte order mark).
    pub(crate) fn walker(&self) -> Result<Walker<'a>> {
        let mut scanner = JsonScanner::new(self.bytes, self.bytes.len());
        scanner.skip_bom().map_err(|error| self.scan_error(error))?;
        Ok(Walker { scanner, doc: *self, path: String::from("$") })
    }

    fn scan_error(&self, error: ScanError) -> IngestError {
        match error {
            ScanError::Io(error) => self.error(IngestErrorKind::Io(error)),
            ScanError::Syntax { offset, message } => {
                let (line, column) = line_column(self.bytes, offset);
                self.error(IngestErrorKind::Syntax { message }).at(Place::LineColumn { line, column })
            }
        }
    }

    /// Decodes the whole document into `T`, naming the JSON path of a shape error.
    pub(crate) fn decode_all<T: DeserializeOwned>(&self) -> Result<T> {
        let body = self.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(self.bytes);
        let offset = (self.bytes.len() - body.len()) as u64;
        decode_slice(self, body, "$", offset)
    }
}

/// Decodes `bytes` (found at `offset` in the document, at JSON path `path`).
fn decode_slice<T: DeserializeOwned>(doc: &Doc<'_>, bytes: &[u8], path: &str, offset: u64) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let inner_path = error.path().to_string();
        let full = if inner_path == "." || inner_path.is_empty() {
            path.to_owned()
        } else if inner_path.starts_with('[') {
            format!("{path}{inner_path}")
        } else {
            format!("{path}.{inner_path}")
        };
        let inner = error.inner();
        let (start_line, start_column) = line_column(doc.bytes, offset);
        let (line, column) = match (inner.line(), inner.column()) {
            (0, _) => (start_line, start_column),
            (1, column) => (start_line, start_column + column.saturating_sub(1) as u64),
            (line, column) => (start_line + line as u64 - 1, column as u64),
        };
        let message = strip_position(&inner.to_string());
        let kind = if inner.is_syntax() || inner.is_eof() {
            IngestErrorKind::Syntax { message }
        } else {
            IngestErrorKind::Shape { message }
        };
        doc.error(kind).at(Place::JsonPath { path: full, line_column: Some((line, column)) })
    })?;
    deserializer.end().map_err(|error| {
        let (line, column) = line_column(doc.bytes, offset + bytes.len() as u64);
        doc.error(IngestErrorKind::Syntax { message: strip_position(&error.to_string()) })
            .at(Place::LineColumn { line, column })
    })?;
    Ok(value)
}

/// serde_json ends messages with " at line L column C" relative to the decoded
/// value; our place is absolute, so drop it.
pub(crate) fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Walks a document, tracking the JSON path.
pub(crate) struct Walker<'a> {
    scanner: JsonScanner<&'a [u8]>,
    doc: Doc<'a>,
    path: String,
}

impl<'a> Walker<'a> {
    fn scan<T>(&self, result: std::result::Result<T, ScanError>) -> Result<T> {
        result.map_err(|error| self.doc.scan_error(error))
    }

    /// The first byte of the next value (after whitespace), `None` at the end.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>> {
        let peeked = self.scanner.peek_value();
        self.scan(peeked)
    }

    /// A shape error at the next value.
    pub(crate) fn shape(&mut self, message: impl Into<String>) -> IngestError {
        // Point at the value, not at the whitespace before it; a scanning error here
        // only means the place stays where it is.
        let _ = self.scanner.peek_value();
        self.doc.shape(&self.path, message, Some(self.scanner.offset()))
    }

    /// Walks an object, calling `each` with every key; `each` must read (or skip)
    /// the key's value. `null` reads as an empty object.
    pub(crate) fn object(&mut self, what: &str, mut each: impl FnMut(&mut Self, &str) -> Result<()>) -> Result<()> {
        match self.peek()? {
            Some(b'{') => {}
            Some(b'n') => return self.skip(),
            _ => return Err(self.shape(format!("expected {what} (a JSON object)"))),
        }
        let begun = self.scanner.begin_object();
        self.scan(begun)?;
        loop {
            let key = self.scanner.next_key();
            let Some(key) = self.scan(key)? else { break };
            let length = self.path.len();
            push_key(&mut self.path, &key);
            let result = each(self, &key);
            self.path.truncate(length);
            result?;
        }
        Ok(())
    }

    /// Walks an array, calling `each` with every index; `each` must read (or skip)
    /// the element. `null` reads as an empty array.
    pub(crate) fn array(&mut self, what: &str, mut each: impl FnMut(&mut Self, usize) -> Result<()>) -> Result<()> {
        match self.peek()? {
            Some(b'[') => {}
            Some(b'n') => return self.skip(),
            _ => return Err(self.shape(format!("expected {what} (a JSON array)"))),
        }
        let begun = self.scanner.begin_array();
        self.scan(begun)?;
        let mut index = 0usize;
        loop {
            let more = self.scanner.next_element();
            if !self.scan(more)? {
                break;
            }
            let length = self.path.len();
            self.path.push_str(&format!("[{index}]"));
            let result = each(self, index);
            self.path.truncate(length);
            result?;
            index += 1;
        }
        Ok(())
    }

    /// Decodes the next value into `T`.
    pub(crate) fn decode<T: DeserializeOwned>(&mut self) -> Result<T> {
        if self.peek()?.is_none() {
            return Err(self
                .doc
                .error(IngestErrorKind::Syntax { message: "unexpected end of file, expected a value".into() }));
        }
        // The document is in memory: the value is checked by skipping it and then
        // decoded where it lies in the document, not from a copy in the scanner's
        // buffer, which for a document that is one large value doubled its memory.
        let start = self.scanner.offset();
        let skipped = self.scanner.skip_value();
        self.scan(skipped)?;
        let end = self.scanner.offset();
        let range = usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(usize::MAX);
        match self.doc.bytes.get(range) {
            Some(bytes) => decode_slice::<T>(&self.doc, bytes, &self.path, start),
            None => Err(self.doc.shape(&self.path, "internal: a value outside the document", Some(start))),
        }
    }

    /// Skips the next value (checking its syntax).
    pub(crate) fn skip(&mut self) -> Result<()> {
        let skipped = self.scanner.skip_value();
        self.scan(skipped)
    }

    /// After the top-level value: nothing but whitespace may follow.
    pub(crate) fn finish(&mut self) -> Result<()> {
        let finished = self.scanner.finish();
        self.scan(finished)
    }
}

fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty() && key.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{}]", serde_json::Value::String(key.to_owned())));
    }
}

/// Fingerprints, counts and forwards findings.
pub(crate) struct Emitter<'s> {
    sink: &'s mut dyn FindingSink,
    fingerprinter: Fingerprinter,
    /// The fingerprint namespace: the format's name, which is stabler than the
    /// tool's own spelling of its name.
    namespace: &'static str,
    pub(crate) counts: FindingCounts,
    display: String,
    format: Format,
}

impl<'s> Emitter<'s> {
    pub(crate) fn new(sink: &'s mut dyn FindingSink, format: Format, display: &str) -> Emitter<'s> {
        Emitter {
            sink,
            fingerprinter: Fingerprinter::new(),
            namespace: format.as_str(),
            counts: FindingCounts::default(),
            display: display.to_owned(),
            format,
        }
    }

    /// The fingerprint of the next finding with these identity parts.
    pub(crate) fn fingerprint(&mut self, parts: &[&str]) -> Digest {
        self.fingerprinter.fingerprint(self.namespace, parts)
    }

    /// Counts the finding and hands it to the sink.
    pub(crate) fn push(&mut self, finding: Finding) -> Result<()> {
        self.counts.add(&finding);
        self.sink
            .push(finding)
            .map_err(|error| IngestError::new(&self.display, Some(self.format), IngestErrorKind::Sink(error)))
    }
}

/// Text of a JSON scalar (a string, or a number or boolean written out).
pub(crate) fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A JSON scalar as a number (a number, or a string holding one).
pub(crate) fn scalar_f64(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(number) => number.as_f64(),
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|number| number.is_finite())
}

/// A JSON scalar as a non-negative integer.
pub(crate) fn scalar_u64(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(number) => number.as_u64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Item {
        #[allow(dead_code)]
        n: u32,
    }

    #[test]
    fn shape_errors_name_path_and_place() {
        let text = b"{\"a\": {\"list\": [{\"n\": 1},\n {\"n\": \"x\"}]}}";
        let doc = Doc::new(text, "f.json", Format::Grype);
        let mut walker = doc.walker().unwrap();
        let error = walker
            .object("a report", |walker, key| match key {
                "a" => {
                    walker.object("a", |walker, _| walker.array("list", |walker, _| walker.decode::<Item>().map(drop)))
                }
                _ => walker.skip(),
            })
            .unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("f.json: grype: $.a.list[1].n (line 2, column "), "{message}");
        assert!(matches!(error.kind, IngestErrorKind::Shape { .. }));
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let doc = Doc::new(b"{\"a\": [1,\n 2,, 3]}", "f.json", Format::Trivy);
        let mut walker = doc.walker().unwrap();
        let error = walker.skip().unwrap_err();
        assert_eq!(error.place, Some(Place::LineColumn { line: 2, column: 4 }), "{error}");
    }

    #[test]
    fn odd_keys_are_quoted_in_paths() {
        let mut path = String::from("$");
        push_key(&mut path, "@version");
        push_key(&mut path, "Results");
        assert_eq!(path, "$[\"@version\"].Results");
    }
}
