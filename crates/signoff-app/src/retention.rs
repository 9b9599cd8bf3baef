//! Retention and legal hold (E3). Raw evidence is kept for the longest retention of
//! the frameworks in force and while any hold covers it; after that, `retention
//! apply` purges the blob, keeping its digest and every ledger entry, and records
//! the purge in the ledger, so `ledger verify` still passes.
//!
//! What to purge is decided by `PurgePlan`, a pure fold over the evidence rows;
//! [`apply`] only reads the rows, and writes the purge.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use signoff_core::entry::Event;
use signoff_core::records::{Actor, ActorKind, LegalHoldRecord, PurgeRecord, PurgedBlob};
use signoff_core::{Digest, ProjectName, ReleaseVersion};
use signoff_store::{EvidenceRow, RecordQuery};
use time::{Duration, OffsetDateTime};

use crate::error::{AppError, Missing, Refusal};
use crate::home::Signoff;
use crate::ledger::now;
use crate::refuse::Attempt;
use crate::request::rfc3339;

/// Days kept when no framework is in force.
const DEFAULT_RETENTION_DAYS: u64 = 365;

/// A legal hold to place, or lift.
#[derive(Debug, Clone)]
pub struct Hold {
    /// The project held.
    pub project: ProjectName,
    /// Only this release of it.
    pub version: Option<ReleaseVersion>,
    /// Why.
    pub reason: String,
    /// Lift this hold instead of placing a new one.
    pub lift: Option<String>,
    /// Who.
    pub actor: Actor,
}

/// Places (or lifts) a legal hold on a project or one release.
///
/// # Errors
/// An empty reason, or lifting a hold that is not in force.
pub async fn hold(signoff: &Signoff, request: Hold) -> Result<LegalHoldRecord, AppError> {
    if request.reason.trim().is_empty() {
        return Err(AppError::Invalid("say why with --reason".into()));
    }
    if request.actor.kind != ActorKind::Human {
        let action = if request.lift.is_some() { "lift a legal hold" } else { "place a legal hold" };
        let refusal = Refusal::NotHuman { actor: request.actor.id.clone(), kind: request.actor.kind, action };
        let target = match &request.version {
            Some(version) => format!("{}@{version}", request.project),
            None => request.project.to_string(),
        };
        let attempt = Attempt {
            action: "hold",
            target,
            project: Some(request.project.clone()),
            version: request.version.clone(),
            actor: request.actor.clone(),
        };
        return Err(signoff.refuse(attempt, refusal).await);
    }
    let existing = holds(signoff).await?;
    let id = match &request.lift {
        Some(id) => {
            if !active(&existing).iter().any(|hold| hold.id == *id) {
                return Err(Missing::Hold(id.clone()).into());
            }
            id.clone()
        }
        None => format!("HOLD-{}", existing.iter().filter(|hold| !hold.lifted).count() + existing.len() + 1),
    };
    let record = LegalHoldRecord {
        id,
        project: request.project,
        version: request.version,
        reason: request.reason.trim().to_owned(),
        lifted: request.lift.is_some(),
        actor: request.actor,
    };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::LegalHold(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(record)
}

/// Every hold record, oldest first.
async fn holds(signoff: &Signoff) -> Result<Vec<LegalHoldRecord>, AppError> {
    let rows = signoff.store.records::<LegalHoldRecord>(&RecordQuery::default()).await?;
    Ok(rows.into_iter().map(|row| row.record).collect())
}

/// The holds in force after every placement and lift, in order.
fn active(records: &[LegalHoldRecord]) -> Vec<LegalHoldRecord> {
    let mut active: Vec<LegalHoldRecord> = Vec::new();
    for record in records {
        if record.lifted {
            active.retain(|hold| hold.id != record.id);
        } else {
            active.push(record.clone());
        }
    }
    active
}

/// Digests already purged, with the purge entry.
pub(crate) async fn purged(signoff: &Signoff) -> Result<HashMap<Digest, u64>, AppError> {
    let mut purged = HashMap::new();
    for row in signoff.store.records::<PurgeRecord>(&RecordQuery::default()).await? {
        for blob in row.record.blobs {
            purged.entry(blob.digest).or_insert(row.seq);
        }
    }
    Ok(purged)
}

/// What a retention run purged (or, dry, would purge).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RetentionRun {
    /// True when nothing was changed.
    pub dry_run: bool,
    /// The retention in force, in days.
    pub retention_days: u64,
    /// The frameworks that set it.
    pub frameworks: Vec<String>,
    /// Evidence captured before this is past retention.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub cutoff: OffsetDateTime,
    /// Blobs purged (or to purge).
    pub purged: Vec<PurgedBlob>,
    /// Blobs past retention kept because a hold covers them.
    pub held: Vec<HeldBlob>,
    /// The purge's ledger entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
}

