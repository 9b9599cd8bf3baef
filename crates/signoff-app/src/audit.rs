//! Answering the auditor (B2, E2, F1): the release trace, control coverage, the
//! standard questions and search.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;
use signoff_controls::{CoverageFacts, CoverageInput, EvidenceItem, EvidenceType};
use signoff_core::entry::{EventKind, Recorded, ReleaseRecord};
use signoff_core::records::{
    ActorKind, ApprovalRecord, CertificateRecord, Decision, DeploymentRecord, ExceptionTarget, RevocationRecord,
    SnapshotRecord,
};
use signoff_core::{EvidenceKind, ProjectName, ReleaseRef, Severity};
use signoff_report::model as report;
use signoff_store::{EvidenceHit, EvidenceQuery, EvidenceRow, RecordQuery, ReleaseRow};

use crate::certify::{CertificateView, certificates, open_certificate};
use crate::decide::exceptions;
use crate::error::AppError;
use crate::home::Signoff;
use crate::ledger::now;
use crate::request::{Period, rfc3339};

mod questions;

pub use questions::{
    Answer, Question, ReleaseStatus, SCANS_COLUMNS, SEARCH_COLUMNS, Search, ask, ask_limited, population,
    scans_for_period_each, search, search_each,
};

fn decision_of(certificate: Option<&CertificateView>) -> report::Decision {
    match certificate.map(|view| view.record.decision) {
        Some(Decision::Certified) => report::Decision::Certified,
        Some(Decision::Rejected) => report::Decision::Rejected,
        None => report::Decision::NotCertified,
    }
}

/// Approvers per pull request number and per merge commit, from a project's
/// captured code-review evidence.
async fn reviews_by_change(signoff: &Signoff, project: &ProjectName) -> Result<HashMap<String, Vec<String>>, AppError> {
    let mut reviews: HashMap<String, Vec<String>> = HashMap::new();
    for row in signoff.store.evidence_of_kind(project, "code_review").await? {
        let Some(summary) = &row.record.summary.reviews else { continue };
        let mut keys = Vec::new();
        if let Some(number) = summary.number {
            keys.push(format!("#{number}"));
        }
        if let Some(commit) = &summary.merge_commit {
            keys.push(commit.clone());
        }
        for key in keys {
            let approvers = reviews.entry(key).or_default();
            for login in &summary.approvers {
                if !approvers.contains(login) {
                    approvers.push(login.clone());
                }
            }
        }
    }
    Ok(reviews)
}

fn change_reviewers(reviews: &HashMap<String, Vec<String>>, commit: &str, pr: Option<u64>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for key in pr.map(|number| format!("#{number}")).into_iter().chain(std::iter::once(commit.to_owned())) {
        for login in reviews.get(&key).into_iter().flatten() {
            if !found.contains(login) {
                found.push(login.clone());
            }
        }
    }
    found
}

/// The coverage input of a set of evidence, with the facts signoff holds.
fn coverage_input(evidence: &[EvidenceRow], release: Option<&str>, facts: CoverageFacts) -> CoverageInput {
    let items = evidence
        .iter()
        .filter_map(|row| {
            let record = &row.record;
            let kind = EvidenceType::from_kind(record.kind)?;
            let passed = match (&record.summary.tests, &record.summary.findings) {
                (Some(tests), _) => Some(tests.failed + tests.errored == 0),
                _ => None,
            };
            Some(EvidenceItem {
                kind,
                digest: record.digest,
                tool: record.tool.name.clone(),
                captured_at: rfc3339(row.captured_at),
                release: release.map(str::to_owned),
                passed,
            })
        })
        .collect();
    CoverageInput { evidence: items, facts }
}

/// Which evidence coverage is computed over.
#[derive(Debug, Clone, Default)]
pub struct CoverageScope {
    /// One release.
    pub release: Option<ReleaseRef>,
    /// Or the releases created in a period.
    pub period: Period,
    /// Only this project.
    pub project: Option<ProjectName>,
}

