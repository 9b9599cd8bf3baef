//! Releases (B1): a project's version at a commit, with its artifacts. Evidence
//! captured at that commit (or for that version by name) belongs to it.

use serde::Serialize;
use signoff_core::entry::{Event, ReleaseRecord};
use signoff_core::summary::{FindingCounts, TestCounts};
use signoff_core::{CommitSha, Digest, ProjectName, ReleaseVersion};
use signoff_store::StoreError;

use crate::error::AppError;
use crate::home::{Environment, Signoff};
use crate::report::EvidenceReport;

/// A request to create a release.
#[derive(Debug, Clone)]
pub struct CreateRelease {
    /// Project.
    pub project: String,
    /// Version.
    pub version: String,
    /// Commit; detected from CI when absent.
    pub commit: Option<String>,
    /// Artifact digests, `sha256:<hex>`.
    pub artifacts: Vec<String>,
    /// Who creates it; detected when absent.
    pub actor: Option<String>,
    /// Environment, for CI context.
    pub environment: Environment,
}

/// A release with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseView {
    /// The release.
    #[serde(flatten)]
    pub release: ReleaseRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// When it was created.
    pub created_at: String,
    /// Its evidence, in capture order.
    pub evidence: Vec<EvidenceReport>,
    /// Totals over its evidence.
    pub totals: ReleaseTotals,
}

/// Findings and tests summed over a release's evidence.
#[derive(Debug, Clone, Default, Serialize)]
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

fn invalid(error: impl ToString) -> AppError {
    AppError::Invalid(error.to_string())
}

/// Creates a release.
///
/// # Errors
/// Bad names or digests, a missing commit, or a version that exists already.
pub async fn create_release(signoff: &Signoff, request: CreateRelease) -> Result<ReleaseView, AppError> {
    let project = ProjectName::new(&request.project).map_err(invalid)?;
    let version = ReleaseVersion::new(&request.version).map_err(invalid)?;
    let detected = request.environment.ci_context();
    let commit_text = request.commit.clone().or_else(|| detected.commit.clone()).ok_or_else(|| {
        AppError::Invalid("no commit: pass --commit SHA (in CI it is taken from the pipeline)".into())
    })?;
    let commit = CommitSha::new(&commit_text).map_err(invalid)?;
    let mut artifacts = Vec::new();
    for text in &request.artifacts {
        let digest: Digest = text.parse().map_err(invalid)?;
        if !artifacts.contains(&digest) {
            artifacts.push(digest);
        }
    }
    if let Some(existing) = signoff.store.release(&project, &version).await? {
        return Err(AppError::Invalid(format!(
            "release {project}@{version} already exists (ledger entry {})",
            existing.seq
        )));
    }
    let mut batch = signoff.begin_batch().await?;
    let previous = batch.tx().latest_release(&project).await?.map(|row| row.record.version);
    let record = ReleaseRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project: project.clone(),
        version: version.clone(),
        commit,
        artifacts,
        previous,
        actor: request.actor.clone().or(detected.actor.clone()).or_else(|| request.environment.var("USER")),
        context: detected,
        changes: Vec::new(),
        changes_note: None,
    };
    match batch.append(Event::ReleaseCreated(Box::new(record))).await {
        Err(AppError::Store(StoreError::Conflict { what })) => {
            return Err(AppError::Invalid(format!("{what} already exists")));
        }
        other => other?,
    };
    batch.commit(signoff).await?;
    show_release(signoff, &project.to_string(), &version.to_string()).await
}

/// A release and its evidence.
///
/// # Errors
/// [`AppError::NotFound`] when there is no such release.
pub async fn show_release(signoff: &Signoff, project: &str, version: &str) -> Result<ReleaseView, AppError> {
    let project = ProjectName::new(project).map_err(invalid)?;
    let version = ReleaseVersion::new(version).map_err(invalid)?;
    let row =
        signoff.store.release(&project, &version).await?.ok_or_else(|| {
            AppError::NotFound(format!("no release {project}@{version} (see `signoff release create`)"))
        })?;
    let evidence_rows = signoff.store.release_evidence(&row.record).await?;
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
            let sum = &mut totals.findings;
            sum.total += counts.total;
            sum.suppressed += counts.suppressed;
            sum.critical += counts.critical;
            sum.high += counts.high;
            sum.medium += counts.medium;
            sum.low += counts.low;
            sum.info += counts.info;
        }
        if let Some(tests) = &record.summary.tests {
            let sum = &mut totals.tests;
            sum.total += tests.total;
            sum.passed += tests.passed;
            sum.failed += tests.failed;
            sum.errored += tests.errored;
            sum.skipped += tests.skipped;
        }
        evidence.push(EvidenceReport::from_record(record.file_name.clone(), evidence_row.seq, record));
    }
    totals.kinds.sort();
    Ok(ReleaseView { release: row.record, entry: row.seq, created_at: row.created_at, evidence, totals })
}
