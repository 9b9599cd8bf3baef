//! Release certification (D4–D8): gather what the store holds about a release,
//! build the policy input from it (a pure function, `policy_input`), evaluate,
//! and — unless it is a dry run — sign the verdict as an in-toto statement in a
//! DSSE envelope and append it to the ledger.
//!
//! Architecture Invariant: the verdict is computed here from evidence in the store;
//! nothing a caller passes can declare a release compliant. The caller chooses only
//! the release, the environment and, for a dry run, the date and a policy file to
//! predict with. A certificate is issued only under the policy in force for the
//! project (`policy::policy_in_force`: its pin, else the latest published).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use signoff_core::entry::{Event, ReleaseRecord};
use signoff_core::records::{
    Actor, ActorKind, ApprovalRecord, CertificateRecord, Decision, ExceptionTarget, Person, PolicyReference,
};
use signoff_core::{Digest, ReleaseRef};
use signoff_ledger::{Envelope, ResourceDescriptor, Statement};
use signoff_policy::{Evaluation, PolicyInput};
use signoff_store::{EvidenceRow, FindingRow, ReleaseRow, Stored};
use time::OffsetDateTime;

use crate::decide::{ExceptionState, ExceptionView, exceptions};
use crate::error::{AppError, Missing, Refusal};
use crate::home::Signoff;
use crate::ledger::now;
use crate::policy::{ChosenPolicy, choose_policy, parse_file, policy_in_force};
use crate::refuse::Attempt;

/// The predicate type of signoff certification records.
pub const PREDICATE_TYPE: &str = "https://signoff.dev/certification/v1";

/// A certification request.
#[derive(Debug, Clone)]
pub struct CertifyRequest {
    /// The release.
    pub release: ReleaseRef,
    /// A policy file to predict with (`dry_run` only; a real certification
    /// accepts only the policy in force and refuses any other file).
    pub policy: Option<PathBuf>,
    /// The environment to certify for.
    pub environment: Option<String>,
    /// Predict only: evaluate and write nothing.
    pub dry_run: bool,
    /// For a dry run: the time to evaluate at (default now).
    pub at: Option<OffsetDateTime>,
    /// Who certifies.
    pub actor: Actor,
}

/// The outcome of a certification.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Certification {
    /// The release.
    pub release: ReleaseRecord,
    /// The policy used.
    pub policy: PolicyReference,
    /// The evaluation.
    pub evaluation: Evaluation,
    /// True for a dry run (nothing written).
    pub dry_run: bool,
    /// The certificate written, unless a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
    /// Warnings ahead (D7): what will stop meeting the policy within its
    /// `release.warn_ahead_days` (14 unless it says), with the date and the data
    /// behind it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ahead: Vec<String>,
}

impl Certification {
    /// Whether the release is certified (for the requested environment).
    pub fn certified(&self) -> bool {
        self.evaluation.is_certified()
    }
}

/// A certificate in the ledger.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertificateView {
    /// The record.
    #[serde(flatten)]
    pub record: CertificateRecord,
    /// Its ledger entry.
    pub entry: u64,
}

impl From<Stored<CertificateRecord>> for CertificateView {
    fn from(stored: Stored<CertificateRecord>) -> CertificateView {
        CertificateView { record: stored.record, entry: stored.seq }
    }
}

/// Every certificate of a release (all releases of the project when `version` is
/// None; all certificates when both are), oldest first.
pub(crate) async fn certificates(
    signoff: &Signoff,
    project: Option<&str>,
    version: Option<&str>,
) -> Result<Vec<CertificateView>, AppError> {
    let rows = signoff.store.records_of::<CertificateRecord>(project, version).await?;
    Ok(rows.into_iter().map(CertificateView::from).collect())
}

/// What the store holds about one release that a certification looks at, as of a
/// ledger position, gathered by a handful of batched reads (none per row).
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// The release's evidence.
    pub(crate) evidence: Vec<EvidenceRow>,
    /// The findings of that evidence, by evidence entry and file position.
    pub(crate) findings: Vec<FindingRow>,
    /// Fingerprints of the findings of the project's previous certified release,
    /// as it was certified; `None` when there is no such release.
    pub(crate) baseline: Option<Vec<Digest>>,
    /// The project's code-review evidence.
    pub(crate) reviews: Vec<EvidenceRow>,
    /// Approvals of the release.
    pub(crate) approvals: Vec<Stored<ApprovalRecord>>,
    /// Every exception, with its state.
    pub(crate) exceptions: Vec<ExceptionView>,
    /// The latest triage decision for each fingerprint among `findings`.
    pub(crate) triage: Vec<crate::triage::TriageView>,
}

