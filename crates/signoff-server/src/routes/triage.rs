//! Triage routes (D3): a finding's disposition, its approval by a second human,
//! and a project's decisions — the same use cases as `signoff triage`.

use axum::extract::State;
use serde::Deserialize;
use signoff_app::request::{DayEnd, parse_time};
use utoipa::{IntoParams, ToSchema};

use super::{Answer, ProjectPath, created, invalid, ok, project};
use crate::AppState;
use crate::auth::{ApproveScope, Authorized, ReadScope, ReleaseScope};
use crate::extract::{Json, Path};
use crate::problem::Problem;

/// A triage decision to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTriage {
    /// The finding: its fingerprint (`sha256:...`) or at least 8 of its hex digits.
    finding: String,
    /// `false_positive`, `not_affected` or `accepted_risk`.
    disposition: String,
    /// OpenVEX's justification (required with `not_affected`).
    #[serde(default)]
    justification: Option<String>,
    /// Why (10 characters at least).
    reason: String,
    /// Until when (`2026-12-31` or RFC 3339; required for `accepted_risk`).
    #[serde(default)]
    expires: Option<String>,
}

/// Triages a finding of the project.
#[utoipa::path(post, path = "/api/v1/projects/{project}/triage", tag = "decisions", params(ProjectPath),
    request_body = NewTriage,
    responses((status = 201, description = "The decision", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["release"])))]
pub(crate) async fn triage(
    State(state): State<AppState>,
    auth: Authorized<ReleaseScope>,
    Path(path): Path<ProjectPath>,
    Json(body): Json<NewTriage>,
) -> Answer {
    let project = project(&path.project)?;
    auth.on(&state, &project).await?;
    let request = signoff_app::triage::Triage {
        project,
        finding: body.finding,
        disposition: body.disposition.parse().map_err(invalid)?,
        justification: body.justification.as_deref().map(str::parse).transpose().map_err(invalid)?,
        reason: body.reason,
        expires: body.expires.as_deref().map(|text| parse_time(text, DayEnd::End)).transpose().map_err(invalid)?,
        actor: auth.who.actor.clone(),
    };
    created(&signoff_app::triage::triage(state.signoff(), request).await?)
}

/// A project's triage decisions with their state, oldest first.
#[utoipa::path(get, path = "/api/v1/projects/{project}/triage", tag = "decisions", params(ProjectPath),
    responses((status = 200, description = "The decisions", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn triage_list(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<ProjectPath>,
) -> Answer {
    let project = project(&path.project)?;
    auth.on(&state, &project).await?;
    ok(&signoff_app::triage::decisions(state.signoff(), Some(&project)).await?)
}

/// A triage decision's approval.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TriageApproval {
    /// A comment.
    #[serde(default)]
    comment: Option<String>,
}

/// A triage decision named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct TriagePath {
    /// The decision (`TRI-1`).
    id: String,
}

/// Approves a triage decision (a human other than its requester).
#[utoipa::path(post, path = "/api/v1/triage/{id}/approve", tag = "decisions", params(TriagePath),
    request_body = TriageApproval,
    responses((status = 200, description = "The decision", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("token" = ["approve"])))]
pub(crate) async fn approve_triage(
    State(state): State<AppState>,
    auth: Authorized<ApproveScope>,
    Path(path): Path<TriagePath>,
    Json(body): Json<TriageApproval>,
) -> Answer {
    let view = signoff_app::triage::decision(state.signoff(), &path.id).await?;
    auth.on(&state, &view.record.project).await?;
    let approver = auth.who.actor.clone();
    ok(&signoff_app::triage::approve(state.signoff(), &path.id, body.comment, approver).await?)
}
