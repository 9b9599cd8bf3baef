//! CycloneDX XML, spec 1.0 to 1.7, streamed. Counting, fields, identity, tool and
//! kind as for CycloneDX JSON (see `cyclonedx`).
//!
//! Vulnerabilities are read from `bom/vulnerabilities` (spec 1.4+) and from the
//! vulnerability extension of spec 1.0–1.3
//! (`xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0"`), where each
//! component carries its own `<v:vulnerabilities>`; there the enclosing component
//! is the affected package and `<v:score><v:base>` the rating's score.

use std::collections::HashMap;

use quick_xml::events::Event;
use signoff_core::{Format, Summary, Tool};

use super::cyclonedx::{Components, Vulnerability, implied_kind, pick_tool};
use super::kind;
use super::xml::{Xml, attribute, local_name, push_text};
use crate::error::IngestError;
use crate::json_walk::Emitter;
use crate::source::Source;
use crate::{FindingSink, Options, Parsed, severity};

/// A component being read.
struct Frame {
    /// Index in the element stack.
    depth: usize,
    bom_ref: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

#[derive(Default)]
struct Rating {
    severity: Option<String>,
    score: Option<f64>,
    vector: Option<String>,
}

pub(crate) fn parse(
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    let mut xml = Xml::open(source, display, Format::Cyclonedx, options.limits.max_value)?;
    let mut emitter = Emitter::new(sink, Format::Cyclonedx, display);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut components: Components = HashMap::new();
    let mut component_count = 0u64;
    let mut tools: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut tool_entry: Option<(Option<String>, Option<String>)> = None;
    let mut timestamp: Option<String> = None;
    let mut vulnerability: Option<Vulnerability> = None;
    let mut rating: Option<Rating> = None;
    let mut has_vulnerabilities = false;
    let mut analysed = false;
    let mut root_seen = false;

    loop {
        let position = xml.position();
        let context = xml.context;
        let event = xml.next()?;
        let (element, is_empty) = match &event {
            Event::Start(element) => (Some(element), false),
            Event::Empty(element) => (Some(element), true),
            _ => (None, false),
        };
        if let Some(element) = element {
            let name = local_name(element);
            if !root_seen {
                root_seen = true;
                if name != "bom" {
                    return Err(context.shape_at(
                        position,
                        format!("the root element is <{name}>, not <bom>: this is not a CycloneDX BOM"),
                    ));
                }
            }
            let parent = stack.last().map(String::as_str).unwrap_or("");
            let grandparent =
                stack.len().checked_sub(2).and_then(|index| stack.get(index)).map(String::as_str).unwrap_or("");
            let within_tools = in_tools(&stack);
            match name.as_str() {
                "component" if parent == "components" && !within_tools => {
                    let counted_parent =
                        grandparent == "bom" || frames.last().is_some_and(|frame| frame.depth + 2 == stack.len());
                    if counted_parent {
                        component_count += 1;
                        let frame = Frame {
                            depth: stack.len(),
                            bom_ref: attribute(element, "bom-ref"),
                            name: None,
                            version: None,
                        };
                        if !is_empty {
                            frames.push(frame);
                        }
                    }
                }
                "tool" | "component" | "service" if within_tools => tool_entry = Some((None, None)),
                "vulnerability" if parent == "vulnerabilities" => {
                    has_vulnerabilities = true;
                    let component = frames
                        .last()
                        .filter(|frame| frame.depth + 2 == stack.len())
                        .and_then(|frame| frame.name.clone().map(|name| (name, frame.version.clone())));
                    let mut current = Vulnerability { component, ..Vulnerability::default() };
                    if let Some(reference) = attribute(element, "ref") {
                        current.affects.push(reference);
                    }
                    vulnerability = Some(current);
                }
                "rating" if vulnerability.is_some() => rating = Some(Rating::default()),
                _ => {}
            }
            if !is_empty {
                stack.push(name);
            }
            text.clear();
            continue;
        }
        match event {
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let parent = stack.last().map(String::as_str).unwrap_or("");
                let value = std::mem::take(&mut text);
                let value = value.trim();
                match (parent, name.as_str()) {
                    ("metadata", "timestamp") if stack.len() == 2 => timestamp = Some(value.to_owned()),
                    ("tool" | "component" | "service", "name" | "version")
                        if tool_entry.is_some() && in_tools(&stack) =>
                    {
                        if let Some(entry) = tool_entry.as_mut() {
                            if name == "name" {
                                entry.0 = Some(value.to_owned());
                            } else {
                                entry.1 = Some(value.to_owned());
                            }
                        }
                    }
                    (_, "tool" | "component" | "service") if tool_entry.is_some() && in_tools(&stack) => {
                        if let Some(entry) = tool_entry.take() {
                            tools.push(entry);
                        }
                    }
                    ("component", "name" | "version") => {
                        if let Some(frame) = frames.last_mut().filter(|frame| frame.depth + 1 == stack.len()) {
                            if name == "name" {
                                frame.name = Some(value.to_owned());
                            } else {
                                frame.version = Some(value.to_owned());
                            }
                        }
                    }
                    (_, "component") => {
                        if frames.last().is_some_and(|frame| frame.depth == stack.len())
                            && let Some(frame) = frames.pop()
                            && let (Some(reference), Some(name)) = (frame.bom_ref, frame.name)
                        {
                            components.insert(reference, (name, frame.version));
                        }
                    }
                    ("vulnerability", "id") => set(&mut vulnerability, |current| current.id = value.to_owned()),
                    ("vulnerability", "description") => {
                        set(&mut vulnerability, |current| current.description = Some(value.to_owned()))
                    }
                    ("vulnerability", "detail") => set(&mut vulnerability, |current| {
                        if current.description.is_none() {
                            current.description = Some(value.to_owned());
                        }
                    }),
                    ("cwes", "cwe") => set(&mut vulnerability, |current| current.cwes.push(value.to_owned())),
                    ("reference", "id") => set(&mut vulnerability, |current| current.references.push(value.to_owned())),
                    ("analysis", "state") => set(&mut vulnerability, |current| current.state = Some(value.to_owned())),
                    ("target", "ref") => set(&mut vulnerability, |current| current.affects.push(value.to_owned())),
                    ("rating", "severity") => {
                        if let Some(current) = rating.as_mut() {
                            current.severity = Some(value.to_owned());
                        }
                    }
                    ("rating", "score") | ("score", "base") => {
                        if let Some(current) = rating.as_mut() {
                            current.score =
                                value.parse::<f64>().ok().filter(|score| score.is_finite()).or(current.score);
                        }
                    }
                    ("rating", "vector") => {
                        if let Some(current) = rating.as_mut() {
                            current.vector = Some(value.to_owned());
                        }
                    }
                    (_, "rating") => {
                        if let (Some(done), Some(current)) = (rating.take(), vulnerability.as_mut()) {
                            let score =
                                done.score.or_else(|| done.vector.as_deref().and_then(severity::cvss_vector_score));
                            current.ratings.push((done.severity, score));
                        }
                    }
                    ("vulnerabilities", "vulnerability") => {
                        if let Some(done) = vulnerability.take() {
                            analysed |= done.state.is_some();
                            let finding = done.finding(&mut emitter, &components);
                            emitter.push(finding)?;
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            other => push_text(&mut text, &other),
        }
    }
    if !root_seen {
        return Err(xml.context.shape_at(0, "no XML element found: this is not a CycloneDX BOM"));
    }
    let tool: Tool = pick_tool(tools);
    let findings = emitter.counts;
    Ok(Parsed {
        target: None,
        format: Format::Cyclonedx,
        kind: kind(options, implied_kind(component_count, findings.total, analysed)),
        tool,
        summary: Summary {
            findings: has_vulnerabilities.then_some(findings),
            components: Some(component_count),
            ..Summary::default()
        },
        produced_at: timestamp,
        stored: None,
        redacted: 0,
    })
}

/// Whether the stack is within `bom/metadata/tools`.
fn in_tools(stack: &[String]) -> bool {
    stack.len() >= 3 && stack[1] == "metadata" && stack[2] == "tools"
}

fn set(vulnerability: &mut Option<Vulnerability>, change: impl FnOnce(&mut Vulnerability)) {
    if let Some(current) = vulnerability.as_mut() {
        change(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;
    use signoff_core::{EvidenceKind, Severity};

    #[test]
    fn spec_1_4_vulnerabilities_and_nested_components() {
        let text = r#"<?xml version="1.0" ?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
  <metadata><timestamp>2025-02-05T09:32:30+00:00</timestamp>
    <tools><tool><vendor>CycloneDX</vendor><name>cyclonedx-python-lib</name><version>7.6.2</version></tool>
           <tool><vendor>bridgecrew</vendor><name>checkov</name><version>3.2</version></tool></tools>
    <component type="application"><name>example</name></component></metadata>
  <components>
    <component type="library" bom-ref="pkg:pypi/django@1.2"><name>django</name><version>1.2</version>
      <components><component type="library"><name>inner</name></component></components></component>
    <component type="library"><name>flask</name><version>0.6</version></component>
  </components>
  <vulnerabilities>
    <vulnerability bom-ref="x"><id>CVE-2016-7401</id>
      <ratings><rating><score>7.5</score><severity>high</severity><method>CVSSv3</method></rating></ratings>
      <cwes><cwe>352</cwe></cwes><description>The cookie parsing code in Django</description>
      <affects><target><ref>pkg:pypi/django@1.2</ref></target></affects></vulnerability>
  </vulnerabilities>
</bom>"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "bom.xml", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.format, Format::Cyclonedx);
        assert_eq!(parsed.kind, EvidenceKind::Sbom);
        assert_eq!(parsed.tool, Tool::new("checkov", Some("3.2".into())));
        assert_eq!(parsed.summary.components, Some(3));
        assert_eq!(parsed.produced_at.as_deref(), Some("2025-02-05T09:32:30+00:00"));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(findings[0].package.as_deref(), Some("django"));
        assert_eq!(findings[0].cwe, ["CWE-352"]);
    }

    #[test]
    fn vulnerability_extension_of_spec_1_2() {
        let text = r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.2" xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0" version="1">
  <metadata><tools><tool><vendor>anchore</vendor><name>grype</name><version>0.7.0</version></tool></tools></metadata>
  <components><component type="library"><name>Django</name><version>1.11.29</version>
    <v:vulnerabilities><v:vulnerability ref="pkg:pypi/Django@1.11.29"><v:id>CVE-2021-3281</v:id>
      <v:ratings><v:rating><v:score><v:base>5.3</v:base></v:score><v:severity>Medium</v:severity></v:rating></v:ratings>
    </v:vulnerability></v:vulnerabilities></component></components>
</bom>"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "grype.xml", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.tool.name, "grype");
        assert_eq!(parsed.summary.components, Some(1));
        assert_eq!(findings[0].rule_id, "CVE-2021-3281");
        assert_eq!(
            (findings[0].package.as_deref(), findings[0].package_version.as_deref()),
            (Some("Django"), Some("1.11.29"))
        );
        assert_eq!(findings[0].severity, Severity::Medium);
    }
}
