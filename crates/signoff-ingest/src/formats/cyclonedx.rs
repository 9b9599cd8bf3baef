//! CycloneDX JSON, spec 1.0 to 1.7: SBOMs, SBOMs with vulnerabilities (Trivy's,
//! Grype's) and VEX documents. CycloneDX XML is in `cyclonedx_xml`; both share the
//! rules below.
//!
//! # Counting
//! `summary.components` counts the components of `components`, nested ones
//! included (the `metadata.component` the BOM describes is not one of them). Each
//! entry of `vulnerabilities` is one finding; a document with a `vulnerabilities`
//! list has a findings summary, one without has none.
//!
//! # Fields
//! rule id: the vulnerability `id`; CVE/GHSA ids from it and its `references`;
//! CWE from `cwes`; title: the first line of `description` (else `detail`, else
//! "id in package"); package and version: the first `affects` reference, resolved
//! to a component by `bom-ref`, or read from the reference when it is a package
//! URL; location: that reference. Severity: the highest rating (see
//! `crate::severity`). Suppressed when the `analysis.state` says it does not apply:
//! `not_affected`, `false_positive`, `resolved`, `resolved_with_pedigree`.
//!
//! # Identity
//! vulnerability id, the affected references, package and version.
//!
//! # Tool and kind
//! The scanned target is the BOM's subject, `metadata.component`, as
//! `<type>:<name>@<version>`.
//!
//! The tool is the last entry of `metadata.tools` that is not a CycloneDX library
//! (the generator's library is listed beside the tool that used it), else the
//! first, else "cyclonedx". The kind is `sbom`, or `vulnerability_disposition` for
//! a VEX document: vulnerabilities, at least one with an `analysis`, and no
//! components.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use super::trivy::dedup;
use crate::json_walk::{Doc, Emitter, Result, scalar_f64, scalar_text};
use crate::{FindingSink, Options, Parsed, ids, severity};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    name: Option<String>,
    version: Option<String>,
    components: Vec<RawComponent>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawMetadata {
    timestamp: Option<String>,
    tools: Option<Value>,
    component: Option<RawSubject>,
}

