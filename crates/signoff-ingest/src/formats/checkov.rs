//! Checkov JSON (`checkov -o json`): one report object, or an array of them (one per
//! framework: terraform, dockerfile, ...), or a summary-only object when nothing was
//! scanned.
//!
//! # Counting
//! Each entry of `results.failed_checks`, across all frameworks, is one finding.
//! Passed and skipped checks are not findings; a summary-only object has none.
//! (Checkov's own `summary.failed` can differ: some versions count resources.)
//!
//! # Fields
//! rule id: `check_id`; title: `check_name`; location: `file_path` with
//! `file_line_range` (0 means "no line"); for SCA checks, package, version and CVE
//! from `vulnerability_details`. Severity: see `crate::severity` (absent → medium).
//!
//! # Identity
//! check id, resource and file path.
//!
//! # Kind
//! `iac_scan`.

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use crate::json_walk::{Doc, Emitter, Result, Walker, scalar_text};
use crate::{FindingSink, Options, Parsed, ids, severity};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCheck {
    check_id: String,
    check_name: Option<String>,
    file_path: Option<String>,
    file_line_range: Option<Vec<Value>>,
    resource: Option<String>,
    severity: Option<String>,
    vulnerability_details: Option<RawVulnerability>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawVulnerability {
    id: Option<String>,
    package_name: Option<String>,
    package_version: Option<String>,
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSummary {
    checkov_version: Option<Value>,
}

struct State<'s> {
    emitter: Emitter<'s>,
    version: Option<String>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut state = State { emitter: Emitter::new(sink, Format::Checkov, doc.display), version: None };
    let mut walker = doc.walker()?;
    if walker.peek()? == Some(b'[') {
        walker.array("a list of Checkov reports", |walker, _| state.report(walker))?;
    } else {
        state.report(&mut walker)?;
    }
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::Checkov,
        kind: kind(options, EvidenceKind::IacScan),
        tool: Tool::new("checkov", state.version),
        summary: Summary { findings: Some(state.emitter.counts), ..Summary::default() },
        produced_at: None,
        stored: None,
        redacted: 0,
    })
}

impl State<'_> {
    fn report(&mut self, walker: &mut Walker<'_>) -> Result<()> {
        walker.object("a Checkov report", |walker, key| match key {
            "results" => walker.object("the results", |walker, key| match key {
                "failed_checks" => walker.array("the failed checks", |walker, _| {
                    let raw: RawCheck = walker.decode()?;
                    let finding = self.normalize(raw);
                    self.emitter.push(finding)
                }),
                _ => walker.skip(),
            }),
            "summary" => {
                let summary: Option<RawSummary> = walker.decode()?;
                if self.version.is_none() {
                    self.version = summary.and_then(|summary| summary.checkov_version).as_ref().and_then(scalar_text);
                }
                Ok(())
            }
            // The summary-only layout has the version at the top.
            "checkov_version" => {
                let version: Option<Value> = walker.decode()?;
                if self.version.is_none() {
                    self.version = version.as_ref().and_then(scalar_text);
                }
                Ok(())
            }
            _ => walker.skip(),
        })
    }

    fn normalize(&mut self, raw: RawCheck) -> Finding {
        let vulnerability = raw.vulnerability_details.unwrap_or_default();
        let severity = raw
            .severity
            .as_deref()
            .or(vulnerability.severity.as_deref())
            .and_then(severity::word)
            .unwrap_or(Severity::Medium);
        let lines: Vec<u64> = raw.file_line_range.iter().flatten().filter_map(crate::json_walk::scalar_u64).collect();
        let start_line = lines.first().copied().filter(|line| *line > 0);
        let end_line = lines.get(1).copied().filter(|line| *line > 0).or(start_line);
        let fingerprint = self.emitter.fingerprint(&[
            &raw.check_id,
            raw.resource.as_deref().unwrap_or(""),
            raw.file_path.as_deref().unwrap_or(""),
        ]);
        let mut cve = ids::advisory_ids(&raw.check_id);
        if let Some(id) = &vulnerability.id {
            for found in ids::advisory_ids(id) {
                if !cve.contains(&found) {
                    cve.push(found);
                }
            }
        }
        let name = raw.check_name.filter(|name| !name.is_empty()).unwrap_or_else(|| raw.check_id.clone());
        let title = match raw.resource.as_deref().filter(|resource| !resource.is_empty()) {
            Some(resource) => format!("{name} ({resource})"),
            None => name,
        };
        Finding {
            fingerprint,
            severity,
            title: super::sarif::first_line(&title),
            location: Location { path: raw.file_path.as_deref().map(Location::normalize_path), start_line, end_line },
            cve,
            cwe: Vec::new(),
            package: vulnerability.package_name,
            package_version: vulnerability.package_version,
            suppressed: false,
            rule_id: raw.check_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn failed_checks_across_frameworks() {
        let text = r#"[
          {"check_type": "terraform", "results": {"passed_checks": [{"check_id": "CKV_AWS_1"}], "failed_checks": [
            {"check_id": "CKV_AWS_161", "check_name": "Ensure RDS has IAM auth", "file_path": "/db.tf", "file_line_range": [1, 25], "resource": "aws_db_instance.default", "severity": null},
            {"check_id": "CKV_GCP_29", "check_name": "Uniform bucket access", "file_path": "/gcs.tf", "file_line_range": [1, 15], "resource": "google_storage_bucket.b", "severity": "HIGH"}]},
           "summary": {"passed": 1, "failed": 2, "checkov_version": "2.0.209"}},
          {"check_type": "dockerfile", "results": {"failed_checks": [
            {"check_id": "CKV_DOCKER_3", "check_name": "Ensure a user", "file_path": "/Dockerfile", "file_line_range": [0, 0], "resource": "/Dockerfile."}]},
           "summary": {"failed": 1, "checkov_version": "2.0.209"}}
        ]"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "c.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::IacScan);
        assert_eq!(parsed.tool, Tool::new("checkov", Some("2.0.209".into())));
        let counts = parsed.summary.findings.unwrap();
        assert_eq!((counts.total, counts.medium, counts.high), (3, 2, 1));
        assert_eq!(findings[0].location.start_line, Some(1));
        assert_eq!(findings[2].location.start_line, None);
        assert_eq!(findings[0].title, "Ensure RDS has IAM auth (aws_db_instance.default)");
    }

    #[test]
    fn summary_only_has_no_findings() {
        let text = r#"{"passed": 0, "failed": 0, "skipped": 0, "parsingerrors": 0, "resourcecount": 0, "checkov_version": "2.0.1"}"#;
        let parsed = parse_bytes(text.as_bytes(), "c.json", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!(parsed.summary.findings.unwrap().total, 0);
        assert_eq!(parsed.tool.version.as_deref(), Some("2.0.1"));
    }
}
