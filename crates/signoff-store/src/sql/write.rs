//! The write transaction of the SQL store: appending entries with their derived
//! rows (evidence, findings in bulk, releases, records) and checkpoints, inside the
//! transaction `SqlStore::begin` opened with the ledger write lock.

use std::sync::OnceLock;

use async_trait::async_trait;
use signoff_core::entry::{Entry, Event};
use signoff_core::{Digest, Finding, ProjectName};
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Postgres, Sqlite};
use time::format_description::well_known::Rfc3339;

use super::{FINDINGS_PER_STATEMENT, Tx};
use crate::rows::{
    CheckpointColumns, EntryColumns, EvidenceColumns, ReleaseColumns, json_list, severity_rank, split_frontier, to_i64,
    to_u64,
};
use crate::{
    EvidenceRow, LedgerHead, NewDelivery, ReleaseRow, StoreError, StoreResult, StoredCheckpoint, TokenRow, WriteTx,
};

/// A write transaction: the ledger write lock is held from `begin` to commit.
pub(super) struct SqlWrite {
    pub(super) tx: Tx,
}

/// Values per finding row.
const COLUMNS: usize = 14;

/// `INSERT INTO findings ... VALUES (...), ...` for `rows` findings. Placeholders
/// are numbered (`$1`, ...) for PostgreSQL and anonymous (`?`) for SQLite, which
/// looks a numbered parameter's name up by a linear search: 14,000 of them made
/// binding quadratic.
fn insert_findings_sql(rows: usize, numbered: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO findings (evidence_seq, ordinal, fingerprint, rule_id, severity, title, path, start_line, end_line, cve, cwe, package, package_version, suppressed) VALUES ",
    );
    let mut placeholder = 0usize;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS {
            placeholder += 1;
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(&placeholder.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// The statement for a full chunk of findings, built once per backend: large
/// captures insert thousands of chunks, and formatting 14,000 placeholders each
/// time showed in their profile.
fn full_chunk_sql(numbered: bool) -> &'static str {
    static SQLITE: OnceLock<String> = OnceLock::new();
    static POSTGRES: OnceLock<String> = OnceLock::new();
    let cell = if numbered { &POSTGRES } else { &SQLITE };
    cell.get_or_init(|| insert_findings_sql(FINDINGS_PER_STATEMENT, numbered))
}

/// Adds each value to `arguments`, stopping at the first that does not encode.
macro_rules! add_all {
    ($arguments:ident, $($value:expr),+ $(,)?) => {
        $($arguments.add($value).map_err(sqlx::Error::Encode)?;)+
    };
}

impl SqlWrite {
    /// Runs one statement without parameters.
    async fn execute(&mut self, sql: &'static str) -> StoreResult<()> {
        on_tx!(&mut self.tx, |handle| sqlx::query(sql).execute(handle).await.map(|_| ()))?;
        Ok(())
    }

    /// Several statements without arguments, sent at once (PostgreSQL's simple
    /// query protocol; SQLite runs them one after another on its thread).
    async fn execute_all(&mut self, sql: &'static str) -> StoreResult<()> {
        on_tx!(&mut self.tx, |handle| sqlx::raw_sql(sql).execute(handle).await.map(|_| ()))?;
        Ok(())
    }

    async fn insert_findings_chunk(&mut self, evidence_seq: u64, first: u64, chunk: Vec<Finding>) -> StoreResult<()> {
        let numbered = matches!(self.tx, Tx::Postgres(_));
        let partial;
        let sql = if chunk.len() == FINDINGS_PER_STATEMENT {
            full_chunk_sql(numbered)
        } else {
            partial = insert_findings_sql(chunk.len(), numbered);
            partial.as_str()
        };
        // The arguments are sized up front: growing a vector of 14,000 of them
        // by doubling showed in a large capture's profile as copying.
        macro_rules! arguments {
            ($arguments:ty) => {{
                let mut arguments = <$arguments>::default();
                arguments.reserve(chunk.len() * COLUMNS, chunk.len() * 256);
                for (ordinal, finding) in (first..).zip(chunk) {
                    let location = finding.location;
                    add_all!(
                        arguments,
                        to_i64(evidence_seq),
                        to_i64(ordinal),
                        finding.fingerprint.as_bytes().to_vec(),
                        finding.rule_id,
                        severity_rank(finding.severity),
                        finding.title,
                        location.path,
                        location.start_line.map(to_i64),
                        location.end_line.map(to_i64),
                        json_list(&finding.cve),
                        json_list(&finding.cwe),
                        finding.package,
                        finding.package_version,
                        i64::from(finding.suppressed),
                    );
                }
                arguments
            }};
        }
        match &mut self.tx {
            Tx::Sqlite(transaction) => {
                let arguments = arguments!(SqliteArguments);
                sqlx::query_with::<Sqlite, _>(sqlx::AssertSqlSafe(sql), arguments).execute(&mut **transaction).await?;
            }
            Tx::Postgres(transaction) => {
                let arguments = arguments!(PgArguments);
                sqlx::query_with::<Postgres, _>(sqlx::AssertSqlSafe(sql), arguments)
                    .execute(&mut **transaction)
                    .await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl WriteTx for SqlWrite {
    async fn head(&mut self) -> StoreResult<LedgerHead> {
        const LAST: &str = "SELECT seq, body, entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1";
        const CHECKPOINT: &str =
            "SELECT size, root, note, frontier, previous_size FROM checkpoints ORDER BY size DESC LIMIT 1";
        let last: Option<EntryColumns> =
            on_tx!(&mut self.tx, |handle| sqlx::query_as(LAST).fetch_optional(handle).await)?;
        let checkpoint: Option<CheckpointColumns> =
            on_tx!(&mut self.tx, |handle| sqlx::query_as(CHECKPOINT).fetch_optional(handle).await)?;
        let (size, last_hash) = match last {
            Some(row) => (to_u64(row.seq) + 1, Digest::from_slice(&row.entry_hash).ok()),
            None => (0, None),
        };
        let (frontier_size, frontier) = match checkpoint {
            Some(row) => (to_u64(row.size), split_frontier(&row.frontier)),
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
            let chunk: Vec<Finding> = rows.by_ref().take(FINDINGS_PER_STATEMENT).collect();
            let count = chunk.len() as u64;
            self.insert_findings_chunk(evidence_seq, ordinal, chunk).await?;
            ordinal += count;
        }
        Ok(())
    }

    async fn latest_release(&mut self, project: &ProjectName) -> StoreResult<Option<ReleaseRow>> {
        const SQL: &str = "SELECT * FROM releases WHERE project = $1 ORDER BY seq DESC LIMIT 1";
        let row: Option<ReleaseColumns> =
            on_tx!(&mut self.tx, |handle| sqlx::query_as(SQL).bind(project.as_str()).fetch_optional(handle).await)?;
        row.map(ReleaseColumns::into_row).transpose()
    }

    async fn evidence_by_delivery_keys(&mut self, keys: &[&str]) -> StoreResult<Vec<EvidenceRow>> {
        // Bound parameters per statement stay well under both databases' limits.
        const CHUNK: usize = 500;
        let mut found = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!("SELECT * FROM evidence WHERE delivery_key IN ({})", placeholders.join(", "));
            // Only placeholders are interpolated; values are bound.
            let rows: Vec<EvidenceColumns> = on_tx!(&mut self.tx, |handle| {
                let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for key in chunk {
                    statement = statement.bind(*key);
                }
                statement.fetch_all(handle).await
            })?;
            for row in rows {
                found.push(row.into_row()?);
            }
        }
        Ok(found)
    }

    async fn append(&mut self, entry: &Entry, canonical: &[u8], leaf_hash: &[u8; 32]) -> StoreResult<()> {
        let corrupt =
            |table: &'static str, message: String| StoreError::Corrupt { table, key: entry.seq.to_string(), message };
        let at = entry.at.format(&Rfc3339).map_err(|error| corrupt("ledger_entries", error.to_string()))?;
        const ENTRY: &str =
            "INSERT INTO ledger_entries (seq, kind, body, entry_hash, leaf_hash) VALUES ($1, $2, $3, $4, $5)";
        on_tx!(&mut self.tx, |handle| sqlx::query(ENTRY)
            .bind(to_i64(entry.seq))
            .bind(entry.kind().as_str())
            .bind(canonical)
            .bind(Entry::hash_of(canonical).as_bytes().to_vec())
            .bind(leaf_hash.to_vec())
            .execute(handle)
            .await
            .map(|_| ()))?;
        match &entry.event {
            Event::EvidenceCaptured(record) => {
                const EVIDENCE: &str = "INSERT INTO evidence (seq, id, project, commit_sha, release_version, kind, format, tool_name, tool_version, file_name, digest, size, original_digest, redacted, summary, findings_count, findings_digest, context, produced_at, captured_at, delivery_key, delivery_captured_at, target) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)";
                let summary =
                    serde_json::to_string(&record.summary).map_err(|error| corrupt("evidence", error.to_string()))?;
                let context =
                    serde_json::to_string(&record.context).map_err(|error| corrupt("evidence", error.to_string()))?;
                on_tx!(&mut self.tx, |handle| sqlx::query(EVIDENCE)
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
                    .bind(&summary)
                    .bind(to_i64(record.findings.count))
                    .bind(record.findings.digest.as_bytes().to_vec())
                    .bind(&context)
                    .bind(&record.produced_at)
                    .bind(&at)
                    .bind(record.delivery.as_ref().map(|delivery| delivery.idempotency_key.clone()))
                    .bind(record.delivery.as_ref().and_then(|delivery| delivery.captured_at.clone()))
                    .bind(&record.target)
                    .execute(handle)
                    .await
                    .map(|_| ()))?;
            }
            Event::ReleaseCreated(record) => {
                const RELEASE: &str = "INSERT INTO releases (seq, id, project, version, commit_sha, artifacts, previous, actor, context, changes, changes_note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
                let json =
                    |value: serde_json::Result<String>| value.map_err(|error| corrupt("releases", error.to_string()));
                let artifacts = json(serde_json::to_string(&record.artifacts))?;
                let context = json(serde_json::to_string(&record.context))?;
                let changes = json(serde_json::to_string(&record.changes))?;
                let inserted = on_tx!(&mut self.tx, |handle| sqlx::query(RELEASE)
                    .bind(to_i64(entry.seq))
                    .bind(&record.id)
                    .bind(record.project.as_str())
                    .bind(record.version.as_str())
                    .bind(record.commit.as_str())
                    .bind(&artifacts)
                    .bind(record.previous.as_ref().map(|previous| previous.as_str().to_owned()))
                    .bind(&record.actor)
                    .bind(&context)
                    .bind(&changes)
                    .bind(&record.changes_note)
                    .bind(&at)
                    .execute(handle)
                    .await
                    .map(|_| ()));
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
                const RECORD: &str = "INSERT INTO records (seq, kind, id, project, version, record, at, subject, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
                let (id, project, version) = other.index_keys();
                let (subject, status) = other.lookup_keys();
                let data = serde_json::to_value(other).map_err(|error| corrupt("records", error.to_string()))?;
                let record = data.get("data").map(ToString::to_string).unwrap_or_default();
                on_tx!(&mut self.tx, |handle| sqlx::query(RECORD)
                    .bind(to_i64(entry.seq))
                    .bind(other.kind().as_str())
                    .bind(&id)
                    .bind(&project)
                    .bind(&version)
                    .bind(&record)
                    .bind(&at)
                    .bind(&subject)
                    .bind(&status)
                    .execute(handle)
                    .await
                    .map(|_| ()))?;
            }
        }
        Ok(())
    }

    async fn insert_token(&mut self, token: &TokenRow) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO tokens (id, name, hash, scopes, projects, actor_kind, created_at, created_by, expires_at, revoked_at, last_used_at, predecessor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        on_tx!(&mut self.tx, |handle| sqlx::query(SQL)
            .bind(&token.id)
            .bind(&token.name)
            .bind(&token.hash)
            .bind(&token.scopes)
            .bind(&token.projects)
            .bind(&token.actor_kind)
            .bind(&token.created_at)
            .bind(&token.created_by)
            .bind(&token.expires_at)
            .bind(&token.revoked_at)
            .bind(&token.last_used_at)
            .bind(&token.predecessor)
            .execute(handle)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn insert_deliveries(&mut self, certificate_seq: u64, deliveries: &[NewDelivery]) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO sync_deliveries (destination, artifact_id, idempotency_key, artifact, certificate_seq, state, attempts) VALUES ($1, $2, $3, $4, $5, 'pending', 0) ON CONFLICT (destination, artifact_id) DO NOTHING";
        for delivery in deliveries {
            on_tx!(&mut self.tx, |handle| sqlx::query(SQL)
                .bind(&delivery.destination)
                .bind(&delivery.artifact_id)
                .bind(&delivery.idempotency_key)
                .bind(&delivery.artifact)
                .bind(to_i64(certificate_seq))
                .execute(handle)
                .await
                .map(|_| ()))?;
        }
        Ok(())
    }

    async fn revoke_token(&mut self, id: &str, at: &str) -> StoreResult<bool> {
        // Times are written in one form (UTC, `Z`, milliseconds), so text order is time order.
        const SQL: &str = "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND (revoked_at IS NULL OR revoked_at > $2)";
        const EXISTS: &str = "SELECT COUNT(*) FROM tokens WHERE id = $1";
        on_tx!(&mut self.tx, |handle| sqlx::query(SQL).bind(id).bind(at).execute(handle).await.map(|_| ()))?;
        let count: i64 = on_tx!(&mut self.tx, |handle| sqlx::query_scalar(EXISTS).bind(id).fetch_one(handle).await)?;
        Ok(count > 0)
    }

    async fn add_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()> {
        const SQL: &str =
            "INSERT INTO checkpoints (size, root, note, frontier, previous_size) VALUES ($1, $2, $3, $4, $5)";
        on_tx!(&mut self.tx, |handle| sqlx::query(SQL)
            .bind(to_i64(checkpoint.size))
            .bind(checkpoint.root.to_vec())
            .bind(&checkpoint.note)
            .bind(checkpoint.frontier.concat())
            .bind(checkpoint.previous_size.map(to_i64))
            .execute(handle)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    async fn savepoint(&mut self) -> StoreResult<()> {
        self.execute("SAVEPOINT member").await
    }

    async fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        // Rolling back to a savepoint keeps it; releasing it ends the mark.
        self.execute_all("ROLLBACK TO SAVEPOINT member; RELEASE SAVEPOINT member").await
    }

    async fn renew_savepoint(&mut self) -> StoreResult<()> {
        self.execute_all("RELEASE SAVEPOINT member; SAVEPOINT member").await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        match self.tx {
            Tx::Sqlite(transaction) => transaction.commit().await?,
            Tx::Postgres(transaction) => transaction.commit().await?,
        }
        Ok(())
    }
}
