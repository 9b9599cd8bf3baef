//! Evidence to the GRC tools (G1–G3): the wiring of `signoff-grc` to the store.
//!
//! - **Artifacts.** A certification (passing or failing) becomes one compliance
//!   artifact per control its evidence bears on ([`artifacts_of`] rebuilds them for
//!   any certified or rejected release); with sync destinations configured,
//!   `certify` writes one outbox delivery per (destination, artifact) in the
//!   certification's own transaction, so a crash cannot lose one.
//! - **Outbox** (`sync/outbox.rs`). [`StoreOutbox`] is `signoff_grc::outbox::Outbox`
//!   over the store's `sync_deliveries` rows (operational state, not evidence).
//! - **Settings** (`sync/settings.rs`). [`settings`] and [`retry_policy`] read
//!   `[sync]`; [`add`], [`remove`] and [`list`] edit `[sync.destinations.<name>]` of
//!   `signoff.toml`, keeping its comments; secrets are only ever references (an
//!   environment variable or a file).
//! - **Delivery.** [`engine`] builds the delivery engine over the store's outbox and
//!   the configured destinations (`signoff serve` runs [`Engine::run_until`] with its
//!   shutdown signal); [`run`] is `sync run`; [`reconcile`] is `sync reconcile`;
//!   [`status`] is `sync status`.
//! - **Alerts.** [`Monitor`] sends the engine's alerts to the log, a tally for
//!   `/metrics` and the alert webhook of `[sync.alerts]`, and raises the same kind
//!   of alert for sources of evidence that fell silent.
//!
//! Inclusion proofs: the artifacts written at certification name each ledger entry
//! by its position only (`ledger.seq`), as the checkpoint covering the certificate
//! does not exist until the transaction commits. The outbox proves them when it
//! hands them to the engine ([`StoreOutbox`]'s `due`): every entry an artifact
//! names gets a C2SP tlog-proof against the first checkpoint that covers the
//! certificate's entry, a tree size that never changes, and the completed artifact
//! (with its new idempotency key) replaces the row's, once, before the first
//! attempt; every retry, restart and reconciliation then sends those same bytes
//! under that same key, and [`artifacts_of`] rebuilds them identically.
//!
//! Links: with `[server] public_url` in `signoff.toml`, artifacts link the
//! release's page, each piece of evidence and the certificate's ledger entry on
//! that server's dashboard.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use signoff_controls::{Catalog, CoverageFacts};
use signoff_core::ReleaseRef;
use signoff_core::records::{ApprovalRecord, CertificateRecord, Decision};
use signoff_grc::artifact::{
    self, ArtifactInput, CertificateRef, ComplianceArtifact, CriterionRef, CriterionStatus, EvidenceInput,
    InclusionProof, LedgerRef, PolicyRef,
};
use signoff_grc::config::DestinationConfig;
use signoff_grc::destination::Destination;
use signoff_grc::engine::{AlertSink, Engine, ReconcileReport, RetryPolicy, RunReport};
use signoff_grc::http::{Timeouts, error_chain};
use signoff_grc::outbox::Outbox;
use signoff_policy::Evaluation;
use signoff_store::{EvidenceRow, NewDelivery, ReleaseRow, Store};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certify::{Facts, certificates, gather, open_certificate};
use crate::error::{AppError, Missing};
use crate::home::Signoff;

mod monitor;
mod outbox;
mod settings;
mod vex;
pub use monitor::Monitor;
pub use outbox::StoreOutbox;
use outbox::from_nanos;
pub use settings::{DestinationView, LEASE_SECONDS, add, list, remove, retry_policy, settings};
pub use vex::{VexExport, VexFormat, vex};

// ---------------------------------------------------------------------------
// Artifacts from the store.

/// What artifacts of a certification are built from, read before its batch.
pub(crate) struct Prepared {
    catalog: Catalog,
    frameworks: Vec<String>,
    reviews: Vec<String>,
    destinations: Vec<String>,
    server_url: Option<String>,
}

