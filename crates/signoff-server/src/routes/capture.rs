//! The pipelines' capture route: the file as the request body, or one or more
//! files in a `multipart/form-data` form, streamed to disk in bounded memory, with
//! the CI context as query or form fields and an `Idempotency-Key` that makes a
//! retried delivery one capture.

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use signoff_app::AppError;
use signoff_app::capture::{CaptureContext, CaptureRequest, InputFile};
use signoff_core::context::CiContext;
use signoff_core::entry::Delivery;
use signoff_core::{CommitSha, EvidenceKind, Format, ProjectName, ReleaseVersion};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::{Answer, created, invalid, ok, project};
use crate::AppState;
use crate::auth::{Authorized, CaptureScope};
use crate::dashboard::LiveEvent;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

/// What a capture is for, and how to read it: query fields, or (each of them
/// but `name`) fields of a `multipart/form-data` form.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CaptureParams {
    /// Project (required, here or as a form field before the first file).
    project: Option<String>,
    /// The file's name (no folders), for a file sent as the body: `bandit.sarif`.
    /// A form's files are named by their parts' `filename`.
    name: Option<String>,
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

impl CaptureParams {
    /// Takes a form field; the same field given in the query (or twice) with
    /// another value is refused rather than one silently winning.
    fn set(&mut self, name: &str, value: String) -> Result<(), ApiError> {
        let slot = match name {
            "project" => &mut self.project,
            "commit" => &mut self.commit,
            "release" => &mut self.release,
            "format" => &mut self.format,
            "kind" => &mut self.kind,
            "branch" => &mut self.branch,
            "run_id" => &mut self.run_id,
            "run_url" => &mut self.run_url,
            "job" => &mut self.job,
            "system" => &mut self.system,
            "repository" => &mut self.repository,
            "captured_at" => &mut self.captured_at,
            other => {
                return Err(invalid(format!(
                    "form field {other:?} is not known: expected file, project, commit, release, format, kind, \
                     branch, run_id, run_url, job, system, repository or captured_at"
                )));
            }
        };
        match slot {
            Some(given) if *given != value => {
                Err(invalid(format!("{name} is given twice, as {given:?} and {value:?}")))
            }
            _ => {
                *slot = Some(value);
                Ok(())
            }
        }
    }
}

/// A capture sent as a `multipart/form-data` form (`curl -F project=shop -F
/// commit=... -F file=@bandit.sarif`): the fields of the query, then one or more
/// `file` parts, each named by its `filename`.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; read part by part.
pub(crate) struct CaptureForm {
    /// Project: before the first file.
    project: Option<String>,
    /// The commit the evidence was produced for (full id).
    commit: Option<String>,
    /// The release it is for, when known already.
    release: Option<String>,
    /// The input format, when detection should not decide.
    format: Option<String>,
    /// The evidence kind, when the format does not say.
    kind: Option<String>,
    /// CI: branch, run id, run URL, job, system and repository go in fields of
    /// those names (`branch`, `run_id`, ...).
    branch: Option<String>,
    /// A tool's output, as written; the part may repeat (one capture of several
    /// files, as `signoff capture a b` makes).
    #[schema(value_type = String, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// Most files one form may carry.
const FORM_FILES: usize = 100;

/// Longest form field value, in bytes.
const FORM_FIELD: usize = 4096;

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

/// Captures the request body's file, or a form's files, as one capture.
///
/// Each file is streamed to disk in bounded memory and captured as `signoff
/// capture` does.
#[utoipa::path(post, path = "/api/v1/captures", tag = "capture",
    params(CaptureParams, ("Idempotency-Key" = Option<String>, Header,
        description = "The sender's key for this capture: the same key sent again answers 200 with the evidence stored the first time")),
    request_body(description = "The tool's output as written (with `name` in the query), or a form of fields and files",
        content((Vec<u8> = "application/octet-stream"), (inline(CaptureForm) = "multipart/form-data"))),
    responses((status = 201, description = "Captured: the evidence reports", body = serde_json::Value),
        (status = 200, description = "Delivered before under this Idempotency-Key: the evidence stored then", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("token" = ["capture"])))]