/// Reads the facts of `release` as of ledger entry `upto` (exclusive; `None` =
/// everything).
pub(crate) async fn gather(signoff: &Signoff, release: &ReleaseRecord, upto: Option<u64>) -> Result<Facts, AppError> {
    let before = |seq: u64| upto.is_none_or(|upto| seq < upto);
    let project = release.project.as_str();
    let version = release.version.as_str();
    let store = &signoff.store;

    let evidence: Vec<EvidenceRow> =
        store.release_evidence(release).await?.into_iter().filter(|row| before(row.seq)).collect();
    let findings = store.findings_of(&scans(&evidence)).await?;

    // The baseline: findings of the project's previous certified release.
    let previous_certified = certificates(signoff, Some(project), None).await?.into_iter().rfind(|certificate| {
        before(certificate.entry)
            && certificate.record.version != release.version
            && certificate.record.decision == Decision::Certified
    });
    let mut baseline = None;
    if let Some(previous) = previous_certified
        && let Some(previous_release) = store.release(&previous.record.project, &previous.record.version).await?
    {
        let previous_evidence: Vec<EvidenceRow> = store
            .release_evidence(&previous_release.record)
            .await?
            .into_iter()
            .filter(|row| row.seq < previous.entry)
            .collect();
        let rows = store.findings_of(&scans(&previous_evidence)).await?;
        baseline = Some(rows.into_iter().map(|row| row.finding.fingerprint).collect());
    }

    let reviews = store
        .evidence_of_kind(&release.project, "code_review")
        .await?
        .into_iter()
        .filter(|row| before(row.seq))
        .collect();
    let approvals = store
        .records_of::<ApprovalRecord>(Some(project), Some(version))
        .await?
        .into_iter()
        .filter(|row| before(row.seq))
        .collect();
    let exceptions = exceptions(signoff).await?.into_iter().filter(|view| before(view.entry)).collect();
    let mut latest = crate::triage::latest(signoff, &release.project, upto).await?;
    let mut triage: Vec<crate::triage::TriageView> =
        findings.iter().filter_map(|row| latest.remove(&row.finding.fingerprint)).collect();
    triage.sort_by_key(|view| view.entry);
    Ok(Facts { evidence, findings, baseline, reviews, approvals, exceptions, triage })
}

/// The entries of the evidence rows that hold findings.
fn scans(evidence: &[EvidenceRow]) -> Vec<u64> {
    evidence.iter().filter(|row| row.record.summary.findings.is_some()).map(|row| row.seq).collect()
}

/// What a certification is evaluated for: who asks, when, for which environment.
#[derive(Debug, Clone)]
pub(crate) struct Occasion<'a> {
    /// The certifier.
    pub(crate) actor: &'a Actor,
    /// The time it is evaluated at.
    pub(crate) at: OffsetDateTime,
    /// The environment.
    pub(crate) environment: Option<String>,
}

