//! Shared pieces of the XML readers (Cobertura, JaCoCo, CycloneDX XML, ZAP XML).
//!
//! quick-xml reads events without a DTD: a `<!DOCTYPE …>` (JaCoCo's, Cobertura's)
//! is passed over, nothing is fetched, and no entity other than the five XML
//! predefined ones and character references is expanded; an unknown `&name;` is
//! kept as written. Nesting is bounded by [`MAX_XML_DEPTH`], the text kept of
//! any one element by [`MAX_TEXT`], and what quick-xml holds for one event (a text,
//! a CDATA section, a tag with its attributes) by [`EventBudget`]: a longer one is
//! refused rather than held.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use signoff_core::Format;

use crate::error::{IngestError, IngestErrorKind, Place};
use crate::source::Source;

/// Deepest element nesting accepted (as JSON's).
pub(crate) const MAX_XML_DEPTH: usize = 128;

/// Most text kept of one element (titles and names; the rest is not needed).
pub(crate) const MAX_TEXT: usize = 64 * 1024;

/// What errors name: the source, the file as the user named it, the format.
#[derive(Clone, Copy)]
pub(crate) struct XmlContext<'a> {
    pub(crate) source: Source<'a>,
    pub(crate) display: &'a str,
    pub(crate) format: Format,
}

impl XmlContext<'_> {
    pub(crate) fn error(&self, kind: IngestErrorKind) -> IngestError {
        IngestError::new(self.display, Some(self.format), kind)
    }

    /// A shape error at a byte offset.
    pub(crate) fn shape_at(&self, offset: u64, message: impl Into<String>) -> IngestError {
        let failure = self.error(IngestErrorKind::Shape { message: message.into() });
        match self.source.line_column(offset) {
            Some((line, column)) => failure.at(Place::LineColumn { line, column }),
            None => failure,
        }
    }
}

/// How many bytes one event may take: quick-xml holds an event's bytes whole, so
/// the reader under it refuses to hand over more than `limit` bytes between two
/// calls of [`EventBudget::start`].
#[derive(Clone)]
pub(crate) struct EventBudget {
    used: Rc<Cell<u64>>,
    limit: u64,
}

impl EventBudget {
    /// A reader of `source` that keeps to the budget, and the budget.
    pub(crate) fn reader<'a>(source: &Source<'a>, limit: usize) -> io::Result<(Box<dyn BufRead + 'a>, EventBudget)> {
        let budget = EventBudget { used: Rc::new(Cell::new(0)), limit: limit as u64 };
        let inner = source.reader()?;
        Ok((Box::new(Budgeted { inner, budget: budget.clone() }), budget))
    }

    /// A new event starts.
    pub(crate) fn start(&self) {
        self.used.set(0);
    }

    /// Whether the event read last ran over the budget.
    pub(crate) fn exceeded(&self) -> bool {
        self.used.get() > self.limit
    }

    /// The error for an event over the budget.
    pub(crate) fn message(&self) -> String {
        format!(
            "a text, CDATA section, comment or tag runs over {} bytes, the limit for one XML value: it is not read",
            self.limit
        )
    }
}

struct Budgeted<'a> {
    inner: Box<dyn BufRead + 'a>,
    budget: EventBudget,
}

impl Read for Budgeted<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let count = available.len().min(buffer.len());
        buffer[..count].copy_from_slice(&available[..count]);
        self.consume(count);
        Ok(count)
    }
}

impl BufRead for Budgeted<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.budget.exceeded() {
            return Err(io::Error::other(self.budget.message()));
        }
        // Never more than the budget allows (and one byte, to notice the excess),
        // so an input already in memory is cut at the budget too.
        let room = usize::try_from(self.budget.limit - self.budget.used.get()).unwrap_or(usize::MAX).saturating_add(1);
        let available = self.inner.fill_buf()?;
        let room = room.min(available.len());
        Ok(&available[..room])
    }

    fn consume(&mut self, amount: usize) {
        self.budget.used.set(self.budget.used.get().saturating_add(amount as u64));
        self.inner.consume(amount);
    }
}

/// A streaming reader of events.
pub(crate) struct Xml<'a> {
    reader: Reader<Box<dyn BufRead + 'a>>,
    pub(crate) context: XmlContext<'a>,
    buffer: Vec<u8>,
    depth: usize,
    budget: EventBudget,
}

