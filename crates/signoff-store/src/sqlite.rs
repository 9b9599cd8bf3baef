//! The embedded default store: one SQLite file in WAL mode with full durability.
//!
//! Writers serialise on `BEGIN IMMEDIATE`, which takes SQLite's write lock at the
//! start of the transaction; other processes wait for it (`busy_timeout`), so any
//! number of concurrent `signoff capture` processes append to one linear ledger.
//! `synchronous = FULL` makes a commit durable before it returns.

use std::fs::OpenOptions;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use signoff_core::entry::{Entry, Event, ReleaseRecord};
use signoff_core::{Digest, Finding, ProjectName, ReleaseVersion};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use time::format_description::well_known::Rfc3339;

use crate::rows::{evidence_from_row, finding_from_row, json_list, record_from_row, release_from_row, severity_rank};
use crate::{
    EvidenceRow, FindingHistory, FindingRow, LedgerHead, RecordRow, ReleaseRow, ScanRow, Store, StoreError,
    StoreResult, StoredCheckpoint, StoredEntry, WriteTx,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a writer waits for another writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(300);

/// Findings per INSERT statement (14 columns each, under SQLite's 32766 variables).
const FINDINGS_PER_STATEMENT: usize = 1000;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn hash_array(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}

fn split_frontier(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes.chunks_exact(32).filter_map(hash_array).collect()
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database file at `path`.
    ///
    /// # Errors
    /// When the file cannot be opened or the schema cannot be brought up to date.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // A larger page cache keeps the findings indexes in memory during big
            // captures (the default is 2 MB).
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        // Processes that open a new store at the same moment must not both migrate it.
        let lock_path = path.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::Blob { path: lock_path.display().to_string(), source })?;
        let lock_path_text = lock_path.display().to_string();
        let lock = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
            .await
            .map_err(|error| StoreError::Blob { path: lock_path_text.clone(), source: std::io::Error::other(error) })?
            .map_err(|source| StoreError::Blob { path: lock_path_text, source })?;
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        drop(lock);
        Ok(SqliteStore { pool })
    }

    /// Opens a private in-memory store (for tests).
    ///
    /// # Errors
    /// When SQLite cannot start.
    pub async fn open_in_memory() -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>> {
        let transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqliteWrite { transaction }))
    }

    async fn ledger_size(&self) -> StoreResult<u64> {
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) + 1 FROM ledger_entries").fetch_one(&self.pool).await?;
        Ok(next.map_or(0, |size| u64::try_from(size).unwrap_or(0)))
    }

    async fn entries(&self, from: u64, limit: u64) -> StoreResult<Vec<StoredEntry>> {
        let rows =
            sqlx::query("SELECT seq, body, entry_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2")
                .bind(to_i64(from))
                .bind(to_i64(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredEntry {
                    seq: u64::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(u64::MAX),
                    body: row.try_get("body")?,
                    entry_hash: row.try_get("entry_hash")?,
                })
            })
            .collect()
    }

    async fn leaf_hashes(&self, from: u64, limit: u64) -> StoreResult<Vec<[u8; 32]>> {
        let rows: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT leaf_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2")
                .bind(to_i64(from))
                .bind(to_i64(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|bytes| {
                hash_array(bytes).ok_or_else(|| StoreError::Corrupt {
                    table: "ledger_entries",
                    key: "leaf_hash".into(),
                    message: "not 32 bytes".into(),
                })
            })
            .collect()
    }

    async fn checkpoints(&self) -> StoreResult<Vec<StoredCheckpoint>> {
        let rows = sqlx::query("SELECT size, root, note, frontier FROM checkpoints ORDER BY size")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        let row = sqlx::query("SELECT size, root, note, frontier FROM checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(checkpoint_from_row).transpose()
    }

    async fn evidence_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<EvidenceRow>> {
        let rows = sqlx::query("SELECT * FROM evidence WHERE seq >= $1 ORDER BY seq LIMIT $2")
            .bind(to_i64(from))
            .bind(to_i64(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(evidence_from_row).collect()
    }

    async fn release_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<ReleaseRow>> {
        let rows = sqlx::query("SELECT * FROM releases WHERE seq >= $1 ORDER BY seq LIMIT $2")
            .bind(to_i64(from))
            .bind(to_i64(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(release_from_row).collect()
    }

    async fn finding_rows(&self, after: Option<(u64, u64)>, limit: u64) -> StoreResult<Vec<FindingRow>> {
        let (seq, ordinal) = after.map_or((-1, -1), |(seq, ordinal)| (to_i64(seq), to_i64(ordinal)));
        let rows = sqlx::query(
            "SELECT * FROM findings WHERE (evidence_seq, ordinal) > ($1, $2) ORDER BY evidence_seq, ordinal LIMIT $3",
        )
        .bind(seq)
        .bind(ordinal)
        .bind(to_i64(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(finding_from_row).collect()
    }

    async fn record_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<RecordRow>> {
        let rows = sqlx::query("SELECT * FROM records WHERE seq >= $1 ORDER BY seq LIMIT $2")
            .bind(to_i64(from))
            .bind(to_i64(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn records_of(
        &self,
        kind: &str,
        project: Option<&str>,
        version: Option<&str>,
    ) -> StoreResult<Vec<RecordRow>> {
        let rows = sqlx::query(
            "SELECT * FROM records WHERE kind = $1 AND ($2 IS NULL OR project = $2) AND ($3 IS NULL OR version = $3) ORDER BY seq",
        )
        .bind(kind)
        .bind(project)
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn records_by_id(&self, kind: &str, id: &str) -> StoreResult<Vec<RecordRow>> {
        let rows = sqlx::query("SELECT * FROM records WHERE kind = $1 AND id = $2 ORDER BY seq")
            .bind(kind)
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn releases(&self, project: Option<&ProjectName>) -> StoreResult<Vec<ReleaseRow>> {
        let rows = sqlx::query("SELECT * FROM releases WHERE ($1 IS NULL OR project = $1) ORDER BY seq")
            .bind(project.map(ProjectName::as_str))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(release_from_row).collect()
    }

    async fn finding_history(&self, project: &ProjectName) -> StoreResult<Vec<FindingHistory>> {
        // One pass groups the project's findings by tool and fingerprint; the row
        // of the latest sighting supplies the details.
        let rows = sqlx::query(
            "WITH seen AS (
                SELECT e.tool_name AS tool, f.fingerprint AS fingerprint,
                       MIN(f.evidence_seq) AS first_seq, MAX(f.evidence_seq) AS last_seq, COUNT(*) AS times_seen
                FROM findings f JOIN evidence e ON e.seq = f.evidence_seq
                WHERE e.project = $1
                GROUP BY e.tool_name, f.fingerprint
            )
            SELECT seen.tool, seen.first_seq, seen.last_seq, seen.times_seen, f.*
            FROM seen JOIN findings f ON f.evidence_seq = seen.last_seq AND f.fingerprint = seen.fingerprint
            GROUP BY seen.tool, seen.fingerprint
            ORDER BY seen.first_seq, f.ordinal",
        )
        .bind(project.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FindingHistory {
                    tool: row.try_get("tool")?,
                    first_seq: u64::try_from(row.try_get::<i64, _>("first_seq")?).unwrap_or(0),
                    last_seq: u64::try_from(row.try_get::<i64, _>("last_seq")?).unwrap_or(0),
                    times_seen: u64::try_from(row.try_get::<i64, _>("times_seen")?).unwrap_or(0),
                    finding: finding_from_row(row)?.finding,
                })
            })
            .collect()
    }

    async fn scans(&self, project: &ProjectName) -> StoreResult<Vec<ScanRow>> {
        let rows = sqlx::query(
            "SELECT tool_name, seq, commit_sha, release_version, captured_at FROM evidence
             WHERE project = $1 AND json_extract(summary, '$.findings') IS NOT NULL ORDER BY seq",
        )
        .bind(project.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ScanRow {
                    tool: row.try_get("tool_name")?,
                    seq: u64::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(0),
                    commit: row.try_get("commit_sha")?,
                    release: row.try_get("release_version")?,
                    captured_at: row.try_get("captured_at")?,
                })
            })
            .collect()
    }

    async fn release(&self, project: &ProjectName, version: &ReleaseVersion) -> StoreResult<Option<ReleaseRow>> {
        let row = sqlx::query("SELECT * FROM releases WHERE project = $1 AND version = $2")
            .bind(project.as_str())
            .bind(version.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(release_from_row).transpose()
    }

    async fn latest_release(&self, project: &ProjectName) -> StoreResult<Option<ReleaseRow>> {
        let row = sqlx::query("SELECT * FROM releases WHERE project = $1 ORDER BY seq DESC LIMIT 1")
            .bind(project.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(release_from_row).transpose()
    }

    async fn release_evidence(&self, release: &ReleaseRecord) -> StoreResult<Vec<EvidenceRow>> {
        let rows = sqlx::query(
            "SELECT * FROM evidence WHERE project = $1 AND (release_version = $2 OR (release_version IS NULL AND commit_sha = $3)) ORDER BY seq",
        )
        .bind(release.project.as_str())
        .bind(release.version.as_str())
        .bind(release.commit.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(evidence_from_row).collect()
    }

    async fn evidence_findings(&self, evidence_seq: u64) -> StoreResult<Vec<Finding>> {
        let rows = sqlx::query("SELECT * FROM findings WHERE evidence_seq = $1 ORDER BY ordinal")
            .bind(to_i64(evidence_seq))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| finding_from_row(row).map(|row| row.finding)).collect()
    }

    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM store_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn init_meta(&self, key: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM store_meta WHERE key = $1").bind(key).fetch_one(&self.pool).await?)
    }
}

fn checkpoint_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<StoredCheckpoint> {
    let size: i64 = row.try_get("size")?;
    let root: Vec<u8> = row.try_get("root")?;
    let frontier: Vec<u8> = row.try_get("frontier")?;
    Ok(StoredCheckpoint {
        size: u64::try_from(size).unwrap_or(u64::MAX),
        root: hash_array(&root).ok_or_else(|| StoreError::Corrupt {
            table: "checkpoints",
            key: size.to_string(),
            message: "root is not 32 bytes".into(),
        })?,
        note: row.try_get("note")?,
        frontier: split_frontier(&frontier),
    })
}

struct SqliteWrite {
    transaction: Transaction<'static, Sqlite>,
}

#[async_trait]
impl WriteTx for SqliteWrite {
    async fn head(&mut self) -> StoreResult<LedgerHead> {
        let last = sqlx::query("SELECT seq, entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *self.transaction)
            .await?;
        let (size, last_hash) = match last {
            Some(row) => {
                let seq: i64 = row.try_get("seq")?;
                let hash: Vec<u8> = row.try_get("entry_hash")?;
                (u64::try_from(seq + 1).unwrap_or(0), Digest::from_slice(&hash).ok())
            }
            None => (0, None),
        };
        let checkpoint = sqlx::query("SELECT size, frontier FROM checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&mut *self.transaction)
            .await?;
        let (frontier_size, frontier) = match checkpoint {
            Some(row) => {
                let size: i64 = row.try_get("size")?;
                let frontier: Vec<u8> = row.try_get("frontier")?;
                (u64::try_from(size).unwrap_or(0), split_frontier(&frontier))
            }
            None => (0, Vec::new()),
        };
        Ok(LedgerHead { size, last_hash, frontier, frontier_size })
    }

    async fn insert_findings(
        &mut self,
        evidence_seq: u64,
        first_ordinal: u64,
        findings: Vec<Finding>,
    ) -> StoreResult<()> {
        let mut ordinal = first_ordinal;
        let mut rows = findings.into_iter().peekable();
        while rows.peek().is_some() {
            let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO findings (evidence_seq, ordinal, fingerprint, rule_id, severity, title, path, start_line, end_line, cve, cwe, package, package_version, suppressed) ",
            );
            builder.push_values(rows.by_ref().take(FINDINGS_PER_STATEMENT), |mut row, finding| {
                row.push_bind(to_i64(evidence_seq))
                    .push_bind(to_i64(ordinal))
                    .push_bind(finding.fingerprint.as_bytes().to_vec())
                    .push_bind(finding.rule_id)
                    .push_bind(severity_rank(finding.severity))
                    .push_bind(finding.title)
                    .push_bind(finding.location.path)
                    .push_bind(finding.location.start_line.map(to_i64))
                    .push_bind(finding.location.end_line.map(to_i64))
                    .push_bind(json_list(&finding.cve))
                    .push_bind(json_list(&finding.cwe))
                    .push_bind(finding.package)
                    .push_bind(finding.package_version)
                    .push_bind(i64::from(finding.suppressed));
                ordinal += 1;
            });
            builder.build().execute(&mut *self.transaction).await?;
        }
        Ok(())
    }

    async fn latest_release(&mut self, project: &ProjectName) -> StoreResult<Option<ReleaseRow>> {
        let row = sqlx::query("SELECT * FROM releases WHERE project = $1 ORDER BY seq DESC LIMIT 1")
            .bind(project.as_str())
            .fetch_optional(&mut *self.transaction)
            .await?;
        row.as_ref().map(release_from_row).transpose()
    }

    async fn append(&mut self, entry: &Entry, canonical: &[u8], leaf_hash: &[u8; 32]) -> StoreResult<()> {
        let at = entry.at.format(&Rfc3339).map_err(|error| StoreError::Corrupt {
            table: "ledger_entries",
            key: entry.seq.to_string(),
            message: error.to_string(),
        })?;
        sqlx::query("INSERT INTO ledger_entries (seq, kind, body, entry_hash, leaf_hash) VALUES ($1, $2, $3, $4, $5)")
            .bind(to_i64(entry.seq))
            .bind(entry.kind())
            .bind(canonical)
            .bind(Entry::hash_of(canonical).as_bytes().to_vec())
            .bind(leaf_hash.to_vec())
            .execute(&mut *self.transaction)
            .await?;
        match &entry.event {
            Event::EvidenceCaptured(record) => {
                sqlx::query(
                    "INSERT INTO evidence (seq, id, project, commit_sha, release_version, kind, format, tool_name, tool_version, file_name, digest, size, original_digest, redacted, summary, findings_count, findings_digest, context, produced_at, captured_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
                )
                .bind(to_i64(entry.seq))
                .bind(&record.id)
                .bind(record.project.as_str())
                .bind(record.commit.as_ref().map(|commit| commit.as_str().to_owned()))
                .bind(record.release.as_ref().map(|release| release.as_str().to_owned()))
                .bind(record.kind.as_str())
                .bind(record.format.as_str())
                .bind(&record.tool.name)
                .bind(&record.tool.version)
                .bind(&record.file_name)
                .bind(record.digest.as_bytes().to_vec())
                .bind(to_i64(record.size))
                .bind(record.original_digest.map(|digest| digest.as_bytes().to_vec()))
                .bind(to_i64(record.redacted))
                .bind(serde_json::to_string(&record.summary).unwrap_or_default())
                .bind(to_i64(record.findings.count))
                .bind(record.findings.digest.as_bytes().to_vec())
                .bind(serde_json::to_string(&record.context).unwrap_or_default())
                .bind(&record.produced_at)
                .bind(&at)
                .execute(&mut *self.transaction)
                .await?;
            }
            Event::ReleaseCreated(record) => {
                let inserted = sqlx::query(
                    "INSERT INTO releases (seq, id, project, version, commit_sha, artifacts, previous, actor, context, changes, changes_note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(to_i64(entry.seq))
                .bind(&record.id)
                .bind(record.project.as_str())
                .bind(record.version.as_str())
                .bind(record.commit.as_str())
                .bind(serde_json::to_string(&record.artifacts).unwrap_or_default())
                .bind(record.previous.as_ref().map(|previous| previous.as_str().to_owned()))
                .bind(&record.actor)
                .bind(serde_json::to_string(&record.context).unwrap_or_default())
                .bind(serde_json::to_string(&record.changes).unwrap_or_default())
                .bind(&record.changes_note)
                .bind(&at)
                .execute(&mut *self.transaction)
                .await;
                if let Err(sqlx::Error::Database(error)) = &inserted
                    && error.is_unique_violation()
                {
                    return Err(StoreError::Conflict {
                        what: format!("release {}@{}", record.project, record.version),
                    });
                }
                inserted?;
            }
            other => {
                let (id, project, version) = other.index_keys();
                let data = serde_json::to_value(other).map_err(|error| StoreError::Corrupt {
                    table: "records",
                    key: entry.seq.to_string(),
                    message: error.to_string(),
                })?;
                let record = data.get("data").map(ToString::to_string).unwrap_or_default();
                sqlx::query(
                    "INSERT INTO records (seq, kind, id, project, version, record) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(to_i64(entry.seq))
                .bind(other.kind())
                .bind(id)
                .bind(project)
                .bind(version)
                .bind(record)
                .execute(&mut *self.transaction)
                .await?;
            }
        }
        Ok(())
    }

    async fn add_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()> {
        sqlx::query("INSERT INTO checkpoints (size, root, note, frontier) VALUES ($1, $2, $3, $4)")
            .bind(to_i64(checkpoint.size))
            .bind(checkpoint.root.to_vec())
            .bind(&checkpoint.note)
            .bind(checkpoint.frontier.concat())
            .execute(&mut *self.transaction)
            .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.transaction.commit().await?;
        Ok(())
    }
}