/// The policy input of a release from its facts. Pure: the same facts give the
/// same input.
///
/// `kind_of` types a reviewer known only by login (the store's actor patterns).
pub(crate) fn policy_input(
    release: &ReleaseRow,
    facts: &Facts,
    occasion: &Occasion<'_>,
    kind_of: &dyn Fn(&str) -> ActorKind,
) -> PolicyInput {
    let record = &release.record;
    let at = occasion.at;
    let mut evidence = Vec::new();
    let mut by_seq: HashMap<u64, usize> = HashMap::new();
    for row in &facts.evidence {
        let item = &row.record;
        by_seq.insert(row.seq, evidence.len());
        evidence.push(signoff_policy::Evidence {
            id: item.id.clone(),
            digest: item.digest,
            kind: item.kind,
            format: item.format,
            tool: item.tool.clone(),
            captured_at: row.captured_at,
            produced_at: item.produced_at.as_deref().and_then(parse_rfc3339),
            // A certification sees everything captured for the release up to it,
            // including what came after an earlier certificate (B4: certifying
            // again is how late evidence counts); replay bounds the facts instead.
            post_certification: false,
            superseded_by: None,
            summary: item.summary.clone(),
        });
    }
    for (earlier, later) in reruns(&facts.evidence) {
        evidence[earlier].superseded_by = Some(facts.evidence[later].record.id.clone());
    }
    let findings = facts
        .findings
        .iter()
        .filter_map(|row| {
            let item = &evidence[*by_seq.get(&row.evidence_seq)?];
            Some(signoff_policy::InputFinding::from_finding(&row.finding, item))
        })
        .collect();

    let content = record.content_digest();
    let approvals = facts
        .approvals
        .iter()
        .map(|approval| signoff_policy::ReleaseApproval {
            actor: (&approval.record.actor).into(),
            role: approval.record.role.clone(),
            decision: approval.record.decision,
            at: approval.at,
            current: approval.record.content == content,
            comment: approval.record.comment.clone(),
        })
        .collect();

    let exceptions = facts
        .exceptions
        .iter()
        .filter(|view| view.covers(&record.project))
        .filter_map(|view| {
            // Expired exceptions are passed on: the policy reports them as such.
            let (Some(approved_by), Some(approved_at)) = (&view.approved_by, view.approved_at) else {
                return None;
            };
            debug_assert!(view.state != ExceptionState::Requested);
            Some(signoff_policy::Exception {
                id: view.record.id.clone(),
                target: match &view.record.target {
                    ExceptionTarget::Finding { fingerprint } => signoff_policy::ExceptionTarget::Finding(*fingerprint),
                    ExceptionTarget::Criterion { id } => signoff_policy::ExceptionTarget::Criterion(id.clone()),
                },
                justification: Some(view.record.reason.clone()),
                requested_by: (&view.record.requested_by).into(),
                approved_by: approved_by.into(),
                approved_at,
                expires_at: view.record.expires_at,
            })
        })
        .collect();

    PolicyInput {
        release: signoff_policy::Release {
            project: record.project.clone(),
            version: record.version.clone(),
            commit: record.commit.clone(),
            artifacts: record
                .artifacts
                .iter()
                .map(|digest| signoff_policy::Artifact { name: None, digest: *digest })
                .collect(),
            previous: record.previous.clone(),
            created_at: release.created_at,
        },
        actor: occasion.actor.into(),
        evaluated_at: at,
        environment: occasion.environment.clone(),
        evidence,
        findings,
        baseline_fingerprints: facts.baseline.clone(),
        changes_unknown: if record.changes.is_empty() { record.changes_note.clone() } else { None },
        changes: changes(record, &facts.reviews, kind_of),
        approvals,
        exceptions,
        triage: facts.triage.iter().map(crate::triage::TriageView::to_input).collect(),
    }
}

