//! Releases (B1): a project's version at a commit, with its artifacts. Evidence
//! captured at that commit (or for that version by name) belongs to it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use signoff_core::context::CiContext;
use signoff_core::entry::{Event, ReleaseRecord};
use signoff_core::records::{Actor, CertificateRecord, ChangeRecord, Decision};
use signoff_core::summary::{FindingCounts, TestCounts};
use signoff_core::{CommitSha, Digest, ProjectName, ReleaseRef};
use signoff_store::{ReleaseQuery, ReleaseRow, StoreError};
use time::OffsetDateTime;

use crate::error::{AppError, Missing, Refusal};
use crate::home::Signoff;
use crate::report::EvidenceReport;

impl Signoff {
    /// One release's row.
    ///
    /// # Errors
    /// [`Missing::Release`] when there is none; a store failure.
    pub(crate) async fn release_row(&self, release: &ReleaseRef) -> Result<ReleaseRow, AppError> {
        self.store
            .release(&release.project, &release.version)
            .await?
            .ok_or_else(|| Missing::Release(release.clone()).into())
    }
}

/// A request to create a release.
#[derive(Debug, Clone)]
pub struct CreateRelease {
    /// The release.
    pub release: ReleaseRef,
    /// The commit it is built from.
    pub commit: CommitSha,
    /// Artifact digests (duplicates are dropped).
    pub artifacts: Vec<Digest>,
    /// Who creates it.
    pub actor: Actor,
    /// The pipeline it is created in.
    pub context: CiContext,
    /// The git repository to read the release's changes from; none means the
    /// changes are not read (the record says so).
    pub repo: Option<PathBuf>,
}

/// A release with its evidence.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReleaseView {
    /// The release.
    #[serde(flatten)]
    pub release: ReleaseRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub created_at: OffsetDateTime,
    /// Its evidence, in capture order.
    pub evidence: Vec<EvidenceReport>,
    /// Totals over its evidence.
    pub totals: ReleaseTotals,
    /// The latest certificate's verdict, when certified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Verdict>,
}

/// A certificate's verdict and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verdict {
    /// Certified or rejected.
    pub decision: Decision,
    /// The certificate's ledger entry.
    pub entry: u64,
}

/// Findings and tests summed over a release's evidence.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReleaseTotals {
    /// Pieces of evidence.
    pub evidence: u64,
    /// Evidence kinds present, sorted.
    pub kinds: Vec<String>,
    /// Findings over all scans.
    pub findings: FindingCounts,
    /// Tests over all test reports.
    pub tests: TestCounts,
}

/// Creates a release.
///
/// # Errors
/// A version that exists already, or a store failure.
pub async fn create(signoff: &Signoff, request: CreateRelease) -> Result<ReleaseView, AppError> {
    let CreateRelease { release, commit, artifacts: given, actor, context, repo } = request;
    let mut artifacts: Vec<Digest> = Vec::new();
    for digest in given {
        if !artifacts.contains(&digest) {
            artifacts.push(digest);
        }
    }
    if let Some(existing) = signoff.store.release(&release.project, &release.version).await? {
        return Err(Refusal::ReleaseExists { release, entry: existing.seq }.into());
    }
    let previous_release = signoff.store.latest_release(&release.project).await?;
    let (changes, changes_note) = match &repo {
        Some(repo) => read_changes(signoff, repo, &commit, previous_release.as_ref().map(|row| &row.record)),
        None => (Vec::new(), Some("changes not read: no git repository was given".to_owned())),
    };
    let mut batch = signoff.begin_batch().await?;
    let previous = batch.tx().latest_release(&release.project).await?.map(|row| row.record.version);
    let record = ReleaseRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project: release.project.clone(),
        version: release.version.clone(),
        commit,
        artifacts,
        previous,
        actor: Some(actor.id),
        context,
        changes,
        changes_note,
    };
    match batch.append(Event::ReleaseCreated(Box::new(record))).await {
        Err(AppError::Store(StoreError::Conflict { what })) => return Err(Refusal::Exists { what }.into()),
        other => other?,
    };
    batch.commit(signoff).await?;
    show(signoff, &release).await
}

/// Reads the commits since the previous release from git (B1): `(changes, note)`,
/// the note saying why the list is empty or partial when it is.
fn read_changes(
    signoff: &Signoff,
    path: &std::path::Path,
    commit: &CommitSha,
    previous: Option<&ReleaseRecord>,
) -> (Vec<ChangeRecord>, Option<String>) {
    let repo = match signoff_git::open(path) {
        Ok(repo) => repo,
        Err(error) => return (Vec::new(), Some(format!("changes not read: {error}"))),
    };
    let mut options = signoff_git::ChangesOptions::default();
    if let Some(file) = &signoff.config.git.allowed_signers {
        match signoff_git::AllowedSigners::read(&signoff.home().join(file)) {
            Ok(signers) => options.keys.allowed_signers = Some(signers),
            Err(error) => return (Vec::new(), Some(format!("changes not read: {error}"))),
        }
    }
    if let Some(file) = &signoff.config.git.openpgp_keys {
        match signoff_git::OpenPgpKeys::read(&signoff.home().join(file)) {
            Ok(keys) => options.keys.openpgp = Some(keys),
            Err(error) => return (Vec::new(), Some(format!("changes not read: {error}"))),
        }
    }
    // The previous release's commit bounds the range when this repository has it.
    let base = previous.map(|release| release.commit.to_string()).filter(|base| repo.resolve(base).is_ok());
    let changes = match repo.changes(base.as_deref(), commit.as_str(), &options) {
        Ok(changes) => changes,
        Err(error) => return (Vec::new(), Some(format!("changes not read: {error}"))),
    };
    let records = changes.iter().map(|change| signoff.change_record(change)).collect();
    let note = match (&base, previous) {
        (None, Some(previous)) => Some(format!(
            "the previous release's commit {} is not in this repository; changes are all ancestors of {commit}",
            previous.commit
        )),
        _ => None,
    };
    (records, note)
}

