//! [`STARTER_POLICY`] parses, its commented examples parse when uncommented, and on
//! a realistic release it decides as its comments say.

use signoff_policy::*;

use crate::util::*;

/// The starter with every `# ` example line uncommented and the `##` prose removed.
fn uncommented() -> String {
    let mut text = String::new();
    for line in STARTER_POLICY.lines() {
        let content = line.trim_start();
        let indent = &line[..line.len() - content.len()];
        if content.starts_with("##") {
            continue;
        }
        let line = match content.strip_prefix("# ") {
            Some(rest) => format!("{indent}{rest}"),
            None if content == "#" => String::new(),
            None => line.to_owned(),
        };
        // Trailing `##` remarks on live lines are YAML comments already.
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[test]
fn starter_parses_as_documented() {
    let policy = parse(STARTER_POLICY);
    assert_eq!(policy.name(), "default");
    let effective = policy.for_project("shop");
    let ids: Vec<&str> = effective.criteria.iter().map(|spec| spec.id.as_str()).collect();
    assert_eq!(ids, ["required-evidence", "no-critical-or-high", "tests-pass", "changes-reviewed"]);
    assert!(effective.criteria.iter().all(|spec| spec.blocking));
    assert!(effective.rego.is_empty());
    assert_eq!(effective.exceptions.max_days, Some(90));
}

#[test]
fn every_example_in_the_starter_parses() {
    let text = uncommented();
    let policy =
        Policy::parse(&text, "starter-uncommented.yaml", &no_files).unwrap_or_else(|error| panic!("{error}\n{text}"));
    let effective = policy.for_project("payments");
    let mut used: Vec<&str> = effective.criteria.iter().map(|spec| spec.check.name()).collect();
    used.sort_unstable();
    used.dedup();
    let mut all = BUILT_IN_CRITERIA.to_vec();
    all.sort_unstable();
    assert_eq!(used, all, "the starter shows every built-in criterion");
    assert_eq!(effective.rego.len(), 1);
    assert_eq!(effective.project_override.as_deref(), Some("payments"));
    // And the examples pass on a clean realistic release without findings.
    let evaluation = evaluate(&policy.for_project("shop"), &realistic(40, 0));
    let failing: Vec<_> = evaluation.criteria.iter().filter(|result| result.status != Status::Pass).collect();
    assert!(failing.is_empty(), "{failing:#?}");
}

#[test]
fn a_clean_release_is_certified() {
    let input = realistic(40, 2_000);
    let evaluation = evaluate(&parse(STARTER_POLICY).for_project("shop"), &input);
    assert_eq!(evaluation.decision, Decision::Certified, "{:#?}", evaluation.criteria);
    assert!(evaluation.criteria.iter().all(|result| result.status == Status::Pass));
    assert_eq!(evaluation.evidence_digests.len(), 40);
    assert_eq!(evaluation.policy.digest, signoff_core::Digest::of(STARTER_POLICY.as_bytes()));

    let present = evaluation.criterion("required-evidence").unwrap();
    assert_eq!(present.actual, "sast: 8 (Semgrep, Bandit); test_results: 6 (pytest, jest)");
    assert_eq!(present.evidence.len(), 14);

    // The bots' and the agent's approvals are reported as not counted.
    let reviewed = evaluation.criterion("changes-reviewed").unwrap();
    assert_eq!(reviewed.actual, "12 of 12 changes have enough approvals");
    assert!(reviewed.notes.iter().any(|note| note.contains("dependabot[bot] not counted (bot approvals never count)")));
    assert!(reviewed.notes.iter().any(|note| note.contains("copilot not counted (ai_agent approvals never count)")));
    assert_eq!(reviewed.evidence.len(), 3, "the code review evidence of the changes' pull requests");
}

#[test]
fn a_critical_finding_rejects_until_an_exception_accepts_it() {
    let mut input = realistic(40, 2_000);
    let critical = critical_finding(&input, "exec");
    input.findings.push(critical.clone());
    let policy = parse(STARTER_POLICY).for_project("shop");
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.decision, Decision::Rejected);
    let failures: Vec<&str> = evaluation.blocking_failures().map(|result| result.id.as_str()).collect();
    assert_eq!(failures, ["no-critical-or-high"]);
    let result = evaluation.criterion("no-critical-or-high").unwrap();
    assert_eq!(result.actual, "critical 1, high 0");
    assert!(result.details[0].starts_with("critical python.lang.security.audit.exec-detected: Detected the use of exec() at src/shop/admin.py:88 (Semgrep, sha256:"), "{:?}", result.details);
    assert!(result.fix.iter().any(|line| line.contains(&format!("--finding {}", critical.fingerprint))));

    input.exceptions.push(exception("EXC-3", ExceptionTarget::Finding(critical.fingerprint), 5));
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.decision, Decision::Certified);
    let result = evaluation.criterion("no-critical-or-high").unwrap();
    assert_eq!((result.status, result.exceptions.as_slice()), (Status::Waived, ["EXC-3".to_owned()].as_slice()));
    assert_eq!(evaluation.exceptions_used, ["EXC-3"]);

    // Preflight for a date after the exception expires.
    input.evaluated_at = NOW + time::Duration::days(10);
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.decision, Decision::Rejected);
    assert_eq!(evaluation.exceptions_not_applied.len(), 1);
    assert_eq!(
        format!("{} {}", evaluation.exceptions_not_applied[0].id, evaluation.exceptions_not_applied[0].reason),
        "EXC-3 expired at 2026-12-01T12:00:00Z"
    );
}

#[test]
fn bot_and_agent_approvals_do_not_review_a_change() {
    let mut input = realistic(40, 100);
    input.changes[4].approvals = vec![approved(bot("dependabot[bot]")), approved(agent("copilot", "bob"))];
    let evaluation = evaluate(&parse(STARTER_POLICY).for_project("shop"), &input);
    assert_eq!(evaluation.decision, Decision::Rejected);
    let result = evaluation.criterion("changes-reviewed").unwrap();
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.missing.len(), 1);
    assert!(result.missing[0].contains("(PR #104) by alice: 0 of 1 human approvals"), "{:?}", result.missing);
}

#[test]
fn failing_tests_reject() {
    let mut input = realistic(40, 100);
    let report = input.evidence.iter_mut().find(|evidence| evidence.tool.name == "jest").unwrap();
    let tests = report.summary.tests.as_mut().unwrap();
    tests.failed = 2;
    tests.total += 2;
    tests.failures = vec!["cart › applies discount".into(), "cart › rounds totals".into()];
    let evaluation = evaluate(&parse(STARTER_POLICY).for_project("shop"), &input);
    let result = evaluation.criterion("tests-pass").unwrap();
    assert_eq!(result.status, Status::Fail);
    assert_eq!(result.details, ["cart › applies discount (jest)", "cart › rounds totals (jest)"]);
    assert_eq!(evaluation.decision, Decision::Rejected);
}
