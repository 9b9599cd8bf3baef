//! Every file of MANIFEST.tsv, whatever its format.
//!
//! Each file is detected as the format the manifest names, names a tool, and gives
//! the counts of the rules in each format's module docs. The exact numbers below were
//! counted independently of this crate, with Python's json and xml.etree (and, for
//! LCOV, awk), by the one-liners quoted beside them; where a producer states its own
//! totals in the file (npm 7's `metadata.vulnerabilities`, Cobertura's
//! `lines-covered`, Trivy's `MisconfSummary`) the test checks against those too.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;
use signoff_core::summary::{Coverage, FindingCounts};
use signoff_core::{EvidenceKind, Finding, Format, Severity};
use signoff_ingest::{IngestErrorKind, Options, Parsed, parse_path};

use super::{Row, corpus, manifest};

/// Our name for a manifest format.
fn format_of(manifest_format: &str) -> Format {
    match manifest_format {
        "sarif" => Format::Sarif,
        "trivy-json" => Format::Trivy,
        "grype-json" => Format::Grype,
        "gitleaks-json" => Format::Gitleaks,
        "checkov-json" => Format::Checkov,
        "semgrep-json" => Format::Semgrep,
        "zap-json" | "zap-xml" => Format::Zap,
        "npm-audit-json" => Format::NpmAudit,
        "osv-scanner-json" => Format::OsvScanner,
        "cyclonedx-json" | "cyclonedx-vex-json" | "cyclonedx-xml" => Format::Cyclonedx,
        "spdx-json" => Format::Spdx,
        "junit-xml" => Format::Junit,
        "cobertura-xml" => Format::Cobertura,
        "lcov" => Format::Lcov,
        "jacoco-xml" => Format::Jacoco,
        "github-pr-json" => Format::GithubPr,
        "gitlab-mr-json" => Format::GitlabMr,
        "in-toto-json" | "dsse-json" => Format::InToto,
        other => panic!("MANIFEST.tsv names a format this test does not know: {other}"),
    }
}

