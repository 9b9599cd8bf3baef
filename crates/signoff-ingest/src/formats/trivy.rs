//! Trivy JSON: the report (`SchemaVersion` 2, `Results`), the legacy top-level array
//! of results (before 0.20), the Kubernetes reports (`ClusterName` with
//! `Vulnerabilities`/`Misconfigurations` lists of resources, or `Resources`), and
//! `null` (no results).
//!
//! # Counting
//! Over all results: each `Vulnerabilities` entry, each `Misconfigurations` entry
//! whose `Status` is `FAIL` or absent (passes and exceptions are not findings), and
//! each `Secrets` entry. `ExperimentalModifiedFindings` (findings an ignore file
//! or VEX statement removed) are not counted: Trivy itself does not report them.
//!
//! # Fields
//! rule id: `VulnerabilityID` / misconfiguration `ID` (else `AVDID`) / secret `RuleID`.
//! Location: `PkgPath` else `Target`, with the cause's lines for misconfigurations and
//! secrets. Package and version: `PkgName`, `InstalledVersion`. A vulnerability whose
//! `Status` is `not_affected` (a vendor or VEX statement) is suppressed; the other
//! statuses (`affected`, `fixed`, `will_not_fix`, `fix_deferred`, `end_of_life`, ...)
//! describe fix availability, not applicability, and are not.
//!
//! # Identity
//! vulnerability: id, package (`PkgID` else `PkgName`), version, path, target;
//! misconfiguration: id, target, resource, message; secret: rule, target, lines and
//! the (redacted) match.
//!
//! # Streaming
//! Each vulnerability, misconfiguration and secret is decoded and handed on as it
//! is read, so a 200 MB report with one huge result costs about its own size.
//! Trivy writes a result's `Target` before its lists; a target written after them
//! would not reach their findings.
//!
//! # Target
//! `<ArtifactType>:<ArtifactName>` (`container_image:alpine:3.10`,
//! `filesystem:.`), `kubernetes:<ClusterName>` for a cluster report; none for the
//! legacy list.
//!
//! # Kind
//! `container_scan` when `ArtifactType` is `container_image`; otherwise `iac_scan`
//! when only configuration was scanned, `secrets_scan` when only secrets were,
//! `sca` else (what was scanned is read from each result's `Class` and lists).

use std::collections::HashMap;

use serde::Deserialize;
use signoff_core::{EvidenceKind, Finding, Format, Location, Severity, Summary, Tool};

