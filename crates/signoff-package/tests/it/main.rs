//! The integration tests of signoff-package: one binary, one module per feature.
//! Packages are built from real ledger data (entries, tree, proofs, checkpoint, DSSE)
//! and checked by our verifier and by standard tools.

// A failed expectation in a test is a panic; helpers outside `#[test]` functions
// need the same allowance the lints give tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// Building a realistic package, verifying it, determinism and layout.
mod roundtrip;
// Hostile archives: traversal, zip bombs, junk.
mod safety;
// Each kind of member tampered with, one at a time.
mod tamper;
// P4: the time to verify a typical release's package (printed, not asserted).
mod timing;
// unzip, zipinfo, Python's zipfile and the documented auditor script.
mod tools;
// The fixture (real entries, tree, proofs, checkpoint, DSSE) and repacking helpers.
mod util;
