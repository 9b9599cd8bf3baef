//! npm audit JSON (`npm audit --json`): npm 7 and later (`auditReportVersion` 2,
//! `vulnerabilities` keyed by package) and npm 6 (`advisories` keyed by advisory
//! id). When npm could not audit it writes `{"error": {...}}` instead, which is an
//! error here, quoting npm's summary.
//!
//! # Counting
//! npm 7+: each entry of `vulnerabilities` (one per vulnerable package, including
//! packages vulnerable only through their dependencies). npm 6: each entry of
//! `advisories`.
//!
//! # Fields
//! npm 7+: rule id is the first advisory (GHSA id) the package is directly
//! affected by, else the package name; title the advisory title, else "vulnerable
//! through …"; location its first `nodes` path; package its name (npm 7 reports a
//! vulnerable range, not the installed version, so no version); CVE/GHSA and CWE
//! ids from the advisories in `via`. npm 6: rule id the GHSA id (else the advisory
//! number); package `module_name`, version the first installed version in
//! `findings`; location the first dependency path.
//!
//! # Identity
//! npm 7+: package, range and the advisories it is affected by. npm 6: advisory,
//! package and installed versions.
//!
//! # Kind
//! `sca`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use super::trivy::dedup;
use crate::json_walk::{Doc, Emitter, Result, scalar_f64, scalar_text};
use crate::{FindingSink, Options, Parsed, ids, severity};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPackage {
    name: Option<String>,
    severity: Option<String>,
    via: Vec<Value>,
    range: Option<String>,
    nodes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAdvisory {
    id: Option<Value>,
    title: Option<String>,
    module_name: Option<String>,
    severity: Option<String>,
    cves: Vec<String>,
    cwe: Option<Value>,
    url: Option<String>,
    github_advisory_id: Option<String>,
    cvss: Option<RawCvss>,
    findings: Vec<RawFinding>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCvss {
    score: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawFinding {
    version: Option<String>,
    paths: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawError {
    code: Option<Value>,
    summary: Option<String>,
    detail: Option<String>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut emitter = Emitter::new(sink, Format::NpmAudit, doc.display);
    let mut report_version: Option<String> = None;
    let mut walker = doc.walker()?;
    walker.object("an npm audit report", |walker, key| match key {
        "auditReportVersion" => {
            report_version = walker.decode::<Option<Value>>()?.as_ref().and_then(scalar_text);
            Ok(())
        }
        "vulnerabilities" => walker.object("the vulnerable packages", |walker, name| {
            let raw: RawPackage = walker.decode()?;
            let finding = package(&mut emitter, name, raw);
            emitter.push(finding)
        }),
        "advisories" => walker.object("the advisories", |walker, _| {
            let raw: RawAdvisory = walker.decode()?;
            let finding = advisory(&mut emitter, raw);
            emitter.push(finding)
        }),
        "error" => {
            let shape = walker.shape("");
            let raw: RawError = walker.decode::<Option<RawError>>()?.unwrap_or_default();
            let code = raw.code.as_ref().and_then(scalar_text).unwrap_or_else(|| "unknown".into());
            let summary = raw.summary.filter(|text| !text.trim().is_empty()).or(raw.detail).unwrap_or_default();
            let mut error = shape;
            error.kind = crate::IngestErrorKind::Shape {
                message: format!("npm audit failed (error {code}): {}", summary.trim()),
            };
            Err(error)
        }
        _ => walker.skip(),
    })?;
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::NpmAudit,
        kind: kind(options, EvidenceKind::Sca),
        tool: Tool::new("npm audit", report_version.map(|version| format!("report {version}"))),
        summary: Summary { findings: Some(emitter.counts), ..Summary::default() },
        produced_at: None,
        stored: None,
        redacted: 0,
    })
}

/// An npm 7+ entry.
fn package(emitter: &mut Emitter<'_>, key: &str, raw: RawPackage) -> Finding {
    let name = raw.name.clone().unwrap_or_else(|| key.to_owned());
    let advisories: Vec<&serde_json::Map<String, Value>> = raw.via.iter().filter_map(Value::as_object).collect();
    let through: Vec<&str> = raw.via.iter().filter_map(Value::as_str).collect();
    let mut cve = Vec::new();
    let mut cwe = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    let mut best_score: Option<f64> = None;
    for advisory in &advisories {
        for key in ["url", "title"] {
            if let Some(text) = advisory.get(key).and_then(Value::as_str) {
                cve.extend(ids::advisory_ids(text));
            }
        }
        match advisory.get("cwe") {
            Some(Value::Array(items)) => {
                items.iter().filter_map(Value::as_str).for_each(|text| cwe.extend(ids::cwe_ids(text)))
            }
            Some(Value::String(text)) => cwe.extend(ids::cwe_ids(text)),
            _ => {}
        }
        if let Some(source) = advisory.get("source").and_then(scalar_text) {
            sources.push(source);
        }
        if let Some(score) = advisory.get("cvss").and_then(|cvss| cvss.get("score")).and_then(scalar_f64) {
            best_score = Some(best_score.map_or(score, |best: f64| best.max(score)));
        }
    }
    let cve = dedup(cve);
    let severity = raw
        .severity
        .as_deref()
        .and_then(severity::word)
        .or_else(|| best_score.and_then(severity::score))
        .unwrap_or(Severity::Info);
    let rule_id = cve.iter().find(|id| id.starts_with("GHSA-")).cloned().unwrap_or_else(|| name.clone());
    let title = match advisories.first().and_then(|advisory| advisory.get("title")).and_then(Value::as_str) {
        Some(title) => title.to_owned(),
        None if !through.is_empty() => format!("{name} is vulnerable through {}", through.join(", ")),
        None => format!("{name} is vulnerable"),
    };
    sources.sort();
    let mut parts: Vec<&str> = vec![&name, raw.range.as_deref().unwrap_or("")];
    parts.extend(sources.iter().map(String::as_str));
    parts.extend(through.iter().copied());
    let fingerprint = emitter.fingerprint(&parts);
    Finding {
        fingerprint,
        rule_id,
        severity,
        title: super::sarif::first_line(&title),
        location: Location { path: raw.nodes.first().cloned(), start_line: None, end_line: None },
        cve,
        cwe: dedup(cwe),
        package: Some(name),
        package_version: None,
        suppressed: false,
    }
}

/// An npm 6 advisory.
fn advisory(emitter: &mut Emitter<'_>, raw: RawAdvisory) -> Finding {
    let number = raw.id.as_ref().and_then(scalar_text).unwrap_or_default();
    let mut cve: Vec<String> = raw.cves.iter().flat_map(|id| ids::advisory_ids(id)).collect();
    for text in [raw.github_advisory_id.as_deref(), raw.url.as_deref()].into_iter().flatten() {
        cve.extend(ids::advisory_ids(text));
    }
    let cve = dedup(cve);
    let cwe = match &raw.cwe {
        Some(Value::String(text)) => ids::cwe_ids(text),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).flat_map(ids::cwe_ids).collect(),
        _ => Vec::new(),
    };
    let score =
        raw.cvss.as_ref().and_then(|cvss| cvss.score.as_ref()).and_then(scalar_f64).filter(|score| *score > 0.0);
    let severity = raw
        .severity
        .as_deref()
        .and_then(severity::word)
        .or_else(|| score.and_then(severity::score))
        .unwrap_or(Severity::Info);
    let rule_id = raw.github_advisory_id.clone().filter(|id| !id.is_empty()).unwrap_or_else(|| number.clone());
    let module = raw.module_name.clone().unwrap_or_default();
    let versions: BTreeMap<&str, ()> =
        raw.findings.iter().filter_map(|finding| finding.version.as_deref()).map(|version| (version, ())).collect();
    let versions: Vec<&str> = versions.into_keys().collect();
    let mut parts: Vec<&str> = vec![&rule_id, &number, &module];
    parts.extend(versions.iter().copied());
    let fingerprint = emitter.fingerprint(&parts);
    let path = raw.findings.iter().flat_map(|finding| finding.paths.first()).next().cloned();
    Finding {
        fingerprint,
        severity,
        title: super::sarif::first_line(raw.title.as_deref().unwrap_or(&rule_id)),
        location: Location { path, start_line: None, end_line: None },
        cve,
        cwe: dedup(cwe),
        package: raw.module_name,
        package_version: raw.findings.iter().find_map(|finding| finding.version.clone()),
        suppressed: false,
        rule_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IngestErrorKind, parse_bytes};

    #[test]
    fn npm7_packages() {
        let text = r#"{"auditReportVersion": 2, "vulnerabilities": {
          "debug": {"name": "debug", "severity": "high", "isDirect": true, "via": [
            {"source": 1094222, "name": "debug", "title": "ReDoS in debug", "url": "https://github.com/advisories/GHSA-gxpj-cx7g-858c", "severity": "moderate", "cwe": ["CWE-400"], "cvss": {"score": 5.3}},
            "ms"], "effects": [], "range": "<=2.6.8", "nodes": ["node_modules/debug"]},
          "@vercel/fun": {"name": "@vercel/fun", "severity": "moderate", "via": ["debug", "semver"], "range": "<=1.1.0", "nodes": ["node_modules/@vercel/fun"]}},
          "metadata": {"vulnerabilities": {"high": 1, "moderate": 1, "total": 2}}}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "audit.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::Sca);
        let counts = parsed.summary.findings.unwrap();
        assert_eq!((counts.total, counts.high, counts.medium), (2, 1, 1));
        assert_eq!(findings[0].rule_id, "GHSA-gxpj-cx7g-858c");
        assert_eq!(findings[0].cwe, ["CWE-400"]);
        assert_eq!(findings[1].title, "@vercel/fun is vulnerable through debug, semver");
        assert_eq!(findings[1].location.path.as_deref(), Some("node_modules/@vercel/fun"));
    }

    #[test]
    fn npm6_advisories() {
        let text = r#"{"actions": [], "advisories": {"1059337": {"findings": [{"version": "0.0.7", "paths": ["a>ansi-html"]}],
          "module_name": "ansi-html", "severity": "high", "github_advisory_id": "GHSA-whgm-jr23-g3j9", "cves": ["CVE-2021-23424"],
          "cwe": "[\"CWE-400\"]", "id": 1059337, "title": "Uncontrolled Resource Consumption in ansi-html"}}, "muted": [], "metadata": {}}"#;
        let mut findings = Vec::new();
        parse_bytes(text.as_bytes(), "audit.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(findings[0].rule_id, "GHSA-whgm-jr23-g3j9");
        assert_eq!(findings[0].cve, ["CVE-2021-23424", "GHSA-whgm-jr23-g3j9"]);
        assert_eq!(findings[0].cwe, ["CWE-400"]);
        assert_eq!(findings[0].package_version.as_deref(), Some("0.0.7"));
    }

    #[test]
    fn error_objects_say_npm_failed() {
        let text = br#"{"error": {"code": "ENOAUDIT", "summary": "Your configured registry may not support audit requests.", "detail": ""}}"#;
        let error = parse_bytes(text, "audit.json", &Options::default(), &mut Vec::new()).unwrap_err();
        assert!(matches!(error.kind, IngestErrorKind::Shape { .. }));
        assert_eq!(
            error.to_string(),
            "audit.json: npm-audit: $.error (line 1, column 11): npm audit failed (error ENOAUDIT): Your configured registry may not support audit requests."
        );
    }
}