use super::kind;
use crate::json_walk::{Doc, Emitter, Result, Walker};
use crate::{FindingSink, Options, Parsed, ids, severity};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RawVulnerability {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: String,
    #[serde(rename = "PkgID")]
    pkg_id: Option<String>,
    pkg_name: Option<String>,
    pkg_path: Option<String>,
    installed_version: Option<String>,
    status: Option<String>,
    title: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    #[serde(rename = "CweIDs")]
    cwe_ids: Option<Vec<String>>,
    #[serde(rename = "VendorIDs")]
    vendor_ids: Option<Vec<String>>,
    #[serde(rename = "CVSS")]
    cvss: Option<HashMap<String, RawCvss>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawCvss {
    #[serde(rename = "V3Score")]
    v3_score: Option<f64>,
    #[serde(rename = "V2Score")]
    v2_score: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RawMisconfiguration {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "AVDID")]
    avd_id: Option<String>,
    title: Option<String>,
    message: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    cause_metadata: Option<RawCause>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RawCause {
    resource: Option<String>,
    start_line: Option<u64>,
    end_line: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RawSecret {
    #[serde(rename = "RuleID")]
    rule_id: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    title: Option<String>,
    start_line: Option<u64>,
    end_line: Option<u64>,
    #[serde(rename = "Match")]
    matched: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawVersion {
    #[serde(rename = "Version")]
    version: Option<String>,
}

/// What the report's results covered, for its kind.
#[derive(Default)]
struct Scanned {
    packages: bool,
    configuration: bool,
    secrets: bool,
}

struct State<'s> {
    emitter: Emitter<'s>,
    scanned: Scanned,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options, sink: &mut dyn FindingSink) -> Result<Parsed> {
    let mut state = State { emitter: Emitter::new(sink, Format::Trivy, doc.display), scanned: Scanned::default() };
    let mut artifact_type: Option<String> = None;
    let mut artifact_name: Option<String> = None;
    let mut cluster: Option<String> = None;
    let mut version: Option<String> = None;
    let mut created_at: Option<String> = None;
    let mut walker = doc.walker()?;
    match walker.peek()? {
        Some(b'n') => walker.skip()?,
        // The legacy layout: a list of results.
        Some(b'[') => walker.array("a list of Trivy results", |walker, _| state.result(walker, None))?,
        _ => walker.object("a Trivy report", |walker, key| match key {
            "ArtifactType" => {
                artifact_type = walker.decode()?;
                Ok(())
            }
            "ArtifactName" => {
                artifact_name = walker.decode()?;
                Ok(())
            }
            "ClusterName" => {
                cluster = walker.decode()?;
                Ok(())
            }
            "CreatedAt" => {
                created_at = walker.decode()?;
                Ok(())
            }
            "Trivy" => {
                version = walker.decode::<Option<RawVersion>>()?.and_then(|raw| raw.version);
                Ok(())
            }
            "Results" => walker.array("the scan results", |walker, _| state.result(walker, None)),
            // Kubernetes reports: lists of resources, each with its own results.
            "Vulnerabilities" | "Misconfigurations" | "Resources" => {
                walker.array("a list of Kubernetes resources", |walker, _| state.resource(walker))
            }
            _ => walker.skip(),
        })?,
    }
    walker.finish()?;

    let counts = state.emitter.counts;
    let scanned = state.scanned;
    let implied = if artifact_type.as_deref() == Some("container_image") {
        EvidenceKind::ContainerScan
    } else if scanned.configuration && !scanned.packages && !scanned.secrets {
        EvidenceKind::IacScan
    } else if scanned.secrets && !scanned.packages && !scanned.configuration {
        EvidenceKind::SecretsScan
    } else {
        EvidenceKind::Sca
    };
    // What was scanned: `<ArtifactType>:<ArtifactName>` (`container_image:alpine:3.10`),
    // or the cluster of a Kubernetes report.
    let target = match (artifact_name.filter(|name| !name.is_empty()), cluster.filter(|name| !name.is_empty())) {
        (Some(name), _) => Some(match artifact_type.as_deref() {
            Some(kind) if !kind.is_empty() => format!("{kind}:{name}"),
            _ => name,
        }),
        (None, Some(cluster)) => Some(format!("kubernetes:{cluster}")),
        (None, None) => None,
    };
    Ok(Parsed {
        target,
        format: Format::Trivy,
        kind: kind(options, implied),
        tool: Tool::new("Trivy", version),
        summary: Summary { findings: Some(counts), ..Summary::default() },
        produced_at: created_at,
        stored: None,
        redacted: 0,
    })
}

impl State<'_> {
    /// Emits the findings of a Kubernetes resource's results.
    fn resource(&mut self, walker: &mut Walker<'_>) -> Result<()> {
        let mut names: [Option<String>; 3] = [None, None, None];
        walker.object("a Kubernetes resource", |walker, key| match key {
            "Namespace" => {
                names[0] = walker.decode()?;
                Ok(())
            }
            "Kind" => {
                names[1] = walker.decode()?;
                Ok(())
            }
            "Name" => {
                names[2] = walker.decode()?;
                Ok(())
            }
            "Results" => {
                let name =
                    names.iter().flatten().filter(|part| !part.is_empty()).cloned().collect::<Vec<_>>().join("/");
                walker.array("the resource's results", |walker, _| self.result(walker, Some(&name)))
            }
            _ => walker.skip(),
        })
    }

    /// Emits a result's findings as they are read; `resource` names the Kubernetes
    /// resource it is of. Trivy writes `Target` first, so the findings after it
    /// know their target.
    fn result(&mut self, walker: &mut Walker<'_>, resource: Option<&str>) -> Result<()> {
        let mut target = resource.unwrap_or_default().to_owned();
        walker.object("a scan result", |walker, key| match key {
            "Target" => {
                let raw: Option<String> = walker.decode()?;
                target = match (resource, raw.as_deref()) {
                    (Some(resource), Some(raw)) if !raw.is_empty() => format!("{resource}: {raw}"),
                    (Some(resource), _) => resource.to_owned(),
                    (None, raw) => raw.unwrap_or_default().to_owned(),
                };
                Ok(())
            }
            "Class" => {
                match walker.decode::<Option<String>>()?.as_deref() {
                    Some("config") => self.scanned.configuration = true,
                    Some("secret") => self.scanned.secrets = true,
                    Some("os-pkgs" | "lang-pkgs") => self.scanned.packages = true,
                    _ => {}
                }
                Ok(())
            }
            "Packages" => {
                self.scanned.packages = true;
                walker.skip()
            }
            "MisconfSummary" => {
                self.scanned.configuration = true;
                walker.skip()
            }
            "Vulnerabilities" => {
                self.scanned.packages = true;
                walker.array("the vulnerabilities", |walker, _| {
                    let raw: RawVulnerability = walker.decode()?;
                    let finding = self.vulnerability(raw, &target);
                    self.emitter.push(finding)
                })
            }
            "Misconfigurations" => {
                self.scanned.configuration = true;
                walker.array("the misconfigurations", |walker, _| {
                    let raw: RawMisconfiguration = walker.decode()?;
                    if raw.status.as_deref().is_some_and(|status| !status.eq_ignore_ascii_case("FAIL")) {
                        return Ok(());
                    }
                    let finding = self.misconfiguration(raw, &target);
                    self.emitter.push(finding)
                })
            }
            "Secrets" => {
                self.scanned.secrets = true;
                walker.array("the secrets", |walker, _| {
                    let raw: RawSecret = walker.decode()?;
                    let finding = self.secret(raw, &target);
                    self.emitter.push(finding)
                })
            }
            _ => walker.skip(),
        })
    }

    fn vulnerability(&mut self, raw: RawVulnerability, target: &str) -> Finding {
        let severity = raw
            .severity
            .as_deref()
            .and_then(severity::word)
            .or_else(|| cvss_severity(raw.cvss.as_ref()))
            .unwrap_or(Severity::Info);
        let package_key = raw.pkg_id.clone().or_else(|| raw.pkg_name.clone()).unwrap_or_default();
        let version = raw.installed_version.clone().unwrap_or_default();
        let path = raw.pkg_path.clone().filter(|path| !path.is_empty()).unwrap_or_else(|| target.to_owned());
        let fingerprint = self.emitter.fingerprint(&[
            &raw.vulnerability_id,
            &package_key,
            &version,
            raw.pkg_path.as_deref().unwrap_or(""),
            target,
        ]);
        let title = raw
            .title
            .as_deref()
            .or(raw.description.as_deref())
            .map(super::sarif::first_line)
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| raw.vulnerability_id.clone());
        let mut cve = ids::advisory_ids(&raw.vulnerability_id);
        for vendor in raw.vendor_ids.iter().flatten() {
            for id in ids::advisory_ids(vendor) {
                if !cve.contains(&id) {
                    cve.push(id);
                }
            }
        }
        let cwe = raw.cwe_ids.iter().flatten().flat_map(|text| ids::cwe_ids(text)).collect::<Vec<_>>();
        Finding {
            fingerprint,
            rule_id: raw.vulnerability_id,
            severity,
            title,
            location: Location {
                path: Some(Location::normalize_path(&path)).filter(|path| !path.is_empty()),
                start_line: None,
                end_line: None,
            },
            cve,
            cwe: dedup(cwe),
            package: raw.pkg_name,
            package_version: raw.installed_version,
            suppressed: raw.status.as_deref().is_some_and(|status| status.eq_ignore_ascii_case("not_affected")),
        }
    }

    fn misconfiguration(&mut self, raw: RawMisconfiguration, target: &str) -> Finding {
        let rule_id = raw.id.clone().or_else(|| raw.avd_id.clone()).unwrap_or_default();
        let cause = raw.cause_metadata.unwrap_or_default();
        let fingerprint = self.emitter.fingerprint(&[
            &rule_id,
            target,
            cause.resource.as_deref().unwrap_or(""),
            raw.message.as_deref().unwrap_or(""),
        ]);
        let title = raw
            .title
            .as_deref()
            .or(raw.message.as_deref())
            .map(super::sarif::first_line)
            .filter(|title| !title.is_empty())
            .unwrap_or_else(|| rule_id.clone());
        Finding {
            fingerprint,
            severity: raw.severity.as_deref().and_then(severity::word).unwrap_or(Severity::Info),
            title,
            location: Location {
                path: Some(Location::normalize_path(target)).filter(|path| !path.is_empty()),
                start_line: cause.start_line.filter(|line| *line > 0),
                end_line: cause.end_line.filter(|line| *line > 0),
            },
            cve: Vec::new(),
            cwe: Vec::new(),
            package: None,
            package_version: None,
            suppressed: false,
            rule_id,
        }
    }

    fn secret(&mut self, raw: RawSecret, target: &str) -> Finding {
        let rule_id = raw.rule_id.clone().unwrap_or_default();
        let start = raw.start_line.map(|line| line.to_string()).unwrap_or_default();
        let end = raw.end_line.map(|line| line.to_string()).unwrap_or_default();
        // `Match` is already the redaction token here (see `crate::redact`).
        let fingerprint =
            self.emitter.fingerprint(&[&rule_id, target, &start, &end, raw.matched.as_deref().unwrap_or("")]);
        let title = raw
            .title
            .clone()
            .or(raw.category.clone())
            .map(|title| super::sarif::first_line(&title))
            .unwrap_or_else(|| rule_id.clone());
        Finding {
            fingerprint,
            severity: raw.severity.as_deref().and_then(severity::word).unwrap_or(Severity::High),
            title,
            location: Location {
                path: Some(Location::normalize_path(target)).filter(|path| !path.is_empty()),
                start_line: raw.start_line,
                end_line: raw.end_line.or(raw.start_line),
            },
            cve: Vec::new(),
            cwe: Vec::new(),
            package: None,
            package_version: None,
            suppressed: false,
            rule_id,
        }
    }
}

