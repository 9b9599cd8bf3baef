//! The handlers of `/api/v1`: each parses its request, checks the token's scope and
//! project limits, calls the use case the CLI calls, and answers JSON. No rule of
//! signoff is decided here.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use signoff_app::AppError;
use signoff_app::audit::ReleaseStatus;
use signoff_app::request::{DayEnd, Period, parse_time};
use signoff_core::context::CiContext;
use signoff_core::records::{ApprovalDecision, ExceptionTarget};
use signoff_core::{CommitSha, Digest, ProjectName, ReleaseRef, ReleaseVersion};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{ApproveScope, Authorized, CertifyScope, ReadScope, ReleaseScope};
use crate::dashboard::LiveEvent;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

mod audit;
mod capture;
mod inventory;
mod ledger;
mod pbc;
mod sync;
mod triage;

pub(crate) use audit::*;
pub(crate) use capture::*;
pub(crate) use inventory::*;
pub(crate) use ledger::*;
pub(crate) use pbc::*;
pub(crate) use sync::*;
pub(crate) use triage::*;

type Answer = Result<Response, ApiError>;

fn ok<T: Serialize>(value: &T) -> Answer {
    Ok(axum::Json(value).into_response())
}

fn created<T: Serialize>(value: &T) -> Answer {
    Ok((StatusCode::CREATED, axum::Json(value)).into_response())
}

fn invalid(error: impl std::fmt::Display) -> ApiError {
    ApiError::from(AppError::Invalid(error.to_string()))
}

fn project(text: &str) -> Result<ProjectName, ApiError> {
    Ok(ProjectName::new(text).map_err(AppError::from)?)
}

fn release(project_text: &str, version: &str) -> Result<ReleaseRef, ApiError> {
    Ok(ReleaseRef::new(project(project_text)?, ReleaseVersion::new(version).map_err(AppError::from)?))
}

fn optional_project(text: Option<&str>) -> Result<Option<ProjectName>, ApiError> {
    text.filter(|text| !text.is_empty()).map(project).transpose()
}

fn period(from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
    Period::parse(from, to).map_err(invalid)
}

/// A release named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ReleasePath {
    /// Project.
    project: String,
    /// Version.
    version: String,
}

impl ReleasePath {
    fn parse(&self) -> Result<ReleaseRef, ApiError> {
        release(&self.project, &self.version)
    }
}

/// A release to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRelease {
    /// `PROJECT@VERSION`.
    release: String,
    /// The commit it is built from (full id).
    commit: String,
    /// Artifact digests (`sha256:...`).
    #[serde(default)]
    artifacts: Vec<String>,
}

/// Creates a release.
#[utoipa::path(post, path = "/api/v1/releases", tag = "releases", request_body = NewRelease,
    responses((status = 201, description = "The release", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem)),
    security(("token" = ["release"])))]
pub(crate) async fn create_release(
    State(state): State<AppState>,
    auth: Authorized<ReleaseScope>,
    Json(body): Json<NewRelease>,
) -> Answer {
    let release: ReleaseRef = body.release.parse().map_err(AppError::from)?;
    auth.on(&state, &release.project).await?;
    let artifacts = body
        .artifacts
        .iter()
        .map(|text| text.parse::<Digest>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::from)?;
    let request = signoff_app::release::CreateRelease {
        release,
        commit: CommitSha::new(&body.commit).map_err(AppError::from)?,
        artifacts,
        actor: auth.who.actor.clone(),
        context: CiContext {
            system: Some("api".into()),
            actor: Some(auth.who.actor.id.clone()),
            ..CiContext::default()
        },
        repo: None,
    };
    created(&signoff_app::release::create(state.signoff(), request).await?)
}

/// Filters of a release list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReleaseListParams {
    /// Only this project (a token limited to one project gets its own).
    project: Option<String>,
    /// `certified`, `rejected` or `uncertified`.
    status: Option<String>,
    /// Only releases older than this ledger entry: the previous page's last
    /// release's `entry`, for the next page.
    before: Option<u64>,
    /// Only releases deployed to this environment.
    environment: Option<String>,
    /// Created from (date or RFC 3339).
    from: Option<String>,
    /// Created up to this date, inclusive (or before this RFC 3339 time).
    to: Option<String>,
    /// Only releases whose project, version or commit contains this text (any case).
    q: Option<String>,
    /// At most this many (default 50).
    limit: Option<u64>,
}

