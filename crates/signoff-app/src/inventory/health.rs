//! Evidence and integration health (I2, I3): the inventory's silent sources and
//! quality gaps, exceptions about to expire that a release relies on (each with
//! the dry-run certification that says so), and the ledger's state.

use serde::Serialize;
use signoff_core::records::{Actor, ActorKind};
use signoff_core::{Digest, ProjectName, ReleaseRef};

use super::{Inventory, InventoryQuery, inventory};
use crate::certify::{CertifyRequest, certify};
use crate::decide::{ExceptionState, exceptions};
use crate::error::AppError;
use crate::home::Signoff;

/// Approved exceptions expiring within this many days are looked at, unless the
/// caller says.
pub const DEFAULT_WITHIN_DAYS: i64 = 14;

/// What to look at.
#[derive(Debug, Clone)]
pub struct HealthQuery {
    /// The inventory's scope and threshold.
    pub inventory: InventoryQuery,
    /// Exceptions expiring within this many days.
    pub within_days: i64,
}

impl Default for HealthQuery {
    fn default() -> HealthQuery {
        HealthQuery { inventory: InventoryQuery::default(), within_days: DEFAULT_WITHIN_DAYS }
    }
}

/// The health of the evidence, the exceptions and the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// The signal inventory (silent sources, quality gaps).
    pub inventory: Inventory,
    /// Exceptions expiring within `within_days`.
    pub within_days: i64,
    /// Approved exceptions expiring within `within_days`, soonest first.
    pub expiring: Vec<ExpiringException>,
    /// The ledger.
    pub ledger: LedgerHealth,
}

/// An approved exception about to expire, and whether a release relies on it.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiringException {
    /// Its id.
    pub id: String,
    /// The project it applies to (all when absent).
    pub project: Option<ProjectName>,
    /// Why it was granted.
    pub reason: String,
    /// When it expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
    /// Its ledger entry.
    pub entry: u64,
    /// The latest releases whose certification relies on it now and would not
    /// pass once it expired (a dry run at its expiry): it will block them.
    pub blocks: Vec<ReleaseRef>,
    /// The warnings of those dry runs (D7), the data behind the verdict.
    pub warnings: Vec<String>,
}

/// The ledger's state.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerHealth {
    /// Entries.
    pub size: u64,
    /// The latest signed checkpoint's tree size.
    pub checkpoint_size: Option<u64>,
    /// Its root hash.
    pub checkpoint_root: Option<Digest>,
    /// The signed note.
    pub checkpoint: Option<String>,
    /// The last full verification, when one was recorded: signoff records none, so
    /// this is always absent and `verify_note` says how to run one.
    pub last_full_verify: Option<String>,
    /// What is known of full verifications.
    pub verify_note: String,
}

/// The health of the evidence, the exceptions and the ledger.
///
/// # Errors
/// As [`inventory`]; a store failure.
pub async fn health(signoff: &Signoff, query: &HealthQuery) -> Result<Health, AppError> {
    let inventory = inventory(signoff, &query.inventory).await?;
    health_with(signoff, query, inventory, false).await
}

/// [`health`] with its inventory taken already (a page of it, for the
/// dashboard): the exceptions checked are those of its projects and those of
/// every project.
///
/// # Errors
/// A store failure; a policy that does not load.
pub async fn health_of(signoff: &Signoff, query: &HealthQuery, inventory: Inventory) -> Result<Health, AppError> {
    health_with(signoff, query, inventory, true).await
}

async fn health_with(
    signoff: &Signoff,
    query: &HealthQuery,
    inventory: Inventory,
    listed_only: bool,
) -> Result<Health, AppError> {
    let now = crate::ledger::now();
    let horizon = now + time::Duration::days(query.within_days.max(0));
    let mut expiring = Vec::new();
    // One pair of dry runs per project's latest release: (release, relied on, certified at expiry per exception).
    for view in exceptions(signoff).await? {
        if view.state != ExceptionState::Approved || view.record.expires_at > horizon {
            continue;
        }
        if let Some(project) = &query.inventory.project
            && !view.covers(project)
        {
            continue;
        }
        if listed_only
            && let Some(project) = &view.record.project
            && !inventory.projects.iter().any(|listed| listed.project == *project)
        {
            continue;
        }
        let projects: Vec<ProjectName> = match (&view.record.project, &query.inventory.project) {
            (Some(project), _) => vec![project.clone()],
            (None, Some(project)) => vec![project.clone()],
            (None, None) => inventory.projects.iter().map(|project| project.project.clone()).collect(),
        };
        let mut blocks = Vec::new();
        let mut warnings = Vec::new();
        for project in projects {
            let Some(latest) = signoff.store.latest_release(&project).await? else { continue };
            let release = ReleaseRef::new(latest.record.project, latest.record.version);
            let request = |at| CertifyRequest {
                release: release.clone(),
                policy: None,
                environment: None,
                dry_run: true,
                at,
                actor: Actor { id: "(health)".into(), kind: ActorKind::Bot, on_behalf_of: None, source: None },
            };
            let today = certify(signoff, request(None)).await?;
            if !today.evaluation.exceptions_used.contains(&view.record.id) {
                continue;
            }
            let after = certify(signoff, request(Some(view.record.expires_at + time::Duration::SECOND))).await?;
            if today.certified() && !after.certified() {
                warnings.extend(today.ahead.iter().filter(|warning| warning.contains(&view.record.id)).cloned());
                blocks.push(release);
            }
        }
        expiring.push(ExpiringException {
            id: view.record.id,
            project: view.record.project,
            reason: view.record.reason,
            expires_at: view.record.expires_at,
            entry: view.entry,
            blocks,
            warnings,
        });
    }
    expiring.sort_by_key(|exception| exception.expires_at);
    let checkpoint = signoff.store.latest_checkpoint().await?;
    let ledger = LedgerHealth {
        size: signoff.store.ledger_size().await?,
        checkpoint_size: checkpoint.as_ref().map(|checkpoint| checkpoint.size),
        checkpoint_root: checkpoint.as_ref().map(|checkpoint| Digest::from_bytes(checkpoint.root)),
        checkpoint: checkpoint.map(|checkpoint| checkpoint.note),
        last_full_verify: None,
        verify_note: "signoff keeps no record of full verifications: run `signoff ledger verify` (it recomputes every blob, entry and checkpoint) and keep its output".to_owned(),
    };
    Ok(Health { inventory, within_days: query.within_days, expiring, ledger })
}
