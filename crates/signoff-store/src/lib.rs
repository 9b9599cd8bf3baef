//! Where signoff keeps evidence.
//!
//! Two traits make the boundary: [`Store`] holds the ledger and the tables derived
//! from it (SQLite by default, PostgreSQL for scale-out; both in [`sql`]), and
//! [`BlobStore`] holds raw evidence bytes by digest (a local folder now, in [`blob`];
//! S3-compatible storage can implement the same trait). Callers hold
//! `Arc<dyn Store>` and `Arc<dyn BlobStore>` and never name a backend.
//!
//! Architecture Invariant: the store never updates or deletes a row. Every write
//! goes through a [`WriteTx`], which holds the single ledger write lock from
//! [`Store::begin`] to [`WriteTx::commit`], so the ledger stays linear however many
//! processes capture at once. Two tables of operational state, not evidence, are
//! the exceptions: `tokens` (revocation, last use) and `sync_deliveries` (the GRC
//! outbox, whose rows the delivery engine updates outside the ledger lock; they are
//! created in the certification's transaction).
//!
//! Architecture Invariant: the store does not hash, sign or decide. It keeps what
//! the application layer gives it and hands it back.

pub mod blob;
mod rows;
pub mod sql;

use std::path::Path;

use async_trait::async_trait;
use signoff_core::entry::{Entry, EventKind, EvidenceRecord, Recorded, ReleaseRecord};
use signoff_core::{Digest, Finding, ProjectName, ReleaseVersion};
use time::OffsetDateTime;

pub use blob::{BlobStore, LocalBlobs, SCRATCH_PREFIX, ScratchFile, StagedBlob, StaleFile, scratch_file};
pub use sql::{SqlStore, SqliteStore};

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Another writer held the ledger's write lock for longer than the store waits.
    #[error(
        "the ledger is locked by another writer (a capture or another command writing to this store) and stayed locked for {} s; nothing was written: retry when it has finished (a writer that was stopped or paused holds the lock until it ends)",
        waited.as_secs()
    )]
    Locked {
        /// How long it waited.
        waited: std::time::Duration,
    },
    /// Schema migration failed.
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The blob folder failed.
    #[error("blob store error at {path}: {source}")]
    Blob {
        /// The file or folder.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The store cannot be written: a read-only mount, or a user without write
    /// permission (who may still read, verify and export it).
    #[error(
        "the store is read-only for this user ({path}: {source}); nothing was written: reading, verifying and exporting work, writing needs the store's owner or a signoff server"
    )]
    ReadOnly {
        /// The file or folder that refused the write.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A stored row does not decode (it was altered by hand, or is from a newer
    /// signoff).
    #[error("stored row {table}#{key} is unreadable: {message}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A unique key already exists (for example a release version).
    #[error("{what} already exists")]
    Conflict {
        /// What.
        what: String,
    },
}

impl From<sqlx::Error> for StoreError {
    /// A database that refuses a write because it cannot be written (SQLite's
    /// `SQLITE_READONLY` and its extended codes, PostgreSQL's
    /// `read_only_sql_transaction` on a standby) is [`StoreError::ReadOnly`], so
    /// that the user hears why, whichever write met it first.
    fn from(error: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(database) = &error
            && matches!(
                database.code().as_deref(),
                Some("8" | "264" | "520" | "776" | "1032" | "1288" | "1544" | "25006")
            )
        {
            let source = std::io::Error::new(std::io::ErrorKind::PermissionDenied, database.message().to_owned());
            return StoreError::ReadOnly { path: "the database".to_owned(), source };
        }
        StoreError::Database(error)
    }
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// The end of the ledger as a write transaction sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerHead {
    /// Number of entries.
    pub size: u64,
    /// Hash of the last entry.
    pub last_hash: Option<Digest>,
    /// Perfect-subtree roots of the tree at the last checkpoint, largest first.
    pub frontier: Vec<[u8; 32]>,
    /// The size the frontier describes (the last checkpoint's size).
    pub frontier_size: u64,
}

/// An entry as stored.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Position, from the row key.
    pub seq: u64,
    /// Canonical bytes.
    pub body: Vec<u8>,
    /// Stored SHA-256 of `body`.
    pub entry_hash: Vec<u8>,
}

