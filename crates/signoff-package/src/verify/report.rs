//! What verification reports: the options it takes, each check with its kind and
//! outcome, and the failures a check can have.

use std::fmt;

use signoff_core::Digest;
use signoff_ledger::checkpoint::{NoteError, NoteVerifier};
use signoff_ledger::dsse::DsseError;
use signoff_ledger::keys::KeyError;
use signoff_ledger::merkle::ProofError;
use signoff_ledger::statement::PAYLOAD_TYPE;
use zip::result::ZipError;

use crate::archive::Limits;
use crate::manifest::{Manifest, ManifestError};
use crate::tlog_proof::TlogProofError;

/// The name reports use for the archive as a whole.
pub const ARCHIVE: &str = "(archive)";

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The ledger key the auditor trusts, obtained outside the package (from the
    /// operator, a witness, an earlier audit). Without it the package's own key is
    /// used, which proves internal consistency only.
    pub trusted_key: Option<NoteVerifier>,
    /// Bounds on what is read from the archive.
    pub limits: Limits,
    /// Counters to watch while it runs (a progress bar), when given.
    pub progress: Option<std::sync::Arc<VerifyProgress>>,
}

/// How far a verification is: the bytes of the archive's members, and how many
/// of them have been hashed. `total` is set once the archive is read.
#[derive(Debug, Default)]
pub struct VerifyProgress {
    /// The members' bytes, uncompressed.
    pub total: std::sync::atomic::AtomicU64,
    /// The bytes hashed so far.
    pub hashed: std::sync::atomic::AtomicU64,
}

