//! Refusals leave a trace (J2, C1): a privileged action that a rule refuses is
//! recorded as an `action_refused` ledger entry naming who tried what and why, in
//! its own write batch, and the use case still answers with the refusal.

use signoff_core::entry::Event;
use signoff_core::records::{Actor, RefusalRecord};
use signoff_core::{ProjectName, ReleaseRef, ReleaseVersion};

use crate::error::{AppError, Refusal};
use crate::home::Signoff;

/// A privileged action someone tried.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// What (`approve`, `exception approve`, `certify`, ...).
    pub(crate) action: &'static str,
    /// On what (`shop@1.4.0`, `EXC-3`, a policy file).
    pub(crate) target: String,
    /// The project concerned, if any.
    pub(crate) project: Option<ProjectName>,
    /// The release version concerned, if any.
    pub(crate) version: Option<ReleaseVersion>,
    /// Who.
    pub(crate) actor: Actor,
}

impl Attempt {
    /// An attempt on a release.
    pub(crate) fn on_release(action: &'static str, release: &ReleaseRef, actor: &Actor) -> Attempt {
        Attempt {
            action,
            target: release.to_string(),
            project: Some(release.project.clone()),
            version: Some(release.version.clone()),
            actor: actor.clone(),
        }
    }

    /// An attempt on something else (an exception, a policy file).
    pub(crate) fn on(action: &'static str, target: impl Into<String>, actor: &Actor) -> Attempt {
        Attempt { action, target: target.into(), project: None, version: None, actor: actor.clone() }
    }

    /// The same attempt, concerning `project`.
    pub(crate) fn for_project(mut self, project: Option<ProjectName>) -> Attempt {
        self.project = project;
        self
    }
}

impl Signoff {
    /// Records that `attempt` was refused for `refusal` and returns the refusal
    /// as the error to answer with. When the record cannot be written, that
    /// failure is the answer: a refusal nobody can see is not what was asked for.
    pub(crate) async fn refuse(&self, attempt: Attempt, refusal: Refusal) -> AppError {
        let record = RefusalRecord {
            id: uuid::Uuid::now_v7().to_string(),
            action: attempt.action.to_owned(),
            target: attempt.target,
            project: attempt.project,
            version: attempt.version,
            reason: refusal.to_string(),
            actor: attempt.actor,
        };
        let written = async {
            let mut batch = self.begin_batch().await?;
            batch.append(Event::ActionRefused(Box::new(record))).await?;
            batch.commit(self).await?;
            Ok::<(), AppError>(())
        }
        .await;
        match written {
            Ok(()) => refusal.into(),
            Err(error) => error,
        }
    }
}

/// Refused actions, oldest first (for trace and audit answers).
///
/// # Errors
/// A store failure.
pub async fn refusals(
    signoff: &Signoff,
    project: Option<&str>,
    version: Option<&str>,
) -> Result<Vec<signoff_store::Stored<RefusalRecord>>, AppError> {
    Ok(signoff.store.records_of::<RefusalRecord>(project, version).await?)
}
