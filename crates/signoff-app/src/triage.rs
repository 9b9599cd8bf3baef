//! Triage (D3): a person marks one finding of a project a false positive, not
//! affected (with one of OpenVEX's justifications) or an accepted risk, with a
//! reason and maybe an expiry; where it needs one, a human other than the
//! requester approves it.
//!
//! A decision names the finding by fingerprint, so it carries to every later scan
//! that reports the same finding. The latest decision for a fingerprint is the one
//! that counts (a correction is a new decision). Which decisions need approval:
//! an accepted risk always (it is an exception for the finding); a false positive
//! or not affected when the policy in force says `triage: {approval: required}`.
//! The policy evaluation decides whether one applies at its time
//! (`signoff_policy::Triage`); [`TriageState`] is the same answer now.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use signoff_core::entry::Event;
use signoff_core::records::{Actor, ActorKind};
use signoff_core::triage::{Disposition, TriageApprovalRecord, TriageRecord, VexJustification};
use signoff_core::{Digest, ProjectName};
use signoff_store::{RecordQuery, Stored};
use time::OffsetDateTime;

use crate::error::{AppError, Missing, Refusal};
use crate::home::Signoff;
use crate::ledger::now;
use crate::refuse::Attempt;

/// A request to triage a finding.
#[derive(Debug, Clone)]
pub struct Triage {
    /// The project whose finding it is.
    pub project: ProjectName,
    /// The finding: its fingerprint (`sha256:…`) or a unique prefix of its hex.
    pub finding: String,
    /// The decision.
    pub disposition: Disposition,
    /// Why not affected (required with `not_affected`, refused otherwise).
    pub justification: Option<VexJustification>,
    /// Why.
    pub reason: String,
    /// When it stops applying (required for an accepted risk).
    pub expires: Option<OffsetDateTime>,
    /// Who decides.
    pub actor: Actor,
}

/// Where a triage decision stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriageState {
    /// Waiting for approval by a human other than the requester.
    Pending,
    /// It applies (approved, or needing no approval).
    InEffect,
    /// Past its expiry.
    Expired,
    /// A later decision for the same finding replaced it.
    Superseded,
}

impl TriageState {
    /// `pending`, `in_effect`, `expired` or `superseded`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TriageState::Pending => "pending",
            TriageState::InEffect => "in_effect",
            TriageState::Expired => "expired",
            TriageState::Superseded => "superseded",
        }
    }
}

/// A triage decision with its approval and state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TriageView {
    /// The decision.
    #[serde(flatten)]
    pub record: TriageRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub recorded_at: OffsetDateTime,
    /// Whether it needs approval under the policy in force for its project.
    pub needs_approval: bool,
    /// Where it stands now.
    pub state: TriageState,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Actor>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub approved_at: Option<OffsetDateTime>,
}

impl TriageView {
    /// The decision as the policy input carries it.
    pub(crate) fn to_input(&self) -> signoff_policy::Triage {
        signoff_policy::Triage {
            id: self.record.id.clone(),
            fingerprint: self.record.fingerprint,
            disposition: self.record.disposition,
            justification: self.record.justification,
            reason: self.record.reason.clone(),
            requested_by: (&self.record.requested_by).into(),
            recorded_at: self.recorded_at,
            approved_by: self.approved_by.as_ref().map(Into::into),
            approved_at: self.approved_at,
            expires_at: self.record.expires_at,
        }
    }
}