/// `metadata.component`: what the BOM describes.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSubject {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawVulnerability {
    id: Option<String>,
    description: Option<String>,
    detail: Option<String>,
    ratings: Vec<RawRating>,
    cwes: Vec<Value>,
    references: Vec<RawReference>,
    analysis: Option<RawAnalysis>,
    affects: Vec<RawAffects>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRating {
    severity: Option<String>,
    score: Option<Value>,
    vector: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawReference {
    id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAnalysis {
    state: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAffects {
    #[serde(rename = "ref")]
    reference: Option<String>,
}

/// A vulnerability as both CycloneDX readers see it.
#[derive(Default)]
pub(super) struct Vulnerability {
    pub(super) id: String,
    pub(super) description: Option<String>,
    /// Each rating's severity word and score.
    pub(super) ratings: Vec<(Option<String>, Option<f64>)>,
    pub(super) cwes: Vec<String>,
    pub(super) references: Vec<String>,
    pub(super) state: Option<String>,
    pub(super) affects: Vec<String>,
    /// The enclosing component, for the XML vulnerability extension of spec 1.0–1.3.
    pub(super) component: Option<(String, Option<String>)>,
}

/// Components by `bom-ref`: name and version.
pub(super) type Components = HashMap<String, (String, Option<String>)>;

impl Vulnerability {
    pub(super) fn finding(self, emitter: &mut Emitter<'_>, components: &Components) -> Finding {
        let severity = severity::highest(self.ratings.iter().filter_map(|(word, score)| {
            match word.as_deref().map(str::trim).filter(|word| !word.is_empty()) {
                Some(word) => severity::word(word).or_else(|| score.and_then(severity::score)),
                None => score.and_then(severity::score),
            }
        }))
        .unwrap_or(Severity::Info);
        let first = self.affects.first();
        let (package, version) = match (&self.component, first) {
            (Some((name, version)), _) => (Some(name.clone()), version.clone()),
            (None, Some(reference)) => match components.get(reference) {
                Some((name, version)) => (Some(name.clone()), version.clone()),
                None => purl_name_version(reference).map_or((None, None), |(name, version)| (Some(name), version)),
            },
            (None, None) => (None, None),
        };
        let mut parts: Vec<&str> = vec![&self.id];
        parts.extend(self.affects.iter().map(String::as_str));
        parts.push(package.as_deref().unwrap_or(""));
        parts.push(version.as_deref().unwrap_or(""));
        let fingerprint = emitter.fingerprint(&parts);
        let mut cve = ids::advisory_ids(&self.id);
        for reference in &self.references {
            cve.extend(ids::advisory_ids(reference));
        }
        let title =
            self.description.as_deref().map(super::sarif::first_line).filter(|title| !title.is_empty()).unwrap_or_else(
                || match &package {
                    Some(name) => {
                        format!("{} in {name} {}", self.id, version.as_deref().unwrap_or("")).trim_end().to_owned()
                    }
                    None => self.id.clone(),
                },
            );
        let suppressed = self.state.as_deref().is_some_and(|state| {
            matches!(
                state.trim().to_ascii_lowercase().as_str(),
                "not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree"
            )
        });
        Finding {
            fingerprint,
            rule_id: self.id,
            severity,
            title,
            location: Location { path: first.cloned().or_else(|| package.clone()), start_line: None, end_line: None },
            cve: dedup(cve),
            cwe: dedup(self.cwes.iter().flat_map(|cwe| ids::cwe_ids(&format!("CWE-{cwe}"))).collect()),
            package,
            package_version: version,
            suppressed,
        }
    }
}

/// Name and version from a package URL (`pkg:type/namespace/name@version?…`),
/// also when it follows a BOM link (`urn:cdx:…/1#pkg:…`). Both are
/// percent-decoded, as the purl specification encodes them (`%40`, `%2B`).
pub(super) fn purl_name_version(reference: &str) -> Option<(String, Option<String>)> {
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    let purl = &reference[reference.find("pkg:")?..];
    let purl = purl.split(['?', '#']).next().unwrap_or(purl);
    let (path, version) = match purl.rfind('@') {
        Some(at) if at > purl.rfind('/').unwrap_or(0) => (&purl[..at], Some(decode(&purl[at + 1..]))),
        _ => (purl, None),
    };
    let name = path.rsplit('/').next().filter(|name| !name.is_empty() && !name.starts_with("pkg:"))?;
    Some((decode(name), version.filter(|version| !version.is_empty())))
}

/// The tool a BOM names, from `(vendor, name, version)` entries.
pub(super) fn pick_tool(tools: Vec<(Option<String>, Option<String>)>) -> Tool {
    let named: Vec<(String, Option<String>)> = tools
        .into_iter()
        .filter_map(|(name, version)| name.filter(|name| !name.is_empty()).map(|name| (name, version)))
        .collect();
    let is_library = |name: &str| {
        let lower = name.to_ascii_lowercase();
        lower.ends_with("-library")
            || lower.ends_with("-lib")
            || lower.ends_with("-core")
            || lower == "cyclonedx-library"
    };
    let chosen = named.iter().rev().find(|(name, _)| !is_library(name)).or_else(|| named.first()).cloned();
    match chosen {
        Some((name, version)) => Tool::new(name, version.filter(|version| !version.is_empty())),
        None => Tool::new("cyclonedx", None),
    }
}

/// The kind of a BOM.
pub(super) fn implied_kind(components: u64, vulnerabilities: u64, analysed: bool) -> EvidenceKind {
    if components == 0 && vulnerabilities > 0 && analysed {
        EvidenceKind::VulnerabilityDisposition
    } else {
        EvidenceKind::Sbom
    }
}

fn count_components(components: &[RawComponent], map: &mut Components) -> u64 {
    let mut count = 0;
    for component in components {
        count += 1;
        if let (Some(reference), Some(name)) = (&component.bom_ref, &component.name) {
            map.insert(reference.clone(), (name.clone(), component.version.clone()));
        }
        count += count_components(&component.components, map);
    }
    count
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    // First pass: components and metadata; vulnerabilities refer to components,
    // which may come after them.
    let mut components: Components = HashMap::new();
    let mut component_count = 0u64;
    let mut metadata = RawMetadata::default();
    let mut has_vulnerabilities = false;
    let mut walker = doc.walker()?;
    walker.object("a CycloneDX BOM", |walker, key| match key {
        "components" => walker.array("the components", |walker, _| {
            let component: RawComponent = walker.decode()?;
            component_count += count_components(std::slice::from_ref(&component), &mut components);
            Ok(())
        }),
        "metadata" => {
            metadata = walker.decode::<Option<RawMetadata>>()?.unwrap_or_default();
            Ok(())
        }
        "vulnerabilities" => {
            has_vulnerabilities = walker.peek()? == Some(b'[');
            walker.skip()
        }
        _ => walker.skip(),
    })?;
    walker.finish()?;

    let mut emitter = Emitter::new(sink, Format::Cyclonedx, doc.display);
    let mut analysed = false;
    if has_vulnerabilities {
        let mut walker = doc.walker()?;
        walker.object("a CycloneDX BOM", |walker, key| match key {
            "vulnerabilities" => walker.array("the vulnerabilities", |walker, _| {
                let raw: RawVulnerability = walker.decode()?;
                analysed |= raw.analysis.as_ref().is_some_and(|analysis| analysis.state.is_some());
                let vulnerability = Vulnerability {
                    id: raw.id.unwrap_or_default(),
                    description: raw.description.or(raw.detail),
                    ratings: raw
                        .ratings
                        .into_iter()
                        .map(|rating| {
                            let score = rating
                                .score
                                .as_ref()
                                .and_then(scalar_f64)
                                .or_else(|| rating.vector.as_deref().and_then(severity::cvss_vector_score));
                            (rating.severity, score)
                        })
                        .collect(),
                    cwes: raw.cwes.iter().filter_map(scalar_text).collect(),
                    references: raw.references.into_iter().filter_map(|reference| reference.id).collect(),
                    state: raw.analysis.and_then(|analysis| analysis.state),
                    affects: raw.affects.into_iter().filter_map(|affects| affects.reference).collect(),
                    component: None,
                };
                let finding = vulnerability.finding(&mut emitter, &components);
                emitter.push(finding)
            }),
            _ => walker.skip(),
        })?;
    }
    let tools = match metadata.tools {
        Some(Value::Array(list)) => list,
        // Spec 1.5+: `{"components": [...], "services": [...]}`.
        Some(Value::Object(map)) => ["components", "services"]
            .iter()
            .filter_map(|key| map.get(*key).and_then(Value::as_array))
            .flatten()
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let tool = pick_tool(
        tools
            .iter()
            .map(|tool| (tool.get("name").and_then(scalar_text), tool.get("version").and_then(scalar_text)))
            .collect(),
    );
    let findings = emitter.counts;
    // The BOM's subject, `<type>:<name>@<version>` (`application:shop@1.4.0`).
    let target = metadata.component.and_then(|subject| {
        let name = subject.name.filter(|name| !name.is_empty())?;
        let mut text = match subject.kind.filter(|kind| !kind.is_empty()) {
            Some(kind) => format!("{kind}:{name}"),
            None => name,
        };
        if let Some(version) = subject.version.filter(|version| !version.is_empty()) {
            text.push('@');
            text.push_str(&version);
        }
        Some(text)
    });
    Ok(Parsed {
        target,
        format: Format::Cyclonedx,
        kind: kind(options, implied_kind(component_count, findings.total, analysed)),
        tool,
        summary: Summary {
            findings: has_vulnerabilities.then_some(findings),
            components: Some(component_count),
            ..Summary::default()
        },
        produced_at: metadata.timestamp,
        stored: None,
        redacted: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn components_nested_and_vulnerabilities_resolved() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"timestamp": "2024-01-04T15:25:30+00:00",
            "tools": {"components": [{"type": "application", "name": "trivy", "version": "0.48.1"}]}},
          "components": [{"bom-ref": "a", "name": "coreutils", "version": "8.32", "components": [{"bom-ref": "b", "name": "inner", "version": "1"}]},
                         {"bom-ref": "c", "name": "zlib", "version": "1.2"}],
          "vulnerabilities": [
            {"id": "CVE-2016-2781", "ratings": [{"severity": "medium"}, {"score": 2.1, "severity": "info", "method": "CVSSv2"}, {"score": 8.6, "method": "CVSSv3"}],
             "cwes": [20], "description": "chroot in GNU coreutils\nmore", "affects": [{"ref": "a"}]},
            {"id": "CVE-2020-1", "ratings": [{"severity": "unknown"}], "affects": [{"ref": "pkg:npm/left-pad@1.0.0"}], "analysis": {"state": "not_affected"}}]}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "bom.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::Sbom);
        assert_eq!(parsed.tool, Tool::new("trivy", Some("0.48.1".into())));
        assert_eq!(parsed.summary.components, Some(3));
        let counts = parsed.summary.findings.unwrap();
        assert_eq!((counts.total, counts.high, counts.info, counts.suppressed), (2, 1, 1, 1));
        assert_eq!(findings[0].package.as_deref(), Some("coreutils"));
        assert_eq!(findings[0].cwe, ["CWE-20"]);
        assert_eq!(findings[0].title, "chroot in GNU coreutils");
        assert_eq!(
            (findings[1].package.as_deref(), findings[1].package_version.as_deref()),
            (Some("left-pad"), Some("1.0.0"))
        );
    }

    #[test]
    fn vex_documents_are_dispositions() {
        let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "vulnerabilities": [{"id": "CVE-2020-25649",
            "ratings": [{"score": 7.5, "severity": "high"}, {"score": 0.0, "severity": "none"}], "analysis": {"state": "not_affected"},
            "affects": [{"ref": "urn:cdx:3e671687/1#pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"}]}]}"#;
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "vex.json", &Options::default(), &mut findings).unwrap();
        assert_eq!(parsed.kind, EvidenceKind::VulnerabilityDisposition);
        assert_eq!(parsed.tool.name, "cyclonedx");
        assert_eq!(findings[0].severity, Severity::High);
        assert!(findings[0].suppressed);
        assert_eq!(findings[0].package_version.as_deref(), Some("2.10.0"));
        assert_eq!(parsed.summary.components, Some(0));
    }

    #[test]
    fn purls() {
        assert_eq!(purl_name_version("pkg:npm/%40angular/core@12.0.0"), Some(("core".into(), Some("12.0.0".into()))));
        assert_eq!(
            purl_name_version("pkg:deb/ubuntu/coreutils@8.32-4.1ubuntu1?arch=amd64"),
            Some(("coreutils".into(), Some("8.32-4.1ubuntu1".into())))
        );
        assert_eq!(
            purl_name_version("pkg:maven/org.example/lib%2Bext@1.0.0%2Bbuild.7"),
            Some(("lib+ext".into(), Some("1.0.0+build.7".into()))),
            "every percent-escape is decoded, not only %40 and %2B"
        );
        assert_eq!(purl_name_version("pkg:npm/%ff%fe@1"), Some(("\u{fffd}\u{fffd}".into(), Some("1".into()))));
        assert_eq!(purl_name_version("6290db55-8336"), None);
        assert_eq!(
            pick_tool(vec![
                (Some("cyclonedx-library".into()), None),
                (Some("cyclonedx-npm".into()), Some("1.9.2".into()))
            ])
            .name,
            "cyclonedx-npm"
        );
    }
}
