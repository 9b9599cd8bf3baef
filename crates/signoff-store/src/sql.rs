//! The SQL store, on SQLite (the embedded default) or PostgreSQL (scale-out).
//!
//! One implementation serves both: every query is written once, with `$n`
//! placeholders both backends accept (the bulk findings insert in [`write`] is
//! the one exception), and the `on!` macro runs it against whichever pool or
//! transaction is open. Reads are here; opening is in `sql/open.rs`, dynamic
//! filters in `sql/filters.rs`, the write transaction in [`write`]. Where the
//! dialects differ (locking, JSON tests) the two spellings sit side by side in
//! `Dialect`.
//!
//! SQLite: one file in WAL mode with `synchronous = FULL`; writers serialise on
//! `BEGIN IMMEDIATE`, which takes the database's write lock at the start of the
//! transaction, and wait for each other (`busy_timeout`).
//!
//! PostgreSQL: writers serialise on a transaction-scoped advisory lock
//! (`pg_advisory_xact_lock`) taken first thing in the transaction, so any number
//! of `signoff` processes or server replicas append to one linear ledger.

use std::time::Duration;

use async_trait::async_trait;
use signoff_core::entry::{EventKind, ReleaseRecord};
use signoff_core::{Finding, ProjectName, ReleaseVersion};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::rows::{
    CheckpointColumns, EntryColumns, EvidenceColumns, EvidenceHitColumns, FindingColumns, PopulationColumns,
    RecordColumns, ReleaseColumns, ScanColumns, SourceColumns, hash_array, to_i64, to_u64,
};
use crate::{DeliveryChange, DeliveryRow};
use crate::{
    EvidenceHit, EvidenceQuery, EvidenceRow, FindingHistory, FindingRow, PopulationRow, RecordQuery, RecordRow,
    ReleaseMetricsRow, ReleaseQuery, ReleaseRow, ReleaseSummaryRow, ScanRow, SchemaState, SourceRow, Store, StoreError,
    StoreResult, StoredCheckpoint, StoredEntry, TokenRow, WriteTx,
};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a writer waits for another writer's lock before giving up, unless the
/// store is opened with another ([`open_with`](crate::open_with)): SQLite's busy
/// timeout, PostgreSQL's `lock_timeout` for the ledger's advisory lock. A capture
/// holds the lock while it parses, so this is long; past it the error says what was
/// waited for ([`StoreError::Locked`]).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// The error for a write lock not obtained within `waited`, when `error` is that
/// (SQLite's `SQLITE_BUSY`, PostgreSQL's `lock_not_available`).
fn locked(error: sqlx::Error, waited: Duration) -> StoreError {
    let busy = match &error {
        sqlx::Error::Database(database) => {
            matches!(database.code().as_deref(), Some("5" | "517" | "261" | "55P03"))
                || database.message().contains("database is locked")
        }
        _ => false,
    };
    if busy { StoreError::Locked { waited } } else { error.into() }
}

/// Findings per INSERT statement (14 columns each: under SQLite's 32766 and
/// PostgreSQL's 65535 bind parameters).
const FINDINGS_PER_STATEMENT: usize = 1000;

/// The advisory lock key that serialises ledger writers on PostgreSQL
/// (`signoff` in ASCII).
const POSTGRES_LEDGER_LOCK: i64 = 0x0073_6967_6e6f_6666;

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs the same expression against whichever backend is open: `$handle` is bound
/// to the pool (or `&mut *transaction`) of each backend in turn.
macro_rules! on {
    ($pool:expr, |$handle:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($handle) => $body,
            Pool::Postgres($handle) => $body,
        }
    };
}

macro_rules! on_tx {
    ($tx:expr, |$handle:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite(transaction) => {
                let $handle = &mut **transaction;
                $body
            }
            Tx::Postgres(transaction) => {
                let $handle = &mut **transaction;
                $body
            }
        }
    };
}

mod filters;
mod open;
mod pages;
mod write;

