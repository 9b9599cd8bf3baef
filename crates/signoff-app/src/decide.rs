//! People's decisions about a release: approvals (bound to the release's exact
//! content) and exceptions (D3: requested, approved by someone else, expiring).

use serde::{Deserialize, Serialize};
use signoff_core::entry::Event;
use signoff_core::records::{
    Actor, ActorKind, ApprovalDecision, ApprovalRecord, ExceptionApprovalRecord, ExceptionRecord, ExceptionTarget,
};
use signoff_core::{ProjectName, ReleaseRef};
use signoff_store::{RecordQuery, Stored};
use time::OffsetDateTime;

use crate::error::{AppError, Missing, Refusal};
use crate::home::Signoff;
use crate::ledger::now;
use crate::refuse::Attempt;

/// A request to approve or reject a release.
#[derive(Debug, Clone)]
pub struct Approve {
    /// The release.
    pub release: ReleaseRef,
    /// Approve or reject.
    pub decision: ApprovalDecision,
    /// The role decided in (`release-manager`, `security`).
    pub role: String,
    /// A comment.
    pub comment: Option<String>,
    /// Who decides.
    pub actor: Actor,
}

/// A recorded approval.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Approved {
    /// The record.
    #[serde(flatten)]
    pub record: ApprovalRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// A warning for the person, when the approval will not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Records an approval of the release's current content.
///
/// # Errors
/// An unknown release, a bad role, or an approver who is not a human (refused,
/// and the attempt ledgered).
pub async fn approve(signoff: &Signoff, request: Approve) -> Result<Approved, AppError> {
    let release = signoff.release_row(&request.release).await?;
    let role = request.role.trim();
    if role.is_empty() || role.len() > 64 || role.chars().any(char::is_whitespace) {
        return Err(AppError::Invalid(format!(
            "role {role:?} must be one word of at most 64 characters (release-manager, security)"
        )));
    }
    let actor = request.actor;
    // J3: approvals by bots and AI agents never count; they are refused, and the
    // attempt is ledgered (J2).
    if actor.kind != ActorKind::Human {
        let refusal = Refusal::NotHuman { actor: actor.id.clone(), kind: actor.kind, action: "approve a release" };
        return Err(signoff.refuse(Attempt::on_release("approve", &request.release, &actor), refusal).await);
    }
    let warning = None;
    let record = ApprovalRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project: request.release.project,
        version: request.release.version,
        content: release.record.content_digest(),
        actor,
        role: role.to_owned(),
        decision: request.decision,
        comment: request.comment,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::ApprovalRecorded(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(Approved { record, entry: entry.seq, warning })
}

/// A request for an exception.
#[derive(Debug, Clone)]
pub struct RequestException {
    /// What it waives: a finding (by fingerprint) or a criterion.
    pub target: ExceptionTarget,
    /// The project it is for (all projects when absent).
    pub project: Option<ProjectName>,
    /// Why.
    pub reason: String,
    /// When it stops applying.
    pub expires: OffsetDateTime,
    /// Who asks.
    pub actor: Actor,
}

/// Where an exception stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionState {
    /// Waiting for someone other than the requester to approve it.
    Requested,
    /// Approved, and not expired: it applies.
    Approved,
    /// Past its expiry: it no longer applies.
    Expired,
}

impl ExceptionState {
    /// `requested`, `approved` or `expired`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExceptionState::Requested => "requested",
            ExceptionState::Approved => "approved",
            ExceptionState::Expired => "expired",
        }
    }
}

/// An exception with its state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExceptionView {
    /// The request.
    #[serde(flatten)]
    pub record: ExceptionRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// Where it stands now.
    pub state: ExceptionState,
    /// Who approved it, when approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Actor>,
    /// When it was approved.
    #[serde(skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub approved_at: Option<OffsetDateTime>,
}

impl ExceptionView {
    /// Whether it applies to `project` (an exception without a project applies to
    /// all).
    pub fn covers(&self, project: &ProjectName) -> bool {
        self.record.project.as_ref().is_none_or(|scope| scope == project)
    }
}

