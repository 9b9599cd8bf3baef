//! The crate's one integration-test binary: the public API over realistic inputs.

// A failed expectation in a test is a panic; helpers outside `#[test]` functions
// need the same allowance the lints give tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

// The starter policy parses, its examples parse, and it behaves as documented.
mod starter;
// Rego modules: deny, warn, environments, errors at evaluation, the findings rule.
mod rego;
// Replay: one input under two policies, and the diff.
mod replay;
// docs/policy-input.schema.json is what the types generate.
mod schema;
