//! The pages: each parses its query, checks the session's token as the API route
//! with the same data would (scope, project limits), calls that route's use case
//! and renders a template.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use signoff_app::AppError;
use signoff_app::access::{self, Scope};
use signoff_app::decide::ExceptionState;
use signoff_app::findings::{FindingStatus, FindingsQuery};
use signoff_app::request::Period;
use signoff_core::{Digest, ProjectName, ReleaseRef, ReleaseVersion};
use time::OffsetDateTime;

use super::session::{self, SESSION_COOKIE, SIGN_IN_COOKIE, Viewer, see_other, set_cookie};
use crate::AppState;
use crate::problem::{ApiError, status_of};

/// How many releases a page lists.
const PAGE: u64 = 50;
/// How many findings a page shows (the count says how many there are).
const FINDINGS_SHOWN: usize = 500;
/// Exceptions expiring within this many days are marked.
const SOON_DAYS: i64 = 14;

/// What every signed-in page shows: who, their CSRF token, where they are.
pub(super) fn common(viewer: &Viewer, nav: &str) -> Value {
    let who = &viewer.who;
    let read_only = who.scopes.iter().all(|scope| *scope == Scope::Read);
    context! {
        me => context! { name => who.actor.id.clone(), kind => who.actor.kind.to_string(), read_only => read_only },
        csrf => viewer.csrf.clone(),
        nav => nav,
    }
}

/// An error as a page, with the status and message the API gives it.
fn error_page(state: &AppState, viewer: Option<&Viewer>, error: ApiError) -> Response {
    let title = error.status.canonical_reason().unwrap_or("Error");
    let base = viewer.map_or_else(|| context! {}, |viewer| common(viewer, ""));
    state.dashboard().page(error.status, "error.html", context! { title => title, detail => error.detail, ..base })
}

pub(super) fn app_error(state: &AppState, viewer: &Viewer, error: AppError) -> Response {
    error_page(state, Some(viewer), ApiError::from(error))
}

/// A refusal of the session's token, answered as the API answers it (an AI
/// agent's is ledgered).
pub(super) async fn refused(
    state: &AppState,
    viewer: &Viewer,
    refusal: signoff_app::Refusal,
    scope: Scope,
    project: Option<&ProjectName>,
) -> Response {
    tracing::warn!(actor = %viewer.who.actor.id, token = %viewer.who.token, "dashboard refused: {refusal}");
    let error = access::refuse(state.signoff(), &viewer.who, refusal, scope.as_str(), project).await;
    app_error(state, viewer, error)
}

pub(super) fn bad_request(state: &AppState, viewer: &Viewer, detail: impl std::fmt::Display) -> Response {
    app_error(state, viewer, AppError::Invalid(detail.to_string()))
}

pub(super) fn not_found(state: &AppState, viewer: &Viewer, detail: impl std::fmt::Display) -> Response {
    error_page(state, Some(viewer), ApiError::new(StatusCode::NOT_FOUND, detail.to_string()))
}

/// The project a page of read data is for, as the API's routes choose it: the
/// one asked for, else the token's own (`None`: every project the token covers),
/// or the page that refuses.
pub(super) async fn read_project(
    state: &AppState,
    viewer: &Viewer,
    asked: Option<&str>,
) -> Result<Option<ProjectName>, Response> {
    let asked = optional_project(asked).map_err(|error| app_error(state, viewer, error))?;
    match viewer.who.project_for(asked.clone()) {
        Ok(project) => Ok(project),
        Err(refusal) => Err(refused(state, viewer, refusal, Scope::Read, asked.as_ref()).await),
    }
}

pub(super) fn optional_project(text: Option<&str>) -> Result<Option<ProjectName>, AppError> {
    text.map(str::trim).filter(|text| !text.is_empty()).map(ProjectName::new).transpose().map_err(AppError::from)
}

// ---------------------------------------------------------------- sign-in

#[derive(Debug, Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
}

