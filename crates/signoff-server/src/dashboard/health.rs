//! The signal inventory and health pages (E4, I2, I3): the data of
//! `GET /api/v1/inventory` and `GET /api/v1/inventory/health`, each row linking
//! to what is behind it (the release, the ledger entry, the exception).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Deserialize;
use signoff_app::access::Scope;
use signoff_app::inventory::{DEFAULT_SILENT_AFTER, DEFAULT_WITHIN_DAYS, HealthQuery, Inventory, InventoryQuery};
use signoff_core::ProjectName;

use super::pages::{app_error, bad_request, common, optional_project, refused};
use super::session::Viewer;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct InventoryParams {
    project: Option<String>,
    silent_after: Option<String>,
    within_days: Option<String>,
    /// Every project's view, from the project after this one (the next page).
    after: Option<String>,
}

/// Projects a page of every project's inventory or health shows.
const PROJECTS_PER_PAGE: u64 = 10;

/// The inventory a page shows: one project's, or a page of every project's
/// (`after` the one named), with the next page's `after`.
async fn take_stock(
    state: &AppState,
    viewer: &Viewer,
    query: &InventoryQuery,
    params: &InventoryParams,
) -> Result<(Inventory, Option<ProjectName>), Response> {
    let read = if query.project.is_some() {
        signoff_app::inventory::inventory(state.signoff(), query).await.map(|inventory| (inventory, None))
    } else {
        let after = match optional_project(params.after.as_deref()) {
            Ok(after) => after,
            Err(error) => return Err(app_error(state, viewer, error)),
        };
        signoff_app::inventory::inventory_page(state.signoff(), query, after.as_ref(), PROJECTS_PER_PAGE).await
    };
    read.map_err(|error| app_error(state, viewer, error))
}

/// A number typed in a filter, or its default when empty.
fn number<T: std::str::FromStr>(text: Option<&str>, default: T, name: &str) -> Result<T, String> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| format!("{name} {text:?}: expected a whole number")),
    }
}

/// The project the page is about (as the API's routes choose it) and the
/// inventory's threshold, or the page that refuses.
async fn scope(state: &AppState, viewer: &Viewer, params: &InventoryParams) -> Result<InventoryQuery, Response> {
    let asked = optional_project(params.project.as_deref()).map_err(|error| app_error(state, viewer, error))?;
    let project: Option<ProjectName> = match viewer.who.project_for(asked.clone()) {
        Ok(project) => project,
        Err(refusal) => return Err(refused(state, viewer, refusal, Scope::Read, asked.as_ref()).await),
    };
    let silent_after = number(params.silent_after.as_deref(), DEFAULT_SILENT_AFTER, "silent after")
        .and_then(|value| if value == 0 { Err("silent after: at least 1 release".to_owned()) } else { Ok(value) })
        .map_err(|error| bad_request(state, viewer, error))?;
    Ok(InventoryQuery { project, silent_after })
}

fn filters(query: &InventoryQuery, within_days: Option<i64>) -> Value {
    context! {
        project => query.project.as_ref().map(ToString::to_string).unwrap_or_default(),
        silent_after => query.silent_after,
        within_days => within_days,
    }
}

/// `GET /ui/inventory`: every source of evidence per project (as
/// `GET /api/v1/inventory`).
pub(crate) async fn inventory(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<InventoryParams>,
) -> Response {
    let query = match scope(&state, &viewer, &params).await {
        Ok(query) => query,
        Err(page) => return page,
    };
    let (inventory, next) = match take_stock(&state, &viewer, &query, &params).await {
        Ok(taken) => taken,
        Err(page) => return page,
    };
    let base = common(&viewer, "inventory");
    state.dashboard().page(
        StatusCode::OK,
        "inventory.html",
        context! {
            inventory => Value::from(Serde(&inventory)),
            filters => filters(&query, None),
            next_after => next.map(|project| project.to_string()),
            ..base
        },
    )
}

/// `GET /ui/health`: silent sources, evidence missing who, when, what or its
/// release, exceptions about to expire that a release relies on, and the ledger
/// (as `GET /api/v1/inventory/health`).
pub(crate) async fn health(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<InventoryParams>,
) -> Response {
    let inventory = match scope(&state, &viewer, &params).await {
        Ok(query) => query,
        Err(page) => return page,
    };
    let within_days = match number(params.within_days.as_deref(), DEFAULT_WITHIN_DAYS, "within days") {
        Ok(days) => days.clamp(0, 3650),
        Err(error) => return bad_request(&state, &viewer, error),
    };
    let query = HealthQuery { inventory, within_days };
    let (inventory, next) = match take_stock(&state, &viewer, &query.inventory, &params).await {
        Ok(taken) => taken,
        Err(page) => return page,
    };
    let health = match signoff_app::inventory::health_of(state.signoff(), &query, inventory).await {
        Ok(health) => health,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let silent: Vec<Value> = health
        .inventory
        .silent()
        .map(|(project, source)| context! { project => project.to_string(), source => Value::from(Serde(source)) })
        .collect();
    let base = common(&viewer, "health");
    state.dashboard().page(
        StatusCode::OK,
        "health.html",
        context! {
            health => Value::from(Serde(&health)),
            silent => silent,
            filters => filters(&query.inventory, Some(within_days)),
            next_after => next.map(|project| project.to_string()),
            ..base
        },
    )
}