/// Reads what the artifacts of a certification of `release` need besides its facts
/// and evaluation: the catalog, the frameworks in force, the reviews. `upto` bounds
/// the ledger as `gather` does. `None` when no destination is configured and
/// `always` is false.
pub(crate) async fn prepare(
    signoff: &Signoff,
    release: &ReleaseRow,
    upto: Option<u64>,
    always: bool,
) -> Result<Option<Prepared>, AppError> {
    let destinations: Vec<String> = settings(signoff).destinations.keys().cloned().collect();
    if destinations.is_empty() && !always {
        return Ok(None);
    }
    let reviews = crate::audit::release_reviews(signoff, &release.record, upto).await?;
    Ok(Some(Prepared {
        catalog: signoff.catalog()?,
        frameworks: signoff.frameworks()?,
        reviews,
        destinations,
        server_url: signoff.config.server.public_url.clone(),
    }))
}

pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The artifact input of one certification: pure.
pub(crate) fn artifact_input(
    release: &ReleaseRow,
    facts: &Facts,
    evaluation: &Evaluation,
    certificate: &CertificateRecord,
    certificate_seq: u64,
    prepared: &Prepared,
) -> ArtifactInput {
    let record = &release.record;
    let content = record.content_digest();
    let approvals = facts
        .approvals
        .iter()
        .filter(|row: &&signoff_store::Stored<ApprovalRecord>| row.record.content == content)
        .map(|row| format!("{} approved as {} (entry {})", row.record.actor.id, row.record.role, row.seq))
        .collect();
    ArtifactInput {
        release: artifact::ReleaseRef {
            project: record.project.to_string(),
            version: record.version.to_string(),
            commit: record.commit.to_string(),
            artifacts: record.artifacts.clone(),
        },
        certificate: CertificateRef {
            id: certificate.id.clone(),
            decision: match certificate.decision {
                Decision::Certified => artifact::Decision::Certified,
                Decision::Rejected => artifact::Decision::Rejected,
            },
            statement_digest: certificate.statement_digest,
            evaluated_at: rfc3339(certificate.evaluated_at),
            policy: PolicyRef {
                name: certificate.policy.name.clone(),
                version: certificate.policy.version,
                digest: certificate.policy.digest,
            },
            ledger: Some(LedgerRef { seq: certificate_seq, proof: None }),
        },
        criteria: evaluation
            .criteria
            .iter()
            .map(|criterion| CriterionRef {
                id: criterion.id.clone(),
                title: criterion.title.clone(),
                status: match criterion.status {
                    signoff_policy::Status::Pass => CriterionStatus::Pass,
                    signoff_policy::Status::Fail => CriterionStatus::Fail,
                    signoff_policy::Status::Waived => CriterionStatus::Waived,
                },
                evidence: criterion.evidence.clone(),
                exceptions: criterion.exceptions.clone(),
            })
            .collect(),
        evidence: facts.evidence.iter().map(evidence_input).collect(),
        facts: CoverageFacts {
            certificate: None,
            approvals,
            reviews: prepared.reviews.clone(),
            exceptions: evaluation.exceptions_used.clone(),
            ledger_checkpoint: None,
        },
        frameworks: prepared.frameworks.clone(),
        server_url: prepared.server_url.clone(),
    }
}

fn evidence_input(row: &EvidenceRow) -> EvidenceInput {
    let record = &row.record;
    EvidenceInput {
        kind: record.kind,
        digest: record.digest,
        tool: record.tool.name.clone(),
        captured_at: rfc3339(row.captured_at),
        file_name: Some(record.file_name.clone()),
        passed: record.summary.tests.as_ref().map(|tests| tests.failed + tests.errored == 0),
        ledger: Some(LedgerRef { seq: row.seq, proof: None }),
    }
}

impl Prepared {
    /// The artifacts of the certification.
    pub(crate) fn artifacts(
        &self,
        release: &ReleaseRow,
        facts: &Facts,
        evaluation: &Evaluation,
        certificate: &CertificateRecord,
        certificate_seq: u64,
    ) -> Result<Vec<ComplianceArtifact>, AppError> {
        let input = artifact_input(release, facts, evaluation, certificate, certificate_seq, self);
        artifact::build_artifacts(&input, &self.catalog).map_err(|error| {
            AppError::Invalid(format!(
                "cannot build the compliance artifacts of {}@{}: {error}",
                release.record.project, release.record.version
            ))
        })
    }