/// Findings per file, counted by the rules in each format's docs with Python:
/// ```text
/// trivy:    sum(len(r.get('Vulnerabilities') or []) + sum(m.get('Status') in (None, 'FAIL') for m in r.get('Misconfigurations') or [])
///               + len(r.get('Secrets') or []) for r in results)   # results of Results / the list / each k8s resource
/// grype:    len(d['matches'])          gitleaks: len(d or [])      semgrep: len(d['results'])
/// checkov:  sum(len(o['results']['failed_checks']) for o in (d if list else [d]) if 'results' in o)
/// zap json: sum(len(s['alerts']) for s in d['site'])               zap xml: text.count('<alertitem>')
/// npm:      len(d['vulnerabilities']) (npm 7) / len(d['advisories']) (npm 6)
/// osv:      sum(len(p.get('vulnerabilities') or []) for r in d['results'] for p in r['packages'])
/// cdx:      len(d.get('vulnerabilities') or []); xml: sum(1 for e in root.iter() if local(e.tag) == 'vulnerability')
/// ```
const FINDINGS: &[(&str, u64)] = &[
    ("checkov-json/checkov-1.0.467-0-vuln.json", 0),
    ("checkov-json/checkov-1.0.467-1-vuln.json", 1),
    ("checkov-json/checkov-1.0.467-many-vuln.json", 3),
    ("checkov-json/checkov-2-summary-only.json", 0),
    ("checkov-json/checkov-2.0.209-multiple-check-types.json", 13),
    ("checkov-json/checkov-2.2.34-severity.json", 4),
    ("cyclonedx/checkov-cdx-1.4.xml", 6),
    ("cyclonedx/cyclonedx-python-lib-1.3.0-with-vulns.json", 7),
    ("cyclonedx/cyclonedx-vex-example.json", 1),
    ("cyclonedx/grype-0.41.0-cdx-1.4-log4j-vex.json", 8),
    ("cyclonedx/grype-cdx-1.2-defectdojo-image.xml", 327),
    ("cyclonedx/trivy-0.48.1-cdx-1.5-with-vulns.json", 10),
    ("gitleaks-json/gitleaks-7-data-many.json", 2),
    ("gitleaks-json/gitleaks-7-issue4336.json", 1),
    ("gitleaks-json/gitleaks-7-redacted.json", 6),
    ("gitleaks-json/gitleaks-7.5.0.json", 8),
    ("gitleaks-json/gitleaks-8-many.json", 4),
    ("gitleaks-json/gitleaks-no-findings.json", 0),
    ("grype-json/grype-0.28.0-check-all-fields.json", 6),
    ("grype-json/grype-0.36.0-same-cve-different-paths.json", 2),
    ("grype-json/grype-0.7.0-many-vulns-large.json", 1509),
    ("grype-json/grype-0.7.0-no-vuln.json", 0),
    ("grype-json/grype-0.75.0-fix-available.json", 1),
    ("grype-json/grype-0.94.0-epss.json", 15),
    ("grype-json/grype-0.96.0-issue9618.json", 35),
    ("npm-audit/npm-audit-v6-many-vuln.json", 5),
    ("npm-audit/npm-audit-v6-multiple-cwes.json", 41),
    ("npm-audit/npm-audit-v6-no-vuln.json", 0),
    ("npm-audit/npm-audit-v6-one-vuln.json", 1),
    ("npm-audit/npm-audit-v7-many-vulns.json", 6),
    ("npm-audit/npm-audit-v7-no-vuln.json", 0),
    ("npm-audit/npm-audit-v7-one-vuln.json", 1),
    ("osv-scanner/osv-scanner-many-findings.json", 66),
    ("osv-scanner/osv-scanner-some-findings.json", 1),
    ("semgrep-json/semgrep-0.96.0-cwe-list.json", 1),
    ("semgrep-json/semgrep-1.30.0.json", 5),
    ("semgrep-json/semgrep-1.84.1-severities.json", 3),
    ("semgrep-json/semgrep-1.97.0.json", 1),
    ("semgrep-json/semgrep-empty.json", 0),
    ("semgrep-json/semgrep-many-vulns.json", 48),
    ("semgrep-json/semgrep-one-finding.json", 1),
    ("trivy-json/trivy-0.69.1-fs-cvssv4.json", 3),
    ("trivy-json/trivy-dev-npm-golden.json", 1),
    ("trivy-json/trivy-fs-misconfigurations-and-secrets.json", 5),
    ("trivy-json/trivy-image-all-statuses.json", 8),
    ("trivy-json/trivy-image-issue9333.json", 13),
    ("trivy-json/trivy-image-no-vuln.json", 0),
    ("trivy-json/trivy-k8s-cluster-report.json", 20),
    ("trivy-json/trivy-k8s-resources-issue10991.json", 37),
    ("trivy-json/trivy-legacy-list-many-vulns.json", 93),
    ("trivy-json/trivy-legacy-no-vuln.json", 0),
    ("zap/zap-2.14.0-report-json.json", 15),
    ("zap/zap-2.16.1-with-req-resp.xml", 4),
    ("zap/zap-2.9.0-empty.xml", 0),
    ("zap/zap-2.9.0-some.xml", 7),
    ("zap/zap-dev-traditional-json-plus.json", 1),
    ("zap/zap-dev-traditional-json.json", 1),
    ("zap/zap-dvwa-baseline.xml", 19),
    ("zap/zap-juice-shop.xml", 6),
    ("zap/zap-xml-plus-format.xml", 1),
];

/// SBOM components, nested ones included; Python:
/// `count = lambda cs: sum(1 + count(c.get('components') or []) for c in cs or [])` over `d['components']`,
/// the same over `bom/components` elements for XML, and `len(d['packages'])` for SPDX.
const COMPONENTS: &[(&str, u64)] = &[
    ("cyclonedx/cdx-1.0-python.xml", 73),
    ("cyclonedx/checkov-cdx-1.4.xml", 8),
    ("cyclonedx/cyclonedx-maven-2.0.2-dropwizard.json", 167),
    ("cyclonedx/cyclonedx-node-juice-shop-1.4-large.json", 1115),
    ("cyclonedx/cyclonedx-php-composer-laravel-1.4.xml", 62),
    ("cyclonedx/cyclonedx-python-lib-1.3.0-with-vulns.json", 67),
    ("cyclonedx/cyclonedx-vex-example.json", 0),
    ("cyclonedx/grype-0.41.0-cdx-1.4-log4j-vex.json", 1),
    ("cyclonedx/grype-cdx-1.2-defectdojo-image.xml", 307),
    ("cyclonedx/jake-cdx-1.1.xml", 204),
    ("cyclonedx/retirejs-cdx-1.0.xml", 6),
    ("cyclonedx/trivy-0.48.1-cdx-1.5-with-vulns.json", 102),
    ("cyclonedx/trivy-dev-cdx-1.7-fluentd.json", 161),
    ("spdx/ms-sbom-tool-0.2.7-hello-src.json", 1),
    ("spdx/spdx-maven-plugin-examplemaven.json", 6),
    ("spdx/syft-1.50.0-many-vuln.json", 4),
    ("spdx/syft-1.50.0-no-vuln.json", 3),
    ("spdx/trivy-dev-spdx-conda.json", 3),
    ("spdx/trivy-spdx-bom-fixture.json", 12),
];

