//! OWASP ZAP JSON: the traditional report (`traditional-json`, `-plus`:
//! `site[].alerts[]`) and the flat alert list of ZAP's API
//! (`/JSON/core/view/alerts`: `{"alerts": [...]}`, also found as
//! `{"vulnerabilities": [...]}` or a bare list). The XML report is in `zap_xml`.
//!
//! # Counting
//! In the traditional reports each alert (`alertitem`) of each site is one finding
//! and its `instances` are where it was seen: the first instance's URI is the
//! finding's location. In the flat API shape each entry (one instance) is one
//! finding.
//!
//! # Fields
//! rule id: `pluginid` (`pluginId`); title: `name` (else `alert`); CWE from
//! `cweid`; severity from `riskcode` (flat shape: `risk`). An alert whose
//! `confidence` is 0 ("False Positive", set when someone triaged it in ZAP) is
//! suppressed.
//!
//! # Identity
//! plugin id, `alertRef` and the first URI (in the flat shape also the parameter
//! and method, which tell its instances apart).
//!
//! # Kind
//! `dast`.

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use crate::json_walk::{Doc, Emitter, Result, Walker, scalar_text};
use crate::{FindingSink, Options, Parsed, severity};

/// One ZAP alert, from JSON or XML.
#[derive(Default)]
pub(super) struct Alert {
    pub(super) plugin_id: String,
    pub(super) alert_ref: String,
    pub(super) name: String,
    pub(super) risk_code: Option<String>,
    pub(super) risk_word: Option<String>,
    pub(super) confidence: Option<String>,
    pub(super) cwe: Option<String>,
    pub(super) uri: Option<String>,
    /// Extra identity for the flat shape (parameter, method).
    pub(super) instance: Vec<String>,
}

impl Alert {
    pub(super) fn finding(self, emitter: &mut Emitter<'_>) -> Finding {
        let severity = match (&self.risk_code, &self.risk_word) {
            (Some(code), _) if !code.trim().is_empty() => severity::zap_risk_code(code),
            (_, Some(word)) => severity::zap_risk_word(word),
            _ => Severity::Medium,
        };
        let mut parts = vec![self.plugin_id.as_str(), self.alert_ref.as_str(), self.uri.as_deref().unwrap_or("")];
        parts.extend(self.instance.iter().map(String::as_str));
        let fingerprint = emitter.fingerprint(&parts);
        let cwe = self
            .cwe
            .as_deref()
            .map(str::trim)
            .and_then(|text| text.parse::<i64>().ok())
            .filter(|number| *number > 0)
            .map(|number| vec![format!("CWE-{number}")])
            .unwrap_or_default();
        let suppressed = self.confidence.as_deref().is_some_and(|confidence| {
            let confidence = confidence.trim();
            confidence == "0" || confidence.eq_ignore_ascii_case("false positive")
        });
        let title = super::sarif::first_line(&self.name);
        Finding {
            fingerprint,
            rule_id: self.plugin_id.clone(),
            severity,
            title: if title.is_empty() { self.plugin_id } else { title },
            location: Location { path: self.uri, start_line: None, end_line: None },
            cve: Vec::new(),
            cwe,
            package: None,
            package_version: None,
            suppressed,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAlert {
    #[serde(alias = "pluginId")]
    pluginid: Option<Value>,
    #[serde(rename = "alertRef")]
    alert_ref: Option<Value>,
    name: Option<String>,
    alert: Option<String>,
    riskcode: Option<Value>,
    risk: Option<String>,
    riskdesc: Option<String>,
    confidence: Option<Value>,
    cweid: Option<Value>,
    instances: Option<Vec<RawInstance>>,
    // The flat shape: one instance per entry.
    url: Option<String>,
    uri: Option<String>,
    param: Option<String>,
    method: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawInstance {
    uri: Option<String>,
}

impl RawAlert {
    fn into_alert(self, flat: bool) -> Alert {
        let text = |value: &Option<Value>| value.as_ref().and_then(scalar_text);
        let uri = self
            .instances
            .as_ref()
            .and_then(|list| list.first())
            .and_then(|instance| instance.uri.clone())
            .or(self.url)
            .or(self.uri);
        let instance =
            if flat { vec![self.param.unwrap_or_default(), self.method.unwrap_or_default()] } else { Vec::new() };
        Alert {
            plugin_id: text(&self.pluginid).unwrap_or_default(),
            alert_ref: text(&self.alert_ref).unwrap_or_default(),
            name: self.name.or(self.alert).unwrap_or_default(),
            risk_code: text(&self.riskcode),
            risk_word: self.risk.or(self.riskdesc),
            confidence: text(&self.confidence),
            cwe: text(&self.cweid),
            uri,
            instance,
        }
    }
}

struct State<'s> {
    emitter: Emitter<'s>,
    program: Option<String>,
    version: Option<String>,
    generated: Option<String>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut state =
        State { emitter: Emitter::new(sink, Format::Zap, doc.display), program: None, version: None, generated: None };
    let mut walker = doc.walker()?;
    if walker.peek()? == Some(b'[') {
        state.flat(&mut walker)?;
    } else {
        walker.object("a ZAP report", |walker, key| match key {
            "site" => match walker.peek()? {
                Some(b'{') => state.site(walker),
                _ => walker.array("the sites", |walker, _| state.site(walker)),
            },
            "alerts" | "vulnerabilities" => state.flat(walker),
            "@programName" | "programName" => {
                state.program = walker.decode::<Option<Value>>()?.as_ref().and_then(scalar_text);
                Ok(())
            }
            "@version" | "version" => {
                state.version = walker.decode::<Option<Value>>()?.as_ref().and_then(scalar_text);
                Ok(())
            }
            "@generated" | "generated" => {
                state.generated = walker.decode::<Option<Value>>()?.as_ref().and_then(scalar_text);
                Ok(())
            }
            _ => walker.skip(),
        })?;
    }
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::Zap,
        kind: kind(options, EvidenceKind::Dast),
        tool: Tool::new(state.program.filter(|name| !name.is_empty()).unwrap_or_else(|| "ZAP".into()), state.version),
        summary: Summary { findings: Some(state.emitter.counts), ..Summary::default() },
        produced_at: state.generated,
        stored: None,
        redacted: 0,
    })
}

impl State<'_> {
    fn site(&mut self, walker: &mut Walker<'_>) -> Result<()> {
        walker.object("a site", |walker, key| match key {
            "alerts" => walker.array("the alerts", |walker, _| {
                let raw: RawAlert = walker.decode()?;
                let finding = raw.into_alert(false).finding(&mut self.emitter);
                self.emitter.push(finding)
            }),
            _ => walker.skip(),
        })
    }

