//! People's decisions about a release: approvals (bound to the release's exact
//! content) and exceptions (D3: requested, approved by someone else, expiring).

use serde::Serialize;
use signoff_core::entry::Event;
use signoff_core::records::{
    Actor, ActorKind, ApprovalDecision, ApprovalRecord, ExceptionApprovalRecord, ExceptionRecord, ExceptionTarget,
};
use signoff_core::{Digest, ProjectName, ReleaseVersion};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AppError;
use crate::home::{Environment, Signoff};
use crate::ledger::now;

fn invalid(error: impl ToString) -> AppError {
    AppError::Invalid(error.to_string())
}

/// Splits `project@version`.
///
/// # Errors
/// When it is not of that form or either part is invalid.
pub fn parse_release(text: &str) -> Result<(ProjectName, ReleaseVersion), AppError> {
    let (project, version) = text
        .rsplit_once('@')
        .ok_or_else(|| AppError::Invalid(format!("{text:?} is not PROJECT@VERSION (for example shop@4.2.1)")))?;
    Ok((ProjectName::new(project).map_err(invalid)?, ReleaseVersion::new(version).map_err(invalid)?))
}

/// A request to approve or reject a release.
#[derive(Debug, Clone)]
pub struct Approve {
    /// `project@version`.
    pub release: String,
    /// Approve or reject.
    pub decision: ApprovalDecision,
    /// The role decided in.
    pub role: String,
    /// A comment.
    pub comment: Option<String>,
    /// `--actor`, when given.
    pub actor: Option<String>,
    /// Environment, for the actor's identity.
    pub environment: Environment,
}

