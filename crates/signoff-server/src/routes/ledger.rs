//! The ledger's answers (checkpoint, proofs, public key) and the operator's routes
//! (tokens, metrics, health): what verifiers and operators ask, beside the
//! pipelines' and people's routes of the parent module.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use signoff_app::AppError;
use signoff_core::ProjectName;
use utoipa::{IntoParams, ToSchema};

use super::{Answer, ok};
use crate::AppState;
use crate::auth::{AdminScope, Authorized, ReadScope};
use crate::extract::Query;
use crate::problem::{ApiError, Problem};

/// The latest signed checkpoint.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CheckpointAnswer {
    /// The C2SP signed note.
    checkpoint: String,
    /// The verifier key in C2SP note form.
    verifier_key: String,
}

/// The ledger's latest signed checkpoint (`signoff ledger checkpoint`).
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", tag = "ledger",
    responses((status = 200, description = "The checkpoint", body = CheckpointAnswer),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn checkpoint(State(state): State<AppState>, _auth: Authorized<ReadScope>) -> Answer {
    let Some(note) = signoff_app::proof::latest_checkpoint(state.signoff()).await? else {
        return Err(AppError::NotFound(signoff_app::Missing::EmptyLedger).into());
    };
    ok(&CheckpointAnswer { checkpoint: note, verifier_key: state.signoff().verifier()?.to_text() })
}

/// An inclusion proof's question.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InclusionParams {
    /// The entry.
    entry: u64,
    /// The tree size (default: the latest checkpoint's).
    size: Option<u64>,
}

/// Proof that an entry is in the signed tree (`signoff ledger prove --entry`).
#[utoipa::path(get, path = "/api/v1/ledger/proofs/inclusion", tag = "ledger", params(InclusionParams),
    responses((status = 200, description = "The proof", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn inclusion(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<InclusionParams>,
) -> Answer {
    let proof = signoff_app::proof::inclusion_proof(state.signoff(), params.entry, params.size).await?;
    // The proof carries its entry: only a token that may read the entry's project
    // (every project, for an entry of none) sees it.
    let project = serde_json::from_str::<serde_json::Value>(&proof.entry_body)
        .ok()
        .and_then(|body| body["data"]["project"].as_str().map(str::to_owned));
    match project.map(|name| ProjectName::new(&name)) {
        Some(Ok(project)) => auth.on(&state, &project).await?,
        _ => auth.every_project(&state).await?,
    }
    ok(&proof)
}

/// A consistency proof's question.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ConsistencyParams {
    /// The older tree size.
    from: u64,
    /// The newer size (default: the latest checkpoint's).
    to: Option<u64>,
}

/// Proof that an older signed tree is a prefix of a newer one.
#[utoipa::path(get, path = "/api/v1/ledger/proofs/consistency", tag = "ledger", params(ConsistencyParams),
    responses((status = 200, description = "The proof", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn consistency(
    State(state): State<AppState>,
    _auth: Authorized<ReadScope>,
    Query(params): Query<ConsistencyParams>,
) -> Answer {
    ok(&signoff_app::proof::consistency_proof(state.signoff(), params.from, params.to).await?)
}

/// The ledger's public key.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PublicKey {
    /// SPKI PEM.
    public_key_pem: String,
    /// The verifier key in C2SP note form.
    verifier_key: String,
    /// The checkpoint origin.
    origin: String,
}

/// The ledger's public key, for anyone who verifies checkpoints and certificates.
#[utoipa::path(get, path = "/api/v1/public-key", tag = "ledger",
    responses((status = 200, description = "The key", body = PublicKey)),
    security(()))]
pub(crate) async fn public_key(State(state): State<AppState>) -> Answer {
    let signoff = state.signoff();
    ok(&PublicKey {
        public_key_pem: signoff.public_key().to_spki_pem(),
        verifier_key: signoff.verifier()?.to_text(),
        origin: signoff.origin().to_owned(),
    })
}

/// The access tokens, with their last use; never a secret.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    responses((status = 200, description = "Tokens", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["admin"])))]
pub(crate) async fn tokens(State(state): State<AppState>, auth: Authorized<AdminScope>) -> Answer {
    auth.every_project(&state).await?;
    ok(&signoff_app::access::list(state.signoff()).await?)
}

/// Prometheus metrics of this server (admin tokens of every project).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["admin"])))]
pub(crate) async fn metrics(State(state): State<AppState>, auth: Authorized<AdminScope>) -> Answer {
    auth.every_project(&state).await?;
    let mut text = state.metrics().render();
    if let Some(monitor) = state.monitor() {
        text.push_str(&crate::metrics::render_sync(monitor));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Up")), security(()))]
pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

/// The store is reachable and its schema is this build's.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready"), (status = 503, body = Problem)), security(()))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Answer {
    match state.signoff().ready().await {
        Ok(()) => Ok("ready\n".into_response()),
        Err(error) => {
            tracing::error!(error = %error, "not ready");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {error}")))
        }
    }
}