    fn flat(&mut self, walker: &mut Walker<'_>) -> Result<()> {
        walker.array("a list of alerts", |walker, _| {
            let raw: RawAlert = walker.decode()?;
            let finding = raw.into_alert(true).finding(&mut self.emitter);
            self.emitter.push(finding)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn traditional_report() {
        let text = r#"{"@programName": "ZAP", "@version": "2.14.0", "@generated": "Wed, 24 Apr 2024 21:56:27", "site": [
          {"@name": "https://example.com", "alerts": [
            {"pluginid": "10038", "alertRef": "10038-1", "name": "CSP Header Not Set", "riskcode": "2", "confidence": "3", "cweid": "693",
             "instances": [{"uri": "https://example.com/a"}, {"uri": "https://example.com/b"}], "count": "2"},
            {"pluginid": "1", "alertRef": "1", "alert": "XSS", "riskcode": "3", "confidence": "0", "cweid": "79", "instances": []}]},
          {"@name": "https://other.example", "alerts": []}]}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "zap.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::Dast);
        assert_eq!(parsed.tool, Tool::new("ZAP", Some("2.14.0".into())));
        let counts = parsed.summary.findings.unwrap();
        assert_eq!((counts.total, counts.high, counts.medium, counts.suppressed), (2, 1, 1, 1));
        assert_eq!(findings[0].location.path.as_deref(), Some("https://example.com/a"));
        assert_eq!(findings[0].cwe, ["CWE-693"]);
        assert_eq!(findings[1].title, "XSS");
    }

    #[test]
    fn flat_api_alerts() {
        let text = r#"{"alerts": [
          {"pluginId": "10020", "alertRef": "10020-1", "name": "Missing Anti-clickjacking Header", "risk": "Medium", "confidence": "Medium",
           "url": "http://localhost:8080/", "param": "x-frame-options", "method": "GET", "cweid": "1021"},
          {"pluginId": "10020", "alertRef": "10020-1", "name": "Missing Anti-clickjacking Header", "risk": "Medium", "confidence": "Medium",
           "url": "http://localhost:8080/login", "param": "x-frame-options", "method": "GET", "cweid": "1021"},
          {"pluginId": "10096", "alertRef": "10096", "name": "Timestamp Disclosure", "risk": "Informational", "confidence": "Low", "url": "http://localhost:8080/"}]}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "alerts.json", &Options::default(), &mut findings).unwrap();
        let counts = parsed.summary.findings.unwrap();
        assert_eq!((counts.total, counts.medium, counts.info), (3, 2, 1));
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
    }
}