/// A release and its evidence.
///
/// # Errors
/// [`Missing::Release`] when there is no such release.
pub async fn show(signoff: &Signoff, release: &ReleaseRef) -> Result<ReleaseView, AppError> {
    let row = signoff.release_row(release).await?;
    let evidence_rows = signoff.store.release_evidence(&row.record).await?;
    let latest = signoff
        .store
        .records_of::<CertificateRecord>(Some(release.project.as_str()), Some(release.version.as_str()))
        .await?
        .pop();
    // B4: the evidence the latest certification was decided on.
    let sealed = latest
        .as_ref()
        .map(|row| crate::certify::sealed_evidence(signoff, &crate::certify::CertificateView::from(row.clone())))
        .transpose()?;
    let mut totals = ReleaseTotals::default();
    let mut evidence = Vec::new();
    for evidence_row in &evidence_rows {
        let record = &evidence_row.record;
        totals.evidence += 1;
        let kind = record.kind.to_string();
        if !totals.kinds.contains(&kind) {
            totals.kinds.push(kind);
        }
        if let Some(counts) = &record.summary.findings {
            totals.findings.merge(counts);
        }
        if let Some(tests) = &record.summary.tests {
            totals.tests.merge(tests);
        }
        let mut report = EvidenceReport::from_record(record.file_name.clone(), evidence_row.seq, record);
        if let Some(captured) = report.captured.as_mut() {
            captured.post_certification = sealed.as_ref().is_some_and(|sealed| !sealed.contains(&record.digest));
        }
        evidence.push(report);
    }
    totals.kinds.sort();
    let certificate =
        latest.map(|certificate| Verdict { decision: certificate.record.decision, entry: certificate.seq });
    Ok(ReleaseView { release: row.record, entry: row.seq, created_at: row.created_at, evidence, totals, certificate })
}

/// Which releases to list.
#[derive(Debug, Clone, Default)]
pub struct ReleaseList {
    /// Only this project.
    pub project: Option<ProjectName>,
    /// Only releases whose latest certificate says this (or never certified).
    pub status: Option<crate::audit::ReleaseStatus>,
    /// Only releases older than this ledger entry (the previous page's last
    /// release's `entry`): the next page.
    pub before: Option<u64>,
    /// Only releases deployed to this environment.
    pub environment: Option<String>,
    /// Only releases created in this period.
    pub period: crate::request::Period,
    /// Only releases whose project, version or commit contains this text (any case).
    pub search: Option<String>,
    /// At most this many, newest first.
    pub limit: u64,
}

/// One release in a list.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReleaseLine {
    /// The release.
    pub release: ReleaseRef,
    /// Its commit.
    pub commit: CommitSha,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub created_at: OffsetDateTime,
    /// Its ledger entry.
    pub entry: u64,
    /// Its latest certificate's decision, when certified.
    pub decision: Option<Decision>,
    /// That certificate's ledger entry.
    pub certificate_entry: Option<u64>,
    /// Environments it was deployed to.
    pub deployed_to: Vec<String>,
}

/// A page of releases.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The releases, newest first.
    pub releases: Vec<ReleaseLine>,
    /// How many more match after these.
    pub more: u64,
    /// More matched than were counted ([`signoff_store::RELEASES_COUNTED`] from
    /// the page on): `more` is then a lower bound.
    pub more_is_lower_bound: bool,
}

/// Lists releases, newest first, with their verdicts.
///
/// # Errors
/// A store failure.
pub async fn list(signoff: &Signoff, query: &ReleaseList) -> Result<Listed, AppError> {
    let project = query.project.as_ref().map(ProjectName::as_str);
    let (from, to) = query.period.bounds();
    let (rows, total) = signoff
        .store
        .release_page(&ReleaseQuery {
            project,
            status: query.status.map(crate::audit::ReleaseStatus::as_str),
            before: query.before,
            environment: query.environment.as_deref(),
            from: from.as_deref(),
            to: to.as_deref(),
            search: query.search.as_deref(),
            limit: query.limit,
            count: true,
        })
        .await?;
    let releases: Vec<ReleaseLine> = rows
        .into_iter()
        .map(|row| {
            let record = row.release.record;
            ReleaseLine {
                release: ReleaseRef::new(record.project, record.version),
                commit: record.commit,
                created_at: row.release.created_at,
                entry: row.release.seq,
                decision: row.certificate.as_ref().map(|(decision, _)| {
                    if decision == Decision::Certified.as_str() { Decision::Certified } else { Decision::Rejected }
                }),
                certificate_entry: row.certificate.map(|(_, entry)| entry),
                deployed_to: row.deployed_to,
            }
        })
        .collect();
    let more = total.saturating_sub(releases.len() as u64);
    Ok(Listed { releases, more, more_is_lower_bound: total >= signoff_store::RELEASES_COUNTED })
}