/// A checkpoint as stored.
#[derive(Debug, Clone)]
pub struct StoredCheckpoint {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: [u8; 32],
    /// The C2SP signed note.
    pub note: String,
    /// Perfect-subtree roots, largest first.
    pub frontier: Vec<[u8; 32]>,
    /// The size of the checkpoint signed before this one (0 for the first);
    /// `None` in rows written before checkpoints were chained.
    pub previous_size: Option<u64>,
}

/// An evidence row, read back into the record it was written from.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRow {
    /// Ledger position of its entry.
    pub seq: u64,
    /// When captured (the entry's time).
    pub captured_at: OffsetDateTime,
    /// The record.
    pub record: EvidenceRecord,
}

/// A release row, read back into its record.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseRow {
    /// Ledger position of its entry.
    pub seq: u64,
    /// When created (the entry's time).
    pub created_at: OffsetDateTime,
    /// The record.
    pub record: ReleaseRecord,
}

/// The database's schema against this build's migrations: current when both
/// lists are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaState {
    /// This build's migrations the database has not applied.
    pub missing: Vec<i64>,
    /// Migrations the database has applied that this build does not know (a newer
    /// signoff wrote it).
    pub newer: Vec<i64>,
}

/// A row of the generic `records` table: an entry's data as JSON, with the keys
/// it is looked up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// Ledger position of its entry.
    pub seq: u64,
    /// The entry kind.
    pub kind: EventKind,
    /// The record's id.
    pub id: String,
    /// Its project, when it has one.
    pub project: Option<String>,
    /// Its version, when it has one.
    pub version: Option<String>,
    /// The entry's `data`, as JSON.
    pub record: String,
    /// The entry's time (RFC 3339).
    pub at: Option<String>,
    /// A lookup key (see `Event::lookup_keys`).
    pub subject: Option<String>,
    /// A lookup key (see `Event::lookup_keys`).
    pub status: Option<String>,
}

impl RecordRow {
    /// The record in its type, decoded once. A row that does not decode as the type
    /// its kind names was altered or written by a newer signoff: a store
    /// corruption, not a bad request.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the kind is not `T`'s, the JSON does not decode
    /// as `T`, or the row has no time.
    pub fn decode<T: Recorded>(&self) -> StoreResult<Stored<T>> {
        let corrupt = |message: String| StoreError::Corrupt { table: "records", key: self.seq.to_string(), message };
        if self.kind != T::KIND {
            return Err(corrupt(format!("a {} row read as {}", self.kind, T::KIND)));
        }
        let record = serde_json::from_str(&self.record).map_err(|error| corrupt(error.to_string()))?;
        let text = self.at.as_deref().ok_or_else(|| corrupt("no time".to_owned()))?;
        let at = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|error| corrupt(format!("time {text:?}: {error}")))?;
        Ok(Stored { seq: self.seq, at, record })
    }
}

/// A record read back into its type, with the ledger entry it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// Ledger position of its entry.
    pub seq: u64,
    /// The entry's time.
    pub at: OffsetDateTime,
    /// The record.
    pub record: T,
}

/// Where one finding (per tool and fingerprint) has been seen.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingHistory {
    /// The tool that reports it.
    pub tool: String,
    /// First evidence entry reporting it.
    pub first_seq: u64,
    /// Last evidence entry reporting it.
    pub last_seq: u64,
    /// How many captures reported it.
    pub times_seen: u64,
    /// The finding, as last reported.
    pub finding: Finding,
}

/// What the metrics need of one release (I1): when it was created, its first
/// certificate's decision and how many of the asked evidence kinds it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMetricsRow {
    /// Project.
    pub project: String,
    /// Version.
    pub version: String,
    /// When created (the entry's time).
    pub created_at: OffsetDateTime,
    /// The decision of its first certificate (`certified`, `rejected`), if any.
    pub first_decision: Option<String>,
    /// How many of the asked kinds its evidence holds (each counted once).
    pub kinds_held: u64,
}

/// One scan of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRow {
    /// Tool name.
    pub tool: String,
    /// Evidence entry.
    pub seq: u64,
    /// Commit.
    pub commit: Option<String>,
    /// Release named at capture.
    pub release: Option<String>,
    /// When captured.
    pub captured_at: OffsetDateTime,
    /// What it scanned, when known.
    pub target: Option<String>,
}

