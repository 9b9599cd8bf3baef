//! LCOV tracefiles (lcov/geninfo, gcovr, istanbul, coverlet, solidity-coverage),
//! streamed line by line.
//!
//! # Counting
//! Per record (`SF:` … `end_of_record`): lines from `LH`/`LF`, or, when a record
//! leaves them out, from its `DA:<line>,<hits>` entries (hits > 0 is covered);
//! branches from `BRH`/`BRF`, or from its `BRDA:<line>,<block>,<branch>,<taken>`
//! entries (`-` is "not taken"). The summary is the sum over records. Other entries
//! (`FN`, `FNDA`, `VER`, ...) are ignored.
//!
//! # Kind
//! `coverage`. LCOV names no tool: "lcov".

use std::io::BufRead;

use signoff_core::summary::Coverage;
use signoff_core::{EvidenceKind, Format, Summary, Tool};

use super::kind;
use crate::error::{IngestError, IngestErrorKind, Place};
use crate::source::Source;
use crate::{Options, Parsed};

/// Longest line accepted.
const MAX_LINE: usize = 1 << 20;

#[derive(Default)]
struct Record {
    stated_lines: (Option<u64>, Option<u64>),
    stated_branches: (Option<u64>, Option<u64>),
    lines: (u64, u64),
    branches: (u64, u64),
    open: bool,
}

impl Record {
    /// (lines covered, lines valid, branches covered, branches valid).
    fn totals(&self) -> (u64, u64, u64, u64) {
        let (lines_covered, lines_valid) = match self.stated_lines {
            (Some(hit), Some(found)) => (hit, found),
            _ => self.lines,
        };
        let (branches_covered, branches_valid) = match self.stated_branches {
            (Some(hit), Some(found)) => (hit, found),
            _ => self.branches,
        };
        (lines_covered, lines_valid, branches_covered, branches_valid)
    }
}

pub(crate) fn parse(source: &Source<'_>, display: &str, options: &Options) -> Result<Parsed, IngestError> {
    let error = |kind| IngestError::new(display, Some(Format::Lcov), kind);
    let mut reader = source.reader().map_err(|io| error(IngestErrorKind::Io(io)))?;
    let mut totals = (0u64, 0u64, 0u64, 0u64);
    let mut record = Record::default();
    let mut records = 0u64;
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        number += 1;
        if !read_line(&mut reader, &mut line).map_err(|io| error(IngestErrorKind::Io(io)))? {
            break;
        }
        if line.len() > MAX_LINE {
            return Err(error(IngestErrorKind::Syntax { message: format!("a line longer than {MAX_LINE} bytes") })
                .at(Place::Line(number)));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim();
        let bad = |what: &str| {
            error(IngestErrorKind::Syntax { message: format!("invalid {what}: {text:?}") }).at(Place::Line(number))
        };
        let (key, value) = text.split_once(':').unwrap_or((text, ""));
        match key {
            "SF" => {
                record = Record { open: true, ..Record::default() };
                records += 1;
            }
            "TN" => {}
            "end_of_record" => {
                add(&mut totals, record.totals());
                record = Record::default();
            }
            "LF" => record.stated_lines.1 = Some(value.trim().parse().map_err(|_| bad("LF"))?),
            "LH" => record.stated_lines.0 = Some(value.trim().parse().map_err(|_| bad("LH"))?),
            "BRF" => record.stated_branches.1 = Some(value.trim().parse().map_err(|_| bad("BRF"))?),
            "BRH" => record.stated_branches.0 = Some(value.trim().parse().map_err(|_| bad("BRH"))?),
            "DA" => {
                let hits = value.split(',').nth(1).ok_or_else(|| bad("DA"))?;
                let hits: f64 = hits.trim().parse().map_err(|_| bad("DA"))?;
                record.lines.1 += 1;
                if hits > 0.0 {
                    record.lines.0 += 1;
                }
            }
            "BRDA" => {
                let taken = value.split(',').nth(3).ok_or_else(|| bad("BRDA"))?.trim();
                record.branches.1 += 1;
                if taken != "-" && taken.parse::<f64>().map_err(|_| bad("BRDA"))? > 0.0 {
                    record.branches.0 += 1;
                }
            }
            _ if text.is_empty() => {}
            _ if records == 0 && !key.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                return Err(error(IngestErrorKind::Shape { message: format!("not an LCOV tracefile: {text:?}") })
                    .at(Place::Line(number)));
            }
            _ => {}
        }
    }
    // A final record without `end_of_record` still counts.
    if record.open {
        add(&mut totals, record.totals());
    }
    if records == 0 {
        return Err(error(IngestErrorKind::Shape {
            message: "no `SF:` records: this is not an LCOV tracefile".into(),
        }));
    }
    Ok(Parsed {
        target: None,
        format: Format::Lcov,
        kind: kind(options, EvidenceKind::Coverage),
        tool: Tool::new("lcov", None),
        summary: Summary {
            coverage: Some(Coverage::from_counts(totals.0, totals.1, totals.2, totals.3)),
            ..Summary::default()
        },
        produced_at: None,
        stored: None,
        redacted: 0,
    })
}

fn add(totals: &mut (u64, u64, u64, u64), record: (u64, u64, u64, u64)) {
    totals.0 = totals.0.saturating_add(record.0);
    totals.1 = totals.1.saturating_add(record.1);
    totals.2 = totals.2.saturating_add(record.2);
    totals.3 = totals.3.saturating_add(record.3);
}

/// Reads one line (without its newline) into `line`, keeping at most
/// [`MAX_LINE`] + 1 bytes of it; false at the end of input.
fn read_line(reader: &mut dyn BufRead, line: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut read_any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(read_any);
        }
        read_any = true;
        let (chunk, found) = match memchr::memchr(b'\n', available) {
            Some(index) => (&available[..index], Some(index)),
            None => (available, None),
        };
        let room = (MAX_LINE + 1).saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = found.map_or(available.len(), |index| index + 1);
        reader.consume(used);
        if found.is_some() {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn sums_stated_and_computed_counts() {
        let text = "TN:\nSF:/src/a.js\nFN:1,f\nDA:1,1\nDA:2,0\nLF:2\nLH:1\nBRDA:1,0,0,1\nBRDA:1,0,1,-\nBRF:2\nBRH:1\nend_of_record\n\
                    SF:/src/b.js\nDA:1,3\nDA:2,1\nDA:3,0\nBRDA:2,0,0,0\nBRDA:2,0,1,2\nend_of_record\n";
        let parsed = parse_bytes(text.as_bytes(), "lcov.info", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!(parsed.format, Format::Lcov);
        assert_eq!(parsed.kind, EvidenceKind::Coverage);
        assert_eq!(parsed.summary.coverage, Some(Coverage::from_counts(3, 5, 2, 4)));
    }

    #[test]
    fn bad_numbers_name_the_line() {
        let error =
            parse_bytes(b"SF:a.c\nDA:1,1\nLF:x\n", "lcov.info", &Options::default(), &mut Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), "lcov.info: lcov: line 3: invalid LF: \"LF:x\"");
    }
}