    /// One outbox delivery per configured destination and artifact.
    pub(crate) fn deliveries(&self, artifacts: &[ComplianceArtifact]) -> Result<Vec<NewDelivery>, AppError> {
        let mut deliveries = Vec::new();
        for artifact in artifacts {
            let json = serde_json::to_string(artifact)
                .map_err(|error| AppError::Invalid(format!("compliance artifact {}: {error}", artifact.id)))?;
            for destination in &self.destinations {
                deliveries.push(NewDelivery {
                    destination: destination.clone(),
                    artifact_id: artifact.id.to_string(),
                    idempotency_key: artifact.idempotency_key.to_string(),
                    artifact: json.clone(),
                });
            }
        }
        Ok(deliveries)
    }
}

/// `artifacts` of the certification at ledger entry `certificate_seq`, each
/// ledger entry they name proven against the first checkpoint that covers
/// `certificate_seq` (so the same artifacts always come out byte for byte).
///
/// # Errors
/// No checkpoint covers the certificate, the stored tree does not match it.
pub(crate) async fn prove(
    store: &dyn Store,
    certificate_seq: u64,
    artifacts: Vec<ComplianceArtifact>,
) -> Result<Vec<ComplianceArtifact>, AppError> {
    let entries: std::collections::BTreeSet<u64> =
        artifacts.iter().flat_map(ComplianceArtifact::unproven_entries).collect();
    if entries.is_empty() {
        return Ok(artifacts);
    }
    let proofs: BTreeMap<u64, InclusionProof> = crate::proof::anchored_tlog_proofs(store, certificate_seq, &entries)
        .await?
        .into_iter()
        .map(|(entry, text)| (entry, InclusionProof::TlogProof { text }))
        .collect();
    artifacts
        .into_iter()
        .map(|artifact| {
            let id = artifact.id;
            artifact
                .with_proofs(&proofs)
                .map_err(|error| AppError::Invalid(format!("compliance artifact {id}: {error}")))
        })
        .collect()
}

/// The compliance artifacts of a release's latest certification (certified or
/// rejected), rebuilt from the store with their inclusion proofs: byte for byte
/// those delivered (same content, same idempotency keys).
///
/// # Errors
/// An unknown or never certified release, a certificate that does not verify.
pub async fn artifacts_of(signoff: &Signoff, release: &ReleaseRef) -> Result<Vec<ComplianceArtifact>, AppError> {
    let row = signoff.release_row(release).await?;
    let Some(certificate) =
        certificates(signoff, Some(release.project.as_str()), Some(release.version.as_str())).await?.pop()
    else {
        return Err(Missing::Certificate(release.clone()).into());
    };
    let (_, evaluation) = open_certificate(signoff, &certificate)?;
    let facts = gather(signoff, &row.record, Some(certificate.entry)).await?;
    let prepared = prepare(signoff, &row, Some(certificate.entry), true).await?;
    let Some(prepared) = prepared else { return Ok(Vec::new()) };
    let artifacts = prepared.artifacts(&row, &facts, &evaluation, &certificate.record, certificate.entry)?;
    prove(signoff.store.as_ref(), certificate.entry, artifacts).await
}

// ---------------------------------------------------------------------------
// Status, run, reconcile.

/// One destination's deliveries, for `sync status`.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct DestinationStatus {
    /// The destination.
    pub name: String,
    /// Its type (`vanta`, `drata`, `webhook`, `folder`); absent for a destination
    /// removed from the settings that still has deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Delivered.
    pub sent: u64,
    /// Not delivered yet.
    pub pending: u64,
    /// Given up.
    pub failed: u64,
    /// Pending deliveries whose last attempt failed.
    pub failing: u64,
    /// Since when the oldest failing delivery has been failing (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub failing_since: Option<String>,
    /// The most recent failure's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the next pending delivery is due (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub next_attempt: Option<String>,
    /// The last delivery (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub last_delivered: Option<String>,
}

fn kind_of(config: &DestinationConfig) -> &'static str {
    match config {
        DestinationConfig::Vanta { .. } => "vanta",
        DestinationConfig::Drata { .. } => "drata",
        DestinationConfig::Webhook { .. } => "webhook",
        DestinationConfig::Folder { .. } => "folder",
    }
}