/// (lines covered, lines valid, branches covered, branches valid). Cobertura: the
/// root attributes where stated, else Python over `class/lines/line` (hits > 0;
/// `condition-coverage` "(c/v)"); JaCoCo: the `<report>`-level LINE and BRANCH
/// counters; LCOV: `awk -F: '/^LH:/{h+=$2} /^LF:/{f+=$2} /^BRH:/{bh+=$2} /^BRF:/{bf+=$2}'`.
const COVERAGE: &[(&str, [u64; 4])] = &[
    ("cobertura/altcover-cobertura.xml", [121, 182, 7, 10]),
    ("cobertura/cobertura-2.1.1-java.xml", [24, 36, 1, 4]),
    ("cobertura/coverage-py-cobertura.xml", [270, 299, 0, 0]),
    ("cobertura/coverlet-cobertura.xml", [156, 255, 9, 14]),
    ("cobertura/cppcoverage-cobertura.xml", [0, 2, 0, 0]),
    ("cobertura/dotnet-coverage-cobertura.xml", [163, 235, 15, 18]),
    ("cobertura/gcovr-8.6-clang-cobertura.xml", [28, 47, 4, 14]),
    ("jacoco/gcovr-jacoco.xml", [28, 47, 4, 14]),
    ("jacoco/jacoco-0.8.3.xml", [26, 38, 1, 4]),
    ("jacoco/jacoco-gradle-report.xml", [12, 27, 2, 6]),
    ("jacoco/jacoco-multi-module-app.xml", [2, 21, 0, 2]),
    ("jacoco/jacoco-multiple-packages.xml", [5, 6, 2, 4]),
    ("lcov/codeclimate-example-lcov.info", [47, 52, 9, 16]),
    ("lcov/coverlet-csharp-lcov.info", [124, 199, 5, 8]),
    ("lcov/cpp-lcov.info", [17, 19, 0, 0]),
    ("lcov/gcovr-clang-coverage.lcov", [28, 47, 4, 14]),
    ("lcov/solidity-coverage-huma.info", [683, 683, 406, 408]),
];

/// (approved, changes requested, commented, dismissed, number, author, approvers),
/// read off the files.
#[allow(clippy::type_complexity)]
const REVIEWS: &[(&str, [u64; 4], Option<u64>, Option<&str>, &[&str])] = &[
    ("github-pr/rest-create-pull-request.json", [0, 0, 0, 0], Some(482), Some("maximevw"), &[]),
    ("github-pr/rest-get-pull-request.json", [0, 0, 0, 0], Some(484), Some("maximevw"), &[]),
    ("github-pr/rest-list-pr-review-comments.json", [0, 0, 0, 0], Some(484), None, &[]),
    ("github-pr/rest-list-pr-reviews-reviewer.json", [1, 0, 0, 0], Some(6), None, &["sahansera-test2"]),
    // A single review still PENDING (the POST response), despite the file's name.
    ("github-pr/rest-list-pr-reviews.json", [0, 0, 0, 0], Some(482), None, &[]),
    ("github-pr/webhook-pull-request-closed.json", [0, 0, 0, 0], Some(2), Some("Codertocat"), &[]),
    ("github-pr/webhook-pull-request-review-submitted.json", [0, 0, 1, 0], Some(2), Some("Codertocat"), &[]),
];

fn lookup<T: Copy>(table: &[(&str, T)], path: &str) -> Option<T> {
    table.iter().find(|(name, _)| *name == path).map(|(_, value)| *value)
}

fn parse(path: &Path, display: &str, options: &Options) -> Result<(Parsed, Vec<Finding>), signoff_ingest::IngestError> {
    let mut findings = Vec::new();
    parse_path(path, display, options, &mut findings).map(|parsed| (parsed, findings))
}

