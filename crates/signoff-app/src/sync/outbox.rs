//! [`Outbox`] over the store's `sync_deliveries` rows (operational state, not
//! evidence), completing each artifact with its inclusion proofs before it is sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use signoff_grc::artifact::ComplianceArtifact;
use signoff_grc::outbox::{DeliveryId, DeliveryRecord, DeliveryState, Failure, Outbox, OutboxError, PendingDelivery};
use signoff_store::{DeliveryChange, DeliveryRow, Store, StoreError};
use time::OffsetDateTime;

use super::prove;

/// [`Outbox`] over the store's `sync_deliveries` rows.
#[derive(Clone)]
pub struct StoreOutbox {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for StoreOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOutbox").finish_non_exhaustive()
    }
}

impl StoreOutbox {
    /// The outbox of `store`.
    pub fn new(store: Arc<dyn Store>) -> StoreOutbox {
        StoreOutbox { store }
    }
}

fn nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

pub(super) fn from_nanos(value: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(value)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn outbox_error(error: StoreError) -> OutboxError {
    OutboxError { message: error.to_string(), source: Some(Box::new(error)) }
}

fn delivery_id(row: &DeliveryRow) -> DeliveryId {
    DeliveryId(u64::try_from(row.id).unwrap_or_default())
}

fn store_id(id: DeliveryId) -> i64 {
    i64::try_from(id.0).unwrap_or(i64::MAX)
}

fn corrupt(row: &DeliveryRow, message: String) -> OutboxError {
    OutboxError::new(format!("stored delivery {} is unreadable: {message}", row.id))
}

fn record_of(row: &DeliveryRow) -> Result<DeliveryRecord, OutboxError> {
    let artifact_id = uuid::Uuid::parse_str(&row.artifact_id).map_err(|error| corrupt(row, error.to_string()))?;
    let state = match row.state.as_str() {
        "pending" => DeliveryState::Pending,
        "delivered" => DeliveryState::Delivered {
            remote_id: row.remote_id.clone().unwrap_or_default(),
            at: from_nanos(row.delivered_at.unwrap_or_default()),
        },
        "failed" => DeliveryState::Failed,
        other => return Err(corrupt(row, format!("unknown state {other:?}"))),
    };
    // The key is the artifact's own; read it from the artifact so the type is
    // built by the crate that owns it.
    let artifact = artifact_of(row)?;
    Ok(DeliveryRecord {
        id: delivery_id(row),
        destination: row.destination.clone(),
        artifact_id,
        idempotency_key: artifact.idempotency_key,
        state,
        attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
        last_error: row.last_error.clone(),
        failing_since: row.failing_since.map(from_nanos),
        next_attempt_at: row.next_attempt_at.map(from_nanos),
    })
}

fn artifact_of(row: &DeliveryRow) -> Result<ComplianceArtifact, OutboxError> {
    serde_json::from_str(&row.artifact).map_err(|error| corrupt(row, format!("artifact: {error}")))
}

#[async_trait]
impl Outbox for StoreOutbox {
    async fn due(
        &self,
        destination: &str,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, OutboxError> {
        let rows = self
            .store
            .deliveries_due(destination, nanos(now), u64::try_from(limit).unwrap_or(u64::MAX))
            .await
            .map_err(outbox_error)?;
        let mut artifacts = rows.iter().map(artifact_of).collect::<Result<Vec<_>, _>>()?;
        self.prove_due(&rows, &mut artifacts).await?;
        Ok(rows
            .iter()
            .zip(artifacts)
            .map(|(row, artifact)| PendingDelivery {
                id: delivery_id(row),
                destination: row.destination.clone(),
                artifact,
                attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            })
            .collect())
    }

    async fn mark_attempt(
        &self,
        id: DeliveryId,
        _at: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<(), OutboxError> {
        self.change(id, DeliveryChange::Attempt { lease_until: nanos(lease_until) }).await
    }

    async fn mark_delivered(&self, id: DeliveryId, remote_id: &str, at: OffsetDateTime) -> Result<(), OutboxError> {
        self.change(id, DeliveryChange::Delivered { remote_id: remote_id.to_owned(), at: nanos(at) }).await
    }

    async fn record_failure(&self, id: DeliveryId, failure: &Failure) -> Result<(), OutboxError> {
        let change = DeliveryChange::Failure {
            why: failure.why.clone(),
            at: nanos(failure.at),
            retry_at: failure.retry_at.map(nanos),
        };
        self.change(id, change).await
    }

    async fn deliveries(&self, destination: &str) -> Result<Vec<DeliveryRecord>, OutboxError> {
        let rows = self.store.deliveries(Some(destination)).await.map_err(outbox_error)?;
        rows.iter().map(record_of).collect()
    }

    async fn requeue(&self, id: DeliveryId, at: OffsetDateTime) -> Result<(), OutboxError> {
        self.change(id, DeliveryChange::Requeue { at: nanos(at) }).await
    }
}

impl StoreOutbox {
    /// Proves the artifacts of `rows` that name ledger entries without proofs (those
    /// written at certification), one pass over the ledger per certification, and
    /// stores each completed artifact in its row before anything is sent.
    async fn prove_due(&self, rows: &[DeliveryRow], artifacts: &mut [ComplianceArtifact]) -> Result<(), OutboxError> {
        let mut by_certificate: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (index, artifact) in artifacts.iter().enumerate() {
            if !artifact.unproven_entries().is_empty() {
                by_certificate.entry(rows[index].certificate_seq).or_default().push(index);
            }
        }
        for (certificate_seq, indexes) in by_certificate {
            let anchor = u64::try_from(certificate_seq).unwrap_or_default();
            let bare: Vec<ComplianceArtifact> = indexes.iter().map(|index| artifacts[*index].clone()).collect();
            let proven = prove(self.store.as_ref(), anchor, bare)
                .await
                .map_err(|error| OutboxError::new(format!("cannot prove the artifacts of entry {anchor}: {error}")))?;
            for (index, artifact) in indexes.into_iter().zip(proven) {
                let json = serde_json::to_string(&artifact)
                    .map_err(|error| OutboxError::new(format!("compliance artifact {}: {error}", artifact.id)))?;
                let change =
                    DeliveryChange::Prove { artifact: json, idempotency_key: artifact.idempotency_key.to_string() };
                // Another engine may have proven and sent it meanwhile (the row is no
                // longer pending): proving is deterministic, so its bytes are these.
                self.store.change_delivery(rows[index].id, &change).await.map_err(outbox_error)?;
                artifacts[index] = artifact;
            }
        }
        Ok(())
    }

    async fn change(&self, id: DeliveryId, change: DeliveryChange) -> Result<(), OutboxError> {
        if self.store.change_delivery(store_id(id), &change).await.map_err(outbox_error)? {
            Ok(())
        } else {
            Err(OutboxError::new(format!("no delivery {id}")))
        }
    }
}
