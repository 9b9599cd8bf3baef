//! Realistic inputs: several tools and evidence kinds, findings at every severity
//! below high, changes with AI-agent co-authors (Co-authored-by trailers), reviews
//! by bots and agents that must not count, and release approvals. Deterministic.
//!
//! Also used by `benches/evaluate.rs` (through `#[path]`).

use signoff_core::summary::{Coverage, FindingCounts, Reviews, TestCounts};
use signoff_core::{
    CommitSha, Digest, EvidenceKind, Format, Location, ProjectName, ReleaseVersion, Severity, Summary, Tool,
};
use signoff_policy::*;
use time::OffsetDateTime;
use time::macros::datetime;

/// The evaluation time of every generated input.
pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

pub(crate) fn digest(seed: &str) -> Digest {
    Digest::of(seed.as_bytes())
}

pub(crate) fn commit(seed: &str) -> CommitSha {
    CommitSha::new(&digest(seed).to_hex()[..40]).unwrap()
}

/// A small deterministic generator (SplitMix64).
pub(crate) struct Random(u64);

impl Random {
    pub(crate) fn new(seed: u64) -> Random {
        Random(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// (kind, format, tool) of the evidence a typical pipeline captures, in rotation.
const TOOLS: &[(EvidenceKind, Format, &str)] = &[
    (EvidenceKind::Sast, Format::Sarif, "Semgrep"),
    (EvidenceKind::Sast, Format::Sarif, "Bandit"),
    (EvidenceKind::Sca, Format::OsvScanner, "osv-scanner"),
    (EvidenceKind::ContainerScan, Format::Trivy, "Trivy"),
    (EvidenceKind::SecretsScan, Format::Gitleaks, "gitleaks"),
    (EvidenceKind::IacScan, Format::Checkov, "checkov"),
    (EvidenceKind::TestResults, Format::Junit, "pytest"),
    (EvidenceKind::TestResults, Format::Junit, "jest"),
    (EvidenceKind::Coverage, Format::Cobertura, "coverage.py"),
    (EvidenceKind::Sbom, Format::Cyclonedx, "cyclonedx-py"),
    (EvidenceKind::Provenance, Format::InToto, "slsa-github-generator"),
    (EvidenceKind::CodeReview, Format::GithubPr, "github"),
];

pub(crate) fn human(id: &str) -> Actor {
    let mut actor = Actor::human(id);
    actor.email = Some(format!("{id}@acme.example"));
    actor
}

pub(crate) fn agent(id: &str, for_human: &str) -> Actor {
    let mut actor = Actor::new(id, ActorKind::AiAgent);
    actor.on_behalf_of = Some(for_human.to_owned());
    actor
}

pub(crate) fn bot(id: &str) -> Actor {
    Actor::new(id, ActorKind::Bot)
}

pub(crate) fn approved(reviewer: Actor) -> Review {
    Review { reviewer, state: ReviewState::Approved }
}

/// A release of `shop` with `evidence` items (at least one of each tool above) and
/// `findings` findings spread over the scans; every severity below high; every
/// change reviewed by another human; bots and an agent approve too.
pub(crate) fn realistic(evidence_count: usize, finding_count: usize) -> PolicyInput {
    let mut random = Random::new(42);
    let mut evidence = Vec::with_capacity(evidence_count);
    for index in 0..evidence_count.max(TOOLS.len()) {
        let (kind, format, tool) = TOOLS[index % TOOLS.len()];
        let seed = format!("evidence-{index}");
        let mut summary = Summary::default();
        match kind {
            EvidenceKind::TestResults => {
                let passed = 50 + random.below(400);
                summary.tests = Some(TestCounts {
                    total: passed + 3,
                    passed,
                    failed: 0,
                    errored: 0,
                    skipped: 3,
                    failures: Vec::new(),
                });
            }
            EvidenceKind::Coverage => {
                let valid = 2_000 + random.below(3_000);
                summary.coverage = Some(Coverage::from_counts(valid * 85 / 100, valid, valid * 7 / 10, valid));
            }
            EvidenceKind::Sbom => summary.components = Some(100 + random.below(900)),
            EvidenceKind::CodeReview => {
                summary.reviews = Some(Reviews {
                    approved: 1,
                    number: Some(100 + index as u64 % 12),
                    author: Some("alice".into()),
                    approvers: vec!["bob".into()],
                    ..Reviews::default()
                });
            }
            _ if kind.is_scan() => summary.findings = Some(FindingCounts::default()),
            _ => {}
        }
        evidence.push(Evidence {
            id: format!("01J{index:08}"),
            digest: digest(&seed),
            kind,
            format,
            tool: Tool::new(tool, Some(format!("1.{}", index % 7))),
            captured_at: NOW - time::Duration::hours(2) - time::Duration::minutes(index as i64),
            produced_at: Some(NOW - time::Duration::hours(3)),
            post_certification: false,
            superseded_by: None,
            summary,
        });
    }
    let scans: Vec<usize> = (0..evidence.len()).filter(|index| evidence[*index].kind.is_scan()).collect();
    let mut findings = Vec::with_capacity(finding_count);
    for index in 0..finding_count {
        let scan_index = scans[random.below(scans.len() as u64) as usize];
        let severity = match random.below(10) {
            0..=3 => Severity::Info,
            4..=6 => Severity::Low,
            _ => Severity::Medium,
        };
        let scan = &mut evidence[scan_index];
        if let Some(counts) = scan.summary.findings.as_mut() {
            counts.total += 1;
            match severity {
                Severity::Info => counts.info += 1,
                Severity::Low => counts.low += 1,
                _ => counts.medium += 1,
            }
        }
        let dependency = matches!(scan.kind, EvidenceKind::Sca | EvidenceKind::ContainerScan);
        findings.push(InputFinding {
            fingerprint: digest(&format!("finding-{index}")),
            rule_id: if dependency {
                format!("CVE-2026-{:05}", index % 99_999)
            } else {
                format!("R{:04}", index % 700)
            },
            severity,
            title: format!("finding number {index} of a realistic scan"),
            location: Location {
                path: Some(format!("src/module_{}/file_{}.py", index % 40, index % 13)),
                start_line: Some(1 + index as u64 % 400),
                end_line: None,
            },
            cve: if dependency { vec![format!("CVE-2026-{:05}", index % 99_999)] } else { Vec::new() },
            cwe: if dependency { Vec::new() } else { vec![format!("CWE-{}", 20 + index % 80)] },
            package: dependency.then(|| format!("package-{}", index % 300)),
            package_version: dependency.then(|| format!("1.{}.{}", index % 9, index % 4)),
            suppressed: random.below(50) == 0,
            tool: scan.tool.name.clone(),
            kind: scan.kind,
            evidence_digest: scan.digest,
        });
    }

    // Twelve changes: alice and bob write code, claude (an AI agent acting for
    // alice) co-writes some; dependabot and copilot approve but never count.
    let mut changes = Vec::new();
    for index in 0..12u64 {
        // Agent changes (every third) are alice's, so their reviewer is not the
        // human the agent acts for.
        let alice_writes = index % 2 == 0 || index % 3 == 0;
        let author = if alice_writes { human("alice") } else { human("bob") };
        let reviewer = if alice_writes { human("bob") } else { human("alice") };
        let mut change = Change {
            commit: commit(&format!("change-{index}")),
            committer: author.clone(),
            author,
            co_authors: Vec::new(),
            trailers: vec![Trailer { key: "Signed-off-by".into(), value: "Alice <alice@acme.example>".into() }],
            pr: Some(100 + index),
            signature: Signature { status: SignatureStatus::Verified, kind: Some("ssh".into()) },
            approvals: vec![approved(bot("dependabot[bot]")), approved(reviewer)],
        };
        if index % 3 == 0 {
            change.co_authors.push(agent("claude", "alice"));
            change
                .trailers
                .push(Trailer { key: "Co-authored-by".into(), value: "Claude <noreply@anthropic.com>".into() });
            change.approvals.push(approved(agent("copilot", "bob")));
            change.approvals.push(approved(human("dana")));
            change.approvals.push(approved(human("erik")));
        }
        changes.push(change);
    }

    PolicyInput {
        release: Release {
            project: ProjectName::new("shop").unwrap(),
            version: ReleaseVersion::new("4.2.1").unwrap(),
            commit: commit("change-11"),
            artifacts: vec![
                Artifact { name: Some("ghcr.io/acme/shop:4.2.1".into()), digest: digest("image") },
                Artifact { name: Some("shop-4.2.1.tar.gz".into()), digest: digest("tarball") },
            ],
            previous: Some(ReleaseVersion::new("4.2.0").unwrap()),
            created_at: NOW - time::Duration::hours(4),
        },
        actor: human("carol"),
        evaluated_at: NOW,
        environment: None,
        evidence,
        baseline_fingerprints: Some(findings.iter().step_by(2).map(|finding| finding.fingerprint).collect()),
        findings,
        changes,
        changes_unknown: None,
        approvals: vec![
            ReleaseApproval {
                actor: human("gina"),
                role: "release-manager".into(),
                decision: ApprovalDecision::Approve,
                at: NOW - time::Duration::minutes(30),
                current: true,
                comment: Some("ship it".into()),
            },
            ReleaseApproval {
                actor: bot("release-bot"),
                role: "release-manager".into(),
                decision: ApprovalDecision::Approve,
                at: NOW - time::Duration::minutes(20),
                current: true,
                comment: None,
            },
        ],
        exceptions: Vec::new(),
        triage: Vec::new(),
    }
}

/// A critical finding in the first Semgrep scan.
pub(crate) fn critical_finding(input: &PolicyInput, seed: &str) -> InputFinding {
    let scan = input.evidence.iter().find(|evidence| evidence.tool.name == "Semgrep").unwrap();
    InputFinding {
        fingerprint: digest(seed),
        rule_id: "python.lang.security.audit.exec-detected".into(),
        severity: Severity::Critical,
        title: "Detected the use of exec()".into(),
        location: Location { path: Some("src/shop/admin.py".into()), start_line: Some(88), end_line: Some(88) },
        cve: Vec::new(),
        cwe: vec!["CWE-95".into()],
        package: None,
        package_version: None,
        suppressed: false,
        tool: scan.tool.name.clone(),
        kind: scan.kind,
        evidence_digest: scan.digest,
    }
}

pub(crate) fn exception(id: &str, target: ExceptionTarget, expires_in_days: i64) -> Exception {
    Exception {
        id: id.into(),
        target,
        justification: Some("not reachable from user input".into()),
        requested_by: human("alice"),
        approved_by: human("sam"),
        approved_at: NOW - time::Duration::days(5),
        expires_at: NOW + time::Duration::days(expires_in_days),
    }
}

pub(crate) fn no_files(file: &str) -> Result<String, String> {
    Err(format!("unexpected file {file}"))
}

pub(crate) fn parse(text: &str) -> Policy {
    Policy::parse(text, "policy.yaml", &no_files).unwrap_or_else(|error| panic!("{error}"))
}

/// Every built-in criterion and two Rego modules (one reads the findings): what the
/// benchmark and the replay tests evaluate.
pub(crate) const FULL_POLICY: &str = r#"version: 1
name: full
environments: [staging, prod]
exceptions: { max_days: 90 }
criteria:
  - id: required-evidence
    use: evidence_present
    with: { kinds: [sast, sca, test_results, coverage] }
  - id: supply-chain
    use: sbom_and_provenance
  - id: no-critical-or-high
    use: findings_threshold
    with: { max: { critical: 0, high: 0 } }
  - id: few-mediums
    use: findings_threshold
    with: { max: { medium: 100000 } }
    scope: { kinds: [sast, sca], tools: [semgrep, bandit, osv-scanner] }
    blocking: false
  - id: fresh-scans
    use: evidence_fresh
    with: { max_age_days: 30 }
  - id: tests-pass
    use: tests_pass
  - id: coverage
    use: coverage_min
    with: { line_rate: 0.8, branch_rate: 0.6 }
  - id: changes-reviewed
    use: changes_reviewed
  - id: release-approved
    use: approval_by_role
    with: { role: release-manager }
    scope: { environment: prod }
  - id: signed-commits
    use: signed_commits
    with: { require_verified: true }
  - id: no-new-findings
    use: no_new_findings
  - id: separation-of-duties
    use: separation_of_duties
  - id: agent-changes-reviewed
    use: agent_changes_reviewed
rego:
  - id: cve-blocklist
    title: No blocklisted CVE ships
    source: |
      package signoff.cves

      blocked := {"CVE-2021-44228", "CVE-2014-0160"}

      deny contains msg if {
        some finding in input.findings
        some cve in finding.cve
        blocked[cve]
        msg := sprintf("%s in %s %s", [cve, finding.package, finding.package_version])
      }

      warn contains msg if {
        count(input.findings) > 40000
        msg := sprintf("%d findings: consider triaging", [count(input.findings)])
      }
  - id: image-scanned
    title: Every released image has a container scan
    source: |
      package signoff.images

      deny contains msg if {
        some artifact in input.release.artifacts
        startswith(artifact.name, "ghcr.io/")
        not has_container_scan
        msg := sprintf("%s has no container scan", [artifact.name])
      }

      has_container_scan if {
        some evidence in input.evidence
        evidence.kind == "container_scan"
      }
"#;
