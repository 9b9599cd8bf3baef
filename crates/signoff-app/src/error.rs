//! Errors of the use cases, in layers: what went wrong below (an input file, the
//! store, a policy file, the catalog, a package, git) is wrapped with its source
//! kept; what the use case itself decided is a [`Refusal`] (a rule said no) or a
//! [`Missing`] thing; a request that cannot be carried out as asked is
//! [`AppError::Invalid`]. Front ends choose their answer from the variant: the CLI
//! an exit code, the server an HTTP status.

use signoff_core::{Digest, DigestParseError, NameError, ProjectName, ReleaseRef};
use signoff_ingest::IngestError;
use signoff_ledger::{KeyError, NoteError, ProofError};
use signoff_store::StoreError;

/// A use case that could not complete. Nothing was written when one is returned,
/// except where a [`Refusal`] says it was itself recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// No store at the given place.
    #[error("no signoff store at {home} (run `signoff init` there, or point --store / SIGNOFF_HOME at one)")]
    NotInitialized {
        /// The folder looked in.
        home: String,
    },
    /// An input file could not be read as evidence. (Boxed, like the other large
    /// sources, so every `Result` of the app stays small.)
    #[error(transparent)]
    Ingest(Box<IngestError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The signing key is missing or unreadable.
    #[error("signing key {path}")]
    Key {
        /// The key file.
        path: String,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// A signed note could not be made or read.
    #[error("checkpoint")]
    Note(#[from] NoteError),
    /// A proof could not be computed.
    #[error("proof")]
    Proof(#[from] ProofError),
    /// A policy file or published policy does not parse (with file:line:column).
    #[error(transparent)]
    Policy(Box<signoff_policy::PolicyError>),
    /// The control catalog (built in, or the store's own file) is wrong.
    #[error(transparent)]
    Catalog(Box<signoff_controls::CatalogError>),
    /// A framework that the catalog does not have.
    #[error(transparent)]
    Framework(#[from] signoff_controls::UnknownFramework),
    /// An evidence package could not be built.
    #[error(transparent)]
    Package(#[from] signoff_package::PackageError),
    /// A report could not be rendered.
    #[error(transparent)]
    Report(#[from] signoff_report::ReportError),
    /// A project, version, commit or release name breaks its rules.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A digest is not `sha256:<64 hex digits>`.
    #[error(transparent)]
    Digest(#[from] DigestParseError),
    /// The store's `signoff.toml` does not parse.
    #[error("{path} is not a valid signoff.toml")]
    Config {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A signed record of the store does not verify or decode (a certificate's
    /// envelope, say): the store was altered or another key signed it.
    #[error("{what} does not verify")]
    Unverifiable {
        /// What (`certificate 0193… of shop@4.2.1 (ledger entry 16)`).
        what: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store disagrees with itself (its tree with its checkpoints, its ledger
    /// with its rows): it was altered, or a writer stopped half way.
    #[error("{0}; run `signoff ledger verify`")]
    Inconsistent(String),
    /// A request that cannot be carried out as asked (a bad argument value, a
    /// missing argument).
    #[error("{0}")]
    Invalid(String),
    /// A request presented no credentials, or ones that are not accepted (unknown,
    /// expired, revoked): who is asking is not known.
    #[error("{0}")]
    Unauthenticated(String),
    /// A rule of signoff said no.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Something asked for does not exist.
    #[error(transparent)]
    NotFound(#[from] Missing),
    /// A file or folder could not be read or written.
    #[error("{path}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The write shared by a group of captures failed (a group commit): each
    /// capture of the group is answered with the same cause, and none was stored.
    #[error(transparent)]
    Group(std::sync::Arc<AppError>),
    /// Work handed to another thread stopped before it finished (it panicked or
    /// the runtime is shutting down).
    #[error("{what} stopped")]
    Stopped {
        /// What was running.
        what: &'static str,
        /// Why.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl From<IngestError> for AppError {
    fn from(error: IngestError) -> AppError {
        AppError::Ingest(Box::new(error))
    }
}

impl From<signoff_policy::PolicyError> for AppError {
    fn from(error: signoff_policy::PolicyError) -> AppError {
        AppError::Policy(Box::new(error))
    }
}

impl From<signoff_controls::CatalogError> for AppError {
    fn from(error: signoff_controls::CatalogError) -> AppError {
        AppError::Catalog(Box::new(error))
    }
}

impl AppError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AppError + '_ {
        move |source| AppError::Io { path: path.display().to_string(), source }
    }

    pub(crate) fn stopped(what: &'static str) -> impl FnOnce(tokio::task::JoinError) -> AppError {
        move |source| AppError::Stopped { what, source }
    }
}

/// What kind of "no" a [`Refusal`] is, for front ends that answer by class (HTTP
/// 403 or 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusalClass {
    /// The actor may not do this (separation of duties, a bot or agent acting
    /// where only a human may).
    Forbidden,
    /// The store's state does not allow it now (it exists already, retention has
    /// not ended, a hold covers it).
    Conflict,
}

/// A business rule refused the request. Each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The requester of an exception tried to approve it.
    #[error("{actor} requested {exception} and cannot approve it: someone else must")]
    SelfApproval {
        /// Who.
        actor: String,
        /// The exception.
        exception: String,
    },
    /// A bot or AI agent tried something only a human may do.
    #[error("{actor} is a {kind}: only a human can {action}")]
    NotHuman {
        /// Who.
        actor: String,
        /// Their kind.
        kind: signoff_core::records::ActorKind,
        /// What they tried (`approve an exception`).
        action: &'static str,
    },
    /// The exception was approved already.
    #[error("{exception} is already approved")]
    AlreadyApproved {
        /// The exception.
        exception: String,
    },
    /// A release with this name exists.
    #[error("release {release} already exists (ledger entry {entry})")]
    ReleaseExists {
        /// The release.
        release: ReleaseRef,
        /// Its entry.
        entry: u64,
    },
    /// Something unique exists already.
    #[error("{what} already exists")]
    Exists {
        /// What.
        what: String,
    },
    /// The ledger has entries no checkpoint covers: a writer stopped half way, or
    /// the store was altered.
    #[error("the ledger has {size} entries but its last checkpoint covers {covered}; run `signoff ledger verify`")]
    Uncheckpointed {
        /// Entries.
        size: u64,
        /// Entries the last checkpoint covers.
        covered: u64,
    },
    /// Evidence whose retention has not ended cannot be purged.
    #[error("entry {entry} was captured {captured} and must be kept {days} days ({basis}); its retention ends {ends}")]
    RetentionNotEnded {
        /// The evidence entry.
        entry: u64,
        /// When it was captured (RFC 3339).
        captured: String,
        /// The retention in force.
        days: u64,
        /// The frameworks that set it, or `default`.
        basis: String,
        /// When it ends (RFC 3339).
        ends: String,
    },
    /// Evidence under legal hold cannot be purged.
    #[error("entry {entry} is under legal hold {hold}: {reason}")]
    UnderHold {
        /// The evidence entry.
        entry: u64,
        /// The hold.
        hold: String,
        /// Its reason.
        reason: String,
    },
    /// The blob was purged already.
    #[error("the blob of entry {entry} is already purged")]
    AlreadyPurged {
        /// The evidence entry.
        entry: u64,
    },
    /// The bytes are also another capture's evidence that must stay.
    #[error(
        "its bytes are also the evidence of a capture still within retention or on hold; they stay until that one can go"
    )]
    SharedBlob,
    /// A token without the scope a request needs.
    #[error("token {token} has no {scope} scope (a token with it is issued by `signoff token create --scope {scope}`)")]
    NoScope {
        /// The token's name.
        token: String,
        /// The scope needed.
        scope: &'static str,
    },
    /// A token limited to other projects.
    #[error("token {token} is limited to project {allowed}; {project} is not one of them")]
    OtherProject {
        /// The token's name.
        token: String,
        /// The project asked about.
        project: String,
        /// Its projects, comma separated.
        allowed: String,
    },
    /// A token limited to several projects asked a question across projects.
    #[error("token {token} is limited to projects {allowed}: name one of them (project=...)")]
    NameAProject {
        /// The token's name.
        token: String,
        /// Its projects, comma separated.
        allowed: String,
    },
    /// A token limited to some projects asked a question that spans every project.
    #[error("token {token} is limited to project {allowed}: this answer spans every project")]
    SpansProjects {
        /// The token's name.
        token: String,
        /// Its projects, comma separated.
        allowed: String,
    },
    /// An environment the policy does not declare.
    #[error("environment {environment:?} is not declared by policy {policy} (it declares: {declared})")]
    UndeclaredEnvironment {
        /// The environment asked for.
        environment: String,
        /// The policy.
        policy: String,
        /// The environments it declares, comma separated.
        declared: String,
    },
    /// A real certification asked for a policy file that is not the published
    /// policy in force (D1): such a file only predicts or replays.
    #[error(
        "{file} is not the published policy: a policy file only predicts (`signoff certify P@V --dry-run --policy {file}`) or replays (`signoff replay --policy {file}`); to certify under it, publish it first with `signoff policy publish {file}`"
    )]
    UnpublishedPolicy {
        /// The file.
        file: String,
    },
    /// The deployer took part in the release where the policy says a deployer
    /// may not (separation of duties, D6).
    #[error("{actor} may not deploy {release}: {why}, so someone else must deploy it")]
    DeployerConflict {
        /// Who deploys.
        actor: String,
        /// The release.
        release: String,
        /// How they took part and the policy that separates duties
        /// (`approved it as release-manager; policy shop-release-gate separates duties`).
        why: String,
    },
    /// Evidence for a certified release whose policy refuses late evidence (B4).
    #[error(
        "{release} is certified and policy {policy} refuses evidence captured after certification (release.late_evidence: refuse); nothing was stored: capture it for the next release, or revoke the certificate (signoff certificate revoke {release}) and certify again"
    )]
    LateEvidence {
        /// The certified release.
        release: String,
        /// The policy in force.
        policy: String,
    },
}

impl Refusal {
    /// Whether the actor may not do this, or the state does not allow it.
    pub fn class(&self) -> RefusalClass {
        match self {
            Refusal::SelfApproval { .. }
            | Refusal::NotHuman { .. }
            | Refusal::UnpublishedPolicy { .. }
            | Refusal::DeployerConflict { .. }
            | Refusal::NoScope { .. }
            | Refusal::OtherProject { .. }
            | Refusal::NameAProject { .. }
            | Refusal::SpansProjects { .. } => RefusalClass::Forbidden,
            Refusal::AlreadyApproved { .. }
            | Refusal::ReleaseExists { .. }
            | Refusal::Exists { .. }
            | Refusal::Uncheckpointed { .. }
            | Refusal::RetentionNotEnded { .. }
            | Refusal::UnderHold { .. }
            | Refusal::AlreadyPurged { .. }
            | Refusal::SharedBlob
            | Refusal::LateEvidence { .. }
            | Refusal::UndeclaredEnvironment { .. } => RefusalClass::Conflict,
        }
    }
}

/// Something that was asked for and does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Missing {
    /// A release.
    #[error("no release {0} (see `signoff release create`)")]
    Release(ReleaseRef),
    /// A release's certificate.
    #[error("{0} has no certificate (run `signoff certify {0}`)")]
    Certificate(ReleaseRef),
    /// A sync destination.
    #[error("no sync destination {0} (see `signoff sync list`)")]
    SyncDestination(String),
    /// An exception.
    #[error("no exception {0}")]
    Exception(String),
    /// A triage decision.
    #[error("no triage decision {0} (see `signoff triage list`)")]
    Triage(String),
    /// An audit request.
    #[error("no audit request {0} (see `signoff pbc list`)")]
    PbcRequest(String),
    /// An answer to an audit request.
    #[error("request {request} has no answer {answer} (see `signoff pbc show {request}`)")]
    PbcAnswer {
        /// The request.
        request: String,
        /// The answer id as given.
        answer: String,
    },
    /// A finding of a project.
    #[error("no finding {finding} in {project}'s scans (see `signoff findings --project {project}`)")]
    Finding {
        /// The project.
        project: ProjectName,
        /// The fingerprint as given.
        finding: String,
    },
    /// A project the store has neither evidence nor a release of.
    #[error(
        "no project {project}: nothing was captured or released for it{}",
        .closest.as_ref().map(|close| format!("; did you mean {close}?")).unwrap_or_default()
    )]
    Project {
        /// The project as given.
        project: ProjectName,
        /// The known project closest to it, when one is a typo or two away.
        closest: Option<ProjectName>,
    },
    /// An access token.
    #[error("no token {0} (see `signoff token list`)")]
    Token(String),
    /// An active legal hold.
    #[error("no active hold {0}")]
    Hold(String),
    /// A ledger entry of captured evidence.
    #[error("entry {0} is not captured evidence")]
    Evidence(u64),
    /// A ledger entry.
    #[error("no ledger entry {entry} (the ledger has {size})")]
    Entry {
        /// The entry asked for.
        entry: u64,
        /// The ledger's size.
        size: u64,
    },
    /// A blob.
    #[error("no blob {0} in the store")]
    Blob(Digest),
    /// Any checkpoint: nothing was written yet.
    #[error("the ledger is empty: nothing to prove")]
    EmptyLedger,
    /// A signed checkpoint of a given size.
    #[error("no signed checkpoint at size {size} (checkpoints are signed after each write; nearest: {nearest})")]
    Checkpoint {
        /// The size asked for.
        size: u64,
        /// The nearest sizes that have one, or `none`.
        nearest: String,
    },
    /// An entry in the tree of a given size.
    #[error("entry {entry} is not in the tree of size {size}")]
    NotInTree {
        /// The entry.
        entry: u64,
        /// The tree size.
        size: u64,
    },
}

#[cfg(test)]
mod tests {
    /// Every use case returns `Result<_, AppError>`: a small error keeps every
    /// result small (large sources are boxed).
    #[test]
    fn the_error_stays_small() {
        assert!(std::mem::size_of::<super::AppError>() <= 104, "{}", std::mem::size_of::<super::AppError>());
    }
}
