//! Semgrep JSON (`semgrep --json`). Semgrep's SARIF is read as SARIF.
//!
//! # Counting
//! Each entry of `results` is one finding; `errors` are not findings. A result with
//! `extra.is_ignored` (a `nosemgrep` comment) is suppressed.
//!
//! # Fields
//! rule id: `check_id`; title: the first line of `extra.message`; location: `path`,
//! `start.line`, `end.line`; CWE ids from `extra.metadata.cwe` (a string or a list,
//! `CWE-79: ...`); CVE/GHSA ids from supply-chain results' `extra.metadata`
//! (`sca-vuln-database-identifier`) and the rule id.
//!
//! # Identity
//! `extra.fingerprint` (with the rule id and path), unless it is the placeholder
//! `requires login` that Semgrep writes when logged out; otherwise rule id, path,
//! start line and column and message.
//!
//! # Kind
//! `sast`.

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format, Location, Summary, Tool};

use super::kind;
use super::trivy::dedup;
use crate::json_walk::{Doc, Emitter, Result};
use crate::{FindingSink, Options, Parsed, ids, severity};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResult {
    check_id: String,
    path: Option<String>,
    start: Option<RawPosition>,
    end: Option<RawPosition>,
    extra: RawExtra,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPosition {
    line: Option<u64>,
    col: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawExtra {
    message: Option<String>,
    severity: Option<String>,
    fingerprint: Option<String>,
    is_ignored: Option<bool>,
    metadata: Option<Value>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut emitter = Emitter::new(sink, Format::Semgrep, doc.display);
    let mut version: Option<String> = None;
    let mut walker = doc.walker()?;
    walker.object("a Semgrep report", |walker, key| match key {
        "results" => walker.array("the results", |walker, _| {
            let raw: RawResult = walker.decode()?;
            let finding = normalize(&mut emitter, raw);
            emitter.push(finding)
        }),
        "version" => {
            version = walker.decode::<Option<Value>>()?.as_ref().and_then(crate::json_walk::scalar_text);
            Ok(())
        }
        _ => walker.skip(),
    })?;
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::Semgrep,
        kind: kind(options, EvidenceKind::Sast),
        tool: Tool::new("semgrep", version),
        summary: Summary { findings: Some(emitter.counts), ..Summary::default() },
        produced_at: None,
        stored: None,
        redacted: 0,
    })
}

fn normalize(emitter: &mut Emitter<'_>, raw: RawResult) -> Finding {
    let extra = raw.extra;
    let metadata = extra.metadata.unwrap_or(Value::Null);
    let level = extra.severity.clone().or_else(|| metadata.get("severity").and_then(Value::as_str).map(str::to_owned));
    let severity = severity::semgrep(level.as_deref().unwrap_or(""));
    let path = raw.path.as_deref().map(Location::normalize_path);
    let start_line = raw.start.as_ref().and_then(|start| start.line);
    let start_column = raw.start.as_ref().and_then(|start| start.col);
    let message = extra.message.unwrap_or_default();
    let fingerprint = match extra.fingerprint.filter(|text| !text.is_empty() && text != "requires login") {
        Some(stable) => emitter.fingerprint(&[&raw.check_id, path.as_deref().unwrap_or(""), &stable]),
        None => {
            let line = start_line.map(|line| line.to_string()).unwrap_or_default();
            let column = start_column.map(|column| column.to_string()).unwrap_or_default();
            emitter.fingerprint(&[&raw.check_id, path.as_deref().unwrap_or(""), &line, &column, &message])
        }
    };
    let mut cwe = Vec::new();
    match metadata.get("cwe") {
        Some(Value::String(text)) => cwe.extend(ids::cwe_ids(text)),
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).for_each(|text| cwe.extend(ids::cwe_ids(text)))
        }
        _ => {}
    }
    let mut cve = ids::advisory_ids(&raw.check_id);
    for key in ["sca-vuln-database-identifier", "cve"] {
        if let Some(text) = metadata.get(key).and_then(Value::as_str) {
            cve.extend(ids::advisory_ids(text));
        }
    }
    let title = super::sarif::first_line(&message);
    Finding {
        fingerprint,
        severity,
        title: if title.is_empty() { raw.check_id.clone() } else { title },
        location: Location { path, start_line, end_line: raw.end.as_ref().and_then(|end| end.line).or(start_line) },
        cve: dedup(cve),
        cwe: dedup(cwe),
        package: None,
        package_version: None,
        suppressed: extra.is_ignored.unwrap_or(false),
        rule_id: raw.check_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;
    use signoff_core::Severity;

    #[test]
    fn results_with_severities_fingerprints_and_ignores() {
        let text = r#"{"version": "1.84.1", "errors": [], "results": [
          {"check_id": "python.lang.security.audit.eval", "path": "app.py", "start": {"line": 3, "col": 1}, "end": {"line": 4, "col": 2},
           "extra": {"message": "Detected eval\nmore", "severity": "ERROR", "fingerprint": "abc_0", "is_ignored": false,
                     "metadata": {"cwe": ["CWE-95: Improper Neutralization"]}}},
          {"check_id": "rules.cdn", "path": "base.html", "start": {"line": 48, "col": 1}, "end": {"line": 48, "col": 9},
           "extra": {"message": "CDN", "severity": "LOW", "fingerprint": "requires login", "is_ignored": true, "metadata": {"cwe": "CWE-829: x"}}},
          {"check_id": "x", "path": "a.go", "start": {"line": 1}, "end": {"line": 1}, "extra": {"message": "m", "severity": "INFO"}}
        ]}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "s.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.format, Format::Semgrep);
        assert_eq!(parsed.kind, EvidenceKind::Sast);
        assert_eq!(parsed.tool, Tool::new("semgrep", Some("1.84.1".into())));
        let counts = parsed.summary.findings.unwrap();
        assert_eq!((counts.total, counts.high, counts.low, counts.suppressed), (3, 1, 2, 1));
        assert_eq!(findings[0].title, "Detected eval");
        assert_eq!(findings[0].cwe, ["CWE-95"]);
        assert_eq!(findings[1].cwe, ["CWE-829"]);
        assert_eq!(findings[0].location.end_line, Some(4));
        assert_eq!(findings[2].severity, Severity::Low);
    }
}
