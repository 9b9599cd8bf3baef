//! CSV exports of the tabular parts of the reports: release lines, audit
//! populations (F1) and control coverage.
//!
//! RFC 4180 quoting via the `csv` crate: a header row, comma separated, fields
//! quoted when they hold a comma, quote or line break, quotes doubled; `\n` line
//! ends (the crate's default, which spreadsheets read). Lists in one cell are joined
//! with `; `. Empty cells mean unknown or none.
//!
//! Spreadsheet formula injection: a text cell that starts with `=`, `+`, `-`, `@`, a
//! tab or a carriage return (every lead OWASP lists), their full-width forms
//! (`＝＋－＠`, which some spreadsheets read as the ASCII ones), or any of these after
//! leading whitespace, would run as a formula when an auditor opens the file in a
//! spreadsheet (commit summaries and finding titles are attacker-controlled), so
//! such a cell is prefixed with `'`, as OWASP recommends. Numbers are never
//! prefixed. Other control characters (ESC, which a terminal showing the file
//! would obey) are written escaped, `\x1b`.

use crate::error::ReportError;
use crate::model::{FrameworkCoverage, GapReason, PopulationRow, ReleaseLine};

/// A text cell, made safe to open in a spreadsheet (and to show in a terminal).
fn text(cell: &str) -> String {
    let formula = |character: char| matches!(character, '=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠');
    let guarded = match cell.chars().next() {
        Some('\t' | '\r') => true,
        Some(_) => cell.trim_start().chars().next().is_some_and(formula),
        None => false,
    };
    let mut safe = String::with_capacity(cell.len() + 1);
    if guarded {
        safe.push('\'');
    }
    for character in cell.chars() {
        match character {
            '\t' | '\n' | '\r' => safe.push(character),
            character if character.is_control() => safe.push_str(&format!("\\x{:02x}", character as u32)),
            character => safe.push(character),
        }
    }
    safe
}

fn list(cells: &[String]) -> String {
    text(&cells.join("; "))
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn write(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<String, ReportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(&row)?;
    }
    let bytes = writer.into_inner().map_err(|error| ReportError::Csv(error.into_error().into()))?;
    String::from_utf8(bytes).map_err(|_| ReportError::NotUtf8)
}

/// The releases of a period report, one row each.
///
/// Columns: `project, version, commit, created_at, decision, first_attempt_pass,
/// critical, high, medium, low, info, tests_passed, tests_failed, tests_skipped,
/// line_rate, evidence_kinds, evidence_after_certification, approvals, deployed_to`.
///
/// # Errors
///
/// [`ReportError::Csv`] if the writer fails (it writes to memory, so it does not).
pub fn releases_to_csv(releases: &[ReleaseLine]) -> Result<String, ReportError> {
    let header = [
        "project",
        "version",
        "commit",
        "created_at",
        "decision",
        "first_attempt_pass",
        "critical",
        "high",
        "medium",
        "low",
        "info",
        "tests_passed",
        "tests_failed",
        "tests_skipped",
        "line_rate",
        "evidence_kinds",
        "evidence_after_certification",
        "approvals",
        "deployed_to",
    ];
    write(
        &header,
        releases.iter().map(|release| {
            vec![
                text(&release.project),
                text(&release.version),
                text(&release.commit),
                text(&release.created_at),
                release.decision.label().to_owned(),
                optional(release.first_attempt_pass),
                release.findings.critical.to_string(),
                release.findings.high.to_string(),
                release.findings.medium.to_string(),
                release.findings.low.to_string(),
                release.findings.info.to_string(),
                optional(release.tests.map(|tests| tests.passed)),
                optional(release.tests.map(|tests| tests.failed)),
                optional(release.tests.map(|tests| tests.skipped)),
                optional(release.line_rate.filter(|rate| rate.is_finite())),
                list(&release.evidence_kinds),
                release.evidence_after_certification.to_string(),
                list(&release.approvals),
                list(&release.deployed_to),
            ]
        }),
    )
}

