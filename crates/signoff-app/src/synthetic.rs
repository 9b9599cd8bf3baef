//! A generator of realistic stores for benchmarks (P3): many projects, releases
//! with scans, tests and coverage, findings that persist, get fixed and appear,
//! approvals, certificates (really signed) and deployments — written through the
//! ordinary ledger batch, so the result verifies like any store.

use serde::Serialize;
use signoff_core::context::CiContext;
use signoff_core::entry::{Event, EvidenceRecord, FindingsHasher, ReleaseRecord};
use signoff_core::finding::Fingerprinter;
use signoff_core::records::{
    Actor, ActorKind, ApprovalDecision, ApprovalRecord, DeploymentRecord, PolicyRecord, PolicyReference, PolicySource,
};
use signoff_core::summary::{Coverage, FindingCounts, TestCounts};
use signoff_core::{
    CommitSha, Digest, EvidenceKind, Finding, Format, Location, ProjectName, ReleaseVersion, Severity, Summary, Tool,
};
use signoff_policy::{Policy, PolicyInput};

use crate::error::AppError;
use crate::home::Signoff;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Releases, spread over projects and over time (one per hour of history).
    pub releases: u64,
    /// Evidence items per release.
    pub evidence_per_release: u64,
    /// Findings per scan.
    pub findings_per_scan: u64,
    /// Projects.
    pub projects: u64,
}

/// What was generated.
#[derive(Debug, Clone, Serialize)]
pub struct Generated {
    /// Releases written.
    pub releases: u64,
    /// Evidence items written.
    pub evidence: u64,
    /// Findings written.
    pub findings: u64,
    /// Ledger entries written.
    pub entries: u64,
}

/// A small deterministic generator.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

const SCANNERS: [(&str, EvidenceKind, Format); 4] = [
    ("Semgrep OSS", EvidenceKind::Sast, Format::Sarif),
    ("Trivy", EvidenceKind::ContainerScan, Format::Trivy),
    ("Grype", EvidenceKind::Sca, Format::Grype),
    ("Gitleaks", EvidenceKind::SecretsScan, Format::Gitleaks),
];

/// The policy every generated release is certified against, published first.
const POLICY: &str = "version: 1
name: synthetic-gate
criteria:
  - id: required-evidence
    use: evidence_present
    with: { kinds: [sast, test_results] }
  - id: no-critical-or-high
    use: findings_threshold
    with: { max: { critical: 0, high: 0 } }
  - id: tests-pass
    use: tests_pass
  - id: release-approved
    use: approval_by_role
    with: { role: release-manager }
";

fn actor(id: &str, kind: ActorKind) -> Actor {
    Actor { id: id.to_owned(), kind, on_behalf_of: None, source: Some("synthetic".into()) }
}

