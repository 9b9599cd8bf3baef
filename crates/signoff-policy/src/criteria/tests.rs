//! One section per built-in criterion: pass, fail, waived, advisory and scoping.

use signoff_core::{EvidenceKind, Severity};

use crate::input::*;
use crate::testing::*;
use crate::{Decision, Evaluation, NotAppliedReason, Status};

fn only(evaluation: &Evaluation) -> &crate::CriterionResult {
    assert_eq!(evaluation.criteria.len(), 1, "{:#?}", evaluation.criteria);
    &evaluation.criteria[0]
}

const PRESENT: &str = "  - id: present\n    use: evidence_present\n    with: { kinds: [sast, test_results] }\n";

#[test]
fn evidence_present_pass_fail_and_fix() {
    let mut input = input();
    input.evidence.push(evidence(EvidenceKind::Sast, "semgrep", "e1"));
    let evaluation = run(PRESENT, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert_eq!(evaluation.decision, Decision::Rejected);
    assert_eq!(result.missing, ["test_results evidence"]);
    assert_eq!(result.actual, "sast: 1 (semgrep); test_results: none");
    assert_eq!(result.evidence, [digest("e1")]);
    assert!(result.fix[0].contains("signoff capture junit.xml"), "{:?}", result.fix);

    input.evidence.push(tests_evidence("e2", 3, 0, 0));
    let evaluation = run(PRESENT, &input);
    assert_eq!(only(&evaluation).status, Status::Pass);
    assert!(only(&evaluation).fix.is_empty());
    assert_eq!(evaluation.decision, Decision::Certified);
    assert_eq!(evaluation.evidence_digests.len(), 2);
}

#[test]
fn evidence_present_advisory_and_tool_scope() {
    let mut input = input();
    input.evidence.push(evidence(EvidenceKind::Sast, "bandit", "e1"));
    let criteria = "  - id: present\n    use: evidence_present\n    with: { kinds: [sast] }\n    scope: { tools: [Semgrep] }\n    blocking: false\n";
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert!(!only(&evaluation).blocking);
    assert_eq!(evaluation.decision, Decision::Certified, "an advisory failure does not reject");
    input.evidence.push(evidence(EvidenceKind::Sast, "semgrep", "e2"));
    assert_eq!(only(&run(criteria, &input)).status, Status::Pass);
}

#[test]
fn sbom_and_provenance() {
    let criteria = "  - id: supply-chain\n    use: sbom_and_provenance\n";
    let mut input = input();
    input.evidence.push(evidence(EvidenceKind::Sbom, "syft", "s"));
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).missing, ["provenance evidence"]);
    assert_eq!(only(&evaluation).title, "SBOM and provenance present");
    input.evidence.push(evidence(EvidenceKind::Provenance, "slsa-github-generator", "p"));
    assert_eq!(only(&run(criteria, &input)).status, Status::Pass);
}

const THRESHOLD: &str = "  - id: threshold\n    use: findings_threshold\n    with: { max: { critical: 0, high: 1 } }\n";

fn scan_input() -> (PolicyInput, Evidence, Evidence) {
    let mut input = input();
    let semgrep = evidence(EvidenceKind::Sast, "semgrep", "semgrep");
    let trivy = evidence(EvidenceKind::Sca, "trivy", "trivy");
    input.evidence = vec![semgrep.clone(), trivy.clone()];
    (input, semgrep, trivy)
}

#[test]
fn findings_threshold_counts_per_severity() {
    let (mut input, semgrep, trivy) = scan_input();
    input.findings.push(finding(&semgrep, Severity::High, "h1"));
    input.findings.push(finding(&trivy, Severity::Medium, "m1"));
    input.findings.push(finding(&trivy, Severity::Medium, "m2"));
    let evaluation = run(THRESHOLD, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Pass, "{result:#?}");
    assert_eq!(result.actual, "critical 0, high 1");
    assert_eq!(result.expected, "findings: critical ≤ 0, high ≤ 1, not counting findings the tool suppressed");
    assert_eq!(result.evidence, [digest("semgrep"), digest("trivy")]);

    input.findings.push(finding(&trivy, Severity::Critical, "c1"));
    let evaluation = run(THRESHOLD, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.details.len(), 1, "only the over-limit severity is listed: {:?}", result.details);
    assert!(
        result.details[0].starts_with("critical R-c1: finding c1 at src/app.py:3 (trivy, sha256:"),
        "{:?}",
        result.details
    );
    assert!(result.fix.iter().any(|line| line.contains("--finding sha256:")), "{:?}", result.fix);
    assert!(result.fix.iter().any(|line| line.contains("--criterion threshold")), "{:?}", result.fix);
}

