//! Format detection from content: the first bytes of a file decide, never its name.

use quick_xml::Reader;
use quick_xml::events::Event;
use signoff_core::Format;

use crate::json_scan::JsonScanner;

/// How many bytes detection looks at.
pub const HEAD_SIZE: usize = 64 * 1024;

/// What the start of a file looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// A format signoff reads.
    Format(Format),
    /// Nothing but whitespace (or a byte order mark).
    Empty,
    /// Something else; says what it looked like.
    Unknown(String),
}

/// Detects the format of a file from its first [`HEAD_SIZE`] bytes.
pub fn detect(head: &[u8]) -> Detected {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body.iter().position(|byte| !byte.is_ascii_whitespace());
    let Some(start) = start else {
        return Detected::Empty;
    };
    let body = &body[start..];
    match body[0] {
        b'<' => detect_xml(body),
        b'{' | b'[' => detect_json(body),
        _ => Detected::Unknown(format!("not JSON or XML (it starts with {:?})", preview(body))),
    }
}

fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(24)]).into_owned();
    text.lines().next().unwrap_or("").to_owned()
}

fn detect_xml(body: &[u8]) -> Detected {
    let mut reader = Reader::from_reader(body);
    let mut buffer = Vec::new();
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(element) | Event::Empty(element)) => {
                let name = element.local_name().as_ref().to_owned();
                return match name.as_str() {
                    "testsuites" | "testsuite" => Detected::Format(Format::Junit),
                    _ => Detected::Unknown(format!("an XML document with root element <{name}>")),
                };
            }
            Ok(Event::Eof) => return Detected::Unknown("an XML document without elements".into()),
            Err(_) => return Detected::Unknown("malformed XML".into()),
            Ok(_) => buffer.clear(),
        }
    }
}

/// Top-level keys of a JSON object, as far as the head shows them.
pub(crate) fn object_keys(body: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut scanner = JsonScanner::new(body, body.len());
    if scanner.begin_object().is_err() {
        return keys;
    }
    while let Ok(Some(key)) = scanner.next_key() {
        keys.push(key);
        if scanner.skip_value().is_err() {
            break;
        }
    }
    keys
}

fn detect_json(body: &[u8]) -> Detected {
    if body[0] == b'[' {
        return Detected::Unknown("a JSON array".into());
    }
    let keys = object_keys(body);
    let has = |key: &str| keys.iter().any(|candidate| candidate == key);
    if has("runs") {
        return Detected::Format(Format::Sarif);
    }
    if keys.is_empty() {
        return Detected::Unknown("a JSON object without keys, or malformed JSON".into());
    }
    let mut shown: Vec<&str> = keys.iter().take(6).map(String::as_str).collect();
    if keys.len() > 6 {
        shown.push("...");
    }
    Detected::Unknown(format!("a JSON object with keys {}", shown.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(detect(b"\xEF\xBB\xBF  {\"version\": \"2.1.0\", \"runs\": []}"), Detected::Format(Format::Sarif));
        assert_eq!(detect(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<testsuites>"), Detected::Format(Format::Junit));
        assert_eq!(detect(b"<testsuite name=\"a\"/>"), Detected::Format(Format::Junit));
        assert_eq!(detect(b" \n\t"), Detected::Empty);
        assert_eq!(detect(b""), Detected::Empty);
        assert!(matches!(detect(b"{\"a\": 1, \"b\": 2}"), Detected::Unknown(text) if text.contains("keys a, b")));
        assert!(matches!(detect(b"hello"), Detected::Unknown(text) if text.contains("not JSON or XML")));
        assert!(matches!(detect(b"<html><body/></html>"), Detected::Unknown(text) if text.contains("<html>")));
    }

    #[test]
    fn truncated_heads_still_detect() {
        let mut sarif = b"{\"runs\": [{\"results\": [".to_vec();
        sarif.extend(std::iter::repeat_n(b' ', 10));
        assert_eq!(detect(&sarif), Detected::Format(Format::Sarif));
    }
}
