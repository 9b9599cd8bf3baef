//! The delivery engine (G3): works the outbox, retries with backoff, raises alerts,
//! and reconciles.
//!
//! For each destination, one delivery at a time (Vanta's full-state sync needs it,
//! and a GRC API's rate limit is per client anyway):
//!
//! 1. [`Outbox::mark_attempt`] counts the attempt and leases the delivery;
//! 2. [`Destination::deliver`] sends it with its idempotency key;
//! 3. delivered → [`Outbox::mark_delivered`]; retry → [`Outbox::record_failure`] with the
//!    next attempt at `now + max(backoff(attempts), Retry-After)`, or for good once
//!    [`RetryPolicy::max_attempts`] is reached; failed → recorded for good.
//!
//! The backoff is exponential with jitter (backon's `ExponentialBuilder`). A process
//! killed between 2 and 3 leaves the delivery pending; it is due again when its lease
//! runs out, and the destination's idempotency makes the resend harmless.
//!
//! **Alerts.** A destination whose deliveries fail [`RetryPolicy::alert_after`] times
//! in a row raises [`Alert::Failing`] once, and [`Alert::Recovered`] at its next
//! success. The [`AlertSink`] is the seam where the caller wires the log
//! ([`LogAlerts`]), metrics ([`AlertTally`]) and the alert webhook
//! (`crate::alert_webhook`), several at once through [`AlertSinks`]; the store's side
//! raises [`Alert::SourceSilent`] through the same sinks.
//!
//! **Reconcile.** [`Engine::reconcile`] lists what the destination holds, requeues
//! every delivered artifact it lacks (or holds under another idempotency key, when
//! the destination reports keys), and makes one round of its due deliveries.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::BackoffBuilder as _;
use signoff_core::EvidenceKind;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::destination::{DeliveryOutcome, Destination, DestinationError};
use crate::outbox::{DeliveryId, DeliveryState, Failure, Outbox, OutboxError, PendingDelivery};