pub(crate) fn release_status(text: Option<&str>) -> Result<Option<ReleaseStatus>, ApiError> {
    match text {
        None | Some("") => Ok(None),
        Some("certified") => Ok(Some(ReleaseStatus::Certified)),
        Some("rejected") => Ok(Some(ReleaseStatus::Rejected)),
        Some("uncertified") => Ok(Some(ReleaseStatus::Uncertified)),
        Some(other) => Err(invalid(format!("status {other}: expected certified, rejected or uncertified"))),
    }
}

/// Lists releases, newest first.
#[utoipa::path(get, path = "/api/v1/releases", tag = "releases", params(ReleaseListParams),
    responses((status = 200, description = "A page of releases", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn list_releases(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<ReleaseListParams>,
) -> Answer {
    let project = auth.project_for(&state, optional_project(params.project.as_deref())?).await?;
    let query = signoff_app::release::ReleaseList {
        project,
        status: release_status(params.status.as_deref())?,
        before: params.before,
        environment: params.environment.filter(|text| !text.is_empty()),
        period: period(
            params.from.as_deref().filter(|text| !text.is_empty()),
            params.to.as_deref().filter(|text| !text.is_empty()),
        )?,
        search: params.q.filter(|text| !text.trim().is_empty()),
        limit: params.limit.unwrap_or(50).min(1000),
    };
    ok(&signoff_app::release::list(state.signoff(), &query).await?)
}

/// Shows a release with its evidence.
#[utoipa::path(get, path = "/api/v1/releases/{project}/{version}", tag = "releases", params(ReleasePath),
    responses((status = 200, description = "The release", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn show_release(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<ReleasePath>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    ok(&signoff_app::release::show(state.signoff(), &release).await?)
}

/// A piece of a release's evidence named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct EvidencePath {
    /// Project.
    project: String,
    /// Version.
    version: String,
    /// The evidence's digest (`sha256:...`), as the release lists it.
    digest: String,
}

/// The bytes of a stored evidence file, as an answer: never rendered as a page
/// by a browser (no sniffing, a CSP that lets nothing load or run); text shown
/// inline when `inline`.
pub(crate) fn raw_response(raw: signoff_app::release::RawEvidence, inline: bool) -> Response {
    let text = std::str::from_utf8(&raw.bytes).is_ok();
    let kind = if text { "text/plain; charset=utf-8" } else { "application/octet-stream" };
    let name: String =
        raw.file.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let disposition = if inline && text { "inline" } else { "attachment" };
    let mut response = raw.bytes.into_response();
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, kind.to_owned());
    set(header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{name}\""));
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned());
    // Nothing in it may load or run; the API's answers are also sandboxed (the
    // dashboard's are not: WebDriver cannot drive a sandboxed document).
    let policy = if inline { "default-src 'none'" } else { "sandbox; default-src 'none'" };
    set(header::CONTENT_SECURITY_POLICY, policy.to_owned());
    set(header::HeaderName::from_static("x-evidence-format"), raw.format.to_string());
    set(header::ETAG, format!("\"{}\"", raw.digest));
    response
}

/// The raw bytes of a release's evidence, as captured (redacted secrets aside).
#[utoipa::path(get, path = "/api/v1/releases/{project}/{version}/evidence/{digest}", tag = "releases",
    params(EvidencePath),
    responses((status = 200, description = "The stored bytes", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn raw_evidence(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<EvidencePath>,
) -> Answer {
    let release = release(&path.project, &path.version)?;
    auth.on(&state, &release.project).await?;
    let digest: Digest = path.digest.parse().map_err(AppError::from)?;
    Ok(raw_response(signoff_app::release::raw_evidence(state.signoff(), &release, &digest).await?, false))
}

/// An approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApproval {
    /// `approve` (default) or `reject`.
    #[serde(default)]
    decision: Option<String>,
    /// The role decided in (`release-manager`, `security`).
    role: String,
    /// A comment.
    #[serde(default)]
    comment: Option<String>,
}

/// Approves (or rejects) a release's current content.
#[utoipa::path(post, path = "/api/v1/releases/{project}/{version}/approvals", tag = "decisions", params(ReleasePath),
    request_body = NewApproval,
    responses((status = 201, description = "The approval", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["approve"])))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    auth: Authorized<ApproveScope>,
    Path(path): Path<ReleasePath>,
    Json(body): Json<NewApproval>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    let decision = match body.decision.as_deref() {
        None | Some("approve") => ApprovalDecision::Approve,
        Some("reject") => ApprovalDecision::Reject,
        Some(other) => return Err(invalid(format!("decision {other}: expected approve or reject"))),
    };
    let request = signoff_app::decide::Approve {
        release,
        decision,
        role: body.role,
        comment: body.comment,
        actor: auth.who.actor.clone(),
    };
    created(&signoff_app::decide::approve(state.signoff(), request).await?)
}

