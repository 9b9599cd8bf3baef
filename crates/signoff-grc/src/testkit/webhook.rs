//! A webhook receiver that behaves as Standard Webhooks asks of receivers: it verifies
//! the signature and timestamp, and processes each `webhook-id` once. It takes
//! compliance artifacts and alerts (`crate::alert_webhook`), and answers signoff's
//! list convention (`crate::destination::webhook`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Faults, TestServer, apply_faults, lock};
use crate::webhook_signature::WebhookKey;

/// One processed message.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// `webhook-id`.
    pub message_id: String,
    /// The body's `type`: a compliance artifact or an alert.
    pub event_type: String,
    /// The body's `data` (the artifact, or the alert).
    pub artifact: Value,
    /// The raw body.
    pub body: Vec<u8>,
    /// `webhook-timestamp` as received.
    pub timestamp: String,
    /// `webhook-signature` as received.
    pub signature: String,
}

#[derive(Debug, Default)]
struct ReceiverData {
    processed: BTreeMap<String, Received>,
    deliveries: usize,
    duplicates: usize,
    refused: usize,
}

/// The state behind a [`WebhookReceiver`].
#[derive(Debug)]
pub struct ReceiverState {
    key: WebhookKey,
    data: Mutex<ReceiverData>,
    /// Faults of `POST /hook`.
    pub faults: Arc<Faults>,
}

/// A running receiver at `/hook` (list at `/hook/list`).
#[derive(Debug)]
pub struct WebhookReceiver {
    /// Its state.
    pub state: Arc<ReceiverState>,
    server: TestServer,
}

impl WebhookReceiver {
    /// Starts one verifying with `key`.
    ///
    /// # Errors
    ///
    /// The I/O error when no port can be bound.
    pub async fn start(key: WebhookKey) -> std::io::Result<WebhookReceiver> {
        let state = Arc::new(ReceiverState {
            key,
            data: Mutex::new(ReceiverData::default()),
            faults: Arc::new(Faults::default()),
        });
        let router = Router::new()
            .route("/hook", post(receive))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&state.faults), apply_faults))
            .route("/hook/list", get(list))
            .with_state(Arc::clone(&state));
        let server = TestServer::start(router).await?;
        Ok(WebhookReceiver { state, server })
    }

    /// `http://127.0.0.1:<port>/hook`.
    pub fn url(&self) -> String {
        format!("{}/hook", self.server.url())
    }

    /// `http://127.0.0.1:<port>/hook/list`.
    pub fn list_url(&self) -> String {
        format!("{}/hook/list", self.server.url())
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.server.addr().port()
    }
}

impl ReceiverState {
    /// Messages processed, by `webhook-id`.
    pub fn processed(&self) -> BTreeMap<String, Received> {
        lock(&self.data).processed.clone()
    }

    /// Verified deliveries (duplicates included).
    pub fn deliveries(&self) -> usize {
        lock(&self.data).deliveries
    }

    /// Verified deliveries of an id already processed.
    pub fn duplicates(&self) -> usize {
        lock(&self.data).duplicates
    }

    /// Requests refused for a bad signature.
    pub fn refused(&self) -> usize {
        lock(&self.data).refused
    }

    /// Forgets the message of an artifact, as a receiver that lost it would.
    pub fn forget_artifact(&self, artifact_id: &str) -> bool {
        let mut data = lock(&self.data);
        let before = data.processed.len();
        data.processed.retain(|_, received| received.artifact["id"] != artifact_id);
        data.processed.len() != before
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<String, Box<Response>> {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
        let id = header("webhook-id").to_owned();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        match self.key.verify(&id, header("webhook-timestamp"), header("webhook-signature"), body, now) {
            Ok(()) => Ok(id),
            Err(error) => {
                lock(&self.data).refused += 1;
                Err(Box::new((StatusCode::UNAUTHORIZED, error.to_string()).into_response()))
            }
        }
    }
}

async fn receive(State(state): State<Arc<ReceiverState>>, headers: HeaderMap, body: Bytes) -> Response {
    let id = match state.verify(&headers, &body) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let event_type = message["type"].as_str().unwrap_or_default().to_owned();
    if event_type != crate::destination::webhook::EVENT_TYPE && event_type != crate::alert_webhook::ALERT_EVENT_TYPE {
        return (StatusCode::BAD_REQUEST, "unknown event type").into_response();
    }
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let mut data = lock(&state.data);
    data.deliveries += 1;
    if data.processed.contains_key(&id) {
        // Standard Webhooks: the same webhook-id is the same message; acknowledge it
        // without processing it again.
        data.duplicates += 1;
    } else {
        data.processed.insert(
            id.clone(),
            Received {
                message_id: id,
                event_type,
                artifact: message["data"].clone(),
                body: body.to_vec(),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
            },
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn list(State(state): State<Arc<ReceiverState>>, headers: HeaderMap) -> Response {
    if let Err(response) = state.verify(&headers, b"") {
        return *response;
    }
    let artifacts: Vec<Value> = lock(&state.data)
        .processed
        .values()
        .map(|received| json!({"id": received.artifact["id"], "idempotency_key": received.artifact["idempotency_key"]}))
        .collect();
    axum::Json(json!({"artifacts": artifacts})).into_response()
}
