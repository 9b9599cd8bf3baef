//! Ledger entries: the record of every write (C1).
//!
//! An entry's canonical bytes ([`Entry::to_canonical_bytes`]) are stored verbatim and
//! are what the Merkle tree commits to; every other table in the store is derived
//! from entries and is checked against them by `ledger verify`.
//!
//! Architecture Invariant: an entry names its own position (`seq`) and the hash of the
//! entry before it (`prev`), so a row that moved, vanished or appeared is detected
//! from the entries alone, before the tree is consulted.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::canonical::{CanonicalError, to_canonical_bytes};
use crate::context::CiContext;
use crate::digest::{Digest, Sha256};
use crate::evidence::{EvidenceKind, Format, Tool};
use crate::finding::Finding;
use crate::names::{CommitSha, ProjectName, ReleaseVersion};
use crate::pbc::{PbcAnswerRecord, PbcRequestRecord};
use crate::records::{
    AccessDeniedRecord, ApprovalRecord, CertificateRecord, ChangeRecord, DeploymentRecord, ExceptionApprovalRecord,
    ExceptionRecord, LegalHoldRecord, PolicyPinRecord, PolicyRecord, PurgeRecord, RefusalRecord, RevocationRecord,
    SnapshotRecord, TokenGrantRecord, TokenRevocationRecord,
};
use crate::summary::Summary;
use crate::triage::{TriageApprovalRecord, TriageRecord};

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the ledger, from 0.
    pub seq: u64,
    /// [`Entry::hash_of`] of the entry at `seq - 1`; absent for the first entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<Digest>,
    /// When it was written (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

impl Entry {
    /// The bytes that are stored, hashed and put in the tree.
    ///
    /// # Errors
    /// Only if the entry holds a non-finite number, which no constructor produces.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        to_canonical_bytes(self)
    }

    /// The entry hash: SHA-256 of the canonical bytes. (The Merkle leaf hash is a
    /// different value, `SHA-256(0x00 ‖ bytes)`, per RFC 6962.)
    pub fn hash_of(canonical_bytes: &[u8]) -> Digest {
        Digest::of(canonical_bytes)
    }

    /// The kind of the event.
    pub fn kind(&self) -> EventKind {
        self.event.kind()
    }
}

/// What an entry records. New kinds are added at the end; old ones never change shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A file of evidence was captured.
    EvidenceCaptured(Box<EvidenceRecord>),
    /// A release was created.
    ReleaseCreated(Box<ReleaseRecord>),
    /// A policy was published.
    PolicyPublished(Box<PolicyRecord>),
    /// A release was approved or rejected.
    ApprovalRecorded(Box<ApprovalRecord>),
    /// An exception was requested.
    ExceptionRequested(Box<ExceptionRecord>),
    /// An exception was approved.
    ExceptionApproved(Box<ExceptionApprovalRecord>),
    /// A release was certified (or rejected) and the certificate signed.
    CertificateIssued(Box<CertificateRecord>),
    /// A release was deployed to an environment.
    DeploymentRecorded(Box<DeploymentRecord>),
    /// What runs in an environment was reported.
    SnapshotRecorded(Box<SnapshotRecord>),
    /// A legal hold was placed or lifted.
    LegalHold(Box<LegalHoldRecord>),
    /// Raw evidence past its retention was purged.
    RetentionPurge(Box<PurgeRecord>),
    /// A certificate was revoked.
    CertificateRevoked(Box<RevocationRecord>),
    /// A privileged action was refused.
    ActionRefused(Box<RefusalRecord>),
    /// A project was pinned to a published policy (or unpinned).
    PolicyPinned(Box<PolicyPinRecord>),
    /// An access token was issued.
    TokenIssued(Box<TokenGrantRecord>),
    /// An access token was revoked.
    TokenRevoked(Box<TokenRevocationRecord>),
    /// A request was refused to an actor who may not do it (J2).
    AccessDenied(Box<AccessDeniedRecord>),
    /// A finding was triaged (D3).
    TriageRecorded(Box<TriageRecord>),
    /// A triage decision was approved.
    TriageApproved(Box<TriageApprovalRecord>),
    /// An auditor's request was imported (F4).
    PbcRequested(Box<PbcRequestRecord>),
    /// An auditor's request was answered.
    PbcAnswered(Box<PbcAnswerRecord>),
}

