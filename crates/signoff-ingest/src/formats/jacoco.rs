//! JaCoCo XML coverage (and gcovr's `--jacoco`), streamed.
//!
//! # Counting
//! The report-level counters, the `<counter>` elements that are direct children of
//! `<report>`: `LINE` gives lines (covered of missed + covered), `BRANCH` branches.
//! The counters of groups, packages, classes and methods are parts of these and
//! are not added again. A report without report-level counters has no lines.
//!
//! # Tool and time
//! "jacoco" (gcovr writes `name="GCOVR report"`: "gcovr"); produced at the latest
//! `sessioninfo` `dump` time.
//!
//! # Kind
//! `coverage`.

use quick_xml::events::Event;
use signoff_core::summary::Coverage;
use signoff_core::{EvidenceKind, Format, Summary, Tool};

use super::kind;
use super::xml::{Xml, attribute, epoch_to_rfc3339, local_name};
use crate::error::IngestError;
use crate::source::Source;
use crate::{Options, Parsed};

pub(crate) fn parse(source: &Source<'_>, display: &str, options: &Options) -> Result<Parsed, IngestError> {
    let mut xml = Xml::open(source, display, Format::Jacoco, options.limits.max_value)?;
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut gcovr = false;
    let mut lines = (0u64, 0u64);
    let mut branches = (0u64, 0u64);
    let mut dump: Option<u64> = None;
    loop {
        let position = xml.position();
        let context = xml.context;
        let event = xml.next()?;
        let (element, is_start) = match &event {
            Event::Start(element) => (element, true),
            Event::Empty(element) => (element, false),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = local_name(element);
        if !root_seen {
            root_seen = true;
            if name != "report" {
                return Err(context.shape_at(
                    position,
                    format!("the root element is <{name}>, not <report>: this is not a JaCoCo report"),
                ));
            }
            gcovr = attribute(element, "name").is_some_and(|name| name.to_ascii_lowercase().contains("gcovr"));
        } else if depth == 1 {
            match name.as_str() {
                "counter" => {
                    let number = |key: &str| {
                        attribute(element, key).and_then(|value| value.trim().parse::<u64>().ok()).unwrap_or(0)
                    };
                    let (missed, covered) = (number("missed"), number("covered"));
                    match attribute(element, "type").as_deref() {
                        Some("LINE") => lines = (covered, missed.saturating_add(covered)),
                        Some("BRANCH") => branches = (covered, missed.saturating_add(covered)),
                        _ => {}
                    }
                }
                "sessioninfo" => {
                    if let Some(time) = attribute(element, "dump").and_then(|value| value.trim().parse::<u64>().ok()) {
                        dump = Some(dump.map_or(time, |latest| latest.max(time)));
                    }
                }
                _ => {}
            }
        }
        if is_start {
            depth += 1;
        }
    }
    if !root_seen {
        return Err(xml.context.shape_at(0, "no XML element found: this is not a JaCoCo report"));
    }
    Ok(Parsed {
        target: None,
        format: Format::Jacoco,
        kind: kind(options, EvidenceKind::Coverage),
        tool: Tool::new(if gcovr { "gcovr" } else { "jacoco" }, None),
        summary: Summary {
            coverage: Some(Coverage::from_counts(lines.0, lines.1, branches.0, branches.1)),
            ..Summary::default()
        },
        produced_at: dump.and_then(|time| epoch_to_rfc3339(&time.to_string())),
        stored: None,
        redacted: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn report_level_counters_only() {
        let text = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">
<report name="jacocoDemo"><sessioninfo id="hp" start="1678184219961" dump="1678184220155"/>
  <package name="com/proj1"><class name="com/proj1/A"><counter type="LINE" missed="1" covered="5"/></class>
    <counter type="LINE" missed="1" covered="5"/><counter type="BRANCH" missed="2" covered="2"/></package>
  <counter type="INSTRUCTION" missed="5" covered="27"/><counter type="BRANCH" missed="2" covered="2"/><counter type="LINE" missed="1" covered="5"/>
</report>"#;
        let parsed = parse_bytes(text.as_bytes(), "jacoco.xml", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!(parsed.format, Format::Jacoco);
        assert_eq!(parsed.summary.coverage, Some(Coverage::from_counts(5, 6, 2, 4)));
        assert_eq!(parsed.tool.name, "jacoco");
        assert_eq!(parsed.produced_at.as_deref(), Some("2023-03-07T10:17:00Z"));
    }
}
