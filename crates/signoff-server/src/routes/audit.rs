//! The auditor's routes: findings, a release's trace, search, the standard
//! questions, control coverage and the evidence package.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use signoff_app::AppError;
use signoff_app::audit::{CoverageScope, Question, Search};
use signoff_app::findings::{FindingStatus, FindingsQuery};
use signoff_core::{EvidenceKind, ReleaseRef, ReleaseVersion, Severity};
use utoipa::IntoParams;

use super::{Answer, ReleasePath, invalid, ok, optional_project, period, project, release_status};
use crate::AppState;
use crate::auth::{Authorized, ReadScope};
use crate::extract::{Path, Query};
use crate::problem::{ApiError, Problem};

/// A release's evidence package: the deterministic zip an auditor verifies offline
/// with `signoff verify-package` (F3).
#[utoipa::path(get, path = "/api/v1/releases/{project}/{version}/package", tag = "audit", params(ReleasePath),
    responses((status = 200, description = "The package (zip)", body = Vec<u8>, content_type = "application/zip"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn package(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<ReleasePath>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    let bytes = signoff_app::package::export(state.signoff(), &release).await?;
    let file = format!("attachment; filename=\"{}-{}.zip\"", release.project, release.version);
    Ok(([(header::CONTENT_TYPE, "application/zip".to_owned()), (header::CONTENT_DISPOSITION, file)], bytes)
        .into_response())
}

/// A project named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ProjectPath {
    /// Project.
    pub(super) project: String,
}

/// Filters of the findings list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FindingsParams {
    /// Only findings reported in this release's evidence.
    release: Option<String>,
    /// `open` or `fixed`.
    status: Option<String>,
}

/// A project's findings with their history.
#[utoipa::path(get, path = "/api/v1/projects/{project}/findings", tag = "audit", params(ProjectPath, FindingsParams),
    responses((status = 200, description = "Findings", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn findings(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<ProjectPath>,
    Query(params): Query<FindingsParams>,
) -> Answer {
    let project = project(&path.project)?;
    auth.on(&state, &project).await?;
    let status = match params.status.as_deref() {
        None | Some("") => None,
        Some("open") => Some(FindingStatus::Open),
        Some("fixed") => Some(FindingStatus::Fixed),
        Some(other) => return Err(invalid(format!("status {other}: expected open or fixed"))),
    };
    let release = params.release.as_deref().map(ReleaseVersion::new).transpose().map_err(AppError::from)?;
    let query = FindingsQuery { project, release, status };
    ok(&signoff_app::findings::findings(state.signoff(), &query).await?)
}

/// Everything about one release (`signoff audit trace`).
#[utoipa::path(get, path = "/api/v1/releases/{project}/{version}/trace", tag = "audit", params(ReleasePath),
    responses((status = 200, description = "The trace", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn trace(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<ReleasePath>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    ok(&signoff_app::audit::trace(state.signoff(), &release).await?)
}

/// Evidence search filters (`signoff audit search`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Project (a token limited to one project gets its own).
    project: Option<String>,
    /// Evidence kind.
    kind: Option<String>,
    /// Tool.
    tool: Option<String>,
    /// Only evidence with findings at least this severe.
    severity: Option<String>,
    /// Release status: `certified`, `rejected`, `uncertified`.
    status: Option<String>,
    /// Releases approved by.
    approver: Option<String>,
    /// Releases deployed to.
    environment: Option<String>,
    /// Captured from (date or RFC 3339).
    from: Option<String>,
    /// Captured before.
    to: Option<String>,
    /// At most this many rows (default 1000).
    limit: Option<u64>,
}

/// Searches evidence across releases.
#[utoipa::path(get, path = "/api/v1/audit/search", tag = "audit", params(SearchParams),
    responses((status = 200, description = "A table", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn search(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<SearchParams>,
) -> Answer {
    let project = auth.project_for(&state, optional_project(params.project.as_deref())?).await?;
    let search = Search {
        project,
        kind: params.kind.as_deref().map(str::parse::<EvidenceKind>).transpose().map_err(invalid)?,
        tool: params.tool,
        severity: params.severity.as_deref().map(str::parse::<Severity>).transpose().map_err(invalid)?,
        status: release_status(params.status.as_deref())?,
        approver: params.approver,
        environment: params.environment,
        period: period(params.from.as_deref(), params.to.as_deref())?,
        limit: Some(params.limit.unwrap_or(1000).min(10_000)),
    };
    ok(&signoff_app::audit::search(state.signoff(), &search).await?)
}

/// A standard question named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct QuestionPath {
    /// `deployed-without-certification`, `scans-for-period`, `who-approved` or `population`.
    question: String,
}

/// What a standard question is about.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct QuestionParams {
    /// From (date or RFC 3339).
    from: Option<String>,
    /// Before.
    to: Option<String>,
    /// Environment (deployed-without-certification: default `prod`; population).
    environment: Option<String>,
    /// Project (scans-for-period).
    project: Option<String>,
    /// `PROJECT@VERSION` (who-approved).
    release: Option<String>,
}

/// Answers a standard audit question (`signoff audit ask`).
#[utoipa::path(get, path = "/api/v1/audit/questions/{question}", tag = "audit", params(QuestionPath, QuestionParams),
    responses((status = 200, description = "A table", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn ask(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<QuestionPath>,
    Query(params): Query<QuestionParams>,
) -> Answer {
    let period = period(params.from.as_deref(), params.to.as_deref())?;
    let question = match path.question.as_str() {
        "deployed-without-certification" => {
            auth.every_project(&state).await?;
            let environment = params.environment.unwrap_or_else(|| "prod".into());
            Question::DeployedWithoutCertification { period, environment }
        }
        "scans-for-period" => {
            let project = auth.project_for(&state, optional_project(params.project.as_deref())?).await?;
            Question::ScansForPeriod { period, project }
        }
        "who-approved" => {
            let text =
                params.release.as_deref().ok_or_else(|| invalid("who-approved needs release=PROJECT@VERSION"))?;
            let release: ReleaseRef = text.parse().map_err(AppError::from)?;
            auth.on(&state, &release.project).await?;
            Question::WhoApproved { release }
        }
        "population" => {
            auth.every_project(&state).await?;
            let environment = params.environment.ok_or_else(|| invalid("population needs environment=NAME"))?;
            Question::Population { environment, period }
        }
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "no question {other:?} (deployed-without-certification, scans-for-period, who-approved, population)"
                ),
            ));
        }
    };
    ok(&signoff_app::audit::ask(state.signoff(), &question).await?)
}

/// What coverage is computed over.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CoverageParams {
    /// Frameworks, comma separated (default: those in force).
    frameworks: Option<String>,
    /// Only this project (a token limited to one project gets its own).
    project: Option<String>,
    /// One release, `PROJECT@VERSION`.
    release: Option<String>,
    /// Releases created from.
    from: Option<String>,
    /// Releases created before.
    to: Option<String>,
}