/// Records a triage decision.
///
/// # Errors
/// A short reason, a justification missing (not affected) or out of place, an
/// accepted risk without an expiry, an expiry in the past, a finding the project's
/// scans never reported (or a prefix naming several); a bot or AI agent is refused
/// and the attempt ledgered.
pub async fn triage(signoff: &Signoff, request: Triage) -> Result<TriageView, AppError> {
    if request.reason.trim().len() < 10 {
        return Err(AppError::Invalid("give a reason of at least 10 characters with --reason".into()));
    }
    match (request.disposition, request.justification) {
        (Disposition::NotAffected, None) => {
            return Err(AppError::Invalid(format!(
                "not-affected needs --justification, one of OpenVEX's: {}",
                VexJustification::ALL.map(VexJustification::as_str).join(", ")
            )));
        }
        (Disposition::FalsePositive | Disposition::AcceptedRisk, Some(_)) => {
            return Err(AppError::Invalid(
                "--justification is for not-affected only (OpenVEX states justifications for not_affected)".into(),
            ));
        }
        _ => {}
    }
    if request.disposition == Disposition::AcceptedRisk && request.expires.is_none() {
        return Err(AppError::Invalid("an accepted risk is time-boxed: give --expires DATE".into()));
    }
    if let Some(expires) = request.expires
        && expires <= now()
    {
        return Err(AppError::Invalid(format!("--expires {} is in the past", crate::request::rfc3339(expires))));
    }
    let fingerprint = resolve(signoff, &request.project, &request.finding).await?;
    // J2, J3: triage is a person's judgement; bots and agents are refused, and the
    // attempt is ledgered.
    if request.actor.kind != ActorKind::Human {
        let refusal =
            Refusal::NotHuman { actor: request.actor.id.clone(), kind: request.actor.kind, action: "triage a finding" };
        let attempt =
            Attempt::on("triage", fingerprint.to_string(), &request.actor).for_project(Some(request.project.clone()));
        return Err(signoff.refuse(attempt, refusal).await);
    }
    let existing = signoff.store.find_records(TriageRecord::KIND, &RecordQuery::default()).await?;
    let record = TriageRecord {
        id: format!("TRI-{}", existing.len() + 1),
        project: request.project,
        fingerprint,
        disposition: request.disposition,
        justification: request.justification,
        reason: request.reason.trim().to_owned(),
        requested_by: request.actor,
        expires_at: request.expires,
    };
    let id = record.id.clone();
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::TriageRecorded(Box::new(record))).await?;
    batch.commit(signoff).await?;
    decision(signoff, &id).await
}

use signoff_core::entry::Recorded;

/// Approves a triage decision: the approver must be a human other than the
/// requester.
///
/// # Errors
/// An unknown decision; an approved one, self-approval or a non-human approver
/// are refused, and the attempt ledgered.
pub async fn approve(
    signoff: &Signoff,
    id: &str,
    comment: Option<String>,
    approver: Actor,
) -> Result<TriageView, AppError> {
    let view = decision(signoff, id).await?;
    let refusal = if view.approved_by.is_some() {
        Some(Refusal::AlreadyApproved { exception: id.to_owned() })
    } else if approver.id == view.record.requested_by.id {
        Some(Refusal::SelfApproval { actor: approver.id.clone(), exception: id.to_owned() })
    } else if approver.kind != ActorKind::Human {
        Some(Refusal::NotHuman { actor: approver.id.clone(), kind: approver.kind, action: "approve a triage decision" })
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let attempt = Attempt::on("triage approve", id, &approver).for_project(Some(view.record.project.clone()));
        return Err(signoff.refuse(attempt, refusal).await);
    }
    let record = TriageApprovalRecord { triage: id.to_owned(), approved_by: approver, comment };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::TriageApproved(Box::new(record))).await?;
    batch.commit(signoff).await?;
    decision(signoff, id).await
}

/// One triage decision with its state.
///
/// # Errors
/// [`Missing::Triage`] when there is none with that id.
pub async fn decision(signoff: &Signoff, id: &str) -> Result<TriageView, AppError> {
    let record = signoff.store.records_with_id::<TriageRecord>(id).await?.pop();
    let Some(record) = record else {
        return Err(Missing::Triage(id.to_owned()).into());
    };
    let project = record.record.project.clone();
    decisions(signoff, Some(&project))
        .await?
        .into_iter()
        .find(|view| view.record.id == id)
        .ok_or_else(|| Missing::Triage(id.to_owned()).into())
}

/// Every triage decision (of one project, or of all), oldest first, with its state
/// now.
///
/// # Errors
/// A store failure, or a published policy that no longer parses.
pub async fn decisions(signoff: &Signoff, project: Option<&ProjectName>) -> Result<Vec<TriageView>, AppError> {
    let query = RecordQuery { project: project.map(ProjectName::as_str), ..RecordQuery::default() };
    let records = signoff.store.records::<TriageRecord>(&query).await?;
    let approvals = signoff.store.records::<TriageApprovalRecord>(&RecordQuery::default()).await?;
    let mut approval_required: HashMap<ProjectName, bool> = HashMap::new();
    for record in &records {
        if !approval_required.contains_key(&record.record.project) {
            let chosen = crate::policy::policy_in_force(signoff, &record.record.project).await?;
            let required = chosen.policy.for_project(record.record.project.as_str()).triage.approval_required;
            approval_required.insert(record.record.project.clone(), required);
        }
    }
    Ok(views(records, &approvals, &|project| approval_required.get(project).copied().unwrap_or(false), now()))
}

/// The latest decision for each fingerprint of `project`, as of ledger entry
/// `upto` (exclusive; `None` = everything): what a certification, the findings
/// list and the VEX export read.
pub(crate) async fn latest(
    signoff: &Signoff,
    project: &ProjectName,
    upto: Option<u64>,
) -> Result<HashMap<Digest, TriageView>, AppError> {
    let mut latest = HashMap::new();
    for view in decisions(signoff, Some(project)).await? {
        if upto.is_none_or(|upto| view.entry < upto) {
            latest.insert(view.record.fingerprint, view);
        }
    }
    Ok(latest)
}

