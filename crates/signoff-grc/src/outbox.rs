//! The outbox the delivery engine works from: a trait the store implements, and an
//! in-memory implementation for tests and dry runs.
//!
//! **API Boundary.** The store keeps one delivery per (destination, artifact),
//! written in the transaction that certifies the release, so a crash cannot lose
//! one. The engine only reads due deliveries and records what happened; it never
//! creates deliveries except by [`Outbox::requeue`] during reconciliation. The store
//! may record attempts as appended rows rather than updates (the ledger's rule that
//! rows are not updated); the trait only says what must be answered.
//!
//! Leases: [`Outbox::mark_attempt`] moves the delivery's next attempt to
//! `at + lease`, so a second engine does not pick it while the first is sending, and a
//! delivery whose engine died mid-flight becomes due again when the lease runs out.

use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::artifact::{ComplianceArtifact, IdempotencyKey};

/// A delivery's id in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeliveryId(pub u64);

impl std::fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A delivery to attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    /// Its id.
    pub id: DeliveryId,
    /// The destination's name.
    pub destination: String,
    /// What to deliver (its `idempotency_key` is the one sent).
    pub artifact: ComplianceArtifact,
    /// Attempts made so far.
    pub attempts: u32,
}

/// Where a delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not delivered yet; due at `next_attempt_at`.
    Pending,
    /// Delivered.
    Delivered {
        /// The other side's id.
        remote_id: String,
        /// When.
        at: OffsetDateTime,
    },
    /// Given up (a permanent failure, or too many attempts).
    Failed,
}

/// A delivery as `sync status` and reconciliation see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Its id.
    pub id: DeliveryId,
    /// The destination.
    pub destination: String,
    /// The artifact's id.
    pub artifact_id: Uuid,
    /// The artifact's idempotency key.
    pub idempotency_key: IdempotencyKey,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure's reason, if the last attempt failed.
    pub last_error: Option<String>,
    /// Since when it has been failing (first failure after the last success).
    pub failing_since: Option<OffsetDateTime>,
    /// When it is due (pending only).
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// A failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Why.
    pub why: String,
    /// When the attempt ended.
    pub at: OffsetDateTime,
    /// When to try again; `None` gives up.
    pub retry_at: Option<OffsetDateTime>,
}

/// A store failure, opaque to the engine.
#[derive(Debug, thiserror::Error)]
#[error("outbox: {message}")]
pub struct OutboxError {
    /// What failed.
    pub message: String,
    /// Why.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl OutboxError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> OutboxError {
        OutboxError { message: message.into(), source: None }
    }
}

