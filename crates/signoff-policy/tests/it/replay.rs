//! Replay (D8): the same input under two policies gives comparable evaluations, and
//! `diff` explains what changed.

use signoff_policy::*;

use crate::util::*;

#[test]
fn evaluation_is_pure() {
    let policy = parse(FULL_POLICY).for_project("shop");
    let input = realistic(60, 5_000);
    let first = evaluate(&policy, &input);
    let second = evaluate(&policy, &input);
    assert_eq!(first, second);
    assert!(diff(&first, &second).is_empty());
    assert_eq!(first.decision, Decision::Certified, "{:#?}", first.blocking_failures().collect::<Vec<_>>());
    // The evaluation serializes and reads back (the ledger stores it as JSON).
    let json = serde_json::to_string(&first).unwrap();
    let back: Evaluation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, first);
}

#[test]
fn a_stricter_policy_shows_what_would_change() {
    let mut input = realistic(60, 5_000);
    input.findings.push(critical_finding(&input, "exec"));
    input.exceptions.push(exception("EXC-1", ExceptionTarget::Finding(signoff_core::Digest::of(b"exec")), 30));
    let original = evaluate(&parse(FULL_POLICY).for_project("shop"), &input);
    assert_eq!(original.decision, Decision::Certified);
    assert_eq!(original.criterion("no-critical-or-high").unwrap().status, Status::Waived);

    // The new version: no exceptions longer than 14 days, few mediums, blocking.
    let stricter = FULL_POLICY
        .replace("exceptions: { max_days: 90 }", "exceptions: { max_days: 14 }")
        .replace("with: { max: { medium: 100000 } }", "with: { max: { medium: 10 } }")
        .replace("    blocking: false\n", "")
        .replace("  - id: signed-commits\n    use: signed_commits\n    with: { require_verified: true }\n", "");
    let replayed = evaluate(&parse(&stricter).for_project("shop"), &input);
    assert_ne!(replayed.policy.digest, original.policy.digest);
    let changes = diff(&original, &replayed);
    assert!(changes.decision_changed());
    assert_eq!((changes.decision_before, changes.decision_after), (Decision::Certified, Decision::Rejected));

    let by_id = |id: &str| {
        changes.criteria.iter().find(|change| change.id == id).unwrap_or_else(|| panic!("{id}: {changes:#?}"))
    };
    let threshold = by_id("no-critical-or-high");
    assert_eq!(threshold.before.map(|s| s.status), Some(Status::Waived));
    assert_eq!(threshold.after.map(|s| s.status), Some(Status::Fail));
    assert!(threshold.affects_decision);
    assert!(
        threshold.reason.starts_with("WAIVED → FAIL; expected \"findings: critical ≤ 0, high ≤ 0"),
        "{}",
        threshold.reason
    );
    assert!(threshold.reason.contains("exceptions EXC-1 → none"), "{}", threshold.reason);
    assert!(
        replayed
            .exceptions_not_applied
            .iter()
            .any(|item| item.id == "EXC-1" && item.reason == NotAppliedReason::TooLong { days: 35, max_days: 14 })
    );

    let mediums = by_id("few-mediums");
    assert_eq!(mediums.before.unwrap().to_string(), "PASS (advisory)");
    assert_eq!(mediums.after.unwrap().to_string(), "FAIL");
    assert!(mediums.reason.contains("expected changed from"), "{}", mediums.reason);

    let removed = by_id("signed-commits");
    assert_eq!((removed.before.map(|s| s.status), removed.after), (Some(Status::Pass), None));
    assert!(!removed.affects_decision);
    assert!(removed.reason.starts_with("only in the first policy: was PASS"));

    // The critical finding is new since the baseline too, and its exception no
    // longer applies there either.
    let new_findings = by_id("no-new-findings");
    assert_eq!(new_findings.title, "No new critical or high findings since the last certified release");
    assert_eq!(
        (new_findings.before.unwrap().status, new_findings.after.unwrap().status),
        (Status::Waived, Status::Fail)
    );

    assert_eq!(changes.criteria.len(), 4, "{changes:#?}");
    assert_eq!(changes.environments.len(), 2, "both environments flip: {:?}", changes.environments);
}
