//! A local Drata public API v2: upload URLs, the storage they point to, the evidence
//! library (create, list with cursor pages), API-key auth and the 412 of unaccepted
//! terms (shapes: `crate::destination::drata`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Faults, TestServer, apply_faults, lock};

/// Evidence per list page, small so that tests cross pages.
pub const PAGE_SIZE: usize = 3;

/// One piece of evidence in the library.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRecord {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// The control ids it was linked to.
    pub control_ids: Vec<String>,
    /// The uploaded file's key.
    pub file_key: String,
    /// The request body as received.
    pub body: Value,
}

#[derive(Debug, Default)]
struct DrataData {
    next_id: u64,
    upload_urls: BTreeMap<String, Option<Vec<u8>>>,
    evidence: Vec<EvidenceRecord>,
    terms_accepted: bool,
}

/// The state behind a [`FakeDrata`].
#[derive(Debug)]
pub struct DrataState {
    api_key: String,
    workspace_id: u64,
    base: Mutex<String>,
    data: Mutex<DrataData>,
    /// Faults of the API routes (not the storage URL).
    pub faults: Arc<Faults>,
}

/// A running local Drata.
#[derive(Debug)]
pub struct FakeDrata {
    /// Its state.
    pub state: Arc<DrataState>,
    server: TestServer,
}

impl FakeDrata {
    /// Starts one accepting `api_key` for workspace `workspace_id`.
    ///
    /// # Errors
    ///
    /// The I/O error when no port can be bound.
    pub async fn start(api_key: &str, workspace_id: u64) -> std::io::Result<FakeDrata> {
        let state = Arc::new(DrataState {
            api_key: api_key.to_owned(),
            workspace_id,
            base: Mutex::new(String::new()),
            data: Mutex::new(DrataData { next_id: 1000, terms_accepted: true, ..DrataData::default() }),
            faults: Arc::new(Faults::default()),
        });
        let api = Router::new()
            .route("/public/v2/upload-urls", post(upload_url))
            .route("/public/v2/workspaces/{workspace}/evidence-library", get(list_evidence).post(create_evidence))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&state.faults), apply_faults))
            .route("/storage/{key}", put(store_file))
            .with_state(Arc::clone(&state));
        let server = TestServer::start(api).await?;
        *lock(&state.base) = server.url();
        Ok(FakeDrata { state, server })
    }

    /// The v2 base URL (`<url>/public/v2`), what a region's base URL stands for.
    pub fn base_url(&self) -> String {
        format!("{}/public/v2", self.server.url())
    }
}

impl DrataState {
    /// The evidence library.
    pub fn evidence(&self) -> Vec<EvidenceRecord> {
        lock(&self.data).evidence.clone()
    }

    /// The bytes uploaded for a file key.
    pub fn file(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.data).upload_urls.get(key).cloned().flatten()
    }

    /// Upload URLs handed out.
    pub fn upload_urls(&self) -> usize {
        lock(&self.data).upload_urls.len()
    }

    /// Deletes evidence, as a Drata user could.
    pub fn delete_evidence(&self, id: u64) -> bool {
        let mut data = lock(&self.data);
        let before = data.evidence.len();
        data.evidence.retain(|evidence| evidence.id != id);
        data.evidence.len() != before
    }

    /// Whether the API terms are accepted (412 until they are).
    pub fn set_terms_accepted(&self, accepted: bool) {
        lock(&self.data).terms_accepted = accepted;
    }

    /// The refusal of a request, if it is refused.
    fn refusal(&self, headers: &HeaderMap, workspace: Option<u64>) -> Option<Response> {
        let presented = headers.get("authorization").and_then(|value| value.to_str().ok());
        if presented != Some(format!("Bearer {}", self.api_key).as_str()) {
            return Some(error(StatusCode::UNAUTHORIZED, "invalid API key"));
        }
        if !lock(&self.data).terms_accepted {
            return Some(error(StatusCode::PRECONDITION_FAILED, "API terms not accepted"));
        }
        if workspace.is_some_and(|workspace| workspace != self.workspace_id) {
            return Some(error(StatusCode::NOT_FOUND, "workspace not found"));
        }
        None
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"message": message, "statusCode": status.as_u16()}))).into_response()
}

async fn upload_url(
    State(state): State<Arc<DrataState>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(response) = state.refusal(&headers, None) {
        return response;
    }
    if body["purpose"] != "EVIDENCE" || !body["fileName"].is_string() {
        return error(StatusCode::BAD_REQUEST, "purpose EVIDENCE and fileName are required");
    }
    let base = lock(&state.base).clone();
    let mut data = lock(&state.data);
    data.next_id += 1;
    let key = format!("evidence/{}-{}", data.next_id, body["fileName"].as_str().unwrap_or_default());
    let storage_key = percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC).to_string();
    data.upload_urls.insert(key.clone(), None);
    (StatusCode::CREATED, axum::Json(json!({"fileKey": key, "uploadUrl": format!("{base}/storage/{storage_key}")})))
        .into_response()
}

async fn store_file(State(state): State<Arc<DrataState>>, Path(key): Path<String>, body: Bytes) -> Response {
    let mut data = lock(&state.data);
    match data.upload_urls.get_mut(&key) {
        Some(slot) => {
            *slot = Some(body.to_vec());
            StatusCode::OK.into_response()
        }
        None => error(StatusCode::FORBIDDEN, "no such upload URL"),
    }
}

async fn create_evidence(
    State(state): State<Arc<DrataState>>,
    headers: HeaderMap,
    Path(workspace): Path<u64>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(response) = state.refusal(&headers, Some(workspace)) {
        return response;
    }
    let (Some(name), Some(file_key)) = (body["name"].as_str(), body["fileKey"].as_str()) else {
        return error(StatusCode::BAD_REQUEST, "name and one artifact (fileKey) are required");
    };
    if body["renewalScheduleType"].as_str().is_none() || body["filedAt"].as_str().is_none() {
        return error(StatusCode::BAD_REQUEST, "an artifact needs filedAt and renewalScheduleType");
    }
    let mut data = lock(&state.data);
    if !matches!(data.upload_urls.get(file_key), Some(Some(_))) {
        return error(StatusCode::BAD_REQUEST, "fileKey has no uploaded file");
    }
    let control_ids: Vec<String> = body["controlIds"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    data.next_id += 1;
    let record = EvidenceRecord {
        id: data.next_id,
        name: name.to_owned(),
        control_ids: control_ids.clone(),
        file_key: file_key.to_owned(),
        body: body.clone(),
    };
    data.evidence.push(record.clone());
    (StatusCode::CREATED, axum::Json(json!({"id": record.id, "name": record.name, "controlIds": control_ids})))
        .into_response()
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    cursor: Option<String>,
}

async fn list_evidence(
    State(state): State<Arc<DrataState>>,
    headers: HeaderMap,
    Path(workspace): Path<u64>,
    Query(page): Query<Page>,
) -> Response {
    if let Some(response) = state.refusal(&headers, Some(workspace)) {
        return response;
    }
    let start: usize = page.cursor.as_deref().and_then(|cursor| cursor.parse().ok()).unwrap_or(0);
    let data = lock(&state.data);
    let items: Vec<Value> = data
        .evidence
        .iter()
        .skip(start)
        .take(PAGE_SIZE)
        .map(|evidence| json!({"id": evidence.id, "name": evidence.name}))
        .collect();
    let next = start + PAGE_SIZE;
    let cursor = (next < data.evidence.len()).then(|| next.to_string());
    axum::Json(json!({"data": items, "pagination": {"cursor": cursor}})).into_response()
}
