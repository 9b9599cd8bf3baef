//! The web dashboard (PRODUCT.md H2): server-rendered HTML under `/ui`, for
//! people who would rather look than type. Pages are minijinja templates with
//! autoescape (embedded; `templates/`), htmx and its SSE extension are vendored
//! (`assets.rs`), sign-in turns a token into a session cookie (`session.rs`),
//! and open pages hear of captures, certifications and deployments live
//! (`live.rs`).
//!
//! Architecture Invariant: as for the API, a page's handler parses, authorises
//! (the session's token, its scopes and project limits) and calls the use cases
//! of `signoff-app` the API's routes call; it shows nothing the API does not
//! answer. Writes (an exception approval) take a CSRF token and the scope the
//! API route takes.

mod assets;
mod controls;
mod decisions;
mod health;
pub(crate) mod live;
pub(crate) mod metrics;
mod pages;
mod pbc;
mod session;
mod sync;

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::Environment;
use tower_http::timeout::TimeoutLayer;

pub(crate) use live::LiveEvent;

use crate::AppState;

/// What the dashboard keeps: its templates, sessions and live channel.
pub(crate) struct Dashboard {
    templates: Environment<'static>,
    assets: assets::AssetNames,
    /// Signed-in browsers.
    pub(crate) sessions: session::Sessions,
    /// What open pages are told.
    pub(crate) live: live::Live,
}

const TEMPLATES: [(&str, &str); 16] = [
    ("base.html", include_str!("templates/base.html")),
    ("sign_in.html", include_str!("templates/sign_in.html")),
    ("error.html", include_str!("templates/error.html")),
    ("releases.html", include_str!("templates/releases.html")),
    ("release.html", include_str!("templates/release.html")),
    ("findings.html", include_str!("templates/findings.html")),
    ("exceptions.html", include_str!("templates/exceptions.html")),
    ("controls.html", include_str!("templates/controls.html")),
    ("control.html", include_str!("templates/control.html")),
    ("live.html", include_str!("templates/live.html")),
    ("entry.html", include_str!("templates/entry.html")),
    ("inventory.html", include_str!("templates/inventory.html")),
    ("health.html", include_str!("templates/health.html")),
    ("metrics.html", include_str!("templates/metrics.html")),
    ("audit_requests.html", include_str!("templates/audit_requests.html")),
    ("sync.html", include_str!("templates/sync.html")),
];

impl Default for Dashboard {
    fn default() -> Dashboard {
        let mut templates = Environment::new();
        // `.html` templates escape every value (minijinja's default for the
        // extension); nothing here marks a value safe.
        for (name, source) in TEMPLATES {
            if let Err(error) = templates.add_template(name, source) {
                tracing::error!(template = name, error = %error, "a dashboard template does not parse");
            }
        }
        Dashboard {
            templates,
            assets: assets::AssetNames::new(),
            sessions: session::Sessions::default(),
            live: live::Live::default(),
        }
    }
}

impl Dashboard {
    /// A template rendered, or an empty string (logged) when it fails.
    fn fragment(&self, name: &str, context: minijinja::Value) -> String {
        match self.templates.get_template(name).and_then(|template| template.render(context)) {
            Ok(html) => html,
            Err(error) => {
                tracing::error!(template = name, error = %format!("{error:#}"), "a dashboard template failed");
                String::new()
            }
        }
    }

    /// A page.
    fn page(&self, status: StatusCode, name: &str, context: minijinja::Value) -> Response {
        let context = minijinja::context! { assets => minijinja::value::Serde(self.assets.clone()), ..context };
        match self.templates.get_template(name).and_then(|template| template.render(context)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(template = name, error = %format!("{error:#}"), "a dashboard page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered (see the server log)")
                    .into_response()
            }
        }
    }
}

/// Headers every dashboard answer carries: scripts and styles only from here,
/// no framing, no caching of pages, no sniffing.
async fn protect(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A raw evidence answer keeps its own, stricter policy (a sandbox).
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The dashboard's routes, merged into the server's router.
pub(crate) fn router(timeout: Duration) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(|| async { session::see_other("/ui/releases") }))
        .route("/ui", get(|| async { session::see_other("/ui/releases") }))
        .route("/ui/", get(|| async { session::see_other("/ui/releases") }))
        .route("/ui/sign-in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/ui/sign-out", post(pages::sign_out))
        .route("/ui/releases", get(pages::releases))
        .route("/ui/releases/{project}/{version}", get(pages::release))
        .route("/ui/releases/{project}/{version}/evidence/{digest}", get(pages::raw_evidence))
        .route("/ui/findings", get(pages::findings))
        .route("/ui/exceptions", get(pages::exceptions))
        .route("/ui/exceptions/request", post(decisions::request_exception))
        .route("/ui/exceptions/{id}/approve", post(pages::approve_exception))
        .route("/ui/controls", get(controls::controls))
        .route("/ui/controls/{framework}/{control}", get(controls::control))
        .route("/ui/inventory", get(health::inventory))
        .route("/ui/health", get(health::health))
        .route("/ui/metrics", get(metrics::metrics))
        .route("/ui/audit-requests", get(pbc::requests))
        .route("/ui/sync", get(sync::sync))
        .route("/ui/audit-requests/{id}/answer", post(pbc::answer))
        .route("/ui/audit-requests/{id}/answers/{answer}", get(pbc::answer_bytes))
        .route("/ui/ledger/entries/{entry}", get(pages::entry))
        .route("/ui/assets/{name}", get(assets::asset))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    // The event stream lives as long as the page: no timeout.
    let stream = Router::new().route("/ui/events", get(live::events));
    pages.merge(stream).layer(axum::middleware::from_fn(protect))
}