/// Requests an exception.
///
/// # Errors
/// A short justification, an expiry in the past, an empty criterion.
pub async fn request_exception(signoff: &Signoff, request: RequestException) -> Result<ExceptionView, AppError> {
    if let ExceptionTarget::Criterion { id } = &request.target
        && id.trim().is_empty()
    {
        return Err(AppError::Invalid("name the criterion the exception waives".into()));
    }
    if request.reason.trim().len() < 10 {
        return Err(AppError::Invalid("give a justification of at least 10 characters with --reason".into()));
    }
    if request.expires <= now() {
        return Err(AppError::Invalid(format!(
            "--expires {} is in the past",
            crate::request::rfc3339(request.expires)
        )));
    }
    let target = match request.target {
        ExceptionTarget::Criterion { id } => ExceptionTarget::Criterion { id: id.trim().to_owned() },
        finding => finding,
    };
    let existing = signoff.store.find_records(ExceptionRecord::KIND, &RecordQuery::default()).await?;
    let record = ExceptionRecord {
        id: format!("EXC-{}", existing.len() + 1),
        project: request.project,
        target,
        reason: request.reason.trim().to_owned(),
        requested_by: request.actor,
        expires_at: request.expires,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::ExceptionRequested(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(ExceptionView {
        record,
        entry: entry.seq,
        state: ExceptionState::Requested,
        approved_by: None,
        approved_at: None,
    })
}

use signoff_core::entry::Recorded;

/// Approves an exception: the approver must be a human other than the requester.
///
/// # Errors
/// An unknown exception; an already approved one, self-approval or a non-human
/// approver are refused, and the attempt ledgered.
pub async fn approve_exception(
    signoff: &Signoff,
    id: &str,
    comment: Option<String>,
    approver: Actor,
) -> Result<ExceptionView, AppError> {
    let view = exception(signoff, id).await?;
    let refusal = if view.approved_by.is_some() {
        Some(Refusal::AlreadyApproved { exception: id.to_owned() })
    } else if approver.id == view.record.requested_by.id {
        Some(Refusal::SelfApproval { actor: approver.id.clone(), exception: id.to_owned() })
    } else if approver.kind != ActorKind::Human {
        Some(Refusal::NotHuman { actor: approver.id.clone(), kind: approver.kind, action: "approve an exception" })
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let attempt = Attempt::on("exception approve", id, &approver).for_project(view.record.project.clone());
        return Err(signoff.refuse(attempt, refusal).await);
    }
    let record = ExceptionApprovalRecord { exception: id.to_owned(), approved_by: approver, comment };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::ExceptionApproved(Box::new(record))).await?;
    batch.commit(signoff).await?;
    exception(signoff, id).await
}

/// One exception with its state.
///
/// # Errors
/// [`Missing::Exception`] when there is none with that id.
pub async fn exception(signoff: &Signoff, id: &str) -> Result<ExceptionView, AppError> {
    let requests = signoff.store.records_with_id::<ExceptionRecord>(id).await?;
    let approvals = signoff.store.records_with_id::<ExceptionApprovalRecord>(id).await?;
    exception_views(requests, &approvals, now()).pop().ok_or_else(|| Missing::Exception(id.to_owned()).into())
}

/// Every exception with its state, oldest first.
///
/// # Errors
/// A store failure.
pub async fn exceptions(signoff: &Signoff) -> Result<Vec<ExceptionView>, AppError> {
    let requests = signoff.store.records::<ExceptionRecord>(&RecordQuery::default()).await?;
    let approvals = signoff.store.records::<ExceptionApprovalRecord>(&RecordQuery::default()).await?;
    Ok(exception_views(requests, &approvals, now()))
}

/// Each request with its approval (the first one: a second cannot be recorded)
/// and its state at `now`.
pub(crate) fn exception_views(
    requests: Vec<Stored<ExceptionRecord>>,
    approvals: &[Stored<ExceptionApprovalRecord>],
    now: OffsetDateTime,
) -> Vec<ExceptionView> {
    requests
        .into_iter()
        .map(|request| {
            let approval = approvals.iter().find(|approval| approval.record.exception == request.record.id);
            let state = if request.record.expires_at <= now {
                ExceptionState::Expired
            } else if approval.is_some() {
                ExceptionState::Approved
            } else {
                ExceptionState::Requested
            };
            ExceptionView {
                state,
                approved_by: approval.map(|approval| approval.record.approved_by.clone()),
                approved_at: approval.map(|approval| approval.at),
                entry: request.seq,
                record: request.record,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use signoff_core::Digest;
    use time::macros::datetime;

    use super::*;

    fn actor(id: &str) -> Actor {
        Actor { id: id.into(), kind: ActorKind::Human, on_behalf_of: None, source: None }
    }

    fn request(seq: u64, id: &str, expires: OffsetDateTime) -> Stored<ExceptionRecord> {
        Stored {
            seq,
            at: datetime!(2026-01-01 00:00:00 UTC),
            record: ExceptionRecord {
                id: id.into(),
                project: None,
                target: ExceptionTarget::Finding { fingerprint: Digest::of(id.as_bytes()) },
                reason: "a false positive in generated code".into(),
                requested_by: actor("alice"),
                expires_at: expires,
            },
        }
    }

    fn approval(seq: u64, id: &str, by: &str) -> Stored<ExceptionApprovalRecord> {
        Stored {
            seq,
            at: datetime!(2026-02-01 00:00:00 UTC),
            record: ExceptionApprovalRecord { exception: id.into(), approved_by: actor(by), comment: None },
        }
    }

    #[test]
    fn an_exception_applies_once_approved_and_until_it_expires() {
        let now = datetime!(2026-06-01 00:00:00 UTC);
        let requests = vec![
            request(1, "EXC-1", datetime!(2026-12-31 23:59:59 UTC)),
            request(2, "EXC-2", datetime!(2026-12-31 23:59:59 UTC)),
            request(3, "EXC-3", datetime!(2026-05-31 23:59:59 UTC)),
            request(4, "EXC-4", now),
        ];
        let approvals = [approval(5, "EXC-2", "bob"), approval(6, "EXC-3", "bob")];
        let states: Vec<(String, ExceptionState, Option<String>)> = exception_views(requests, &approvals, now)
            .into_iter()
            .map(|view| (view.record.id, view.state, view.approved_by.map(|actor| actor.id)))
            .collect();
        assert_eq!(
            states,
            [
                ("EXC-1".into(), ExceptionState::Requested, None),
                ("EXC-2".into(), ExceptionState::Approved, Some("bob".into())),
                ("EXC-3".into(), ExceptionState::Expired, Some("bob".into())),
                // Expiry is exclusive: at its expiry an exception no longer applies.
                ("EXC-4".into(), ExceptionState::Expired, None),
            ]
        );
    }
}
