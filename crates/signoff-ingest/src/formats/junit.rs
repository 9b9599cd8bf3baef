//! JUnit XML, in the dialects test runners write (Maven Surefire, Gradle, pytest,
//! Jest, Mocha, Go's go-junit-report, cargo-nextest, PHPUnit, Catch2, ScalaTest),
//! streamed with quick-xml.
//!
//! # Counting
//! Every `<testcase>` is one test. With a `<failure>` child it failed; otherwise
//! with an `<error>` child it errored; otherwise with a `<skipped>` child it was
//! skipped; otherwise it passed. Surefire's `<flakyFailure>`/`<rerunFailure>`
//! record earlier attempts of a test and do not change its outcome. The root is
//! `<testsuites>` or a single `<testsuite>`; suites may nest.
//!
//! # Safety
//! quick-xml does not read DTDs or expand entities: an entity other than the five
//! XML predefined ones is left unexpanded, never fetched. Nesting is limited to
//! [`MAX_XML_DEPTH`] levels and one event (a `system-out` text, a tag with its
//! attributes) to [`crate::Limits::max_value`] bytes.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use signoff_core::summary::TestCounts;
use signoff_core::{EvidenceKind, Format, Summary, Tool};

use crate::error::{IngestError, IngestErrorKind, Place};
use crate::formats::xml::{EventBudget, MAX_XML_DEPTH};
use crate::source::Source;
use crate::{Options, Parsed};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Passed,
    Skipped,
    Errored,
    Failed,
}

/// Parses the JUnit report in `source`.
pub(crate) fn parse(source: &Source<'_>, display: &str, options: &Options) -> Result<Parsed, IngestError> {
    let error = |kind| IngestError::new(display, Some(Format::Junit), kind);
    let (input, budget) =
        EventBudget::reader(source, options.limits.max_value).map_err(|io| error(IngestErrorKind::Io(io)))?;
    let mut reader = Reader::from_reader(input);
    reader.config_mut().check_end_names = true;

    let mut buffer = Vec::new();
    let mut counts = TestCounts::default();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut tool: Option<String> = None;
    let mut produced_at: Option<String> = None;
    // The open test case: its depth, name and outcome so far.
    let mut case: Option<(usize, String, Outcome)> = None;

    loop {
        let position = reader.buffer_position();
        budget.start();
        let event = reader.read_event_into(&mut buffer).map_err(|xml| {
            let offset = reader.error_position();
            let at = source.line_column(offset).map(|(line, column)| Place::LineColumn { line, column });
            let failure = if budget.exceeded() {
                error(IngestErrorKind::Shape { message: budget.message() })
            } else {
                error(IngestErrorKind::Syntax { message: xml.to_string() })
            };
            match at {
                Some(place) => failure.at(place),
                None => failure,
            }
        })?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = element.local_name();
                let name = name.as_ref();
                if !root_seen {
                    root_seen = true;
                    if name != "testsuites" && name != "testsuite" {
                        let found = name.to_owned();
                        let at = source.line_column(position).map(|(line, column)| Place::LineColumn { line, column });
                        let failure = error(IngestErrorKind::Shape {
                            message: format!(
                                "the root element is <{found}>, not <testsuites> or <testsuite>: this is not a JUnit report"
                            ),
                        });
                        return Err(match at {
                            Some(place) => failure.at(place),
                            None => failure,
                        });
                    }
                    tool = tool_from_root(element);
                }
                match name {
                    "testsuite" => {
                        if produced_at.is_none() {
                            produced_at = attribute(element, "timestamp").filter(|value| !value.is_empty());
                        }
                        if tool.is_none() {
                            tool = tool_from_suite(element);
                        }
                    }
                    "property" if tool.is_none() && attribute(element, "name").as_deref() == Some("go.version") => {
                        tool = Some("go test".into());
                    }
                    "testcase" => {
                        let test_name = test_name(element);
                        if is_empty {
                            record(&mut counts, test_name, Outcome::Passed);
                        } else {
                            case = Some((depth, test_name, Outcome::Passed));
                        }
                    }
                    "failure" | "error" | "skipped" => {
                        if let Some((case_depth, _, outcome)) = case.as_mut()
                            && depth == *case_depth + 1
                        {
                            let this = match name {
                                "failure" => Outcome::Failed,
                                "error" => Outcome::Errored,
                                _ => Outcome::Skipped,
                            };
                            *outcome = (*outcome).max(this);
                        }
                    }
                    _ => {}
                }
                if !is_empty {
                    depth += 1;
                    if depth > MAX_XML_DEPTH {
                        let at = source.line_column(position).map(|(line, column)| Place::LineColumn { line, column });
                        let failure = error(IngestErrorKind::Shape {
                            message: format!("elements nested deeper than {MAX_XML_DEPTH} levels"),
                        });
                        return Err(match at {
                            Some(place) => failure.at(place),
                            None => failure,
                        });
                    }
                }
            }
            Event::End(ref element) => {
                depth = depth.saturating_sub(1);
                if element.local_name().as_ref() == "testcase"
                    && let Some((case_depth, name, outcome)) = case.take()
                {
                    if case_depth == depth {
                        record(&mut counts, name, outcome);
                    } else {
                        case = Some((case_depth, name, outcome));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if !root_seen {
        return Err(error(IngestErrorKind::Shape {
            message: "no XML element found: this is not a JUnit report".into(),
        }));
    }

    Ok(Parsed {
        target: None,
        format: Format::Junit,
        kind: options.kind.unwrap_or(EvidenceKind::TestResults),
        tool: Tool::new(tool.unwrap_or_else(|| "junit".into()), None),
        summary: Summary { tests: Some(counts), ..Summary::default() },
        produced_at,
        stored: None,
        redacted: 0,
    })
}

fn record(counts: &mut TestCounts, name: String, outcome: Outcome) {
    counts.total += 1;
    match outcome {
        Outcome::Passed => counts.passed += 1,
        Outcome::Skipped => counts.skipped += 1,
        Outcome::Errored => {
            counts.errored += 1;
            counts.list_failure(name);
        }
        Outcome::Failed => {
            counts.failed += 1;
            counts.list_failure(name);
        }
    }
}

fn attribute(element: &BytesStart<'_>, key: &str) -> Option<String> {
    element.attributes().flatten().find(|attribute| attribute.key.local_name().as_ref() == key).map(|attribute| {
        attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|value| value.into_owned())
            .unwrap_or_else(|_| attribute.value.clone().into_owned())
    })
}

fn test_name(element: &BytesStart<'_>) -> String {
    let name = attribute(element, "name").unwrap_or_default();
    match attribute(element, "classname").filter(|class| !class.is_empty()) {
        Some(class) => format!("{class}.{name}"),
        None => name,
    }
}

/// Test runners that name their root element recognisably.
fn tool_from_root(element: &BytesStart<'_>) -> Option<String> {
    let name = attribute(element, "name")?;
    let known = match name.as_str() {
        "pytest tests" | "pytest" => "pytest",
        "jest tests" => "jest",
        "nextest-run" => "cargo-nextest",
        "Mocha Tests" => "mocha",
        "trivy" => "trivy",
        _ => return None,
    };
    Some(known.to_owned())
}

fn tool_from_suite(element: &BytesStart<'_>) -> Option<String> {
    if let Some(known) = tool_from_root(element) {
        return Some(known);
    }
    if attribute(element, "noNamespaceSchemaLocation").is_some_and(|schema| schema.contains("surefire")) {
        return Some("maven-surefire".into());
    }
    if attribute(element, "assertions").is_some() {
        return Some("phpunit".into());
    }
    None
}
