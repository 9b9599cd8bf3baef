//! The signoff evidence server: one ledger for every pipeline, person and auditor.
//!
//! `signoff serve` runs it over the store of a folder or database. Requests carry
//! a bearer token (`signoff_app::access`); the token's scopes and project limits
//! decide what it may do, and its name is the actor recorded for what it writes.
//! The API is `/api/v1` (OpenAPI 3.1 at `/api/openapi.json`, generated from the
//! handlers by utoipa and checked in as `docs/openapi.json`); `/healthz`,
//! `/readyz` and `/metrics` are for operators. Errors are RFC 9457 problem
//! documents with the message the CLI prints.
//!
//! Architecture Invariant: handlers parse, authorise and call the use cases of
//! `signoff-app` the CLI calls; no business rule is decided here. Authorisation
//! (the token's scope) happens before the body is read.

mod auth;
mod dashboard;
mod extract;
mod metrics;
mod problem;
mod routes;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use signoff_app::Signoff;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

pub use metrics::Metrics;
pub use problem::{ApiError, Problem};

/// How the server is bounded.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest capture body, in bytes.
    pub max_capture: u64,
    /// The largest JSON body, in bytes.
    pub max_body: usize,
    /// How long a request other than a capture may take.
    pub timeout: Duration,
    /// How long a capture may take (its upload included).
    pub capture_timeout: Duration,
    /// Requests per second each token may make, sustained (0: no limit); beyond
    /// it the answer is 429 with `Retry-After`.
    pub rate_per_second: u32,
    /// How many requests a token may make at once above the sustained rate.
    pub rate_burst: u32,
    /// Whether this server terminates TLS itself (`serve --tls-cert`): the
    /// dashboard's cookies are then always Secure.
    pub https: bool,
    /// The most captures written in one transaction (group commit, P5); 1 writes
    /// each capture alone.
    pub max_group: usize,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            max_capture: signoff_ingest::Limits::default().max_size,
            max_body: 1 << 20,
            timeout: Duration::from_secs(60),
            capture_timeout: Duration::from_secs(3600),
            rate_per_second: 100,
            rate_burst: 200,
            https: false,
            max_group: 64,
        }
    }
}

struct Inner {
    signoff: Arc<Signoff>,
    monitor: Option<Arc<signoff_app::sync::Monitor>>,
    committer: signoff_app::capture::Committer,
    metrics: Arc<Metrics>,
    config: ServerConfig,
    limiter: Option<auth::Limiter>,
    dashboard: dashboard::Dashboard,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    /// The state over an open store. Starts the capture queue's task: call it
    /// inside a Tokio runtime.
    pub fn new(signoff: Signoff, config: ServerConfig) -> AppState {
        AppState::with_monitor(signoff, config, None)
    }

    /// The state with the alerts of the GRC sync (`signoff serve`): `/metrics` shows
    /// them, and each certification checks its project for silent sources.
    pub fn with_monitor(
        signoff: Signoff,
        config: ServerConfig,
        monitor: Option<Arc<signoff_app::sync::Monitor>>,
    ) -> AppState {
        let limiter = auth::limiter(config.rate_per_second, config.rate_burst);
        let signoff = Arc::new(signoff);
        let metrics = Arc::new(Metrics::default());
        let counted = Arc::clone(&metrics);
        let committer = signoff_app::capture::Committer::start(Arc::clone(&signoff), config.max_group, move |_| {
            counted.capture_group();
        });
        AppState(Arc::new(Inner {
            signoff,
            monitor,
            committer,
            metrics,
            config,
            limiter,
            dashboard: Default::default(),
        }))
    }

    /// The GRC sync's alerts, when the server runs them.
    pub(crate) fn monitor(&self) -> Option<&Arc<signoff_app::sync::Monitor>> {
        self.0.monitor.as_ref()
    }

    /// The store, shared (for work that outlives a request).
    pub(crate) fn shared_signoff(&self) -> Arc<Signoff> {
        Arc::clone(&self.0.signoff)
    }

    /// The store.
    pub fn signoff(&self) -> &Signoff {
        &self.0.signoff
    }

