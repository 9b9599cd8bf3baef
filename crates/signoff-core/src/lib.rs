//! The evidence model of signoff.
//!
//! Everything here is pure: types, digests, canonical encoding and the rules that
//! turn a tool's own scale into ours. Nothing in this crate touches the file system,
//! the network, a database or a clock.
//!
//! Architecture Invariant: this crate does no I/O and depends on no async runtime.
//! Every other signoff crate depends on it; it depends on none of them.

pub mod canonical;
pub mod context;
pub mod digest;
pub mod entry;
pub mod evidence;
pub mod finding;
pub mod names;
pub mod pbc;
pub mod records;
pub mod summary;
pub mod text;
pub mod triage;

pub use digest::{Digest, DigestParseError, Sha256};
pub use evidence::{EvidenceKind, Format, Tool};
pub use finding::{Finding, Location, Severity};
pub use names::{CommitSha, NameError, ProjectName, ReleaseRef, ReleaseVersion};
pub use summary::Summary;
