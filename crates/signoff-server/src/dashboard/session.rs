//! Signed-in browsers: a session is a random id in an HttpOnly, SameSite=Strict
//! cookie (Secure when the request came over TLS); the server keeps only the
//! id's SHA-256, with the token it stands for (in memory, never written or sent
//! back), a CSRF token for the session's forms, and an expiry. Every request
//! re-authenticates the token, so a revoked or expired token ends its sessions.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use signoff_app::access::{self, Principal};
use signoff_core::Digest;
use subtle::ConstantTimeEq;

use crate::AppState;

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "signoff_session";
/// The sign-in form's double-submit cookie (there is no session yet to hold its
/// CSRF token).
pub(crate) const SIGN_IN_COOKIE: &str = "signoff_sign_in";
/// How long a session lasts from sign-in.
pub(crate) const LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// How many sessions are held at most; the one closest to expiry makes room.
const MAX_SESSIONS: usize = 10_000;

struct Session {
    token: String,
    csrf: String,
    expires: Instant,
}

/// The open sessions, by the SHA-256 of their id.
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<Digest, Session>>,
}

/// 32 random bytes as hex.
pub(crate) fn random_hex() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Whether two secrets are equal, in constant time.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, Session>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens a session for `token`; returns its id (for the cookie).
    pub(crate) fn open(&self, token: String) -> Result<String, getrandom::Error> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, session| session.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, session)| session.expires).map(|(key, _)| *key)
        {
            map.remove(&oldest);
        }
        map.insert(Digest::of(id.as_bytes()), Session { token, csrf, expires: now + LIFETIME });
        Ok(id)
    }

    /// The token and CSRF token of a live session.
    fn get(&self, id: &str) -> Option<(String, String)> {
        let key = Digest::of(id.as_bytes());
        let mut map = self.lock();
        match map.get(&key) {
            Some(session) if session.expires > Instant::now() => Some((session.token.clone(), session.csrf.clone())),
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub(crate) fn close(&self, id: &str) {
        self.lock().remove(&Digest::of(id.as_bytes()));
    }
}

/// A cookie's value from the request.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether the browser reached us over TLS (directly or through a proxy that
/// says so): cookies are then marked Secure.
pub(crate) fn over_tls(parts: &HeaderMap, scheme: Option<&str>) -> bool {
    scheme == Some("https")
        || parts.get("x-forwarded-proto").and_then(|value| value.to_str().ok()).is_some_and(|value| value == "https")
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, on `path`, Secure over TLS.
pub(crate) fn set_cookie(name: &str, value: &str, path: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite=Strict{secure}", max_age.as_secs());
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("signoff_invalid=1"))
}

/// What a query value keeps as it is: RFC 3986's unreserved characters, and `/`
/// (a `next` path stays readable); everything else is percent-encoded.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

/// Percent-encodes a query value.
pub(crate) fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// Where to go after signing in: a dashboard path only, never another site.
pub(crate) fn safe_next(next: &str) -> &str {
    let local = next.starts_with("/ui/") && !next.starts_with("//") && !next.contains(['\\', '\r', '\n']);
    if local && !next.starts_with("/ui/sign-") && !next.starts_with("/ui/events") { next } else { "/ui/releases" }
}

/// A redirect that a form post is answered with (303: the browser GETs it).
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// The person behind a dashboard request: a live session whose token still
/// authenticates. Without one the browser is sent to sign in.
pub(crate) struct Viewer {
    /// Who (the token's principal).
    pub(crate) who: Principal,
    /// The session's CSRF token, for its forms.
    pub(crate) csrf: String,
}

impl Viewer {
    /// Checks a posted form's CSRF token.
    pub(crate) fn csrf_ok(&self, posted: &str) -> bool {
        same(&self.csrf, posted)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_sign_in = |parts: &Parts| {
            let next = parts.uri.path_and_query().map_or("/ui/releases", |path| path.as_str());
            let mut response = see_other(&format!("/ui/sign-in?next={}", encode(safe_next(next))));
            response.headers_mut().insert(SET_COOKIE, set_cookie(SESSION_COOKIE, "", "/ui", Duration::ZERO, false));
            response
        };
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in(parts));
        };
        let sessions = &state.dashboard().sessions;
        let Some((token, csrf)) = sessions.get(id) else {
            return Err(to_sign_in(parts));
        };
        match access::authenticate(state.signoff(), &token).await {
            Ok(who) => Ok(Viewer { who, csrf }),
            Err(error) => {
                tracing::info!(error = %error, "a session's token no longer authenticates: signed out");
                sessions.close(id);
                Err(to_sign_in(parts))
            }
        }
    }
}