/// Per destination (configured, or with deliveries): sent, pending, failing (why,
/// since when), given up.
///
/// # Errors
/// A store failure.
pub async fn status(signoff: &Signoff) -> Result<Vec<DestinationStatus>, AppError> {
    let mut all: BTreeMap<String, DestinationStatus> = BTreeMap::new();
    for (name, config) in settings(signoff).destinations {
        all.insert(
            name.clone(),
            DestinationStatus { name, kind: Some(kind_of(&config).to_owned()), ..DestinationStatus::default() },
        );
    }
    let mut last_failure: HashMap<String, i64> = HashMap::new();
    for row in signoff.store.deliveries(None).await? {
        let entry = all
            .entry(row.destination.clone())
            .or_insert_with(|| DestinationStatus { name: row.destination.clone(), ..DestinationStatus::default() });
        match row.state.as_str() {
            "delivered" => {
                entry.sent += 1;
                if let Some(at) = row.delivered_at {
                    let text = rfc3339(from_nanos(at));
                    if entry.last_delivered.as_ref().is_none_or(|last| *last < text) {
                        entry.last_delivered = Some(text);
                    }
                }
            }
            "failed" => entry.failed += 1,
            _ => {
                entry.pending += 1;
                if let Some(at) = row.next_attempt_at {
                    let text = rfc3339(from_nanos(at));
                    if entry.next_attempt.as_ref().is_none_or(|next| text < *next) {
                        entry.next_attempt = Some(text);
                    }
                }
                if row.last_error.is_some() {
                    entry.failing += 1;
                }
            }
        }
        if row.state != "delivered"
            && let (Some(since), Some(why)) = (row.failing_since, &row.last_error)
        {
            let text = rfc3339(from_nanos(since));
            if entry.failing_since.as_ref().is_none_or(|oldest| text < *oldest) {
                entry.failing_since = Some(text);
            }
            let latest = last_failure.entry(row.destination.clone()).or_insert(i64::MIN);
            if since >= *latest {
                *latest = since;
                entry.last_error = Some(why.clone());
            }
        }
    }
    Ok(all.into_values().collect())
}

/// The delivery engine over the store's outbox and the configured destinations
/// (`signoff serve` runs [`Engine::run_until`] with its shutdown signal). Secrets
/// are read now.
///
/// # Errors
/// A destination that cannot be built (its secret unreadable, a refused URL).
pub fn engine(signoff: &Signoff, policy: RetryPolicy, alerts: Arc<dyn AlertSink>) -> Result<Engine, AppError> {
    let sync = settings(signoff);
    let mut destinations: Vec<Arc<dyn Destination>> = Vec::new();
    for (name, config) in &sync.destinations {
        let destination = signoff_grc::config::build_destination(name, config, &sync, Timeouts::default())
            .map_err(|error| AppError::Invalid(error_chain(&error)))?;
        destinations.push(destination);
    }
    let outbox: Arc<dyn Outbox> = Arc::new(StoreOutbox::new(signoff.store.clone()));
    Ok(Engine::new(outbox, destinations, policy, alerts))
}

/// What `sync run` did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunSummary {
    /// Deliveries that arrived.
    pub delivered: u32,
    /// Attempts that will be retried.
    pub retried: u32,
    /// Deliveries given up.
    pub failed: u32,
    /// True when `timeout` ran out with deliveries still pending.
    pub timed_out: bool,
}

impl From<&RunReport> for RunSummary {
    fn from(report: &RunReport) -> RunSummary {
        RunSummary { delivered: report.delivered, retried: report.retried, failed: report.failed, timed_out: false }
    }
}

/// Delivers the outbox until nothing is pending (every delivery arrived or was
/// given up), waiting out retries, for at most `timeout` (`sync run --once`). A run
/// cut short loses nothing: what is pending stays pending.
///
/// # Errors
/// A destination that cannot be built, an outbox failure.
pub async fn run(
    signoff: &Signoff,
    policy: RetryPolicy,
    alerts: Arc<dyn AlertSink>,
    timeout: Duration,
) -> Result<RunSummary, AppError> {
    let engine = engine(signoff, policy, alerts)?;
    match tokio::time::timeout(timeout, engine.run_until_idle()).await {
        Ok(report) => Ok(RunSummary::from(&report.map_err(engine_error)?)),
        Err(_) => Ok(RunSummary { delivered: 0, retried: 0, failed: 0, timed_out: true }),
    }
}

