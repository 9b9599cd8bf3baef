//! The integration tests of signoff-grc: one binary (STYLE: `tests/it`).

// Test helpers outside `#[test]` functions panic on broken fixtures, like the tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Helpers: fast retry policies, time bounds, destinations over the test kit's servers.
mod util;

// End to end over the local Vanta, Drata, webhook and folder: exactly once, recovery,
// a delivery killed mid-flight, reconciliation, alerts.
mod delivery;
// Alerts: one failing and one recovered alert after five failures, signed to an
// alert webhook; alert ids; a full alert queue never blocks.
mod alerts;
// Connector details: Vanta's token cache and full-state sync, Drata's steps and
// errors, the webhook's SSRF guard and signatures.
mod connectors;
// OSCAL and VEX exports against the vendored published schemas, and VEX round trips.
mod schemas;
// Second readers from PyPI: standardwebhooks verifies our signatures, compliance-trestle
// loads our OSCAL.
mod python;