#[test]
fn every_manifest_file_captures_or_fails_cleanly() {
    let Some(corpus) = corpus() else { return };
    let rows = manifest(&corpus);
    assert!(rows.len() >= 130, "expected the whole manifest, found {} rows", rows.len());
    let mut checked = HashSet::new();
    for row in &rows {
        check_row(&corpus, row);
        checked.insert(row.path.as_str());
    }
    // Every table row names a file of the manifest, so none is silently skipped.
    for (path, _) in FINDINGS.iter().chain(COMPONENTS) {
        assert!(checked.contains(path), "{path} is not in MANIFEST.tsv");
    }
    for (path, _) in COVERAGE {
        assert!(checked.contains(path), "{path} is not in MANIFEST.tsv");
    }
}

fn check_row(corpus: &Path, row: &Row) {
    let path = corpus.join(&row.path);
    let expected_format = format_of(&row.format);
    let display = row.path.as_str();
    let result = parse(&path, display, &Options::default());

    if row.notes.contains("malformed") {
        let error = result.err().unwrap_or_else(|| panic!("{display}: a malformed file parsed"));
        assert!(matches!(error.kind, IngestErrorKind::Syntax { .. }), "{error}");
        assert!(error.place.is_some(), "{error}");
        assert!(error.to_string().starts_with(&format!("{display}: {expected_format}: ")), "{error}");
        return;
    }
    if row.notes.contains("empty file") {
        let error = result.err().unwrap_or_else(|| panic!("{display}: an empty file parsed"));
        assert!(matches!(error.kind, IngestErrorKind::Empty), "{error}");
        return;
    }
    if row.notes.contains("error object") {
        let error = result.err().unwrap_or_else(|| panic!("{display}: an error object parsed"));
        assert!(matches!(error.kind, IngestErrorKind::Shape { .. }), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("npm audit failed") && message.contains("ENOAUDIT") && message.contains("$.error"),
            "{message}"
        );
        return;
    }
    let (parsed, findings) = if row.notes.contains("JSON null") {
        // `null` is every tool's "nothing found" and says nothing about the format.
        let error = result.err().unwrap_or_else(|| panic!("{display}: JSON null was detected as a format"));
        assert!(
            matches!(&error.kind, IngestErrorKind::UnknownFormat { looks_like } if looks_like.contains("null")),
            "{error}"
        );
        let options = Options { format: Some(expected_format), ..Options::default() };
        parse(&path, display, &options).unwrap_or_else(|error| panic!("{error}"))
    } else {
        result.unwrap_or_else(|error| panic!("{error}"))
    };

    assert_eq!(parsed.format, expected_format, "{display}");
    assert!(!parsed.tool.name.trim().is_empty() && parsed.tool.name != "unknown", "{display}: tool {:?}", parsed.tool);
    if let Some(counts) = parsed.summary.findings {
        check_counts(display, &counts, &findings);
    } else {
        assert!(findings.is_empty(), "{display}: findings without a findings summary");
    }
    if let Some(expected) = lookup(FINDINGS, display) {
        assert_eq!(parsed.summary.findings.map(|counts| counts.total), Some(expected), "{display}");
    }
    if let Some(expected) = lookup(COMPONENTS, display) {
        assert_eq!(parsed.summary.components, Some(expected), "{display}");
    }
    if let Some([lines_covered, lines_valid, branches_covered, branches_valid]) = lookup(COVERAGE, display) {
        let expected = Coverage::from_counts(lines_covered, lines_valid, branches_covered, branches_valid);
        assert_eq!(parsed.summary.coverage, Some(expected), "{display}");
        assert_eq!(parsed.kind, EvidenceKind::Coverage, "{display}");
    }
    if let Some((_, decisions, number, author, approvers)) = REVIEWS.iter().find(|(name, ..)| *name == display) {
        let reviews = parsed.summary.reviews.clone().unwrap_or_else(|| panic!("{display}: no reviews summary"));
        assert_eq!(
            [reviews.approved, reviews.changes_requested, reviews.commented, reviews.dismissed],
            *decisions,
            "{display}"
        );
        assert_eq!((reviews.number, reviews.author.as_deref()), (*number, *author), "{display}");
        assert_eq!(reviews.approvers, *approvers, "{display}");
        assert_eq!(parsed.kind, EvidenceKind::CodeReview);
    }
    let every_format_is_covered = matches!(expected_format, Format::Sarif | Format::Junit)
        || lookup(FINDINGS, display).is_some()
        || lookup(COMPONENTS, display).is_some()
        || lookup(COVERAGE, display).is_some()
        || REVIEWS.iter().any(|(name, ..)| *name == display);
    assert!(every_format_is_covered, "{display}: no expected numbers for this file");
    check_kind(display, &parsed);
    check_stated_totals(&path, display, &parsed);
}