pub(crate) async fn capture(
    State(state): State<AppState>,
    auth: Authorized<CaptureScope>,
    Query(mut params): Query<CaptureParams>,
    request: Request,
) -> Answer {
    let headers = request.headers();
    let key = idempotency_key(headers)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let form = content_type.to_ascii_lowercase().starts_with("multipart/form-data");
    if !form
        && (content_type.starts_with("multipart/") || content_type.starts_with("application/x-www-form-urlencoded"))
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "content type {content_type}: send the file itself as the body (application/octet-stream) \
                 or a multipart/form-data form"
            ),
        ));
    }
    let limit = state.config().max_capture;
    let mut uploads = Uploads::new(state.signoff().home());
    let files = if form {
        let form =
            Multipart::from_request(request, &state).await.map_err(|rejection| invalid(rejection.body_text()))?;
        receive_form(&state, &auth, form, &mut params, &mut uploads, limit).await?
    } else {
        let project = required_project(&params)?;
        auth.on(&state, &project).await?;
        let name = file_name(params.name.as_deref().ok_or_else(|| {
            invalid("no name: pass name=FILE (bandit.sarif) for a file sent as the body, or send a form")
        })?)?;
        if headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|length| length > limit)
        {
            return Err(too_large(&name, limit));
        }
        vec![receive(request.into_body().into_data_stream(), &mut uploads, name, limit).await?]
    };
    let project = required_project(&params)?;
    let commit = params.commit.as_deref().map(CommitSha::new).transpose().map_err(AppError::from)?;
    let release = params.release.as_deref().map(ReleaseVersion::new).transpose().map_err(AppError::from)?;
    if commit.is_none() && release.is_none() {
        return Err(invalid("no commit: pass commit=SHA, or release=VERSION for evidence without one"));
    }
    let format = params.format.as_deref().map(str::parse::<Format>).transpose().map_err(invalid)?;
    let kind = params.kind.as_deref().map(str::parse::<EvidenceKind>).transpose().map_err(invalid)?;
    if let Some(text) = &params.captured_at
        && time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_err()
    {
        return Err(invalid(format!("captured_at {text:?} is not an RFC 3339 time")));
    }
    if params.captured_at.is_some() && key.is_none() {
        return Err(invalid("captured_at comes with an Idempotency-Key (a capture delivered from an outbox)"));
    }
    let delivery = key.map(|idempotency_key| Delivery { idempotency_key, captured_at: params.captured_at });

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
        files,
        target: CaptureContext { project, commit, release, context },
        format,
        kind,
        limits: signoff_ingest::Limits { max_size: limit, ..signoff_ingest::Limits::default() },
        delivery,
    };
    let project_text = request.target.project.to_string();
    let release_text = request.target.release.as_ref().map(ToString::to_string);
    let reports = state.committer().capture(state.signoff(), request).await;
    uploads.remove().await;
    let reports = reports?;
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

fn required_project(params: &CaptureParams) -> Result<ProjectName, ApiError> {
    project(params.project.as_deref().ok_or_else(|| invalid("no project: pass project=NAME"))?)
}

fn too_large(name: &str, limit: u64) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("{name} is larger than {limit} bytes"))
}

/// Files up to this size, in all, of one request are held in memory and captured
/// from there; larger ones stream to disk as they arrive. Most captures are a
/// few kilobytes: a file written, read and removed again for each would cost
/// more than the capture (P5).
const HELD_MAX: usize = 256 * 1024;

/// Requests holding files in memory at once, each within [`HELD_MAX`] until its
/// capture is answered (64 MiB in all); the files of those past it go to disk.
const HOLDING_REQUESTS: usize = 256;

/// Where a request's files go: held in memory within [`HELD_MAX`], while the
/// server holds fewer than [`HOLDING_REQUESTS`] requests' files so, else into a
/// folder of the store's home made for the request on first use.
struct Uploads {
    home: PathBuf,
    folder: Option<tempfile::TempDir>,
    /// Bytes this request may still hold in memory.
    budget: usize,
    /// This request's place among those holding files in memory.
    _holding: Option<tokio::sync::SemaphorePermit<'static>>,
}