/// Control coverage of the frameworks asked for (all in force when empty).
///
/// # Errors
/// An unknown framework or release.
pub async fn coverage(
    signoff: &Signoff,
    frameworks: &[String],
    scope: &CoverageScope,
) -> Result<Vec<signoff_controls::Coverage>, AppError> {
    let catalog = signoff.catalog()?;
    let frameworks = if frameworks.is_empty() { signoff.frameworks()? } else { frameworks.to_vec() };
    let releases: Vec<ReleaseRow> = match &scope.release {
        Some(release) => vec![signoff.release_row(release).await?],
        None => {
            let (from, to) = scope.period.bounds();
            let project = scope.project.as_ref().map(ProjectName::as_str);
            signoff.store.releases_between(project, from.as_deref(), to.as_deref()).await?
        }
    };
    let mut input = CoverageInput::default();
    // Each project's code reviews are read once, not once per release.
    let mut reviews: HashMap<ProjectName, HashMap<String, Vec<String>>> = HashMap::new();
    for release in &releases {
        let name = format!("{}@{}", release.record.project, release.record.version);
        let project = &release.record.project;
        if !reviews.contains_key(project) {
            reviews.insert(project.clone(), reviews_by_change(signoff, project).await?);
        }
        let facts = release_facts(signoff, &release.record, &reviews[project]).await?;
        let evidence = signoff.store.release_evidence(&release.record).await?;
        let part = coverage_input(&evidence, Some(&name), facts);
        input.evidence.extend(part.evidence);
        merge_facts(&mut input.facts, part.facts);
    }
    // Each piece of evidence once (releases at one commit share it, a file
    // captured twice is one piece), each fact once.
    let mut seen = std::collections::HashSet::new();
    input.evidence.retain(|item| seen.insert(item.digest));
    for list in [&mut input.facts.approvals, &mut input.facts.reviews, &mut input.facts.exceptions] {
        let mut seen = std::collections::HashSet::new();
        list.retain(|item| seen.insert(item.clone()));
    }
    input.facts.ledger_checkpoint = signoff.store.latest_checkpoint().await?.map(|checkpoint| {
        format!("ledger size {}, root {}", checkpoint.size, signoff_core::Digest::from_bytes(checkpoint.root))
    });
    Ok(signoff_controls::coverage_all(&catalog, &frameworks, &input)?)
}

fn merge_facts(into: &mut CoverageFacts, from: CoverageFacts) {
    if into.certificate.is_none() {
        into.certificate = from.certificate;
    }
    into.approvals.extend(from.approvals);
    into.reviews.extend(from.reviews);
    into.exceptions.extend(from.exceptions);
}

/// What signoff itself holds about a release that counts as evidence.
async fn release_facts(
    signoff: &Signoff,
    release: &ReleaseRecord,
    reviews: &HashMap<String, Vec<String>>,
) -> Result<CoverageFacts, AppError> {
    let project = release.project.as_str();
    let version = release.version.as_str();
    let mut facts = CoverageFacts::default();
    let latest = certificates(signoff, Some(project), Some(version)).await?.pop();
    if let Some(certificate) = &latest
        && certificate.record.decision == Decision::Certified
    {
        facts.certificate = Some(certificate.record.statement_digest);
    }
    for row in signoff.store.records_of::<ApprovalRecord>(Some(project), Some(version)).await? {
        let record = row.record;
        if record.content == release.content_digest() {
            facts.approvals.push(format!("{} approved as {} (entry {})", record.actor.id, record.role, row.seq));
        }
    }
    for change in &release.changes {
        let reviewers = change_reviewers(reviews, &change.commit, change.pr);
        if !reviewers.is_empty() {
            facts.reviews.push(format!("{} reviewed by {}", &change.commit[..12], reviewers.join(", ")));
        }
    }
    // The release's own exceptions: those its latest certificate applied.
    if let Some(certificate) = &latest
        && let Ok((_, evaluation)) = crate::certify::open_certificate(signoff, certificate)
    {
        facts.exceptions.extend(evaluation.exceptions_used);
        facts.exceptions.extend(evaluation.triage_used);
    }
    Ok(facts)
}

/// The reviews of a release's changes (`<commit> reviewed by a, b`), from the
/// project's code-review evidence before ledger entry `upto` (all when `None`).
pub(crate) async fn release_reviews(
    signoff: &Signoff,
    release: &ReleaseRecord,
    upto: Option<u64>,
) -> Result<Vec<String>, AppError> {
    let mut reviews: HashMap<String, Vec<String>> = HashMap::new();
    for row in signoff.store.evidence_of_kind(&release.project, "code_review").await? {
        if upto.is_some_and(|upto| row.seq >= upto) {
            continue;
        }
        let Some(summary) = &row.record.summary.reviews else { continue };
        let keys = summary.number.map(|number| format!("#{number}")).into_iter().chain(summary.merge_commit.clone());
        for key in keys {
            let approvers = reviews.entry(key).or_default();
            for login in &summary.approvers {
                if !approvers.contains(login) {
                    approvers.push(login.clone());
                }
            }
        }
    }
    let mut found = Vec::new();
    for change in &release.changes {
        let reviewers = change_reviewers(&reviews, &change.commit, change.pr);
        if !reviewers.is_empty() {
            found.push(format!(
                "{} reviewed by {}",
                &change.commit[..12.min(change.commit.len())],
                reviewers.join(", ")
            ));
        }
    }
    Ok(found)
}

