//! Release certification (D4–D8): build the policy input from what the store holds,
//! evaluate, and — unless it is a dry run — sign the verdict as an in-toto
//! statement in a DSSE envelope and append it to the ledger.
//!
//! Architecture Invariant: the verdict is computed here from evidence in the store;
//! nothing a caller passes can declare a release compliant. The caller chooses only
//! the release, the policy file (recorded by digest), the environment and, for a
//! dry run, the date.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;
use signoff_core::entry::{Event, ReleaseRecord};
use signoff_core::records::{
    Actor, ActorKind, ApprovalDecision, ApprovalRecord, CertificateRecord, ExceptionTarget, PolicyReference,
};
use signoff_core::{CommitSha, Digest};
use signoff_ledger::{Envelope, ResourceDescriptor, Statement};
use signoff_policy::{Evaluation, PolicyInput};
use signoff_store::EvidenceRow;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::decisions::{entry_time, exceptions, parse_release, parse_time};
use crate::error::AppError;
use crate::home::{Environment, Signoff};
use crate::ledger::now;
use crate::policy::{ChosenPolicy, choose_policy};

/// The predicate type of signoff certification records.
pub const PREDICATE_TYPE: &str = "https://signoff.dev/certification/v1";

/// A certification request.
#[derive(Debug, Clone, Default)]
pub struct CertifyRequest {
    /// `project@version`.
    pub release: String,
    /// A policy file instead of the published (or starter) policy.
    pub policy: Option<PathBuf>,
    /// The environment to certify for.
    pub environment: Option<String>,
    /// Predict only: evaluate and write nothing.
    pub dry_run: bool,
    /// For a dry run: the date to evaluate at (`YYYY-MM-DD` or RFC 3339).
    pub at: Option<String>,
    /// `--actor`.
    pub actor: Option<String>,
    /// Environment variables.
    pub env: Environment,
}

/// The outcome of a certification.
#[derive(Debug, Clone, Serialize)]
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
}

impl Certification {
    /// Whether the release is certified (for the requested environment).
    pub fn certified(&self) -> bool {
        self.evaluation.is_certified()
    }
}

/// A certificate in the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateView {
    /// The record.
    #[serde(flatten)]
    pub record: CertificateRecord,
    /// Its ledger entry.
    pub entry: u64,
}

fn invalid(error: impl ToString) -> AppError {
    AppError::Invalid(error.to_string())
}

fn policy_actor(actor: &Actor) -> signoff_policy::Actor {
    let mut converted = signoff_policy::Actor::new(actor.id.clone(), policy_kind(actor.kind));
    converted.on_behalf_of = actor.on_behalf_of.clone();
    converted
}

fn policy_kind(kind: ActorKind) -> signoff_policy::ActorKind {
    match kind {
        ActorKind::Human => signoff_policy::ActorKind::Human,
        ActorKind::Bot => signoff_policy::ActorKind::Bot,
        ActorKind::AiAgent => signoff_policy::ActorKind::AiAgent,
    }
}

fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Every certificate of a release (all releases of the project when `version` is
/// None), oldest first.
pub(crate) async fn certificates(
    signoff: &Signoff,
    project: Option<&str>,
    version: Option<&str>,
) -> Result<Vec<CertificateView>, AppError> {
    let rows = signoff.store.records_of("certificate_issued", project, version).await?;
    rows.into_iter()
        .map(|row| {
            serde_json::from_str::<CertificateRecord>(&row.record)
                .map(|record| CertificateView { record, entry: row.seq })
                .map_err(|error| AppError::Invalid(format!("certificate record {} is unreadable: {error}", row.seq)))
        })
        .collect()
}

/// Builds the policy input for `release` from the store, as of ledger entry
/// `upto` (exclusive; `None` = now), evaluated at `at`.
pub(crate) async fn build_input(
    signoff: &Signoff,
    release: &ReleaseRecord,
    created_at: &str,
    actor: &Actor,
    at: OffsetDateTime,
    environment: Option<String>,
    upto: Option<u64>,
) -> Result<PolicyInput, AppError> {
    let before = |seq: u64| upto.is_none_or(|upto| seq < upto);
    let project = release.project.as_str();
    let version = release.version.as_str();

    let evidence_rows: Vec<EvidenceRow> =
        signoff.store.release_evidence(release).await?.into_iter().filter(|row| before(row.seq)).collect();
    let mut evidence = Vec::new();
    let mut findings = Vec::new();
    for row in &evidence_rows {
        let record = &row.record;
        let item = signoff_policy::Evidence {
            id: record.id.clone(),
            digest: record.digest,
            kind: record.kind,
            format: record.format,
            tool: record.tool.clone(),
            captured_at: parse_rfc3339(&row.captured_at).unwrap_or(at),
            produced_at: record.produced_at.as_deref().and_then(parse_rfc3339),
            // A certification sees everything captured for the release up to it,
            // including what came after an earlier certificate (B4: certifying
            // again is how late evidence counts); replay bounds the input by `upto`.
            post_certification: false,
            summary: record.summary.clone(),
        };
        if record.summary.findings.is_some() {
            for finding in signoff.store.evidence_findings(row.seq).await? {
                findings.push(signoff_policy::InputFinding::from_finding(&finding, &item));
            }
        }
        evidence.push(item);
    }

    // The baseline: findings of the project's previous certified release.
    let mut baseline = None;
    let previous_certified = certificates(signoff, Some(project), None).await?.into_iter().rfind(|certificate| {
        before(certificate.entry)
            && certificate.record.version != release.version
            && certificate.record.decision == "certified"
    });
    if let Some(previous) = previous_certified
        && let Some(previous_release) =
            signoff.store.release(&previous.record.project, &previous.record.version).await?
    {
        let mut fingerprints = Vec::new();
        for row in signoff.store.release_evidence(&previous_release.record).await? {
            if row.seq < previous.entry && row.record.summary.findings.is_some() {
                fingerprints.extend(
                    signoff.store.evidence_findings(row.seq).await?.into_iter().map(|finding| finding.fingerprint),
                );
            }
        }
        baseline = Some(fingerprints);
    }

    // Changes, with reviews from the project's captured pull-request evidence.
    let reviews = signoff.store.evidence_of_kind(&release.project, "code_review").await?;
    let mut changes = Vec::new();
    for change in &release.changes {
        let pr_evidence: Vec<&EvidenceRow> = reviews
            .iter()
            .filter(|row| before(row.seq))
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
        let person_actor = |person: &signoff_core::records::Person| {
            let mut actor = signoff_policy::Actor::new(
                if person.email.is_empty() { person.name.clone() } else { person.email.to_lowercase() },
                policy_kind(person.kind),
            );
            actor.name = Some(person.name.clone());
            actor.email = (!person.email.is_empty()).then(|| person.email.clone());
            actor
        };
        let mut author = person_actor(&change.author);
        if let Some(login) = &pr_author {
            // On a forge, the pull request's author is who reviewers are compared with.
            author.id = login.clone();
        }
        let mut approvals = Vec::new();
        let mut seen = HashSet::new();
        for row in &pr_evidence {
            for login in row.record.summary.reviews.iter().flat_map(|summary| summary.approvers.iter()) {
                if seen.insert(login.clone()) {
                    approvals.push(signoff_policy::Review {
                        reviewer: policy_actor(&signoff.actor_named(login)),
                        state: signoff_policy::ReviewState::Approved,
                    });
                }
            }
        }
        changes.push(signoff_policy::Change {
            commit: CommitSha::new(&change.commit).map_err(invalid)?,
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
                status: match change.signature.as_str() {
                    "verified" => signoff_policy::SignatureStatus::Verified,
                    "unverified" => signoff_policy::SignatureStatus::Unverified,
                    "bad" => signoff_policy::SignatureStatus::Bad,
                    _ => signoff_policy::SignatureStatus::None,
                },
                kind: change.signature_kind.clone(),
            },
            approvals,
        });
    }

    let content = release.content_digest();
    let mut approvals = Vec::new();
    for row in signoff.store.records_of("approval_recorded", Some(project), Some(version)).await? {
        if !before(row.seq) {
            continue;
        }
        let record: ApprovalRecord = serde_json::from_str(&row.record).map_err(invalid)?;
        let at_text = entry_time(signoff.store.entries(row.seq, 1).await?).unwrap_or_default();
        approvals.push(signoff_policy::ReleaseApproval {
            actor: policy_actor(&record.actor),
            role: record.role,
            decision: match record.decision {
                ApprovalDecision::Approve => signoff_policy::ApprovalDecision::Approve,
                ApprovalDecision::Reject => signoff_policy::ApprovalDecision::Reject,
            },
            at: parse_rfc3339(&at_text).unwrap_or(at),
            current: record.content == content,
            comment: record.comment,
        });
    }

    let mut input_exceptions = Vec::new();
    for view in exceptions(signoff).await? {
        if !before(view.entry) || view.record.project.as_ref().is_some_and(|scope| scope != &release.project) {
            continue;
        }
        let (Some(approved_by), Some(approved_at)) =
            (&view.approved_by, view.approved_at.as_deref().and_then(parse_rfc3339))
        else {
            continue;
        };
        input_exceptions.push(signoff_policy::Exception {
            id: view.record.id.clone(),
            target: match &view.record.target {
                ExceptionTarget::Finding { fingerprint } => signoff_policy::ExceptionTarget::Finding(*fingerprint),
                ExceptionTarget::Criterion { id } => signoff_policy::ExceptionTarget::Criterion(id.clone()),
            },
            justification: Some(view.record.reason.clone()),
            requested_by: policy_actor(&view.record.requested_by),
            approved_by: policy_actor(approved_by),
            approved_at,
            expires_at: parse_rfc3339(&view.record.expires_at).unwrap_or(at),
        });
    }

    Ok(PolicyInput {
        release: signoff_policy::Release {
            project: release.project.clone(),
            version: release.version.clone(),
            commit: release.commit.clone(),
            artifacts: release
                .artifacts
                .iter()
                .map(|digest| signoff_policy::Artifact { name: None, digest: *digest })
                .collect(),
            previous: release.previous.clone(),
            created_at: parse_rfc3339(created_at).unwrap_or(at),
        },
        actor: policy_actor(actor),
        evaluated_at: at,
        environment,
        evidence,
        findings,
        baseline_fingerprints: baseline,
        changes_unknown: if release.changes.is_empty() { release.changes_note.clone() } else { None },
        changes,
        approvals,
        exceptions: input_exceptions,
    })
}

