//! Records of the decisions around a release: who acts (actors), policies,
//! approvals, exceptions and certificates. Each is the payload of a ledger entry.
//!
//! This module owns the vocabulary the other crates share: actor kinds, approval
//! decisions, certification decisions, criterion outcomes and signature states.
//! `signoff-policy` and `signoff-report` re-export these types; `signoff-git`
//! keeps its own (it depends on nothing of signoff's) and `signoff-app` converts
//! at that one boundary.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::digest::Digest;
use crate::names::{ProjectName, ReleaseVersion};

/// What kind of actor someone is (J1). Only humans' approvals count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person.
    Human,
    /// Automation (CI, dependency bots, merge queues).
    Bot,
    /// An AI coding agent.
    AiAgent,
}

impl ActorKind {
    /// The name used in JSON and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActorKind::Human => "human",
            ActorKind::Bot => "bot",
            ActorKind::AiAgent => "ai_agent",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an actor kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an actor kind (human, bot or ai_agent)")]
pub struct UnknownActorKind(pub String);

impl std::str::FromStr for ActorKind {
    type Err = UnknownActorKind;

    fn from_str(text: &str) -> Result<ActorKind, UnknownActorKind> {
        match text {
            "human" => Ok(ActorKind::Human),
            "bot" => Ok(ActorKind::Bot),
            "ai_agent" => Ok(ActorKind::AiAgent),
            other => Err(UnknownActorKind(other.to_owned())),
        }
    }
}

/// The state of a commit signature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Not signed.
    #[default]
    None,
    /// Signed, but the key is not known to be the author's.
    Unverified,
    /// Signed by a key known to be the author's.
    Verified,
    /// The signature does not check out.
    Bad,
}

impl SignatureStatus {
    /// `none`, `unverified`, `verified` or `bad`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureStatus::None => "none",
            SignatureStatus::Unverified => "unverified",
            SignatureStatus::Verified => "verified",
            SignatureStatus::Bad => "bad",
        }
    }
}

impl fmt::Display for SignatureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a commit was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    /// An SSH signature (sshsig).
    Ssh,
    /// An OpenPGP signature.
    Gpg,
    /// An X.509 (S/MIME) signature.
    X509,
}

impl SignatureKind {
    /// `ssh`, `gpg` or `x509`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureKind::Ssh => "ssh",
            SignatureKind::Gpg => "gpg",
            SignatureKind::X509 => "x509",
        }
    }
}

/// A certification's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Every blocking criterion passed or was waived.
    Certified,
    /// A blocking criterion failed.
    Rejected,
}

impl Decision {
    /// `certified` or `rejected`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Certified => "certified",
            Decision::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A criterion's outcome in a certification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CriterionStatus {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// Not met, but an active exception accepts it (or met only thanks to
    /// exceptions for findings).
    Waived,
}

impl fmt::Display for CriterionStatus {
    /// `PASS`, `FAIL`, `WAIVED`, as reports print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CriterionStatus::Pass => "PASS",
            CriterionStatus::Fail => "FAIL",
            CriterionStatus::Waived => "WAIVED",
        })
    }
}

/// Someone or something that acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Actor {
    /// A stable identity: a CI login, an email, an OS user.
    pub id: String,
    /// Human, bot or AI agent.
    pub kind: ActorKind,
    /// For an agent or bot: the human it acts for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// Where the identity came from (`github-actions`, `gitlab-ci`, `flag`,
    /// `SIGNOFF_ACTOR`, or an unverified local identity: `git-config`, `os-user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A change (commit) in a release, as read from git when the release was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChangeRecord {
    /// Commit id.
    pub commit: String,
    /// First line of the message.
    pub summary: String,
    /// Author.
    pub author: Person,
    /// Committer.
    pub committer: Person,
    /// Co-authors from `Co-authored-by` trailers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub co_authors: Vec<Person>,
    /// All trailers, in order. The record keeps (key, value) pairs; JSON output
    /// shows each as a [`Trailer`] object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<Trailer>")]
    pub trailers: Vec<(String, String)>,
    /// Pull or merge request number, when the history says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
    /// Whether it merges other commits.
    #[serde(default)]
    pub merge: bool,
    /// Signature status.
    pub signature: SignatureStatus,
    /// How it was signed, when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_kind: Option<SignatureKind>,
    /// Agents involved (author, co-authors, `Generated-by`/`Assisted-by`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
}

/// A commit trailer as JSON output shows it (`Signed-off-by: …`). The ledger's
/// records keep trailers as (key, value) pairs: their bytes are signed and
/// hashed as written, so the objects are made only where JSON is printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Trailer {
    /// The trailer's key (`Co-authored-by`).
    pub key: String,
    /// Its value.
    pub value: String,
}

/// A Rego module of a policy as JSON output shows it; the record keeps (file,
/// source) pairs, for the reason given at [`Trailer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RegoModule {
    /// The file as the policy names it.
    pub file: String,
    /// Its source.
    pub source: String,
}