/// The kind of a ledger entry: the `kind` member of its canonical JSON, and what
/// the store's record queries select by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// [`Event::EvidenceCaptured`].
    EvidenceCaptured,
    /// [`Event::ReleaseCreated`].
    ReleaseCreated,
    /// [`Event::PolicyPublished`].
    PolicyPublished,
    /// [`Event::ApprovalRecorded`].
    ApprovalRecorded,
    /// [`Event::ExceptionRequested`].
    ExceptionRequested,
    /// [`Event::ExceptionApproved`].
    ExceptionApproved,
    /// [`Event::CertificateIssued`].
    CertificateIssued,
    /// [`Event::DeploymentRecorded`].
    DeploymentRecorded,
    /// [`Event::SnapshotRecorded`].
    SnapshotRecorded,
    /// [`Event::LegalHold`].
    LegalHold,
    /// [`Event::RetentionPurge`].
    RetentionPurge,
    /// [`Event::CertificateRevoked`].
    CertificateRevoked,
    /// [`Event::ActionRefused`].
    ActionRefused,
    /// [`Event::PolicyPinned`].
    PolicyPinned,
    /// [`Event::TokenIssued`].
    TokenIssued,
    /// [`Event::TokenRevoked`].
    TokenRevoked,
    /// [`Event::AccessDenied`].
    AccessDenied,
    /// [`Event::TriageRecorded`].
    TriageRecorded,
    /// [`Event::TriageApproved`].
    TriageApproved,
    /// [`Event::PbcRequested`].
    PbcRequested,
    /// [`Event::PbcAnswered`].
    PbcAnswered,
}

impl EventKind {
    /// Every kind, in the order they were introduced.
    pub const ALL: &'static [EventKind] = &[
        EventKind::EvidenceCaptured,
        EventKind::ReleaseCreated,
        EventKind::PolicyPublished,
        EventKind::ApprovalRecorded,
        EventKind::ExceptionRequested,
        EventKind::ExceptionApproved,
        EventKind::CertificateIssued,
        EventKind::DeploymentRecorded,
        EventKind::SnapshotRecorded,
        EventKind::LegalHold,
        EventKind::RetentionPurge,
        EventKind::CertificateRevoked,
        EventKind::ActionRefused,
        EventKind::PolicyPinned,
        EventKind::TokenIssued,
        EventKind::TokenRevoked,
        EventKind::AccessDenied,
        EventKind::TriageRecorded,
        EventKind::TriageApproved,
        EventKind::PbcRequested,
        EventKind::PbcAnswered,
    ];

    /// The name, as serialized (`evidence_captured`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::EvidenceCaptured => "evidence_captured",
            EventKind::ReleaseCreated => "release_created",
            EventKind::PolicyPublished => "policy_published",
            EventKind::ApprovalRecorded => "approval_recorded",
            EventKind::ExceptionRequested => "exception_requested",
            EventKind::ExceptionApproved => "exception_approved",
            EventKind::CertificateIssued => "certificate_issued",
            EventKind::DeploymentRecorded => "deployment_recorded",
            EventKind::SnapshotRecorded => "snapshot_recorded",
            EventKind::LegalHold => "legal_hold",
            EventKind::RetentionPurge => "retention_purge",
            EventKind::CertificateRevoked => "certificate_revoked",
            EventKind::ActionRefused => "action_refused",
            EventKind::PolicyPinned => "policy_pinned",
            EventKind::TokenIssued => "token_issued",
            EventKind::TokenRevoked => "token_revoked",
            EventKind::AccessDenied => "access_denied",
            EventKind::TriageRecorded => "triage_recorded",
            EventKind::TriageApproved => "triage_approved",
            EventKind::PbcRequested => "pbc_requested",
            EventKind::PbcAnswered => "pbc_answered",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an entry kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a ledger entry kind")]
