//! Releases (B1): a project's version at a commit, with its artifacts. Evidence
//! captured at that commit (or for that version by name) belongs to it.

use serde::Serialize;
use signoff_core::entry::{Event, ReleaseRecord};
use signoff_core::records::ChangeRecord;
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
    /// The git repository to read the release's changes from (default: the
    /// current directory's).
    pub repo: Option<std::path::PathBuf>,
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
    /// The latest certificate's decision and ledger entry, when certified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<(String, u64)>,
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
    let previous_release = signoff.store.latest_release(&project).await?;
    let (changes, changes_note) =
        read_changes(signoff, &request, &commit, previous_release.as_ref().map(|row| &row.record));
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
        changes,
        changes_note,
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

/// Reads the commits since the previous release from git (B1): `(changes, note)`,
/// the note saying why the list is empty or partial when it is.
fn read_changes(
    signoff: &Signoff,
    request: &CreateRelease,
    commit: &CommitSha,
    previous: Option<&ReleaseRecord>,
) -> (Vec<ChangeRecord>, Option<String>) {
    let path = request.repo.clone().unwrap_or_else(|| std::path::PathBuf::from("."));
    let repo = match signoff_git::open(&path) {
        Ok(repo) => repo,
        Err(error) => return (Vec::new(), Some(format!("changes not read: {error}"))),
    };
    let mut options = signoff_git::ChangesOptions::default();
    if let Some(file) = &signoff.config.git.allowed_signers {
        let file = signoff.home().join(file);
        match signoff_git::AllowedSigners::read(&file) {
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
    let patterns = signoff.actor_patterns();
    let records = changes
        .iter()
        .map(|change| ChangeRecord {
            commit: change.commit.clone(),
            summary: change.summary.clone(),
            author: signoff.person(&change.author),
            committer: signoff.person(&change.committer),
            co_authors: change.co_authors.iter().map(|person| signoff.person(person)).collect(),
            trailers: change.trailers.iter().map(|trailer| (trailer.key.clone(), trailer.value.clone())).collect(),
            pr: change.pr,
            merge: change.merge,
            signature: match change.signature.status {
                signoff_git::SignatureStatus::Unsigned => "none",
                signoff_git::SignatureStatus::Unverified => "unverified",
                signoff_git::SignatureStatus::Verified => "verified",
                signoff_git::SignatureStatus::Bad => "bad",
            }
            .to_owned(),
            signature_kind: change.signature.kind.map(|kind| {
                match kind {
                    signoff_git::SignatureKind::Ssh => "ssh",
                    signoff_git::SignatureKind::Gpg => "gpg",
                    signoff_git::SignatureKind::X509 => "x509",
                }
                .to_owned()
            }),
            agents: patterns.agents(change).into_iter().map(|agent| agent.identity).collect(),
        })
        .collect();
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
/// [`AppError::NotFound`] when there is no such release.
pub async fn show_release(signoff: &Signoff, project: &str, version: &str) -> Result<ReleaseView, AppError> {
    let project = ProjectName::new(project).map_err(invalid)?;
    let version = ReleaseVersion::new(version).map_err(invalid)?;
    let row =
        signoff.store.release(&project, &version).await?.ok_or_else(|| {
            AppError::NotFound(format!("no release {project}@{version} (see `signoff release create`)"))
        })?;
    let evidence_rows = signoff.store.release_evidence(&row.record).await?;
    let certified_at = crate::certify::certificates(signoff, Some(project.as_str()), Some(version.as_str()))
        .await?
        .last()
        .map(|certificate| certificate.entry);
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
        let mut report = EvidenceReport::from_record(record.file_name.clone(), evidence_row.seq, record);
        if let Some(captured) = report.captured.as_mut() {
            captured.post_certification = certified_at.is_some_and(|certified| evidence_row.seq > certified);
        }
        evidence.push(report);
    }
    totals.kinds.sort();
    let certificate = crate::certify::certificates(signoff, Some(project.as_str()), Some(version.as_str()))
        .await?
        .pop()
        .map(|certificate| (certificate.record.decision, certificate.entry));
    Ok(ReleaseView { release: row.record, entry: row.seq, created_at: row.created_at, evidence, totals, certificate })
}