/// Re-runs (ARCHITECTURE.md "Re-runs"): of the test reports captured at one
/// commit by one tool under one file name in one pipeline job (its CI job name,
/// when captured in CI), only the latest counts. Returns
/// `(earlier, latest)` index pairs into `evidence` (in ledger order).
pub(crate) fn reruns(evidence: &[EvidenceRow]) -> Vec<(usize, usize)> {
    let mut latest: HashMap<(Option<String>, String, Option<String>), usize> = HashMap::new();
    let mut pairs = Vec::new();
    let mut order: Vec<usize> = (0..evidence.len()).collect();
    order.sort_by_key(|index| evidence[*index].seq);
    for index in order.into_iter().rev() {
        let record = &evidence[index].record;
        if record.kind != signoff_core::EvidenceKind::TestResults || record.summary.tests.is_none() {
            continue;
        }
        let job = record.context.job.clone().filter(|job| !job.is_empty());
        let key = (
            record.commit.as_ref().map(ToString::to_string),
            format!("{}\u{0}{}", record.tool.name.to_lowercase(), record.file_name),
            job,
        );
        match latest.get(&key) {
            Some(later) => pairs.push((index, *later)),
            None => {
                latest.insert(key, index);
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

/// The release's changes with their reviews, from the project's captured
/// pull-request evidence.
fn changes(
    release: &ReleaseRecord,
    reviews: &[EvidenceRow],
    kind_of: &dyn Fn(&str) -> ActorKind,
) -> Vec<signoff_policy::Change> {
    release
        .changes
        .iter()
        .map(|change| {
            let pr_evidence: Vec<&EvidenceRow> = reviews
                .iter()
                .filter(|row| {
                    row.record.summary.reviews.as_ref().is_some_and(|summary| {
                        (change.pr.is_some() && summary.number == change.pr)
                            || summary.merge_commit.as_deref() == Some(change.commit.as_str())
                    })
                })
                .collect();
            let pr_author = pr_evidence
                .iter()
                .find_map(|row| row.record.summary.reviews.as_ref().and_then(|summary| summary.author.clone()));
            let mut author = person_actor(&change.author);
            if let Some(login) = pr_author {
                // On a forge, the pull request's author is who reviewers are compared with.
                author.id = login;
            }
            let mut approvals = Vec::new();
            let mut seen = HashSet::new();
            for row in &pr_evidence {
                for login in row.record.summary.reviews.iter().flat_map(|summary| summary.approvers.iter()) {
                    if seen.insert(login.clone()) {
                        approvals.push(signoff_policy::Review {
                            reviewer: signoff_policy::Actor::new(login.clone(), kind_of(login)),
                            state: signoff_policy::ReviewState::Approved,
                        });
                    }
                }
            }
            signoff_policy::Change {
                // Stored changes carry full commit ids (checked when the release was created).
                commit: signoff_core::CommitSha::new(&change.commit).unwrap_or_else(|_| release.commit.clone()),
                author,
                committer: person_actor(&change.committer),
                co_authors: change.co_authors.iter().map(person_actor).collect(),
                trailers: change
                    .trailers
                    .iter()
                    .map(|(key, value)| signoff_policy::Trailer { key: key.clone(), value: value.clone() })
                    .collect(),
                pr: change.pr,
                signature: signoff_policy::Signature {
                    status: change.signature,
                    kind: change.signature_kind.map(|kind| kind.as_str().to_owned()),
                },
                approvals,
            }
        })
        .collect()
}

/// A git person as the policy compares people: by lowercased email, else name.
fn person_actor(person: &Person) -> signoff_policy::Actor {
    let id = if person.email.is_empty() { person.name.clone() } else { person.email.to_lowercase() };
    signoff_policy::Actor {
        name: Some(person.name.clone()),
        email: (!person.email.is_empty()).then(|| person.email.clone()),
        ..signoff_policy::Actor::new(id, person.kind)
    }
}

fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// Certifies a release (or, with `dry_run`, predicts the outcome).
///
/// # Errors
/// An unknown release, a policy mistake, an environment the policy does not
/// declare, or a store failure. A release that does not meet the policy is not
/// an error: the certificate says `rejected`.
pub async fn certify(signoff: &Signoff, request: CertifyRequest) -> Result<Certification, AppError> {
    let row = signoff.release_row(&request.release).await?;
    if request.at.is_some() && !request.dry_run {
        return Err(AppError::Invalid("--at predicts a future date and needs --dry-run".into()));
    }
    let at = request.at.unwrap_or_else(now);
    let project = &request.release.project;
    let ChosenPolicy { policy, reference } = if request.dry_run {
        choose_policy(signoff, request.policy.as_deref(), project).await?
    } else {
        // D1: a certificate that can open a gate is issued only under the policy
        // in force; a file is accepted only when it is that very policy.
        let in_force = policy_in_force(signoff, project).await?;
        if let Some(path) = request.policy.as_deref() {
            let (file_policy, _, _) = parse_file(path)?;
            if file_policy.digest() != in_force.reference.digest {
                let refusal = Refusal::UnpublishedPolicy { file: path.display().to_string() };
                let attempt = Attempt::on_release("certify", &request.release, &request.actor);
                return Err(signoff.refuse(attempt, refusal).await);
            }
        }
        in_force
    };
    if let Some(environment) = &request.environment
        && !policy.environments().is_empty()
        && !policy.environments().iter().any(|known| known == environment)
    {
        let refusal = Refusal::UndeclaredEnvironment {
            environment: environment.clone(),
            policy: reference.name.clone(),
            declared: policy.environments().join(", "),
        };
        if request.dry_run {
            return Err(refusal.into());
        }
        let attempt = Attempt::on_release("certify", &request.release, &request.actor);
        return Err(signoff.refuse(attempt, refusal).await);
    }
    let facts = gather(signoff, &row.record, None).await?;
    let occasion = Occasion { actor: &request.actor, at, environment: request.environment.clone() };
    let input = policy_input(&row, &facts, &occasion, &|login| signoff.kind_of_login(login));
    let effective = policy.for_project(request.release.project.as_str());
    let evaluation = signoff_policy::evaluate(&effective, &input);
    let ahead = look_ahead(&effective, &input, &evaluation, &facts);
    let certificate = if request.dry_run {
        None
    } else {
        let record = certificate_record(signoff, &row.record, &reference, &evaluation, request.actor)?;
        // G3: with sync destinations configured, the outbox deliveries of the
        // certification's compliance artifacts are written in its transaction.
        let sync = crate::sync::prepare(signoff, &row, None, false).await?;
        let mut batch = signoff.begin_batch().await?;
        let entry = batch.append(Event::CertificateIssued(Box::new(record.clone()))).await?;
        if let Some(sync) = &sync {
            let artifacts = sync.artifacts(&row, &facts, &evaluation, &record, entry.seq)?;
            let deliveries = sync.deliveries(&artifacts)?;
            batch.tx().insert_deliveries(entry.seq, &deliveries).await?;
        }
        batch.commit(signoff).await?;
        Some(CertificateView { record, entry: entry.seq })
    };
    Ok(Certification {
        release: row.record,
        policy: reference,
        evaluation,
        dry_run: request.dry_run,
        certificate,
        ahead,
    })
}

/// What will stop meeting the policy in force within its `release.warn_ahead_days`
/// (D7), for `release show`: a prediction that writes nothing.
///
/// # Errors
/// An unknown release, a policy that no longer parses, or a store failure.
pub async fn ahead(signoff: &Signoff, release: &ReleaseRef) -> Result<Vec<String>, AppError> {
    let request = CertifyRequest {
        release: release.clone(),
        policy: None,
        environment: None,
        dry_run: true,
        at: None,
        // Nobody certifies: an identity that is no one's approval.
        actor: Actor { id: "(release show)".into(), kind: ActorKind::Bot, on_behalf_of: None, source: None },
    };
    Ok(certify(signoff, request).await?.ahead)
}

/// What will change for the worse within the policy's `release.warn_ahead_days`
/// (D7, [`signoff_policy::DEFAULT_WARN_AHEAD_DAYS`] unless it says): the same
/// input evaluated at the horizon, criteria that meet the policy now and will
/// not then (an exception expiring, evidence going stale), exceptions in use that
/// expire before it, and approvals that will stop counting. Each warning names
/// the date and the data behind it.
pub(crate) fn look_ahead(
    policy: &signoff_policy::EffectivePolicy,
    input: &PolicyInput,
    now: &Evaluation,
    facts: &Facts,
) -> Vec<String> {
    let days = i64::try_from(policy.release.warn_ahead_days).unwrap_or(i64::MAX);
    let horizon = input.evaluated_at + time::Duration::days(days);
    let date = |at: OffsetDateTime| at.date().to_string();
    let mut warnings = Vec::new();
    for view in &facts.exceptions {
        if now.exceptions_used.contains(&view.record.id)
            && view.record.expires_at > input.evaluated_at
            && view.record.expires_at <= horizon
        {
            warnings.push(format!(
                "exception {} ({}) expires {}; the release relies on it",
                view.record.id,
                view.record.reason,
                date(view.record.expires_at)
            ));
        }
    }
    let later = signoff_policy::evaluate(policy, &PolicyInput { evaluated_at: horizon, ..input.clone() });
    for result in &now.criteria {
        let Some(then) = later.criteria.iter().find(|then| then.id == result.id) else {
            continue;
        };
        if result.status != signoff_core::records::CriterionStatus::Fail
            && then.status == signoff_core::records::CriterionStatus::Fail
        {
            let label = if then.blocking { "will fail" } else { "will warn" };
            warnings.push(format!(
                "{} {label} by {}: {} (expected {})",
                result.id,
                date(horizon),
                then.actual,
                then.expected
            ));
        }
    }
    warnings
}

/// The signed certificate record for an evaluation: an in-toto Statement whose
/// subjects are the release's artifacts and commit, in a DSSE envelope.
pub(crate) fn certificate_record(
    signoff: &Signoff,
    release: &ReleaseRecord,
    reference: &PolicyReference,
    evaluation: &Evaluation,
    certifier: Actor,
) -> Result<CertificateRecord, AppError> {
    let id = uuid::Uuid::now_v7().to_string();
    let decision = if evaluation.is_certified() { Decision::Certified } else { Decision::Rejected };
    let environments: BTreeMap<String, Decision> =
        evaluation.environments.iter().map(|(name, decision)| (name.clone(), *decision)).collect();
    let mut subject: Vec<ResourceDescriptor> =
        release.artifacts.iter().map(|digest| ResourceDescriptor::sha256(None, digest)).collect();
    subject.push(ResourceDescriptor {
        name: Some(format!("{}@{}", release.project, release.version)),
        digest: BTreeMap::from([("gitCommit".to_owned(), release.commit.to_string())]),
    });
    let time = crate::request::rfc3339(evaluation.evaluated_at);
    let predicate = serde_json::json!({
        "certificate": id,
        "decision": decision,
        "environments": environments,
        "release": {
            "project": release.project,
            "version": release.version,
            "commit": release.commit,
            "artifacts": release.artifacts,
            "content": release.content_digest(),
        },
        "policy": reference,
        "evidence": evaluation.evidence_digests,
        "criteria": evaluation.criteria,
        "exceptions_used": evaluation.exceptions_used,
        "evaluation": evaluation,
        "certifier": certifier,
        "time": time,
    });
    let unsigned = |source: signoff_ledger::StatementError| AppError::Unverifiable {
        what: format!("the certificate of {}@{}", release.project, release.version),
        source: Box::new(source),
    };
    let statement = Statement::new(subject, PREDICATE_TYPE, predicate).map_err(unsigned)?;
    let payload = statement.to_payload().map_err(unsigned)?;
    let envelope = Envelope::sign(signoff_ledger::statement::PAYLOAD_TYPE, &payload, &signoff.key);
    Ok(CertificateRecord {
        id,
        project: release.project.clone(),
        version: release.version.clone(),
        commit: release.commit.to_string(),
        artifacts: release.artifacts.clone(),
        decision,
        environments,
        policy: reference.clone(),
        envelope: envelope.to_json(),
        statement_digest: Digest::of(&payload),
        evaluated_at: evaluation.evaluated_at,
        certifier,
    })
}

/// The evidence a certification was decided on (B4): exactly the digests its
/// certificate names. Anything else attached to the release was captured after it.
///
/// # Errors
/// As [`open_certificate`].
pub(crate) fn sealed_evidence(
    signoff: &Signoff,
    view: &CertificateView,
) -> Result<std::collections::HashSet<Digest>, AppError> {
    Ok(open_certificate(signoff, view)?.1.evidence_digests.into_iter().collect())
}

/// A release's certificate checked: the envelope verifies with this store's key,
/// carries our predicate type, and its evaluation reads back.
pub(crate) fn open_certificate(signoff: &Signoff, view: &CertificateView) -> Result<(Statement, Evaluation), AppError> {
    let unverifiable = |source: Box<dyn std::error::Error + Send + Sync>| AppError::Unverifiable {
        what: format!(
            "certificate {} of {}@{} (ledger entry {})",
            view.record.id, view.record.project, view.record.version, view.entry
        ),
        source,
    };
    let envelope = Envelope::from_json(view.record.envelope.as_bytes()).map_err(|error| unverifiable(error.into()))?;
    let statement =
        Statement::from_envelope(&envelope, &signoff.public_key()).map_err(|error| unverifiable(error.into()))?;
    if statement.predicate_type() != PREDICATE_TYPE {
        return Err(unverifiable(format!("unexpected predicate type {}", statement.predicate_type()).into()));
    }
    let evaluation: Evaluation = serde_json::from_value(statement.predicate()["evaluation"].clone())
        .map_err(|error| unverifiable(error.into()))?;
    Ok((statement, evaluation))
}

/// The latest certificate of a release.
///
/// # Errors
/// [`Missing::Certificate`] when the release was never certified.
pub async fn certificate_of(signoff: &Signoff, release: &ReleaseRef) -> Result<CertificateView, AppError> {
    if let Some(view) =
        certificates(signoff, Some(release.project.as_str()), Some(release.version.as_str())).await?.pop()
    {
        return Ok(view);
    }
    // No certificate of a release that does not exist either: say which is missing.
    if signoff.store.release(&release.project, &release.version).await?.is_none() {
        return Err(Missing::Release(release.clone()).into());
    }
    Err(Missing::Certificate(release.clone()).into())
}

#[cfg(test)]
mod tests {
    use signoff_core::context::CiContext;
    use signoff_core::entry::{EvidenceRecord, FindingsCommitment};
    use signoff_core::records::{ApprovalDecision, ChangeRecord, ExceptionRecord, SignatureKind, SignatureStatus};
    use signoff_core::summary::{FindingCounts, Reviews};
    use signoff_core::{
        CommitSha, EvidenceKind, Finding, Format, Location, ProjectName, ReleaseVersion, Severity, Summary, Tool,
    };
    use time::macros::datetime;

    use super::*;
    use crate::decide::ExceptionState;

    fn actor(id: &str, kind: ActorKind) -> Actor {
        Actor { id: id.into(), kind, on_behalf_of: None, source: None }
    }

    fn person(name: &str, email: &str) -> Person {
        Person { name: name.into(), email: email.into(), kind: ActorKind::Human }
    }

    fn release() -> ReleaseRow {
        ReleaseRow {
            seq: 10,
            created_at: datetime!(2026-11-01 09:00:00 UTC),
            record: ReleaseRecord {
                id: "rel".into(),
                project: ProjectName::new("shop").unwrap(),
                version: ReleaseVersion::new("2.0").unwrap(),
                commit: CommitSha::new(&"c".repeat(40)).unwrap(),
                artifacts: vec![Digest::of(b"image")],
                previous: None,
                actor: None,
                context: CiContext::default(),
                changes: vec![ChangeRecord {
                    commit: "d".repeat(40),
                    summary: "fix rounding".into(),
                    author: person("Dana Dev", "Dana@Example.com"),
                    committer: person("Dana Dev", "dana@example.com"),
                    co_authors: vec![],
                    trailers: vec![],
                    pr: Some(12),
                    merge: false,
                    signature: SignatureStatus::Verified,
                    signature_kind: Some(SignatureKind::Ssh),
                    agents: vec![],
                }],
                changes_note: None,
            },
        }
    }

    fn evidence(seq: u64, kind: EvidenceKind, summary: Summary) -> EvidenceRow {
        EvidenceRow {
            seq,
            captured_at: datetime!(2026-11-01 08:00:00 UTC),
            record: EvidenceRecord {
                id: format!("ev-{seq}"),
                project: ProjectName::new("shop").unwrap(),
                commit: None,
                release: None,
                kind,
                format: Format::Sarif,
                tool: Tool { name: format!("tool-{seq}"), version: None },
                file_name: "file".into(),
                digest: Digest::of(seq.to_string().as_bytes()),
                size: 1,
                original_digest: None,
                redacted: 0,
                summary,
                findings: FindingsCommitment { count: 0, digest: Digest::of(b"") },
                context: CiContext::default(),
                produced_at: Some("2026-11-01T07:59:00Z".into()),
                delivery: None,
                target: None,
            },
        }
    }

    fn review(seq: u64, number: u64, author: &str, approvers: &[&str]) -> EvidenceRow {
        let reviews = Reviews {
            approved: approvers.len() as u64,
            number: Some(number),
            author: Some(author.into()),
            approvers: approvers.iter().map(|login| (*login).to_owned()).collect(),
            ..Reviews::default()
        };
        evidence(seq, EvidenceKind::CodeReview, Summary { reviews: Some(reviews), ..Summary::default() })
    }

    fn finding(rule: &str) -> Finding {
        Finding {
            fingerprint: Digest::of(rule.as_bytes()),
            rule_id: rule.into(),
            severity: Severity::High,
            title: rule.into(),
            location: Location::default(),
            cve: vec![],
            cwe: vec![],
            package: None,
            package_version: None,
            suppressed: false,
        }
    }

    fn exception(id: &str, project: Option<&str>, approved: bool) -> ExceptionView {
        ExceptionView {
            record: ExceptionRecord {
                id: id.into(),
                project: project.map(|name| ProjectName::new(name).unwrap()),
                target: ExceptionTarget::Criterion { id: "coverage".into() },
                reason: "tooling outage this week".into(),
                requested_by: actor("alice", ActorKind::Human),
                expires_at: datetime!(2026-12-31 23:59:59 UTC),
            },
            entry: 3,
            state: if approved { ExceptionState::Approved } else { ExceptionState::Requested },
            approved_by: approved.then(|| actor("bob", ActorKind::Human)),
            approved_at: approved.then_some(datetime!(2026-10-01 00:00:00 UTC)),
        }
    }

    fn approval(content: Digest, who: &str) -> Stored<ApprovalRecord> {
        Stored {
            seq: 11,
            at: datetime!(2026-11-01 10:00:00 UTC),
            record: ApprovalRecord {
                id: format!("ap-{who}"),
                project: ProjectName::new("shop").unwrap(),
                version: ReleaseVersion::new("2.0").unwrap(),
                content,
                actor: actor(who, ActorKind::Human),
                role: "release-manager".into(),
                decision: ApprovalDecision::Approve,
                comment: None,
            },
        }
    }

    fn input(facts: &Facts) -> PolicyInput {
        let certifier = actor("ci", ActorKind::Bot);
        let occasion = Occasion { actor: &certifier, at: datetime!(2026-11-02 00:00:00 UTC), environment: None };
        let kind_of = |login: &str| if login.ends_with("[bot]") { ActorKind::Bot } else { ActorKind::Human };
        policy_input(&release(), facts, &occasion, &kind_of)
    }

    #[test]
    fn findings_go_with_their_evidence_and_stale_approvals_do_not_count() {
        let scan =
            evidence(4, EvidenceKind::Sast, Summary { findings: Some(FindingCounts::default()), ..Summary::default() });
        let facts = Facts {
            findings: vec![
                FindingRow { evidence_seq: 4, ordinal: 0, finding: finding("B602") },
                // A finding of evidence the release does not hold is not the release's.
                FindingRow { evidence_seq: 99, ordinal: 0, finding: finding("elsewhere") },
            ],
            evidence: vec![scan],
            approvals: vec![
                approval(release().record.content_digest(), "carol"),
                approval(Digest::of(b"earlier content"), "erin"),
            ],
            ..Facts::default()
        };
        let input = input(&facts);
        assert_eq!(input.findings.len(), 1);
        assert_eq!((input.findings[0].rule_id.as_str(), input.findings[0].tool.as_str()), ("B602", "tool-4"));
        assert_eq!(input.evidence[0].produced_at, Some(datetime!(2026-11-01 07:59:00 UTC)));
        let current: Vec<(&str, bool)> =
            input.approvals.iter().map(|approval| (approval.actor.id.as_str(), approval.current)).collect();
        assert_eq!(current, [("carol", true), ("erin", false)]);
        assert_eq!(input.release.created_at, datetime!(2026-11-01 09:00:00 UTC));
        assert_eq!(input.actor.kind, ActorKind::Bot);
    }

    #[test]
    fn reviews_come_from_the_pull_request_and_its_author_is_who_reviewers_are_compared_with() {
        let facts = Facts {
            reviews: vec![
                review(5, 12, "dana-gh", &["bob", "renovate[bot]"]),
                review(6, 12, "dana-gh", &["bob", "carol"]),
                review(7, 13, "someone", &["mallory"]),
            ],
            ..Facts::default()
        };
        let change = &input(&facts).changes[0];
        assert_eq!(change.author.id, "dana-gh");
        assert_eq!(change.committer.id, "dana@example.com", "people are compared by lowercased email");
        let reviewers: Vec<(&str, ActorKind)> =
            change.approvals.iter().map(|review| (review.reviewer.id.as_str(), review.reviewer.kind)).collect();
        assert_eq!(
            reviewers,
            [("bob", ActorKind::Human), ("renovate[bot]", ActorKind::Bot), ("carol", ActorKind::Human)]
        );
        assert_eq!(change.signature.status, SignatureStatus::Verified);
        assert_eq!(change.signature.kind.as_deref(), Some("ssh"));
    }

    #[test]
    fn only_approved_exceptions_of_the_project_or_of_all_projects_are_passed_on() {
        let facts = Facts {
            exceptions: vec![
                exception("EXC-1", Some("shop"), true),
                exception("EXC-2", None, true),
                exception("EXC-3", Some("billing"), true),
                exception("EXC-4", Some("shop"), false),
            ],
            ..Facts::default()
        };
        let ids: Vec<String> = input(&facts).exceptions.into_iter().map(|exception| exception.id).collect();
        assert_eq!(ids, ["EXC-1", "EXC-2"]);
    }
}