pub struct UnknownEventKind(pub String);

impl std::str::FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(text: &str) -> Result<EventKind, UnknownEventKind> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownEventKind(text.to_owned()))
    }
}

impl Event {
    /// The kind, as serialized.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::EvidenceCaptured(_) => EventKind::EvidenceCaptured,
            Event::ReleaseCreated(_) => EventKind::ReleaseCreated,
            Event::PolicyPublished(_) => EventKind::PolicyPublished,
            Event::ApprovalRecorded(_) => EventKind::ApprovalRecorded,
            Event::ExceptionRequested(_) => EventKind::ExceptionRequested,
            Event::ExceptionApproved(_) => EventKind::ExceptionApproved,
            Event::CertificateIssued(_) => EventKind::CertificateIssued,
            Event::DeploymentRecorded(_) => EventKind::DeploymentRecorded,
            Event::SnapshotRecorded(_) => EventKind::SnapshotRecorded,
            Event::LegalHold(_) => EventKind::LegalHold,
            Event::RetentionPurge(_) => EventKind::RetentionPurge,
            Event::CertificateRevoked(_) => EventKind::CertificateRevoked,
            Event::ActionRefused(_) => EventKind::ActionRefused,
            Event::PolicyPinned(_) => EventKind::PolicyPinned,
            Event::TokenIssued(_) => EventKind::TokenIssued,
            Event::TokenRevoked(_) => EventKind::TokenRevoked,
            Event::AccessDenied(_) => EventKind::AccessDenied,
            Event::TriageRecorded(_) => EventKind::TriageRecorded,
            Event::TriageApproved(_) => EventKind::TriageApproved,
            Event::PbcRequested(_) => EventKind::PbcRequested,
            Event::PbcAnswered(_) => EventKind::PbcAnswered,
        }
    }

    /// For records kept in the generic `records` table: what audit questions look
    /// them up by besides id, project and version — `(subject, status)`: a
    /// deployment's environment and whether a valid certificate covered it, a
    /// snapshot's environment and whether all of it was certified, a certificate's
    /// decision, an exception's target.
    pub fn lookup_keys(&self) -> (Option<String>, Option<String>) {
        match self {
            Event::DeploymentRecorded(record) => (
                Some(record.environment.clone()),
                Some(if record.certificate.is_some() { "certified" } else { "uncertified" }.to_owned()),
            ),
            Event::SnapshotRecorded(record) => (
                Some(record.environment.clone()),
                Some(if record.uncertified.is_empty() { "certified" } else { "uncertified" }.to_owned()),
            ),
            Event::CertificateIssued(record) => (None, Some(record.decision.as_str().to_owned())),
            Event::ActionRefused(record) => (Some(record.actor.id.clone()), Some(record.action.clone())),
            Event::ApprovalRecorded(record) => (Some(record.actor.id.clone()), Some(record.role.clone())),
            Event::AccessDenied(record) => (Some(record.actor.id.clone()), Some(record.action.clone())),
            Event::ExceptionRequested(record) => (
                Some(match &record.target {
                    crate::records::ExceptionTarget::Finding { fingerprint } => fingerprint.to_string(),
                    crate::records::ExceptionTarget::Criterion { id } => id.clone(),
                }),
                None,
            ),
            Event::TriageRecorded(record) => {
                (Some(record.fingerprint.to_string()), Some(record.disposition.as_str().to_owned()))
            }
            _ => (None, None),
        }
    }

    /// For records kept in the generic `records` table: the record's id, project
    /// and version (what queries look them up by).
    pub fn index_keys(&self) -> (String, Option<String>, Option<String>) {
        match self {
            Event::EvidenceCaptured(record) => {
                (record.id.clone(), Some(record.project.to_string()), record.release.as_ref().map(ToString::to_string))
            }
            Event::ReleaseCreated(record) => {
                (record.id.clone(), Some(record.project.to_string()), Some(record.version.to_string()))
            }
            Event::PolicyPublished(record) => (record.id.clone(), None, Some(record.version.to_string())),
            Event::ApprovalRecorded(record) => {
                (record.id.clone(), Some(record.project.to_string()), Some(record.version.to_string()))
            }
            Event::ExceptionRequested(record) => {
                (record.id.clone(), record.project.as_ref().map(ToString::to_string), None)
            }
            Event::ExceptionApproved(record) => (record.exception.clone(), None, None),
            Event::CertificateIssued(record) => {
                (record.id.clone(), Some(record.project.to_string()), Some(record.version.to_string()))
            }
            Event::DeploymentRecorded(record) => {
                (record.id.clone(), Some(record.project.to_string()), Some(record.version.to_string()))
            }
            Event::SnapshotRecorded(record) => (record.id.clone(), None, Some(record.environment.clone())),
            Event::LegalHold(record) => {
                (record.id.clone(), Some(record.project.to_string()), record.version.as_ref().map(ToString::to_string))
            }
            Event::RetentionPurge(record) => (record.id.clone(), None, None),
            Event::CertificateRevoked(record) => {
                (record.certificate.clone(), Some(record.project.to_string()), Some(record.version.to_string()))
            }
            Event::ActionRefused(record) => (
                record.id.clone(),
                record.project.as_ref().map(ToString::to_string),
                record.version.as_ref().map(ToString::to_string),
            ),
            Event::PolicyPinned(record) => (record.id.clone(), Some(record.project.to_string()), None),
            Event::TokenIssued(record) => (record.id.clone(), None, None),
            Event::TokenRevoked(record) => (record.id.clone(), None, None),
            Event::AccessDenied(record) => (record.id.clone(), record.project.as_ref().map(ToString::to_string), None),
            Event::TriageRecorded(record) => (record.id.clone(), Some(record.project.to_string()), None),
            Event::TriageApproved(record) => (record.triage.clone(), None, None),
            Event::PbcRequested(record) => (record.id.clone(), None, None),
            Event::PbcAnswered(record) => (record.request.clone(), None, None),
        }
    }
}