/// How the engine retries and when it alerts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The first backoff.
    pub min_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// Growth per attempt.
    pub factor: f32,
    /// Random jitter added to each backoff, so that many deliveries failing together
    /// do not retry together.
    pub jitter: bool,
    /// Attempts after which a delivery is given up; `None` retries for ever.
    pub max_attempts: Option<u32>,
    /// Consecutive failures of a destination that raise an alert.
    pub alert_after: u32,
    /// How long an attempt holds its delivery (longer than a request can take).
    pub lease: Duration,
    /// Deliveries taken from the outbox per destination per round.
    pub batch: usize,
    /// The longest sleep between rounds of [`Engine::run_until`].
    pub poll: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            factor: 2.0,
            jitter: true,
            max_attempts: Some(50),
            alert_after: 5,
            lease: Duration::from_secs(120),
            batch: 100,
            poll: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempts + 1`, given `attempts` made.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let mut builder = backon::ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(self.factor)
            .without_max_times();
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build().nth(attempts.saturating_sub(1) as usize).unwrap_or(self.max_delay)
    }
}

/// What an alert says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// A destination failed [`RetryPolicy::alert_after`] times in a row.
    Failing,
    /// A destination delivered again after a failing alert.
    Recovered,
    /// A source of evidence stopped reporting (I2): absent from each of its
    /// project's latest releases.
    SourceSilent,
}

impl AlertKind {
    /// `destination_failing`, `destination_recovered` or `source_silent`: the `kind`
    /// of the alert webhook's data and the metric's label.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertKind::Failing => "destination_failing",
            AlertKind::Recovered => "destination_recovered",
            AlertKind::SourceSilent => "source_silent",
        }
    }

    /// Every kind, in order.
    pub const ALL: [AlertKind; 3] = [AlertKind::Failing, AlertKind::Recovered, AlertKind::SourceSilent];
}

/// A destination's run of failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationAlert {
    /// The destination.
    pub destination: String,
    /// Failures in a row (at the alert; for a recovery, before the success).
    pub consecutive_failures: u32,
    /// When the failures began.
    pub since: OffsetDateTime,
    /// The last failure's reason (empty for a recovery).
    pub last_error: String,
}

/// A source of evidence (a tool supplying a kind to a project) that stopped
/// reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentSource {
    /// The project.
    pub project: String,
    /// The tool, as it names itself.
    pub tool: String,
    /// The kind of evidence it supplied.
    pub kind: EvidenceKind,
    /// The latest releases of the project it is absent from.
    pub releases: u64,
    /// Its latest capture's ledger entry: with the rest, what names this silence
    /// (a later capture ends it).
    pub last_entry: u64,
    /// When it last reported.
    pub last_reported_at: OffsetDateTime,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// A destination started failing.
    Failing(DestinationAlert),
    /// A destination recovered.
    Recovered(DestinationAlert),
    /// A source of evidence fell silent.
    SourceSilent(SilentSource),
}

impl Alert {
    /// What it says.
    pub fn kind(&self) -> AlertKind {
        match self {
            Alert::Failing(_) => AlertKind::Failing,
            Alert::Recovered(_) => AlertKind::Recovered,
            Alert::SourceSilent(_) => AlertKind::SourceSilent,
        }
    }

    /// The destination it is about, for a destination's alert.
    pub fn destination(&self) -> Option<&str> {
        match self {
            Alert::Failing(alert) | Alert::Recovered(alert) => Some(&alert.destination),
            Alert::SourceSilent(_) => None,
        }
    }

    /// The alert as JSON (the alert webhook's `data`): `kind` and the fields of its
    /// kind, times in RFC 3339.
    pub fn to_json(&self) -> serde_json::Value {
        let time = |at: &OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
        match self {
            Alert::Failing(alert) | Alert::Recovered(alert) => serde_json::json!({
                "kind": self.kind().as_str(),
                "destination": alert.destination,
                "consecutive_failures": alert.consecutive_failures,
                "since": time(&alert.since),
                "last_error": alert.last_error,
            }),
            Alert::SourceSilent(source) => serde_json::json!({
                "kind": self.kind().as_str(),
                "project": source.project,
                "tool": source.tool,
                "evidence_kind": source.kind,
                "releases": source.releases,
                "last_entry": source.last_entry,
                "last_reported_at": time(&source.last_reported_at),
            }),
        }
    }
}

/// Where alerts go. **API Boundary:** the CLI and server wire logs, a metric and an
/// alert webhook here.
pub trait AlertSink: Send + Sync {
    /// Handles one alert. Must not block: it runs on the delivery path (the alert
    /// webhook only queues it).
    fn raise(&self, alert: &Alert);
}

/// Alerts to the log (`tracing`): failing and silent at error level, recovery at
/// info.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAlerts;

impl AlertSink for LogAlerts {
    fn raise(&self, alert: &Alert) {
        match alert {
            Alert::Failing(alert) => tracing::error!(
                destination = %alert.destination,
                failures = alert.consecutive_failures,
                since = %alert.since,
                last_error = %alert.last_error,
                "GRC destination is failing"
            ),
            Alert::Recovered(alert) => tracing::info!(
                destination = %alert.destination,
                failures = alert.consecutive_failures,
                "GRC destination recovered"
            ),
            Alert::SourceSilent(source) => tracing::error!(
                project = %source.project,
                tool = %source.tool,
                kind = %source.kind,
                releases = source.releases,
                last_reported_at = %source.last_reported_at,
                "evidence source stopped reporting"
            ),
        }
    }
}

/// Alerts kept in memory (tests, `sync status` of one run).
#[derive(Debug, Default)]
pub struct CollectedAlerts(Mutex<Vec<Alert>>);

impl CollectedAlerts {
    /// Every alert so far.
    pub fn alerts(&self) -> Vec<Alert> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl AlertSink for CollectedAlerts {
    fn raise(&self, alert: &Alert) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(alert.clone());
    }
}

/// Every alert to each of several sinks, in order.
#[derive(Default)]
pub struct AlertSinks(Vec<Arc<dyn AlertSink>>);

impl AlertSinks {
    /// The sinks.
    pub fn new(sinks: Vec<Arc<dyn AlertSink>>) -> AlertSinks {
        AlertSinks(sinks)
    }
}

impl AlertSink for AlertSinks {
    fn raise(&self, alert: &Alert) {
        for sink in &self.0 {
            sink.raise(alert);
        }
    }
}

/// What the alerts say now, for metrics: alerts raised by kind, and which
/// destinations are failing (raised failing, not recovered yet).
#[derive(Debug, Default)]
pub struct AlertTally {
    raised: Mutex<BTreeMap<AlertKind, u64>>,
    failing: Mutex<BTreeMap<String, bool>>,
}

impl AlertTally {
    /// Alerts raised so far, by kind (every kind, zero included).
    pub fn raised(&self) -> Vec<(AlertKind, u64)> {
        let raised = self.raised.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        AlertKind::ALL.iter().map(|kind| (*kind, raised.get(kind).copied().unwrap_or_default())).collect()
    }

    /// Every destination an alert named, and whether it is failing now.
    pub fn failing(&self) -> Vec<(String, bool)> {
        let failing = self.failing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failing.iter().map(|(name, failing)| (name.clone(), *failing)).collect()
    }
}

impl AlertSink for AlertTally {
    fn raise(&self, alert: &Alert) {
        *self.raised.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(alert.kind()).or_default() += 1;
        if let Some(destination) = alert.destination() {
            self.failing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(destination.to_owned(), alert.kind() == AlertKind::Failing);
        }
    }
}

/// Why the engine stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The outbox failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// No destination of that name.
    #[error("no destination named {name:?}")]
    UnknownDestination {
        /// The name.
        name: String,
    },
    /// The destination could not be listed.
    #[error("cannot reconcile {destination}")]
    List {
        /// The destination.
        destination: String,
        /// Why.
        #[source]
        source: DestinationError,
    },
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Deliveries that arrived.
    pub delivered: u32,
    /// Attempts that will be retried.
    pub retried: u32,
    /// Deliveries given up.
    pub failed: u32,
}

impl RunReport {
    fn add(&mut self, other: &RunReport) {
        self.delivered += other.delivered;
        self.retried += other.retried;
        self.failed += other.failed;
    }

    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.delivered + self.retried + self.failed
    }
}

/// What reconciliation found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Artifacts the other side holds.
    pub held: usize,
    /// Artifacts the outbox says were delivered.
    pub expected: usize,
    /// Delivered artifacts the other side lacked, requeued.
    pub missing: Vec<Uuid>,
    /// What delivering the due deliveries did afterwards.
    pub run: RunReport,
}

#[derive(Debug, Clone)]
struct Health {
    failures: u32,
    since: OffsetDateTime,
    alerted: bool,
}

/// The delivery engine.
pub struct Engine {
    outbox: Arc<dyn Outbox>,
    destinations: BTreeMap<String, Arc<dyn Destination>>,
    policy: RetryPolicy,
    alerts: Arc<dyn AlertSink>,
    health: Mutex<HashMap<String, Health>>,
}

impl Engine {
    /// An engine over `outbox` delivering to `destinations` (by their names).
    pub fn new(
        outbox: Arc<dyn Outbox>,
        destinations: Vec<Arc<dyn Destination>>,
        policy: RetryPolicy,
        alerts: Arc<dyn AlertSink>,
    ) -> Engine {
        let destinations =
            destinations.into_iter().map(|destination| (destination.name().to_owned(), destination)).collect();
        Engine { outbox, destinations, policy, alerts, health: Mutex::new(HashMap::new()) }
    }

    /// One round: every due delivery of every destination, attempted once.
    ///
    /// # Errors
    ///
    /// [`EngineError::Outbox`] when the outbox fails.
    pub async fn run_once(&self) -> Result<RunReport, EngineError> {
        let mut report = RunReport::default();
        for destination in self.destinations.values() {
            report.add(&self.run_destination(destination.as_ref()).await?);
        }
        Ok(report)
    }

    async fn run_destination(&self, destination: &dyn Destination) -> Result<RunReport, EngineError> {
        let mut report = RunReport::default();
        let due = self.outbox.due(destination.name(), OffsetDateTime::now_utc(), self.policy.batch).await?;
        for delivery in due {
            self.attempt(destination, &delivery, &mut report).await?;
        }
        Ok(report)
    }

    async fn attempt(
        &self,
        destination: &dyn Destination,
        delivery: &PendingDelivery,
        report: &mut RunReport,
    ) -> Result<(), EngineError> {
        let started = OffsetDateTime::now_utc();
        self.outbox.mark_attempt(delivery.id, started, started + self.policy.lease).await?;
        let attempts = delivery.attempts + 1;
        let artifact = &delivery.artifact;
        let outcome = destination.deliver(artifact, &artifact.idempotency_key).await;
        let now = OffsetDateTime::now_utc();
        match outcome {
            DeliveryOutcome::Delivered { remote_id } => {
                self.outbox.mark_delivered(delivery.id, &remote_id, now).await?;
                tracing::debug!(destination = destination.name(), delivery = %delivery.id, %remote_id, "delivered");
                self.succeeded(destination.name());
                report.delivered += 1;
            }
            DeliveryOutcome::Retry { after, why } => {
                let give_up = self.policy.max_attempts.is_some_and(|max| attempts >= max);
                let wait = self.policy.backoff(attempts).max(after.unwrap_or_default());
                let retry_at = (!give_up).then(|| now + wait);
                self.outbox.record_failure(delivery.id, &Failure { why: why.clone(), at: now, retry_at }).await?;
                tracing::warn!(destination = destination.name(), delivery = %delivery.id, attempts, %why, "delivery failed");
                self.failed(destination.name(), now, &why);
                if give_up { report.failed += 1 } else { report.retried += 1 }
            }
            DeliveryOutcome::Failed { why } => {
                self.outbox.record_failure(delivery.id, &Failure { why: why.clone(), at: now, retry_at: None }).await?;
                tracing::error!(destination = destination.name(), delivery = %delivery.id, %why, "delivery refused");
                self.failed(destination.name(), now, &why);
                report.failed += 1;
            }
        }
        Ok(())
    }

    fn health(&self) -> std::sync::MutexGuard<'_, HashMap<String, Health>> {
        self.health.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn succeeded(&self, destination: &str) {
        let previous = self.health().remove(destination);
        if let Some(health) = previous.filter(|health| health.alerted) {
            self.alerts.raise(&Alert::Recovered(DestinationAlert {
                destination: destination.to_owned(),
                consecutive_failures: health.failures,
                since: health.since,
                last_error: String::new(),
            }));
        }
    }

    fn failed(&self, destination: &str, now: OffsetDateTime, why: &str) {
        let alert = {
            let mut all = self.health();
            let health =
                all.entry(destination.to_owned()).or_insert(Health { failures: 0, since: now, alerted: false });
            health.failures += 1;
            if health.failures >= self.policy.alert_after && !health.alerted {
                health.alerted = true;
                Some(Alert::Failing(DestinationAlert {
                    destination: destination.to_owned(),
                    consecutive_failures: health.failures,
                    since: health.since,
                    last_error: why.to_owned(),
                }))
            } else {
                None
            }
        };
        if let Some(alert) = alert {
            self.alerts.raise(&alert);
        }
    }

    /// When the next pending delivery of any destination is due, if any is pending.
    async fn next_due(&self) -> Result<Option<OffsetDateTime>, EngineError> {
        let mut next: Option<OffsetDateTime> = None;
        for name in self.destinations.keys() {
            for record in self.outbox.deliveries(name).await? {
                if record.state == DeliveryState::Pending {
                    let at = record.next_attempt_at.unwrap_or(OffsetDateTime::UNIX_EPOCH);
                    next = Some(next.map_or(at, |next| next.min(at)));
                }
            }
        }
        Ok(next)
    }

    /// Rounds until no delivery is pending (every one delivered or given up),
    /// sleeping until the next is due in between (`sync run --once`).
    ///
    /// # Errors
    ///
    /// [`EngineError::Outbox`] when the outbox fails.
    pub async fn run_until_idle(&self) -> Result<RunReport, EngineError> {
        let mut report = RunReport::default();
        loop {
            report.add(&self.run_once().await?);
            let Some(next) = self.next_due().await? else { return Ok(report) };
            let wait = next - OffsetDateTime::now_utc();
            if wait.is_positive() {
                tokio::time::sleep(Duration::try_from(wait).unwrap_or(self.policy.poll).min(self.policy.poll)).await;
            }
        }
    }

    /// Rounds for ever, until `shutdown` completes (`signoff serve`). A failing
    /// outbox is logged and retried at the next round.
    pub async fn run_until(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let wait = match self.run_once().await.and(Ok(())) {
                Ok(()) => match self.next_due().await {
                    Ok(Some(next)) => Duration::try_from(next - OffsetDateTime::now_utc()).unwrap_or(Duration::ZERO),
                    Ok(None) | Err(_) => self.policy.poll,
                },
                Err(error) => {
                    tracing::error!(error = %crate::http::error_chain(&error), "delivery round failed");
                    self.policy.poll
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(wait.min(self.policy.poll)) => {}
            }
        }
    }

    /// Lists what `destination` holds, requeues the delivered artifacts it lacks, and
    /// makes one round of its due deliveries (what fails stays pending).
    ///
    /// # Errors
    ///
    /// [`EngineError`] for an unknown destination, one that cannot be listed, or an
    /// outbox failure.
    pub async fn reconcile(&self, destination: &str) -> Result<ReconcileReport, EngineError> {
        let target = self
            .destinations
            .get(destination)
            .ok_or_else(|| EngineError::UnknownDestination { name: destination.to_owned() })?;
        let held =
            target.list().await.map_err(|source| EngineError::List { destination: destination.to_owned(), source })?;
        let held_ids: BTreeSet<Uuid> = held.iter().map(|item| item.artifact_id).collect();
        let held_keys: BTreeMap<Uuid, &str> =
            held.iter().filter_map(|item| item.idempotency_key.as_deref().map(|key| (item.artifact_id, key))).collect();
        let mut report = ReconcileReport { held: held.len(), ..ReconcileReport::default() };
        let now = OffsetDateTime::now_utc();
        let mut requeued: Vec<DeliveryId> = Vec::new();
        for record in self.outbox.deliveries(destination).await? {
            if !matches!(record.state, DeliveryState::Delivered { .. }) {
                continue;
            }
            report.expected += 1;
            let lacking = !held_ids.contains(&record.artifact_id)
                || held_keys.get(&record.artifact_id).is_some_and(|key| *key != record.idempotency_key.as_str());
            if lacking {
                self.outbox.requeue(record.id, now).await?;
                requeued.push(record.id);
                report.missing.push(record.artifact_id);
            }
        }
        tracing::info!(destination, held = report.held, missing = requeued.len(), "reconciled");
        // One round: what does not arrive now stays pending for the regular worker.
        report.run = self.run_destination(target.as_ref()).await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_bounds() {
        let policy = RetryPolicy {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            jitter: false,
            ..RetryPolicy::default()
        };
        // backon multiplies in f32: compare whole milliseconds.
        let millis = |attempts| policy.backoff(attempts).as_millis();
        assert_eq!([millis(1), millis(2), millis(3), millis(30)], [100, 200, 400, 2000]);
        let jittered = RetryPolicy { jitter: true, ..policy };
        for attempts in 1..6 {
            let plain = policy.backoff(attempts);
            let with_jitter = jittered.backoff(attempts);
            assert!(with_jitter >= plain && with_jitter <= plain * 2, "{attempts}: {with_jitter:?} vs {plain:?}");
        }
    }
}