/// An audit population: one row per production deployment.
///
/// Columns: `project, version, commit, environment, deployed_at, deployed_by,
/// decision, certificate, reviewers, scans, approvals`.
///
/// # Errors
///
/// [`ReportError::Csv`] if the writer fails (it writes to memory, so it does not).
pub fn population_to_csv(rows: &[PopulationRow]) -> Result<String, ReportError> {
    let header = [
        "project",
        "version",
        "commit",
        "environment",
        "deployed_at",
        "deployed_by",
        "decision",
        "certificate",
        "reviewers",
        "scans",
        "approvals",
    ];
    write(
        &header,
        rows.iter().map(|row| {
            vec![
                text(&row.project),
                text(&row.version),
                text(&row.commit),
                text(&row.environment),
                text(&row.deployed_at),
                text(&row.deployed_by),
                row.decision.label().to_owned(),
                text(row.certificate.as_deref().unwrap_or_default()),
                list(&row.reviewers),
                list(&row.scans),
                list(&row.approvals),
            ]
        }),
    )
}

/// Control coverage: one row per control of each framework.
///
/// Columns: `framework, control, title, status, evidence, gaps`; evidence cells list
/// `kind tool reference`, gap cells `kind missing: hint`, `kind failing: hint` or
/// `outside the pipeline: hint`.
///
/// # Errors
///
/// [`ReportError::Csv`] if the writer fails (it writes to memory, so it does not).
pub fn coverage_to_csv(frameworks: &[FrameworkCoverage]) -> Result<String, ReportError> {
    let header = ["framework", "control", "title", "status", "evidence", "gaps"];
    write(
        &header,
        frameworks.iter().flat_map(|framework| {
            framework.controls.iter().map(move |control| {
                vec![
                    text(&framework.framework),
                    text(&control.id),
                    text(&control.title),
                    match control.status {
                        crate::model::ControlStatus::Satisfied => "satisfied",
                        crate::model::ControlStatus::Partial => "partial",
                        crate::model::ControlStatus::Missing => "missing",
                    }
                    .to_owned(),
                    list(
                        &control
                            .evidence
                            .iter()
                            .map(|evidence| match &evidence.tool {
                                Some(tool) => format!("{} {tool} {}", evidence.kind, evidence.reference),
                                None => format!("{} {}", evidence.kind, evidence.reference),
                            })
                            .collect::<Vec<_>>(),
                    ),
                    list(
                        &control
                            .gaps
                            .iter()
                            .map(|gap| match (&gap.kind, gap.reason) {
                                (Some(kind), GapReason::Missing) => format!("{kind} missing: {}", gap.hint),
                                (Some(kind), GapReason::Failing) => format!("{kind} failing: {}", gap.hint),
                                (_, _) => format!("outside the pipeline: {}", gap.hint),
                            })
                            .collect::<Vec<_>>(),
                    ),
                ]
            })
        }),
    )
}