/// Counts add up, agree with the findings handed over, and fingerprints are distinct.
fn check_counts(display: &str, counts: &FindingCounts, findings: &[Finding]) {
    assert_eq!(counts.total, findings.len() as u64, "{display}");
    let by_severity: u64 = Severity::ALL.iter().map(|severity| counts.at(*severity)).sum();
    assert_eq!(by_severity, counts.total, "{display}");
    assert_eq!(counts.suppressed, findings.iter().filter(|finding| finding.suppressed).count() as u64, "{display}");
    let fingerprints: HashSet<_> = findings.iter().map(|finding| finding.fingerprint).collect();
    assert_eq!(fingerprints.len(), findings.len(), "{display}: two findings share a fingerprint");
    for finding in findings {
        assert!(!finding.title.is_empty(), "{display}: {finding:?}");
        // SARIF results may leave out their rule (Gitleaks 7's do); the other formats always name it.
        assert!(!finding.rule_id.is_empty() || display.ends_with(".sarif"), "{display}: {finding:?}");
        assert!(finding.cwe.iter().all(|cwe| cwe.starts_with("CWE-")), "{display}: {finding:?}");
    }
}

fn check_kind(display: &str, parsed: &Parsed) {
    let expected = match parsed.format {
        Format::Gitleaks => EvidenceKind::SecretsScan,
        Format::Semgrep => EvidenceKind::Sast,
        Format::Checkov => EvidenceKind::IacScan,
        Format::Zap => EvidenceKind::Dast,
        Format::NpmAudit | Format::OsvScanner => EvidenceKind::Sca,
        Format::Spdx => EvidenceKind::Sbom,
        Format::Cyclonedx if display.contains("vex-example") => EvidenceKind::VulnerabilityDisposition,
        Format::Cyclonedx => EvidenceKind::Sbom,
        Format::Grype => EvidenceKind::ContainerScan,
        Format::Trivy if display.contains("image") => EvidenceKind::ContainerScan,
        Format::Trivy if display.contains("k8s-resources") => EvidenceKind::IacScan,
        Format::Trivy => EvidenceKind::Sca,
        _ => return,
    };
    assert_eq!(parsed.kind, expected, "{display}");
}

/// Totals some producers state about themselves.
fn check_stated_totals(path: &Path, display: &str, parsed: &Parsed) {
    let Some(counts) = parsed.summary.findings else { return };
    let Ok(value) = serde_json::from_slice::<Value>(&std::fs::read(path).unwrap()) else { return };
    match parsed.format {
        // npm 7+: metadata.vulnerabilities has a count per severity and the total.
        Format::NpmAudit if value.get("auditReportVersion").is_some() => {
            let stated = &value["metadata"]["vulnerabilities"];
            let number = |key: &str| stated[key].as_u64().unwrap();
            assert_eq!(counts.total, number("total"), "{display}");
            assert_eq!(
                [counts.critical, counts.high, counts.medium, counts.low, counts.info],
                [number("critical"), number("high"), number("moderate"), number("low"), number("info")],
                "{display}"
            );
        }
        // Trivy: MisconfSummary.Failures of each result is its failed misconfigurations.
        Format::Trivy => {
            let results = value.get("Results").and_then(Value::as_array).cloned().unwrap_or_default();
            let stated: u64 = results
                .iter()
                .filter_map(|result| result.pointer("/MisconfSummary/Failures"))
                .filter_map(Value::as_u64)
                .sum();
            let listed: u64 = results
                .iter()
                .filter(|result| result.get("MisconfSummary").is_some())
                .map(|result| {
                    result.get("Misconfigurations").and_then(Value::as_array).map_or(0, |list| list.len() as u64)
                })
                .sum();
            assert_eq!(stated, listed, "{display}: MisconfSummary disagrees with the list");
        }
        // Checkov: the summary's `failed` per framework, where it counts checks (the
        // 1.0.467 many-vuln file says 2 beside 3 failed checks; the checks win).
        Format::Checkov if !display.contains("1.0.467-many") => {
            let reports = match &value {
                Value::Array(list) => list.clone(),
                other => vec![other.clone()],
            };
            let stated: u64 =
                reports.iter().filter_map(|report| report.pointer("/summary/failed")).filter_map(Value::as_u64).sum();
            assert_eq!(counts.total, stated, "{display}");
        }
        _ => {}
    }
}