/// The bytes of a release's evidence, as they were captured (redacted secrets
/// aside), with what they are.
#[derive(Debug, Clone)]
pub struct RawEvidence {
    /// The file's name when captured.
    pub file: String,
    /// Its format.
    pub format: signoff_core::Format,
    /// Its digest (of the bytes held).
    pub digest: Digest,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The raw bytes of one piece of `release`'s evidence, named by digest.
///
/// # Errors
/// [`Missing::Release`]; [`Missing::Blob`] when the release holds no evidence
/// with that digest or its bytes were purged (retention); a store failure.
pub async fn raw_evidence(signoff: &Signoff, release: &ReleaseRef, digest: &Digest) -> Result<RawEvidence, AppError> {
    let row = signoff.release_row(release).await?;
    let evidence = signoff.store.release_evidence(&row.record).await?;
    let Some(item) = evidence.into_iter().find(|item| item.record.digest == *digest) else {
        return Err(Missing::Blob(*digest).into());
    };
    let bytes = signoff.blobs.get(digest).await?.ok_or(Missing::Blob(*digest))?;
    Ok(RawEvidence { file: item.record.file_name, format: item.record.format, digest: *digest, bytes })
}

/// The release the user most likely meant when `wanted` does not exist: a version
/// of the same project a typo or two away, or the same version of a project
/// whose name is. For "did you mean" hints; it looks at the newest releases only.
///
/// # Errors
/// A store failure.
pub async fn suggest(signoff: &Signoff, wanted: &ReleaseRef) -> Result<Option<ReleaseRef>, AppError> {
    const LOOKED_AT: u64 = 2000;
    let page = |project| ReleaseQuery { project, limit: LOOKED_AT, ..ReleaseQuery::default() };
    let (same_project, _) = signoff.store.release_page(&page(Some(wanted.project.as_str()))).await?;
    let versions = same_project.iter().map(|row| &row.release.record);
    if let Some(found) = versions
        .filter(|record| close(wanted.version.as_str(), record.version.as_str()))
        .min_by_key(|record| strsim::damerau_levenshtein(wanted.version.as_str(), record.version.as_str()))
    {
        return Ok(Some(ReleaseRef::new(found.project.clone(), found.version.clone())));
    }
    let (all, _) = signoff.store.release_page(&page(None)).await?;
    let found = all
        .iter()
        .map(|row| &row.release.record)
        .filter(|record| record.project != wanted.project && close(wanted.project.as_str(), record.project.as_str()))
        .min_by_key(|record| {
            let version_differs = record.version != wanted.version;
            (version_differs, strsim::damerau_levenshtein(wanted.project.as_str(), record.project.as_str()))
        });
    Ok(found.map(|record| ReleaseRef::new(record.project.clone(), record.version.clone())))
}

/// Whether a name is a typo or two away from another: a few edits, at most a
/// third of its length.
fn close(a: &str, b: &str) -> bool {
    strsim::damerau_levenshtein(a, b) <= (a.chars().count() / 3).clamp(1, 3)
}

/// Checks that the store knows a project: it holds evidence or a release of it.
/// Commands that read or configure a project call this so that a typo is not
/// answered with an empty result (capture, which starts a project, does not).
///
/// # Errors
/// [`Missing::Project`], naming the closest known project when one is close; a
/// store failure.
pub async fn known_project(signoff: &Signoff, project: &ProjectName) -> Result<(), AppError> {
    if signoff.store.has_project(project.as_str()).await? {
        return Ok(());
    }
    // Only a mistake pays for reading the names to suggest one.
    const PAGE: u64 = 1000;
    let mut known: Vec<String> = Vec::new();
    loop {
        let page = signoff.store.evidence_projects(known.last().map(String::as_str), PAGE).await?;
        let full = page.len() as u64 == PAGE;
        known.extend(page);
        if !full {
            break;
        }
    }
    let query = ReleaseQuery { limit: 2000, ..ReleaseQuery::default() };
    let (releases, _) = signoff.store.release_page(&query).await?;
    known.extend(releases.into_iter().map(|row| row.release.record.project.as_str().to_owned()));
    let closest = known
        .iter()
        .filter(|name| close(project.as_str(), name))
        .min_by_key(|name| strsim::damerau_levenshtein(project.as_str(), name))
        .and_then(|name| ProjectName::new(name).ok());
    Err(Missing::Project { project: project.clone(), closest }.into())
}