    /// The capture queue (group commit).
    pub(crate) fn committer(&self) -> &signoff_app::capture::Committer {
        &self.0.committer
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// The bounds.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// The per-token rate limiter, unless rates are not limited.
    pub(crate) fn limiter(&self) -> Option<&auth::Limiter> {
        self.0.limiter.as_ref()
    }

    /// The web dashboard's sessions, templates and live channel.
    pub(crate) fn dashboard(&self) -> &dashboard::Dashboard {
        &self.0.dashboard
    }

    /// Tells open dashboard pages what happened.
    pub(crate) fn live(&self, event: dashboard::LiveEvent) {
        self.0.dashboard.live.publish(event);
    }
}

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "signoff", description = "The signoff evidence server: capture, release, decide, certify, audit, prove."),
    paths(
        routes::capture,
        routes::create_release,
        routes::list_releases,
        routes::show_release,
        routes::raw_evidence,
        routes::approve,
        routes::request_exception,
        routes::approve_exception,
        routes::triage,
        routes::triage_list,
        routes::approve_triage,
        routes::certify,
        routes::certificate,
        routes::certificate_envelope,
        routes::gate,
        routes::deploy,
        routes::package,
        routes::snapshot,
        routes::findings,
        routes::trace,
        routes::search,
        routes::ask,
        routes::coverage,
        routes::report,
        routes::import_requests,
        routes::list_requests,
        routes::request_status,
        routes::show_request,
        routes::answer_by_query,
        routes::answer_by_document,
        routes::answer_bytes,
        routes::sync_status,
        routes::inventory,
        routes::health,
        routes::trend,
        routes::checkpoint,
        routes::inclusion,
        routes::consistency,
        routes::public_key,
        routes::tokens,
        routes::metrics,
        routes::healthz,
        routes::readyz,
    ),
    components(schemas(Problem)),
    modifiers(&BearerTokens, &Problems),
)]
struct ApiDoc;

/// Every error answer as the server sends it: a problem document
/// (`application/problem+json`), described; and the statuses any operation may
/// answer besides its own (401/403/429 with a token, 400 and 404 with path or
/// query parameters, 400, 413, 415 and 422 with a body, 408 for a request that
/// takes too long).
struct Problems;

impl utoipa::Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = || ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("Problem")))).build();
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                let authenticated = operation.security.as_ref().is_none_or(|requirements| {
                    requirements.iter().any(|requirement| *requirement != Default::default())
                });
                let mut extra: Vec<u16> = vec![408];
                if authenticated {
                    extra.extend([401, 403, 429]);
                }
                if path.contains('{') {
                    extra.extend([400, 404]);
                }
                if operation.parameters.as_ref().is_some_and(|parameters| !parameters.is_empty()) {
                    extra.push(400);
                }
                if operation.request_body.is_some() {
                    extra.extend([400, 413, 415, 422]);
                }
                for status in extra {
                    operation.responses.responses.entry(status.to_string()).or_insert_with(|| {
                        RefOr::T(ResponseBuilder::new().content("application/problem+json", problem()).build())
                    });
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else { continue };
                    if response.description.is_empty() {
                        response.description = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|code| StatusCode::from_u16(code).ok())
                            .and_then(|code| code.canonical_reason())
                            .unwrap_or("Error")
                            .to_owned();
                    }
                    if status.starts_with(['4', '5'])
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response.content.insert("application/problem+json".to_owned(), content);
                    }
                }
            }
        }
    }
}

struct BearerTokens;

impl utoipa::Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("so_<id>_<secret>")
                    .description(Some(
                        "A signoff access token (`signoff token create`). The security requirement of each operation names the scope it needs.",
                    ))
                    .build(),
            ),
        );
        openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    }
}

/// The OpenAPI 3.1 document, as served at `/api/openapi.json` and checked in as
/// `docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as pretty JSON with a final newline.
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

async fn openapi_document() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json()).into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route (see /api/openapi.json)")
}

async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics().request(&route, &method, response.status().as_u16(), started.elapsed());
    response
}

