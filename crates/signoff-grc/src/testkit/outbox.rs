//! The behaviour every [`Outbox`] must have, as [`MemoryOutbox`](crate::outbox::MemoryOutbox)
//! has it: one check that this crate runs against the memory outbox and the store
//! runs against its own (on SQLite and PostgreSQL).

use std::time::Duration;

use time::OffsetDateTime;

use crate::artifact::ComplianceArtifact;
use crate::outbox::{DeliveryId, DeliveryRecord, DeliveryState, Failure, Outbox};

macro_rules! check {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(format!($($message)+));
        }
    };
}

fn record(records: &[DeliveryRecord], id: DeliveryId) -> Result<DeliveryRecord, String> {
    records.iter().find(|record| record.id == id).cloned().ok_or_else(|| format!("delivery {id} is not listed"))
}

/// Checks `outbox` against the reference behaviour. `enqueue` adds a delivery of an
/// artifact to a destination, due now, as a certification does, and returns its id;
/// the outbox must be empty at the start. Uses three artifacts of
/// [`sample::artifacts`](crate::testkit::sample::artifacts).
///
/// # Errors
///
/// The first difference from the reference behaviour, in words.
pub async fn check_outbox<O, E>(outbox: &O, mut enqueue: E) -> Result<(), String>
where
    O: Outbox + ?Sized,
    E: AsyncFnMut(String, ComplianceArtifact) -> DeliveryId,
{
    let artifacts = crate::testkit::sample::artifacts(2);
    check!(artifacts.len() >= 3, "the sample has {} artifacts, fewer than 3", artifacts.len());
    let error = |error: crate::outbox::OutboxError| error.to_string();
    let now = OffsetDateTime::now_utc();
    let second = Duration::from_secs(1);

    let first = enqueue("one".to_owned(), artifacts[0].clone()).await;
    let other = enqueue("one".to_owned(), artifacts[1].clone()).await;
    let elsewhere = enqueue("two".to_owned(), artifacts[2].clone()).await;
    check!(first != other && other != elsewhere, "ids are not distinct: {first} {other} {elsewhere}");

    // Due: pending, per destination, oldest first, within the limit, the artifact whole.
    let due = outbox.due("one", now, 10).await.map_err(error)?;
    let ids: Vec<DeliveryId> = due.iter().map(|delivery| delivery.id).collect();
    check!(ids == vec![first, other], "due for one: {ids:?}, expected [{first}, {other}]");
    check!(due[0].artifact == artifacts[0], "the artifact read back differs from the one enqueued");
    check!(
        due[0].destination == "one" && due[0].attempts == 0,
        "a new delivery: {:?} {}",
        due[0].destination,
        due[0].attempts
    );
    let limited = outbox.due("one", now, 1).await.map_err(error)?;
    check!(limited.len() == 1 && limited[0].id == first, "limit 1 gave {} deliveries", limited.len());
    let two = outbox.due("two", now, 10).await.map_err(error)?;
    check!(two.len() == 1 && two[0].id == elsewhere, "due for two: {} deliveries", two.len());
    check!(outbox.due("three", now, 10).await.map_err(error)?.is_empty(), "an unknown destination has deliveries");

    // An attempt counts and leases.
    outbox.mark_attempt(first, now, now + 60 * second).await.map_err(error)?;
    let due = outbox.due("one", now + second, 10).await.map_err(error)?;
    check!(due.iter().all(|delivery| delivery.id != first), "a leased delivery is due during its lease");
    let due = outbox.due("one", now + 61 * second, 10).await.map_err(error)?;
    let leased = due.iter().find(|delivery| delivery.id == first);
    check!(leased.is_some_and(|delivery| delivery.attempts == 1), "after its lease: {leased:?}");

    // Failures: the reason, since when, when again; the first failure's time stays.
    let failed_at = now + 2 * second;
    let retry_at = now + 10 * second;
    let failure = Failure { why: "HTTP 503".into(), at: failed_at, retry_at: Some(retry_at) };
    outbox.record_failure(first, &failure).await.map_err(error)?;
    let again = Failure { why: "HTTP 502".into(), at: now + 3 * second, retry_at: Some(now + 20 * second) };
    outbox.record_failure(first, &again).await.map_err(error)?;
    let failing = record(&outbox.deliveries("one").await.map_err(error)?, first)?;
    check!(failing.state == DeliveryState::Pending, "a retried delivery is {:?}", failing.state);
    check!(failing.last_error.as_deref() == Some("HTTP 502"), "last error {:?}", failing.last_error);
    check!(failing.failing_since == Some(failed_at), "failing since {:?}, expected {failed_at}", failing.failing_since);
    check!(failing.next_attempt_at == Some(now + 20 * second), "next attempt {:?}", failing.next_attempt_at);
    check!(failing.attempts == 1, "attempts {}", failing.attempts);
    check!(failing.artifact_id == artifacts[0].id, "artifact id {}", failing.artifact_id);
    check!(failing.idempotency_key == artifacts[0].idempotency_key, "idempotency key differs");
    check!(
        outbox.due("one", now + 19 * second, 10).await.map_err(error)?.iter().all(|delivery| delivery.id != first),
        "a delivery is due before its retry time"
    );

    // Delivered: the remote id and time; the failure is forgotten; never due again.
    let delivered_at = now + 21 * second;
    outbox.mark_delivered(first, "remote-1", delivered_at).await.map_err(error)?;
    let delivered = record(&outbox.deliveries("one").await.map_err(error)?, first)?;
    check!(
        delivered.state == DeliveryState::Delivered { remote_id: "remote-1".into(), at: delivered_at },
        "delivered is {:?}",
        delivered.state
    );
    check!(delivered.last_error.is_none() && delivered.failing_since.is_none(), "a delivery keeps its failure");
    check!(delivered.next_attempt_at.is_none(), "a delivered delivery has a next attempt");
    let later = now + 3600 * second;
    check!(
        outbox.due("one", later, 10).await.map_err(error)?.iter().all(|delivery| delivery.id != first),
        "a delivered delivery is due"
    );

    // Given up: failed, never due.
    outbox.mark_attempt(other, now, now + 60 * second).await.map_err(error)?;
    let refused = Failure { why: "HTTP 422".into(), at: now + 4 * second, retry_at: None };
    outbox.record_failure(other, &refused).await.map_err(error)?;
    let given_up = record(&outbox.deliveries("one").await.map_err(error)?, other)?;
    check!(given_up.state == DeliveryState::Failed, "a delivery given up is {:?}", given_up.state);
    check!(given_up.last_error.as_deref() == Some("HTTP 422"), "given up with {:?}", given_up.last_error);
    check!(outbox.due("one", later, 10).await.map_err(error)?.is_empty(), "a failed delivery is due");

    // Requeued: pending again from the given time, attempts kept.
    let requeue_at = now + 30 * second;
    outbox.requeue(first, requeue_at).await.map_err(error)?;
    outbox.requeue(other, requeue_at).await.map_err(error)?;
    check!(outbox.due("one", now + 29 * second, 10).await.map_err(error)?.is_empty(), "requeued, due too early");
    let due = outbox.due("one", requeue_at, 10).await.map_err(error)?;
    let ids: Vec<DeliveryId> = due.iter().map(|delivery| delivery.id).collect();
    check!(ids == vec![first, other], "requeued and due: {ids:?}");
    check!(due[0].attempts == 1 && due[1].attempts == 1, "requeued attempts {} {}", due[0].attempts, due[1].attempts);
    check!(outbox.requeue(DeliveryId(u64::MAX / 2), now).await.is_err(), "requeueing an unknown delivery succeeded");

    // Listing: per destination, in order.
    let listed: Vec<DeliveryId> =
        outbox.deliveries("one").await.map_err(error)?.iter().map(|record| record.id).collect();
    check!(listed == vec![first, other], "deliveries of one: {listed:?}");
    let listed: Vec<DeliveryId> =
        outbox.deliveries("two").await.map_err(error)?.iter().map(|record| record.id).collect();
    check!(listed == vec![elsewhere], "deliveries of two: {listed:?}");
    Ok(())
}
