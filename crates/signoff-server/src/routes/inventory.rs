//! The signal inventory (E4, I2) and the evidence health the dashboard's health
//! page shows (I2, I3).

use axum::extract::State;
use serde::Deserialize;
use signoff_app::inventory::{DEFAULT_SILENT_AFTER, HealthQuery, InventoryQuery};
use utoipa::IntoParams;

use super::{Answer, invalid, ok, optional_project};
use crate::AppState;
use crate::auth::{Authorized, ReadScope};
use crate::extract::Query;
use crate::problem::Problem;

/// The most releases `silent_after` may look back over.
const MAX_SILENT_AFTER: u64 = 1000;

/// Which inventory.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InventoryParams {
    /// Only this project (a token limited to one project gets its own).
    pub(crate) project: Option<String>,
    /// A source absent from each of this many latest releases is silent (default 3).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) silent_after: Option<u64>,
}

/// Exceptions expiring within how many days.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HealthParams {
    /// Approved exceptions expiring within this many days (default 14).
    pub(crate) within_days: Option<i64>,
}

impl InventoryParams {
    /// The query, once the token's project limits chose the project.
    pub(crate) async fn query(
        &self,
        state: &AppState,
        auth: &Authorized<ReadScope>,
    ) -> Result<InventoryQuery, crate::ApiError> {
        let silent_after = self.silent_after.unwrap_or(DEFAULT_SILENT_AFTER);
        if !(1..=MAX_SILENT_AFTER).contains(&silent_after) {
            return Err(invalid(format!("silent_after: expected a number of releases from 1 to {MAX_SILENT_AFTER}")));
        }
        let project = auth.project_for(state, optional_project(self.project.as_deref())?).await?;
        Ok(InventoryQuery { project, silent_after })
    }
}

/// Every source of evidence per project: when it last reported, the recent
/// releases lacking it, silent sources, and evidence missing who, when, what or
/// its release (`signoff inventory`).
#[utoipa::path(get, path = "/api/v1/inventory", tag = "audit", params(InventoryParams),
    responses((status = 200, description = "The inventory", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn inventory(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<InventoryParams>,
) -> Answer {
    let query = params.query(&state, &auth).await?;
    ok(&signoff_app::inventory::inventory(state.signoff(), &query).await?)
}

/// The inventory with exceptions about to expire that a release relies on and
/// the ledger's state (the dashboard's health page).
#[utoipa::path(get, path = "/api/v1/inventory/health", tag = "audit", params(InventoryParams, HealthParams),
    responses((status = 200, description = "Health", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn health(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<InventoryParams>,
    Query(within): Query<HealthParams>,
) -> Answer {
    let inventory = params.query(&state, &auth).await?;
    let query = HealthQuery {
        inventory,
        within_days: within.within_days.unwrap_or(signoff_app::inventory::DEFAULT_WITHIN_DAYS).clamp(0, 3650),
    };
    ok(&signoff_app::inventory::health(state.signoff(), &query).await?)
}

/// Which metrics over time.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TrendParams {
    /// Only this project (a token limited to one project gets its own).
    project: Option<String>,
    /// From (date or RFC 3339; default: the first day of the month five months back).
    from: Option<String>,
    /// Up to this date, inclusive (default: the end of this month).
    to: Option<String>,
}

/// The metrics month by month (I1): first-attempt pass rate, evidence
/// completeness, time to fix, exceptions open (the dashboard's metrics page).
#[utoipa::path(get, path = "/api/v1/insights/trend", tag = "audit", params(TrendParams),
    responses((status = 200, description = "One point per month", body = serde_json::Value),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = ["read"])))]
pub(crate) async fn trend(
    State(state): State<AppState>,
    auth: Authorized<ReadScope>,
    Query(params): Query<TrendParams>,
) -> Answer {
    let project = auth.project_for(&state, optional_project(params.project.as_deref())?).await?;
    let (from, to) =
        crate::dashboard::metrics::period(params.from.as_deref(), params.to.as_deref()).map_err(invalid)?;
    ok(&signoff_app::insights::trend(state.signoff(), project.as_ref(), from, to).await?)
}