/// The release trace (B2): every change and who reviewed it, the scans with their
/// results, tests, coverage, exceptions, approvals, the certification and every
/// deployment, with the ledger facts to verify it by.
///
/// # Errors
/// An unknown release, or a certificate that does not verify.
pub async fn trace(signoff: &Signoff, release: &ReleaseRef) -> Result<report::TraceReport, AppError> {
    let row = signoff.release_row(release).await?;
    let record = &row.record;
    let project = record.project.as_str();
    let version = record.version.as_str();
    let certificate = certificates(signoff, Some(project), Some(version)).await?.pop();
    let actor = |id: &str, kind| report::Actor { id: id.to_owned(), kind };

    let reviews = reviews_by_change(signoff, &record.project).await?;
    let changes = record
        .changes
        .iter()
        .map(|change| report::Change {
            commit: change.commit.clone(),
            summary: change.summary.clone(),
            author: actor(&format!("{} <{}>", change.author.name, change.author.email), change.author.kind),
            co_authors: change
                .co_authors
                .iter()
                .map(|person| actor(&format!("{} <{}>", person.name, person.email), person.kind))
                .collect(),
            pr: change.pr,
            signature: change.signature.to_string(),
            reviewers: change_reviewers(&reviews, &change.commit, change.pr)
                .into_iter()
                .map(|login| report::Reviewer {
                    kind: signoff.kind_of_login(&login),
                    id: login,
                    state: "approved".into(),
                })
                .collect(),
        })
        .collect();

    let evidence = signoff.store.release_evidence(record).await?;
    let scan_entries: Vec<u64> =
        evidence.iter().filter(|row| row.record.summary.findings.is_some()).map(|row| row.seq).collect();
    let mut findings_by_scan: HashMap<u64, Vec<signoff_core::Finding>> = HashMap::new();
    for found in signoff.store.findings_of(&scan_entries).await? {
        findings_by_scan.entry(found.evidence_seq).or_default().push(found.finding);
    }
    // B4: evidence at certification is exactly what the certificate names;
    // anything else attached to the release came after it.
    let named = certificate.as_ref().map(|view| crate::certify::sealed_evidence(signoff, view)).transpose()?;
    let after = |digest: &signoff_core::Digest| named.as_ref().is_some_and(|named| !named.contains(digest));
    // D3: the latest triage decision about each of the release's findings.
    let decisions = crate::triage::latest(signoff, &record.project, None).await?;
    let mut triage_lines: Vec<report::TriageLine> = Vec::new();
    let mut scans = Vec::new();
    let mut tests = Vec::new();
    let mut coverage_runs = Vec::new();
    for row in &evidence {
        let item = &row.record;
        if let Some(counts) = &item.summary.findings {
            let mut findings = findings_by_scan.remove(&row.seq).unwrap_or_default();
            findings.sort_by_key(|finding| std::cmp::Reverse(finding.severity));
            for finding in &findings {
                if let Some(view) = decisions.get(&finding.fingerprint)
                    && !triage_lines.iter().any(|line| line.id == view.record.id)
                {
                    triage_lines.push(triage_line(view, finding));
                }
            }
            scans.push(report::Scan {
                tool: item.tool.name.clone(),
                kind: item.kind.to_string(),
                digest: item.digest.to_string(),
                captured_at: rfc3339(row.captured_at),
                summary: report::SeverityCounts {
                    critical: counts.critical,
                    high: counts.high,
                    medium: counts.medium,
                    low: counts.low,
                    info: counts.info,
                },
                passed: None,
                findings_total: counts.total,
                captured_after_certification: after(&item.digest),
                findings: findings
                    .iter()
                    .take(25)
                    .map(|finding| report::FindingLine {
                        severity: finding.severity.to_string(),
                        rule: finding.rule_id.clone(),
                        title: finding.title.clone(),
                        location: match (&finding.location.path, finding.location.start_line, &finding.package) {
                            (Some(path), Some(line), _) => Some(format!("{path}:{line}")),
                            (Some(path), None, _) => Some(path.clone()),
                            (None, _, Some(package)) => Some(package.clone()),
                            _ => None,
                        },
                        status: match decisions.get(&finding.fingerprint) {
                            Some(view) => Some(crate::findings::TriageMark::from(view).label()),
                            None => finding.suppressed.then(|| "suppressed".to_owned()),
                        },
                    })
                    .collect(),
            });
        }
        if let Some(counts) = &item.summary.tests {
            tests.push(report::TestRun {
                tool: item.tool.name.clone(),
                digest: item.digest.to_string(),
                captured_at: rfc3339(row.captured_at),
                counts: report::TestCounts {
                    passed: counts.passed,
                    failed: counts.failed + counts.errored,
                    skipped: counts.skipped,
                },
                captured_after_certification: after(&item.digest),
            });
        }
        if let Some(coverage) = &item.summary.coverage {
            coverage_runs.push(report::CoverageRun {
                tool: item.tool.name.clone(),
                digest: item.digest.to_string(),
                captured_at: rfc3339(row.captured_at),
                line_rate: coverage.line_rate,
                branch_rate: coverage.branch_rate,
                captured_after_certification: after(&item.digest),
            });
        }
    }

    let frameworks = signoff.frameworks()?;
    let catalog = signoff.catalog()?;
    let facts = release_facts(signoff, record, &reviews_by_change(signoff, &record.project).await?).await?;
    let name = release.to_string();
    let controls =
        signoff_controls::coverage_all(&catalog, &frameworks, &coverage_input(&evidence, Some(&name), facts))?
            .iter()
            .map(report::FrameworkCoverage::from)
            .collect();

    let exception_lines = exceptions(signoff)
        .await?
        .into_iter()
        .filter(|view| view.covers(&record.project))
        .map(|view| report::ExceptionLine {
            id: view.record.id.clone(),
            target: match &view.record.target {
                ExceptionTarget::Finding { fingerprint } => format!("finding {fingerprint}"),
                ExceptionTarget::Criterion { id } => format!("criterion {id}"),
            },
            reason: view.record.reason.clone(),
            requested_by: view.record.requested_by.id.clone(),
            approved_by: view.approved_by.as_ref().map(|approver| approver.id.clone()),
            expires_at: rfc3339(view.record.expires_at),
            status: view.state.as_str().to_owned(),
        })
        .collect();

    let mut approvals = Vec::new();
    for approval in signoff.store.records_of::<ApprovalRecord>(Some(project), Some(version)).await? {
        let parsed = approval.record;
        approvals.push(report::Approval {
            actor: actor(&parsed.actor.id, parsed.actor.kind),
            role: parsed.role,
            decision: match parsed.decision {
                signoff_core::records::ApprovalDecision::Approve => "approve".into(),
                signoff_core::records::ApprovalDecision::Reject => "reject".into(),
            },
            at: rfc3339(approval.at),
            comment: parsed.comment,
        });
    }

    let certificate_report = match &certificate {
        Some(view) => Some(certificate_line(signoff, view)?),
        None => None,
    };
    let mut deployments = Vec::new();
    for deployment in signoff.store.records_of::<DeploymentRecord>(Some(project), Some(version)).await? {
        let parsed = deployment.record;
        deployments.push(report::Deployment {
            environment: parsed.environment,
            at: rfc3339(deployment.at),
            actor: actor(&parsed.actor.id, parsed.actor.kind),
            certificate: parsed.certificate,
        });
    }

    Ok(report::TraceReport {
        generated_at: rfc3339(now()),
        release: report::TraceRelease {
            project: project.to_owned(),
            version: version.to_owned(),
            commit: record.commit.to_string(),
            previous: record.previous.as_ref().map(ToString::to_string),
            created_at: rfc3339(row.created_at),
            artifacts: record
                .artifacts
                .iter()
                .map(|digest| report::Artifact { name: None, digest: digest.to_string() })
                .collect(),
            decision: decision_of(certificate.as_ref()),
        },
        changes,
        scans,
        tests,
        coverage: coverage_runs,
        controls,
        exceptions: exception_lines,
        triage: {
            triage_lines.sort_by_key(|line| line.id.trim_start_matches("TRI-").parse::<u64>().unwrap_or(u64::MAX));
            triage_lines
        },
        approvals,
        certificate: certificate_report,
        deployments,
        ledger: ledger_facts(signoff, record).await?,
    })
}