/// Each decision with its approval (the first: a second cannot be recorded) and
/// its state at `now`; `required` says whether the policy in force for a project
/// asks for approval of false positives and not affected.
pub(crate) fn views(
    records: Vec<Stored<TriageRecord>>,
    approvals: &[Stored<TriageApprovalRecord>],
    required: &dyn Fn(&ProjectName) -> bool,
    now: OffsetDateTime,
) -> Vec<TriageView> {
    let mut last: HashMap<(ProjectName, Digest), u64> = HashMap::new();
    for record in &records {
        last.insert((record.record.project.clone(), record.record.fingerprint), record.seq);
    }
    records
        .into_iter()
        .map(|stored| {
            let approval = approvals.iter().find(|approval| approval.record.triage == stored.record.id);
            let needs_approval =
                stored.record.disposition == Disposition::AcceptedRisk || required(&stored.record.project);
            let key = (stored.record.project.clone(), stored.record.fingerprint);
            let state = if last.get(&key) != Some(&stored.seq) {
                TriageState::Superseded
            } else if stored.record.expires_at.is_some_and(|expires| expires <= now) {
                TriageState::Expired
            } else if needs_approval && approval.is_none() {
                TriageState::Pending
            } else {
                TriageState::InEffect
            };
            TriageView {
                entry: stored.seq,
                recorded_at: stored.at,
                needs_approval,
                state,
                approved_by: approval.map(|approval| approval.record.approved_by.clone()),
                approved_at: approval.map(|approval| approval.at),
                record: stored.record,
            }
        })
        .collect()
}

/// The fingerprint of a finding of `project` named by its fingerprint or a unique
/// prefix of it (at least 8 hex digits).
async fn resolve(signoff: &Signoff, project: &ProjectName, finding: &str) -> Result<Digest, AppError> {
    let wanted = finding.trim().trim_start_matches("sha256:").to_ascii_lowercase();
    if wanted.len() < 8 || !wanted.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(AppError::Invalid(format!(
            "{finding:?} is not a finding fingerprint: give sha256:<hex> or at least 8 of its hex digits, as `signoff findings --project {project}` shows them"
        )));
    }
    let mut matches: Vec<Digest> = Vec::new();
    for row in signoff.store.finding_history(project).await? {
        let fingerprint = row.finding.fingerprint;
        if fingerprint.to_string().trim_start_matches("sha256:").starts_with(&wanted) && !matches.contains(&fingerprint)
        {
            matches.push(fingerprint);
        }
    }
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Missing::Finding { project: project.clone(), finding: finding.to_owned() }.into()),
        several => Err(AppError::Invalid(format!(
            "{finding} names {} findings of {project}: give more of the fingerprint",
            several.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use signoff_core::records::ActorKind;
    use time::macros::datetime;

    use super::*;

    fn actor(id: &str) -> Actor {
        Actor { id: id.into(), kind: ActorKind::Human, on_behalf_of: None, source: None }
    }

    fn record(seq: u64, id: &str, finding: &str, disposition: Disposition) -> Stored<TriageRecord> {
        Stored {
            seq,
            at: datetime!(2026-01-01 00:00:00 UTC),
            record: TriageRecord {
                id: id.into(),
                project: ProjectName::new("shop").unwrap(),
                fingerprint: Digest::of(finding.as_bytes()),
                disposition,
                justification: None,
                reason: "the flagged call is in test fixtures".into(),
                requested_by: actor("alice"),
                expires_at: Some(datetime!(2026-12-31 00:00:00 UTC)),
            },
        }
    }

    #[test]
    fn the_latest_decision_counts_and_approval_is_needed_where_the_policy_says() {
        let now = datetime!(2026-06-01 00:00:00 UTC);
        let records = vec![
            record(1, "TRI-1", "a", Disposition::FalsePositive),
            record(2, "TRI-2", "a", Disposition::NotAffected),
            record(3, "TRI-3", "b", Disposition::AcceptedRisk),
            record(4, "TRI-4", "c", Disposition::FalsePositive),
        ];
        let states = |required: bool| -> Vec<TriageState> {
            views(records.clone(), &[], &|_| required, now).into_iter().map(|view| view.state).collect()
        };
        assert_eq!(
            states(false),
            [TriageState::Superseded, TriageState::InEffect, TriageState::Pending, TriageState::InEffect]
        );
        assert_eq!(
            states(true),
            [TriageState::Superseded, TriageState::Pending, TriageState::Pending, TriageState::Pending]
        );
    }
}