use filters::{bind_value, bind_value_as, evidence_conditions, push_filters};
use write::SqlWrite;

/// Spellings that differ between the backends.
#[derive(Debug, Clone, Copy)]
struct Dialect {
    /// True when the evidence row's summary has a `findings` part.
    has_findings: &'static str,
    /// The evidence table read through the index of scans (migration 0013),
    /// for queries that keep only scans: without statistics SQLite prefers
    /// `evidence_by_project`, which reads every row to test its summary.
    scans_from: &'static str,
    /// Joins the values of `{}` with spaces, per group.
    join_words: &'static str,
    /// The critical and high finding counts of evidence `e`, as text.
    critical: &'static str,
    high: &'static str,
    /// A finding `f`'s fingerprint when filtered while its scan's findings are
    /// read: SQLite would otherwise probe `findings_by_scan` once per (scan,
    /// fingerprint) pair, and `+` keeps it reading each scan's findings once.
    scanned_fingerprint: &'static str,
}

const SQLITE: Dialect = Dialect {
    has_findings: "json_extract(summary, '$.findings') IS NOT NULL",
    scans_from: "evidence INDEXED BY evidence_scans",
    join_words: "GROUP_CONCAT({}, ' ')",
    critical: "CAST(json_extract(e.summary, '$.findings.critical') AS TEXT)",
    high: "CAST(json_extract(e.summary, '$.findings.high') AS TEXT)",
    scanned_fingerprint: "+f.fingerprint",
};
const POSTGRES: Dialect = Dialect {
    has_findings: "jsonb_exists(summary::jsonb, 'findings')",
    scans_from: "evidence",
    join_words: "STRING_AGG({}, ' ')",
    critical: "(e.summary::jsonb #>> '{findings,critical}')",
    high: "(e.summary::jsonb #>> '{findings,high}')",
    scanned_fingerprint: "f.fingerprint",
};

/// The store.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
    /// How long a writer waits for the ledger's lock.
    lock_timeout: Duration,
}

/// The embedded default: SQLite.
pub type SqliteStore = SqlStore;

impl SqlStore {
    fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => SQLITE,
            Pool::Postgres(_) => POSTGRES,
        }
    }
}

fn entries_from(rows: Vec<EntryColumns>) -> Vec<StoredEntry> {
    rows.into_iter()
        .map(|row| StoredEntry { seq: to_u64(row.seq), body: row.body, entry_hash: row.entry_hash })
        .collect()
}

