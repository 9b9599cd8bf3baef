//! Plain renderings every front end shares: a certification as terminal text,
//! Markdown (PR comments, `GITHUB_STEP_SUMMARY`) and JUnit XML (CI test views),
//! and a release trace as terminal text.
//!
//! Each renderer returns a `String`; what a front end adds (colour on a
//! terminal, a file to write) is its own business.

use std::fmt::Write as _;

use signoff_core::entry::ReleaseRecord;
use signoff_core::records::{CriterionStatus as Status, Decision, PolicyReference};
use signoff_policy::{CriterionResult, Evaluation};

use crate::model::TraceReport;

/// A certification (or a dry run's prediction), as the renderers read it.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'a> {
    /// The release.
    pub release: &'a ReleaseRecord,
    /// The policy it was evaluated under.
    pub policy: &'a PolicyReference,
    /// The evaluation.
    pub evaluation: &'a Evaluation,
    /// Whether it was a dry run (nothing recorded).
    pub dry_run: bool,
    /// The certificate recorded, unless a dry run.
    pub certificate: Option<RecordedCertificate<'a>>,
}

/// Where a certificate was recorded.
#[derive(Debug, Clone, Copy)]
pub struct RecordedCertificate<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its decision.
    pub decision: Decision,
    /// Its ledger entry.
    pub entry: u64,
}

impl Verdict<'_> {
    fn release_name(&self) -> String {
        format!("{}@{}", self.release.project, self.release.version)
    }

    fn policy_line(&self) -> String {
        let policy = self.policy;
        let version = policy.version.map(|version| format!(" v{version}")).unwrap_or_default();
        format!("{}{version} ({}, {})", policy.name, policy.source.as_str(), policy.digest)
    }

    fn certified(&self) -> bool {
        self.evaluation.is_certified()
    }

    /// `CERTIFIED`, `NOT CERTIFIED`, or what a dry run predicts.
    pub fn headline(&self) -> &'static str {
        match (self.dry_run, self.certified()) {
            (false, true) => "CERTIFIED",
            (false, false) => "NOT CERTIFIED",
            (true, true) => "WOULD BE CERTIFIED",
            (true, false) => "WOULD NOT BE CERTIFIED",
        }
    }

    fn blocking_failures(&self) -> Vec<&CriterionResult> {
        self.evaluation.criteria.iter().filter(|result| result.status == Status::Fail && result.blocking).collect()
    }

    /// `6 passed, 0 failed, 1 warned, 0 waived`: an advisory criterion that is
    /// not met warns; only blocking ones fail.
    pub fn counts(&self) -> String {
        let criteria = &self.evaluation.criteria;
        let count = |status: Status, blocking: Option<bool>| {
            criteria
                .iter()
                .filter(|result| result.status == status && blocking.is_none_or(|blocking| result.blocking == blocking))
                .count()
        };
        format!(
            "{} passed, {} failed, {} warned, {} waived",
            count(Status::Pass, None),
            count(Status::Fail, Some(true)),
            count(Status::Fail, Some(false)),
            count(Status::Waived, None)
        )
    }
}

