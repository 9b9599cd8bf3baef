//! Builders for unit tests: a small valid input and the pieces to add to it.

use signoff_core::summary::{Coverage, FindingCounts, TestCounts};
use signoff_core::{
    CommitSha, Digest, EvidenceKind, Format, Location, ProjectName, ReleaseVersion, Severity, Summary, Tool,
};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::input::*;
use crate::{Evaluation, Policy, evaluate};

pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

pub(crate) fn digest(seed: &str) -> Digest {
    Digest::of(seed.as_bytes())
}

pub(crate) fn commit(seed: &str) -> CommitSha {
    CommitSha::new(&digest(seed).to_hex()[..40]).unwrap()
}

pub(crate) fn input() -> PolicyInput {
    PolicyInput {
        release: Release {
            project: ProjectName::new("shop").unwrap(),
            version: ReleaseVersion::new("1.2.0").unwrap(),
            commit: commit("release"),
            artifacts: vec![Artifact { name: Some("shop.tar.gz".into()), digest: digest("artifact") }],
            previous: Some(ReleaseVersion::new("1.1.0").unwrap()),
            created_at: NOW - time::Duration::hours(2),
        },
        actor: Actor::human("carol"),
        evaluated_at: NOW,
        environment: None,
        evidence: Vec::new(),
        findings: Vec::new(),
        baseline_fingerprints: None,
        changes: Vec::new(),
        changes_unknown: None,
        approvals: Vec::new(),
        exceptions: Vec::new(),
        triage: Vec::new(),
    }
}

pub(crate) fn evidence(kind: EvidenceKind, tool: &str, seed: &str) -> Evidence {
    let format = match kind {
        EvidenceKind::TestResults => Format::Junit,
        EvidenceKind::Coverage => Format::Cobertura,
        EvidenceKind::Sbom => Format::Cyclonedx,
        EvidenceKind::Provenance => Format::InToto,
        _ => Format::Sarif,
    };
    let summary = if kind.is_scan() {
        Summary { findings: Some(FindingCounts::default()), ..Summary::default() }
    } else {
        Summary::default()
    };
    Evidence {
        id: seed.to_owned(),
        digest: digest(seed),
        kind,
        format,
        tool: Tool::new(tool, Some("1.0".into())),
        captured_at: NOW - time::Duration::hours(1),
        produced_at: None,
        post_certification: false,
        superseded_by: None,
        summary,
    }
}

pub(crate) fn tests_evidence(seed: &str, passed: u64, failed: u64, errored: u64) -> Evidence {
    let mut evidence = evidence(EvidenceKind::TestResults, "pytest", seed);
    let mut tests =
        TestCounts { total: passed + failed + errored, passed, failed, errored, skipped: 0, failures: Vec::new() };
    for index in 0..failed + errored {
        tests.list_failure(format!("test_{index}"));
    }
    evidence.summary.tests = Some(tests);
    evidence
}

pub(crate) fn coverage_evidence(seed: &str, lines: (u64, u64), branches: (u64, u64)) -> Evidence {
    let mut evidence = evidence(EvidenceKind::Coverage, "coverage.py", seed);
    evidence.summary.coverage = Some(Coverage::from_counts(lines.0, lines.1, branches.0, branches.1));
    evidence
}

pub(crate) fn finding(evidence: &Evidence, severity: Severity, seed: &str) -> InputFinding {
    InputFinding {
        fingerprint: digest(seed),
        rule_id: format!("R-{seed}"),
        severity,
        title: format!("finding {seed}"),
        location: Location { path: Some("src/app.py".into()), start_line: Some(3), end_line: None },
        cve: Vec::new(),
        cwe: Vec::new(),
        package: None,
        package_version: None,
        suppressed: false,
        tool: evidence.tool.name.clone(),
        kind: evidence.kind,
        evidence_digest: evidence.digest,
    }
}

pub(crate) fn actor(id: &str, kind: ActorKind) -> Actor {
    Actor::new(id, kind)
}

pub(crate) fn change(seed: &str, author: Actor, approvers: &[Actor]) -> Change {
    Change {
        commit: commit(seed),
        committer: author.clone(),
        author,
        co_authors: Vec::new(),
        trailers: Vec::new(),
        pr: Some(7),
        signature: Signature::default(),
        approvals: approvers
            .iter()
            .map(|reviewer| Review { reviewer: reviewer.clone(), state: ReviewState::Approved })
            .collect(),
    }
}

pub(crate) fn release_approval(actor: Actor, role: &str, decision: ApprovalDecision, current: bool) -> ReleaseApproval {
    ReleaseApproval {
        actor,
        role: role.to_owned(),
        decision,
        at: NOW - time::Duration::minutes(30),
        current,
        comment: None,
    }
}

pub(crate) fn exception(id: &str, target: ExceptionTarget, days_left: i64) -> Exception {
    Exception {
        id: id.to_owned(),
        target,
        justification: Some("accepted".into()),
        requested_by: Actor::human("dave"),
        approved_by: Actor::human("erin"),
        approved_at: NOW - time::Duration::days(10),
        expires_at: NOW + time::Duration::days(days_left),
    }
}

pub(crate) fn no_rego(file: &str) -> Result<String, String> {
    Err(format!("no file {file}"))
}

pub(crate) fn policy(yaml: &str) -> Policy {
    match Policy::parse(yaml, "policy.yaml", &no_rego) {
        Ok(policy) => policy,
        Err(error) => panic!("{error}"),
    }
}

/// A policy of the given criteria entries (YAML, indented as list items).
pub(crate) fn criteria_policy(criteria: &str) -> Policy {
    policy(&format!(
        "version: 1\nname: t\nenvironments: [staging, prod]\nexceptions: {{ max_days: 90 }}\ncriteria:\n{criteria}"
    ))
}

pub(crate) fn run(criteria: &str, input: &PolicyInput) -> Evaluation {
    evaluate(&criteria_policy(criteria).for_project("shop"), input)
}
