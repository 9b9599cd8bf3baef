//! signoff's use cases: capture evidence, create and show releases, decide,
//! certify, gate, deploy, answer the auditor, verify and prove.
//!
//! This is the one layer that every front end calls: the command line today, the
//! HTTP server and the dashboard next. It composes the pure pieces
//! (`signoff-core`, `signoff-ingest`, `signoff-ledger`, `signoff-policy`,
//! `signoff-controls`) with storage (`signoff-store`) and owns the rules of each
//! use case: which checks run, what is written, in what order.
//!
//! The API is grouped by use case, one module each; a use case takes parsed,
//! checked values (a [`ReleaseRef`](signoff_core::ReleaseRef), a
//! [`Period`], an [`Actor`](signoff_core::records::Actor) the front end
//! resolved) and returns values the front end renders. Front ends parse what
//! people type ([`request`]) and map an [`AppError`] to what they answer: an exit
//! code, an HTTP status.
//!
//! Architecture Invariant: every write goes through `ledger::Batch`: one store
//! transaction that appends entries, signs a checkpoint over the new tree and
//! commits. There is no other path to the store's write side.
//!
//! Architecture Invariant: nothing here prints or exits; results are values the
//! caller renders.
//!
//! Architecture Invariant: decisions are pure functions over facts read from the
//! store (the policy input of a certification, the gate's answer, the retention
//! purge plan); the use case reads the facts, decides, and writes.

pub mod access;
pub mod artifact;
pub mod audit;
pub mod capture;
pub mod certify;
pub mod decide;
pub mod deploy;
mod error;
pub mod findings;
pub mod gate;
mod git;
mod home;
mod identity;
pub mod insights;
pub mod inventory;
mod ledger;
pub mod package;
pub mod pbc;
pub mod policy;
pub mod proof;
mod refuse;
pub mod release;
pub mod report;
pub mod request;
pub mod retention;
pub mod sync;
#[cfg(feature = "synthetic")]
pub mod synthetic;
pub mod triage;
pub mod verify;

pub use error::{AppError, Missing, Refusal, RefusalClass};
pub use home::{Environment, InitReport, Signoff};
pub use ledger::on_lock_wait;
pub use refuse::refusals;
pub use request::Period;
