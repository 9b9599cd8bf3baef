//! Audit request routes (F4): the auditor's request list, its answers and the time
//! to answer — the same use cases as `signoff pbc`. Requests and answers span
//! every project (a saved query answers across them), so each route needs a
//! token that is not limited to some projects.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use signoff_app::pbc::{AnswerWith, Filter, SavedQuery};
use signoff_core::pbc::DocumentKind;
use utoipa::{IntoParams, ToSchema};

use super::{Answer, created, invalid, ok};
use crate::AppState;
use crate::auth::{AdminScope, Authorized, ReadScope};
use crate::extract::{Json, Path, Query};
use crate::problem::Problem;

/// A request list to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRequestList {
    /// The list's file name, as the auditor sent it (`q3-requests.csv`).
    file_name: String,
    /// The list as CSV: a header row naming `id` and `text` (and `due`,
    /// `received`, `control` when present), then one request per row.
    csv: String,
}

/// Imports the auditor's request list; a list imported before changes nothing.
#[utoipa::path(post, path = "/api/v1/pbc", tag = "audit", request_body = NewRequestList,
    responses((status = 201, description = "What was imported", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["admin"])))]
pub(crate) async fn import_requests(
    State(state): State<AppState>,
    auth: Authorized<AdminScope>,
    Json(body): Json<NewRequestList>,
) -> Answer {
    auth.every_project(&state).await?;
    let name = body.file_name.rsplit(['/', '\\']).next().unwrap_or_default().to_owned();
    if name.is_empty() {
        return Err(invalid("file_name is empty"));
    }
    let actor = auth.who.actor.clone();
    created(&signoff_app::pbc::import(state.signoff(), &name, body.csv.as_bytes(), actor).await?)
}

/// Which requests to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RequestListParams {
    /// `all` (default), `open` (not answered), `overdue` or `answered`.
    state: Option<String>,
}

/// The requests, in the order imported, each with its answers and state.
#[utoipa::path(get, path = "/api/v1/pbc", tag = "audit", params(RequestListParams),
    responses((status = 200, description = "The requests", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn list_requests(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<RequestListParams>,
) -> Answer {
    auth.every_project(&state).await?;
    let filter = match params.state.as_deref() {
        None | Some("all") => Filter::All,
        Some("open") => Filter::Unanswered,
        Some("overdue") => Filter::Overdue,
        Some("answered") => Filter::Answered,
        Some(other) => return Err(invalid(format!("state {other:?} is not all, open, overdue or answered"))),
    };
    ok(&signoff_app::pbc::requests(state.signoff(), filter, today()).await?)
}

/// Open and overdue requests, and the measured time to answer.
#[utoipa::path(get, path = "/api/v1/pbc/status", tag = "audit",
    responses((status = 200, description = "The figures", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn request_status(State(state): State<AppState>, auth: Authorized<ReadScope>) -> Answer {
    auth.every_project(&state).await?;
    ok(&signoff_app::pbc::status(state.signoff(), today()).await?)
}

/// A request named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RequestPath {
    /// The request's id, as the auditor's list names it (`REQ-12`).
    id: String,
}

/// One request with its answers.
#[utoipa::path(get, path = "/api/v1/pbc/{id}", tag = "audit", params(RequestPath),
    responses((status = 200, description = "The request", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn show_request(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<RequestPath>,
) -> Answer {
    auth.every_project(&state).await?;
    ok(&signoff_app::pbc::one(state.signoff(), &path.id).await?)
}

/// An answer by saved query.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryAnswer {
    /// The saved query (`population env=prod from=2026-07-01 to=2026-09-30`;
    /// see `signoff pbc answer --help`).
    query: String,
    /// A note to the auditor.
    #[serde(default)]
    note: Option<String>,
}

/// Answers a request with a saved query, run now; its table is stored as CSV.
#[utoipa::path(post, path = "/api/v1/pbc/{id}/answers", tag = "audit", params(RequestPath),
    request_body = QueryAnswer,
    responses((status = 201, description = "The request with its answers", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["admin"])))]
pub(crate) async fn answer_by_query(
    State(state): State<AppState>,
    auth: Authorized<AdminScope>,
    Path(path): Path<RequestPath>,
    Json(body): Json<QueryAnswer>,
) -> Answer {
    auth.every_project(&state).await?;
    let with = AnswerWith::Query(SavedQuery::parse(&body.query)?);
    let actor = auth.who.actor.clone();
    created(&signoff_app::pbc::answer(state.signoff(), &path.id, with, body.note, actor).await?)
}

/// What a document answer is.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DocumentParams {
    /// `package` (verified against this store's key first), `report` or `file`.
    kind: String,
    /// The document's file name.
    file_name: String,
    /// A note to the auditor.
    note: Option<String>,
}

/// Answers a request with a document sent as the body.
#[utoipa::path(post, path = "/api/v1/pbc/{id}/documents", tag = "audit", params(RequestPath, DocumentParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The document's bytes"),
    responses((status = 201, description = "The request with its answers", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["admin"])))]
pub(crate) async fn answer_by_document(
    State(state): State<AppState>,
    auth: Authorized<AdminScope>,
    Path(path): Path<RequestPath>,
    Query(params): Query<DocumentParams>,
    body: Bytes,
) -> Answer {
    auth.every_project(&state).await?;
    let kind = match params.kind.as_str() {
        "package" => DocumentKind::Package,
        "report" => DocumentKind::Report,
        "file" => DocumentKind::File,
        other => return Err(invalid(format!("kind {other:?} is not package, report or file"))),
    };
    let file_name = params.file_name.rsplit(['/', '\\']).next().unwrap_or_default().to_owned();
    if file_name.is_empty() {
        return Err(invalid("file_name is empty"));
    }
    let with = AnswerWith::Document { kind, file_name, bytes: body.to_vec() };
    let actor = auth.who.actor.clone();
    created(&signoff_app::pbc::answer(state.signoff(), &path.id, with, params.note, actor).await?)
}

/// An answer named in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct AnswerPath {
    /// The request's id.
    id: String,
    /// The answer's id.
    answer: String,
}

/// The bytes an answer gave: a saved query's table as CSV, or the document.
#[utoipa::path(get, path = "/api/v1/pbc/{id}/answers/{answer}", tag = "audit", params(AnswerPath),
    responses((status = 200, description = "The bytes", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn answer_bytes(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Path(path): Path<AnswerPath>,
) -> Answer {
    auth.every_project(&state).await?;
    let (record, bytes) = signoff_app::pbc::answer_bytes(state.signoff(), &path.id, &path.answer).await?;
    Ok(download(&path.id, &record, bytes))
}

/// The bytes of an answer as a download: never run or shown inline by a browser.
pub(crate) fn download(request: &str, record: &signoff_core::pbc::PbcAnswerRecord, bytes: Vec<u8>) -> Response {
    let name = match &record.answer {
        signoff_core::pbc::PbcAnswer::Query { .. } => format!("{request}-{}.csv", record.id),
        signoff_core::pbc::PbcAnswer::Document { file_name, .. } => file_name.clone(),
    };
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".to_owned()),
            (header::ETAG, format!("\"{}\"", record.answer.digest())),
        ],
        bytes,
    )
        .into_response()
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