/// The label of one criterion's outcome: `PASS`, `FAIL`, `WAIVED`, or `WARN` for
/// an advisory criterion that failed.
pub fn criterion_label(result: &CriterionResult) -> String {
    match (result.status, result.blocking) {
        (Status::Fail, false) => "WARN".to_owned(),
        (status, _) => status.to_string(),
    }
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn short(digest: &str) -> String {
    digest.chars().take(19).collect()
}

/// The terminal report of a certification: every criterion, what failed and how
/// to fix it, the verdict and where the certificate is.
pub fn certification_text(verdict: &Verdict<'_>) -> String {
    let evaluation = verdict.evaluation;
    let mut out = String::new();
    let mode = if verdict.dry_run { "preflight" } else { "certify" };
    let _ = writeln!(out, "signoff {mode} {} at {}", verdict.release_name(), verdict.release.commit);
    let _ = writeln!(out, "policy {}", verdict.policy_line());
    let _ = writeln!(out, "evaluated at {}", rfc3339(evaluation.evaluated_at));
    if let Some(environment) = &evaluation.environment {
        let _ = writeln!(out, "environment {environment}");
    }
    let _ = writeln!(out);
    for result in &evaluation.criteria {
        let _ = writeln!(out, "  {:<6} {:<28} {}", criterion_label(result), result.id, result.title);
        if result.status != Status::Pass {
            let _ = writeln!(out, "         expected: {}", result.expected);
            let _ = writeln!(out, "         actual:   {}", result.actual);
            for line in result.details.iter().take(8) {
                let _ = writeln!(out, "           - {line}");
            }
            for missing in &result.missing {
                let _ = writeln!(out, "         missing:  {missing}");
            }
            for fix in &result.fix {
                let _ = writeln!(out, "         fix:      {fix}");
            }
            if !result.exceptions.is_empty() {
                let _ = writeln!(out, "         waived by {}", result.exceptions.join(", "));
            }
        }
        if !result.evidence.is_empty() && result.status != Status::Pass {
            let shown: Vec<String> = result.evidence.iter().take(4).map(|digest| short(&digest.to_string())).collect();
            let _ = writeln!(out, "         evidence: {}", shown.join(", "));
        }
    }
    for skipped in &evaluation.exceptions_not_applied {
        let _ = writeln!(out, "  note: exception {} not applied: {}", skipped.id, skipped.reason);
    }
    for note in &evaluation.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    let _ = writeln!(out);
    let failures = verdict.blocking_failures();
    let _ = write!(out, "{}: {}", verdict.headline(), verdict.counts());
    if !failures.is_empty() {
        let ids: Vec<&str> = failures.iter().map(|result| result.id.as_str()).collect();
        let _ = write!(out, "; failing: {}", ids.join(", "));
    }
    let _ = writeln!(out);
    for (environment, decision) in &evaluation.environments {
        let _ = writeln!(out, "  {environment}: {decision}");
    }
    match &verdict.certificate {
        Some(certificate) => {
            let _ = writeln!(
                out,
                "certificate {} ({}) signed and recorded at ledger entry {}; `signoff certificate export {}` prints its DSSE envelope",
                certificate.id,
                certificate.decision,
                certificate.entry,
                verdict.release_name()
            );
        }
        None => {
            let _ = writeln!(out, "dry run: nothing was recorded");
        }
    }
    out
}

/// Markdown for PR comments and GitHub step summaries.
pub fn certification_markdown(verdict: &Verdict<'_>) -> String {
    let evaluation = verdict.evaluation;
    let mut out = String::new();
    let mark = if verdict.certified() { "✅" } else { "❌" };
    let _ = writeln!(out, "### {mark} {} — {}\n", verdict.release_name(), verdict.headline());
    let _ = writeln!(
        out,
        "Commit `{}` · policy {} · {}\n",
        verdict.release.commit,
        verdict.policy_line(),
        verdict.counts()
    );
    let _ = writeln!(out, "| Status | Criterion | Expected | Actual |");
    let _ = writeln!(out, "|---|---|---|---|");
    for result in &evaluation.criteria {
        let status = match (result.status, result.blocking) {
            (Status::Fail, false) => "⚠️ WARN",
            (Status::Fail, true) => "❌ FAIL",
            (Status::Waived, _) => "➖ WAIVED",
            (Status::Pass, _) => "✅ PASS",
        };
        let _ = writeln!(
            out,
            "| {status} | **{}** {} | {} | {} |",
            cell(&result.id),
            cell(&result.title),
            cell(&result.expected),
            cell(&result.actual)
        );
    }
    let failures: Vec<&CriterionResult> =
        evaluation.criteria.iter().filter(|result| result.status == Status::Fail).collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n**How to fix**\n");
        for result in failures {
            for fix in &result.fix {
                let _ = writeln!(out, "- `{}`: {}", result.id, fix);
            }
        }
    }
    if let Some(certificate) = &verdict.certificate {
        let _ = writeln!(out, "\nCertificate `{}` recorded at ledger entry {}.", certificate.id, certificate.entry);
    }
    let _ = writeln!(out);
    out
}

