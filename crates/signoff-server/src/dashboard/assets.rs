//! The dashboard's static files, embedded in the binary: htmx and its SSE
//! extension (vendored from the npm registry, their SHA-256 in
//! `assets/SHA256SUMS`) and the stylesheet. No CDN is ever asked.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Serialize;
use signoff_core::Digest;

/// htmx, as published on npm (`htmx.org@2.0.11`, `dist/htmx.min.js`).
pub(crate) const HTMX: &str = "htmx-2.0.11.min.js";
/// The SSE extension (`htmx-ext-sse@2.2.4`, `dist/sse.js`).
pub(crate) const SSE: &str = "htmx-ext-sse-2.2.4.js";
/// The stylesheet.
pub(crate) const CSS: &str = "dashboard.css";
/// Our script: live streams closed when a page is left.
pub(crate) const JS: &str = "dashboard.js";

const FILES: [(&str, &[u8], &str); 4] = [
    (HTMX, include_bytes!("../../assets/htmx-2.0.11.min.js"), "text/javascript; charset=utf-8"),
    (SSE, include_bytes!("../../assets/htmx-ext-sse-2.2.4.js"), "text/javascript; charset=utf-8"),
    (CSS, include_bytes!("../../assets/dashboard.css"), "text/css; charset=utf-8"),
    (JS, include_bytes!("../../assets/dashboard.js"), "text/javascript; charset=utf-8"),
];

/// The recorded digests of the vendored files.
#[cfg(test)]
const SUMS: &str = include_str!("../../assets/SHA256SUMS");

fn bytes_of(name: &str) -> Option<(&'static [u8], &'static str)> {
    FILES.iter().find(|(file, _, _)| *file == name).map(|(_, bytes, kind)| (*bytes, *kind))
}

/// Subresource integrity (`sha256-<base64>`) of an embedded file.
fn integrity(name: &str) -> String {
    let digest = Digest::of(bytes_of(name).map_or(&[][..], |(bytes, _)| bytes));
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest.as_bytes()))
}

/// The names and integrity hashes templates link the scripts with.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AssetNames {
    css: &'static str,
    htmx: &'static str,
    htmx_sri: String,
    sse: &'static str,
    sse_sri: String,
    js: &'static str,
    js_sri: String,
}

impl AssetNames {
    pub(crate) fn new() -> AssetNames {
        AssetNames {
            css: CSS,
            htmx: HTMX,
            htmx_sri: integrity(HTMX),
            sse: SSE,
            sse_sri: integrity(SSE),
            js: JS,
            js_sri: integrity(JS),
        }
    }
}

/// `GET /ui/assets/{name}`.
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    let Some((bytes, kind)) = bytes_of(&name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    // The scripts' names carry their version: they never change under a name.
    let cache = if name == CSS || name == JS { "no-cache" } else { "public, max-age=31536000, immutable" };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)], bytes).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    #[test]
    fn the_vendored_files_are_the_ones_recorded() {
        let mut checked = 0;
        for line in SUMS.lines().filter(|line| !line.trim().is_empty()) {
            let (sum, name) = line.split_once("  ").unwrap();
            let (bytes, _) = bytes_of(name).unwrap_or_else(|| panic!("{name} is recorded but not embedded"));
            assert_eq!(Digest::of(bytes).to_hex(), sum, "{name} differs from its recorded SHA-256");
            checked += 1;
        }
        assert_eq!(checked, 2, "htmx and its SSE extension are recorded");
        assert!(integrity(HTMX).starts_with("sha256-"));
    }
}