/// A source of evidence: one tool supplying one kind to one project, with how
/// often it reported and its latest capture.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// How many captures it made.
    pub captures: u64,
    /// Its first capture's ledger entry.
    pub first_seq: u64,
    /// Its latest capture.
    pub latest: EvidenceRow,
}

/// Filters over the `records` table (besides the kind); `None` means any.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery<'a> {
    /// Project.
    pub project: Option<&'a str>,
    /// Version.
    pub version: Option<&'a str>,
    /// Subject key.
    pub subject: Option<&'a str>,
    /// Status key.
    pub status: Option<&'a str>,
    /// From this time (inclusive, RFC 3339).
    pub from: Option<&'a str>,
    /// Before this time (exclusive, RFC 3339).
    pub to: Option<&'a str>,
    /// At most this many rows.
    pub limit: Option<u64>,
}

/// Filters for an evidence search; `None` or empty means any.
#[derive(Debug, Clone, Default)]
pub struct EvidenceQuery<'a> {
    /// Project.
    pub project: Option<&'a str>,
    /// Evidence kinds (any of).
    pub kinds: Vec<&'a str>,
    /// Tool name (case-insensitive).
    pub tool: Option<&'a str>,
    /// Captured from (inclusive, RFC 3339).
    pub from: Option<&'a str>,
    /// Captured before (exclusive, RFC 3339).
    pub to: Option<&'a str>,
    /// Only evidence with findings of at least this rank (0 info .. 4 critical).
    pub min_severity: Option<i64>,
    /// Only evidence of releases whose latest certificate has this decision
    /// (`certified`, `rejected`), or `uncertified` for releases never certified.
    pub release_status: Option<&'a str>,
    /// Only evidence of releases approved by this actor.
    pub approver: Option<&'a str>,
    /// Only evidence of releases deployed to this environment.
    pub environment: Option<&'a str>,
    /// At most this many rows.
    pub limit: u64,
}

/// An evidence row with the release it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceHit {
    /// The evidence.
    pub evidence: EvidenceRow,
    /// Its release version, when it belongs to one.
    pub release: Option<String>,
}

/// A deployment with what the sampling population asks about its release,
/// gathered in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationRow {
    /// The deployment's record.
    pub deployment: RecordRow,
    /// The release's commit.
    pub commit: String,
    /// The release's changes.
    pub changes: Vec<signoff_core::records::ChangeRecord>,
    /// The latest certificate's decision.
    pub decision: Option<String>,
    /// `approver:role` of each approval, space separated.
    pub approvals: Option<String>,
    /// `tool:<critical>c/<high>h` of each scan, space separated.
    pub scans: Option<String>,
}

/// Filters for a page of releases; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct ReleaseQuery<'a> {
    /// Project.
    pub project: Option<&'a str>,
    /// The latest certificate's decision (`certified`, `rejected`), or
    /// `uncertified` for releases never certified.
    pub status: Option<&'a str>,
    /// Only releases before this ledger entry (the previous page's last), for paging.
    pub before: Option<u64>,
    /// Only releases deployed to this environment.
    pub environment: Option<&'a str>,
    /// Created from (inclusive, RFC 3339).
    pub from: Option<&'a str>,
    /// Created before (exclusive, RFC 3339).
    pub to: Option<&'a str>,
    /// Only releases whose project, version or commit contains this text (any case).
    pub search: Option<&'a str>,
    /// At most this many.
    pub limit: u64,
    /// Count the matches from this page on (at most [`RELEASES_COUNTED`]); else
    /// the count is the page's length.
    pub count: bool,
}

/// Most releases a page's count goes up to: past it, a list says "10000 or
/// more", so counting never reads the whole store (issue 13: a page's time must
/// not grow with the store).
pub const RELEASES_COUNTED: u64 = 10_000;

/// A release with its verdict and where it was deployed, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseSummaryRow {
    /// The release.
    pub release: ReleaseRow,
    /// Its latest certificate's decision and ledger entry.
    pub certificate: Option<(String, u64)>,
    /// Environments it was deployed to.
    pub deployed_to: Vec<String>,
}

