//! Grype JSON (`grype -o json`), from 0.7 (`cvssV2`/`cvssV3` objects, one
//! `matchDetails` object) to today (`cvss` lists, `matchDetails` lists).
//!
//! # Counting
//! Each entry of `matches` is one finding. `ignoredMatches` (matches an ignore rule
//! removed) are not counted, as Grype does not report them either.
//!
//! # Fields
//! rule id: `vulnerability.id`; CVE/GHSA ids from it and the related
//! vulnerabilities; package and version: `artifact.name`, `artifact.version`;
//! location: the artifact's first location path. CWE ids are not in Grype's output.
//!
//! # Identity
//! vulnerability id, package, version and first location path.
//!
//! # Target
//! `<source.type>:<what>`: an image's `source.target.userInput` (else its
//! `imageID`), `image:python:3.6`; a directory's or file's path.
//!
//! # Kind
//! `container_scan` when `source.type` is `image`, `sca` otherwise.

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use super::trivy::dedup;
use crate::json_walk::{Doc, Emitter, Result, scalar_f64};
use crate::{FindingSink, Options, Parsed, ids, severity};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawMatch {
    vulnerability: RawVulnerability,
    #[serde(rename = "relatedVulnerabilities")]
    related: Option<Vec<RawVulnerability>>,
    artifact: RawArtifact,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawVulnerability {
    id: String,
    severity: Option<String>,
    description: Option<String>,
    cvss: Option<Vec<RawCvss>>,
    #[serde(rename = "cvssV3")]
    cvss_v3: Option<RawScore>,
    #[serde(rename = "cvssV2")]
    cvss_v2: Option<RawScore>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCvss {
    vector: Option<String>,
    metrics: Option<RawScore>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawScore {
    #[serde(rename = "baseScore")]
    base_score: Option<Value>,
    vector: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawArtifact {
    name: Option<String>,
    version: Option<String>,
    locations: Option<Vec<RawLocation>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawLocation {
    path: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSource {
    #[serde(rename = "type")]
    kind: Option<String>,
    target: Option<RawTarget>,
}

/// `source.target`: a path (directories, files) or an image's description, of
/// which only the name the user gave and the image id are read.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawTarget {
    Path(String),
    Image(RawImage),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawImage {
    #[serde(rename = "userInput")]
    user_input: Option<String>,
    #[serde(rename = "imageID")]
    image_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawDescriptor {
    name: Option<String>,
    version: Option<String>,
    timestamp: Option<String>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut emitter = Emitter::new(sink, Format::Grype, doc.display);
    let mut source = RawSource::default();
    let mut descriptor = RawDescriptor::default();
    let mut walker = doc.walker()?;
    walker.object("a Grype report", |walker, key| match key {
        "matches" => walker.array("the matches", |walker, _| {
            let raw: RawMatch = walker.decode()?;
            let finding = normalize(&mut emitter, raw);
            emitter.push(finding)
        }),
        "source" => {
            source = walker.decode::<Option<RawSource>>()?.unwrap_or_default();
            Ok(())
        }
        "descriptor" => {
            descriptor = walker.decode::<Option<RawDescriptor>>()?.unwrap_or_default();
            Ok(())
        }
        _ => walker.skip(),
    })?;
    walker.finish()?;
    let implied = if source.kind.as_deref() == Some("image") { EvidenceKind::ContainerScan } else { EvidenceKind::Sca };
    let scanned = match source.target {
        Some(RawTarget::Path(path)) => Some(path),
        Some(RawTarget::Image(image)) => image.user_input.or(image.image_id),
        None => None,
    }
    .filter(|name| !name.is_empty());
    let target = scanned.map(|name| match source.kind.as_deref() {
        Some(kind) if !kind.is_empty() => format!("{kind}:{name}"),
        _ => name,
    });
    Ok(Parsed {
        target,
        format: Format::Grype,
        kind: kind(options, implied),
        tool: Tool::new(descriptor.name.unwrap_or_else(|| "grype".into()), descriptor.version),
        summary: Summary { findings: Some(emitter.counts), ..Summary::default() },
        produced_at: descriptor.timestamp,
        stored: None,
        redacted: 0,
    })
}

fn normalize(emitter: &mut Emitter<'_>, raw: RawMatch) -> Finding {
    let vulnerability = &raw.vulnerability;
    let related = raw.related.as_deref().unwrap_or_default();
    let severity = vulnerability
        .severity
        .as_deref()
        .and_then(severity::word)
        .or_else(|| best_score(std::slice::from_ref(vulnerability)).and_then(severity::score))
        .or_else(|| best_score(related).and_then(severity::score))
        .unwrap_or(Severity::Info);
    let path = raw
        .artifact
        .locations
        .as_ref()
        .and_then(|locations| locations.first())
        .and_then(|location| location.path.clone());
    let name = raw.artifact.name.clone().unwrap_or_default();
    let version = raw.artifact.version.clone().unwrap_or_default();
    let fingerprint = emitter.fingerprint(&[&vulnerability.id, &name, &version, path.as_deref().unwrap_or("")]);
    let mut cve = ids::advisory_ids(&vulnerability.id);
    for other in related {
        cve.extend(ids::advisory_ids(&other.id));
    }
    let description =
        vulnerability.description.as_deref().or_else(|| related.iter().find_map(|other| other.description.as_deref()));
    let title = match description.map(super::sarif::first_line).filter(|line| !line.is_empty()) {
        Some(line) => format!("{} in {name} {version}: {line}", vulnerability.id),
        None => format!("{} in {name} {version}", vulnerability.id),
    };
    Finding {
        fingerprint,
        rule_id: vulnerability.id.clone(),
        severity,
        title: super::sarif::first_line(&title),
        location: Location { path: path.as_deref().map(Location::normalize_path), start_line: None, end_line: None },
        cve: dedup(cve),
        cwe: Vec::new(),
        package: raw.artifact.name,
        package_version: raw.artifact.version,
        suppressed: false,
    }
}

/// The highest CVSS base score given for these vulnerabilities (or computed from
/// their vectors).
fn best_score(vulnerabilities: &[RawVulnerability]) -> Option<f64> {
    let mut best: Option<f64> = None;
    let mut consider = |score: Option<f64>| {
        if let Some(score) = score {
            best = Some(best.map_or(score, |best: f64| best.max(score)));
        }
    };
    let of = |raw: &RawScore| {
        raw.base_score
            .as_ref()
            .and_then(scalar_f64)
            .or_else(|| raw.vector.as_deref().and_then(severity::cvss_vector_score))
    };
    for vulnerability in vulnerabilities {
        for cvss in vulnerability.cvss.iter().flatten() {
            consider(
                cvss.metrics
                    .as_ref()
                    .and_then(of)
                    .or_else(|| cvss.vector.as_deref().and_then(severity::cvss_vector_score)),
            );
        }
        consider(vulnerability.cvss_v3.as_ref().and_then(of));
        consider(vulnerability.cvss_v2.as_ref().and_then(of));
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn matches_are_findings() {
        let text = r#"{"matches": [
            {"vulnerability": {"id": "CVE-2021-33574", "severity": "Critical"}, "relatedVulnerabilities": [],
             "artifact": {"name": "libc6", "version": "2.28-10", "locations": [{"path": "/usr/lib/libc.so.6"}]}},
            {"vulnerability": {"id": "CVE-2004-0971", "severity": "Negligible"}, "artifact": {"name": "krb5", "version": "1.17"}},
            {"vulnerability": {"id": "GHSA-jfh8-c2jp-5v3q", "cvss": [{"metrics": {"baseScore": 7.5}}]},
             "relatedVulnerabilities": [{"id": "CVE-2021-44228", "description": "Log4Shell"}], "artifact": {"name": "log4j-core", "version": "2.13.2"}}],
          "source": {"type": "image"}, "descriptor": {"name": "grype", "version": "0.75.0", "timestamp": "2024-04-10T11:05:22Z"}}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "g.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::ContainerScan);
        assert_eq!(parsed.tool, Tool::new("grype", Some("0.75.0".into())));
        assert_eq!(parsed.produced_at.as_deref(), Some("2024-04-10T11:05:22Z"));
        let severities: Vec<Severity> = findings.iter().map(|finding| finding.severity).collect();
        assert_eq!(severities, [Severity::Critical, Severity::Info, Severity::High]);
        assert_eq!(findings[2].cve, ["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"]);
        assert_eq!(findings[0].location.path.as_deref(), Some("/usr/lib/libc.so.6"));
        assert_eq!(findings[0].package_version.as_deref(), Some("2.28-10"));
    }
}