#[test]
fn findings_threshold_suppressed_and_scope() {
    let (mut input, semgrep, trivy) = scan_input();
    let mut suppressed = finding(&semgrep, Severity::Critical, "c1");
    suppressed.suppressed = true;
    input.findings.push(suppressed);
    input.findings.push(finding(&trivy, Severity::Critical, "c2"));
    // Not counted by default; sca is out of scope by kind, then by tool.
    for scope in ["scope: { kinds: [sast] }", "scope: { tools: [semgrep] }"] {
        let criteria = format!("{THRESHOLD}    {scope}\n");
        assert_eq!(only(&run(&criteria, &input)).status, Status::Pass, "{scope}");
    }
    let criteria = "  - id: threshold\n    use: findings_threshold\n    with: { max: { critical: 0 }, include_suppressed: true }\n    scope: { kinds: [sast] }\n";
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert_eq!(only(&evaluation).evidence, [digest("semgrep")]);
}

#[test]
fn findings_threshold_waived_by_finding_exceptions() {
    let (mut input, semgrep, _) = scan_input();
    input.findings.push(finding(&semgrep, Severity::Critical, "c1"));
    input.exceptions.push(exception("EXC-1", ExceptionTarget::Finding(digest("c1")), 5));
    let evaluation = run(THRESHOLD, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Waived);
    assert_eq!(result.exceptions, ["EXC-1"]);
    assert_eq!(result.actual, "none (1 more covered by exceptions)");
    assert_eq!(evaluation.exceptions_used, ["EXC-1"]);
    assert_eq!(evaluation.decision, Decision::Certified);

    // Evaluated after it expires: not applied, and reported.
    input.evaluated_at = NOW + time::Duration::days(6);
    let evaluation = run(THRESHOLD, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert!(evaluation.exceptions_used.is_empty());
    assert_eq!(evaluation.exceptions_not_applied.len(), 1);
    assert_eq!(evaluation.exceptions_not_applied[0].id, "EXC-1");
    assert!(matches!(evaluation.exceptions_not_applied[0].reason, NotAppliedReason::Expired { .. }));
    assert!(evaluation.exceptions_not_applied[0].reason.to_string().starts_with("expired at 2026-12-01T12:00:00Z"));
}

#[test]
fn an_exception_that_is_not_needed_is_not_used() {
    let (mut input, semgrep, _) = scan_input();
    input.findings.push(finding(&semgrep, Severity::High, "h1"));
    input.exceptions.push(exception("EXC-1", ExceptionTarget::Finding(digest("h1")), 5));
    let evaluation = run(THRESHOLD, &input);
    assert_eq!(only(&evaluation).status, Status::Pass, "one high is allowed anyway");
    assert!(evaluation.exceptions_used.is_empty());
}

#[test]
fn criterion_exception_waives_a_failure() {
    let (mut input, semgrep, _) = scan_input();
    input.findings.push(finding(&semgrep, Severity::Critical, "c1"));
    input.exceptions.push(exception("EXC-2", ExceptionTarget::Criterion("threshold".into()), 30));
    let evaluation = run(THRESHOLD, &input);
    assert_eq!(only(&evaluation).status, Status::Waived);
    assert_eq!(only(&evaluation).exceptions, ["EXC-2"]);
    assert_eq!(evaluation.decision, Decision::Certified);
}

#[test]
fn invalid_exceptions_are_not_applied() {
    let (mut input, semgrep, _) = scan_input();
    input.findings.push(finding(&semgrep, Severity::Critical, "c1"));
    let target = ExceptionTarget::Criterion("threshold".into());
    let mut self_approved = exception("SELF", target.clone(), 5);
    self_approved.approved_by = self_approved.requested_by.clone();
    let mut by_agent = exception("AGENT", target.clone(), 5);
    by_agent.approved_by = actor("claude", ActorKind::AiAgent);
    let too_long = exception("LONG", target.clone(), 81); // 10 days ago + 81 = 91 days
    let mut later = exception("LATER", target, 5);
    later.approved_at = NOW + time::Duration::hours(1);
    input.exceptions = vec![self_approved, by_agent, too_long, later];
    let evaluation = run(THRESHOLD, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    let reasons: Vec<(String, NotAppliedReason)> =
        evaluation.exceptions_not_applied.iter().map(|item| (item.id.clone(), item.reason.clone())).collect();
    assert_eq!(
        reasons,
        [
            ("SELF".to_owned(), NotAppliedReason::SelfApproved),
            ("AGENT".to_owned(), NotAppliedReason::ApproverNotHuman),
            ("LONG".to_owned(), NotAppliedReason::TooLong { days: 91, max_days: 90 }),
            ("LATER".to_owned(), NotAppliedReason::NotYetApproved { approved_at: NOW + time::Duration::hours(1) }),
        ]
    );
}

#[test]
fn evidence_fresh_uses_the_newest_per_tool() {
    let criteria = "  - id: fresh\n    use: evidence_fresh\n    with: { max_age_days: 30 }\n";
    let mut input = input();
    let mut old = evidence(EvidenceKind::Sast, "semgrep", "old");
    old.captured_at = NOW - time::Duration::days(45);
    input.evidence.push(old.clone());
    let evaluation = run(criteria, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.actual, "sast/semgrep: 45 days");
    assert!(result.details[0].contains("captured 2026-10-12T12:00:00Z (45 days"), "{:?}", result.details);
    assert!(result.fix[0].starts_with("re-run semgrep"), "{:?}", result.fix);

    // A newer scan by the same tool supersedes it; `produced_at` wins over capture time.
    let mut newer = evidence(EvidenceKind::Sast, "Semgrep", "new");
    newer.captured_at = NOW - time::Duration::days(1);
    newer.produced_at = Some(NOW - time::Duration::days(2));
    input.evidence.push(newer);
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Pass, "{:#?}", only(&evaluation));
    assert_eq!(only(&evaluation).actual, "sast/Semgrep: 2 days");
    assert_eq!(only(&evaluation).evidence, [digest("new")]);

    // Preflight: the same input evaluated 29 days later.
    input.evaluated_at = NOW + time::Duration::days(29);
    assert_eq!(only(&run(criteria, &input)).status, Status::Fail);

    // Kinds not listed are not checked.
    let criteria = "  - id: fresh\n    use: evidence_fresh\n    with: { max_age_days: 1, kinds: [sbom] }\n";
    let result = run(criteria, &input);
    assert_eq!(only(&result).status, Status::Pass);
    assert_eq!(only(&result).notes.len(), 1);
}

#[test]
fn tests_pass() {
    let criteria = "  - id: tests\n    use: tests_pass\n";
    let mut input = input();
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert_eq!(only(&evaluation).missing, ["test_results evidence"]);
    input.evidence.push(tests_evidence("unit", 10, 0, 0));
    input.evidence.push(tests_evidence("integration", 5, 0, 0));
    assert_eq!(only(&run(criteria, &input)).status, Status::Pass);
    input.evidence.push(tests_evidence("e2e", 5, 1, 1));
    let evaluation = run(criteria, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.actual, "22 tests in 3 reports: 20 passed, 1 failed, 1 errored, 0 skipped");
    assert_eq!(result.details, ["test_0 (pytest)", "test_1 (pytest)"]);
    assert_eq!(result.evidence.len(), 3);
}

/// A re-run of the same job supersedes the failed run: only the latest report
/// counts, and the earlier one is named in the notes.
#[test]
fn tests_pass_counts_the_rerun_and_names_the_superseded_run() {
    let criteria = "  - id: tests\n    use: tests_pass\n";
    let mut input = input();
    let mut failed = tests_evidence("first-run", 59, 1, 0);
    failed.superseded_by = Some("second-run".into());
    input.evidence.push(failed);
    input.evidence.push(tests_evidence("second-run", 60, 0, 0));
    let evaluation = run(criteria, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Pass, "{result:?}");
    assert_eq!(result.actual, "60 tests in 1 report: 60 passed, 0 failed, 0 errored, 0 skipped");
    assert_eq!(
        result.notes,
        [
            "re-run: pytest report first-run (1 failed, 0 errored) was superseded by a later run of the same job, second-run"
        ]
    );
    assert_eq!(result.evidence.len(), 1);
}

#[test]
fn coverage_min_combines_reports() {
    let criteria = "  - id: coverage\n    use: coverage_min\n    with: { line_rate: 0.8 }\n";
    let mut input = input();
    assert_eq!(only(&run(criteria, &input)).missing, ["coverage evidence"]);
    input.evidence.push(coverage_evidence("a", (90, 100), (0, 0)));
    input.evidence.push(coverage_evidence("b", (70, 100), (0, 0)));
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Pass, "exactly 80% passes");
    assert_eq!(only(&evaluation).actual, "lines 80% (160/200)");
    let criteria = "  - id: coverage\n    use: coverage_min\n    with: { line_rate: 0.81, branch_rate: 0.5 }\n";
    let evaluation = run(criteria, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.actual, "lines 80% (160/200), branches no data (0/0)");
    assert!(result.missing[0].starts_with("branch coverage data"), "{:?}", result.missing);
}

