//! Cobertura XML coverage (Cobertura, coverage.py, gcovr, coverlet, AltCover,
//! OpenCppCoverage, dotnet-coverage, ...), streamed.
//!
//! # Counting
//! Line and branch counts come from the root `<coverage>` attributes
//! `lines-covered`/`lines-valid` and `branches-covered`/`branches-valid` when the
//! producer writes them. When a pair is absent it is computed from the `<line>`
//! elements of each class (`class/lines/line`; the copies under `methods` are not
//! counted again): a line with `hits` > 0 is covered; a line with `branch="true"`
//! and `condition-coverage="50% (1/2)"` adds 1 covered of 2 branches. The root's
//! `line-rate`/`branch-rate` are not used: the rates are recomputed from the counts.
//!
//! # Tool and time
//! gcovr and coverage.py are recognised (by `version` and by the comment coverage.py
//! writes); other producers are reported as "cobertura" with the `version`
//! attribute. `timestamp` (seconds or milliseconds since the epoch) is the time.
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

#[derive(Default)]
struct Counts {
    lines_covered: u64,
    lines_valid: u64,
    branches_covered: u64,
    branches_valid: u64,
}

pub(crate) fn parse(source: &Source<'_>, display: &str, options: &Options) -> Result<Parsed, IngestError> {
    let mut xml = Xml::open(source, display, Format::Cobertura, options.limits.max_value)?;
    let mut stack: Vec<String> = Vec::new();
    let mut computed = Counts::default();
    let mut stated: [Option<u64>; 4] = [None; 4];
    let mut version: Option<String> = None;
    let mut timestamp: Option<String> = None;
    let mut coverage_py = false;
    let mut root_seen = false;
    loop {
        let position = xml.position();
        let context = xml.context;
        match xml.next()? {
            Event::Start(element) | Event::Empty(element) if !root_seen => {
                root_seen = true;
                let name = local_name(&element);
                if name != "coverage" {
                    return Err(context.shape_at(
                        position,
                        format!("the root element is <{name}>, not <coverage>: this is not a Cobertura report"),
                    ));
                }
                for (index, key) in
                    ["lines-covered", "lines-valid", "branches-covered", "branches-valid"].iter().enumerate()
                {
                    stated[index] = attribute(&element, key).and_then(|value| count(&value));
                }
                version = attribute(&element, "version").filter(|version| !version.is_empty());
                timestamp = attribute(&element, "timestamp").as_deref().and_then(epoch_to_rfc3339);
                stack.push(name);
            }
            Event::Start(element) => {
                count_line(&element, &stack, &mut computed);
                stack.push(local_name(&element));
            }
            Event::Empty(element) => count_line(&element, &stack, &mut computed),
            Event::End(_) => {
                stack.pop();
            }
            Event::Comment(comment) if comment.xml10_content().contains("coverage.py") => {
                coverage_py = true;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(xml.context.shape_at(0, "no XML element found: this is not a Cobertura report"));
    }
    let (lines_covered, lines_valid) = match (stated[0], stated[1]) {
        (Some(covered), Some(valid)) => (covered, valid),
        _ => (computed.lines_covered, computed.lines_valid),
    };
    let (branches_covered, branches_valid) = match (stated[2], stated[3]) {
        (Some(covered), Some(valid)) => (covered, valid),
        _ => (computed.branches_covered, computed.branches_valid),
    };
    let tool = match version.as_deref() {
        Some(version) if version.starts_with("gcovr") => Tool::new(
            "gcovr",
            version.strip_prefix("gcovr").map(str::trim).filter(|rest| !rest.is_empty()).map(str::to_owned),
        ),
        _ if coverage_py => Tool::new("coverage.py", version),
        _ => Tool::new("cobertura", version),
    };
    Ok(Parsed {
        target: None,
        format: Format::Cobertura,
        kind: kind(options, EvidenceKind::Coverage),
        tool,
        summary: Summary {
            coverage: Some(Coverage::from_counts(lines_covered, lines_valid, branches_covered, branches_valid)),
            ..Summary::default()
        },
        produced_at: timestamp,
        stored: None,
        redacted: 0,
    })
}

/// Counts a `class/lines/line` element.
fn count_line(element: &quick_xml::events::BytesStart<'_>, stack: &[String], computed: &mut Counts) {
    let parent = stack.last().map(String::as_str);
    let grandparent = stack.len().checked_sub(2).and_then(|index| stack.get(index)).map(String::as_str);
    if local_name(element) != "line" || parent != Some("lines") || grandparent != Some("class") {
        return;
    }
    let hits = attribute(element, "hits").and_then(|hits| hits.trim().parse::<f64>().ok()).unwrap_or(0.0);
    computed.lines_valid += 1;
    if hits > 0.0 {
        computed.lines_covered += 1;
    }
    if attribute(element, "branch").is_some_and(|branch| branch.eq_ignore_ascii_case("true"))
        && let Some((covered, valid)) = attribute(element, "condition-coverage").as_deref().and_then(condition_coverage)
    {
        computed.branches_covered += covered;
        computed.branches_valid += valid;
    }
}

/// A count attribute: an integer (some producers write `24.0`).
fn count(text: &str) -> Option<u64> {
    let text = text.trim();
    text.parse::<u64>().ok().or_else(|| {
        text.parse::<f64>().ok().filter(|value| value.is_finite() && *value >= 0.0).map(|value| value as u64)
    })
}

/// `50% (1/2)` → (1, 2).
fn condition_coverage(text: &str) -> Option<(u64, u64)> {
    let (open, close) = (text.find('(')?, text.rfind(')')?);
    let inner = text.get(open + 1..close)?;
    let (covered, valid) = inner.split_once('/')?;
    let (covered, valid) = (covered.trim().parse::<u64>().ok()?, valid.trim().parse::<u64>().ok()?);
    (covered <= valid).then_some((covered, valid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn stated_counts_win() {
        let text = r#"<?xml version="1.0"?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage line-rate="0.66" branch-rate="0.25" lines-covered="24" lines-valid="36" branches-covered="1" branches-valid="4" version="2.1.1" timestamp="1477409499473">
  <packages><package name="p"><classes><class name="A" filename="A.java"><lines><line number="1" hits="0"/></lines></class></classes></package></packages>
</coverage>"#;
        let parsed = parse_bytes(text.as_bytes(), "c.xml", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!(parsed.format, Format::Cobertura);
        assert_eq!(parsed.kind, EvidenceKind::Coverage);
        assert_eq!(parsed.summary.coverage, Some(Coverage::from_counts(24, 36, 1, 4)));
        assert_eq!(parsed.produced_at.as_deref(), Some("2016-10-25T15:31:39Z"));
    }

    #[test]
    fn computed_from_class_lines_only() {
        let text = r#"<?xml version="1.0"?><coverage branch-rate="0" line-rate="0.5" version="4.3.4">
  <!-- Generated by coverage.py: https://coverage.readthedocs.io -->
  <packages><package><classes><class filename="a.py">
    <methods><method name="f"><lines><line number="1" hits="1"/></lines></method></methods>
    <lines><line number="1" hits="1"/><line number="2" hits="0" branch="True" condition-coverage="50% (1/2)"/><line number="3" hits="3"/></lines>
  </class></classes></package></packages></coverage>"#;
        let parsed = parse_bytes(text.as_bytes(), "c.xml", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!(parsed.summary.coverage, Some(Coverage::from_counts(2, 3, 1, 2)));
        assert_eq!(parsed.tool, Tool::new("coverage.py", Some("4.3.4".into())));
        assert_eq!(condition_coverage("100% (2/2)"), Some((2, 2)));
        assert_eq!(condition_coverage("junk"), None);
        assert_eq!(condition_coverage(")50% (1/2"), None);
    }

    #[test]
    fn other_roots_are_shape_errors() {
        let options = Options { format: Some(Format::Cobertura), ..Options::default() };
        let error = parse_bytes(b"<report/>", "r.xml", &options, &mut Vec::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "r.xml: cobertura: line 1, column 1: the root element is <report>, not <coverage>: this is not a Cobertura report"
        );
    }
}