/// Any table of text cells (an audit answer, a search), every cell made safe.
///
/// # Errors
///
/// [`ReportError::Csv`] if the writer fails (it writes to memory, so it does not).
pub fn table_csv(columns: &[String], rows: &[Vec<String>]) -> Result<String, ReportError> {
    let header: Vec<&str> = columns.iter().map(String::as_str).collect();
    write(&header, rows.iter().map(|row| row.iter().map(|cell| text(cell)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ControlEvidence, ControlGap, ControlLine, ControlStatus, Decision, SeverityCounts, TestCounts};

    fn release() -> ReleaseLine {
        ReleaseLine {
            project: "payments".into(),
            version: "4.2.1".into(),
            commit: "9f1c2e7".into(),
            created_at: "2026-07-03T09:00:00Z".into(),
            decision: Decision::NotCertified,
            first_attempt_pass: None,
            findings: SeverityCounts { critical: 0, high: 2, medium: 5, low: 1, info: 0 },
            tests: Some(TestCounts { passed: 412, failed: 1, skipped: 3 }),
            line_rate: Some(0.875),
            evidence_kinds: vec!["sast".into(), "sbom".into()],
            evidence_after_certification: 1,
            approvals: vec![],
            deployed_to: vec!["staging".into(), "prod".into()],
        }
    }

    #[test]
    fn releases() {
        let csv = releases_to_csv(&[release()]).unwrap();
        assert_eq!(
            csv,
            "project,version,commit,created_at,decision,first_attempt_pass,critical,high,medium,low,info,tests_passed,tests_failed,tests_skipped,line_rate,evidence_kinds,evidence_after_certification,approvals,deployed_to\n\
             payments,4.2.1,9f1c2e7,2026-07-03T09:00:00Z,not certified,,0,2,5,1,0,412,1,3,0.875,sast; sbom,1,,staging; prod\n"
        );
        assert_eq!(releases_to_csv(&[]).unwrap().lines().count(), 1);
    }

    #[test]
    fn quoting_and_formulas() {
        let mut line = release();
        line.project = "a,b".into();
        line.version = "say \"hi\"".into();
        line.commit = "line\nbreak".into();
        line.approvals = vec!["=HYPERLINK(\"http://x\")".into()];
        line.deployed_to = vec!["-prod".into(), "@qa".into()];
        let csv = releases_to_csv(&[line]).unwrap();
        let row = csv.split_once('\n').unwrap().1;
        assert!(row.starts_with("\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\","), "{row}");
        assert!(row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "{row}");
        assert!(row.ends_with(",'-prod; @qa\n"), "{row}");
        // Read back with a CSV reader: the values survive (but for the guard).
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[0], "a,b");
        assert_eq!(&record[1], "say \"hi\"");
        assert_eq!(&record[2], "line\nbreak");
        assert_eq!(&record[17], "'=HYPERLINK(\"http://x\")");
    }

    #[test]
    fn every_formula_lead_is_guarded() {
        for cell in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "＝1+1",
            "＋1",
            "－1",
            "＠SUM(A1)",
            " =1",
            "  +1",
            "\u{a0}=1",
            "\u{3000}＝1",
            "\n=1",
            "\t",
            "\r",
        ] {
            let written = text(cell);
            assert!(written.starts_with('\''), "{cell:?} -> {written:?}");
        }
        for cell in ["a=1", "1", "x-y", "mail@example.com", " a", ""] {
            assert_eq!(text(cell), cell, "{cell:?}");
        }
        assert_eq!(text("title\u{1b}[2Jgone"), "title\\x1b[2Jgone");
        let csv = table_csv(&["a".into()], &[vec!["\t=HYPERLINK(\"x\")".into()], vec!["＝1".into()]]).unwrap();
        assert!(!csv.lines().skip(1).any(|line| line.starts_with(['\t', '=', '＝'])), "{csv}");
    }

    #[test]
    fn population() {
        let rows = [PopulationRow {
            project: "payments".into(),
            version: "4.2.1".into(),
            commit: "9f1c2e7".into(),
            environment: "prod".into(),
            deployed_at: "2026-07-04T12:00:00Z".into(),
            deployed_by: "deploy-bot".into(),
            decision: Decision::Certified,
            certificate: Some("0193f0a2".into()),
            reviewers: vec!["bob".into(), "carol".into()],
            scans: vec!["semgrep sast sha256:ab".into()],
            approvals: vec!["dana (release-manager)".into()],
        }];
        let csv = population_to_csv(&rows).unwrap();
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "payments,4.2.1,9f1c2e7,prod,2026-07-04T12:00:00Z,deploy-bot,certified,0193f0a2,bob; carol,semgrep sast sha256:ab,dana (release-manager)"
        );
    }

    #[test]
    fn coverage() {
        let frameworks = [FrameworkCoverage {
            framework: "pci-dss".into(),
            name: "PCI DSS".into(),
            satisfied: 0,
            partial: 1,
            missing: 0,
            controls: vec![ControlLine {
                id: "6.2.3".into(),
                title: "Custom software reviewed before release".into(),
                status: ControlStatus::Partial,
                evidence: vec![ControlEvidence {
                    kind: "sast".into(),
                    reference: "sha256:ab".into(),
                    tool: Some("semgrep".into()),
                }],
                gaps: vec![
                    ControlGap {
                        kind: Some("code_review".into()),
                        reason: GapReason::Missing,
                        hint: "capture the reviews, then `signoff capture pr.json`".into(),
                    },
                    ControlGap { kind: None, reason: GapReason::OutsidePipeline, hint: "policies".into() },
                ],
            }],
        }];
        let csv = coverage_to_csv(&frameworks).unwrap();
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "pci-dss,6.2.3,Custom software reviewed before release,partial,sast semgrep sha256:ab,\"code_review missing: capture the reviews, then `signoff capture pr.json`; outside the pipeline: policies\""
        );
    }
}
