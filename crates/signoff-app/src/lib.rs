//! signoff's use cases: capture evidence, create and show releases, verify the
//! ledger, prove inclusion and consistency.
//!
//! This is the one layer that both the command line and (later) the HTTP server
//! call. It composes the pure pieces (`signoff-core`, `signoff-ingest`,
//! `signoff-ledger`) with storage (`signoff-store`) and owns the rules of each use
//! case: which checks run, what is written, in what order.
//!
//! Architecture Invariant: every write goes through [`ledger::append_batch`]: one
//! store transaction that appends entries, signs a checkpoint over the new tree and
//! commits. There is no other path to the store's write side.
//!
//! Architecture Invariant: nothing here prints or exits; results are values the
//! caller renders.

mod audit;
mod capture;
mod certify;
mod decisions;
mod deploy;
mod error;
mod findings;
mod gate;
mod home;
mod identity;
mod insights;
mod ledger;
mod package;
mod policy;
mod proof;
mod release;
mod report;
mod retention;
mod synthetic;
mod verify;

pub use audit::{Answer, CoverageScope, Question, Search, ask, coverage, population, search, trace};
pub use capture::{CaptureRequest, ContextOverrides, InputFile, capture, inspect};
pub use certify::{CertificateView, Certification, CertifyRequest, PREDICATE_TYPE, certify};
pub use decisions::{
    Approve, Approved, ExceptionView, RequestException, approve, approve_exception, exceptions, parse_release,
    request_exception,
};
pub use deploy::{Deployed, Snapshot, record_deployment, snapshot};
pub use error::AppError;
pub use findings::{FindingStatus, FindingView, FindingsQuery, Sighting, findings};
pub use gate::{GateDecision, Replay, ReplayChange, certificate_of, gate, replay, revoke};
pub use home::{Environment, InitReport, Signoff};
pub use insights::{Metrics, metrics, period_report};
pub use package::{export, verify_package};
pub use policy::{PolicyCheck, PublishedPolicy, policy_check, policy_init, policy_publish};
pub use proof::{ConsistencyProof, InclusionProof, consistency_proof, inclusion_proof, latest_checkpoint};
pub use release::{CreateRelease, ReleaseView, create_release, show_release};
pub use report::EvidenceReport;
pub use retention::{RetentionRun, apply as retention_apply, hold};
pub use synthetic::{Generated, Shape, generate};
pub use verify::{Failure, FailureKind, VerifyOptions, VerifyReport, verify};