/// A finding row with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    /// The evidence it belongs to.
    pub evidence_seq: u64,
    /// Its position in the evidence file, from 0.
    pub ordinal: u64,
    /// The finding.
    pub finding: Finding,
}

/// An access token of the server, as stored (access configuration, not evidence:
/// `revoked_at` and `last_used_at` change in place). Times are RFC 3339 text;
/// lists are comma separated.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    /// The public id (in `so_<id>_<secret>`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// SHA-256 of the whole token string.
    pub hash: Vec<u8>,
    /// Scopes, comma separated.
    pub scopes: String,
    /// Projects it is limited to, comma separated; empty: all.
    pub projects: String,
    /// `human`, `bot` or `ai_agent`.
    pub actor_kind: String,
    /// When issued.
    pub created_at: String,
    /// Who issued it.
    pub created_by: String,
    /// When it expires.
    pub expires_at: Option<String>,
    /// From when it is revoked (a rotation's grace puts it in the future).
    pub revoked_at: Option<String>,
    /// When it was last accepted.
    pub last_used_at: Option<String>,
    /// The token it succeeds.
    pub predecessor: Option<String>,
}

/// A row of the GRC delivery outbox (`sync_deliveries`): operational state, not
/// evidence (the engine changes it in place). Times are Unix nanoseconds, UTC.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    /// Its id.
    pub id: i64,
    /// The sync destination's name.
    pub destination: String,
    /// The compliance artifact's id (a UUID).
    pub artifact_id: String,
    /// The artifact's idempotency key.
    pub idempotency_key: String,
    /// The artifact, JSON: as the certification wrote it, then once proven
    /// ([`DeliveryChange::Prove`]) before its first attempt.
    pub artifact: String,
    /// The ledger entry of the certification it was built from.
    pub certificate_seq: i64,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// The other side's id, once delivered.
    pub remote_id: Option<String>,
    /// When delivered.
    pub delivered_at: Option<i64>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// The first failure since the last success.
    pub failing_since: Option<i64>,
    /// When it is due (or leased until).
    pub next_attempt_at: Option<i64>,
}

/// A delivery to add to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The sync destination's name.
    pub destination: String,
    /// The artifact's id.
    pub artifact_id: String,
    /// The artifact's idempotency key.
    pub idempotency_key: String,
    /// The artifact, JSON.
    pub artifact: String,
}

/// What happened to a delivery (times in Unix nanoseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryChange {
    /// An attempt starts: count it, lease the delivery until `lease_until`.
    Attempt {
        /// The lease's end.
        lease_until: i64,
    },
    /// It arrived.
    Delivered {
        /// The other side's id.
        remote_id: String,
        /// When.
        at: i64,
    },
    /// An attempt failed; `retry_at` `None` gives up (state `failed`).
    Failure {
        /// Why.
        why: String,
        /// When.
        at: i64,
        /// When to try again.
        retry_at: Option<i64>,
    },
    /// The artifact of a pending delivery, completed with its inclusion proofs
    /// (`signoff-app`'s `sync`): the same artifact with proofs against the
    /// checkpoint that first covered its certification, and the key of that content.
    /// Completing is deterministic, so doing it twice writes the same values.
    Prove {
        /// The completed artifact, JSON.
        artifact: String,
        /// Its idempotency key.
        idempotency_key: String,
    },
    /// Pending again, due at `at` (reconciliation).
    Requeue {
        /// When due.
        at: i64,
    },
}

/// The ledger store.
#[async_trait]
pub trait Store: Send + Sync {
    /// Starts a write: takes the ledger write lock (waiting for other writers).
    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>>;

    /// Number of ledger entries.
    async fn ledger_size(&self) -> StoreResult<u64>;
    /// Entries with `seq >= from`, in order, at most `limit`.
    async fn entries(&self, from: u64, limit: u64) -> StoreResult<Vec<StoredEntry>>;
    /// Stored leaf hashes of entries `from..from + limit`, in order. Proofs use
    /// them; `ledger verify` recomputes them from the bodies instead.
    async fn leaf_hashes(&self, from: u64, limit: u64) -> StoreResult<Vec<[u8; 32]>>;
    /// Every checkpoint, smallest first.
    async fn checkpoints(&self) -> StoreResult<Vec<StoredCheckpoint>>;
    /// The latest checkpoint.
    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>>;
    /// The first (smallest) checkpoint whose tree holds entry `seq`, if one does: the
    /// fixed tree size an entry's proofs are given against where they must not change.
    async fn checkpoint_covering(&self, seq: u64) -> StoreResult<Option<StoredCheckpoint>>;