#[async_trait]
impl Store for SqlStore {
    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>> {
        let tx = match &self.pool {
            Pool::Sqlite(pool) => {
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(|error| locked(error, self.lock_timeout))?)
            }
            Pool::Postgres(pool) => {
                let mut transaction = pool.begin().await?;
                // Without a lock timeout a writer would wait for a stopped one forever.
                let millis = self.lock_timeout.as_millis().max(1);
                sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL lock_timeout = '{millis}ms'")))
                    .execute(&mut *transaction)
                    .await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(POSTGRES_LEDGER_LOCK)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| locked(error, self.lock_timeout))?;
                Tx::Postgres(transaction)
            }
        };
        Ok(Box::new(SqlWrite { tx }))
    }

    async fn schema(&self) -> StoreResult<SchemaState> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let applied: Vec<i64> = on!(&self.pool, |pool| sqlx::query_scalar(SQL).fetch_all(pool).await)?;
        let migrator = match &self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        let known: Vec<i64> =
            migrator.iter().filter(|m| !m.migration_type.is_down_migration()).map(|m| m.version).collect();
        Ok(SchemaState {
            missing: known.iter().copied().filter(|version| !applied.contains(version)).collect(),
            newer: applied.iter().copied().filter(|version| !known.contains(version)).collect(),
        })
    }

    async fn ledger_size(&self) -> StoreResult<u64> {
        let next: Option<i64> = on!(&self.pool, |pool| sqlx::query_scalar("SELECT MAX(seq) + 1 FROM ledger_entries")
            .fetch_one(pool)
            .await)?;
        Ok(next.map_or(0, to_u64))
    }

    async fn entries(&self, from: u64, limit: u64) -> StoreResult<Vec<StoredEntry>> {
        const SQL: &str = "SELECT seq, body, entry_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2";
        let rows: Vec<EntryColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(to_i64(from)).bind(to_i64(limit)).fetch_all(pool).await)?;
        Ok(entries_from(rows))
    }

    async fn leaf_hashes(&self, from: u64, limit: u64) -> StoreResult<Vec<[u8; 32]>> {
        const SQL: &str = "SELECT leaf_hash FROM ledger_entries WHERE seq >= $1 ORDER BY seq LIMIT $2";
        let rows: Vec<Vec<u8>> = on!(&self.pool, |pool| sqlx::query_scalar(SQL)
            .bind(to_i64(from))
            .bind(to_i64(limit))
            .fetch_all(pool)
            .await)?;
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
        const SQL: &str = "SELECT size, root, note, frontier, previous_size FROM checkpoints ORDER BY size";
        let rows: Vec<CheckpointColumns> = on!(&self.pool, |pool| sqlx::query_as(SQL).fetch_all(pool).await)?;
        rows.into_iter().map(CheckpointColumns::into_checkpoint).collect()
    }

    async fn latest_checkpoint(&self) -> StoreResult<Option<StoredCheckpoint>> {
        const SQL: &str =
            "SELECT size, root, note, frontier, previous_size FROM checkpoints ORDER BY size DESC LIMIT 1";
        let row: Option<CheckpointColumns> = on!(&self.pool, |pool| sqlx::query_as(SQL).fetch_optional(pool).await)?;
        row.map(CheckpointColumns::into_checkpoint).transpose()
    }

    async fn checkpoint_covering(&self, seq: u64) -> StoreResult<Option<StoredCheckpoint>> {
        const SQL: &str =
            "SELECT size, root, note, frontier, previous_size FROM checkpoints WHERE size > $1 ORDER BY size LIMIT 1";
        let row: Option<CheckpointColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(to_i64(seq)).fetch_optional(pool).await)?;
        row.map(CheckpointColumns::into_checkpoint).transpose()
    }

    async fn evidence_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<EvidenceRow>> {
        const SQL: &str = "SELECT * FROM evidence WHERE seq >= $1 ORDER BY seq LIMIT $2";
        let rows: Vec<EvidenceColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(to_i64(from)).bind(to_i64(limit)).fetch_all(pool).await)?;
        rows.into_iter().map(EvidenceColumns::into_row).collect()
    }

    async fn release_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<ReleaseRow>> {
        const SQL: &str = "SELECT * FROM releases WHERE seq >= $1 ORDER BY seq LIMIT $2";
        let rows: Vec<ReleaseColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(to_i64(from)).bind(to_i64(limit)).fetch_all(pool).await)?;
        rows.into_iter().map(ReleaseColumns::into_row).collect()
    }

    async fn finding_rows(&self, after: Option<(u64, u64)>, limit: u64) -> StoreResult<Vec<FindingRow>> {
        const SQL: &str =
            "SELECT * FROM findings WHERE (evidence_seq, ordinal) > ($1, $2) ORDER BY evidence_seq, ordinal LIMIT $3";
        let (seq, ordinal) = after.map_or((-1, -1), |(seq, ordinal)| (to_i64(seq), to_i64(ordinal)));
        let rows: Vec<FindingColumns> = on!(&self.pool, |pool| sqlx::query_as(SQL)
            .bind(seq)
            .bind(ordinal)
            .bind(to_i64(limit))
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(FindingColumns::into_row).collect()
    }

    async fn record_rows(&self, from: u64, limit: u64) -> StoreResult<Vec<RecordRow>> {
        const SQL: &str = "SELECT * FROM records WHERE seq >= $1 ORDER BY seq LIMIT $2";
        let rows: Vec<RecordColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(to_i64(from)).bind(to_i64(limit)).fetch_all(pool).await)?;
        rows.into_iter().map(RecordColumns::into_row).collect()
    }

    async fn records_by_id(&self, kind: EventKind, id: &str) -> StoreResult<Vec<RecordRow>> {
        const SQL: &str = "SELECT * FROM records WHERE kind = $1 AND id = $2 ORDER BY seq";
        let rows: Vec<RecordColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(kind.as_str()).bind(id).fetch_all(pool).await)?;
        rows.into_iter().map(RecordColumns::into_row).collect()
    }

    async fn releases(&self, project: Option<&ProjectName>) -> StoreResult<Vec<ReleaseRow>> {
        self.releases_between(project.map(ProjectName::as_str), None, None).await
    }

    async fn finding_history(&self, project: &ProjectName) -> StoreResult<Vec<FindingHistory>> {
        let mut found = Vec::new();
        self.finding_history_each(project, None, &mut |row| {
            found.push(row);
            true
        })
        .await?;
        Ok(found)
    }

    async fn finding_history_each(
        &self,
        project: &ProjectName,
        among: Option<&[u64]>,
        each: &mut (dyn FnMut(FindingHistory) -> bool + Send),
    ) -> StoreResult<()> {
        pages::finding_history_each(self, project, among, each).await
    }

    async fn scans(&self, project: &ProjectName) -> StoreResult<Vec<ScanRow>> {
        let sql = format!(
            "SELECT tool_name, seq, commit_sha, release_version, captured_at, target FROM {} WHERE project = $1 AND {} ORDER BY seq",
            self.dialect().scans_from,
            self.dialect().has_findings
        );
        let rows: Vec<ScanColumns> = on!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(project.as_str())
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(ScanColumns::into_row).collect()
    }

    async fn evidence_projects(&self, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>> {
        pages::evidence_projects(self, after, limit).await
    }

    async fn has_project(&self, project: &str) -> StoreResult<bool> {
        let sql = "SELECT CASE WHEN EXISTS (SELECT 1 FROM evidence WHERE project = $1)
                     OR EXISTS (SELECT 1 FROM releases WHERE project = $1) THEN 1 ELSE 0 END";
        let found: i32 = on!(&self.pool, |pool| sqlx::query_scalar(sql).bind(project).fetch_one(pool).await)?;
        Ok(found == 1)
    }

    async fn evidence_sources(&self, project: Option<&str>) -> StoreResult<Vec<SourceRow>> {
        // One pass over the project's evidence (index `evidence_by_source`), then the
        // latest capture of each source by primary key.
        let filter = if project.is_some() { "WHERE project = $1" } else { "" };
        let sql = format!(
            "SELECT s.captures, s.first_seq, e.* FROM (
                SELECT project, tool_name, kind, COUNT(*) AS captures, MIN(seq) AS first_seq, MAX(seq) AS last_seq
                FROM evidence {filter} GROUP BY project, tool_name, kind
             ) AS s JOIN evidence e ON e.seq = s.last_seq
             ORDER BY e.project, e.tool_name, e.kind"
        );
        let rows: Vec<SourceColumns> = on!(&self.pool, |pool| {
            let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            if let Some(project) = project {
                statement = statement.bind(project);
            }
            statement.fetch_all(pool).await
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(SourceRow {
                    captures: to_u64(row.captures),
                    first_seq: to_u64(row.first_seq),
                    latest: row.evidence.into_row()?,
                })
            })
            .collect()
    }

    async fn find_records(&self, kind: EventKind, query: &RecordQuery<'_>) -> StoreResult<Vec<RecordRow>> {
        // An absent filter drops out of the SQL instead of becoming an `IS NULL OR`
        // that no index serves.
        let mut sql = String::from("SELECT * FROM records WHERE kind = $1");
        let mut values: Vec<&str> = vec![kind.as_str()];
        push_filters(
            &mut sql,
            &mut values,
            [
                ("project", "=", query.project),
                ("version", "=", query.version),
                ("subject", "=", query.subject),
                ("status", "=", query.status),
                ("at", ">=", query.from),
                ("at", "<", query.to),
            ],
        );
        sql.push_str(" ORDER BY seq");
        if let Some(limit) = query.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        // Only column names and placeholders are interpolated; values are bound.
        let rows: Vec<RecordColumns> = on!(&self.pool, |pool| {
            let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for value in &values {
                statement = statement.bind(*value);
            }
            statement.fetch_all(pool).await
        })?;
        rows.into_iter().map(RecordColumns::into_row).collect()
    }

    async fn search_evidence(&self, query: &EvidenceQuery<'_>) -> StoreResult<(Vec<EvidenceHit>, u64)> {
        let (values, count_sql, select_sql) = evidence_search_sql(query);
        let total: i64 = on!(&self.pool, |pool| {
            let mut statement = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.as_str()));
            for value in &values {
                statement = bind_value(statement, value);
            }
            statement.fetch_one(pool).await
        })?;
        let rows: Vec<EvidenceHitColumns> = on!(&self.pool, |pool| {
            let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(select_sql.as_str()));
            for value in &values {
                statement = bind_value_as(statement, value);
            }
            statement.fetch_all(pool).await
        })?;
        let hits = rows
            .into_iter()
            .map(|row| Ok(EvidenceHit { release: row.release_of, evidence: row.evidence.into_row()? }))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((hits, to_u64(total)))
    }

    async fn search_evidence_each(
        &self,
        query: &EvidenceQuery<'_>,
        each: &mut (dyn FnMut(EvidenceHit) -> bool + Send),
    ) -> StoreResult<()> {
        let (values, _, select_sql) = evidence_search_sql(query);
        on!(&self.pool, |pool| {
            let mut statement = sqlx::query_as::<_, EvidenceHitColumns>(sqlx::AssertSqlSafe(select_sql.as_str()));
            for value in &values {
                statement = bind_value_as(statement, value);
            }
            let mut rows = statement.fetch(pool);
            while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
                if !each(EvidenceHit { release: row.release_of, evidence: row.evidence.into_row()? }) {
                    break;
                }
            }
            Ok(())
        })
    }

    async fn population(
        &self,
        environment: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<PopulationRow>> {
        let dialect = self.dialect();
        let join = |expression: &str| dialect.join_words.replace("{}", expression);
        let approvals = join("a.subject || ':' || a.status");
        let scans = join(&format!("e.tool_name || ':' || {} || 'c/' || {} || 'h'", dialect.critical, dialect.high));
        let mut sql = format!(
            "SELECT d.*, r.commit_sha AS commit_sha, r.changes AS changes,
                (SELECT c.status FROM records c WHERE c.kind = 'certificate_issued' AND c.project = d.project AND c.version = d.version ORDER BY c.seq DESC LIMIT 1) AS decision,
                (SELECT {approvals} FROM records a WHERE a.kind = 'approval_recorded' AND a.project = d.project AND a.version = d.version) AS approvals,
                (SELECT {scans} FROM (
                    SELECT * FROM evidence WHERE project = d.project AND release_version = d.version
                    UNION ALL
                    SELECT * FROM evidence WHERE project = d.project AND commit_sha = r.commit_sha AND release_version IS NULL
                ) AS e WHERE e.kind IN ('sast', 'dast', 'sca', 'container_scan', 'secrets_scan', 'iac_scan')) AS scans
             FROM records d JOIN releases r ON r.project = d.project AND r.version = d.version
             WHERE d.kind = 'deployment_recorded' AND d.subject = $1"
        );
        let mut values = vec![environment];
        push_filters(&mut sql, &mut values, [("d.at", ">=", from), ("d.at", "<", to)]);
        sql.push_str(" ORDER BY d.seq");
        let rows: Vec<PopulationColumns> = on!(&self.pool, |pool| {
            let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for value in &values {
                statement = statement.bind(*value);
            }
            statement.fetch_all(pool).await
        })?;
        rows.into_iter().map(PopulationColumns::into_row).collect()
    }

    async fn releases_between(
        &self,
        project: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<ReleaseRow>> {
        let (mut sql, values) = pages::releases_in_period("*", project, from, to);
        sql.push_str(" ORDER BY seq");
        let rows: Vec<ReleaseColumns> = on!(&self.pool, |pool| {
            let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for value in &values {
                statement = statement.bind(*value);
            }
            statement.fetch_all(pool).await
        })?;
        rows.into_iter().map(ReleaseColumns::into_row).collect()
    }

    async fn release_metrics_between(
        &self,
        project: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        kinds: &[&str],
    ) -> StoreResult<Vec<ReleaseMetricsRow>> {
        pages::release_metrics_between(self, project, from, to, kinds).await
    }

    async fn release_commits(&self, project: &str) -> StoreResult<Vec<(String, String)>> {
        let rows: Vec<(String, String)> = on!(&self.pool, |pool| sqlx::query_as(
            "SELECT commit_sha, version FROM releases WHERE project = $1 ORDER BY seq"
        )
        .bind(project)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    async fn release_page(&self, query: &ReleaseQuery<'_>) -> StoreResult<(Vec<ReleaseSummaryRow>, u64)> {
        pages::release_page(self, query).await
    }

    async fn release(&self, project: &ProjectName, version: &ReleaseVersion) -> StoreResult<Option<ReleaseRow>> {
        const SQL: &str = "SELECT * FROM releases WHERE project = $1 AND version = $2";
        let row: Option<ReleaseColumns> = on!(&self.pool, |pool| sqlx::query_as(SQL)
            .bind(project.as_str())
            .bind(version.as_str())
            .fetch_optional(pool)
            .await)?;
        row.map(ReleaseColumns::into_row).transpose()
    }

    async fn latest_release(&self, project: &ProjectName) -> StoreResult<Option<ReleaseRow>> {
        const SQL: &str = "SELECT * FROM releases WHERE project = $1 ORDER BY seq DESC LIMIT 1";
        let row: Option<ReleaseColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(project.as_str()).fetch_optional(pool).await)?;
        row.map(ReleaseColumns::into_row).transpose()
    }

    async fn release_evidence(&self, release: &ReleaseRecord) -> StoreResult<Vec<EvidenceRow>> {
        // Two indexed lookups rather than one OR, which neither backend can serve
        // from an index: evidence named for the release, and evidence at its commit.
        const SQL: &str = "SELECT * FROM (
                SELECT * FROM evidence WHERE project = $1 AND release_version = $2
                UNION ALL
                SELECT * FROM evidence WHERE project = $1 AND commit_sha = $3 AND release_version IS NULL
            ) AS matched ORDER BY seq";
        let rows: Vec<EvidenceColumns> = on!(&self.pool, |pool| sqlx::query_as(SQL)
            .bind(release.project.as_str())
            .bind(release.version.as_str())
            .bind(release.commit.as_str())
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(EvidenceColumns::into_row).collect()
    }

    async fn evidence_of_kind(&self, project: &ProjectName, kind: &str) -> StoreResult<Vec<EvidenceRow>> {
        const SQL: &str = "SELECT * FROM evidence WHERE project = $1 AND kind = $2 ORDER BY seq";
        let rows: Vec<EvidenceColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(project.as_str()).bind(kind).fetch_all(pool).await)?;
        rows.into_iter().map(EvidenceColumns::into_row).collect()
    }

    async fn evidence_findings(&self, evidence_seq: u64) -> StoreResult<Vec<Finding>> {
        const SQL: &str = "SELECT * FROM findings WHERE evidence_seq = $1 ORDER BY ordinal";
        let rows: Vec<FindingColumns> =
            on!(&self.pool, |pool| sqlx::query_as(SQL).bind(to_i64(evidence_seq)).fetch_all(pool).await)?;
        rows.into_iter().map(|row| row.into_row().map(|row| row.finding)).collect()
    }

    async fn findings_of(&self, evidence_seqs: &[u64]) -> StoreResult<Vec<FindingRow>> {
        // Bound parameters per statement stay well under both databases' limits.
        const CHUNK: usize = 500;
        let mut sorted = evidence_seqs.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut found = Vec::new();
        for chunk in sorted.chunks(CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT * FROM findings WHERE evidence_seq IN ({}) ORDER BY evidence_seq, ordinal",
                placeholders.join(", ")
            );
            // Only placeholders are interpolated; values are bound.
            let rows: Vec<FindingColumns> = on!(&self.pool, |pool| {
                let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for seq in chunk {
                    statement = statement.bind(to_i64(*seq));
                }
                statement.fetch_all(pool).await
            })?;
            for row in rows {
                found.push(row.into_row()?);
            }
        }
        Ok(found)
    }

    async fn token(&self, id: &str) -> StoreResult<Option<TokenRow>> {
        const SQL: &str = "SELECT * FROM tokens WHERE id = $1";
        Ok(on!(&self.pool, |pool| sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
    }

    async fn tokens(&self) -> StoreResult<Vec<TokenRow>> {
        const SQL: &str = "SELECT * FROM tokens ORDER BY created_at, id";
        Ok(on!(&self.pool, |pool| sqlx::query_as(SQL).fetch_all(pool).await)?)
    }

    async fn touch_token(&self, id: &str, at: &str) -> StoreResult<()> {
        const SQL: &str = "UPDATE tokens SET last_used_at = $2 WHERE id = $1";
        on!(&self.pool, |pool| sqlx::query(SQL).bind(id).bind(at).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    async fn deliveries_due(&self, destination: &str, now: i64, limit: u64) -> StoreResult<Vec<DeliveryRow>> {
        const SQL: &str = "SELECT * FROM sync_deliveries WHERE destination = $1 AND state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $2) ORDER BY id LIMIT $3";
        Ok(on!(&self.pool, |pool| sqlx::query_as(SQL)
            .bind(destination)
            .bind(now)
            .bind(to_i64(limit))
            .fetch_all(pool)
            .await)?)
    }

    async fn deliveries(&self, destination: Option<&str>) -> StoreResult<Vec<DeliveryRow>> {
        const ALL: &str = "SELECT * FROM sync_deliveries ORDER BY id";
        const ONE: &str = "SELECT * FROM sync_deliveries WHERE destination = $1 ORDER BY id";
        Ok(match destination {
            Some(name) => on!(&self.pool, |pool| sqlx::query_as(ONE).bind(name).fetch_all(pool).await)?,
            None => on!(&self.pool, |pool| sqlx::query_as(ALL).fetch_all(pool).await)?,
        })
    }

    async fn change_delivery(&self, id: i64, change: &DeliveryChange) -> StoreResult<bool> {
        const ATTEMPT: &str = "UPDATE sync_deliveries SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1";
        const DELIVERED: &str = "UPDATE sync_deliveries SET state = 'delivered', remote_id = $2, delivered_at = $3, last_error = NULL, failing_since = NULL, next_attempt_at = NULL WHERE id = $1";
        const RETRY: &str = "UPDATE sync_deliveries SET last_error = $2, failing_since = COALESCE(failing_since, $3), next_attempt_at = $4 WHERE id = $1";
        const GIVE_UP: &str = "UPDATE sync_deliveries SET state = 'failed', last_error = $2, failing_since = COALESCE(failing_since, $3), next_attempt_at = NULL WHERE id = $1";
        const REQUEUE: &str = "UPDATE sync_deliveries SET state = 'pending', next_attempt_at = $2 WHERE id = $1";
        const PROVE: &str =
            "UPDATE sync_deliveries SET artifact = $2, idempotency_key = $3 WHERE id = $1 AND state = 'pending'";
        let rows = match change {
            DeliveryChange::Attempt { lease_until } => on!(&self.pool, |pool| sqlx::query(ATTEMPT)
                .bind(id)
                .bind(*lease_until)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?,
            DeliveryChange::Delivered { remote_id, at } => on!(&self.pool, |pool| sqlx::query(DELIVERED)
                .bind(id)
                .bind(remote_id)
                .bind(*at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?,
            DeliveryChange::Failure { why, at, retry_at: Some(retry_at) } => {
                on!(&self.pool, |pool| sqlx::query(RETRY)
                    .bind(id)
                    .bind(why)
                    .bind(*at)
                    .bind(*retry_at)
                    .execute(pool)
                    .await
                    .map(|done| done.rows_affected()))?
            }
            DeliveryChange::Failure { why, at, retry_at: None } => on!(&self.pool, |pool| sqlx::query(GIVE_UP)
                .bind(id)
                .bind(why)
                .bind(*at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?,
            DeliveryChange::Prove { artifact, idempotency_key } => on!(&self.pool, |pool| sqlx::query(PROVE)
                .bind(id)
                .bind(artifact)
                .bind(idempotency_key)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?,
            DeliveryChange::Requeue { at } => on!(&self.pool, |pool| sqlx::query(REQUEUE)
                .bind(id)
                .bind(*at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?,
        };
        Ok(rows > 0)
    }

    async fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        const SQL: &str = "SELECT value FROM store_meta WHERE key = $1";
        Ok(on!(&self.pool, |pool| sqlx::query_scalar(SQL).bind(key).fetch_optional(pool).await)?)
    }

    async fn init_meta(&self, key: &str, value: &str) -> StoreResult<String> {
        const INSERT: &str = "INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        const SELECT: &str = "SELECT value FROM store_meta WHERE key = $1";
        on!(&self.pool, |pool| sqlx::query(INSERT).bind(key).bind(value).execute(pool).await.map(|_| ()))?;
        Ok(on!(&self.pool, |pool| sqlx::query_scalar(SELECT).bind(key).fetch_one(pool).await)?)
    }
}

/// An evidence search as SQL: the bound values, the query counting every match
/// and the query selecting the page, newest first, each with its release.
fn evidence_search_sql<'a>(query: &EvidenceQuery<'a>) -> (Vec<filters::Value<'a>>, String, String) {
    let (conditions, values) = evidence_conditions(query);
    // The release of an evidence row: the one it names, else the first created at
    // its commit; each found through an index.
    let join = "LEFT JOIN releases r ON r.project = e.project AND r.version = COALESCE(e.release_version, \
                (SELECT r2.version FROM releases r2 WHERE r2.project = e.project AND r2.commit_sha = e.commit_sha ORDER BY r2.seq LIMIT 1))";
    let needs_release = query.release_status.is_some() || query.approver.is_some() || query.environment.is_some();
    let limit = query.limit;
    if needs_release {
        (
            values,
            format!("SELECT COUNT(*) FROM evidence e {join} WHERE {conditions}"),
            format!(
                "SELECT e.*, r.version AS release_of FROM evidence e {join} WHERE {conditions} ORDER BY e.seq DESC LIMIT {limit}"
            ),
        )
    } else {
        // Without release filters, find the page first and look up releases for
        // its rows only.
        (
            values,
            format!("SELECT COUNT(*) FROM evidence e WHERE {conditions}"),
            format!(
                "SELECT e.*, r.version AS release_of FROM \
                 (SELECT * FROM evidence e WHERE {conditions} ORDER BY e.seq DESC LIMIT {limit}) AS e \
                 {join} ORDER BY e.seq DESC"
            ),
        )
    }
}