/// Control coverage by the evidence held (`signoff controls coverage`).
#[utoipa::path(get, path = "/api/v1/controls/coverage", tag = "audit", params(CoverageParams),
    responses((status = 200, description = "Coverage per framework", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn coverage(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<CoverageParams>,
) -> Answer {
    let release = params.release.as_deref().map(str::parse::<ReleaseRef>).transpose().map_err(AppError::from)?;
    let asked = match (&release, optional_project(params.project.as_deref())?) {
        (Some(release), _) => Some(release.project.clone()),
        (None, project) => project,
    };
    let project = auth.project_for(&state, asked).await?;
    let frameworks: Vec<String> = params
        .frameworks
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    let scope = CoverageScope { release, period: period(params.from.as_deref(), params.to.as_deref())?, project };
    ok(&signoff_app::audit::coverage(state.signoff(), &frameworks, &scope).await?)
}

/// What a period report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportParams {
    /// From this date (or RFC 3339 time).
    from: Option<String>,
    /// Up to this date, inclusive.
    to: Option<String>,
    /// Only this project (a token limited to one project gets its own; to several,
    /// must name one).
    project: Option<String>,
    /// Frameworks to cover, comma-separated (`soc2,iso27001`; default: those in force).
    frameworks: Option<String>,
}

/// A period report (F2): every release of the period with its verdict, findings,
/// tests and evidence, the trends, control coverage and the metrics, as JSON —
/// `signoff report` renders it as HTML or CSV.
#[utoipa::path(get, path = "/api/v1/reports", tag = "audit", params(ReportParams),
    responses((status = 200, description = "The report", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn report(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<ReportParams>,
) -> Answer {
    let project = auth.project_for(&state, optional_project(params.project.as_deref())?).await?;
    let period = period(params.from.as_deref(), params.to.as_deref())?;
    let frameworks: Vec<String> = params
        .frameworks
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    ok(&signoff_app::insights::period_report(state.signoff(), period, project.as_ref(), &frameworks).await?)
}