/// A person as git records them, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Person {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Human, bot or agent.
    pub kind: ActorKind,
}

/// A published policy (D1): its text is kept whole, so any verdict can be
/// re-derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyRecord {
    /// Policy id (a UUIDv7).
    pub id: String,
    /// The policy's name.
    pub name: String,
    /// 1 for the first publication of this name, then 2, 3, ...
    pub version: u64,
    /// Content digest (policy text and Rego sources).
    pub digest: Digest,
    /// The file it was published from.
    pub file_name: String,
    /// The policy text.
    pub text: String,
    /// Rego modules it uses: (file as named in the policy, source). JSON output
    /// shows each as a [`RegoModule`] object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<RegoModule>")]
    pub rego: Vec<(String, String)>,
    /// Who published it.
    pub published_by: Actor,
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
}

/// A release approval (`signoff approve`), bound to the release's exact content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApprovalRecord {
    /// Approval id (a UUIDv7).
    pub id: String,
    /// Project.
    pub project: ProjectName,
    /// Release version.
    pub version: ReleaseVersion,
    /// The release content digest the approval is for (commit and artifacts).
    pub content: Digest,
    /// Who.
    pub actor: Actor,
    /// In which role (`release-manager`, `security`, ...).
    pub role: String,
    /// Approve or reject.
    pub decision: ApprovalDecision,
    /// Why, in their words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// What an exception waives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExceptionTarget {
    /// One finding, by fingerprint.
    Finding {
        /// The finding's fingerprint.
        fingerprint: Digest,
    },
    /// A policy criterion, by id.
    Criterion {
        /// The criterion id.
        id: String,
    },
}

/// A requested exception (D3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExceptionRecord {
    /// Exception id (`EXC-` and a short number, unique in the store).
    pub id: String,
    /// The project it applies to; all projects when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectName>,
    /// What it waives.
    pub target: ExceptionTarget,
    /// The justification.
    pub reason: String,
    /// Who asked.
    pub requested_by: Actor,
    /// When it stops applying.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub expires_at: OffsetDateTime,
}

/// The approval of an exception, by someone other than the requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionApprovalRecord {
    /// The exception.
    pub exception: String,
    /// Who approved.
    pub approved_by: Actor,
    /// Their comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Which policy a certificate was evaluated under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyReference {
    /// Name.
    pub name: String,
    /// Published version, when published (absent for `--policy FILE` or the
    /// built-in starter policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Content digest.
    pub digest: Digest,
    /// Where it came from.
    pub source: PolicySource,
}

/// Where the policy a certification used came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    /// Published to the ledger (`signoff policy publish`).
    Published,
    /// A file named on the command line, never published.
    File,
    /// The built-in starter policy.
    Builtin,
}

impl PolicySource {
    /// `published`, `file` or `builtin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicySource::Published => "published",
            PolicySource::File => "file",
            PolicySource::Builtin => "builtin",
        }
    }
}

/// A certification record (D5): the signed DSSE envelope and what it decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertificateRecord {
    /// Certificate id (a UUIDv7).
    pub id: String,
    /// Project.
    pub project: ProjectName,
    /// Release version.
    pub version: ReleaseVersion,
    /// Release commit.
    pub commit: String,
    /// Artifact digests it covers.
    #[serde(default)]
    pub artifacts: Vec<Digest>,
    /// The verdict.
    pub decision: Decision,
    /// The verdict per environment the policy declares.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, Decision>,
    /// The policy.
    pub policy: PolicyReference,
    /// The DSSE envelope (JSON) carrying the in-toto statement. The record keeps
    /// the exact text that was signed; JSON output shows it as an object.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub envelope: String,
    /// Digest of the statement (the envelope's payload).
    pub statement_digest: Digest,
    /// When it was evaluated.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub evaluated_at: OffsetDateTime,
    /// Who certified.
    pub certifier: Actor,
}

impl CertificateRecord {
    /// Whether it certifies the release for `environment` (or overall when none).
    pub fn certifies(&self, environment: Option<&str>) -> bool {
        match environment.and_then(|name| self.environments.get(name)) {
            Some(decision) => *decision == Decision::Certified,
            None => self.decision == Decision::Certified,
        }
    }
}