impl<'a> Xml<'a> {
    pub(crate) fn open(
        source: &Source<'a>,
        display: &'a str,
        format: Format,
        max_value: usize,
    ) -> Result<Xml<'a>, IngestError> {
        let context = XmlContext { source: *source, display, format };
        let (input, budget) =
            EventBudget::reader(source, max_value).map_err(|error| context.error(IngestErrorKind::Io(error)))?;
        let mut reader = Reader::from_reader(input);
        reader.config_mut().check_end_names = true;
        Ok(Xml { reader, context, buffer: Vec::new(), depth: 0, budget })
    }

    /// Byte offset of the event read last.
    pub(crate) fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    /// The next event. Start and end tags are balanced (quick-xml checks end names).
    pub(crate) fn next(&mut self) -> Result<Event<'_>, IngestError> {
        self.buffer.clear();
        let context = self.context;
        self.budget.start();
        let event = match self.reader.read_event_into(&mut self.buffer) {
            Ok(event) => event,
            Err(error) => {
                let offset = self.reader.error_position();
                let failure = if self.budget.exceeded() {
                    context.error(IngestErrorKind::Shape { message: self.budget.message() })
                } else {
                    context.error(IngestErrorKind::Syntax { message: error.to_string() })
                };
                return Err(match context.source.line_column(offset) {
                    Some((line, column)) => failure.at(Place::LineColumn { line, column }),
                    None => failure,
                });
            }
        };
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_XML_DEPTH {
                    let offset = self.reader.buffer_position();
                    return Err(context.shape_at(offset, format!("elements nested deeper than {MAX_XML_DEPTH} levels")));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            Event::Eof if self.depth > 0 => {
                let offset = self.reader.buffer_position();
                let failure = context.error(IngestErrorKind::Syntax {
                    message: "unexpected end of file: elements are not closed".into(),
                });
                return Err(match context.source.line_column(offset) {
                    Some((line, column)) => failure.at(Place::LineColumn { line, column }),
                    None => failure,
                });
            }
            _ => {}
        }
        Ok(event)
    }
}

/// An element's local name (without namespace prefix).
pub(crate) fn local_name(element: &BytesStart<'_>) -> String {
    element.local_name().as_ref().to_owned()
}

/// An attribute's value (by local name), unescaped.
pub(crate) fn attribute(element: &BytesStart<'_>, key: &str) -> Option<String> {
    element.attributes().flatten().find(|attribute| attribute.key.local_name().as_ref() == key).map(|attribute| {
        attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|value| value.into_owned())
            .unwrap_or_else(|_| attribute.value.clone().into_owned())
    })
}

/// Appends the text an event carries to `out` (text, CDATA, predefined and
/// character references; an unknown entity reference is kept as written), up to
/// [`MAX_TEXT`] bytes.
pub(crate) fn push_text(out: &mut String, event: &Event<'_>) {
    if out.len() >= MAX_TEXT {
        return;
    }
    match event {
        Event::Text(text) => out.push_str(&text.xml10_content()),
        Event::CData(data) => out.push_str(&data.xml10_content()),
        Event::GeneralRef(reference) => match reference.resolve_char_ref() {
            Ok(Some(character)) => out.push(character),
            _ => {
                let name = reference.xml10_content();
                match name.as_ref() {
                    "lt" => out.push('<'),
                    "gt" => out.push('>'),
                    "amp" => out.push('&'),
                    "apos" => out.push('\''),
                    "quot" => out.push('"'),
                    other => {
                        out.push('&');
                        out.push_str(other);
                        out.push(';');
                    }
                }
            }
        },
        _ => {}
    }
    if out.len() > MAX_TEXT {
        out.truncate(out.floor_char_boundary(MAX_TEXT));
    }
}

/// Seconds or milliseconds since the Unix epoch (as Cobertura and JaCoCo write
/// them) as an RFC 3339 UTC time; `None` for anything else.
pub(crate) fn epoch_to_rfc3339(text: &str) -> Option<String> {
    let number: i64 = text.trim().parse().ok()?;
    // Ten-digit numbers are seconds until 2286; anything longer is milliseconds.
    let seconds = if number.unsigned_abs() >= 100_000_000_000 { number / 1000 } else { number };
    let time = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    time.format(&time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs() {
        assert_eq!(epoch_to_rfc3339("1477409499473").as_deref(), Some("2016-10-25T15:31:39Z"));
        assert_eq!(epoch_to_rfc3339("1539803661").as_deref(), Some("2018-10-17T19:14:21Z"));
        assert_eq!(epoch_to_rfc3339("soon"), None);
        assert_eq!(epoch_to_rfc3339("-9223372036854775808"), None);
    }
}
