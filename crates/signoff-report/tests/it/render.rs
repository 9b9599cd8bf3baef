//! The reports as text: what they say, what they escape, that they are
//! deterministic, self-contained, and cope with empty and odd data.

use signoff_report::model::{Ledger, Period, PeriodReport, RatePoint, SeverityCounts, SeverityPoint, TraceReport};
use signoff_report::{releases_to_csv, render_period_html, render_trace_html};

use crate::util;

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// Nothing is loaded from elsewhere: no scripts, no remote styles, fonts or images.
fn assert_self_contained(html: &str) {
    assert!(!html.contains("<script"), "a script");
    assert!(!html.contains("<link"), "a linked resource");
    for needle in ["src=\"http", "href=\"http", "url(http", "@import", "@font-face"] {
        assert!(!html.contains(needle), "{needle}");
    }
}

#[test]
fn period_report() {
    let report = util::period();
    let html = render_period_html(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Q3 2026 release evidence — ACME Payments</title>"));
    assert_eq!(count(&html, "<tr class=\"release\">"), 14);
    assert!(html.contains("<div class=\"release-name\">payments-api <span class=\"nowrap\">4.2.1</span></div>"));
    assert_eq!(count(&html, "<circle class=\"point\""), 13);
    assert_eq!(count(&html, "<g class=\"bar\">"), 13);
    assert_eq!(count(&html, "<g class=\"framework\">"), 5);
    assert_eq!(count(&html, "<tr class=\"control\">"), 7 + 19 + 20 + 9 + 14);
    // Key figures.
    assert!(html.contains("10 certified · 3 rejected · 1 not certified"));
    assert!(html.contains("71 %"), "first-attempt pass rate");
    assert!(html.contains("to any environment · 4 of them not certified"));
    // The ledger appendix, with the checkpoint verbatim and how to verify.
    assert!(html.contains("signoff ledger verify --checkpoint checkpoint.txt"));
    assert!(html.contains(&report.ledger.root));
    // minijinja escapes `/` as `&#x2f;`, which browsers show as `/`.
    let text = html.replace("&#x2f;", "/");
    assert!(text.contains("signoff.acme.internal/0193f0a2-7c1e-7b3a-9d2f-5e8a1c4b6d70\n48213\n"));
    assert_self_contained(&html);
}

#[test]
fn trace_report() {
    let report = util::trace();
    let html = render_trace_html(&report).unwrap();
    assert!(html.contains("<title>Release trace: payments-api 4.2.1</title>"));
    assert_eq!(count(&html, "<tr class=\"change\">"), 6);
    assert_eq!(count(&html, "<tr class=\"scan\">"), 5);
    assert_eq!(count(&html, "<tr class=\"criterion criterion-fail\">"), 2);
    assert_eq!(count(&html, "<tr class=\"criterion criterion-waived\">"), 1);
    assert!(html.contains("✗ FAIL") && html.contains("~ WAIVED") && html.contains("✓ PASS"));
    assert!(html.contains("✗ Not reviewed"), "the unreviewed change");
    assert!(html.contains("✗ Deployed without certification"));
    assert!(html.contains("claude-code<span class=\"kind\">ai agent</span>"));
    assert!(html.contains("The 4 most severe of 9 findings."));
    assert_eq!(count(&html, "<g class=\"framework\">"), 2);
    // The entries behind the release, for inclusion proofs.
    assert!(html.contains("<td class=\"num\">48137</td><td>certificate</td>"));
    // Text from the data is escaped.
    assert!(html.contains("Hotfix: log masked PAN only (&lt;script&gt; in test data escaped)"));
    assert_self_contained(&html);
}

#[test]
fn deterministic() {
    let period = util::period();
    let trace = util::trace();
    assert_eq!(render_period_html(&period).unwrap(), render_period_html(&period).unwrap());
    assert_eq!(render_trace_html(&trace).unwrap(), render_trace_html(&trace).unwrap());
    // Through JSON and back: the same page.
    let again: PeriodReport = serde_json::from_str(&serde_json::to_string(&period).unwrap()).unwrap();
    assert_eq!(render_period_html(&again).unwrap(), render_period_html(&period).unwrap());
    let again: TraceReport = serde_json::from_str(&serde_json::to_string(&trace).unwrap()).unwrap();
    assert_eq!(render_trace_html(&again).unwrap(), render_trace_html(&trace).unwrap());
}

fn empty_period() -> PeriodReport {
    PeriodReport {
        title: "Nothing yet".into(),
        generated_at: "2026-10-01T07:00:00Z".into(),
        period: Period { from: "2026-07-01".into(), to: "2026-09-30".into() },
        projects: Vec::new(),
        releases: Vec::new(),
        series: Default::default(),
        coverage: Vec::new(),
        metrics: Default::default(),
        ledger: Ledger {
            size: 0,
            root: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            checkpoint: "signoff.local/x\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n".into(),
            public_key: None,
            entries: Vec::new(),
        },
    }
}

#[test]
fn empty_period_report() {
    let html = render_period_html(&empty_period()).unwrap();
    assert!(html.contains("No releases were created in this period."));
    assert!(html.contains("No certifications in this period"));
    assert!(html.contains("No scans in this period"));
    assert!(html.contains("No frameworks are enabled."));
    assert_eq!(count(&html, "class=\"point\""), 0);
    // Unknown metrics print as a dash, not as 0 %.
    assert!(html.contains("<div class=\"value\">—</div>"));
}

#[test]
fn one_point_and_many_points() {
    let mut report = empty_period();
    report.series.pass_rate = vec![RatePoint { date: "2026-07-06".into(), rate: 1.0 }];
    report.series.findings = vec![SeverityPoint {
        date: "2026-07-06".into(),
        counts: SeverityCounts { critical: 1, high: 0, medium: 0, low: 0, info: 0 },
    }];
    let html = render_period_html(&report).unwrap();
    assert_eq!(count(&html, "<circle class=\"point\""), 1);
    assert_eq!(count(&html, "<g class=\"bar\">"), 1);
    assert!(html.contains("by 1 point in the period"));

    report.series.pass_rate =
        (0..365).map(|day| RatePoint { date: format!("day {day}"), rate: f64::from(day % 4) / 4.0 }).collect();
    report.series.findings = (0..365)
        .map(|day| SeverityPoint {
            date: format!("day {day}"),
            counts: SeverityCounts { critical: day % 2, high: day % 3, medium: 4, low: 2, info: 1 },
        })
        .collect();
    let html = render_period_html(&report).unwrap();
    assert_eq!(count(&html, "<circle class=\"point\""), 365);
    assert_eq!(count(&html, "<g class=\"bar\">"), 365);
}

#[test]
fn empty_trace() {
    let mut report = util::trace();
    report.changes.clear();
    report.scans.clear();
    report.tests.clear();
    report.coverage.clear();
    report.controls.clear();
    report.exceptions.clear();
    report.approvals.clear();
    report.certificate = None;
    report.deployments.clear();
    report.release.artifacts.clear();
    report.release.previous = None;
    report.ledger.entries.clear();
    let html = render_trace_html(&report).unwrap();
    for message in [
        "This release has not been certified.",
        "No changes recorded for this release.",
        "No scans were captured for this release.",
        "No test results or coverage were captured for this release.",
        "No exceptions applied to this release.",
        "No approvals were recorded for this release.",
        "This release has not been deployed.",
        "No artifact digests were recorded",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(!html.contains("id=\"controls\""));
}

#[test]
fn csv_of_the_period() {
    let csv = releases_to_csv(&util::period().releases).unwrap();
    assert_eq!(csv.lines().count(), 15);
    assert!(csv.lines().any(|line| line.starts_with("web-checkout,2.8.1,") && line.contains(",not certified,,")));
}
