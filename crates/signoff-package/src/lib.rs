//! Evidence packages (F3): a deterministic zip that an auditor verifies offline, with
//! no store and no network.
//!
//! A package holds, for one release, the raw evidence as captured, the ledger entries
//! that record it (their canonical bytes, exactly as hashed), a C2SP `tlog-proof` per
//! entry proving its inclusion in a signed checkpoint, that checkpoint, the ledger's
//! public key in two standard forms, the DSSE certificates of the release, an HTML
//! index, and a `manifest.json` with the size and SHA-256 of every other member.
//! [`layout`] names the members; `docs/evidence-package.md` is the auditor's
//! description, with the commands to check a package by hand (`unzip`, `sha256sum`,
//! `openssl`, `python3`).
//!
//! - [`build()`] lays out [`PackageContents`] (read from the store by the caller) and
//!   returns the zip bytes; the same contents give the same bytes.
//! - [`verify()`] checks a package and returns a [`VerifyReport`] listing every check
//!   with the member it concerns.
//!
//! Architecture Invariant: this crate does no I/O beyond the byte buffers it is given:
//! no file, database, network or clock. The creation time is an input.
//!
//! Architecture Invariant: the verifier trusts nothing in the archive before checking
//! it: sizes are bounded while decompressing, names are checked before use, signatures
//! before payloads are parsed, and a key found in the package proves only internal
//! consistency (see [`VerifyOptions::trusted_key`]).

pub mod archive;
pub mod build;
mod html;
pub mod layout;
pub mod manifest;
pub mod tlog_proof;
pub mod verify;

pub use archive::Limits;
pub use build::{CertificateEnvelope, EvidenceBlob, IncludedEntry, PackageContents, PackageError, build};
pub use manifest::{CertifiedEvidence, EvidenceFacts, Manifest, Release};
pub use verify::{Check, CheckKind, Failure, KeySource, VerifyOptions, VerifyProgress, VerifyReport, verify};
