//! Converting records to columns and back. Every column of a derived row is read
//! back into the record, so `ledger verify` can compare a row with its entry field
//! by field and notice a change to any column.

use signoff_core::entry::{EvidenceRecord, FindingsCommitment, ReleaseRecord};
use signoff_core::{Digest, Finding, Location, Severity};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{EvidenceRow, FindingRow, RecordRow, ReleaseRow, StoreError, StoreResult};

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

fn json_column<T: serde::de::DeserializeOwned>(
    table: &'static str,
    key: u64,
    column: &str,
    text: &str,
) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|error| corrupt(table, key, format!("{column}: {error}")))
}

fn u64_column(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

pub(crate) fn evidence_from_row(row: &SqliteRow) -> StoreResult<EvidenceRow> {
    const TABLE: &str = "evidence";
    let seq = u64_column(row.try_get("seq")?);
    let text = |column: &str| -> StoreResult<String> { Ok(row.try_get::<String, _>(column)?) };
    let optional = |column: &str| -> StoreResult<Option<String>> { Ok(row.try_get::<Option<String>, _>(column)?) };
    let commit = optional("commit_sha")?.map(|value| parse_column(TABLE, seq, "commit_sha", &value)).transpose()?;
    let release =
        optional("release_version")?.map(|value| parse_column(TABLE, seq, "release_version", &value)).transpose()?;
    let original: Option<Vec<u8>> = row.try_get("original_digest")?;
    let record = EvidenceRecord {
        id: text("id")?,
        project: parse_column(TABLE, seq, "project", &text("project")?)?,
        commit,
        release,
        kind: parse_column(TABLE, seq, "kind", &text("kind")?)?,
        format: parse_column(TABLE, seq, "format", &text("format")?)?,
        tool: signoff_core::Tool { name: text("tool_name")?, version: optional("tool_version")? },
        file_name: text("file_name")?,
        digest: digest_column(TABLE, seq, &row.try_get::<Vec<u8>, _>("digest")?)?,
        size: u64_column(row.try_get("size")?),
        original_digest: original.map(|bytes| digest_column(TABLE, seq, &bytes)).transpose()?,
        redacted: u64_column(row.try_get("redacted")?),
        summary: json_column(TABLE, seq, "summary", &text("summary")?)?,
        findings: FindingsCommitment {
            count: u64_column(row.try_get("findings_count")?),
            digest: digest_column(TABLE, seq, &row.try_get::<Vec<u8>, _>("findings_digest")?)?,
        },
        context: json_column(TABLE, seq, "context", &text("context")?)?,
        produced_at: optional("produced_at")?,
    };
    Ok(EvidenceRow { seq, captured_at: text("captured_at")?, record })
}

pub(crate) fn release_from_row(row: &SqliteRow) -> StoreResult<ReleaseRow> {
    const TABLE: &str = "releases";
    let seq = u64_column(row.try_get("seq")?);
    let text = |column: &str| -> StoreResult<String> { Ok(row.try_get::<String, _>(column)?) };
    let previous: Option<String> = row.try_get("previous")?;
    let record = ReleaseRecord {
        id: text("id")?,
        project: parse_column(TABLE, seq, "project", &text("project")?)?,
        version: parse_column(TABLE, seq, "version", &text("version")?)?,
        commit: parse_column(TABLE, seq, "commit_sha", &text("commit_sha")?)?,
        artifacts: json_column(TABLE, seq, "artifacts", &text("artifacts")?)?,
        previous: previous.map(|value| parse_column(TABLE, seq, "previous", &value)).transpose()?,
        actor: row.try_get("actor")?,
        context: json_column(TABLE, seq, "context", &text("context")?)?,
        changes: json_column(TABLE, seq, "changes", &text("changes")?)?,
        changes_note: row.try_get("changes_note")?,
    };
    Ok(ReleaseRow { seq, created_at: text("created_at")?, record })
}

pub(crate) fn record_from_row(row: &SqliteRow) -> StoreResult<RecordRow> {
    Ok(RecordRow {
        seq: u64_column(row.try_get("seq")?),
        kind: row.try_get("kind")?,
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        version: row.try_get("version")?,
        record: row.try_get("record")?,
    })
}

pub(crate) fn finding_from_row(row: &SqliteRow) -> StoreResult<FindingRow> {
    const TABLE: &str = "findings";
    let evidence_seq = u64_column(row.try_get("evidence_seq")?);
    let ordinal = u64_column(row.try_get("ordinal")?);
    let key = format!("{evidence_seq}/{ordinal}");
    let list = |column: &str| -> StoreResult<Vec<String>> {
        match row.try_get::<Option<String>, _>(column)? {
            Some(text) => {
                serde_json::from_str(&text).map_err(|error| corrupt(TABLE, &key, format!("{column}: {error}")))
            }
            None => Ok(Vec::new()),
        }
    };
    let rank: i64 = row.try_get("severity")?;
    let line =
        |column: &str| -> StoreResult<Option<u64>> { Ok(row.try_get::<Option<i64>, _>(column)?.map(u64_column)) };
    let finding = Finding {
        fingerprint: Digest::from_slice(&row.try_get::<Vec<u8>, _>("fingerprint")?)
            .map_err(|error| corrupt(TABLE, &key, error))?,
        rule_id: row.try_get("rule_id")?,
        severity: severity_from_rank(rank).ok_or_else(|| corrupt(TABLE, &key, format!("severity {rank}")))?,
        title: row.try_get("title")?,
        location: Location { path: row.try_get("path")?, start_line: line("start_line")?, end_line: line("end_line")? },
        cve: list("cve")?,
        cwe: list("cwe")?,
        package: row.try_get("package")?,
        package_version: row.try_get("package_version")?,
        suppressed: row.try_get::<i64, _>("suppressed")? != 0,
    };
    Ok(FindingRow { evidence_seq, ordinal, finding })
}
