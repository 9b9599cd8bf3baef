//! The pipelines' capture route: one file per request, streamed to disk in
//! bounded memory, with the CI context as query fields and an `Idempotency-Key`
//! that makes a retried delivery one capture.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::StreamExt;
use serde::Deserialize;
use signoff_app::AppError;
use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_core::context::CiContext;
use signoff_core::entry::Delivery;
use signoff_core::{CommitSha, EvidenceKind, Format, ReleaseVersion};
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;

use super::{Answer, created, invalid, ok, project};
use crate::AppState;
use crate::auth::{Authorized, CaptureScope};
use crate::dashboard::LiveEvent;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

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
    let reports = state.committer().capture(state.signoff(), request).await?;
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