/// A record kept in the store's generic `records` table, named by the kind of the
/// entries that carry it. The store decodes rows into these types once, at its
/// boundary (`signoff_store::RecordRow::decode`).
pub trait Recorded: serde::de::DeserializeOwned {
    /// The kind of entry whose `data` this record is.
    const KIND: EventKind;
}

macro_rules! recorded {
    ($($record:ty => $kind:ident),* $(,)?) => {
        $(impl Recorded for $record {
            const KIND: EventKind = EventKind::$kind;
        })*
    };
}

recorded! {
    PolicyRecord => PolicyPublished,
    ApprovalRecord => ApprovalRecorded,
    ExceptionRecord => ExceptionRequested,
    ExceptionApprovalRecord => ExceptionApproved,
    CertificateRecord => CertificateIssued,
    DeploymentRecord => DeploymentRecorded,
    SnapshotRecord => SnapshotRecorded,
    LegalHoldRecord => LegalHold,
    PurgeRecord => RetentionPurge,
    RevocationRecord => CertificateRevoked,
    RefusalRecord => ActionRefused,
    PolicyPinRecord => PolicyPinned,
    TokenGrantRecord => TokenIssued,
    TokenRevocationRecord => TokenRevoked,
    AccessDeniedRecord => AccessDenied,
    TriageRecord => TriageRecorded,
    TriageApprovalRecord => TriageApproved,
    PbcRequestRecord => PbcRequested,
    PbcAnswerRecord => PbcAnswered,
}