const REVIEWED: &str = "  - id: reviewed\n    use: changes_reviewed\n";

#[test]
fn changes_reviewed_counts_only_other_humans() {
    let alice = Actor::human("alice");
    let mut input = input();
    let bot = actor("dependabot[bot]", ActorKind::Bot);
    let agent = actor("copilot", ActorKind::AiAgent);
    input.changes.push(change("c1", alice.clone(), &[alice.clone(), bot, agent]));
    let evaluation = run(REVIEWED, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.actual, "0 of 1 changes have enough approvals");
    assert_eq!(result.missing.len(), 1);
    assert!(result.missing[0].ends_with("(PR #7) by alice: 0 of 1 human approvals"), "{:?}", result.missing);
    assert_eq!(result.notes.len(), 3, "{:?}", result.notes);
    assert!(result.notes.iter().any(|note| note.contains("dependabot[bot] not counted (bot")));
    assert!(result.notes.iter().any(|note| note.contains("copilot not counted (ai_agent")));

    input.changes[0].approvals.push(Review { reviewer: Actor::human("bob"), state: ReviewState::Approved });
    assert_eq!(only(&run(REVIEWED, &input)).status, Status::Pass);

    // A later review by the same person replaces the approval.
    input.changes[0].approvals.push(Review { reviewer: Actor::human("bob"), state: ReviewState::ChangesRequested });
    assert_eq!(only(&run(REVIEWED, &input)).status, Status::Fail);

    // Co-authors cannot review.
    input.changes[0].approvals.push(Review { reviewer: Actor::human("frank"), state: ReviewState::Approved });
    input.changes[0].co_authors.push(Actor::human("frank"));
    assert_eq!(only(&run(REVIEWED, &input)).status, Status::Fail);

    let criteria = "  - id: reviewed\n    use: changes_reviewed\n    with: { min_approvals: 2 }\n";
    input.changes[0].co_authors.clear();
    input.changes[0].approvals.push(Review { reviewer: Actor::human("bob"), state: ReviewState::Approved });
    assert_eq!(only(&run(criteria, &input)).status, Status::Pass);
    assert_eq!(only(&run(criteria, &input)).title, "Every change approved by 2 reviewers other than its author");
}

