//! The tamper-evidence of signoff: what makes the ledger checkable by someone who does
//! not trust our server.
//!
//! The pieces, each after a public standard so that outside tools can check our work:
//!
//! - [`merkle`]: the RFC 6962 Merkle tree over ledger entries: leaf and node hashing,
//!   tree heads, inclusion and consistency proofs from stored leaf hashes, the RFC 9162
//!   verifiers, and a streaming [`merkle::TreeBuilder`] for `ledger verify`.
//! - [`checkpoint`]: signed tree heads as C2SP `tlog-checkpoint` notes with an Ed25519
//!   `signed-note` signature, the format witnesses and transparency-log clients read.
//! - [`keys`]: the ledger's Ed25519 key, as PKCS#8 and SPKI PEM.
//! - [`dsse`]: DSSE v1.0.2 envelopes, signed over the pre-authentication encoding.
//! - [`statement`]: in-toto Statement v1, the payload of our attestations.
//!
//! Everything here is computation on bytes handed in: no file, network or database I/O,
//! no clock, no async. The store reads leaf hashes and writes notes; this crate only
//! computes and checks them.
//!
//! Architecture Invariant: a leaf hash is `SHA-256(0x00 ‖ canonical entry bytes)`, the
//! entry bytes being `signoff_core::entry::Entry::to_canonical_bytes`; nothing else goes
//! into the tree, and interior nodes are `SHA-256(0x01 ‖ left ‖ right)`.
//!
//! Architecture Invariant: nothing is returned as verified before its signature has
//! been checked: [`checkpoint::open`] parses the note text only after a trusted
//! signature over it verified, and [`dsse::Envelope::verify`] returns the exact bytes
//! it verified.
//!
//! Architecture Invariant: one key type signs everything ([`keys::LedgerKey`], Ed25519,
//! RFC 8032), and its secret bytes never appear in `Debug` output.

pub mod checkpoint;
pub mod dsse;
pub mod keys;
pub mod merkle;
pub mod statement;

pub use checkpoint::{Checkpoint, NoteError, NoteVerifier};
pub use dsse::{DsseError, Envelope};
pub use keys::{KeyError, LedgerKey, PublicKey};
pub use merkle::{ProofError, TreeBuilder};
pub use statement::{ResourceDescriptor, Statement, StatementError};