/// A recorded approval.
#[derive(Debug, Clone, Serialize)]
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
/// An unknown release or a bad role.
pub async fn approve(signoff: &Signoff, request: Approve) -> Result<Approved, AppError> {
    let (project, version) = parse_release(&request.release)?;
    let release = signoff
        .store
        .release(&project, &version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no release {project}@{version}")))?;
    let role = request.role.trim();
    if role.is_empty() || role.len() > 64 || role.chars().any(char::is_whitespace) {
        return Err(AppError::Invalid(format!(
            "role {role:?} must be one word of at most 64 characters (release-manager, security)"
        )));
    }
    let actor = signoff.current_actor(&request.environment, request.actor.as_deref())?;
    let warning = match actor.kind {
        ActorKind::Human => None,
        kind => Some(format!("{} is a {kind}: its approval is recorded but never counts (J3)", actor.id)),
    };
    let record = ApprovalRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project,
        version,
        content: release.record.content_digest(),
        actor,
        role: role.to_owned(),
        decision: request.decision,
        comment: request.comment.clone(),
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::ApprovalRecorded(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(Approved { record, entry: entry.seq, warning })
}

/// A request for an exception.
#[derive(Debug, Clone)]
pub struct RequestException {
    /// A finding fingerprint (`sha256:...`), or
    pub finding: Option<String>,
    /// a criterion id.
    pub criterion: Option<String>,
    /// The project it is for (all projects when absent).
    pub project: Option<String>,
    /// Why.
    pub reason: String,
    /// Expiry: `YYYY-MM-DD` (end of that day, UTC) or RFC 3339.
    pub expires: String,
    /// `--actor`.
    pub actor: Option<String>,
    /// Environment.
    pub environment: Environment,
}

/// An exception with its state.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionView {
    /// The request.
    #[serde(flatten)]
    pub record: ExceptionRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// `requested`, `approved` or `expired`.
    pub state: String,
    /// Who approved it, when approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Actor>,
    /// When it was approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
}

/// Parses an expiry: a date (the end of that day, UTC) or an RFC 3339 time.
pub(crate) fn parse_time(text: &str, end_of_day: bool) -> Result<OffsetDateTime, AppError> {
    if let Ok(time) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(time);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format)
        .map_err(|_| AppError::Invalid(format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time")))?;
    let time = if end_of_day {
        time::Time::from_hms(23, 59, 59).unwrap_or(time::Time::MIDNIGHT)
    } else {
        time::Time::MIDNIGHT
    };
    Ok(date.with_time(time).assume_utc())
}

/// Requests an exception.
///
/// # Errors
/// A missing or doubled target, a bad fingerprint, an expiry in the past.
pub async fn request_exception(signoff: &Signoff, request: RequestException) -> Result<ExceptionView, AppError> {
    let target = match (&request.finding, &request.criterion) {
        (Some(fingerprint), None) => {
            ExceptionTarget::Finding { fingerprint: fingerprint.parse::<Digest>().map_err(invalid)? }
        }
        (None, Some(id)) if !id.trim().is_empty() => ExceptionTarget::Criterion { id: id.trim().to_owned() },
        _ => return Err(AppError::Invalid("name exactly one of --finding FINGERPRINT or --criterion ID".into())),
    };
    if request.reason.trim().len() < 10 {
        return Err(AppError::Invalid("give a justification of at least 10 characters with --reason".into()));
    }
    let expires = parse_time(&request.expires, true)?;
    if expires <= now() {
        return Err(AppError::Invalid(format!("--expires {} is in the past", request.expires)));
    }
    let project = request.project.as_deref().map(ProjectName::new).transpose().map_err(invalid)?;
    let existing = signoff.store.records_of("exception_requested", None, None).await?;
    let record = ExceptionRecord {
        id: format!("EXC-{}", existing.len() + 1),
        project,
        target,
        reason: request.reason.trim().to_owned(),
        requested_by: signoff.current_actor(&request.environment, request.actor.as_deref())?,
        expires_at: expires.format(&Rfc3339).map_err(invalid)?,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::ExceptionRequested(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(ExceptionView { record, entry: entry.seq, state: "requested".into(), approved_by: None, approved_at: None })
}

/// Approves an exception: the approver must be a human other than the requester.
///
/// # Errors
/// An unknown or already approved exception, self-approval, or a non-human approver.
pub async fn approve_exception(
    signoff: &Signoff,
    id: &str,
    comment: Option<String>,
    actor: Option<&str>,
    environment: &Environment,
) -> Result<ExceptionView, AppError> {
    let views = exceptions(signoff).await?;
    let view = views
        .into_iter()
        .find(|view| view.record.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no exception {id}")))?;
    if view.approved_by.is_some() {
        return Err(AppError::Invalid(format!("{id} is already approved")));
    }
    let approver = signoff.current_actor(environment, actor)?;
    if approver.id == view.record.requested_by.id {
        return Err(AppError::Invalid(format!(
            "{} requested {id} and cannot approve it: someone else must",
            approver.id
        )));
    }
    if approver.kind != ActorKind::Human {
        return Err(AppError::Invalid(format!(
            "{} is a {}: only a human can approve an exception",
            approver.id, approver.kind
        )));
    }
    let record = ExceptionApprovalRecord { exception: id.to_owned(), approved_by: approver, comment };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::ExceptionApproved(Box::new(record))).await?;
    batch.commit(signoff).await?;
    exceptions(signoff)
        .await?
        .into_iter()
        .find(|view| view.record.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no exception {id}")))
}

/// Every exception with its state, oldest first.
///
/// # Errors
/// A store failure or an unreadable record.
pub async fn exceptions(signoff: &Signoff) -> Result<Vec<ExceptionView>, AppError> {
    let unreadable =
        |seq: u64, error: serde_json::Error| AppError::Invalid(format!("record {seq} is unreadable: {error}"));
    let requests = signoff.store.records_of("exception_requested", None, None).await?;
    let approvals = signoff.store.records_of("exception_approved", None, None).await?;
    let entries_at = |seq: u64| async move { signoff.store.entries(seq, 1).await };
    let now = now();
    let mut views = Vec::new();
    for row in requests {
        let record: ExceptionRecord = serde_json::from_str(&row.record).map_err(|error| unreadable(row.seq, error))?;
        let mut view =
            ExceptionView { record, entry: row.seq, state: "requested".into(), approved_by: None, approved_at: None };
        if let Some(approval) = approvals.iter().find(|approval| approval.id == view.record.id) {
            let parsed: ExceptionApprovalRecord =
                serde_json::from_str(&approval.record).map_err(|error| unreadable(approval.seq, error))?;
            view.approved_by = Some(parsed.approved_by);
            view.approved_at = entry_time(entries_at(approval.seq).await?);
            view.state = "approved".into();
        }
        if OffsetDateTime::parse(&view.record.expires_at, &Rfc3339).is_ok_and(|expires| expires <= now) {
            view.state = "expired".into();
        }
        views.push(view);
    }
    Ok(views)
}

/// The `at` of the first stored entry, as written.
pub(crate) fn entry_time(entries: Vec<signoff_store::StoredEntry>) -> Option<String> {
    let entry = entries.into_iter().next()?;
    let parsed: serde_json::Value = serde_json::from_slice(&entry.body).ok()?;
    parsed.get("at").and_then(|at| at.as_str()).map(str::to_owned)
}
