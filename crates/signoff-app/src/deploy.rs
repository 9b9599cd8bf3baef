//! Deployments and environment snapshots (B3): what was deployed where, by whom,
//! and whether anything running was never certified.

use serde::Serialize;
use signoff_core::Digest;
use signoff_core::entry::Event;
use signoff_core::records::{ApprovalRecord, DeploymentRecord, SnapshotRecord};

use crate::certify::certificates;
use crate::decisions::parse_release;
use crate::error::AppError;
use crate::home::{Environment, Signoff};

fn check_environment(environment: &str) -> Result<(), AppError> {
    let valid = !environment.is_empty()
        && environment.len() <= 64
        && environment
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(AppError::Invalid(format!("environment {environment:?}: use letters, digits, '-', '_' or '.'")))
    }
}

/// A recorded deployment.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    /// The record.
    #[serde(flatten)]
    pub record: DeploymentRecord,
    /// Its ledger entry.
    pub entry: u64,
}

/// Records that a release was deployed to an environment. The deployment is
/// recorded whatever its state (it happened); problems are recorded with it.
///
/// # Errors
/// An unknown release or a bad environment name.
pub async fn record_deployment(
    signoff: &Signoff,
    release: &str,
    environment_name: &str,
    actor: Option<&str>,
    environment: &Environment,
) -> Result<Deployed, AppError> {
    check_environment(environment_name)?;
    let (project, version) = parse_release(release)?;
    let row = signoff
        .store
        .release(&project, &version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no release {project}@{version}")))?;
    let deployer = signoff.current_actor(environment, actor)?;
    let mut problems = Vec::new();
    let revoked: Vec<String> = signoff
        .store
        .records_of("certificate_revoked", Some(project.as_str()), Some(version.as_str()))
        .await?
        .into_iter()
        .map(|row| row.id)
        .collect();
    let latest = certificates(signoff, Some(project.as_str()), Some(version.as_str())).await?.pop();
    let certificate = match latest {
        Some(view) if revoked.contains(&view.record.id) => {
            problems.push(format!("its certificate {} was revoked", view.record.id));
            None
        }
        Some(view) if view.record.certifies(Some(environment_name)) => Some(view.record.id),
        Some(view) => {
            problems.push(format!(
                "its latest certificate {} is {} for {environment_name}",
                view.record.id, view.record.decision
            ));
            None
        }
        None => {
            problems.push("it was never certified".into());
            None
        }
    };
    // Separation of duties: the deployer did not approve or author the release.
    for approval in
        signoff.store.records_of("approval_recorded", Some(project.as_str()), Some(version.as_str())).await?
    {
        let record: ApprovalRecord =
            serde_json::from_str(&approval.record).map_err(|error| AppError::Invalid(error.to_string()))?;
        if record.actor.id == deployer.id {
            problems.push(format!("{} deploys a release they approved as {}", deployer.id, record.role));
        }
    }
    for change in &row.record.changes {
        let authors = std::iter::once(&change.author).chain(change.co_authors.iter());
        if authors.into_iter().any(|person| person.email == deployer.id || person.name == deployer.id) {
            problems.push(format!("{} deploys a release with their own change {}", deployer.id, &change.commit[..12]));
        }
    }
    let record = DeploymentRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project,
        version,
        environment: environment_name.to_owned(),
        artifacts: row.record.artifacts.clone(),
        certificate,
        actor: deployer,
        context: environment.ci_context(),
        problems,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::DeploymentRecorded(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(Deployed { record, entry: entry.seq })
}

/// A recorded snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// The record.
    #[serde(flatten)]
    pub record: SnapshotRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// For each artifact, why it is (or is not) covered.
    pub reasons: Vec<(Digest, String)>,
}

/// Records what runs in an environment and reports anything never certified for it.
///
/// # Errors
/// A bad digest or environment name.
pub async fn snapshot(
    signoff: &Signoff,
    environment_name: &str,
    artifacts: &[String],
    actor: Option<&str>,
    environment: &Environment,
) -> Result<Snapshot, AppError> {
    check_environment(environment_name)?;
    if artifacts.is_empty() {
        return Err(AppError::Invalid("name what runs there: --artifact sha256:<hex> (repeat for each)".into()));
    }
    let mut digests = Vec::new();
    for text in artifacts {
        let digest: Digest =
            text.parse().map_err(|error: signoff_core::DigestParseError| AppError::Invalid(error.to_string()))?;
        if !digests.contains(&digest) {
            digests.push(digest);
        }
    }
    let mut uncertified = Vec::new();
    let mut reasons = Vec::new();
    for digest in &digests {
        let decision = crate::gate::gate(signoff, &digest.to_string(), Some(environment_name)).await?;
        if !decision.allowed {
            uncertified.push(*digest);
        }
        reasons.push((*digest, decision.reason));
    }
    let record = SnapshotRecord {
        id: uuid::Uuid::now_v7().to_string(),
        environment: environment_name.to_owned(),
        artifacts: digests,
        uncertified,
        actor: signoff.current_actor(environment, actor)?,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::SnapshotRecorded(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(Snapshot { record, entry: entry.seq, reasons })
}