/// Evidence past retention that a legal hold keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct HeldBlob {
    /// The evidence entry.
    pub entry: u64,
    /// The hold.
    pub hold: String,
}

/// A retention run to make.
#[derive(Debug, Clone)]
pub struct Retention {
    /// Decide only; change nothing.
    pub dry_run: bool,
    /// Purge only the blob of this evidence entry (refused if it must stay).
    pub only: Option<u64>,
    /// Who purges.
    pub actor: Actor,
}

/// The retention in force and what it keeps.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    /// Days evidence is kept.
    pub(crate) days: u64,
    /// The frameworks that set it (empty: the default).
    pub(crate) frameworks: Vec<String>,
    /// Evidence captured before this is past retention.
    pub(crate) cutoff: OffsetDateTime,
    /// Holds in force.
    pub(crate) holds: Vec<LegalHoldRecord>,
    /// Digests purged already.
    pub(crate) purged: HashMap<Digest, u64>,
    /// The release created at each (project, commit), for evidence captured by commit.
    pub(crate) release_of_commit: HashMap<(String, String), String>,
}

/// What to purge, decided one evidence row at a time.
///
/// A blob goes only when every evidence row naming it is past retention and not
/// held (identical bytes are stored once); with `only`, just the blob of that
/// entry, refused when it must stay.
#[derive(Debug)]
pub(crate) struct PurgePlan<'a> {
    rules: &'a Rules,
    only: Option<u64>,
    candidates: Vec<PurgedBlob>,
    keep: HashSet<Digest>,
    held: Vec<HeldBlob>,
    only_row: Option<Digest>,
}