fn triage_line(view: &crate::triage::TriageView, finding: &signoff_core::Finding) -> report::TriageLine {
    let mut title = format!("{} {}: {}", finding.severity, finding.rule_id, finding.title);
    if let Some(path) = &finding.location.path {
        title.push_str(&format!(" at {path}"));
    } else if let Some(package) = &finding.package {
        title.push_str(&format!(" in {package}"));
    }
    report::TriageLine {
        id: view.record.id.clone(),
        finding: view.record.fingerprint.to_string(),
        title,
        disposition: view.record.disposition.to_string(),
        justification: view.record.justification.map(|justification| justification.to_string()),
        reason: view.record.reason.clone(),
        requested_by: view.record.requested_by.id.clone(),
        approved_by: view.approved_by.as_ref().map(|approver| approver.id.clone()),
        expires_at: view.record.expires_at.map(rfc3339),
        status: view.state.as_str().to_owned(),
    }
}

fn certificate_line(signoff: &Signoff, view: &CertificateView) -> Result<report::Certificate, AppError> {
    let (_, evaluation) = open_certificate(signoff, view)?;
    Ok(report::Certificate {
        decision: decision_of(Some(view)),
        policy: report::PolicyLine {
            name: view.record.policy.name.clone(),
            version: view.record.policy.version,
            digest: view.record.policy.digest.to_string(),
        },
        evaluated_at: rfc3339(view.record.evaluated_at),
        certifier: Some(view.record.certifier.id.clone()),
        criteria: evaluation
            .criteria
            .iter()
            .map(|result| report::Criterion {
                id: result.id.clone(),
                title: result.title.clone(),
                status: result.status,
                blocking: result.blocking,
                expected: result.expected.clone(),
                actual: result.actual.clone(),
                fix: result.fix.clone(),
                exceptions: result.exceptions.clone(),
            })
            .collect(),
        envelope_digest: signoff_core::Digest::of(view.record.envelope.as_bytes()).to_string(),
        statement_digest: Some(view.record.statement_digest.to_string()),
    })
}