/// A deployment of a release to an environment (B3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeploymentRecord {
    /// Deployment id (a UUIDv7).
    pub id: String,
    /// Project.
    pub project: ProjectName,
    /// Release version deployed.
    pub version: ReleaseVersion,
    /// Environment (`prod`, `staging`, ...).
    pub environment: String,
    /// The release's artifacts at deployment.
    #[serde(default)]
    pub artifacts: Vec<Digest>,
    /// Whether a certificate valid for the environment covered the release when it
    /// was deployed, and which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// Who deployed.
    pub actor: Actor,
    /// Pipeline context.
    #[serde(default)]
    pub context: crate::context::CiContext,
    /// What was wrong when it was recorded (no valid certificate; the deployer
    /// also approved or authored the release).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// What runs in an environment, as reported by a snapshot (B3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SnapshotRecord {
    /// Snapshot id (a UUIDv7).
    pub id: String,
    /// Environment.
    pub environment: String,
    /// The artifact digests running there.
    pub artifacts: Vec<Digest>,
    /// Those that no valid certificate covered when the snapshot was taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertified: Vec<Digest>,
    /// Who reported it.
    pub actor: Actor,
}

/// A legal hold placed on (or lifted from) a project or one release (E3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LegalHoldRecord {
    /// Hold id (`HOLD-n`).
    pub id: String,
    /// Project held.
    pub project: ProjectName,
    /// Only this release, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ReleaseVersion>,
    /// Why.
    pub reason: String,
    /// True when this entry lifts an earlier hold with the same id.
    #[serde(default)]
    pub lifted: bool,
    /// Who.
    pub actor: Actor,
}

/// Raw evidence purged after its retention ended (E3). The digests and ledger
/// entries stay; only the blobs are gone, and verification knows why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PurgeRecord {
    /// Purge id (a UUIDv7).
    pub id: String,
    /// The blobs purged, with the evidence entries that named them.
    pub blobs: Vec<PurgedBlob>,
    /// The retention that applied, in days, and the frameworks it came from.
    pub retention_days: u64,
    /// Frameworks whose retention decided it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<String>,
    /// Who purged.
    pub actor: Actor,
}

/// One purged blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PurgedBlob {
    /// Its digest.
    pub digest: Digest,
    /// The evidence entry that captured it.
    pub entry: u64,
    /// Its size.
    pub size: u64,
}

/// The revocation of a certificate: the gate stops honouring it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RevocationRecord {
    /// The certificate revoked.
    pub certificate: String,
    /// Its project.
    pub project: ProjectName,
    /// Its release version.
    pub version: ReleaseVersion,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor: Actor,
}

/// A refused privileged action (J2, C1): who tried what, on what, and why it was
/// refused. A refusal changes nothing else; it is recorded so that an auditor sees
/// the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalRecord {
    /// Refusal id (a UUIDv7).
    pub id: String,
    /// What was tried (`approve`, `exception approve`, `certify`, `triage`,
    /// `policy publish`, `policy pin`, `hold`, `deploy`).
    pub action: String,
    /// What it was tried on (`shop@1.4.0`, `EXC-3`, a policy file name).
    pub target: String,
    /// The project, when the action concerned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectName>,
    /// The release version, when the action concerned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ReleaseVersion>,
    /// Why it was refused (the refusal's message).
    pub reason: String,
    /// Who tried.
    pub actor: Actor,
}

/// A project pinned to one published policy version (D1): certifications of the
/// project use it, and the gate honours only certificates issued under it, until
/// another pin. A pin to no policy (`policy` absent) returns the project to the
/// latest published policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyPinRecord {
    /// Pin id (a UUIDv7).
    pub id: String,
    /// The project pinned.
    pub project: ProjectName,
    /// The published policy it is pinned to; absent for an unpin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyReference>,
    /// Why.
    pub reason: String,
    /// Who pinned it.
    pub actor: Actor,
}

/// An access token was issued (server tokens, R5): who was granted what. The
/// secret is never recorded, nor its hash; the token is named by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrantRecord {
    /// The token's id (the public part of `so_<id>_<secret>`).
    pub id: String,
    /// Its name (`ci-shop`, `auditor-q3`).
    pub name: String,
    /// The scopes granted (`capture`, `release`, `approve`, `certify`, `read`, `admin`).
    pub scopes: Vec<String>,
    /// The projects it is limited to; empty: every project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<ProjectName>,
    /// The kind of actor that acts with it.
    pub kind: ActorKind,
    /// When it stops being accepted.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The token it succeeds (`token rotate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predecessor: Option<String>,
    /// Who issued it.
    pub actor: Actor,
}

/// An access token was revoked (at once, or at the end of a rotation's grace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRevocationRecord {
    /// The token's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// From when it is no longer accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub effective_at: OffsetDateTime,
    /// Why (`revoked`, `rotated to <id>`).
    pub reason: String,
    /// Who revoked it.
    pub actor: Actor,
}

/// A request refused because its actor may not do it (J2: an AI agent asking to
/// approve, grant exceptions, certify or administer), kept so the audit trail
/// shows the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessDeniedRecord {
    /// A fresh id (UUIDv7).
    pub id: String,
    /// Who tried: the token's identity.
    pub actor: Actor,
    /// The token used.
    pub token: String,
    /// What was asked (`approve`, `certify`, the scope it needs).
    pub action: String,
    /// The project it concerned, when one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectName>,
    /// Why it was refused.
    pub reason: String,
}
