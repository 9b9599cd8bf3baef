//! The GRC sync page (G3): per destination, what was sent, what waits, what fails
//! and why (as `GET /api/v1/sync/status`). Destinations receive every project's
//! artifacts, so a token limited to some projects sees none of it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::{Serde, Value};
use signoff_app::access::Scope;

use super::pages::{app_error, refused};
use super::session::Viewer;
use crate::AppState;

/// `GET /ui/sync`.
pub(crate) async fn sync(State(state): State<AppState>, viewer: Viewer) -> Response {
    if let Err(refusal) = viewer.who.every_project() {
        return refused(&state, &viewer, refusal, Scope::Read, None).await;
    }
    let destinations = match signoff_app::sync::status(state.signoff()).await {
        Ok(destinations) => destinations,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let base = super::pages::common(&viewer, "sync");
    state.dashboard().page(
        StatusCode::OK,
        "sync.html",
        context! { destinations => Value::from(Serde(&destinations)), ..base },
    )
}