/// Generates a store of `shape`, calling `progress` with the releases done.
///
/// # Errors
/// A store failure.
pub async fn generate(signoff: &Signoff, shape: Shape, progress: &dyn Fn(u64)) -> Result<Generated, AppError> {
    let mut random = Random(0x51_6e0f_f5ee_d001);
    let mut generated = Generated { releases: 0, evidence: 0, findings: 0, entries: 0 };
    let start = time::OffsetDateTime::now_utc() - time::Duration::hours(i64::try_from(shape.releases).unwrap_or(0));
    let policy = Policy::parse(POLICY, "synthetic-policy.yaml", &|file: &str| Err(format!("no {file}")))?;
    let reference = PolicyReference {
        name: policy.name().to_owned(),
        version: Some(1),
        digest: policy.digest(),
        source: PolicySource::Published,
    };
    {
        let mut batch = signoff.begin_batch().await?;
        batch
            .append_at(
                Event::PolicyPublished(Box::new(PolicyRecord {
                    id: uuid::Uuid::now_v7().to_string(),
                    name: reference.name.clone(),
                    version: 1,
                    digest: reference.digest,
                    file_name: "synthetic-policy.yaml".into(),
                    text: POLICY.into(),
                    rego: Vec::new(),
                    published_by: actor("compliance-lead", ActorKind::Human),
                })),
                start - time::Duration::hours(1),
            )
            .await?;
        batch.commit(signoff).await?;
        generated.entries += 1;
    }
    let mut versions = vec![0u64; usize::try_from(shape.projects.max(1)).unwrap_or(1)];
    // Each project's open findings carry over from release to release.
    let mut open: Vec<Vec<(String, Severity)>> = vec![Vec::new(); versions.len()];
    let per_batch = 50u64;
    let mut release_index = 0u64;
    while release_index < shape.releases {
        let mut batch = signoff.begin_batch().await?;
        for _ in 0..per_batch.min(shape.releases - release_index) {
            let project_index = usize::try_from(random.below(shape.projects.max(1))).unwrap_or(0);
            versions[project_index] += 1;
            let project = ProjectName::new(&format!("service-{project_index:03}"))?;
            let version_number = versions[project_index];
            let version = ReleaseVersion::new(&format!("1.{}.{}", version_number / 100, version_number % 100))?;
            let commit_hex = Digest::of(format!("{project}@{version}").as_bytes()).to_hex()[..40].to_owned();
            let commit = CommitSha::new(&commit_hex)?;
            let at = start + time::Duration::hours(i64::try_from(release_index).unwrap_or(0));
            let captured_at = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            let context = CiContext {
                system: Some("github-actions".into()),
                commit: Some(commit_hex.clone()),
                ..CiContext::default()
            };
            let mut input_evidence = Vec::new();
            let mut input_findings = Vec::new();
            for item in 0..shape.evidence_per_release {
                let (tool, kind, format, summary, findings) = match item % 4 {
                    0 | 1 if item < 2 * SCANNERS.len() as u64 => {
                        let (tool, kind, format) = SCANNERS
                            [usize::try_from(item / 2 % 4).unwrap_or(0) + usize::try_from(item % 2).unwrap_or(0) % 4];
                        // Keep most findings, fix a few, add a few.
                        let known = &mut open[project_index];
                        known.retain(|_| random.below(10) != 0);
                        while (known.len() as u64) < shape.findings_per_scan {
                            let severity =
                                Severity::ALL[usize::try_from(random.below(100)).map_or(0, |roll| match roll {
                                    0..=1 => 4,
                                    2..=9 => 3,
                                    10..=39 => 2,
                                    40..=79 => 1,
                                    _ => 0,
                                })];
                            known.push((format!("rule-{}", random.below(500)), severity));
                        }
                        let mut fingerprinter = Fingerprinter::new();
                        let findings: Vec<Finding> = known
                            .iter()
                            .enumerate()
                            .map(|(index, (rule, severity))| Finding {
                                cve: if kind == EvidenceKind::Sast {
                                    vec![]
                                } else {
                                    vec![format!("CVE-2026-{:05}", index)]
                                },
                                cwe: vec![format!("CWE-{}", 20 + index % 900)],
                                fingerprint: fingerprinter.fingerprint(tool, &[rule, &index.to_string()]),
                                location: Location {
                                    end_line: Some(index as u64 + 3),
                                    path: Some(format!("src/module{}/file.rs", index % 50)),
                                    start_line: Some(index as u64 + 1),
                                },
                                package: (kind != EvidenceKind::Sast).then(|| format!("package-{}", index % 200)),
                                package_version: (kind != EvidenceKind::Sast).then(|| "1.0.0".to_owned()),
                                rule_id: rule.clone(),
                                severity: *severity,
                                suppressed: index % 40 == 0,
                                title: format!("{rule}: a realistic finding title for {tool}"),
                            })
                            .collect();
                        let mut counts = FindingCounts::default();
                        for finding in &findings {
                            counts.add(finding);
                        }
                        (tool, kind, format, Summary { findings: Some(counts), ..Summary::default() }, findings)
                    }
                    2 => {
                        let total = 200 + random.below(800);
                        let failed = u64::from(random.below(20) == 0);
                        let tests = TestCounts {
                            total,
                            passed: total - failed,
                            failed,
                            errored: 0,
                            skipped: 0,
                            failures: vec![],
                        };
                        (
                            "pytest",
                            EvidenceKind::TestResults,
                            Format::Junit,
                            Summary { tests: Some(tests), ..Summary::default() },
                            Vec::new(),
                        )
                    }
                    _ => {
                        let valid = 5000 + random.below(5000);
                        let coverage = Coverage::from_counts(valid * (70 + random.below(30)) / 100, valid, 0, 0);
                        (
                            "coverage.py",
                            EvidenceKind::Coverage,
                            Format::Cobertura,
                            Summary { coverage: Some(coverage), ..Summary::default() },
                            Vec::new(),
                        )
                    }
                };
                let mut hasher = FindingsHasher::new();
                for finding in &findings {
                    hasher.add(finding).map_err(|error| AppError::Invalid(error.to_string()))?;
                }
                let content =
                    format!("{{\"synthetic\": \"{project}@{version}\", \"item\": {item}, \"tool\": \"{tool}\"}}\n");
                let digest = signoff.blobs.import(content.as_bytes()).await?;
                let seq = batch.next_seq();
                let count = findings.len() as u64;
                let item = signoff_policy::Evidence {
                    id: uuid::Uuid::now_v7().to_string(),
                    digest,
                    kind,
                    format,
                    tool: Tool::new(tool, Some("1.0".into())),
                    captured_at: at,
                    produced_at: Some(at),
                    post_certification: false,
                    superseded_by: None,
                    summary: summary.clone(),
                };
                input_findings
                    .extend(findings.iter().map(|finding| signoff_policy::InputFinding::from_finding(finding, &item)));
                if !findings.is_empty() {
                    batch.tx().insert_findings(seq, 0, findings).await?;
                }
                let record = EvidenceRecord {
                    id: item.id.clone(),
                    project: project.clone(),
                    commit: Some(commit.clone()),
                    release: None,
                    kind,
                    format,
                    tool: item.tool.clone(),
                    file_name: format!(
                        "{}.{}",
                        tool.to_lowercase().replace(' ', "-"),
                        if format == Format::Junit { "xml" } else { "json" }
                    ),
                    digest,
                    size: content.len() as u64,
                    original_digest: None,
                    redacted: 0,
                    summary,
                    findings: hasher.finish(),
                    context: context.clone(),
                    produced_at: Some(captured_at.clone()),
                    delivery: None,
                    target: None,
                };
                batch.append_at(Event::EvidenceCaptured(Box::new(record)), at).await?;
                input_evidence.push(item);
                generated.evidence += 1;
                generated.findings += count;
                generated.entries += 1;
            }
            let artifact = Digest::of(format!("image {project}@{version}").as_bytes());
            let release = ReleaseRecord {
                id: uuid::Uuid::now_v7().to_string(),
                project: project.clone(),
                version: version.clone(),
                commit: commit.clone(),
                artifacts: vec![artifact],
                previous: (version_number > 1)
                    .then(|| {
                        let previous = version_number - 1;
                        ReleaseVersion::new(&format!("1.{}.{}", previous / 100, previous % 100)).ok()
                    })
                    .flatten(),
                actor: Some("ci".into()),
                context: context.clone(),
                changes: Vec::new(),
                changes_note: Some("synthetic".into()),
            };
            let content = release.content_digest();
            batch.append_at(Event::ReleaseCreated(Box::new(release.clone())), at).await?;
            let approver = format!("approver-{}", random.below(20));
            batch
                .append_at(
                    Event::ApprovalRecorded(Box::new(ApprovalRecord {
                        id: uuid::Uuid::now_v7().to_string(),
                        project: project.clone(),
                        version: version.clone(),
                        content,
                        actor: actor(&approver, ActorKind::Human),
                        role: "release-manager".into(),
                        decision: ApprovalDecision::Approve,
                        comment: None,
                    })),
                    at,
                )
                .await?;
            let input = PolicyInput {
                release: signoff_policy::Release {
                    project: project.clone(),
                    version: version.clone(),
                    commit: commit.clone(),
                    artifacts: vec![signoff_policy::Artifact { name: None, digest: artifact }],
                    previous: release.previous.clone(),
                    created_at: at,
                },
                actor: signoff_policy::Actor::new("ci", signoff_policy::ActorKind::Bot),
                evaluated_at: at,
                environment: None,
                evidence: input_evidence,
                findings: input_findings,
                baseline_fingerprints: None,
                changes: Vec::new(),
                changes_unknown: release.changes_note.clone(),
                approvals: vec![signoff_policy::ReleaseApproval {
                    actor: signoff_policy::Actor::new(approver.clone(), signoff_policy::ActorKind::Human),
                    role: "release-manager".into(),
                    decision: signoff_policy::ApprovalDecision::Approve,
                    at,
                    current: true,
                    comment: None,
                }],
                exceptions: Vec::new(),
                triage: Vec::new(),
            };
            let evaluation = signoff_policy::evaluate(&policy.for_project(project.as_str()), &input);
            let certified = evaluation.is_certified();
            let certificate = crate::certify::certificate_record(
                signoff,
                &release,
                &reference,
                &evaluation,
                actor("ci", ActorKind::Bot),
            )?;
            let certificate_id = certificate.id.clone();
            batch.append_at(Event::CertificateIssued(Box::new(certificate)), at).await?;
            // Most releases go to prod; a few go out uncertified.
            if certified || random.below(10) == 0 {
                batch
                    .append_at(
                        Event::DeploymentRecorded(Box::new(DeploymentRecord {
                            id: uuid::Uuid::now_v7().to_string(),
                            project: project.clone(),
                            version: version.clone(),
                            environment: "prod".into(),
                            artifacts: vec![artifact],
                            certificate: certified.then_some(certificate_id),
                            actor: actor(&format!("deployer-{}", random.below(5)), ActorKind::Human),
                            context: context.clone(),
                            problems: if certified {
                                Vec::new()
                            } else {
                                vec!["its latest certificate is rejected for prod".into()]
                            },
                        })),
                        at + time::Duration::minutes(30),
                    )
                    .await?;
                generated.entries += 1;
            }
            generated.entries += 3;
            generated.releases += 1;
            release_index += 1;
        }
        batch.commit(signoff).await?;
        progress(release_index);
    }
    Ok(generated)
}