/// Where the key that signatures were checked with came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// [`VerifyOptions::trusted_key`]: the package is authentic if every check passed.
    Trusted,
    /// `keys/ledger.vkey` in the package: the package is consistent, not authentic.
    Package,
    /// No usable key: no signature could be checked.
    Missing,
}

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CheckKind {
    /// Reading the archive and its member names.
    Archive,
    /// `manifest.json` itself and its ledger facts.
    Manifest,
    /// Members present as the layout and the manifest require.
    Layout,
    /// A member's size and SHA-256 against the manifest.
    Listing,
    /// The ledger key files and the trusted key.
    Key,
    /// The checkpoint signature.
    Checkpoint,
    /// A ledger entry's position, leaf hash and kind.
    Entry,
    /// An inclusion proof against the checkpoint.
    Inclusion,
    /// An evidence blob against its ledger entry.
    Evidence,
    /// A certificate's signature and statement.
    Certificate,
    /// The manifest's release against the ledger and the certificates.
    Release,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The archive is larger than [`Limits::max_archive_size`].
    #[error("archive is {size} bytes, more than the limit of {max}")]
    ArchiveTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The bytes are not a zip archive the reader accepts.
    #[error("not a readable zip archive")]
    NotZip(#[source] ZipError),
    /// More members than [`Limits::max_members`].
    #[error("archive has {count} members, more than the limit of {max}")]
    TooManyMembers {
        /// Members in the central directory.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Local headers disagree with the central directory, entries overlap, or a name
    /// appears twice: the archive could unpack differently in another tool.
    #[error("archive headers are inconsistent")]
    InconsistentArchive(#[source] ZipError),
    /// The members decompress to more than [`Limits::max_total_size`].
    #[error("members decompress to more than the limit of {max} bytes in all")]
    ArchiveContentTooLarge {
        /// The limit.
        max: u64,
    },
    /// A member name that is not safe to extract.
    #[error("unsafe member name: {reason}")]
    UnsafePath {
        /// The rule it breaks.
        reason: &'static str,
    },
    /// An encrypted member.
    #[error("member is encrypted")]
    Encrypted,
    /// A directory or symbolic link.
    #[error("member is not a regular file")]
    NotAFile,
    /// A member decompresses to more than [`Limits::max_member_size`].
    #[error("member decompresses to more than the limit of {max} bytes")]
    MemberTooLarge {
        /// The limit.
        max: u64,
    },
    /// A member could not be opened (an unsupported compression method, a corrupt
    /// local header).
    #[error("member cannot be opened")]
    UnopenableMember(#[source] ZipError),
    /// A member could not be decompressed (corrupt data or CRC mismatch).
    #[error("member cannot be decompressed")]
    UnreadableMember(#[source] std::io::Error),
    /// The manifest is not a valid manifest.
    #[error("manifest is not valid")]
    MalformedManifest(#[source] ManifestError),
    /// The manifest lists something wrongly (itself, a path twice, an entry twice).
    #[error("manifest {reason}: {what}")]
    InvalidRecord {
        /// What is wrong.
        reason: &'static str,
        /// The path or index concerned.
        what: String,
    },
    /// A path that has no place in the package layout.
    #[error("member is not part of the package layout")]
    NotInLayout,
    /// A member that should be there is not.
    #[error("member is missing ({reason})")]
    MissingMember {
        /// Why it is expected.
        reason: &'static str,
    },
    /// A member the manifest does not list.
    #[error("member is not listed in manifest.json")]
    UnexpectedMember,
    /// The member's size is not the one the manifest records.
    #[error("size is {actual} bytes, manifest.json records {recorded}")]
    SizeMismatch {
        /// In the manifest.
        recorded: u64,
        /// Of the member.
        actual: u64,
    },
    /// The member's SHA-256 is not the one the manifest records.
    #[error("sha-256 is {actual}, manifest.json records {recorded}")]
    DigestMismatch {
        /// In the manifest.
        recorded: Digest,
        /// Of the member.
        actual: Digest,
    },
    /// A member that must be UTF-8 text is not.
    #[error("member is not utf-8 text")]
    NotText,
    /// `keys/ledger.pub` is not an Ed25519 SPKI PEM key.
    #[error("not an ed25519 public key in spki pem")]
    MalformedPublicKey(#[source] KeyError),
    /// `keys/ledger.vkey` is not a C2SP verifier key.
    #[error("not a c2sp verifier key")]
    MalformedVerifierKey(#[source] NoteError),
    /// `keys/ledger.pub` and `keys/ledger.vkey` hold different keys.
    #[error("keys/ledger.pub holds key {public}, keys/ledger.vkey holds {verifier}")]
    KeysDisagree {
        /// SPKI key id of `keys/ledger.pub`.
        public: String,
        /// SPKI key id of the verifier key.
        verifier: String,
    },
    /// The package's key is not the one the auditor trusts.
    #[error("package key {package} is not the trusted key {trusted}")]
    UntrustedKey {
        /// The package's key (verifier text or SPKI key id).
        package: String,
        /// The trusted key's verifier text.
        trusted: String,
    },
    /// No key to check signatures with.
    #[error("no usable key to check the signature with")]
    NoKey,
    /// The checkpoint note is malformed or not signed by the key.
    #[error("checkpoint does not verify")]
    Checkpoint(#[source] NoteError),
    /// No verified checkpoint to check a proof against.
    #[error("no verified checkpoint to check against")]
    NoCheckpoint,
    /// A manifest fact differs from the signed data it describes.
    #[error("manifest.json records {field} {recorded}, but it is {actual}")]
    ManifestMismatch {
        /// The manifest field.
        field: &'static str,
        /// In the manifest.
        recorded: String,
        /// In the verified data.
        actual: String,
    },
    /// An entry member is not JSON.
    #[error("entry is not json")]
    MalformedEntry(#[source] serde_json::Error),
    /// An entry member is JSON but not a ledger entry.
    #[error("entry is not a ledger entry: {reason}")]
    NotAnEntry {
        /// What is missing.
        reason: &'static str,
    },
    /// An entry's `seq` is not the index its path (and proof) claims.
    #[error("entry records seq {seq}, its path says index {index}")]
    EntryPosition {
        /// The entry's `seq`.
        seq: u64,
        /// The index in the path.
        index: u64,
    },
    /// An entry the manifest's ledger facts do not list.
    #[error("entry {index} is not listed in manifest.json's ledger entries")]
    UnlistedEntry {
        /// The entry's index.
        index: u64,
    },
    /// An entry's leaf hash differs from the manifest's.
    #[error("leaf hash is {actual}, manifest.json records {recorded}")]
    LeafHashMismatch {
        /// In the manifest (hex).
        recorded: String,
        /// Of the entry bytes (hex).
        actual: String,
    },
    /// A proof member is not a tlog-proof.
    #[error("not a tlog-proof@v1")]
    MalformedProof(#[source] TlogProofError),
    /// A proof's index is not the one its path names.
    #[error("proof is for index {proof}, its path says index {path}")]
    ProofIndex {
        /// In the proof.
        proof: u64,
        /// In the path.
        path: u64,
    },
    /// A proof embeds another checkpoint than `ledger/checkpoint`.
    #[error("proof embeds a checkpoint that differs from ledger/checkpoint")]
    ProofCheckpoint,
    /// The audit path does not lead from the leaf to the checkpoint's root.
    #[error("entry is not included in the checkpoint's tree")]
    NotIncluded(#[source] ProofError),
    /// An evidence blob whose entry the package does not include (or cannot read).
    #[error("ledger entry {entry} that records this blob is not in the package")]
    EvidenceEntryMissing {
        /// The entry index in the path.
        entry: u64,
    },
    /// An evidence blob whose entry records something else than a capture.
    #[error("ledger entry {entry} is a {kind} entry, not evidence_captured")]
    NotEvidenceEntry {
        /// The entry index.
        entry: u64,
        /// Its kind.
        kind: String,
    },
    /// The evidence entry lacks a field or holds a malformed one.
    #[error("ledger entry {entry} has no valid data.{field}")]
    EvidenceField {
        /// The entry index.
        entry: u64,
        /// The field.
        field: &'static str,
    },
    /// The blob's SHA-256 is not the digest its entry records.
    #[error("sha-256 is {actual}, ledger entry {entry} records {recorded}")]
    EvidenceDigestMismatch {
        /// The entry index.
        entry: u64,
        /// In the entry.
        recorded: Digest,
        /// Of the blob.
        actual: Digest,
    },
    /// The blob's size is not the size its entry records.
    #[error("size is {actual} bytes, ledger entry {entry} records {recorded}")]
    EvidenceSizeMismatch {
        /// The entry index.
        entry: u64,
        /// In the entry.
        recorded: u64,
        /// Of the blob.
        actual: u64,
    },
    /// The blob's member name is not the entry's file name.
    #[error("member name differs from ledger entry {entry}'s file name, expected {expected}")]
    EvidenceName {
        /// The entry index.
        entry: u64,
        /// The path the entry's file name gives.
        expected: String,
    },
    /// The certificate is not a DSSE envelope.
    #[error("not a dsse envelope")]
    MalformedEnvelope(#[source] DsseError),
    /// No signature of the envelope verifies under the key.
    #[error("dsse signature does not verify")]
    BadSignature(#[source] DsseError),
    /// The envelope's payload type is not in-toto's.
    #[error("payload type is {actual:?}, expected {PAYLOAD_TYPE:?}")]
    WrongPayloadType {
        /// The `payloadType`.
        actual: String,
    },
    /// The verified payload is not an in-toto Statement v1.
    #[error("payload is not an in-toto statement")]
    MalformedStatement(#[source] serde_json::Error),
    /// The statement's subjects do not name the release.
    #[error("statement has no subject with {missing} of release {release}")]
    ReleaseNotNamed {
        /// The digest that no subject has (`sha256:<hex>` or `gitCommit:<hex>`).
        missing: String,
        /// `project@version`.
        release: String,
    },
    /// The statement is not the one the certificate's ledger entry records.
    #[error("statement digest is {actual}, ledger entry {entry} records {recorded}")]
    StatementDigestMismatch {
        /// The `certificate_issued` entry.
        entry: u64,
        /// In the entry.
        recorded: String,
        /// Of the payload.
        actual: Digest,
    },
    /// The manifest's release disagrees with a ledger entry of the same release.
    #[error("manifest.json records {field} {recorded}, ledger entry {entry} records {actual}")]
    ReleaseMismatch {
        /// The entry.
        entry: u64,
        /// `commit` or `artifacts`.
        field: &'static str,
        /// In the manifest.
        recorded: String,
        /// In the entry.
        actual: String,
    },
    /// No ledger entry in the package confirms the manifest's release.
    #[error("no release_created or certificate_issued entry in the package confirms release {release}")]
    ReleaseUnconfirmed {
        /// `project@version`.
        release: String,
    },
}

/// One check and its outcome.
#[derive(Debug)]
pub struct Check {
    /// The member the check concerns, or [`ARCHIVE`] for the archive as a whole.
    pub member: String,
    /// What kind of check it is.
    pub kind: CheckKind,
    /// What was checked, as a sentence fragment.
    pub description: String,
    /// `Ok` when it passed.
    pub outcome: Result<(), Failure>,
}

impl Check {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.outcome.is_ok()
    }

    /// The failure, if it failed.
    pub fn failure(&self) -> Option<&Failure> {
        self.outcome.as_ref().err()
    }
}

impl fmt::Display for Check {
    /// `ok     <member>: <description>` or `FAILED <member>: <description>: <failure>:
    /// <cause>...`, the whole chain of causes on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(()) => write!(f, "ok     {}: {}", self.member, self.description),
            Err(failure) => {
                write!(f, "FAILED {}: {}: {failure}", self.member, self.description)?;
                let mut source = std::error::Error::source(failure);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
        }
    }
}

/// Everything [`verify`](crate::verify()) checked.
#[derive(Debug)]
pub struct VerifyReport {
    /// Every check, in the order they ran.
    pub checks: Vec<Check>,
    /// The manifest, when it could be read (for display: it is only as trustworthy as
    /// the checks that passed).
    pub manifest: Option<Manifest>,
    /// Where the key came from.
    pub key_source: KeySource,
}

impl VerifyReport {
    /// True when at least one check ran and every check passed.
    pub fn is_ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(Check::passed)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|check| !check.passed())
    }

    pub(super) fn record(
        &mut self,
        member: impl Into<String>,
        kind: CheckKind,
        description: impl Into<String>,
        outcome: Result<(), Failure>,
    ) {
        self.checks.push(Check { member: member.into(), kind, description: description.into(), outcome });
    }
}

impl fmt::Display for VerifyReport {
    /// One line per check.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            writeln!(f, "{check}")?;
        }
        Ok(())
    }
}
