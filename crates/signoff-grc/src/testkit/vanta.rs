//! A local Vanta: the OAuth token endpoint with its rate limit, custom resources with
//! full-state `PUT`, and document uploads (shapes: `crate::destination::vanta`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Faults, TestServer, apply_faults, lock};

/// Token requests the endpoint accepts per minute.
pub const TOKENS_PER_MINUTE: usize = 5;

/// One uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    /// Its id.
    pub id: String,
    /// Its file name.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// `effectiveAtDate`.
    pub effective_at: Option<String>,
}

#[derive(Debug, Default)]
struct VantaData {
    minted: Vec<String>,
    token_requests: VecDeque<Instant>,
    rate_limited: usize,
    resources: BTreeMap<String, Value>,
    puts: usize,
    uploads: BTreeMap<String, Vec<UploadRecord>>,
}

/// The state behind a [`FakeVanta`].
#[derive(Debug)]
pub struct VantaState {
    client_id: String,
    client_secret: String,
    resource_id: String,
    token_lifetime: Mutex<u64>,
    data: Mutex<VantaData>,
    /// Faults of the API routes (not the token endpoint).
    pub faults: Arc<Faults>,
    /// Faults of the token endpoint.
    pub token_faults: Arc<Faults>,
}

/// A running local Vanta.
#[derive(Debug)]
pub struct FakeVanta {
    /// Its state, to inspect and change.
    pub state: Arc<VantaState>,
    server: TestServer,
}

impl FakeVanta {
    /// Starts one accepting `client_id`/`client_secret`, with custom resource type
    /// `resource_id`.
    ///
    /// # Errors
    ///
    /// The I/O error when no port can be bound.
    pub async fn start(client_id: &str, client_secret: &str, resource_id: &str) -> std::io::Result<FakeVanta> {
        let state = Arc::new(VantaState {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            resource_id: resource_id.to_owned(),
            token_lifetime: Mutex::new(3600),
            data: Mutex::new(VantaData::default()),
            faults: Arc::new(Faults::default()),
            token_faults: Arc::new(Faults::default()),
        });
        let api = Router::new()
            .route("/v1/resources/custom_resource", get(read_resources).put(put_resources))
            .route("/v1/documents/{document}/uploads", get(list_uploads).post(upload))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&state.faults), apply_faults))
            .with_state(Arc::clone(&state));
        let token = Router::new()
            .route("/oauth/token", post(token))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&state.token_faults), apply_faults))
            .with_state(Arc::clone(&state));
        let server = TestServer::start(api.merge(token)).await?;
        Ok(FakeVanta { state, server })
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }
}

impl VantaState {
    /// How long new tokens live, in seconds.
    pub fn set_token_lifetime(&self, seconds: u64) {
        *lock(&self.token_lifetime) = seconds;
    }

    /// Tokens minted so far.
    pub fn tokens_minted(&self) -> usize {
        lock(&self.data).minted.len()
    }

    /// Token requests refused by the rate limit.
    pub fn tokens_rate_limited(&self) -> usize {
        lock(&self.data).rate_limited
    }

    /// The resources held, by `uniqueId`.
    pub fn resources(&self) -> BTreeMap<String, Value> {
        lock(&self.data).resources.clone()
    }

    /// Full-state `PUT`s received.
    pub fn puts(&self) -> usize {
        lock(&self.data).puts
    }

    /// Adds a resource as if another integration run had sent it.
    pub fn insert_resource(&self, resource: Value) {
        let id = resource["uniqueId"].as_str().unwrap_or_default().to_owned();
        lock(&self.data).resources.insert(id, resource);
    }

    /// Deletes a resource, as a Vanta user could.
    pub fn delete_resource(&self, unique_id: &str) -> bool {
        lock(&self.data).resources.remove(unique_id).is_some()
    }

    /// The uploads of a document.
    pub fn uploads(&self, document: &str) -> Vec<UploadRecord> {
        lock(&self.data).uploads.get(document).cloned().unwrap_or_default()
    }