/// A Markdown table cell: pipes escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// JUnit XML: one test case per criterion, so CI test views show the verdict.
pub fn certification_junit(verdict: &Verdict<'_>) -> String {
    let evaluation = verdict.evaluation;
    let failures = verdict.blocking_failures().len();
    let skipped = evaluation.criteria.iter().filter(|result| result.status == Status::Waived).count();
    let name = xml(&verdict.release_name());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"signoff certification\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
        evaluation.criteria.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
        evaluation.criteria.len(),
        rfc3339(evaluation.evaluated_at)
    );
    let _ = writeln!(out, "    <properties>");
    let _ = writeln!(out, "      <property name=\"policy\" value=\"{}\"/>", xml(&verdict.policy_line()));
    let _ = writeln!(out, "      <property name=\"decision\" value=\"{}\"/>", evaluation.decision);
    let _ = writeln!(out, "    </properties>");
    for result in &evaluation.criteria {
        let _ = write!(
            out,
            "    <testcase classname=\"signoff.{}\" name=\"{}: {}\"",
            xml(result.criterion.as_str()),
            xml(&result.id),
            xml(&result.title)
        );
        let body = format!("expected: {}\nactual: {}\n{}", result.expected, result.actual, result.fix.join("\n"));
        match (result.status, result.blocking) {
            (Status::Pass, _) => {
                let _ = writeln!(out, "/>");
            }
            (Status::Waived, _) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"waived by {}\"/>\n    </testcase>",
                    xml(&result.exceptions.join(", "))
                );
            }
            (Status::Fail, true) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"criterion\">{}</failure>\n    </testcase>",
                    xml(&result.actual),
                    xml(&body)
                );
            }
            (Status::Fail, false) => {
                let _ = writeln!(out, ">\n      <system-out>advisory: {}</system-out>\n    </testcase>", xml(&body));
            }
        }
    }
    let _ = writeln!(out, "  </testsuite>\n</testsuites>");
    out
}

/// Text as XML character data or an attribute value: quick-xml escapes the five
/// markup characters; characters XML 1.0 cannot carry at all are dropped.
pub(crate) fn xml(text: &str) -> String {
    let allowed: String = text
        .chars()
        .filter(|character| (*character as u32) >= 0x20 || matches!(character, '\n' | '\t' | '\r'))
        .collect();
    quick_xml::escape::escape(allowed.as_str()).into_owned()
}

