//! The audit requests page (F4): the auditor's request list with its figures and
//! every answer (as `GET /api/v1/pbc` and `/api/v1/pbc/status`), the bytes each
//! answer gave, and answering by saved query from the page (as
//! `POST /api/v1/pbc/{id}/answers`: the admin scope, a token for every project, a
//! person). The list spans projects, so a token limited to some sees none of it.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Deserialize;
use signoff_app::access::Scope;
use signoff_app::pbc::{AnswerWith, Filter, SavedQuery};

use super::pages::{app_error, csrf_refused, refused};
use super::session::{self, Viewer, see_other};
use crate::AppState;

/// The page refusing a token limited to some projects, or a scope it lacks.
async fn may(state: &AppState, viewer: &Viewer, scope: Scope) -> Result<(), Response> {
    if let Err(refusal) = viewer.who.may(scope) {
        return Err(refused(state, viewer, refusal, scope, None).await);
    }
    if let Err(refusal) = viewer.who.every_project() {
        return Err(refused(state, viewer, refusal, scope, None).await);
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PbcParams {
    answered: Option<String>,
}

/// `GET /ui/audit-requests`.
pub(crate) async fn requests(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(params): axum::extract::Query<PbcParams>,
) -> Response {
    if let Err(page) = may(&state, &viewer, Scope::Read).await {
        return page;
    }
    let today = time::OffsetDateTime::now_utc().date();
    let status = match signoff_app::pbc::status(state.signoff(), today).await {
        Ok(status) => status,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let requests = match signoff_app::pbc::requests(state.signoff(), Filter::All, today).await {
        Ok(requests) => requests,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let may_answer =
        viewer.who.may(Scope::Admin).is_ok() && viewer.who.actor.kind == signoff_core::records::ActorKind::Human;
    let base = super::pages::common(&viewer, "audit-requests");
    state.dashboard().page(
        StatusCode::OK,
        "audit_requests.html",
        context! {
            status => Value::from(Serde(&status)),
            requests => Value::from(Serde(&requests)),
            may_answer => may_answer,
            notice => params.answered.map(|id| format!("{id} answered.")),
            ..base
        },
    )
}

/// An answer named in the path.
#[derive(Debug, Deserialize)]
pub(crate) struct AnswerPath {
    id: String,
    answer: String,
}

/// `GET /ui/audit-requests/{id}/answers/{answer}`: the bytes the answer gave.
pub(crate) async fn answer_bytes(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(path): Path<AnswerPath>,
) -> Response {
    if let Err(page) = may(&state, &viewer, Scope::Read).await {
        return page;
    }
    match signoff_app::pbc::answer_bytes(state.signoff(), &path.id, &path.answer).await {
        Ok((record, bytes)) => crate::routes::download(&path.id, &record, bytes),
        Err(error) => app_error(&state, &viewer, error),
    }
}

#[derive(Deserialize)]
pub(crate) struct AnswerForm {
    csrf: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    note: String,
}

/// A request named in the path.
#[derive(Debug, Deserialize)]
pub(crate) struct RequestPath {
    id: String,
}

/// `POST /ui/audit-requests/{id}/answer`: answers by saved query.
pub(crate) async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(path): Path<RequestPath>,
    Form(form): Form<AnswerForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused(&state, &viewer);
    }
    if let Err(page) = may(&state, &viewer, Scope::Admin).await {
        return page;
    }
    let query = match SavedQuery::parse(&form.query) {
        Ok(query) => query,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let note = Some(form.note).filter(|note| !note.trim().is_empty());
    let actor = viewer.who.actor.clone();
    match signoff_app::pbc::answer(state.signoff(), &path.id, AnswerWith::Query(query), note, actor).await {
        Ok(view) => see_other(&format!(
            "/ui/audit-requests?answered={}#request-{}",
            session::encode(&view.request.id),
            session::encode(&view.request.id)
        )),
        Err(error) => app_error(&state, &viewer, error),
    }
}