    /// Revokes every token (as minting elsewhere would).
    pub fn revoke_tokens(&self) {
        lock(&self.data).minted.push("revoked".into());
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let presented = headers.get("authorization").and_then(|value| value.to_str().ok());
        let data = lock(&self.data);
        // A new mint revokes the previous token (the notes: one active token per app).
        match (presented, data.minted.last()) {
            (Some(presented), Some(latest)) => presented == format!("Bearer {latest}"),
            _ => false,
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    scope: String,
    grant_type: String,
}

async fn token(State(state): State<Arc<VantaState>>, axum::Json(request): axum::Json<TokenRequest>) -> Response {
    let lifetime = *lock(&state.token_lifetime);
    let mut data = lock(&state.data);
    let now = Instant::now();
    while data.token_requests.front().is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(60)) {
        data.token_requests.pop_front();
    }
    if data.token_requests.len() >= TOKENS_PER_MINUTE {
        data.rate_limited += 1;
        let oldest = data.token_requests.front().copied().unwrap_or(now);
        let wait = 60u64.saturating_sub(now.duration_since(oldest).as_secs()).max(1);
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", wait.to_string())], "rate limited").into_response();
    }
    data.token_requests.push_back(now);
    if request.grant_type != "client_credentials"
        || request.client_id != state.client_id
        || request.client_secret != state.client_secret
    {
        return error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if request.scope.is_empty() {
        return error(StatusCode::BAD_REQUEST, "invalid_scope");
    }
    let token = format!("vanta-token-{}", data.minted.len() + 1);
    data.minted.push(token.clone());
    axum::Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": lifetime})).into_response()
}

#[derive(Deserialize)]
struct ResourceQuery {
    #[serde(rename = "resourceId")]
    resource_id: String,
}

async fn read_resources(
    State(state): State<Arc<VantaState>>,
    headers: HeaderMap,
    Query(query): Query<ResourceQuery>,
) -> Response {
    if !state.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    if query.resource_id != state.resource_id {
        return error(StatusCode::NOT_FOUND, "unknown resourceId");
    }
    let resources: Vec<Value> = lock(&state.data).resources.values().cloned().collect();
    axum::Json(json!({"resources": resources})).into_response()
}

async fn put_resources(
    State(state): State<Arc<VantaState>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !state.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    if body["resourceId"].as_str() != Some(state.resource_id.as_str()) {
        return error(StatusCode::NOT_FOUND, "unknown resourceId");
    }
    let Some(resources) = body["resources"].as_array() else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "resources must be an array");
    };
    let mut next = BTreeMap::new();
    for resource in resources {
        let (Some(unique_id), Some(_)) = (resource["uniqueId"].as_str(), resource["displayName"].as_str()) else {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "each resource needs uniqueId and displayName");
        };
        if !resource["customProperties"]["satisfied"].is_boolean()
            && resource["customProperties"].get("satisfied").is_some()
        {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "satisfied must be a boolean");
        }
        next.insert(unique_id.to_owned(), resource.clone());
    }
    let mut data = lock(&state.data);
    // Full state: whatever is not in this request is deleted.
    data.resources = next;
    data.puts += 1;
    StatusCode::OK.into_response()
}

async fn list_uploads(
    State(state): State<Arc<VantaState>>,
    headers: HeaderMap,
    Path(document): Path<String>,
) -> Response {
    if !state.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let uploads = state.uploads(&document);
    let data: Vec<Value> =
        uploads.iter().map(|upload| json!({"id": upload.id, "fileName": upload.file_name})).collect();
    axum::Json(json!({"results": {"data": data, "pageInfo": {"hasNextPage": false, "endCursor": null}}}))
        .into_response()
}

async fn upload(
    State(state): State<Arc<VantaState>>,
    headers: HeaderMap,
    Path(document): Path<String>,
    mut multipart: Multipart,
) -> Response {
    if !state.authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut effective_at = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return error(StatusCode::BAD_REQUEST, "malformed multipart body"),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Ok(bytes) = field.bytes().await else { return error(StatusCode::BAD_REQUEST, "malformed field") };
        match name.as_str() {
            "file" => file = Some((file_name.unwrap_or_default(), bytes.to_vec())),
            "effectiveAtDate" => effective_at = Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => {}
        }
    }
    let Some((file_name, bytes)) = file else { return error(StatusCode::UNPROCESSABLE_ENTITY, "file is required") };
    let mut data = lock(&state.data);
    let count = data.uploads.values().map(Vec::len).sum::<usize>();
    let id = format!("upload-{}", count + 1);
    data.uploads.entry(document).or_default().push(UploadRecord {
        id: id.clone(),
        file_name: file_name.clone(),
        bytes,
        effective_at: effective_at.clone(),
    });
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "fileName": file_name, "url": format!("https://app.vanta.com/uploads/{id}"), "effectiveDate": effective_at})),
    )
        .into_response()
}
