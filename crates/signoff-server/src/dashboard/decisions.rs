//! Requesting an exception from the exceptions page: as
//! `POST /api/v1/exceptions` (the release scope, the token's project limits; the
//! use case checks the reason, the expiry and the policy's limits, as
//! `signoff exception request` does).

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use signoff_app::AppError;
use signoff_app::access::Scope;
use signoff_app::request::{DayEnd, parse_time};
use signoff_core::records::ExceptionTarget;

use super::pages::{app_error, bad_request, csrf_refused, optional_project, refused};
use super::session::{self, Viewer, see_other};
use crate::AppState;

#[derive(Deserialize)]
pub(crate) struct RequestForm {
    csrf: String,
    /// `criterion` or `finding`.
    #[serde(default)]
    waives: String,
    /// The criterion's id or the finding's fingerprint.
    #[serde(default)]
    target: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expires: String,
}

/// `POST /ui/exceptions/request`.
pub(crate) async fn request_exception(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RequestForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused(&state, &viewer);
    }
    let asked = match optional_project(Some(&form.project)) {
        Ok(asked) => asked,
        Err(error) => return app_error(&state, &viewer, error),
    };
    if let Err(refusal) = viewer.who.may(Scope::Release) {
        return refused(&state, &viewer, refusal, Scope::Release, asked.as_ref()).await;
    }
    let project = match viewer.who.project_for(asked.clone()) {
        Ok(project) => project,
        Err(refusal) => return refused(&state, &viewer, refusal, Scope::Release, asked.as_ref()).await,
    };
    let text = form.target.trim();
    if text.is_empty() {
        return bad_request(&state, &viewer, "name the criterion or the finding the exception waives");
    }
    let target = match form.waives.as_str() {
        "criterion" | "" => ExceptionTarget::Criterion { id: text.to_owned() },
        "finding" => match text.parse() {
            Ok(fingerprint) => ExceptionTarget::Finding { fingerprint },
            Err(error) => return app_error(&state, &viewer, AppError::from(error)),
        },
        other => return bad_request(&state, &viewer, format!("waives {other:?}: expected criterion or finding")),
    };
    let expires = match parse_time(form.expires.trim(), DayEnd::End) {
        Ok(expires) => expires,
        Err(error) => return bad_request(&state, &viewer, format!("expires: {error}")),
    };
    let request = signoff_app::decide::RequestException {
        target,
        project,
        reason: form.reason.trim().to_owned(),
        expires,
        actor: viewer.who.actor.clone(),
    };
    match signoff_app::decide::request_exception(state.signoff(), request).await {
        Ok(view) => see_other(&format!("/ui/exceptions?requested={}", session::encode(&view.record.id))),
        Err(error) => app_error(&state, &viewer, error),
    }
}
