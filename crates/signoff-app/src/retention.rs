//! Retention and legal hold (E3). Raw evidence is kept for the longest retention of
//! the frameworks in force and while any hold covers it; after that, `retention
//! apply` purges the blob, keeping its digest and every ledger entry, and records
//! the purge in the ledger, so `ledger verify` still passes.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use signoff_core::entry::Event;
use signoff_core::records::{LegalHoldRecord, PurgeRecord, PurgedBlob};
use signoff_core::{Digest, ProjectName, ReleaseVersion};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AppError;
use crate::home::{Environment, Signoff};
use crate::ledger::now;

fn invalid(error: impl ToString) -> AppError {
    AppError::Invalid(error.to_string())
}

/// Days kept when no framework is in force.
const DEFAULT_RETENTION_DAYS: u64 = 365;

/// Places (or lifts) a legal hold on a project or one release.
///
/// # Errors
/// Bad names, an empty reason, or lifting a hold that does not exist.
pub async fn hold(
    signoff: &Signoff,
    project: &str,
    version: Option<&str>,
    reason: &str,
    lift: Option<&str>,
    actor: Option<&str>,
    environment: &Environment,
) -> Result<LegalHoldRecord, AppError> {
    if reason.trim().is_empty() {
        return Err(AppError::Invalid("say why with --reason".into()));
    }
    let existing = holds(signoff).await?;
    let id = match lift {
        Some(id) => {
            if !existing.iter().any(|(hold, _)| hold.id == id && !hold.lifted) {
                return Err(AppError::NotFound(format!("no active hold {id}")));
            }
            id.to_owned()
        }
        None => format!("HOLD-{}", existing.iter().filter(|(hold, _)| !hold.lifted).count() + existing.len() + 1),
    };
    let record = LegalHoldRecord {
        id,
        project: ProjectName::new(project).map_err(invalid)?,
        version: version.map(ReleaseVersion::new).transpose().map_err(invalid)?,
        reason: reason.trim().to_owned(),
        lifted: lift.is_some(),
        actor: signoff.current_actor(environment, actor)?,
    };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::LegalHold(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(record)
}

/// Every hold record, oldest first, with its entry.
async fn holds(signoff: &Signoff) -> Result<Vec<(LegalHoldRecord, u64)>, AppError> {
    signoff
        .store
        .records_of("legal_hold", None, None)
        .await?
        .into_iter()
        .map(|row| serde_json::from_str(&row.record).map(|record| (record, row.seq)).map_err(invalid))
        .collect()
}

/// Holds in force: (project, version or None for the whole project).
async fn active_holds(signoff: &Signoff) -> Result<Vec<LegalHoldRecord>, AppError> {
    let mut active: Vec<LegalHoldRecord> = Vec::new();
    for (record, _) in holds(signoff).await? {
        if record.lifted {
            active.retain(|hold| hold.id != record.id);
        } else {
            active.push(record);
        }
    }
    Ok(active)
}

/// Digests already purged, with the purge entry.
pub(crate) async fn purged(signoff: &Signoff) -> Result<HashMap<Digest, u64>, AppError> {
    let mut purged = HashMap::new();
    for row in signoff.store.records_of("retention_purge", None, None).await? {
        let record: PurgeRecord = serde_json::from_str(&row.record).map_err(invalid)?;
        for blob in record.blobs {
            purged.entry(blob.digest).or_insert(row.seq);
        }
    }
    Ok(purged)
}

/// What a retention run purged (or, dry, would purge).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionRun {
    /// True when nothing was changed.
    pub dry_run: bool,
    /// The retention in force, in days.
    pub retention_days: u64,
    /// The frameworks that set it.
    pub frameworks: Vec<String>,
    /// Evidence captured before this is past retention.
    pub cutoff: String,
    /// Blobs purged (or to purge).
    pub purged: Vec<PurgedBlob>,
    /// Blobs past retention kept because a hold covers them (entry, hold id).
    pub held: Vec<(u64, String)>,
    /// The purge's ledger entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
}