/// Certifies a release (or, with `dry_run`, predicts the outcome).
///
/// # Errors
/// An unknown release, a policy mistake, a bad date, or a store failure. A release
/// that does not meet the policy is not an error: the certificate says `rejected`.
pub async fn certify(signoff: &Signoff, request: CertifyRequest) -> Result<Certification, AppError> {
    let (project, version) = parse_release(&request.release)?;
    let row =
        signoff.store.release(&project, &version).await?.ok_or_else(|| {
            AppError::NotFound(format!("no release {project}@{version} (see `signoff release create`)"))
        })?;
    if request.at.is_some() && !request.dry_run {
        return Err(AppError::Invalid("--at predicts a future date and needs --dry-run".into()));
    }
    let at = match &request.at {
        Some(text) => parse_time(text, false)?,
        None => now(),
    };
    let ChosenPolicy { policy, reference } = choose_policy(signoff, request.policy.as_deref()).await?;
    if let Some(environment) = &request.environment
        && !policy.environments().is_empty()
        && !policy.environments().iter().any(|known| known == environment)
    {
        return Err(AppError::Invalid(format!(
            "environment {environment:?} is not declared by policy {} (it declares: {})",
            reference.name,
            policy.environments().join(", ")
        )));
    }
    let actor = signoff.current_actor(&request.env, request.actor.as_deref())?;
    let input =
        build_input(signoff, &row.record, &row.created_at, &actor, at, request.environment.clone(), None).await?;
    let effective = policy.for_project(project.as_str());
    let evaluation = signoff_policy::evaluate(&effective, &input);
    if request.dry_run {
        return Ok(Certification {
            release: row.record,
            policy: reference,
            evaluation,
            dry_run: true,
            certificate: None,
        });
    }
    let certificate = issue(signoff, &row.record, &reference, &evaluation, actor).await?;
    Ok(Certification {
        release: row.record,
        policy: reference,
        evaluation,
        dry_run: false,
        certificate: Some(certificate),
    })
}

/// Signs and ledgers a certificate for an evaluation.
async fn issue(
    signoff: &Signoff,
    release: &ReleaseRecord,
    reference: &PolicyReference,
    evaluation: &Evaluation,
    certifier: Actor,
) -> Result<CertificateView, AppError> {
    let record = certificate_record(signoff, release, reference, evaluation, certifier)?;
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::CertificateIssued(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(CertificateView { record, entry: entry.seq })
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
    let decision = if evaluation.is_certified() { "certified" } else { "rejected" };
    let environments = evaluation
        .environments
        .iter()
        .map(|(name, decision)| (name.clone(), decision.to_string()))
        .collect::<std::collections::BTreeMap<_, _>>();
    let mut subject: Vec<ResourceDescriptor> =
        release.artifacts.iter().map(|digest| ResourceDescriptor::sha256(None, digest)).collect();
    subject.push(ResourceDescriptor {
        name: Some(format!("{}@{}", release.project, release.version)),
        digest: std::collections::BTreeMap::from([("gitCommit".to_owned(), release.commit.to_string())]),
    });
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
        "time": evaluation.evaluated_at.format(&Rfc3339).map_err(invalid)?,
    });
    let statement = Statement::new(subject, PREDICATE_TYPE, predicate).map_err(invalid)?;
    let payload = statement.to_payload().map_err(invalid)?;
    let envelope = Envelope::sign(signoff_ledger::statement::PAYLOAD_TYPE, &payload, &signoff.key);
    let record = CertificateRecord {
        id,
        project: release.project.clone(),
        version: release.version.clone(),
        commit: release.commit.to_string(),
        artifacts: release.artifacts.clone(),
        decision: decision.to_owned(),
        environments,
        policy: reference.clone(),
        envelope: envelope.to_json(),
        statement_digest: Digest::of(&payload),
        evaluated_at: evaluation.evaluated_at.format(&Rfc3339).map_err(invalid)?,
        certifier,
    };
    Ok(record)
}