impl Uploads {
    fn new(home: &Path) -> Uploads {
        static HOLDING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HOLDING_REQUESTS);
        let holding = HOLDING.try_acquire().ok();
        let budget = if holding.is_some() { HELD_MAX } else { 0 };
        Uploads { home: home.to_owned(), folder: None, budget, _holding: holding }
    }

    /// The path of a new file named `name` in the request's folder.
    fn path(&mut self, name: &str) -> Result<PathBuf, ApiError> {
        let folder = match &mut self.folder {
            Some(folder) => folder,
            empty => empty.insert(
                tempfile::Builder::new()
                    .prefix("upload-")
                    .tempdir_in(&self.home)
                    .map_err(|source| AppError::Io { path: self.home.display().to_string(), source })?,
            ),
        };
        Ok(folder.path().join(name))
    }

    /// Removes the folder, if one was made, on a blocking thread.
    async fn remove(self) {
        if let Some(folder) = self.folder {
            let _ = tokio::task::spawn_blocking(move || drop(folder)).await;
        }
    }
}

/// Receives `chunks` as the file `name`: held in memory while the request's
/// budget allows, else streamed into a new file; more than `limit` bytes are
/// refused.
async fn receive<E: std::fmt::Display>(
    mut chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    uploads: &mut Uploads,
    name: String,
    limit: u64,
) -> Result<InputFile, ApiError> {
    let io = |source| ApiError::from(AppError::Io { path: name.clone(), source });
    let mut held: Vec<u8> = Vec::new();
    let mut size = 0u64;
    let mut file: Option<(tokio::fs::File, PathBuf)> = None;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| invalid(format!("the body of {name} could not be read: {error}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(&name, limit));
        }
        match &mut file {
            Some((file, _)) => file.write_all(&chunk).await.map_err(io)?,
            None if size <= uploads.budget as u64 => held.extend_from_slice(&chunk),
            None => {
                let path = uploads.path(&name)?;
                let (opened, _) = file.insert((tokio::fs::File::create(&path).await.map_err(io)?, path));
                opened.write_all(&held).await.map_err(io)?;
                opened.write_all(&chunk).await.map_err(io)?;
                held = Vec::new();
            }
        }
    }
    match file {
        Some((mut file, path)) => {
            file.flush().await.map_err(io)?;
            Ok(InputFile::named(path, name))
        }
        None => {
            uploads.budget -= held.len();
            Ok(InputFile::in_memory(name, held))
        }
    }
}

/// Reads a form: its fields into `params`, its files into `uploads`. The
/// project must be known (from the query or a field) before the first file, so
/// a file for a project the token does not cover is refused before it is read.
async fn receive_form(
    state: &AppState,
    auth: &Authorized<CaptureScope>,
    mut form: Multipart,
    params: &mut CaptureParams,
    uploads: &mut Uploads,
    limit: u64,
) -> Result<Vec<InputFile>, ApiError> {
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        invalid(format!("the multipart/form-data body could not be read: {}", error.body_text()))
    };
    let mut files: Vec<InputFile> = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let field_name = field.name().unwrap_or_default().to_owned();
        if let Some(given) = field.file_name().map(str::to_owned) {
            if field_name != "file" {
                return Err(invalid(format!("form part {field_name:?} carries a file: name file parts \"file\"")));
            }
            if files.is_empty() {
                let named = params.project.as_deref().ok_or_else(|| {
                    invalid("no project before the first file: send project (query or form field) first")
                })?;
                auth.on(state, &project(named)?).await?;
            }
            if files.len() == FORM_FILES {
                return Err(invalid(format!("more than {FORM_FILES} files in one form")));
            }
            let name = file_name(&given)?;
            if files.iter().any(|file| file.display == name) {
                return Err(invalid(format!("file {name} is in the form twice")));
            }
            files.push(receive(field, uploads, name, limit).await?);
        } else if field_name == "file" {
            return Err(invalid("form part \"file\" has no filename: send it as a file (curl -F file=@PATH)"));
        } else {
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                if value.len() + chunk.len() > FORM_FIELD {
                    return Err(invalid(format!("form field {field_name} is longer than {FORM_FIELD} bytes")));
                }
                value.extend_from_slice(&chunk);
            }
            let value =
                String::from_utf8(value).map_err(|_| invalid(format!("form field {field_name} is not UTF-8 text")))?;
            params.set(&field_name, value)?;
        }
    }
    if files.is_empty() {
        return Err(invalid("the form has no file: add one or more file parts (curl -F file=@PATH)"));
    }
    Ok(files)
}
