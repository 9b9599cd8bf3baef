//! Converting records to columns and back. Every column of a derived row is read
//! back into the record, so `ledger verify` can compare a row with its entry field
//! by field and notice a change to any column.
//!
//! The `*Columns` structs mirror the tables column for column; sqlx derives their
//! decoding for SQLite and PostgreSQL alike, and the functions here turn them into
//! the backend-neutral rows of `lib.rs`.

use signoff_core::entry::{Delivery, EvidenceRecord, FindingsCommitment, ReleaseRecord};
use signoff_core::{Digest, Finding, Location, Severity, Tool};

use crate::{
    EvidenceRow, FindingHistory, FindingRow, RecordRow, ReleaseMetricsRow, ReleaseRow, ScanRow, StoreError, StoreResult,
};

pub(crate) fn severity_rank(severity: Severity) -> i64 {
    match severity {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

fn severity_from_rank(rank: i64) -> Option<Severity> {
    Severity::ALL.get(usize::try_from(rank).ok()?).copied()
}

pub(crate) fn json_list(items: &[String]) -> Option<String> {
    (!items.is_empty()).then(|| serde_json::to_string(items).unwrap_or_default())
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

pub(crate) fn hash_array(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}

pub(crate) fn split_frontier(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes.chunks_exact(32).filter_map(hash_array).collect()
}

fn corrupt(table: &'static str, key: impl ToString, message: impl ToString) -> StoreError {
    StoreError::Corrupt { table, key: key.to_string(), message: message.to_string() }
}

fn digest_column(table: &'static str, key: u64, bytes: &[u8]) -> StoreResult<Digest> {
    Digest::from_slice(bytes).map_err(|error| corrupt(table, key, error))
}

fn parse_column<T: std::str::FromStr>(table: &'static str, key: u64, column: &str, text: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|error| corrupt(table, key, format!("{column}: {error}")))
}

/// An RFC 3339 time column, in the one form the store writes (queries compare
/// these as text, so another spelling of the same instant is an alteration).
fn time_column(table: &'static str, key: u64, column: &str, text: &str) -> StoreResult<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let time = time::OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|error| corrupt(table, key, format!("{column} {text:?}: {error}")))?;
    if time.format(&Rfc3339).ok().as_deref() != Some(text) {
        return Err(corrupt(table, key, format!("{column} {text:?} is not in the form the store writes")));
    }
    Ok(time)
}

fn json_column<T: serde::de::DeserializeOwned>(
    table: &'static str,
    key: u64,
    column: &str,
    text: &str,
) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|error| corrupt(table, key, format!("{column}: {error}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct EvidenceColumns {
    seq: i64,
    id: String,
    project: String,
    commit_sha: Option<String>,
    release_version: Option<String>,
    kind: String,
    format: String,
    tool_name: String,
    tool_version: Option<String>,
    file_name: String,
    digest: Vec<u8>,
    size: i64,
    original_digest: Option<Vec<u8>>,
    redacted: i64,
    summary: String,
    findings_count: i64,
    findings_digest: Vec<u8>,
    context: String,
    produced_at: Option<String>,
    captured_at: String,
    delivery_key: Option<String>,
    delivery_captured_at: Option<String>,
    target: Option<String>,
}

impl EvidenceColumns {
    pub(crate) fn into_row(self) -> StoreResult<EvidenceRow> {
        const TABLE: &str = "evidence";
        let seq = to_u64(self.seq);
        let record = EvidenceRecord {
            id: self.id,
            project: parse_column(TABLE, seq, "project", &self.project)?,
            commit: self.commit_sha.map(|value| parse_column(TABLE, seq, "commit_sha", &value)).transpose()?,
            release: self
                .release_version
                .map(|value| parse_column(TABLE, seq, "release_version", &value))
                .transpose()?,
            kind: parse_column(TABLE, seq, "kind", &self.kind)?,
            format: parse_column(TABLE, seq, "format", &self.format)?,
            tool: Tool { name: self.tool_name, version: self.tool_version },
            file_name: self.file_name,
            digest: digest_column(TABLE, seq, &self.digest)?,
            size: to_u64(self.size),
            original_digest: self.original_digest.map(|bytes| digest_column(TABLE, seq, &bytes)).transpose()?,
            redacted: to_u64(self.redacted),
            summary: json_column(TABLE, seq, "summary", &self.summary)?,
            findings: FindingsCommitment {
                count: to_u64(self.findings_count),
                digest: digest_column(TABLE, seq, &self.findings_digest)?,
            },
            context: json_column(TABLE, seq, "context", &self.context)?,
            produced_at: self.produced_at,
            delivery: self
                .delivery_key
                .map(|idempotency_key| Delivery { idempotency_key, captured_at: self.delivery_captured_at }),
            target: self.target,
        };
        Ok(EvidenceRow { seq, captured_at: time_column(TABLE, seq, "captured_at", &self.captured_at)?, record })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EvidenceHitColumns {
    #[sqlx(flatten)]
    pub(crate) evidence: EvidenceColumns,
    pub(crate) release_of: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SourceColumns {
    pub(crate) captures: i64,
    pub(crate) first_seq: i64,
    #[sqlx(flatten)]
    pub(crate) evidence: EvidenceColumns,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReleaseColumns {
    seq: i64,
    id: String,
    project: String,
    version: String,
    commit_sha: String,
    artifacts: String,
    previous: Option<String>,
    actor: Option<String>,
    context: String,
    changes: String,
    changes_note: Option<String>,
    created_at: String,
}

impl ReleaseColumns {
    pub(crate) fn into_row(self) -> StoreResult<ReleaseRow> {
        const TABLE: &str = "releases";
        let seq = to_u64(self.seq);
        let record = ReleaseRecord {
            id: self.id,
            project: parse_column(TABLE, seq, "project", &self.project)?,
            version: parse_column(TABLE, seq, "version", &self.version)?,
            commit: parse_column(TABLE, seq, "commit_sha", &self.commit_sha)?,
            artifacts: json_column(TABLE, seq, "artifacts", &self.artifacts)?,
            previous: self.previous.map(|value| parse_column(TABLE, seq, "previous", &value)).transpose()?,
            actor: self.actor,
            context: json_column(TABLE, seq, "context", &self.context)?,
            changes: json_column(TABLE, seq, "changes", &self.changes)?,
            changes_note: self.changes_note,
        };
        Ok(ReleaseRow { seq, created_at: time_column(TABLE, seq, "created_at", &self.created_at)?, record })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReleaseSummaryColumns {
    #[sqlx(flatten)]
    release: ReleaseColumns,
    decision: Option<String>,
    certificate_seq: Option<i64>,
    deployed_to: Option<String>,
}

impl ReleaseSummaryColumns {
    pub(crate) fn into_row(self) -> StoreResult<crate::ReleaseSummaryRow> {
        Ok(crate::ReleaseSummaryRow {
            release: self.release.into_row()?,
            certificate: self.decision.zip(self.certificate_seq.map(to_u64)),
            // Each environment once, in name order (the query lists every deployment).
            deployed_to: self
                .deployed_to
                .map(|words| {
                    let names: std::collections::BTreeSet<&str> =
                        words.split(' ').filter(|word| !word.is_empty()).collect();
                    names.into_iter().map(str::to_owned).collect()
                })
                .unwrap_or_default(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecordColumns {
    seq: i64,
    kind: String,
    id: String,
    project: Option<String>,
    version: Option<String>,
    record: String,
    at: Option<String>,
    subject: Option<String>,
    status: Option<String>,
}

impl RecordColumns {
    pub(crate) fn into_row(self) -> StoreResult<RecordRow> {
        let seq = to_u64(self.seq);
        Ok(RecordRow {
            seq,
            kind: parse_column("records", seq, "kind", &self.kind)?,
            id: self.id,
            project: self.project,
            version: self.version,
            record: self.record,
            at: self.at,
            subject: self.subject,
            status: self.status,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PopulationColumns {
    #[sqlx(flatten)]
    deployment: RecordColumns,
    commit_sha: String,
    changes: String,
    decision: Option<String>,
    approvals: Option<String>,
    scans: Option<String>,
}

impl PopulationColumns {
    pub(crate) fn into_row(self) -> StoreResult<crate::PopulationRow> {
        let deployment = self.deployment.into_row()?;
        Ok(crate::PopulationRow {
            changes: json_column("releases", deployment.seq, "changes", &self.changes)?,
            deployment,
            commit: self.commit_sha,
            decision: self.decision,
            approvals: self.approvals,
            scans: self.scans,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FindingColumns {
    evidence_seq: i64,
    ordinal: i64,
    fingerprint: Vec<u8>,
    rule_id: String,
    severity: i64,
    title: String,
    path: Option<String>,
    start_line: Option<i64>,
    end_line: Option<i64>,
    cve: Option<String>,
    cwe: Option<String>,
    package: Option<String>,
    package_version: Option<String>,
    suppressed: i64,
}

impl FindingColumns {
    pub(crate) fn into_row(self) -> StoreResult<FindingRow> {
        const TABLE: &str = "findings";
        let evidence_seq = to_u64(self.evidence_seq);
        let ordinal = to_u64(self.ordinal);
        let key = format!("{evidence_seq}/{ordinal}");
        let list = |column: &str, value: Option<String>| -> StoreResult<Vec<String>> {
            match value {
                Some(text) => {
                    serde_json::from_str(&text).map_err(|error| corrupt(TABLE, &key, format!("{column}: {error}")))
                }
                None => Ok(Vec::new()),
            }
        };
        let finding = Finding {
            cve: list("cve", self.cve)?,
            cwe: list("cwe", self.cwe)?,
            fingerprint: Digest::from_slice(&self.fingerprint).map_err(|error| corrupt(TABLE, &key, error))?,
            location: Location {
                end_line: self.end_line.map(to_u64),
                path: self.path,
                start_line: self.start_line.map(to_u64),
            },
            package: self.package,
            package_version: self.package_version,
            rule_id: self.rule_id,
            severity: severity_from_rank(self.severity)
                .ok_or_else(|| corrupt(TABLE, &key, format!("severity {}", self.severity)))?,
            suppressed: self.suppressed != 0,
            title: self.title,
        };
        Ok(FindingRow { evidence_seq, ordinal, finding })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HistoryColumns {
    tool: String,
    first_seq: i64,
    last_seq: i64,
    times_seen: i64,
    #[sqlx(flatten)]
    finding: FindingColumns,
}

impl HistoryColumns {
    pub(crate) fn into_row(self) -> StoreResult<FindingHistory> {
        Ok(FindingHistory {
            tool: self.tool,
            first_seq: to_u64(self.first_seq),
            last_seq: to_u64(self.last_seq),
            times_seen: to_u64(self.times_seen),
            finding: self.finding.into_row()?.finding,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScanColumns {
    tool_name: String,
    seq: i64,
    commit_sha: Option<String>,
    release_version: Option<String>,
    captured_at: String,
    target: Option<String>,
}

impl ScanColumns {
    pub(crate) fn into_row(self) -> StoreResult<ScanRow> {
        let seq = to_u64(self.seq);
        Ok(ScanRow {
            tool: self.tool_name,
            seq,
            commit: self.commit_sha,
            release: self.release_version,
            captured_at: time_column("evidence", seq, "captured_at", &self.captured_at)?,
            target: self.target,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReleaseMetricsColumns {
    seq: i64,
    project: String,
    version: String,
    created_at: String,
    first_decision: Option<String>,
    kinds_held: i64,
}

impl ReleaseMetricsColumns {
    pub(crate) fn into_row(self) -> StoreResult<ReleaseMetricsRow> {
        let seq = to_u64(self.seq);
        Ok(ReleaseMetricsRow {
            created_at: time_column("releases", seq, "created_at", &self.created_at)?,
            project: self.project,
            version: self.version,
            first_decision: self.first_decision,
            kinds_held: to_u64(self.kinds_held),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EntryColumns {
    pub(crate) seq: i64,
    pub(crate) body: Vec<u8>,
    pub(crate) entry_hash: Vec<u8>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CheckpointColumns {
    pub(crate) size: i64,
    pub(crate) root: Vec<u8>,
    pub(crate) note: String,
    pub(crate) frontier: Vec<u8>,
    pub(crate) previous_size: Option<i64>,
}

impl CheckpointColumns {
    pub(crate) fn into_checkpoint(self) -> StoreResult<crate::StoredCheckpoint> {
        Ok(crate::StoredCheckpoint {
            size: to_u64(self.size),
            root: hash_array(&self.root).ok_or_else(|| corrupt("checkpoints", self.size, "root is not 32 bytes"))?,
            note: self.note,
            frontier: split_frontier(&self.frontier),
            previous_size: self.previous_size.map(to_u64),
        })
    }
}