/// The ledger facts of a release: the latest checkpoint and the entries about it.
async fn ledger_facts(signoff: &Signoff, release: &ReleaseRecord) -> Result<report::Ledger, AppError> {
    let checkpoint = signoff.store.latest_checkpoint().await?;
    let mut entries = Vec::new();
    let (project, version) = (release.project.as_str(), release.version.as_str());
    let mut seqs: Vec<(u64, String, String)> = Vec::new();
    if let Some(row) = signoff.store.release(&release.project, &release.version).await? {
        seqs.push((row.seq, EventKind::ReleaseCreated.to_string(), format!("{project}@{version}")));
    }
    for row in signoff.store.release_evidence(release).await? {
        let subject = format!("{} {}", row.record.tool.name, row.record.file_name);
        seqs.push((row.seq, EventKind::EvidenceCaptured.to_string(), subject));
    }
    let query = RecordQuery { project: Some(project), version: Some(version), ..RecordQuery::default() };
    for kind in [ApprovalRecord::KIND, CertificateRecord::KIND, DeploymentRecord::KIND, RevocationRecord::KIND] {
        for row in signoff.store.find_records(kind, &query).await? {
            seqs.push((row.seq, kind.to_string(), row.subject.clone().or(row.status.clone()).unwrap_or_default()));
        }
    }
    seqs.sort_by_key(|(seq, _, _)| *seq);
    for (seq, event, subject) in seqs {
        let leaf = signoff
            .store
            .leaf_hashes(seq, 1)
            .await?
            .first()
            .map(|hash| signoff_core::Digest::from_bytes(*hash).to_string());
        entries.push(report::LedgerEntry { seq, event, subject, leaf_hash: leaf.unwrap_or_default() });
    }
    Ok(report::Ledger {
        size: checkpoint.as_ref().map_or(0, |checkpoint| checkpoint.size),
        root: checkpoint
            .as_ref()
            .map(|checkpoint| signoff_core::Digest::from_bytes(checkpoint.root).to_string())
            .unwrap_or_default(),
        checkpoint: checkpoint.map(|checkpoint| checkpoint.note).unwrap_or_default(),
        public_key: signoff.verifier().ok().map(|verifier| verifier.to_text()),
        entries,
    })
}
