//! End-to-end tests of the `signoff` binary: real processes, a real SQLite file and
//! blob folder in a temporary directory, the shared corpus and the example app's
//! real tool outputs.

// A failed expectation in a test is a panic; helpers outside `#[test]` functions
// need the same allowance the lints give tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

// Capture, inspect and their JSON output, over the corpus and the examples.
mod capture;
// Bad input: clear errors, exit 2, nothing stored.
mod bad_input;
// Releases bound to commits.
mod release;
// Findings across runs: first seen, last seen, fixed in.
mod findings;
// Certification: policy, approvals, exceptions, certificates, gate, replay.
mod certify;
// Changes from git, people and agents.
mod git;
// Answering the auditor: trace, questions, search, coverage, packages, retention.
mod audit;
// signoff inventory.
mod inventory;
// The auditor's request list: import, answer, status.
mod pbc;
// Tampering with the database and blob folder is caught and named.
mod tamper;
// Proofs checked with an independent RFC 6962 implementation.
mod proofs;
// SIGKILL at random moments and concurrent writers.
mod durability;
// The same flows on PostgreSQL.
mod postgres;
// One grammar, defaults from where the user stands, output that scripts trust.
mod grammar;
// Hostile input, hostile environment: bounded reads, leftovers, side doors.
mod hostile;
// The CLI against a server, and the outbox for outages.
mod remote;
// The server killed under load.
mod serve_kill;
// GRC sync: destinations, the outbox, OSCAL and VEX exports.
mod sync;
// The store's locks and permissions.
mod locks;
// JSON Schemas of the JSON outputs, checked against real outputs.
mod schemas;
// The GitHub Action and the GitLab CI template, run under a simulated runner.
mod integrations;
// --artifact as builds leave it; env snapshot from kubectl, docker and ECS output.
mod artifacts;