/// A captured piece of evidence, as recorded in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    /// The evidence id (a UUIDv7).
    pub id: String,
    /// The project it belongs to.
    pub project: ProjectName,
    /// The commit it was produced for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitSha>,
    /// The release it was explicitly captured for, if any. Evidence without one
    /// attaches to the release created at its commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseVersion>,
    /// Kind of evidence.
    pub kind: EvidenceKind,
    /// Format it arrived in.
    pub format: Format,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The file name as given (no directories).
    pub file_name: String,
    /// Digest of the stored bytes (the blob).
    pub digest: Digest,
    /// Size of the stored bytes.
    pub size: u64,
    /// Digest of the original bytes when the stored blob is a redacted copy (A5);
    /// it proves what was scanned without keeping the secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_digest: Option<Digest>,
    /// How many secret values were redacted before storing.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redacted: u64,
    /// The parsed summary.
    pub summary: Summary,
    /// The normalized findings, committed to by count and digest.
    pub findings: FindingsCommitment,
    /// Pipeline context.
    pub context: CiContext,
    /// When the tool says it produced the file, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_at: Option<String>,
    /// How it reached a server, when it was sent to one (A8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// What was scanned (A4): the report's own name for it (an image, a path, a
    /// repository, an SBOM's subject), else the CI repository. A finding is fixed
    /// only by a later scan by the same tool of the same target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// How evidence sent to a signoff server arrived (A8). The entry's own time is when
/// the server received it; a capture kept in a client's outbox while the server was
/// out of reach also carries the time it was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The sender's key for this capture: the same key delivered again (a retry after
    /// a lost answer) is stored once.
    pub idempotency_key: String,
    /// When the sender captured it, if it kept it before delivering (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// A commitment to the findings of one piece of evidence: how many, and the digest
/// of their canonical bytes, each followed by a newline, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingsCommitment {
    /// Number of findings.
    pub count: u64,
    /// SHA-256 over the canonical findings, newline-terminated.
    pub digest: Digest,
}

/// Builds a [`FindingsCommitment`] one finding at a time.
///
/// The canonical bytes of a finding are written by `write_canonical_finding`
/// into a reused buffer, so the hash takes one slice per finding rather than one
/// per token.
#[derive(Clone, Default)]
pub struct FindingsHasher {
    count: u64,
    sha: Sha256,
    buffer: Vec<u8>,
}

impl FindingsHasher {
    /// An empty commitment.
    pub fn new() -> FindingsHasher {
        FindingsHasher::default()
    }

    /// Adds the next finding.
    ///
    /// # Errors
    /// Only if serialisation fails, which it cannot for a `Finding`.
    pub fn add(&mut self, finding: &Finding) -> Result<(), CanonicalError> {
        // RFC 8785 writes numbers as IEEE doubles; integers past 2^53 (no real line
        // number) take the canonicaliser's path, everything else the fast one.
        const MAX_EXACT: u64 = (1 << 53) - 1;
        let location = &finding.location;
        self.buffer.clear();
        if location.start_line.max(location.end_line).is_some_and(|line| line > MAX_EXACT) {
            self.buffer.extend_from_slice(&to_canonical_bytes(finding)?);
        } else {
            write_canonical_finding(&mut self.buffer, finding)?;
        }
        self.buffer.push(b'\n');
        self.sha.update(&self.buffer);
        self.count += 1;
        Ok(())
    }

    /// The commitment.
    pub fn finish(self) -> FindingsCommitment {
        FindingsCommitment { count: self.count, digest: self.sha.finish() }
    }
}