/// The band of the highest CVSS score Trivy lists (v3 scores before v2).
fn cvss_severity(cvss: Option<&HashMap<String, RawCvss>>) -> Option<Severity> {
    let cvss = cvss?;
    let best = |pick: fn(&RawCvss) -> Option<f64>| {
        cvss.values()
            .filter_map(pick)
            .filter(|score| score.is_finite())
            .fold(None, |best: Option<f64>, score| Some(best.map_or(score, |best| best.max(score))))
    };
    best(|raw| raw.v3_score).or_else(|| best(|raw| raw.v2_score)).and_then(severity::score)
}

pub(crate) fn dedup(items: Vec<String>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    fn parse_text(text: &str) -> (Parsed, Vec<Finding>) {
        let mut findings = Vec::new();
        let parsed = parse_bytes(text.as_bytes(), "trivy.json", &Options::default(), &mut findings).unwrap();
        (parsed, findings)
    }

    #[test]
    fn counts_vulnerabilities_failed_misconfigurations_and_secrets() {
        let text = r#"{"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem", "CreatedAt": "2024-01-01T00:00:00Z",
          "Trivy": {"Version": "0.50.0"},
          "Results": [
            {"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip", "Vulnerabilities": [
              {"VulnerabilityID": "CVE-2021-33503", "PkgName": "urllib3", "InstalledVersion": "1.26.3", "Severity": "HIGH", "CweIDs": ["CWE-400"], "Title": "ReDoS"},
              {"VulnerabilityID": "GHSA-q2q7-5pp4-w6pg", "PkgName": "urllib3", "InstalledVersion": "1.26.3", "Severity": "UNKNOWN", "Status": "not_affected",
               "CVSS": {"nvd": {"V2Score": 5.0, "V3Score": 9.8}}}]},
            {"Target": "Dockerfile", "Class": "config", "Misconfigurations": [
              {"ID": "DS002", "Title": "Image user should not be 'root'", "Severity": "HIGH", "Status": "FAIL", "CauseMetadata": {"StartLine": 3, "EndLine": 4}},
              {"ID": "DS001", "Severity": "MEDIUM", "Status": "PASS"},
              {"ID": "DS005", "Severity": "LOW"}]},
            {"Target": "secret.txt", "Class": "secret", "Secrets": [
              {"RuleID": "github-pat", "Severity": "CRITICAL", "Title": "GitHub Personal Access Token", "StartLine": 1, "EndLine": 1, "Match": "GITHUB_PAT=ghp_abcdefghijklmnop"}]}
          ]}"#;
        let (parsed, findings) = parse_text(text);
        assert_eq!(parsed.format, Format::Trivy);
        assert_eq!(parsed.kind, EvidenceKind::Sca);
        assert_eq!(parsed.tool, Tool::new("Trivy", Some("0.50.0".into())));
        let counts = parsed.summary.findings.unwrap();
        assert_eq!((counts.total, counts.critical, counts.high, counts.low, counts.suppressed), (5, 2, 2, 1, 1));
        assert_eq!(findings[0].cve, ["CVE-2021-33503"]);
        assert_eq!(findings[0].cwe, ["CWE-400"]);
        assert_eq!(findings[0].package.as_deref(), Some("urllib3"));
        assert_eq!(findings[1].severity, Severity::Critical, "UNKNOWN falls back to the CVSS v3 score");
        assert_eq!(findings[2].location.start_line, Some(3));
        assert!(parsed.redacted > 0 && parsed.stored.is_some());
        let stored = String::from_utf8(parsed.stored.unwrap()).unwrap();
        assert!(!stored.contains("ghp_abcdefghijklmnop"));
    }

    #[test]
    fn legacy_null_and_kubernetes_layouts() {
        let (parsed, findings) = parse_text(
            r#"[{"Target": "alpine:3.10", "Type": "alpine", "Vulnerabilities": [{"VulnerabilityID": "CVE-2019-1", "PkgName": "musl", "Severity": "MEDIUM"}]}]"#,
        );
        assert_eq!((parsed.summary.findings.unwrap().total, findings[0].severity), (1, Severity::Medium));

        let options = Options { format: Some(Format::Trivy), ..Options::default() };
        let parsed = parse_bytes(b"null", "n.json", &options, &mut Vec::new()).unwrap();
        assert_eq!(parsed.summary.findings.unwrap().total, 0);

        let (parsed, findings) = parse_text(
            r#"{"ClusterName": "c", "Resources": [{"Namespace": "default", "Kind": "Deployment", "Name": "web",
            "Results": [{"Target": "Deployment/web", "Class": "config", "Misconfigurations": [{"ID": "KSV001", "Severity": "MEDIUM", "Status": "FAIL"}]}]}]}"#,
        );
        assert_eq!(parsed.kind, EvidenceKind::IacScan);
        assert_eq!(findings[0].location.path.as_deref(), Some("default/Deployment/web: Deployment/web"));
    }

    #[test]
    fn image_reports_are_container_scans() {
        let (parsed, _) = parse_text(
            r#"{"SchemaVersion": 2, "ArtifactName": "alpine", "ArtifactType": "container_image", "Results": [{"Target": "alpine", "Class": "os-pkgs"}]}"#,
        );
        assert_eq!(parsed.kind, EvidenceKind::ContainerScan);
    }

    #[test]
    fn wrong_shapes_name_the_path() {
        let error = parse_bytes(br#"{"SchemaVersion": 2, "ArtifactName": "a", "Results": [{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": 7}]}]}"#, "t.json", &Options::default(), &mut Vec::new()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("t.json: trivy: $.Results[0].Vulnerabilities[0].VulnerabilityID (line 1, column "),
            "{error}"
        );
    }
}
