//! A streaming JSON scanner: walks a document of any size in bounded memory, skipping
//! what we do not need and handing over the raw bytes of what we do (one SARIF
//! `result` at a time) to `serde_json`.
//!
//! It validates as it goes (strings closed, brackets balanced, commas and colons in
//! place, literals spelled right), so a truncated or corrupt file is reported with
//! its byte offset even where the broken part is in a region we skip.
//!
//! Nesting is bounded by `MAX_DEPTH` and a captured value by the scanner's
//! `max_value`, so no input makes it recurse or allocate without limit.

use std::io::{self, Read};

/// Deepest nesting accepted, as serde_json's default recursion limit.
pub(crate) const MAX_DEPTH: usize = 128;

const INITIAL_BUFFER: usize = 256 * 1024;

/// Whether the JSON value in `bytes` nests no deeper than `limit` levels. serde_json
/// skips an ignored value (`IgnoredAny`) without a depth limit, so a value decoded
/// where it lies in the buffer is checked with this first.
pub(crate) fn nesting_within(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => {
                index += 1;
                while index < bytes.len() {
                    match bytes[index] {
                        b'\\' => index += 2,
                        b'"' => break,
                        _ => index += 1,
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        index += 1;
    }
    true
}

/// A scanning failure at a byte offset.
#[derive(Debug)]
pub(crate) enum ScanError {
    Syntax { offset: u64, message: String },
    Io(io::Error),
}

pub(crate) type ScanResult<T> = Result<T, ScanError>;

/// What a decoder of [`JsonScanner::decode_next`] made of the buffered bytes.
pub(crate) enum Decoded<T> {
    /// A value, and how many bytes it took (whitespace before it included).
    Value(T, usize),
    /// The bytes end before the value does.
    Incomplete,
    /// Not a value the decoder takes, or not JSON.
    Rejected,
}

pub(crate) struct JsonScanner<R> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]`.
    consumed: u64,
    /// Start of a value being captured; bytes from here on are kept in the buffer.
    mark: Option<usize>,
    max_value: usize,
    /// For each open container entered with `begin_object`/`begin_array`: whether
    /// no member has been read yet.
    first: Vec<bool>,
}

impl<R: Read> JsonScanner<R> {
    /// A scanner over `reader` that captures values of at most `max_value` bytes.
    pub(crate) fn new(reader: R, max_value: usize) -> JsonScanner<R> {
        JsonScanner::sized(reader, max_value, None)
    }

    /// [`JsonScanner::new`] for input of about `expected` bytes: its buffer starts
    /// no larger than the input (a few-kilobyte SARIF log does not zero a quarter
    /// of a megabyte) and grows as a larger input needs, as any buffer does.
    pub(crate) fn sized(reader: R, max_value: usize, expected: Option<u64>) -> JsonScanner<R> {
        let initial = expected.map_or(INITIAL_BUFFER, |size| {
            usize::try_from(size.saturating_add(1)).unwrap_or(INITIAL_BUFFER).clamp(4096, INITIAL_BUFFER)
        });
        JsonScanner {
            reader,
            buf: vec![0; initial],
            pos: 0,
            end: 0,
            consumed: 0,
            mark: None,
            max_value: max_value.max(INITIAL_BUFFER),
            first: Vec::new(),
        }
    }

    /// Offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.consumed + self.pos as u64
    }

    fn error<T>(&self, message: impl Into<String>) -> ScanResult<T> {
        Err(ScanError::Syntax { offset: self.offset(), message: message.into() })
    }

    /// Reads more bytes; false at the end of input.
    fn fill(&mut self) -> ScanResult<bool> {
        let keep_from = self.mark.unwrap_or(self.pos);
        if keep_from > 0 {
            self.buf.copy_within(keep_from..self.end, 0);
            self.consumed += keep_from as u64;
            self.pos -= keep_from;
            self.end -= keep_from;
            self.mark = self.mark.map(|mark| mark - keep_from);
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= self.max_value {
                let limit = self.max_value;
                return self.error(format!("a single value is larger than {limit} bytes"));
            }
            let grown = (self.buf.len() * 2).min(self.max_value);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(read) => {
                    self.end += read;
                    return Ok(read > 0);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(ScanError::Io(error)),
            }
        }
    }

    /// The next byte without consuming it; `None` at the end of input.
    fn peek(&mut self) -> ScanResult<Option<u8>> {
        if self.pos >= self.end && !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// Skips whitespace and returns the next byte without consuming it.
    fn peek_token(&mut self) -> ScanResult<Option<u8>> {
        loop {
            while self.pos < self.end {
                let byte = self.buf[self.pos];
                if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(byte));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    fn expect_token(&mut self, expected: u8, what: &str) -> ScanResult<()> {
        match self.peek_token()? {
            Some(byte) if byte == expected => {
                self.pos += 1;
                Ok(())
            }
            Some(byte) => self.error(format!("expected {what}, found {}", describe(byte))),
            None => self.error(format!("unexpected end of file, expected {what}")),
        }
    }

    /// Skips a UTF-8 byte order mark, if the input starts with one.
    pub(crate) fn skip_bom(&mut self) -> ScanResult<()> {
        while self.end < 3 {
            if !self.fill()? {
                break;
            }
        }
        if self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        Ok(())
    }

    /// The first byte of the next value, after whitespace.
    pub(crate) fn peek_value(&mut self) -> ScanResult<Option<u8>> {
        self.peek_token()
    }

    /// Enters an object: the next value must be `{`.
    pub(crate) fn begin_object(&mut self) -> ScanResult<()> {
        self.expect_token(b'{', "'{' (an object)")?;
        self.first.push(true);
        Ok(())
    }

    /// The next key of the object entered last, with its `:` consumed; `None` after
    /// the closing `}`.
    pub(crate) fn next_key(&mut self) -> ScanResult<Option<String>> {
        let first = self.first.last().copied().unwrap_or(true);
        match self.peek_token()? {
            Some(b'}') => {
                self.pos += 1;
                self.first.pop();
                return Ok(None);
            }
            Some(b',') if !first => {
                self.pos += 1;
            }
            Some(_) if first => {}
            Some(byte) => return self.error(format!("expected ',' or '}}', found {}", describe(byte))),
            None => return self.error("unexpected end of file inside an object"),
        }
        if let Some(flag) = self.first.last_mut() {
            *flag = false;
        }
        match self.peek_token()? {
            Some(b'"') => {}
            Some(byte) => return self.error(format!("expected a string key, found {}", describe(byte))),
            None => return self.error("unexpected end of file inside an object"),
        }
        let key = self.read_string()?;
        self.expect_token(b':', "':'")?;
        Ok(Some(key))
    }

    /// Enters an array: the next value must be `[`.
    pub(crate) fn begin_array(&mut self) -> ScanResult<()> {
        self.expect_token(b'[', "'[' (an array)")?;
        self.first.push(true);
        Ok(())
    }

    /// Whether another element follows in the array entered last (consuming the
    /// `,` before it, or the closing `]`).
    pub(crate) fn next_element(&mut self) -> ScanResult<bool> {
        let first = self.first.last().copied().unwrap_or(true);
        match self.peek_token()? {
            Some(b']') => {
                self.pos += 1;
                self.first.pop();
                return Ok(false);
            }
            Some(b',') if !first => self.pos += 1,
            Some(_) if first => {}
            Some(byte) => return self.error(format!("expected ',' or ']', found {}", describe(byte))),
            None => return self.error("unexpected end of file inside an array"),
        }
        if let Some(flag) = self.first.last_mut() {
            *flag = false;
        }
        Ok(true)
    }

    /// Reads a string value (the next token must be `"`), unescaped.
    pub(crate) fn read_string(&mut self) -> ScanResult<String> {
        let start = self.offset();
        let raw = self.capture_with(|scanner| scanner.skip_string_token(), |bytes| bytes.to_vec())?;
        serde_json::from_slice::<String>(&raw)
            .map_err(|error| ScanError::Syntax { offset: start, message: format!("invalid string: {error}") })
    }

    /// Skips the next value, checking its syntax.
    pub(crate) fn skip_value(&mut self) -> ScanResult<()> {
        self.skip_value_at(self.first.len())
    }

    /// Decodes the next value where it lies in the buffer, in one pass: `decode` is
    /// given the buffered input from the value's first byte on and says what it
    /// made of it. When the buffer ends inside the value, more is read and
    /// `decode` is asked again (the buffer grows up to `max_value`, as for
    /// [`JsonScanner::capture_value`]). `None` when `decode` rejects the value or
    /// the input ends inside it; the scanner has not moved then, so the caller can
    /// capture the value to name the error.
    pub(crate) fn decode_next<T>(&mut self, mut decode: impl FnMut(&[u8]) -> Decoded<T>) -> ScanResult<Option<T>> {
        if self.peek_token()?.is_none() {
            return self.error("unexpected end of file, expected a value");
        }
        loop {
            match decode(&self.buf[self.pos..self.end]) {
                Decoded::Value(value, length) => {
                    self.pos += length.min(self.end - self.pos);
                    return Ok(Some(value));
                }
                Decoded::Rejected => return Ok(None),
                Decoded::Incomplete => {
                    if !self.read_more()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Fills the buffer, keeping everything from `pos` (growing the buffer when it
    /// holds nothing else); false when the input has ended.
    fn read_more(&mut self) -> ScanResult<bool> {
        // The mark keeps the value's bytes in the buffer while it is refilled.
        self.mark = Some(self.pos);
        let more = self.fill_up();
        self.mark = None;
        more
    }

    fn fill_up(&mut self) -> ScanResult<bool> {
        if !self.fill()? {
            return Ok(false);
        }
        while self.end < self.buf.len() && self.fill()? {}
        Ok(true)
    }

    /// Checks the next value and hands its raw bytes to `use_bytes`.
    pub(crate) fn capture_value<T>(&mut self, use_bytes: impl FnOnce(&[u8]) -> T) -> ScanResult<T> {
        let depth = self.first.len();
        self.capture_with(|scanner| scanner.skip_value_at(depth), use_bytes)
    }

    fn capture_with<T>(
        &mut self,
        skip: impl FnOnce(&mut Self) -> ScanResult<()>,
        use_bytes: impl FnOnce(&[u8]) -> T,
    ) -> ScanResult<T> {
        if self.peek_token()?.is_none() {
            return self.error("unexpected end of file, expected a value");
        }
        self.mark = Some(self.pos);
        let skipped = skip(self);
        let mark = self.mark.take().unwrap_or(self.pos);
        skipped?;
        Ok(use_bytes(&self.buf[mark..self.pos]))
    }

    /// After the document's top-level value: only whitespace may remain.
    pub(crate) fn finish(&mut self) -> ScanResult<()> {
        match self.peek_token()? {
            None => Ok(()),
            Some(byte) => self.error(format!("unexpected {} after the end of the document", describe(byte))),
        }
    }

    fn skip_value_at(&mut self, depth: usize) -> ScanResult<()> {
        if depth > MAX_DEPTH {
            return self.error(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        match self.peek_token()? {
            Some(b'{') => {
                self.pos += 1;
                if self.peek_token()? == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    match self.peek_token()? {
                        Some(b'"') => self.skip_string_token()?,
                        Some(byte) => return self.error(format!("expected a string key, found {}", describe(byte))),
                        None => return self.error("unexpected end of file inside an object"),
                    }
                    self.expect_token(b':', "':'")?;
                    self.skip_value_at(depth + 1)?;
                    match self.peek_token()? {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        Some(byte) => return self.error(format!("expected ',' or '}}', found {}", describe(byte))),
                        None => return self.error("unexpected end of file inside an object"),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                if self.peek_token()? == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value_at(depth + 1)?;
                    match self.peek_token()? {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        Some(byte) => return self.error(format!("expected ',' or ']', found {}", describe(byte))),
                        None => return self.error("unexpected end of file inside an array"),
                    }
                }
            }
            Some(b'"') => self.skip_string_token(),
            Some(b't') => self.skip_literal(b"true"),
            Some(b'f') => self.skip_literal(b"false"),
            Some(b'n') => self.skip_literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            Some(byte) => self.error(format!("expected a JSON value, found {}", describe(byte))),
            None => self.error("unexpected end of file, expected a value"),
        }
    }

    /// Skips a string; the next byte is its opening quote.
    fn skip_string_token(&mut self) -> ScanResult<()> {
        self.pos += 1;
        loop {
            match memchr::memchr3(b'"', b'\\', b'\n', &self.buf[self.pos..self.end]) {
                Some(index) => {
                    let at = self.pos + index;
                    match self.buf[at] {
                        b'"' => {
                            self.pos = at + 1;
                            return Ok(());
                        }
                        b'\n' => {
                            self.pos = at;
                            return self.error("unterminated string (a raw line break inside a string)");
                        }
                        _ => {
                            // An escape: skip the backslash and the escaped byte (a `\uXXXX`
                            // escape's hex digits are plain bytes and need no special care).
                            self.pos = at + 1;
                            if self.peek()?.is_none() {
                                return self.error("unexpected end of file inside a string");
                            }
                            self.pos += 1;
                        }
                    }
                }
                None => {
                    self.pos = self.end;
                    if !self.fill()? {
                        return self.error("unexpected end of file inside a string");
                    }
                }
            }
        }
    }

    fn skip_literal(&mut self, literal: &[u8]) -> ScanResult<()> {
        for expected in literal {
            match self.peek()? {
                Some(byte) if byte == *expected => self.pos += 1,
                _ => {
                    let text = String::from_utf8_lossy(literal);
                    return self.error(format!("invalid literal, expected {text}"));
                }
            }
        }
        self.check_delimiter()
    }

    fn skip_number(&mut self) -> ScanResult<()> {
        let mut digits = 0usize;
        while let Some(byte) = self.peek()? {
            match byte {
                b'0'..=b'9' => digits += 1,
                b'-' | b'+' | b'.' | b'e' | b'E' => {}
                _ => break,
            }
            self.pos += 1;
        }
        if digits == 0 {
            return self.error("invalid number");
        }
        self.check_delimiter()
    }

    /// After a scalar: the next byte must end it.
    fn check_delimiter(&mut self) -> ScanResult<()> {
        match self.peek()? {
            None | Some(b' ' | b'\n' | b'\r' | b'\t' | b',' | b']' | b'}') => Ok(()),
            Some(byte) => self.error(format!("unexpected {} after a value", describe(byte))),
        }
    }
}

fn describe(byte: u8) -> String {
    if byte.is_ascii_graphic() { format!("'{}'", byte as char) } else { format!("byte 0x{byte:02x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner(text: &str) -> JsonScanner<&[u8]> {
        JsonScanner::new(text.as_bytes(), 1 << 20)
    }

    #[test]
    fn walks_objects_and_arrays() {
        let mut scan = scanner(r#" {"a": [1, {"x": "y\"z"}, [ ]], "b" : "c", "d": null} "#);
        scan.begin_object().unwrap();
        assert_eq!(scan.next_key().unwrap().as_deref(), Some("a"));
        scan.begin_array().unwrap();
        let mut captured = Vec::new();
        while scan.next_element().unwrap() {
            captured.push(scan.capture_value(|bytes| String::from_utf8(bytes.to_vec()).unwrap()).unwrap());
        }
        assert_eq!(captured, ["1", r#"{"x": "y\"z"}"#, "[ ]"]);
        assert_eq!(scan.next_key().unwrap().as_deref(), Some("b"));
        assert_eq!(scan.read_string().unwrap(), "c");
        assert_eq!(scan.next_key().unwrap().as_deref(), Some("d"));
        scan.skip_value().unwrap();
        assert_eq!(scan.next_key().unwrap(), None);
        scan.finish().unwrap();
    }

    #[test]
    fn small_buffers_and_large_values() {
        // Values far larger than the initial buffer force refills mid-token.
        let big = "x".repeat(INITIAL_BUFFER * 3);
        let text = format!(r#"{{"k": ["{big}", "\\\"", 12.5e3]}}"#);
        let mut scan = scanner(&text);
        scan.begin_object().unwrap();
        scan.next_key().unwrap();
        scan.begin_array().unwrap();
        assert!(scan.next_element().unwrap());
        let length = scan.capture_value(|bytes| bytes.len()).unwrap();
        assert_eq!(length, big.len() + 2);
        while scan.next_element().unwrap() {
            scan.skip_value().unwrap();
        }
        assert_eq!(scan.next_key().unwrap(), None);
        scan.finish().unwrap();
    }

    #[test]
    fn reports_offsets_of_errors() {
        let cases = [
            (r#"{"a": [1, 2"#, "unexpected end of file"),
            (r#"{"a" 1}"#, "expected ':'"),
            (r#"{"a": tru}"#, "invalid literal"),
            (r#"{"a": "b}"#, "end of file inside a string"),
            (r#"{"a": 1 "b": 2}"#, "expected ',' or '}'"),
            ("{\"a\": \"line\nbreak\"}", "unterminated string"),
        ];
        for (text, expected) in cases {
            let mut scan = scanner(text);
            let result = scan.skip_value().and_then(|()| scan.finish());
            match result {
                Err(ScanError::Syntax { message, .. }) => assert!(message.contains(expected), "{text}: {message}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn bounds_depth_and_value_size() {
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert!(
            matches!(scanner(&deep).skip_value(), Err(ScanError::Syntax { message, .. }) if message.contains("nesting"))
        );
        let text = format!(r#"["{}"]"#, "y".repeat(INITIAL_BUFFER * 4));
        let mut scan = JsonScanner::new(text.as_bytes(), INITIAL_BUFFER);
        scan.begin_array().unwrap();
        scan.next_element().unwrap();
        assert!(scan.capture_value(|bytes| bytes.len()).is_err());
    }
}
