//! Errors as RFC 9457 problem details (`application/problem+json`), with the
//! message the CLI prints for the same failure and the status its kind calls for.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use signoff_app::{AppError, RefusalClass};

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank`: the status says it).
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, as the CLI says it.
    pub detail: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// The message.
    pub detail: String,
    /// Seconds to wait before trying again (`Retry-After`), for 429 and 503.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An answer with a status and a message.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError { status, detail: detail.into(), retry_after: None }
    }

    /// The same answer, telling the client when to try again.
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// A bad request.
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }
}

/// An error with its causes on one line, `what: why: why`, a cause already in
/// the text before it left out: what the CLI prints.
fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The status for a use case's error: its layer decides.
pub(crate) fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Refused(refusal) => match refusal.class() {
            RefusalClass::Forbidden => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        },
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid(_) | AppError::Name(_) | AppError::Digest(_) | AppError::Framework(_) => {
            StatusCode::BAD_REQUEST
        }
        AppError::Ingest(_) | AppError::Policy(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Store(signoff_store::StoreError::Conflict { .. }) => StatusCode::CONFLICT,
        AppError::NotInitialized { .. } | AppError::Stopped { .. } => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Group(cause) => status_of(cause),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        let status = status_of(&error);
        let detail = error_text(&error);
        if status.is_server_error() {
            tracing::error!(error = %detail, "request failed");
        }
        ApiError { status, detail, retry_after: None }
    }
}

impl From<signoff_app::Refusal> for ApiError {
    fn from(refusal: signoff_app::Refusal) -> ApiError {
        AppError::from(refusal).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: "about:blank".into(),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"signoff\""));
        }
        response
    }
}