/// An exception to request: exactly one of `finding` and `criterion`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewException {
    /// The finding's fingerprint (`sha256:...`).
    #[serde(default)]
    finding: Option<String>,
    /// The criterion's id.
    #[serde(default)]
    criterion: Option<String>,
    /// The project it is for (a token limited to one project gets its own).
    #[serde(default)]
    project: Option<String>,
    /// Why (10 characters at least).
    reason: String,
    /// Until when (`2026-12-31` or RFC 3339).
    expires: String,
}

/// Requests an exception.
#[utoipa::path(post, path = "/api/v1/exceptions", tag = "decisions", request_body = NewException,
    responses((status = 201, description = "The exception", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["release"])))]
pub(crate) async fn request_exception(
    State(state): State<AppState>,
    auth: Authorized<ReleaseScope>,
    Json(body): Json<NewException>,
) -> Answer {
    let project = auth.project_for(&state, optional_project(body.project.as_deref())?).await?;
    let target = match (body.finding, body.criterion) {
        (Some(fingerprint), None) => {
            ExceptionTarget::Finding { fingerprint: fingerprint.parse().map_err(AppError::from)? }
        }
        (None, Some(id)) => ExceptionTarget::Criterion { id },
        _ => return Err(invalid("name exactly one of finding (a fingerprint) or criterion")),
    };
    let request = signoff_app::decide::RequestException {
        target,
        project,
        reason: body.reason,
        expires: parse_time(&body.expires, DayEnd::End).map_err(invalid)?,
        actor: auth.who.actor.clone(),
    };
    created(&signoff_app::decide::request_exception(state.signoff(), request).await?)
}

/// An exception's approval.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExceptionApproval {
    /// A comment.
    #[serde(default)]
    comment: Option<String>,
}

/// An exception named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ExceptionPath {
    /// The exception (`EXC-1`).
    id: String,
}

/// Approves an exception (a human other than its requester).
#[utoipa::path(post, path = "/api/v1/exceptions/{id}/approve", tag = "decisions", params(ExceptionPath),
    request_body = ExceptionApproval,
    responses((status = 200, description = "The exception", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("token" = ["approve"])))]
pub(crate) async fn approve_exception(
    State(state): State<AppState>,
    auth: Authorized<ApproveScope>,
    Path(path): Path<ExceptionPath>,
    Json(body): Json<ExceptionApproval>,
) -> Answer {
    let view = signoff_app::decide::exception(state.signoff(), &path.id).await?;
    match &view.record.project {
        Some(project) => auth.on(&state, project).await?,
        None => auth.every_project(&state).await?,
    }
    let approver = auth.who.actor.clone();
    ok(&signoff_app::decide::approve_exception(state.signoff(), &path.id, body.comment, approver).await?)
}

/// A certification.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCertification {
    /// The environment to certify for.
    #[serde(default)]
    environment: Option<String>,
    /// Predict only: evaluate and write nothing.
    #[serde(default)]
    dry_run: bool,
    /// For a dry run: the date to evaluate at.
    #[serde(default)]
    at: Option<String>,
}

/// Certifies a release against the published policy (or predicts, with `dry_run`).
#[utoipa::path(post, path = "/api/v1/releases/{project}/{version}/certify", tag = "decisions", params(ReleasePath),
    request_body = NewCertification,
    responses((status = 200, description = "The certification", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["certify"])))]
pub(crate) async fn certify(
    State(state): State<AppState>,
    auth: Authorized<CertifyScope>,
    Path(path): Path<ReleasePath>,
    Json(body): Json<NewCertification>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    let at = body.at.as_deref().map(|text| parse_time(text, DayEnd::Start)).transpose().map_err(invalid)?;
    let request = signoff_app::certify::CertifyRequest {
        release,
        policy: None,
        environment: body.environment,
        dry_run: body.dry_run,
        at,
        actor: auth.who.actor.clone(),
    };
    let (project_text, version_text) = (request.release.project.to_string(), request.release.version.to_string());
    let project = request.release.project.clone();
    let dry_run = request.dry_run;
    let certification = signoff_app::certify::certify(state.signoff(), request).await?;
    if !dry_run {
        let text = format!("certification by {}", auth.who.actor.id);
        state.live(LiveEvent::now("certification", project_text, Some(version_text), text));
        // I2: a certification is when a source missing from its latest releases
        // shows; the check runs beside the answer, not before it.
        if let Some(monitor) = state.monitor() {
            let (monitor, signoff) = (std::sync::Arc::clone(monitor), state.shared_signoff());
            tokio::spawn(async move {
                if let Err(error) = monitor.check_sources(&signoff, &project).await {
                    tracing::warn!(%project, %error, "cannot check the project's sources");
                }
            });
        }
    }
    ok(&certification)
}