fn engine_error(error: signoff_grc::engine::EngineError) -> AppError {
    match error {
        signoff_grc::engine::EngineError::UnknownDestination { name } => Missing::SyncDestination(name).into(),
        other => AppError::Invalid(error_chain(&other)),
    }
}

/// What `sync reconcile` found and did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReconcileSummary {
    /// The destination.
    pub destination: String,
    /// Artifacts the other side holds.
    pub held: usize,
    /// Artifacts the outbox says were delivered there.
    pub expected: usize,
    /// Artifacts it lacked, requeued.
    pub missing: Vec<String>,
    /// Delivered now.
    pub delivered: u32,
    /// Still pending (to be retried by `sync run` or the server).
    pub retried: u32,
    /// Given up.
    pub failed: u32,
}

impl ReconcileSummary {
    fn from_report(destination: &str, report: &ReconcileReport) -> ReconcileSummary {
        ReconcileSummary {
            destination: destination.to_owned(),
            held: report.held,
            expected: report.expected,
            missing: report.missing.iter().map(ToString::to_string).collect(),
            delivered: report.run.delivered,
            retried: report.run.retried,
            failed: report.run.failed,
        }
    }
}

/// Lists what destination `name` holds, requeues what it lacks, and sends it
/// (`sync reconcile NAME`).
///
/// # Errors
/// An unknown destination, one without a list API, an outbox failure.
pub async fn reconcile(
    signoff: &Signoff,
    name: &str,
    policy: RetryPolicy,
    alerts: Arc<dyn AlertSink>,
) -> Result<ReconcileSummary, AppError> {
    if !settings(signoff).destinations.contains_key(name) {
        return Err(Missing::SyncDestination(name.to_owned()).into());
    }
    let engine = engine(signoff, policy, alerts)?;
    let report = engine.reconcile(name).await.map_err(engine_error)?;
    Ok(ReconcileSummary::from_report(name, &report))
}

// ---------------------------------------------------------------------------
// OSCAL and VEX.

/// What an OSCAL export covers.
#[derive(Debug, Clone)]
pub enum OscalScope {
    /// One release.
    Release(ReleaseRef),
    /// The releases created in a period (of one project, or all).
    Period {
        /// The period.
        period: crate::Period,
        /// Only this project.
        project: Option<signoff_core::ProjectName>,
    },
}

/// OSCAL 1.1.3 assessment results of a release's latest certification, or of every
/// certified or rejected release created in a period, for one framework or all.
///
/// # Errors
/// An unknown release, one never certified, a period with no certified release,
/// a framework none of the artifacts are about.
pub async fn oscal(
    signoff: &Signoff,
    scope: &OscalScope,
    framework: Option<&str>,
) -> Result<serde_json::Value, AppError> {
    let (artifacts, oscal_scope) = match scope {
        OscalScope::Release(release) => (
            artifacts_of(signoff, release).await?,
            signoff_grc::oscal::Scope::Release {
                project: release.project.to_string(),
                version: release.version.to_string(),
            },
        ),
        OscalScope::Period { period, project } => {
            let (from, to) = period.bounds();
            let (Some(from), Some(to)) = (from, to) else {
                return Err(AppError::Invalid("an OSCAL period needs both --from and --to".into()));
            };
            let releases = signoff
                .store
                .releases_between(
                    project.as_ref().map(signoff_core::ProjectName::as_str),
                    Some(from.as_str()),
                    Some(to.as_str()),
                )
                .await?;
            let mut artifacts = Vec::new();
            for row in releases {
                let release = ReleaseRef { project: row.record.project.clone(), version: row.record.version.clone() };
                match artifacts_of(signoff, &release).await {
                    Ok(found) => artifacts.extend(found),
                    Err(AppError::NotFound(Missing::Certificate(_))) => {}
                    Err(error) => return Err(error),
                }
            }
            (artifacts, signoff_grc::oscal::Scope::Period { from, to })
        }
    };
    signoff_grc::oscal::assessment_results(&artifacts, &oscal_scope, framework)
        .map_err(|error| AppError::Invalid(error_chain(&error)))
}
