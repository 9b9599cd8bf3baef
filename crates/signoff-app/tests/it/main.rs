//! signoff-app's use cases, in process, on a temporary SQLite store and (where
//! `PG_URL` names a server; CI sets it) on PostgreSQL: each scenario runs on
//! both. The CLI's end-to-end suite drives the same use cases through processes;
//! this one checks the rules themselves — what each use case writes, refuses and
//! answers — and that a refusal writes nothing.

// Test helpers outside `#[test]` functions may panic on a failed expectation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

mod access;
mod certify;
mod decide;
mod group;
mod inventory;
mod ledger;
mod pbc;
mod questions;
mod seal;
mod sync;
mod targets;
mod triage;
mod trust;
