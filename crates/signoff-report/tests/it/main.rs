//! signoff-report's integration tests: the reports rendered from realistic data
//! (`tests/data/*.json`, with control coverage computed by `signoff-controls`),
//! checked as text and, where Chromium is installed, in a headless browser.

// A failed expectation in a test is a panic; helpers outside `#[test]` functions
// need the same allowance the lints give tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Fixtures and the Chromium runner.
mod util;
// Rendering as text: content, escaping, determinism, empty and odd inputs.
mod render;
// Headless Chromium: the DOM it builds, a screenshot and a PDF of each report.
mod browser;