    /// Evidence rows with `seq >= from`, in order, at most `limit`.
    async fn evidence_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<EvidenceRow>>;
    /// Release rows with `seq >= from`, in order, at most `limit`.
    async fn release_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<ReleaseRow>>;
    /// Finding rows after `(evidence_seq, ordinal)` (exclusive; `None` from the
    /// start), in order, at most `limit`.
    async fn finding_rows(&self, after: Option<(u64, u64)>, limit: u64) -> StoreResult<Vec<FindingRow>>;

    /// Rows of the `records` table with `seq >= from`, in order, at most `limit`.
    async fn record_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<RecordRow>>;
    /// Records of one kind with one id, in ledger order.
    async fn records_by_id(&self, kind: EventKind, id: &str) -> StoreResult<Vec<RecordRow>>;
    /// Every release of a project (all projects when `None`), in ledger order.
    async fn releases(&self, project: Option<&ProjectName>) -> StoreResult<Vec<ReleaseRow>>;

    /// Every finding of a project's scans with where it was seen: one row per
    /// (tool, fingerprint) with the first and last evidence entries that report it
    /// and the latest finding row, in first-seen order.
    async fn finding_history(&self, project: &ProjectName) -> StoreResult<Vec<FindingHistory>>;
    /// [`finding_history`](Store::finding_history) a row at a time, in bounded
    /// memory: `each` is called with every row, and stops the read by returning
    /// false. With `among`, only the findings whose fingerprint one of those scans
    /// (evidence entries) reports: the latest scan of each source gives every open
    /// finding without grouping the whole history.
    async fn finding_history_each(
        &self,
        project: &ProjectName,
        among: Option<&[u64]>,
        each: &mut (dyn FnMut(FindingHistory) -> bool + Send),
    ) -> StoreResult<()>;
    /// The project's scans (evidence with findings), per tool, in ledger order:
    /// (tool name, evidence seq, commit, release version).
    async fn scans(&self, project: &ProjectName) -> StoreResult<Vec<ScanRow>>;

