//! Deployments and environment snapshots (B3): what was deployed where, by whom,
//! and whether anything running was never certified.

use serde::{Deserialize, Serialize};
use signoff_core::context::CiContext;
use signoff_core::entry::Event;
use signoff_core::entry::ReleaseRecord;
use signoff_core::records::{
    Actor, ApprovalDecision, ApprovalRecord, DeploymentRecord, RevocationRecord, SnapshotRecord,
};
use signoff_core::{Digest, ReleaseRef};

use crate::certify::certificates;
use crate::error::{AppError, Refusal};
use crate::home::Signoff;
use crate::refuse::Attempt;

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
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Deployed {
    /// The record.
    #[serde(flatten)]
    pub record: DeploymentRecord,
    /// Its ledger entry.
    pub entry: u64,
}

/// A deployment to record.
#[derive(Debug, Clone)]
pub struct RecordDeployment {
    /// The release deployed.
    pub release: ReleaseRef,
    /// Where (`prod`, `staging`).
    pub environment: String,
    /// Who deployed.
    pub actor: Actor,
    /// The pipeline that deployed.
    pub context: CiContext,
}

/// Records that a release was deployed to an environment. The deployment is
/// recorded whatever its state (it happened); problems are recorded with it.
///
/// # Errors
/// An unknown release, a bad environment name, or a deployer who approved or
/// authored the release where the policy in force separates duties (the attempt
/// is ledgered).
pub async fn record(signoff: &Signoff, request: RecordDeployment) -> Result<Deployed, AppError> {
    let RecordDeployment { release, environment: environment_name, actor: deployer, context } = request;
    let environment_name = environment_name.as_str();
    check_environment(environment_name)?;
    let row = signoff.release_row(&release).await?;
    let (project, version) = (release.project, release.version);
    let mut problems = Vec::new();
    let revoked: Vec<String> = signoff
        .store
        .records_of::<RevocationRecord>(Some(project.as_str()), Some(version.as_str()))
        .await?
        .into_iter()
        .map(|row| row.record.certificate)
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
    // Where the policy in force says so, that is a refusal (D6); elsewhere it is
    // recorded as a problem of the deployment.
    let conflicts = deployer_conflicts(signoff, &row.record, &deployer).await?;
    if !conflicts.is_empty() {
        let policy = crate::gate::InForce::of(signoff, &project, Some(environment_name)).await?;
        if policy.separates_duties {
            let refusal = Refusal::DeployerConflict {
                actor: deployer.id.clone(),
                release: format!("{project}@{version}"),
                why: format!("{}; policy {} separates duties", conflicts.join("; "), policy.name),
            };
            let attempt = Attempt::on_release("deploy", &ReleaseRef { project, version }, &deployer);
            return Err(signoff.refuse(attempt, refusal).await);
        }
        problems.extend(conflicts.into_iter().map(|conflict| format!("{} {conflict}", deployer.id)));
    }
    let record = DeploymentRecord {
        id: uuid::Uuid::now_v7().to_string(),
        project,
        version,
        environment: environment_name.to_owned(),
        artifacts: row.record.artifacts.clone(),
        certificate,
        actor: deployer,
        context,
        problems,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::DeploymentRecorded(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(Deployed { record, entry: entry.seq })
}

/// How `deployer` took part in a release: approved it (in a role), or authored
/// one of its changes. Empty when they took no part.
pub(crate) async fn deployer_conflicts(
    signoff: &Signoff,
    release: &ReleaseRecord,
    deployer: &Actor,
) -> Result<Vec<String>, AppError> {
    let mut conflicts = Vec::new();
    let approvals = signoff
        .store
        .records_of::<ApprovalRecord>(Some(release.project.as_str()), Some(release.version.as_str()))
        .await?;
    for approval in approvals {
        let record = approval.record;
        if record.actor.id == deployer.id && record.decision == ApprovalDecision::Approve {
            conflicts.push(format!("approved it as {}", record.role));
        }
    }
    for change in &release.changes {
        let authors = std::iter::once(&change.author).chain(change.co_authors.iter());
        if authors
            .into_iter()
            .any(|person| person.email.eq_ignore_ascii_case(&deployer.id) || person.name == deployer.id)
        {
            conflicts.push(format!("authored its change {}", &change.commit[..12.min(change.commit.len())]));
        }
    }
    conflicts.dedup();
    Ok(conflicts)
}

/// A recorded snapshot.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Snapshot {
    /// The record.
    #[serde(flatten)]
    pub record: SnapshotRecord,
    /// Its ledger entry.
    pub entry: u64,
    /// For each artifact, whether a valid certificate covers it and why (`verdicts`
    /// in JSON: the record's `artifacts` are the digests).
    #[serde(rename = "verdicts")]
    pub artifacts: Vec<RunningArtifact>,
}

/// One artifact of a snapshot, as the gate judged it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunningArtifact {
    /// Its digest.
    pub artifact: Digest,
    /// Whether a valid certificate covers it for the environment.
    pub certified: bool,
    /// Why, in a sentence.
    pub reason: String,
}

/// Records what runs in an environment and reports anything never certified for it.
///
/// # Errors
/// No artifacts, or a bad environment name.
pub async fn snapshot(
    signoff: &Signoff,
    environment_name: &str,
    artifacts: &[Digest],
    actor: Actor,
) -> Result<Snapshot, AppError> {
    check_environment(environment_name)?;
    if artifacts.is_empty() {
        return Err(AppError::Invalid("name what runs there: --artifact sha256:<hex> (repeat for each)".into()));
    }
    let mut digests = Vec::new();
    for digest in artifacts {
        if !digests.contains(digest) {
            digests.push(*digest);
        }
    }
    let mut uncertified = Vec::new();
    let mut judged = Vec::new();
    for digest in &digests {
        let decision = crate::gate::gate(signoff, *digest, Some(environment_name)).await?;
        if !decision.allowed {
            uncertified.push(*digest);
        }
        judged.push(RunningArtifact { artifact: *digest, certified: decision.allowed, reason: decision.reason });
    }
    let record = SnapshotRecord {
        id: uuid::Uuid::now_v7().to_string(),
        environment: environment_name.to_owned(),
        artifacts: digests,
        uncertified,
        actor,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::SnapshotRecorded(Box::new(record.clone()))).await?;
    batch.commit(signoff).await?;
    Ok(Snapshot { record, entry: entry.seq, artifacts: judged })
}
