//! What the HTTP connectors share: the client's settings, `Retry-After`, and the
//! mapping of an answer to a [`DeliveryOutcome`].
//!
//! Status classes (the same for every connector, so `sync status` reads alike):
//!
//! | answer | outcome | why |
//! |---|---|---|
//! | 2xx | delivered (after the body was read whole) | a body cut off is not an answer |
//! | 429, 408, 425, 500, 502, 503, 504 | retry, after `Retry-After` when given | RFC 9110 §10.2.3, RFC 6585 §4 |
//! | 401, 403, 412 | retry | credentials or accepted terms are fixed by an operator, not by re-queueing; the failure alert tells them |
//! | other 4xx | failed | the other side refused the content: sending it again will not help |
//! | 3xx | failed | redirects are not followed (SSRF) |
//! | no answer: connect error, timeout, connection dropped | retry | the request may or may not have arrived; idempotency makes resending safe |

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::destination::DeliveryOutcome;

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("signoff/", env!("CARGO_PKG_VERSION"), " (+https://signoff.dev/grc)");

/// The longest wait a `Retry-After` is honoured for; longer asks are capped so a
/// misconfigured server cannot park a delivery for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The most of an answer read into memory (error bodies and list pages).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Timeouts of the connectors' clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish a connection.
    pub connect: Duration,
    /// For a whole request, answer included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(30) }
    }
}

/// A client builder with signoff's settings: rustls, no system proxy (a proxy would
/// bypass the SSRF guard's resolver), no redirects, the timeouts.
pub fn client_builder(timeouts: Timeouts) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.request)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP-date (RFC 9110
/// §10.2.3), capped at [`MAX_RETRY_AFTER`]; `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        // IMF-fixdate, the form RFC 9110 §5.6.7 says senders must use.
        let format =
            format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");
        let at = time::PrimitiveDateTime::parse(value, format).ok()?.assume_utc();
        let seconds = (at - now).whole_seconds();
        Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Reads at most [`MAX_BODY`] bytes of an answer.
///
/// # Errors
///
/// The transport error when the body is cut off (a dropped connection).
pub async fn read_body(mut response: Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(body)
}

/// The start of a body, for messages: at most 300 characters on one line.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(300).collect();
    if text.chars().count() > 300 {
        line.push('…');
    }
    line
}

/// An answer as the table of the module doc says: `Ok(body)` for 2xx, else the
/// outcome. `what` names the request in messages (`Vanta upload`).
///
/// # Errors
///
/// The [`DeliveryOutcome`] (retry or failed) when the answer is not a success.
pub async fn classify(response: Response, what: &str) -> Result<Vec<u8>, DeliveryOutcome> {
    let status = response.status();
    let after = retry_after(response.headers(), OffsetDateTime::now_utc());
    let body = match read_body(response).await {
        Ok(body) => body,
        Err(error) => {
            return Err(DeliveryOutcome::Retry {
                after: None,
                why: format!("{what}: the answer was cut off ({})", error_chain(&error)),
            });
        }
    };
    if status.is_success() {
        return Ok(body);
    }
    Err(status_outcome(status, after, what, &body))
}

/// The outcome of a non-success status.
pub fn status_outcome(status: StatusCode, after: Option<Duration>, what: &str, body: &[u8]) -> DeliveryOutcome {
    let why = format!("{what}: HTTP {status}: {}", excerpt(body));
    match status.as_u16() {
        429 | 408 | 425 | 500 | 502 | 503 | 504 => DeliveryOutcome::Retry { after, why },
        401 | 403 => DeliveryOutcome::Retry { after, why: format!("{why} (check the credentials)") },
        412 => DeliveryOutcome::Retry { after, why: format!("{why} (accept the API terms)") },
        _ => DeliveryOutcome::Failed { why },
    }
}

/// The outcome of a request that got no answer.
pub fn transport_outcome(error: &reqwest::Error, what: &str) -> DeliveryOutcome {
    DeliveryOutcome::Retry { after: None, why: format!("{what}: {}", error_chain(error)) }
}

/// An error and its sources on one line (reqwest's own message alone says little);
/// a cause the text already holds is not repeated.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_both_forms_and_caps() {
        let now = time::macros::datetime!(2025-06-02 10:00:00 UTC);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Mon, 02 Jun 2025 10:01:30 GMT"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(90)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Mon, 02 Jun 2025 09:00:00 GMT"));
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO), "a date in the past means now");
        headers.insert(RETRY_AFTER, HeaderValue::from_static("99999999"));
        assert_eq!(retry_after(&headers, now), Some(MAX_RETRY_AFTER));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn statuses_map_to_outcomes() {
        let retry = |code: u16| {
            matches!(status_outcome(StatusCode::from_u16(code).unwrap(), None, "x", b""), DeliveryOutcome::Retry { .. })
        };
        for code in [429, 408, 425, 500, 502, 503, 504, 401, 403, 412] {
            assert!(retry(code), "{code} should be retried");
        }
        for code in [400, 404, 409, 413, 422, 301, 302] {
            assert!(!retry(code), "{code} should fail");
        }
        let outcome =
            status_outcome(StatusCode::UNAUTHORIZED, None, "Drata create evidence", b"{\"message\":\"bad key\"}");
        assert_eq!(
            outcome,
            DeliveryOutcome::Retry {
                after: None,
                why: "Drata create evidence: HTTP 401 Unauthorized: {\"message\":\"bad key\"} (check the credentials)"
                    .into()
            }
        );
    }
}