    /// Every source of evidence (project, tool, kind) with its count and latest
    /// capture, of one project when given; ordered by project, tool and kind.
    async fn evidence_sources(&self, project: Option<&str>) -> StoreResult<Vec<SourceRow>>;
    /// The projects with evidence, by name, after `after` (from the first when
    /// `None`), at most `limit`: one index seek each, however much evidence.
    async fn evidence_projects(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>>;
    /// Whether `project` has evidence or a release: two index seeks.
    async fn has_project(&self, project: &str) -> StoreResult<bool>;

    /// Records of one kind matching `query`, in ledger order.
    async fn find_records(&self, kind: EventKind, query: &RecordQuery<'_>) -> StoreResult<Vec<RecordRow>>;
    /// Evidence matching `query`, newest first, with the total count.
    async fn search_evidence(&self, query: &EvidenceQuery<'_>) -> StoreResult<(Vec<EvidenceHit>, u64)>;
    /// [`search_evidence`](Store::search_evidence) a row at a time, in bounded
    /// memory and without the count: `each` is called with every match (at most
    /// `query.limit`), newest first, and stops the read by returning false.
    async fn search_evidence_each(
        &self,
        query: &EvidenceQuery<'_>,
        each: &mut (dyn FnMut(EvidenceHit) -> bool + Send),
    ) -> StoreResult<()>;
    /// Deployments to `environment` in `[from, to)`, with their releases' commits,
    /// changes, verdicts, approvals and scans (the SOC 2 sampling population).
    async fn population(
        &self,
        environment: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<PopulationRow>>;
    /// Releases created in `[from, to)` (all when `None`), optionally of one project,
    /// in ledger order.
    async fn releases_between(
        &self,
        project: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<ReleaseRow>>;

    /// What the metrics need of each release created in `[from, to)`,
    /// optionally of one project, in ledger order, in one read rather than one
    /// per release: its first certificate's decision, and how many of `kinds` its
    /// evidence holds (as [`release_evidence`](Store::release_evidence) finds it).
    async fn release_metrics_between(
        &self,
        project: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        kinds: &[&str],
    ) -> StoreResult<Vec<ReleaseMetricsRow>>;

    /// The version of each release of `project`, with its commit, in ledger
    /// order: (commit, version), without reading the releases' records.
    async fn release_commits(&self, project: &str) -> StoreResult<Vec<(String, String)>>;

    /// A page of releases, newest first, with their verdicts and deployments, and
    /// how many releases match from the page on (see [`ReleaseQuery::count`]).
    async fn release_page(&self, query: &ReleaseQuery<'_>) -> StoreResult<(Vec<ReleaseSummaryRow>, u64)>;

    /// One release.
    async fn release(&self, project: &ProjectName, version: &ReleaseVersion) -> StoreResult<Option<ReleaseRow>>;
    /// The project's latest release, by ledger order.
    async fn latest_release(&self, project: &ProjectName) -> StoreResult<Option<ReleaseRow>>;
    /// Evidence of a release: captured for it by name, or for its project at its
    /// commit. In ledger order.
    async fn release_evidence(&self, release: &ReleaseRecord) -> StoreResult<Vec<EvidenceRow>>;
    /// A project's evidence of one kind, in ledger order.
    async fn evidence_of_kind(&self, project: &ProjectName, kind: &str) -> StoreResult<Vec<EvidenceRow>>;
    /// Findings of one evidence row, in file order.
    async fn evidence_findings(&self, evidence_seq: u64) -> StoreResult<Vec<Finding>>;
    /// Findings of several evidence rows in one read, ordered by evidence entry
    /// and file position.
    async fn findings_of(&self, evidence_seqs: &[u64]) -> StoreResult<Vec<FindingRow>>;

    /// One access token.
    async fn token(&self, id: &str) -> StoreResult<Option<TokenRow>>;
    /// Every access token, oldest first.
    async fn tokens(&self) -> StoreResult<Vec<TokenRow>>;
    /// Notes that a token was accepted at `at` (RFC 3339).
    async fn touch_token(&self, id: &str, at: &str) -> StoreResult<()>;

    /// Pending outbox deliveries of `destination` due at `now` (next attempt unset
    /// or not after it), oldest first, at most `limit`.
    async fn deliveries_due(&self, destination: &str, now: i64, limit: u64) -> StoreResult<Vec<DeliveryRow>>;
    /// Every outbox delivery of `destination` (every destination when `None`), oldest
    /// first.
    async fn deliveries(&self, destination: Option<&str>) -> StoreResult<Vec<DeliveryRow>>;
    /// Records what happened to a delivery; false when there is no such delivery.
    async fn change_delivery(&self, id: i64, change: &DeliveryChange) -> StoreResult<bool>;

    /// A store-wide setting written at `init`.
    async fn meta(&self, key: &str) -> StoreResult<Option<String>>;
    /// How the database's schema stands against this build's migrations.
    async fn schema(&self) -> StoreResult<SchemaState>;
    /// Writes a setting once; an existing value is kept and returned.
    async fn init_meta(&self, key: &str, value: &str) -> StoreResult<String>;
}

impl dyn Store + '_ {
    /// Records of type `T` matching `query`, decoded, in ledger order.
    ///
    /// # Errors
    /// A database failure, or [`StoreError::Corrupt`] for a row that does not decode.
    pub async fn records<T: Recorded>(&self, query: &RecordQuery<'_>) -> StoreResult<Vec<Stored<T>>> {
        self.find_records(T::KIND, query).await?.iter().map(RecordRow::decode).collect()
    }

    /// Records of type `T` of one release (or, with `version` absent, of one project;
    /// with both absent, all of them), decoded, in ledger order.
    ///
    /// # Errors
    /// As `records`.
    pub async fn records_of<T: Recorded>(
        &self,
        project: Option<&str>,
        version: Option<&str>,
    ) -> StoreResult<Vec<Stored<T>>> {
        self.records(&RecordQuery { project, version, ..RecordQuery::default() }).await
    }

    /// Records of type `T` with one id, decoded, in ledger order.
    ///
    /// # Errors
    /// As `records`.
    pub async fn records_with_id<T: Recorded>(&self, id: &str) -> StoreResult<Vec<Stored<T>>> {
        self.records_by_id(T::KIND, id).await?.iter().map(RecordRow::decode).collect()
    }
}

/// A write transaction holding the ledger lock. Dropping it without
/// [`WriteTx::commit`] rolls everything back.
#[async_trait]
pub trait WriteTx: Send {
    /// The ledger's end, as of this transaction.
    async fn head(&mut self) -> StoreResult<LedgerHead>;
    /// Stores findings of the evidence that will be entry `evidence_seq`.
    async fn insert_findings(
        &mut self,
        evidence_seq: u64,
        first_ordinal: u64,
        findings: Vec<Finding>,
    ) -> StoreResult<()>;
    /// The project's latest release, as of this transaction.
    async fn latest_release(&mut self, project: &ProjectName) -> StoreResult<Option<ReleaseRow>>;
    /// The evidence senders delivered under any of these idempotency keys, as of
    /// this transaction, in no particular order (A8: a retried delivery is stored
    /// once). A group of captures asks once for all of its keys.
    async fn evidence_by_delivery_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<EvidenceRow>>;
    /// Appends an entry (and the row derived from it). `canonical` must be
    /// `entry.to_canonical_bytes()` and `leaf_hash` its RFC 6962 leaf hash.
    async fn append(&mut self, entry: &Entry, canonical: &[u8], leaf_hash: &[u8; 32]) -> StoreResult<()>;
    /// Adds an access token (with the entry that records its issue).
    async fn insert_token(&mut self, token: &TokenRow) -> StoreResult<()>;
    /// Revokes a token from `at` (RFC 3339), unless it is revoked earlier already;
    /// false when there is no such token.
    async fn revoke_token(&mut self, id: &str, at: &str) -> StoreResult<bool>;
    /// Adds outbox deliveries of the certification at ledger entry
    /// `certificate_seq`, pending and due now; one that exists already (same
    /// destination and artifact) is kept as it is.
    async fn insert_deliveries(&mut self, certificate_seq: u64, deliveries: &[NewDelivery]) -> StoreResult<()>;
    /// Records a signed checkpoint.
    async fn add_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()>;
    /// Marks where one member of a group commit begins (an SQL `SAVEPOINT`): its
    /// writes can then be undone alone, keeping the others'. One mark at a time.
    async fn savepoint(&mut self) -> StoreResult<()>;
    /// Undoes everything written since [`WriteTx::savepoint`] and ends the mark.
    async fn rollback_to_savepoint(&mut self) -> StoreResult<()>;
    /// Keeps everything written since [`WriteTx::savepoint`], ending that mark,
    /// and sets a new one, in one round trip to the database: the next member of
    /// a group begins where the last one was kept. (The commit ends the last.)
    async fn renew_savepoint(&mut self) -> StoreResult<()>;
    /// Makes everything durable and releases the lock.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// Opens a store whose home folder is `home`: the database is `home/signoff.db`
/// (SQLite) unless `database_url` names a PostgreSQL server; blobs are in
/// `home/blobs`.
///
/// # Errors
/// When the database cannot be opened or migrated, or the URL is not
/// `postgres://` or `postgresql://`.
pub async fn open(home: &Path, database_url: Option<&str>) -> StoreResult<(SqlStore, LocalBlobs)> {
    open_with(home, database_url, sql::LOCK_TIMEOUT).await
}

/// Opens a store as [`open`] does, with writers waiting up to `lock_timeout` for
/// each other's lock before [`StoreError::Locked`].
///
/// # Errors
/// As [`open`].
pub async fn open_with(
    home: &Path,
    database_url: Option<&str>,
    lock_timeout: std::time::Duration,
) -> StoreResult<(SqlStore, LocalBlobs)> {
    let store = match database_url {
        None => SqlStore::open_waiting(&home.join("signoff.db"), lock_timeout).await?,
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            SqlStore::open_postgres(url).await?.with_lock_timeout(lock_timeout)
        }
        Some(url) => {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL {url:?} (expected postgres://...)").into(),
            )));
        }
    };
    let blobs = LocalBlobs::open(&home.join("blobs"))?;
    Ok((store, blobs))
}