/// Answers a timeout as a problem document.
async fn timeout_problem(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::REQUEST_TIMEOUT && response.headers().get("content-type").is_none() {
        return ApiError::new(StatusCode::REQUEST_TIMEOUT, "the request took too long and was stopped").into_response();
    }
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && response.headers().get("content-type").is_none() {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large").into_response();
    }
    response
}

/// The application: every route, with its limits, request ids, logs and metrics.
pub fn router(state: AppState) -> Router {
    let config = state.config().clone();
    let captures = Router::new()
        .route("/api/v1/captures", post(routes::capture))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.capture_timeout))
        .layer(DefaultBodyLimit::disable());
    let api = Router::new()
        .route("/api/v1/releases", post(routes::create_release).get(routes::list_releases))
        .route("/api/v1/releases/{project}/{version}", get(routes::show_release))
        .route("/api/v1/releases/{project}/{version}/approvals", post(routes::approve))
        .route("/api/v1/releases/{project}/{version}/certify", post(routes::certify))
        .route("/api/v1/releases/{project}/{version}/certificate", get(routes::certificate))
        .route("/api/v1/releases/{project}/{version}/certificate/envelope", get(routes::certificate_envelope))
        .route("/api/v1/releases/{project}/{version}/deployments", post(routes::deploy))
        .route("/api/v1/releases/{project}/{version}/trace", get(routes::trace))
        .route("/api/v1/releases/{project}/{version}/package", get(routes::package))
        .route("/api/v1/environments/{environment}/snapshots", post(routes::snapshot))
        .route("/api/v1/releases/{project}/{version}/evidence/{digest}", get(routes::raw_evidence))
        .route("/api/v1/exceptions", post(routes::request_exception))
        .route("/api/v1/exceptions/{id}/approve", post(routes::approve_exception))
        .route("/api/v1/projects/{project}/triage", post(routes::triage).get(routes::triage_list))
        .route("/api/v1/triage/{id}/approve", post(routes::approve_triage))
        .route("/api/v1/gate", get(routes::gate))
        .route("/api/v1/projects/{project}/findings", get(routes::findings))
        .route("/api/v1/audit/search", get(routes::search))
        .route("/api/v1/audit/questions/{question}", get(routes::ask))
        .route("/api/v1/controls/coverage", get(routes::coverage))
        .route("/api/v1/reports", get(routes::report))
        .route("/api/v1/pbc", post(routes::import_requests).get(routes::list_requests))
        .route("/api/v1/pbc/status", get(routes::request_status))
        .route("/api/v1/pbc/{id}", get(routes::show_request))
        .route("/api/v1/pbc/{id}/answers", post(routes::answer_by_query))
        .route("/api/v1/pbc/{id}/documents", post(routes::answer_by_document))
        .route("/api/v1/pbc/{id}/answers/{answer}", get(routes::answer_bytes))
        .route("/api/v1/sync/status", get(routes::sync_status))
        .route("/api/v1/inventory", get(routes::inventory))
        .route("/api/v1/inventory/health", get(routes::health))
        .route("/api/v1/insights/trend", get(routes::trend))
        .route("/api/v1/ledger/checkpoint", get(routes::checkpoint))
        .route("/api/v1/ledger/proofs/inclusion", get(routes::inclusion))
        .route("/api/v1/ledger/proofs/consistency", get(routes::consistency))
        .route("/api/v1/public-key", get(routes::public_key))
        .route("/api/v1/tokens", get(routes::tokens))
        .route("/api/openapi.json", get(openapi_document))
        .route("/metrics", get(routes::metrics))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.timeout))
        .layer(DefaultBodyLimit::max(config.max_body));
    Router::new()
        .merge(captures)
        .merge(api)
        .merge(dashboard::router(config.timeout))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), count))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(timeout_problem))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %request.method(), uri = %request.uri().path())
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves `state` on `listener` (a `tokio::net::TcpListener`, or a
/// [`tls::TlsListener`] for HTTPS) until `shutdown` completes; requests in flight
/// finish first.
///
/// # Errors
/// When the listener fails.
pub async fn serve<L>(
    listener: L,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let live = state.clone();
    let shutdown = async move {
        shutdown.await;
        // Open dashboard pages' event streams end, so that shutdown does not wait on them.
        live.dashboard().live.close();
    };
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