/// The latest certificate of a release.
#[utoipa::path(get, path = "/api/v1/releases/{project}/{version}/certificate", tag = "decisions", params(ReleasePath),
    responses((status = 200, description = "The certificate", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn certificate(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<ReleasePath>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    ok(&signoff_app::certify::certificate_of(state.signoff(), &release).await?)
}

/// The latest certificate's DSSE envelope, as signed (`signoff certificate export`).
#[utoipa::path(get, path = "/api/v1/releases/{project}/{version}/certificate/envelope", tag = "decisions",
    params(ReleasePath),
    responses((status = 200, description = "The DSSE envelope", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn certificate_envelope(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<ReleasePath>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    let view = signoff_app::certify::certificate_of(state.signoff(), &release).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], view.record.envelope).into_response())
}

/// What the gate is asked.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct GateParams {
    /// The artifact's digest (`sha256:...`).
    artifact: String,
    /// The environment it is deployed to.
    environment: Option<String>,
}

/// May this artifact be deployed? (`allowed: false` is an answer, not an error.)
#[utoipa::path(get, path = "/api/v1/gate", tag = "decisions", params(GateParams),
    responses((status = 200, description = "The gate's decision", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn gate(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<GateParams>,
) -> Answer {
    let artifact: Digest = params.artifact.parse().map_err(AppError::from)?;
    let mut decision = signoff_app::gate::gate(state.signoff(), artifact, params.environment.as_deref()).await?;
    // A certificate of a project the token may not read is not shown, nor relied on.
    if decision.certificate.as_ref().is_some_and(|view| !auth.who.covers(&view.record.project)) {
        decision.allowed = false;
        decision.certificate = None;
        decision.reason = "no certificate of a project this token may read covers this artifact".into();
    }
    ok(&decision)
}

/// A deployment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDeployment {
    /// The environment (`prod`).
    environment: String,
}

/// Records that a release was deployed.
#[utoipa::path(post, path = "/api/v1/releases/{project}/{version}/deployments", tag = "releases", params(ReleasePath),
    request_body = NewDeployment,
    responses((status = 201, description = "The deployment", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["release"])))]
pub(crate) async fn deploy(
    State(state): State<AppState>,
    auth: Authorized<ReleaseScope>,
    Path(path): Path<ReleasePath>,
    Json(body): Json<NewDeployment>,
) -> Answer {
    let release = path.parse()?;
    auth.on(&state, &release.project).await?;
    let request = signoff_app::deploy::RecordDeployment {
        release,
        environment: body.environment,
        actor: auth.who.actor.clone(),
        context: CiContext {
            system: Some("api".into()),
            actor: Some(auth.who.actor.id.clone()),
            ..CiContext::default()
        },
    };
    let (project_text, version_text) = (request.release.project.to_string(), request.release.version.to_string());
    let text = format!("deployed to {} by {}", request.environment, auth.who.actor.id);
    let deployment = signoff_app::deploy::record(state.signoff(), request).await?;
    state.live(LiveEvent::now("deployment", project_text, Some(version_text), text));
    created(&deployment)
}

/// An environment named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct EnvironmentPath {
    /// The environment (`prod`).
    environment: String,
}

/// What runs in an environment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSnapshot {
    /// Digests of the artifacts running there (`sha256:...`).
    artifacts: Vec<String>,
}

/// Records what runs in an environment (B3); anything never certified for it is
/// flagged. Artifacts of any project may run there, so the token must cover every
/// project.
#[utoipa::path(post, path = "/api/v1/environments/{environment}/snapshots", tag = "releases",
    params(EnvironmentPath), request_body = NewSnapshot,
    responses((status = 201, description = "The snapshot, each artifact judged", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["release"])))]
pub(crate) async fn snapshot(
    State(state): State<AppState>,
    auth: Authorized<ReleaseScope>,
    Path(path): Path<EnvironmentPath>,
    Json(body): Json<NewSnapshot>,
) -> Answer {
    auth.every_project(&state).await?;
    let artifacts = body
        .artifacts
        .iter()
        .map(|text| text.parse::<Digest>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::from)?;
    let snapshot =
        signoff_app::deploy::snapshot(state.signoff(), &path.environment, &artifacts, auth.who.actor.clone()).await?;
    created(&snapshot)
}
