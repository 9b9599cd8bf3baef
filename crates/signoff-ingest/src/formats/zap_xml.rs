//! OWASP ZAP XML (`traditional-xml`, `-plus`):
//! `<OWASPZAPReport><site><alerts><alertitem>`, streamed. Counting, fields and
//! identity as for the JSON report (see `zap`); each `alertitem` is one finding and
//! the first `<instance><uri>` (or, in old reports, the alert's own `<uri>`) is its
//! location.

use quick_xml::events::Event;
use signoff_core::{EvidenceKind, Format, Summary, Tool};

use super::kind;
use super::xml::{Xml, attribute, local_name, push_text};
use super::zap::Alert;
use crate::error::IngestError;
use crate::json_walk::Emitter;
use crate::source::Source;
use crate::{FindingSink, Options, Parsed};

pub(crate) fn parse(
    source: &Source<'_>,
    display: &str,
    options: &Options,
    sink: &mut dyn FindingSink,
) -> Result<Parsed, IngestError> {
    let mut xml = Xml::open(source, display, Format::Zap, options.limits.max_value)?;
    let mut emitter = Emitter::new(sink, Format::Zap, display);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut alert: Option<Alert> = None;
    let mut tool: Option<Tool> = None;
    let mut generated: Option<String> = None;
    loop {
        let position = xml.position();
        let context = xml.context;
        match xml.next()? {
            Event::Start(element) => {
                let name = local_name(&element);
                if stack.is_empty() {
                    if name != "OWASPZAPReport" {
                        return Err(context.shape_at(
                            position,
                            format!("the root element is <{name}>, not <OWASPZAPReport>: this is not a ZAP report"),
                        ));
                    }
                    let program = attribute(&element, "programName")
                        .filter(|name| !name.is_empty())
                        .unwrap_or_else(|| "ZAP".into());
                    tool = Some(Tool::new(program, attribute(&element, "version")));
                    generated = attribute(&element, "generated");
                }
                if name == "alertitem" {
                    alert = Some(Alert::default());
                }
                stack.push(name);
                text.clear();
            }
            Event::Empty(element) => {
                if stack.is_empty() {
                    let name = local_name(&element);
                    if name != "OWASPZAPReport" {
                        return Err(context.shape_at(
                            position,
                            format!("the root element is <{name}>, not <OWASPZAPReport>: this is not a ZAP report"),
                        ));
                    }
                    tool = Some(Tool::new("ZAP", attribute(&element, "version")));
                }
                text.clear();
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let parent = stack.last().map(String::as_str).unwrap_or("");
                if let Some(current) = alert.as_mut() {
                    let value = std::mem::take(&mut text).trim().to_owned();
                    match (parent, name.as_str()) {
                        ("alertitem", "pluginid") => current.plugin_id = value,
                        ("alertitem", "alertRef") => current.alert_ref = value,
                        ("alertitem", "name") => current.name = value,
                        ("alertitem", "alert") if current.name.is_empty() => current.name = value,
                        ("alertitem", "riskcode") => current.risk_code = Some(value),
                        ("alertitem", "riskdesc") => current.risk_word = Some(value),
                        ("alertitem", "confidence") => current.confidence = Some(value),
                        ("alertitem", "cweid") => current.cwe = Some(value),
                        ("instance" | "alertitem", "uri") if current.uri.is_none() && !value.is_empty() => {
                            current.uri = Some(value)
                        }
                        (_, "alertitem") => {
                            if let Some(done) = alert.take() {
                                let finding = done.finding(&mut emitter);
                                emitter.push(finding)?;
                            }
                        }
                        _ => {}
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            other => {
                if alert.is_some() {
                    push_text(&mut text, &other);
                }
            }
        }
    }
    let Some(tool) = tool else {
        return Err(xml.context.shape_at(0, "no XML element found: this is not a ZAP report"));
    };
    Ok(Parsed {
        target: None,
        format: Format::Zap,
        kind: kind(options, EvidenceKind::Dast),
        tool,
        summary: Summary { findings: Some(emitter.counts), ..Summary::default() },
        produced_at: generated,
        stored: None,
        redacted: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;
    use signoff_core::{Finding, Severity};

    #[test]
    fn alert_items_with_instances() {
        let text = r#"<?xml version="1.0"?><OWASPZAPReport version="2.9.0" generated="Tue, 12 May 2020 20:57:30">
<site name="https://mainsite.com" host="mainsite.com"><alerts>
<alertitem><pluginid>10011</pluginid><alert>Cookie Without Secure Flag</alert><name>Cookie Without Secure Flag</name>
  <riskcode>1</riskcode><confidence>2</confidence><riskdesc>Low (Medium)</riskdesc><desc>&lt;p&gt;A cookie&lt;/p&gt;</desc>
  <instances><instance><uri>https://mainsite.com/a?x=1&amp;y=2</uri><method>GET</method></instance><instance><uri>https://mainsite.com/b</uri></instance></instances>
  <count>2</count><cweid>614</cweid></alertitem>
<alertitem><pluginid>10020</pluginid><name><![CDATA[X-Frame-Options Header Not Set]]></name><riskcode>2</riskcode><confidence>2</confidence>
  <instances><instance><uri>https://mainsite.com/</uri></instance></instances><cweid>16</cweid></alertitem>
</alerts></site></OWASPZAPReport>"#;
        let mut findings: Vec<Finding> = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "zap.xml", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.format, Format::Zap);
        assert_eq!(parsed.tool, Tool::new("ZAP", Some("2.9.0".into())));
        assert_eq!(parsed.produced_at.as_deref(), Some("Tue, 12 May 2020 20:57:30"));
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].location.path.as_deref(), Some("https://mainsite.com/a?x=1&y=2"));
        assert_eq!((findings[0].severity, findings[1].severity), (Severity::Low, Severity::Medium));
        assert_eq!(findings[1].title, "X-Frame-Options Header Not Set");
        assert_eq!(findings[0].cwe, ["CWE-614"]);
    }

    #[test]
    fn truncated_xml_names_the_place() {
        let error = parse_bytes(
            b"<OWASPZAPReport><site><alerts><alertitem><pluginid>1</plugin",
            "z.xml",
            &Options::default(),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("z.xml: zap: line 1, column "), "{error}");
    }
}