#[test]
fn agent_changes_need_more_human_reviews() {
    let criteria = "  - id: agents\n    use: agent_changes_reviewed\n";
    let mut input = input();
    input.changes.push(change("human-only", Actor::human("alice"), &[]));
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Pass);
    assert_eq!(only(&evaluation).notes, ["no changes authored or co-authored by AI agents to check"]);

    let mut agent = actor("claude", ActorKind::AiAgent);
    agent.on_behalf_of = Some("alice".into());
    let mut co_authored = change("agent", Actor::human("alice"), &[Actor::human("bob")]);
    co_authored.co_authors.push(agent);
    co_authored.trailers.push(Trailer { key: "Co-authored-by".into(), value: "Claude <noreply@anthropic.com>".into() });
    input.changes.push(co_authored);
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert_eq!(only(&evaluation).actual, "0 of 1 changes authored or co-authored by AI agents have enough approvals");

    input.changes[1].approvals.push(Review { reviewer: Actor::human("carol"), state: ReviewState::Approved });
    assert_eq!(only(&run(criteria, &input)).status, Status::Pass);

    // An agent acting for a human: that human cannot review the agent's change.
    let mut solo = actor("devin", ActorKind::AiAgent);
    solo.on_behalf_of = Some("bob".into());
    input.changes.push(change("agent2", solo, &[Actor::human("bob"), Actor::human("carol")]));
    assert_eq!(only(&run(criteria, &input)).status, Status::Fail);
}

