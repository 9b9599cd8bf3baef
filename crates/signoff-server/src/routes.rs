//! The handlers of `/api/v1`: each parses its request, checks the token's scope and
//! project limits, calls the use case the CLI calls, and answers JSON. No rule of
//! signoff is decided here.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use signoff_app::AppError;
use signoff_app::audit::{CoverageScope, Question, ReleaseStatus, Search};
use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_app::findings::{FindingStatus, FindingsQuery};
use signoff_app::request::{DayEnd, Period, parse_time};
use signoff_core::context::CiContext;
use signoff_core::entry::Delivery;
use signoff_core::records::{ApprovalDecision, ExceptionTarget};
use signoff_core::{CommitSha, Digest, EvidenceKind, Format, ProjectName, ReleaseRef, ReleaseVersion, Severity};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{ApproveScope, Authorized, CaptureScope, CertifyScope, ReadScope, ReleaseScope};
use crate::dashboard::LiveEvent;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

mod ledger;

pub(crate) use ledger::*;

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

/// What a capture is for, and how to read it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CaptureParams {
    /// Project.
    project: String,
    /// The file's name (no folders): `bandit.sarif`.
    name: String,
    /// The commit the evidence was produced for (full id).
    commit: Option<String>,
    /// The release it is for, when known already.
    release: Option<String>,
    /// The input format, when detection should not decide.
    format: Option<String>,
    /// The evidence kind, when the format does not say.
    kind: Option<String>,
    /// CI: branch.
    branch: Option<String>,
    /// CI: run id.
    run_id: Option<String>,
    /// CI: run URL.
    run_url: Option<String>,
    /// CI: job.
    job: Option<String>,
    /// CI: system (`github-actions`, `gitlab-ci`).
    system: Option<String>,
    /// CI: repository.
    repository: Option<String>,
    /// When the sender captured it, for a capture it kept in its outbox while this
    /// server was out of reach (RFC 3339); the ledger entry's time is its arrival.
    captured_at: Option<String>,
}

/// The `Idempotency-Key` header: printable ASCII, at most 200 characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let text = value
        .to_str()
        .ok()
        .filter(|text| !text.is_empty() && text.len() <= 200 && text.bytes().all(|byte| byte.is_ascii_graphic()));
    match text {
        Some(text) => Ok(Some(text.to_owned())),
        None => Err(invalid("Idempotency-Key must be 1 to 200 printable ASCII characters")),
    }
}

/// A plain file name: no folders, no `..`, no control characters.
fn file_name(name: &str) -> Result<String, ApiError> {
    let plain = !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    if plain {
        Ok(name.to_owned())
    } else {
        Err(invalid(format!("name {name:?} must be a plain file name (no folders, no '..')")))
    }
}

/// Captures one file sent as the request body, streamed to disk in bounded memory.
#[utoipa::path(post, path = "/api/v1/captures", tag = "capture",
    params(CaptureParams, ("Idempotency-Key" = Option<String>, Header,
        description = "The sender's key for this capture: the same key sent again answers 200 with the evidence stored the first time")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The tool's output, as written"),
    responses((status = 201, description = "Captured: the evidence reports", body = serde_json::Value),
        (status = 200, description = "Delivered before under this Idempotency-Key: the evidence stored then", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("token" = ["capture"])))]
pub(crate) async fn capture(
    State(state): State<AppState>,
    auth: Authorized<CaptureScope>,
    Query(params): Query<CaptureParams>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let project = project(&params.project)?;
    auth.on(&state, &project).await?;
    let name = file_name(&params.name)?;
    if let Some(kind) = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok())
        && (kind.starts_with("multipart/") || kind.starts_with("application/x-www-form-urlencoded"))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type {kind}: send the file itself as the body (application/octet-stream)"),
        ));
    }
    let limit = state.config().max_capture;
    let too_large = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("{name} is larger than {limit} bytes"));
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|length| length > limit)
    {
        return Err(too_large());
    }
    let commit = params.commit.as_deref().map(CommitSha::new).transpose().map_err(AppError::from)?;
    let release = params.release.as_deref().map(ReleaseVersion::new).transpose().map_err(AppError::from)?;
    if commit.is_none() && release.is_none() {
        return Err(invalid("no commit: pass commit=SHA, or release=VERSION for evidence without one"));
    }
    let format = params.format.as_deref().map(str::parse::<Format>).transpose().map_err(invalid)?;
    let kind = params.kind.as_deref().map(str::parse::<EvidenceKind>).transpose().map_err(invalid)?;
    let key = idempotency_key(&headers)?;
    if let Some(text) = &params.captured_at
        && time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_err()
    {
        return Err(invalid(format!("captured_at {text:?} is not an RFC 3339 time")));
    }
    if params.captured_at.is_some() && key.is_none() {
        return Err(invalid("captured_at comes with an Idempotency-Key (a capture delivered from an outbox)"));
    }
    let delivery = key.map(|idempotency_key| Delivery { idempotency_key, captured_at: params.captured_at });

    let home = state.signoff().home().to_owned();
    let folder = tempfile::Builder::new()
        .prefix("upload-")
        .tempdir_in(&home)
        .map_err(|source| AppError::Io { path: home.display().to_string(), source })?;
    let path = folder.path().join(&name);
    let io = |source| ApiError::from(AppError::Io { path: name.clone(), source });
    let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| invalid(format!("the body of {name} could not be read: {error}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large());
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    drop(file);

    let context = CiContext {
        system: params.system.or_else(|| Some("api".into())),
        repository: params.repository,
        commit: commit.as_ref().map(ToString::to_string),
        branch: params.branch,
        run_id: params.run_id,
        run_url: params.run_url,
        job: params.job,
        actor: Some(auth.who.actor.id.clone()),
    };
    let request = CaptureRequest {
        files: vec![InputFile { path, display: name.clone() }],
        target: CaptureContext { project, commit, release, context },
        format,
        kind,
        limits: signoff_ingest::Limits { max_size: limit, ..signoff_ingest::Limits::default() },
        delivery,
    };
    let project_text = request.target.project.to_string();
    let release_text = request.target.release.as_ref().map(ToString::to_string);
    let reports = signoff_app::capture::capture(state.signoff(), request).await?;
    drop(folder);
    if reports.iter().any(|report| report.captured.as_ref().is_some_and(|captured| captured.redelivered)) {
        return ok(&reports);
    }
    state.metrics().captured(reports.len() as u64);
    for report in &reports {
        let text = format!("{} ({} {}) by {}", report.file, report.tool.name, report.kind, auth.who.actor.id);
        state.live(LiveEvent::now("capture", project_text.clone(), release_text.clone(), text));
    }
    created(&reports)
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
    let dry_run = request.dry_run;
    let certification = signoff_app::certify::certify(state.signoff(), request).await?;
    if !dry_run {
        let text = format!("certification by {}", auth.who.actor.id);
        state.live(LiveEvent::now("certification", project_text, Some(version_text), text));
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

/// A project named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ProjectPath {
    /// Project.
    project: String,
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