/// Appends the RFC 8785 bytes of `finding` whose line numbers are below 2^53 (so
/// written as integers): keys in sorted order, no whitespace. Strings are written
/// by serde_json, whose escaping is RFC 8785's. This is what `to_canonical_bytes`
/// makes of the finding (the test below checks the two against each other on
/// adversarial strings), written directly: a capture commits to every finding, and
/// serde's generic path (escaping each key, a call per member) was the larger part
/// of that thread's time.
fn write_canonical_finding(out: &mut Vec<u8>, finding: &Finding) -> Result<(), CanonicalError> {
    use std::io::Write as _;
    let string = |out: &mut Vec<u8>, text: &str| serde_json::to_writer(out, text);
    let mut object = Members::open(out);
    for (name, items) in [("cve", &finding.cve), ("cwe", &finding.cwe)] {
        if !items.is_empty() {
            serde_json::to_writer(object.key(name), items)?;
        }
    }
    let out = object.key("fingerprint");
    out.push(b'"');
    finding.fingerprint.write_prefixed(out);
    out.push(b'"');
    let location = &finding.location;
    let mut members = Members::open(object.key("location"));
    if let Some(line) = location.end_line {
        write!(members.key("end_line"), "{line}").map_err(serde_json::Error::io)?;
    }
    if let Some(path) = &location.path {
        string(members.key("path"), path)?;
    }
    if let Some(line) = location.start_line {
        write!(members.key("start_line"), "{line}").map_err(serde_json::Error::io)?;
    }
    members.close();
    if let Some(package) = &finding.package {
        string(object.key("package"), package)?;
    }
    if let Some(version) = &finding.package_version {
        string(object.key("package_version"), version)?;
    }
    string(object.key("rule_id"), &finding.rule_id)?;
    string(object.key("severity"), finding.severity.as_str())?;
    object.key("suppressed").extend_from_slice(if finding.suppressed { b"true" } else { b"false" });
    string(object.key("title"), &finding.title)?;
    object.close();
    Ok(())
}

/// A JSON object being written: its braces and the commas between its members.
struct Members<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Members<'a> {
    fn open(out: &'a mut Vec<u8>) -> Members<'a> {
        out.push(b'{');
        Members { out, empty: true }
    }

    /// Writes `"name":` (keys here never need escaping) and returns the output
    /// for its value.
    fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !std::mem::replace(&mut self.empty, false) {
            self.out.push(b',');
        }
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// A release, as recorded in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReleaseRecord {
    /// The release id (a UUIDv7).
    pub id: String,
    /// Project.
    pub project: ProjectName,
    /// Version.
    pub version: ReleaseVersion,
    /// The commit it was built from.
    pub commit: CommitSha,
    /// Digests of the artifacts it ships.
    #[serde(default)]
    pub artifacts: Vec<Digest>,
    /// The project's release before this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<ReleaseVersion>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Pipeline context of the creation.
    #[serde(default)]
    pub context: CiContext,
    /// The commits since the previous release, read from git at creation (B1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeRecord>,
    /// Why `changes` is empty or partial, when it is (no repository, history
    /// truncated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes_note: Option<String>,
}