impl<'a> PurgePlan<'a> {
    pub(crate) fn new(rules: &'a Rules, only: Option<u64>) -> PurgePlan<'a> {
        PurgePlan { rules, only, candidates: Vec::new(), keep: HashSet::new(), held: Vec::new(), only_row: None }
    }

    /// Considers one evidence row.
    ///
    /// # Errors
    /// The refusal when `only` names this row and it must stay.
    pub(crate) fn consider(&mut self, row: &EvidenceRow) -> Result<(), Refusal> {
        let rules = self.rules;
        let record = &row.record;
        let release = record.release.as_ref().map(ToString::to_string).or_else(|| {
            record.commit.as_ref().and_then(|commit| {
                rules.release_of_commit.get(&(record.project.to_string(), commit.to_string())).cloned()
            })
        });
        let hold = rules.holds.iter().find(|hold| {
            hold.project == record.project
                && hold.version.as_ref().is_none_or(|version| release.as_deref() == Some(version.as_str()))
        });
        let expired = row.captured_at < rules.cutoff;
        let chosen = self.only == Some(row.seq);
        if chosen {
            self.only_row = Some(record.digest);
            if !expired {
                return Err(Refusal::RetentionNotEnded {
                    entry: row.seq,
                    captured: rfc3339(row.captured_at),
                    days: rules.days,
                    basis: if rules.frameworks.is_empty() { "default".to_owned() } else { rules.frameworks.join(", ") },
                    ends: rfc3339(row.captured_at + days(rules.days)),
                });
            }
            if let Some(hold) = hold {
                return Err(Refusal::UnderHold { entry: row.seq, hold: hold.id.clone(), reason: hold.reason.clone() });
            }
        }
        if !expired || hold.is_some() || (self.only.is_some() && !chosen) {
            self.keep.insert(record.digest);
            if expired && let Some(hold) = hold {
                self.held.push(HeldBlob { entry: row.seq, hold: hold.id.clone() });
            }
        } else if !rules.purged.contains_key(&record.digest) {
            self.candidates.push(PurgedBlob { digest: record.digest, entry: row.seq, size: record.size });
        }
        Ok(())
    }

    /// The blobs to purge and those held.
    ///
    /// # Errors
    /// With `only`: the entry is not evidence, its blob is purged already, or its
    /// bytes are another capture's that must stay.
    pub(crate) fn finish(mut self) -> Result<(Vec<PurgedBlob>, Vec<HeldBlob>), AppError> {
        if let Some(entry) = self.only
            && !self.candidates.iter().any(|blob| blob.entry == entry)
        {
            return Err(match self.only_row {
                None => Missing::Evidence(entry).into(),
                Some(digest) if self.rules.purged.contains_key(&digest) => Refusal::AlreadyPurged { entry }.into(),
                Some(_) => AppError::Invalid(format!("entry {entry} cannot be purged now")),
            });
        }
        let before = self.candidates.len();
        self.candidates.retain(|blob| !self.keep.contains(&blob.digest));
        if self.only.is_some() && self.candidates.len() < before {
            return Err(Refusal::SharedBlob.into());
        }
        let mut seen = HashSet::new();
        self.candidates.retain(|blob| seen.insert(blob.digest));
        Ok((self.candidates, self.held))
    }
}

fn days(count: u64) -> Duration {
    Duration::days(i64::try_from(count).unwrap_or(i64::MAX / 86_400).min(i64::MAX / 86_400))
}

/// Purges raw evidence past retention and not on hold; with `only`, just the blob of
/// that evidence entry, which is refused if its retention has not ended or a hold
/// covers it.
///
/// # Errors
/// A retention refusal, a store failure, or a blob that cannot be deleted.
pub async fn apply(signoff: &Signoff, request: Retention) -> Result<RetentionRun, AppError> {
    let catalog = signoff.catalog()?;
    let frameworks = signoff.frameworks()?;
    let (days_kept, deciding) = match signoff_controls::retention_days(&catalog, &frameworks)? {
        Some(retention) => (retention.days, retention.frameworks),
        None => (DEFAULT_RETENTION_DAYS, Vec::new()),
    };
    let rules = Rules {
        days: days_kept,
        frameworks: deciding.clone(),
        cutoff: now() - days(days_kept),
        holds: active(&holds(signoff).await?),
        purged: purged(signoff).await?,
        release_of_commit: signoff
            .store
            .releases(None)
            .await?
            .into_iter()
            .map(|row| {
                ((row.record.project.to_string(), row.record.commit.to_string()), row.record.version.to_string())
            })
            .collect(),
    };
    let mut plan = PurgePlan::new(&rules, request.only);
    let mut from = 0;
    loop {
        let rows = signoff.store.evidence_rows(from, 5000).await?;
        let Some(last) = rows.last() else { break };
        from = last.seq + 1;
        for row in &rows {
            plan.consider(row)?;
        }
    }
    let (candidates, held) = plan.finish()?;
    let mut run = RetentionRun {
        dry_run: request.dry_run,
        retention_days: days_kept,
        frameworks: deciding.clone(),
        cutoff: rules.cutoff,
        purged: candidates.clone(),
        held,
        entry: None,
    };
    if request.dry_run || candidates.is_empty() {
        return Ok(run);
    }
    // The purge is recorded before any blob goes: a crash in between leaves blobs
    // that the ledger says are purged (harmless), never blobs missing unexplained.
    let record = PurgeRecord {
        id: uuid::Uuid::now_v7().to_string(),
        blobs: candidates.clone(),
        retention_days: days_kept,
        frameworks: deciding,
        actor: request.actor,
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

#[cfg(test)]
mod tests {
    use signoff_core::context::CiContext;
    use signoff_core::entry::{EvidenceRecord, FindingsCommitment};
    use signoff_core::records::ActorKind;
    use signoff_core::{CommitSha, EvidenceKind, Format, Summary, Tool};
    use time::macros::datetime;

    use super::*;

    fn row(seq: u64, blob: &str, captured_at: OffsetDateTime, version: Option<&str>) -> EvidenceRow {
        EvidenceRow {
            seq,
            captured_at,
            record: EvidenceRecord {
                id: format!("ev-{seq}"),
                project: ProjectName::new("shop").unwrap(),
                commit: Some(CommitSha::new(&"a".repeat(40)).unwrap()),
                release: version.map(|version| ReleaseVersion::new(version).unwrap()),
                kind: EvidenceKind::Sast,
                format: Format::Sarif,
                tool: Tool { name: "bandit".into(), version: None },
                file_name: "bandit.sarif".into(),
                digest: Digest::of(blob.as_bytes()),
                size: 100,
                original_digest: None,
                redacted: 0,
                summary: Summary::default(),
                findings: FindingsCommitment { count: 0, digest: Digest::of(b"") },
                context: CiContext::default(),
                produced_at: None,
                delivery: None,
                target: None,
            },
        }
    }

    fn hold(version: Option<&str>) -> LegalHoldRecord {
        LegalHoldRecord {
            id: "HOLD-1".into(),
            project: ProjectName::new("shop").unwrap(),
            version: version.map(|version| ReleaseVersion::new(version).unwrap()),
            reason: "litigation".into(),
            lifted: false,
            actor: Actor { id: "legal".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
        }
    }

    fn rules(holds: Vec<LegalHoldRecord>, purged: &[&str]) -> Rules {
        Rules {
            days: 365,
            frameworks: vec!["soc2".into()],
            cutoff: datetime!(2025-12-01 00:00:00 UTC),
            holds,
            purged: purged.iter().map(|blob| (Digest::of(blob.as_bytes()), 7)).collect(),
            release_of_commit: HashMap::from([(("shop".to_owned(), "a".repeat(40)), "1.0".to_owned())]),
        }
    }

    const OLD: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);
    const NEW: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);

    fn plan(rules: &Rules, only: Option<u64>, rows: &[EvidenceRow]) -> Result<Vec<u64>, AppError> {
        let mut plan = PurgePlan::new(rules, only);
        for row in rows {
            plan.consider(row)?;
        }
        Ok(plan.finish()?.0.iter().map(|blob| blob.entry).collect())
    }

    #[test]
    fn only_expired_unheld_blobs_no_other_capture_needs_are_purged() {
        let rows = [
            row(1, "old", OLD, None),
            row(2, "new", NEW, None),
            row(3, "shared", OLD, None),
            row(4, "shared", NEW, None),
            row(5, "purged", OLD, None),
            row(6, "old-copy", OLD, None),
            row(7, "old-copy", OLD, None),
        ];
        assert_eq!(plan(&rules(vec![], &["purged"]), None, &rows).unwrap(), [1, 6]);
        // A hold on the release the evidence belongs to (through its commit) keeps it.
        assert_eq!(plan(&rules(vec![hold(Some("1.0"))], &[]), None, &rows).unwrap(), Vec::<u64>::new());
        // A hold on another release does not.
        assert_eq!(plan(&rules(vec![hold(Some("2.0"))], &[]), None, &rows).unwrap(), [1, 5, 6]);
    }

    #[test]
    fn purging_one_entry_is_refused_with_the_reason() {
        let rows =
            [row(1, "old", OLD, None), row(2, "new", NEW, None), row(3, "new", OLD, None), row(4, "gone", OLD, None)];
        let refusal = |rules: &Rules, only| plan(rules, Some(only), &rows).unwrap_err().to_string();
        let free = rules(vec![], &["gone"]);
        assert_eq!(plan(&free, Some(1), &rows).unwrap(), [1]);
        assert!(
            refusal(&free, 2).starts_with("entry 2 was captured 2026-01-01T00:00:00Z and must be kept 365 days (soc2)")
        );
        assert!(refusal(&free, 3).starts_with("its bytes are also the evidence of a capture"));
        assert_eq!(refusal(&free, 4), "the blob of entry 4 is already purged");
        assert_eq!(refusal(&free, 9), "entry 9 is not captured evidence");
        assert_eq!(refusal(&rules(vec![hold(None)], &[]), 1), "entry 1 is under legal hold HOLD-1: litigation");
    }

    #[test]
    fn lifted_holds_stop_applying() {
        let placed = hold(None);
        let lifted = LegalHoldRecord { lifted: true, ..placed.clone() };
        let other = LegalHoldRecord { id: "HOLD-2".into(), ..placed.clone() };
        assert_eq!(active(&[placed.clone(), other.clone(), lifted]), [other]);
        assert_eq!(active(std::slice::from_ref(&placed)), [placed]);
    }
}