#[test]
fn approval_by_role() {
    let criteria = "  - id: approved\n    use: approval_by_role\n    with: { role: release-manager }\n";
    let mut input = input();
    input.approvals.push(release_approval(Actor::human("gina"), "release-manager", ApprovalDecision::Approve, false));
    input.approvals.push(release_approval(
        actor("ci", ActorKind::Bot),
        "release-manager",
        ApprovalDecision::Approve,
        true,
    ));
    input.approvals.push(release_approval(Actor::human("hank"), "security", ApprovalDecision::Approve, true));
    let evaluation = run(criteria, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.missing, ["1 more approval by release-manager"]);
    assert!(
        result.fix[0].contains("`signoff approve shop@1.2.0 --decision approve --role release-manager`"),
        "{:?}",
        result.fix
    );
    assert_eq!(result.notes.len(), 2, "{:?}", result.notes);

    input.approvals.push(release_approval(Actor::human("gina"), "release-manager", ApprovalDecision::Approve, true));
    assert_eq!(only(&run(criteria, &input)).status, Status::Pass);
    assert_eq!(only(&run(criteria, &input)).actual, "approved by gina");

    let mut rejection = release_approval(Actor::human("ivan"), "release-manager", ApprovalDecision::Reject, true);
    rejection.comment = Some("changelog missing".into());
    input.approvals.push(rejection);
    let evaluation = run(criteria, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert_eq!(only(&evaluation).details, ["rejected by ivan: changelog missing"]);
}

#[test]
fn signed_commits() {
    let mut input = input();
    let mut signed = change("a", Actor::human("alice"), &[]);
    signed.signature = Signature { status: SignatureStatus::Unverified, kind: Some("ssh".into()) };
    input.changes.push(signed);
    let lenient = "  - id: signed\n    use: signed_commits\n";
    let strict = "  - id: signed\n    use: signed_commits\n    with: { require_verified: true }\n";
    assert_eq!(only(&run(lenient, &input)).status, Status::Pass);
    assert_eq!(only(&run(strict, &input)).status, Status::Fail);
    input.changes[0].signature.status = SignatureStatus::Verified;
    assert_eq!(only(&run(strict, &input)).status, Status::Pass);
    let mut bad = change("b", Actor::human("alice"), &[]);
    bad.signature.status = SignatureStatus::Bad;
    input.changes.push(bad);
    let evaluation = run(lenient, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert_eq!(only(&evaluation).actual, "1 of 2 commits signed, 1 verified");
    assert!(only(&evaluation).details[0].ends_with("by alice: bad signature"));
}

const NEW_FINDINGS: &str = "  - id: new\n    use: no_new_findings\n";

#[test]
fn no_new_findings_against_the_baseline() {
    let (mut input, semgrep, trivy) = scan_input();
    input.findings.push(finding(&semgrep, Severity::High, "old"));
    input.findings.push(finding(&trivy, Severity::Medium, "new-medium"));
    let evaluation = run(NEW_FINDINGS, &input);
    assert_eq!(only(&evaluation).status, Status::Pass);
    assert_eq!(only(&evaluation).notes, ["no previous certified release: there is no baseline to compare with"]);

    input.baseline_fingerprints = Some(vec![digest("old")]);
    assert_eq!(only(&run(NEW_FINDINGS, &input)).status, Status::Pass, "medium is not checked by default");
    input.findings.push(finding(&trivy, Severity::Critical, "new-critical"));
    let evaluation = run(NEW_FINDINGS, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert_eq!(only(&evaluation).actual, "1 new (critical 1, high 0)");
    assert_eq!(
        only(&evaluation).expected,
        "no critical or high findings that 1.1.0 did not have, not counting findings the tool suppressed"
    );

    input.exceptions.push(exception("EXC-9", ExceptionTarget::Finding(digest("new-critical")), 3));
    let evaluation = run(NEW_FINDINGS, &input);
    assert_eq!(only(&evaluation).status, Status::Waived);
    assert_eq!(only(&evaluation).exceptions, ["EXC-9"]);

    let criteria =
        "  - id: new\n    use: no_new_findings\n    with: { severities: [medium] }\n    scope: { tools: [trivy] }\n";
    assert_eq!(only(&run(criteria, &input)).status, Status::Fail);
}

const SOD: &str = "  - id: sod\n    use: separation_of_duties\n";

#[test]
fn separation_of_duties() {
    let mut input = input();
    input.changes.push(change("a", Actor::human("alice"), &[Actor::human("bob")]));
    input.approvals.push(release_approval(Actor::human("gina"), "release-manager", ApprovalDecision::Approve, true));
    let evaluation = run(SOD, &input);
    assert_eq!(only(&evaluation).status, Status::Pass, "{:#?}", only(&evaluation));
    assert_eq!(only(&evaluation).notes, ["the deployer is checked when the artifact is deployed (`signoff gate`)"]);

    // An author approving their own change.
    input.changes[0].approvals.push(Review { reviewer: Actor::human("alice"), state: ReviewState::Approved });
    let evaluation = run(SOD, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert!(only(&evaluation).details[0].ends_with("approved by alice, an author of the change"));
    input.changes[0].approvals.pop();

    // A release approver who committed a change.
    input.changes[0].committer = Actor::human("gina");
    let evaluation = run(SOD, &input);
    assert_eq!(only(&evaluation).status, Status::Fail);
    assert!(
        only(&evaluation).details[0].starts_with("release approver gina committed "),
        "{:?}",
        only(&evaluation).details
    );
    input.changes[0].committer = Actor::human("alice");

    // The certifier as the only approver.
    input.actor = Actor::human("gina");
    let evaluation = run(SOD, &input);
    assert_eq!(only(&evaluation).details, ["the certifier gina is the only approver of the release"]);
    input.approvals.push(release_approval(Actor::human("hank"), "security", ApprovalDecision::Approve, true));
    assert_eq!(only(&run(SOD, &input)).status, Status::Pass);
}

#[test]
fn environment_scoped_criteria_decide_per_environment() {
    let criteria = "  - id: tests\n    use: tests_pass\n    scope: { environment: prod }\n  - id: present\n    use: evidence_present\n    with: { kinds: [sast] }\n";
    let mut input = input();
    input.evidence.push(evidence(EvidenceKind::Sast, "semgrep", "s"));
    let evaluation = run(criteria, &input);
    assert_eq!(evaluation.criteria[0].status, Status::Fail);
    assert_eq!(evaluation.criteria[0].environment.as_deref(), Some("prod"));
    assert_eq!(evaluation.decision, Decision::Certified, "no environment asked for");
    assert_eq!(evaluation.environments["staging"], Decision::Certified);
    assert_eq!(evaluation.environments["prod"], Decision::Rejected);

    input.environment = Some("prod".into());
    assert_eq!(run(criteria, &input).decision, Decision::Rejected);
    input.environment = Some("staging".into());
    assert_eq!(run(criteria, &input).decision, Decision::Certified);
    input.environment = Some("qa".into());
    let evaluation = run(criteria, &input);
    assert_eq!(evaluation.decision, Decision::Certified);
    assert!(evaluation.notes[0].starts_with("the policy declares no environment `qa`"));
}

#[test]
fn post_certification_evidence_is_not_considered() {
    let (mut input, semgrep, _) = scan_input();
    let mut late = evidence(EvidenceKind::TestResults, "pytest", "late");
    late.post_certification = true;
    late.summary.tests = Some(signoff_core::summary::TestCounts { total: 1, passed: 1, ..Default::default() });
    input.evidence.push(late.clone());
    let mut late_scan = evidence(EvidenceKind::Sast, "semgrep", "late-scan");
    late_scan.post_certification = true;
    input.evidence.push(late_scan.clone());
    input.findings.push(finding(&late_scan, Severity::Critical, "late-critical"));
    input.findings.push(finding(&semgrep, Severity::Low, "low"));
    let criteria = format!("{THRESHOLD}  - id: tests\n    use: tests_pass\n");
    let evaluation = run(&criteria, &input);
    assert_eq!(evaluation.criteria[0].status, Status::Pass);
    assert_eq!(evaluation.criteria[1].status, Status::Fail);
    assert!(!evaluation.evidence_digests.contains(&late.digest));
    assert_eq!(evaluation.notes, ["2 evidence items captured after certification not considered"]);
}

#[test]
fn unknown_changes_fail_the_change_criteria() {
    let mut input = input();
    input.changes_unknown = Some("no git repository at /build".into());
    let evaluation = run(REVIEWED, &input);
    let result = only(&evaluation);
    assert_eq!(result.status, Status::Fail);
    assert!(result.actual.contains("no git repository at /build"), "{}", result.actual);
    let signed = "  - id: signed\n    use: signed_commits\n";
    assert_eq!(only(&run(signed, &input)).status, Status::Fail);
    // Known to be empty (a release with no new commits) still passes.
    input.changes_unknown = None;
    assert_eq!(only(&run(REVIEWED, &input)).status, Status::Pass);
}