/// The terminal form of a release trace (B2).
pub fn trace_text(trace: &TraceReport) -> String {
    let mut out = String::new();
    let release = &trace.release;
    let _ =
        writeln!(out, "{}@{} at {} — {}", release.project, release.version, release.commit, release.decision.label());
    if let Some(previous) = &release.previous {
        let _ = writeln!(out, "previous release {previous}; created {}", release.created_at);
    }
    for artifact in &release.artifacts {
        let _ = writeln!(out, "artifact {}", artifact.digest);
    }
    let _ = writeln!(out, "\nchanges ({})", trace.changes.len());
    for change in &trace.changes {
        let reviewers: Vec<String> =
            change.reviewers.iter().map(|reviewer| format!("{} ({})", reviewer.id, reviewer.kind)).collect();
        let pr = change.pr.map(|pr| format!(" #{pr}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}{pr} {} — {} ({}); reviewed by: {}",
            change.commit.get(..12).unwrap_or(&change.commit),
            change.summary,
            change.author.id,
            change.author.kind,
            if reviewers.is_empty() { "nobody on record".to_owned() } else { reviewers.join(", ") }
        );
    }
    // B4: the evidence the certificate names first, then what came after it.
    for after in [false, true] {
        let scans: Vec<&crate::model::Scan> =
            trace.scans.iter().filter(|scan| scan.captured_after_certification == after).collect();
        let tests: Vec<&crate::model::TestRun> =
            trace.tests.iter().filter(|test| test.captured_after_certification == after).collect();
        let coverage: Vec<&crate::model::CoverageRun> =
            trace.coverage.iter().filter(|run| run.captured_after_certification == after).collect();
        if after {
            if scans.is_empty() && tests.is_empty() && coverage.is_empty() {
                break;
            }
            let _ = writeln!(out, "\ncaptured after certification (not evidence the decision was made on)");
        } else {
            let _ = writeln!(out, "\nscans ({})", scans.len());
        }
        for scan in scans {
            let counts = &scan.summary;
            let _ = writeln!(
                out,
                "  {} ({}): {} critical, {} high, {} medium, {} low, {} info — {} at {}",
                scan.tool,
                scan.kind,
                counts.critical,
                counts.high,
                counts.medium,
                counts.low,
                counts.info,
                short(&scan.digest),
                scan.captured_at
            );
        }
        for test in tests {
            let _ = writeln!(
                out,
                "tests {}: {} passed, {} failed, {} skipped — {} at {}",
                test.tool,
                test.counts.passed,
                test.counts.failed,
                test.counts.skipped,
                short(&test.digest),
                test.captured_at
            );
        }
        for run in coverage {
            if let Some(rate) = run.line_rate {
                let _ = writeln!(out, "coverage {}: {:.1}% lines", run.tool, rate * 100.0);
            }
        }
    }
    let _ = writeln!(out, "\nexceptions ({})", trace.exceptions.len());
    for exception in &trace.exceptions {
        let _ = writeln!(
            out,
            "  {} {} — {} (by {}, approved by {}, until {})",
            exception.id,
            exception.status,
            exception.target,
            exception.requested_by,
            exception.approved_by.as_deref().unwrap_or("-"),
            exception.expires_at
        );
    }
    if !trace.triage.is_empty() {
        let _ = writeln!(out, "\ntriage ({})", trace.triage.len());
        for line in &trace.triage {
            let disposition = match &line.justification {
                Some(justification) => format!("{} ({justification})", line.disposition),
                None => line.disposition.clone(),
            };
            let _ = writeln!(
                out,
                "  {} {} {disposition} — {} — {} (by {}, approved by {}{})",
                line.id,
                line.status,
                line.title,
                line.reason,
                line.requested_by,
                line.approved_by.as_deref().unwrap_or("-"),
                line.expires_at.as_deref().map(|at| format!(", until {at}")).unwrap_or_default()
            );
        }
    }
    let _ = writeln!(out, "\napprovals ({})", trace.approvals.len());
    for approval in &trace.approvals {
        let _ = writeln!(
            out,
            "  {} ({}) {} as {} at {}",
            approval.actor.id, approval.actor.kind, approval.decision, approval.role, approval.at
        );
    }
    match &trace.certificate {
        Some(certificate) => {
            let _ = writeln!(
                out,
                "\ncertification: {} under {} ({}) at {}",
                certificate.decision.label(),
                certificate.policy.name,
                certificate.policy.digest,
                certificate.evaluated_at
            );
            for criterion in &certificate.criteria {
                let _ = writeln!(out, "  {} {} — {}", criterion.status, criterion.id, criterion.actual);
            }
        }
        None => {
            let _ = writeln!(out, "\ncertification: none");
        }
    }
    let _ = writeln!(out, "\ndeployments ({})", trace.deployments.len());
    for deployment in &trace.deployments {
        let _ = writeln!(
            out,
            "  {} at {} by {} — {}",
            deployment.environment,
            deployment.at,
            deployment.actor.id,
            deployment.certificate.as_deref().unwrap_or("NO valid certificate")
        );
    }
    let _ = writeln!(
        out,
        "\nledger: {} about this release; checkpoint size {}, root {}",
        signoff_core::text::count(trace.ledger.entries.len() as u64, "entry", "entries"),
        trace.ledger.size,
        trace.ledger.root
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(xml(r#"a<b>&"c"'d'"#), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
        assert_eq!(xml("bell\u{7}\u{1b}[2J end\n"), "bell[2J end\n");
    }

    #[test]
    fn markdown_cells_stay_on_one_line() {
        assert_eq!(cell("a|b\nc\r\nd"), "a\\|b c  d");
    }
}
