//! OSV-Scanner JSON (`osv-scanner --format json`): `results[]` (one per scanned
//! lockfile or directory: `source`), each with `packages[]`, each with the OSV
//! `vulnerabilities` that affect it and `groups` of ids that are aliases of each
//! other.
//!
//! # Counting
//! Each vulnerability of each package of each result is one finding, aliases
//! included (OSV-Scanner lists a PYSEC entry and its GHSA twin separately, and so
//! do we; the group tells they are one issue). An empty file is an error as for
//! every format.
//!
//! # Fields
//! rule id: the OSV `id`; CVE/GHSA ids from it and its `aliases`; title: `summary`
//! (else the first line of `details`); package, version, ecosystem from
//! `package`; location: the source path; CWE ids from `database_specific.cwe_ids`
//! and the affected entries' `database_specific.cwes`. Severity: see
//! `crate::severity` (an entry without its own severity takes its group's).
//!
//! # Identity
//! id, package, version, ecosystem and source path.
//!
//! # Kind
//! `sca`.

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use super::trivy::dedup;
use crate::json_walk::{Doc, Emitter, Result, scalar_f64};
use crate::{FindingSink, Options, Parsed, ids, severity};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResult {
    source: RawSource,
    packages: Vec<RawPackage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSource {
    path: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPackage {
    package: RawPackageInfo,
    vulnerabilities: Vec<RawVulnerability>,
    groups: Vec<RawGroup>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPackageInfo {
    name: Option<String>,
    version: Option<String>,
    ecosystem: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawVulnerability {
    id: String,
    aliases: Vec<String>,
    summary: Option<String>,
    details: Option<String>,
    severity: Vec<RawSeverity>,
    database_specific: Option<Value>,
    affected: Vec<RawAffected>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSeverity {
    score: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAffected {
    database_specific: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGroup {
    ids: Vec<String>,
    aliases: Vec<String>,
    max_severity: Option<Value>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut emitter = Emitter::new(sink, Format::OsvScanner, doc.display);
    let mut walker = doc.walker()?;
    walker.object("an OSV-Scanner report", |walker, key| match key {
        "results" => walker.array("the results", |walker, _| {
            let result: RawResult = walker.decode()?;
            for package in result.packages {
                emit_package(&mut emitter, result.source.path.as_deref(), package)?;
            }
            Ok(())
        }),
        _ => walker.skip(),
    })?;
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::OsvScanner,
        kind: kind(options, EvidenceKind::Sca),
        tool: Tool::new("osv-scanner", None),
        summary: Summary { findings: Some(emitter.counts), ..Summary::default() },
        produced_at: None,
        stored: None,
        redacted: 0,
    })
}

/// A vulnerability's own severity: `database_specific.severity`, else the highest
/// score of `severity[]`.
fn own_severity(vulnerability: &RawVulnerability) -> Option<Severity> {
    let word = vulnerability
        .database_specific
        .as_ref()
        .and_then(|specific| specific.get("severity"))
        .and_then(Value::as_str)
        .and_then(severity::word);
    word.or_else(|| {
        let scores = vulnerability.severity.iter().filter_map(|entry| match entry.score.as_ref()? {
            Value::String(text) => text.trim().parse::<f64>().ok().or_else(|| severity::cvss_vector_score(text)),
            other => scalar_f64(other),
        });
        scores
            .fold(None, |best: Option<f64>, score| Some(best.map_or(score, |best| best.max(score))))
            .and_then(severity::score)
    })
}

fn emit_package(emitter: &mut Emitter<'_>, source: Option<&str>, package: RawPackage) -> Result<()> {
    let own: Vec<Option<Severity>> = package.vulnerabilities.iter().map(own_severity).collect();
    let name = package.package.name.clone().unwrap_or_default();
    let version = package.package.version.clone().unwrap_or_default();
    let ecosystem = package.package.ecosystem.clone().unwrap_or_default();
    for (index, vulnerability) in package.vulnerabilities.iter().enumerate() {
        let related = |other: &RawVulnerability| {
            other.id == vulnerability.id
                || other.aliases.contains(&vulnerability.id)
                || vulnerability.aliases.contains(&other.id)
        };
        let group = package
            .groups
            .iter()
            .find(|group| group.ids.contains(&vulnerability.id) || group.aliases.contains(&vulnerability.id));
        let in_group = |other: &RawVulnerability| {
            group.is_some_and(|group| group.ids.contains(&other.id) || group.aliases.contains(&other.id))
        };
        let severity = own[index]
            .or_else(|| {
                group.and_then(|group| group.max_severity.as_ref()).and_then(scalar_f64).and_then(severity::score)
            })
            .or_else(|| {
                let peers =
                    package.vulnerabilities.iter().zip(&own).filter(|(other, _)| related(other) || in_group(other));
                severity::highest(peers.filter_map(|(_, severity)| *severity))
            })
            .unwrap_or(if vulnerability.id.starts_with("MAL-") { Severity::Critical } else { Severity::Info });
        let mut cve = ids::advisory_ids(&vulnerability.id);
        for alias in &vulnerability.aliases {
            cve.extend(ids::advisory_ids(alias));
        }
        let mut cwe = Vec::new();
        let mut collect_cwes = |specific: &Value| {
            if let Some(Value::Array(items)) = specific.get("cwe_ids") {
                items.iter().filter_map(Value::as_str).for_each(|text| cwe.extend(ids::cwe_ids(text)));
            }
            if let Some(Value::Array(items)) = specific.get("cwes") {
                items
                    .iter()
                    .filter_map(|item| item.get("cweId"))
                    .filter_map(Value::as_str)
                    .for_each(|text| cwe.extend(ids::cwe_ids(text)));
            }
        };
        if let Some(specific) = &vulnerability.database_specific {
            collect_cwes(specific);
        }
        for affected in &vulnerability.affected {
            if let Some(specific) = &affected.database_specific {
                collect_cwes(specific);
            }
        }
        let fingerprint = emitter.fingerprint(&[&vulnerability.id, &name, &version, &ecosystem, source.unwrap_or("")]);
        let title = vulnerability
            .summary
            .as_deref()
            .or(vulnerability.details.as_deref())
            .map(super::sarif::first_line)
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| format!("{} in {name} {version}", vulnerability.id));
        emitter.push(Finding {
            fingerprint,
            rule_id: vulnerability.id.clone(),
            severity,
            title,
            location: Location { path: source.map(Location::normalize_path), start_line: None, end_line: None },
            cve: dedup(cve),
            cwe: dedup(cwe),
            package: package.package.name.clone(),
            package_version: package.package.version.clone(),
            suppressed: false,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn vulnerabilities_per_package_with_group_severities() {
        let text = r#"{"results": [{"source": {"path": "/src/requirements.txt", "type": "lockfile"}, "packages": [
          {"package": {"name": "requests", "version": "2.25.0", "ecosystem": "PyPI"},
           "vulnerabilities": [
             {"id": "GHSA-j8r2-6x86-q33q", "aliases": ["CVE-2023-32681", "PYSEC-2023-74"], "summary": "Unintended leak of Proxy-Authorization header",
              "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-200"]}},
             {"id": "PYSEC-2023-74", "aliases": ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"], "details": "Requests leaks headers"}],
           "groups": [{"ids": ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]}]},
          {"package": {"name": "flot-axis", "version": "0.0.0", "ecosystem": "npm"},
           "vulnerabilities": [{"id": "MAL-2023-1035", "summary": "Malicious code in flot-axis (npm)"}], "groups": [{"ids": ["MAL-2023-1035"]}]},
          {"package": {"name": "jinja2", "version": "2.0", "ecosystem": "PyPI"},
           "vulnerabilities": [{"id": "GHSA-h5c8-rqwp-cp95", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}]}],
           "groups": [{"ids": ["GHSA-h5c8-rqwp-cp95"], "max_severity": "8.8"}]}]}]}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "osv.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.format, Format::OsvScanner);
        let severities: Vec<Severity> = findings.iter().map(|finding| finding.severity).collect();
        assert_eq!(severities, [Severity::Medium, Severity::Medium, Severity::Critical, Severity::High]);
        assert_eq!(findings[0].cve, ["GHSA-j8r2-6x86-q33q", "CVE-2023-32681"]);
        assert_eq!(findings[0].cwe, ["CWE-200"]);
        assert_eq!(findings[1].title, "Requests leaks headers");
        assert_eq!(findings[0].location.path.as_deref(), Some("/src/requirements.txt"));
    }
}