impl ReleaseRecord {
    /// The digest of what the release is: project, version, commit and artifacts.
    /// Approvals bind to it; if it differs, an approval is not for this content.
    pub fn content_digest(&self) -> Digest {
        let mut artifacts: Vec<String> = self.artifacts.iter().map(ToString::to_string).collect();
        artifacts.sort();
        let content = serde_json::json!({
            "project": self.project.as_str(),
            "version": self.version.as_str(),
            "commit": self.commit.as_str(),
            "artifacts": artifacts,
        });
        Digest::of(&to_canonical_bytes(&content).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, Severity};

    fn release() -> Entry {
        Entry {
            seq: 3,
            prev: Some(Digest::of(b"entry 2")),
            at: time::macros::datetime!(2026-11-26 12:00:00 UTC),
            event: Event::ReleaseCreated(Box::new(ReleaseRecord {
                id: "0193".into(),
                project: ProjectName::new("shop").unwrap(),
                version: ReleaseVersion::new("4.2.1").unwrap(),
                commit: CommitSha::new(&"a".repeat(40)).unwrap(),
                artifacts: vec![Digest::of(b"artifact")],
                previous: None,
                actor: None,
                context: CiContext::default(),
                changes: vec![],
                changes_note: None,
            })),
        }
    }

    #[test]
    fn canonical_bytes_are_stable_and_round_trip() {
        let entry = release();
        let bytes = entry.to_canonical_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(r#"{"at":"2026-11-26T12:00:00Z","data":{"artifacts":["sha256:"#), "{text}");
        assert!(text.contains(r#""kind":"release_created""#));
        let back: Entry = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, entry);
        assert_eq!(back.to_canonical_bytes().unwrap(), bytes);
    }

    /// Entries written by signoff before records were typed (`tests/data`, one
    /// canonical body per line, every kind of entry) decode and encode to the same
    /// bytes: stored entries stay verifiable whatever the Rust types become.
    #[test]
    fn every_stored_entry_kind_round_trips_to_the_same_bytes() {
        let mut kinds = std::collections::BTreeSet::new();
        for (line, body) in include_str!("../tests/data/entries-0.0.jsonl").lines().enumerate() {
            let entry: Entry = serde_json::from_str(body).unwrap_or_else(|error| panic!("line {}: {error}", line + 1));
            let bytes = entry.to_canonical_bytes().unwrap();
            assert_eq!(String::from_utf8(bytes).unwrap(), body, "line {}", line + 1);
            kinds.insert(entry.kind());
        }
        let all: std::collections::BTreeSet<_> = EventKind::ALL.iter().copied().collect();
        assert_eq!(kinds, all, "the fixture holds one entry of every kind");
    }

    #[test]
    fn event_kinds_parse_from_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
        }
        assert!("evidence".parse::<EventKind>().is_err());
    }

    #[test]
    fn findings_commitment_depends_on_order_and_content() {
        let finding = |rule: &str| Finding {
            fingerprint: Digest::of(rule.as_bytes()),
            rule_id: rule.into(),
            severity: Severity::High,
            title: "t".into(),
            location: Location::default(),
            cve: vec![],
            cwe: vec![],
            package: None,
            package_version: None,
            suppressed: false,
        };
        let commit = |rules: &[&str]| {
            let mut hasher = FindingsHasher::new();
            for rule in rules {
                hasher.add(&finding(rule)).unwrap();
            }
            hasher.finish()
        };
        assert_eq!(commit(&["a", "b"]), commit(&["a", "b"]));
        assert_ne!(commit(&["a", "b"]), commit(&["b", "a"]));
        assert_eq!(commit(&["a", "b"]).count, 2);
    }

    proptest::proptest! {
        /// The commitment hashes exactly the RFC 8785 bytes of each finding, whichever
        /// members it has, whatever its strings hold, on both sides of 2^53.
        #[test]
        fn findings_hash_their_canonical_bytes(
            texts in proptest::collection::vec("\\PC*|[\\x00-\\x1f\"\\\\/\\x7f\u{2028}\u{1F600}é]{0,12}", 7),
            lines in proptest::collection::vec(proptest::option::of(proptest::prop_oneof![
                0u64..100_000,
                (1u64 << 53) - 2..(1u64 << 53) + 2,
                0u64..u64::MAX,
            ]), 2),
            flags in proptest::collection::vec(proptest::bool::ANY, 6),
            severity in proptest::sample::select(Severity::ALL.to_vec()),
        ) {
            let finding = Finding {
                cve: if flags[0] { vec![texts[0].clone(), texts[6].clone()] } else { vec![] },
                cwe: if flags[1] { vec![texts[1].clone(), texts[2].clone()] } else { vec![] },
                fingerprint: Digest::of(texts[3].as_bytes()),
                location: Location { end_line: lines[0], path: flags[2].then(|| texts[4].clone()), start_line: lines[1] },
                package: flags[3].then(|| texts[5].clone()),
                package_version: flags[4].then(|| texts[6].clone()),
                rule_id: texts[0].clone(),
                severity,
                suppressed: flags[5],
                title: texts[2].clone(),
            };
            let mut expected = to_canonical_bytes(&finding).unwrap();
            expected.push(b'\n');
            let mut hasher = FindingsHasher::new();
            hasher.add(&finding).unwrap();
            proptest::prop_assert_eq!(hasher.finish().digest, Digest::of(&expected));
        }
    }
}