/// Purges raw evidence past retention and not on hold; with `only`, just the blob of
/// that evidence entry, which is refused if its retention has not ended or a hold
/// covers it.
///
/// # Errors
/// A retention refusal, a store failure, or a blob that cannot be deleted.
pub async fn apply(
    signoff: &Signoff,
    dry_run: bool,
    only: Option<u64>,
    actor: Option<&str>,
    environment: &Environment,
) -> Result<RetentionRun, AppError> {
    let catalog = signoff.catalog()?;
    let frameworks = signoff.frameworks()?;
    let retention = signoff_controls::retention_days(&catalog, &frameworks).map_err(invalid)?;
    let (days, deciding) = match retention {
        Some(retention) => (retention.days, retention.frameworks),
        None => (DEFAULT_RETENTION_DAYS, Vec::new()),
    };
    let now = now();
    let cutoff = now - time::Duration::days(i64::try_from(days).unwrap_or(i64::MAX / 86_400));
    let cutoff_text = cutoff.format(&Rfc3339).map_err(invalid)?;
    let holds = active_holds(signoff).await?;
    let already = purged(signoff).await?;
    let release_of_commit: HashMap<(String, String), String> = signoff
        .store
        .releases(None)
        .await?
        .into_iter()
        .map(|row| ((row.record.project.to_string(), row.record.commit.to_string()), row.record.version.to_string()))
        .collect();

    // Decide per digest: a blob goes only when every evidence row naming it is past
    // retention and not held (identical bytes are stored once).
    let mut candidates: Vec<PurgedBlob> = Vec::new();
    let mut keep: HashSet<Digest> = HashSet::new();
    let mut held = Vec::new();
    let mut from = 0;
    loop {
        let rows = signoff.store.evidence_rows(from, 5000).await?;
        let Some(last) = rows.last() else { break };
        from = last.seq + 1;
        for row in rows {
            let record = &row.record;
            let captured = OffsetDateTime::parse(&row.captured_at, &Rfc3339).map_err(invalid)?;
            let release = record.release.as_ref().map(ToString::to_string).or_else(|| {
                record.commit.as_ref().and_then(|commit| {
                    release_of_commit.get(&(record.project.to_string(), commit.to_string())).cloned()
                })
            });
            let hold = holds.iter().find(|hold| {
                hold.project == record.project
                    && hold.version.as_ref().is_none_or(|version| release.as_deref() == Some(version.as_str()))
            });
            let expired = captured < cutoff;
            if let Some(entry) = only
                && entry == row.seq
            {
                if !expired {
                    return Err(AppError::Invalid(format!(
                        "entry {entry} was captured {} and must be kept {days} days ({}); its retention ends {}",
                        row.captured_at,
                        if deciding.is_empty() { "default".to_owned() } else { deciding.join(", ") },
                        (captured + time::Duration::days(i64::try_from(days).unwrap_or(0)))
                            .format(&Rfc3339)
                            .map_err(invalid)?
                    )));
                }
                if let Some(hold) = hold {
                    return Err(AppError::Invalid(format!(
                        "entry {entry} is under legal hold {}: {}",
                        hold.id, hold.reason
                    )));
                }
            }
            if !expired || hold.is_some() || only.is_some_and(|entry| entry != row.seq) {
                keep.insert(record.digest);
                if expired && let Some(hold) = hold {
                    held.push((row.seq, hold.id.clone()));
                }
                continue;
            }
            if !already.contains_key(&record.digest) {
                candidates.push(PurgedBlob { digest: record.digest, entry: row.seq, size: record.size });
            }
        }
    }
    if let Some(entry) = only
        && !candidates.iter().any(|blob| blob.entry == entry)
    {
        let row = signoff.store.evidence_rows(entry, 1).await?.into_iter().next().filter(|row| row.seq == entry);
        return Err(match row {
            None => AppError::NotFound(format!("entry {entry} is not captured evidence")),
            Some(row) if already.contains_key(&row.record.digest) => {
                AppError::Invalid(format!("the blob of entry {entry} is already purged"))
            }
            Some(_) => AppError::Invalid(format!("entry {entry} cannot be purged now")),
        });
    }
    let before = candidates.len();
    candidates.retain(|blob| !keep.contains(&blob.digest));
    if only.is_some() && candidates.len() < before {
        return Err(AppError::Invalid(
            "its bytes are also the evidence of a capture still within retention or on hold; they stay until that one can go".into(),
        ));
    }
    let mut seen = HashSet::new();
    candidates.retain(|blob| seen.insert(blob.digest));

    let mut run = RetentionRun {
        dry_run,
        retention_days: days,
        frameworks: deciding.clone(),
        cutoff: cutoff_text,
        purged: candidates.clone(),
        held,
        entry: None,
    };
    if dry_run || candidates.is_empty() {
        return Ok(run);
    }
    // The purge is recorded before any blob goes: a crash in between leaves blobs
    // that the ledger says are purged (harmless), never blobs missing unexplained.
    let record = PurgeRecord {
        id: uuid::Uuid::now_v7().to_string(),
        blobs: candidates.clone(),
        retention_days: days,
        frameworks: deciding,
        actor: signoff.current_actor(environment, actor)?,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::RetentionPurge(Box::new(record))).await?;
    batch.commit(signoff).await?;
    for blob in &candidates {
        signoff.blobs.remove(&blob.digest).await?;
    }
    run.entry = Some(entry.seq);
    Ok(run)
}