fn sign_in_page(state: &AppState, status: StatusCode, next: &str, error: Option<String>, secure: bool) -> Response {
    let Ok(csrf) = session::random_hex() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response();
    };
    let mut response = state.dashboard().page(
        status,
        "sign_in.html",
        context! { csrf => csrf.clone(), next => session::safe_next(next), error => error },
    );
    let cookie = set_cookie(SIGN_IN_COOKIE, &csrf, "/ui/sign-in", std::time::Duration::from_secs(3600), secure);
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

fn tls(state: &AppState, parts: &HeaderMap, uri: &Uri) -> bool {
    state.config().https || session::over_tls(parts, uri.scheme_str())
}

/// `GET /ui/sign-in`.
pub(crate) async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<SignInQuery>,
) -> Response {
    sign_in_page(&state, StatusCode::OK, query.next.as_deref().unwrap_or(""), None, tls(&state, &headers, &uri))
}

#[derive(Deserialize)]
pub(crate) struct SignIn {
    token: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /ui/sign-in`: a token that reads becomes a session.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<SignIn>,
) -> Response {
    let secure = tls(&state, &headers, &uri);
    let expected = session::cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(expected, &form.csrf) {
        let why = "the sign-in form expired or came from elsewhere: sign in again".to_owned();
        return sign_in_page(&state, StatusCode::FORBIDDEN, &form.next, Some(why), secure);
    }
    let who = match access::authenticate(state.signoff(), form.token.trim()).await {
        Ok(who) => who,
        Err(error) => {
            let detail = ApiError::from(error).detail;
            return sign_in_page(&state, StatusCode::UNAUTHORIZED, &form.next, Some(detail), secure);
        }
    };
    if let Err(refusal) = who.may(Scope::Read) {
        let detail = format!("{refusal}: the dashboard needs a token with the read scope");
        return sign_in_page(&state, StatusCode::FORBIDDEN, &form.next, Some(detail), secure);
    }
    let Ok(id) = state.dashboard().sessions.open(form.token.trim().to_owned()) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no randomness").into_response();
    };
    tracing::info!(actor = %who.actor.id, token = %who.token, "signed in to the dashboard");
    let mut response = see_other(session::safe_next(&form.next));
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, set_cookie(SESSION_COOKIE, &id, "/ui", session::LIFETIME, secure));
    headers.append(SET_COOKIE, set_cookie(SIGN_IN_COOKIE, "", "/ui/sign-in", std::time::Duration::ZERO, secure));
    response
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: String,
}

/// `POST /ui/sign-out`.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused(&state, &viewer);
    }
    if let Some(id) = session::cookie(&headers, SESSION_COOKIE) {
        state.dashboard().sessions.close(id);
    }
    let mut response = see_other("/ui/sign-in");
    response.headers_mut().append(SET_COOKIE, set_cookie(SESSION_COOKIE, "", "/ui", std::time::Duration::ZERO, false));
    response
}

pub(super) fn csrf_refused(state: &AppState, viewer: &Viewer) -> Response {
    error_page(
        state,
        Some(viewer),
        ApiError::new(
            StatusCode::FORBIDDEN,
            "the form's CSRF token does not match this session: reload the page and try again",
        ),
    )
}

// ---------------------------------------------------------------- releases

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReleasesQuery {
    project: Option<String>,
    status: Option<String>,
    environment: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    before: Option<u64>,
}

/// Text typed in a filter, trimmed; `None` when empty.
fn typed(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned)
}

/// `GET /ui/releases`: newest first, filtered, a page at a time (as
/// `GET /api/v1/releases`).
pub(crate) async fn releases(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReleasesQuery>,
) -> Response {
    let project = match read_project(&state, &viewer, query.project.as_deref()).await {
        Ok(project) => project,
        Err(page) => return page,
    };
    let status = match crate::routes::release_status(query.status.as_deref()) {
        Ok(status) => status,
        Err(error) => return error_page(&state, Some(&viewer), error),
    };
    let (from, to) = (typed(query.from.as_deref()), typed(query.to.as_deref()));
    let period = match Period::parse(from.as_deref(), to.as_deref()) {
        Ok(period) => period,
        Err(error) => return bad_request(&state, &viewer, error),
    };
    let (environment, search) = (typed(query.environment.as_deref()), typed(query.q.as_deref()));
    let list = signoff_app::release::ReleaseList {
        project: project.clone(),
        status,
        before: query.before,
        environment: environment.clone(),
        period,
        search: search.clone(),
        limit: PAGE,
    };
    let listed = match signoff_app::release::list(state.signoff(), &list).await {
        Ok(listed) => listed,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let next_before = if listed.more > 0 { listed.releases.last().map(|line| line.entry) } else { None };
    let lines: Vec<ReleaseRow<'_>> = listed
        .releases
        .iter()
        .map(|line| ReleaseRow { project: line.release.project.as_str(), version: line.release.version.as_str(), line })
        .collect();
    let filters = context! {
        project => project.map(|project| project.to_string()).unwrap_or_default(),
        status => query.status.unwrap_or_default(),
        environment => environment.unwrap_or_default(),
        from => from.unwrap_or_default(),
        to => to.unwrap_or_default(),
        q => search.unwrap_or_default(),
    };
    let base = common(&viewer, "releases");
    state.dashboard().page(
        StatusCode::OK,
        "releases.html",
        context! { releases => Value::from(Serde(&lines)), more => listed.more, more_is_lower_bound => listed.more_is_lower_bound, filters => filters, next_before => next_before, ..base },
    )
}

/// A line of the release list, with its name's parts for links.
#[derive(Serialize)]
struct ReleaseRow<'a> {
    project: &'a str,
    version: &'a str,
    #[serde(flatten)]
    line: &'a signoff_app::release::ReleaseLine,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReleasePath {
    project: String,
    version: String,
}

fn release_ref(path: &ReleasePath) -> Result<ReleaseRef, AppError> {
    Ok(ReleaseRef::new(ProjectName::new(&path.project)?, ReleaseVersion::new(&path.version)?))
}

/// Whether the session may read `project`; the refusal page when not.
async fn may_read(state: &AppState, viewer: &Viewer, project: &ProjectName) -> Result<(), Response> {
    match viewer.who.may_on(Scope::Read, project) {
        Ok(()) => Ok(()),
        Err(refusal) => Err(refused(state, viewer, refusal, Scope::Read, Some(project)).await),
    }
}

/// `GET /ui/releases/{project}/{version}`: the trace (B2), as
/// `GET /api/v1/releases/{project}/{version}/trace`, with the evidence list of
/// `GET /api/v1/releases/{project}/{version}`.
pub(crate) async fn release(State(state): State<AppState>, viewer: Viewer, Path(path): Path<ReleasePath>) -> Response {
    let release = match release_ref(&path) {
        Ok(release) => release,
        Err(error) => return app_error(&state, &viewer, error),
    };
    if let Err(page) = may_read(&state, &viewer, &release.project).await {
        return page;
    }
    let answers = async {
        let trace = signoff_app::audit::trace(state.signoff(), &release).await?;
        let show = signoff_app::release::show(state.signoff(), &release).await?;
        Ok::<_, AppError>((trace, show))
    };
    let (trace, show) = match answers.await {
        Ok(answers) => answers,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let base = common(&viewer, "releases");
    state.dashboard().page(
        StatusCode::OK,
        "release.html",
        context! { trace => Value::from(Serde(&trace)), show => Value::from(Serde(&show)), ..base },
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct EvidencePath {
    project: String,
    version: String,
    digest: String,
}

/// `GET /ui/releases/{project}/{version}/evidence/{digest}`: the bytes as
/// captured (as `GET /api/v1/releases/{project}/{version}/evidence/{digest}`),
/// shown as text and never run: a sandboxing CSP and no sniffing.
pub(crate) async fn raw_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(path): Path<EvidencePath>,
) -> Response {
    let release_path = ReleasePath { project: path.project, version: path.version };
    let release = match release_ref(&release_path) {
        Ok(release) => release,
        Err(error) => return app_error(&state, &viewer, error),
    };
    if let Err(page) = may_read(&state, &viewer, &release.project).await {
        return page;
    }
    let digest: Digest = match path.digest.parse() {
        Ok(digest) => digest,
        Err(error) => return bad_request(&state, &viewer, error),
    };
    match signoff_app::release::raw_evidence(state.signoff(), &release, &digest).await {
        Ok(raw) => crate::routes::raw_response(raw, true),
        Err(error) => app_error(&state, &viewer, error),
    }
}

// ---------------------------------------------------------------- findings

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FindingsParams {
    project: Option<String>,
    status: Option<String>,
    release: Option<String>,
}

/// `GET /ui/findings`: a project's findings with their history (as
/// `GET /api/v1/projects/{project}/findings`), open ones by default.
pub(crate) async fn findings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<FindingsParams>,
) -> Response {
    let project = match read_project(&state, &viewer, query.project.as_deref()).await {
        Ok(project) => project,
        Err(page) => return page,
    };
    let status_text = query.status.clone().unwrap_or_else(|| "open".into());
    let status = match status_text.as_str() {
        "open" | "" => Some(FindingStatus::Open),
        "fixed" => Some(FindingStatus::Fixed),
        "all" => None,
        other => return bad_request(&state, &viewer, format!("status {other}: expected open, fixed or all")),
    };
    let release = match typed(query.release.as_deref()).map(|text| ReleaseVersion::new(&text)).transpose() {
        Ok(release) => release,
        Err(error) => return app_error(&state, &viewer, AppError::from(error)),
    };
    let base = common(&viewer, "findings");
    let filters = context! {
        project => project.as_ref().map(ToString::to_string).unwrap_or_default(),
        status => status_text,
        release => release.as_ref().map(ToString::to_string).unwrap_or_default(),
    };
    let Some(project) = project else {
        return state.dashboard().page(
            StatusCode::OK,
            "findings.html",
            context! { findings => Value::from(()), filters => filters, ..base },
        );
    };
    // The most severe findings, the first seen first among equals: a heap whose
    // top is the one to drop when a more severe one comes.
    let mut kept: std::collections::BinaryHeap<Ranked> = std::collections::BinaryHeap::new();
    let mut total = 0u64;
    let query = FindingsQuery { project, release, status };
    let read = signoff_app::findings::each(state.signoff(), &query, &mut |view| {
        let ranked = Ranked { order: total, view };
        total += 1;
        if kept.len() < FINDINGS_SHOWN {
            kept.push(ranked);
        } else if kept.peek().is_some_and(|last| ranked.view.finding.severity > last.view.finding.severity) {
            kept.pop();
            kept.push(ranked);
        }
        Ok(())
    })
    .await;
    if let Err(error) = read {
        return app_error(&state, &viewer, error);
    }
    let shown: Vec<_> = kept.into_sorted_vec().into_iter().map(|ranked| ranked.view).collect();
    state.dashboard().page(
        StatusCode::OK,
        "findings.html",
        context! { findings => Value::from(Serde(&shown)), total => total, filters => filters, ..base },
    )
}

/// A finding in the page's ranking: more severe first, then in the order read.
struct Ranked {
    order: u64,
    view: signoff_app::findings::FindingView,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.view.finding.severity.cmp(&self.view.finding.severity).then(self.order.cmp(&other.order))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.order == other.order
    }
}

impl Eq for Ranked {}

// ---------------------------------------------------------------- exceptions

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExceptionsParams {
    approved: Option<String>,
    requested: Option<String>,
}

#[derive(Serialize)]
struct ExceptionLine {
    view: signoff_app::decide::ExceptionView,
    soon: bool,
}

/// `GET /ui/exceptions`: every exception the token may read, with its state;
/// approve buttons for tokens that may approve.
pub(crate) async fn exceptions(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ExceptionsParams>,
) -> Response {
    let views = match signoff_app::decide::exceptions(state.signoff()).await {
        Ok(views) => views,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let now = OffsetDateTime::now_utc();
    let soon = now + time::Duration::days(SOON_DAYS);
    let lines: Vec<ExceptionLine> = views
        .into_iter()
        .filter(|view| match &view.record.project {
            Some(project) => viewer.who.covers(project),
            None => true,
        })
        .rev()
        .map(|view| {
            let soon = view.state == ExceptionState::Approved && view.record.expires_at <= soon;
            ExceptionLine { view, soon }
        })
        .collect();
    let known = |id: &String| lines.iter().any(|line| &line.view.record.id == id);
    let notice = match (query.approved.filter(known), query.requested.filter(known)) {
        (Some(id), _) => Some(format!("{id} approved.")),
        (None, Some(id)) => Some(format!("{id} requested: someone other than you must approve it.")),
        (None, None) => None,
    };
    let may_approve = viewer.who.may(Scope::Approve).is_ok();
    let may_request = viewer.who.may(Scope::Release).is_ok();
    let own_project = match viewer.who.projects.as_slice() {
        [only] => only.to_string(),
        _ => String::new(),
    };
    let base = common(&viewer, "exceptions");
    state.dashboard().page(
        StatusCode::OK,
        "exceptions.html",
        context! {
            exceptions => Value::from(Serde(&lines)),
            may_approve => may_approve,
            may_request => may_request,
            own_project => own_project,
            soon_days => SOON_DAYS,
            notice => notice,
            ..base
        },
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExceptionPath {
    id: String,
}

#[derive(Deserialize)]
pub(crate) struct ApproveForm {
    csrf: String,
    #[serde(default)]
    comment: String,
}

/// `POST /ui/exceptions/{id}/approve`: as `POST /api/v1/exceptions/{id}/approve`
/// (the approve scope, the exception's project; the use case refuses
/// self-approval and non-humans, and ledgers the attempt).
pub(crate) async fn approve_exception(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(path): Path<ExceptionPath>,
    Form(form): Form<ApproveForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused(&state, &viewer);
    }
    if let Err(refusal) = viewer.who.may(Scope::Approve) {
        return refused(&state, &viewer, refusal, Scope::Approve, None).await;
    }
    let view = match signoff_app::decide::exception(state.signoff(), &path.id).await {
        Ok(view) => view,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let limits = match &view.record.project {
        Some(project) => viewer.who.may_on(Scope::Approve, project),
        None => viewer.who.every_project(),
    };
    if let Err(refusal) = limits {
        return refused(&state, &viewer, refusal, Scope::Approve, view.record.project.as_ref()).await;
    }
    let comment = Some(form.comment.trim().to_owned()).filter(|comment| !comment.is_empty());
    match signoff_app::decide::approve_exception(state.signoff(), &path.id, comment, viewer.who.actor.clone()).await {
        Ok(view) => see_other(&format!("/ui/exceptions?approved={}", session::encode(&view.record.id))),
        Err(error) => {
            tracing::info!(status = %status_of(&error), "dashboard exception approval refused: {error}");
            app_error(&state, &viewer, error)
        }
    }
}

// ---------------------------------------------------------------- ledger

#[derive(Debug, Deserialize)]
pub(crate) struct EntryPath {
    entry: u64,
}

/// `GET /ui/ledger/entries/{entry}`: "verify this" — the entry's inclusion proof
/// against the latest signed checkpoint, checked by the use case the API's
/// `GET /api/v1/ledger/proofs/inclusion` calls. The entry's body is shown to
/// tokens of every project only (it may name any project).
pub(crate) async fn entry(State(state): State<AppState>, viewer: Viewer, Path(path): Path<EntryPath>) -> Response {
    let proof = match signoff_app::proof::inclusion_proof(state.signoff(), path.entry, None).await {
        Ok(proof) => proof,
        Err(error) => return app_error(&state, &viewer, error),
    };
    let show_body = viewer.who.every_project().is_ok();
    let base = common(&viewer, "");
    state.dashboard().page(
        StatusCode::OK,
        "entry.html",
        context! { proof => Value::from(Serde(&proof)), show_body => show_body, ..base },
    )
}
