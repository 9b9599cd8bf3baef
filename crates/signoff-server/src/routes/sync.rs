//! `GET /api/v1/sync/status`: per GRC destination, what was sent, what waits,
//! what fails and why — `signoff sync status` over HTTP. Destinations receive
//! every project's artifacts, so the route needs a token for every project.

use axum::extract::State;

use super::{Answer, ok};
use crate::AppState;
use crate::auth::{Authorized, ReadScope};
use crate::problem::Problem;

/// Per destination: sent, pending, failing (why, since when), given up.
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "audit",
    responses((status = 200, description = "Per destination", body = serde_json::Value),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn sync_status(State(state): State<AppState>, auth: Authorized<ReadScope>) -> Answer {
    auth.every_project(&state).await?;
    ok(&signoff_app::sync::status(state.signoff()).await?)
}