/// The store's side of delivery (module doc).
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Pending deliveries of `destination` due at `now` (next attempt unset or not
    /// after `now`), oldest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the store fails.
    async fn due(
        &self,
        destination: &str,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, OutboxError>;

    /// An attempt starts: count it and lease the delivery until `lease_until`.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the store fails (the engine then does not send).
    async fn mark_attempt(
        &self,
        id: DeliveryId,
        at: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<(), OutboxError>;

    /// The delivery arrived; `remote_id` is its id on the other side.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the store fails.
    async fn mark_delivered(&self, id: DeliveryId, remote_id: &str, at: OffsetDateTime) -> Result<(), OutboxError>;

    /// The attempt failed (module doc of [`Failure`]).
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the store fails.
    async fn record_failure(&self, id: DeliveryId, failure: &Failure) -> Result<(), OutboxError>;

    /// Every delivery of `destination`.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the store fails.
    async fn deliveries(&self, destination: &str) -> Result<Vec<DeliveryRecord>, OutboxError>;

    /// Makes a delivered or failed delivery pending again, due at `at`
    /// (reconciliation found the other side lacks it).
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the store fails or the id is unknown.
    async fn requeue(&self, id: DeliveryId, at: OffsetDateTime) -> Result<(), OutboxError>;
}

#[derive(Debug, Clone)]
struct Row {
    record: DeliveryRecord,
    artifact: ComplianceArtifact,
}

/// An [`Outbox`] in memory.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    rows: Mutex<Vec<Row>>,
}

impl MemoryOutbox {
    /// An empty outbox.
    pub fn new() -> MemoryOutbox {
        MemoryOutbox::default()
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, Vec<Row>> {
        // A panic while holding this lock can only come from a test; the rows are
        // plain data and stay consistent, so keep going with them.
        self.rows.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a delivery of `artifact` to `destination`, due now, as the store does in
    /// the certification's transaction.
    pub fn enqueue(&self, destination: &str, artifact: ComplianceArtifact) -> DeliveryId {
        let mut rows = self.rows();
        let id = DeliveryId(rows.len() as u64 + 1);
        rows.push(Row {
            record: DeliveryRecord {
                id,
                destination: destination.to_owned(),
                artifact_id: artifact.id,
                idempotency_key: artifact.idempotency_key.clone(),
                state: DeliveryState::Pending,
                attempts: 0,
                last_error: None,
                failing_since: None,
                next_attempt_at: None,
            },
            artifact,
        });
        id
    }

    /// Every delivery, in insertion order.
    pub fn records(&self) -> Vec<DeliveryRecord> {
        self.rows().iter().map(|row| row.record.clone()).collect()
    }

    fn update<T>(&self, id: DeliveryId, change: impl FnOnce(&mut DeliveryRecord) -> T) -> Result<T, OutboxError> {
        let mut rows = self.rows();
        let row = rows
            .iter_mut()
            .find(|row| row.record.id == id)
            .ok_or_else(|| OutboxError::new(format!("no delivery {id}")))?;
        Ok(change(&mut row.record))
    }
}

#[async_trait]
impl Outbox for MemoryOutbox {
    async fn due(
        &self,
        destination: &str,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, OutboxError> {
        Ok(self
            .rows()
            .iter()
            .filter(|row| {
                row.record.destination == destination
                    && row.record.state == DeliveryState::Pending
                    && row.record.next_attempt_at.is_none_or(|at| at <= now)
            })
            .take(limit)
            .map(|row| PendingDelivery {
                id: row.record.id,
                destination: row.record.destination.clone(),
                artifact: row.artifact.clone(),
                attempts: row.record.attempts,
            })
            .collect())
    }

    async fn mark_attempt(
        &self,
        id: DeliveryId,
        _at: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<(), OutboxError> {
        self.update(id, |record| {
            record.attempts += 1;
            record.next_attempt_at = Some(lease_until);
        })
    }

    async fn mark_delivered(&self, id: DeliveryId, remote_id: &str, at: OffsetDateTime) -> Result<(), OutboxError> {
        self.update(id, |record| {
            record.state = DeliveryState::Delivered { remote_id: remote_id.to_owned(), at };
            record.last_error = None;
            record.failing_since = None;
            record.next_attempt_at = None;
        })
    }

    async fn record_failure(&self, id: DeliveryId, failure: &Failure) -> Result<(), OutboxError> {
        self.update(id, |record| {
            record.last_error = Some(failure.why.clone());
            record.failing_since.get_or_insert(failure.at);
            record.next_attempt_at = failure.retry_at;
            if failure.retry_at.is_none() {
                record.state = DeliveryState::Failed;
            }
        })
    }

    async fn deliveries(&self, destination: &str) -> Result<Vec<DeliveryRecord>, OutboxError> {
        Ok(self
            .rows()
            .iter()
            .filter(|row| row.record.destination == destination)
            .map(|row| row.record.clone())
            .collect())
    }

    async fn requeue(&self, id: DeliveryId, at: OffsetDateTime) -> Result<(), OutboxError> {
        self.update(id, |record| {
            record.state = DeliveryState::Pending;
            record.next_attempt_at = Some(at);
        })
    }
}
