//! End to end: the engine, the in-memory outbox and each destination against its
//! local server. What the other side holds is counted on the server, not taken from
//! the engine's word.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use signoff_grc::artifact::ComplianceArtifact;
use signoff_grc::destination::Destination;
use signoff_grc::destination::folder::{Folder, LocalFolder};
use signoff_grc::engine::{Alert, AlertKind, EngineError};
use signoff_grc::outbox::{DeliveryState, MemoryOutbox};
use signoff_grc::testkit::webhook::WebhookReceiver;
use signoff_grc::testkit::{Fault, Faults, sample};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::util::*;

/// A check of what the other side holds, given the artifacts sent.
type Check = Box<dyn Fn(&[ComplianceArtifact])>;

/// A destination with its server, and how to count what the server holds.
struct Side {
    /// Builds a fresh destination (a restarted process builds a new one).
    make: Box<dyn Fn() -> Arc<dyn Destination>>,
    faults: Option<Arc<Faults>>,
    /// One entry per copy the other side holds, by artifact id.
    copies: Box<dyn Fn() -> Vec<Uuid>>,
    /// Deletes an artifact on the other side.
    delete: Box<dyn Fn(Uuid) -> bool>,
    /// Further checks on what the other side holds.
    check: Check,
    _server: Box<dyn std::any::Any>,
}

fn id_of(value: &serde_json::Value) -> Uuid {
    Uuid::parse_str(value.as_str().unwrap()).unwrap()
}

async fn webhook_side() -> Side {
    let receiver = Arc::new(start_receiver().await);
    let (for_make, for_copies, for_delete) = (receiver.clone(), receiver.clone(), receiver.clone());
    Side {
        make: Box::new(move || webhook(&for_make, true) as Arc<dyn Destination>),
        faults: Some(receiver.state.faults.clone()),
        copies: Box::new(move || {
            for_copies.state.processed().values().map(|received| id_of(&received.artifact["id"])).collect()
        }),
        delete: Box::new(move |id| for_delete.state.forget_artifact(&id.to_string())),
        check: Box::new(|_| {}),
        _server: Box::new(receiver),
    }
}

async fn vanta_side() -> Side {
    let server = Arc::new(start_vanta().await);
    let (for_make, for_copies, for_delete, for_check) =
        (server.clone(), server.clone(), server.clone(), server.clone());
    Side {
        make: Box::new(move || vanta(&for_make, &[("soc2", "change-management-evidence")]) as Arc<dyn Destination>),
        faults: Some(server.state.faults.clone()),
        copies: Box::new(move || for_copies.state.resources().keys().map(|id| Uuid::parse_str(id).unwrap()).collect()),
        delete: Box::new(move |id| for_delete.state.delete_resource(&id.to_string())),
        check: Box::new(move |artifacts| {
            // Every SOC 2 artifact was uploaded to the mapped document exactly once.
            let uploads = for_check.state.uploads("change-management-evidence");
            let mut names: Vec<String> = uploads.iter().map(|upload| upload.file_name.clone()).collect();
            names.sort();
            let mut expected: Vec<String> = artifacts
                .iter()
                .filter(|artifact| artifact.framework.id == "soc2")
                .map(|artifact| artifact.file_name())
                .collect();
            expected.sort();
            assert_eq!(names, expected, "one upload per SOC 2 artifact");
            for upload in &uploads {
                let artifact: ComplianceArtifact = serde_json::from_slice(&upload.bytes).unwrap();
                assert_eq!(
                    artifact.content_key().unwrap(),
                    artifact.idempotency_key,
                    "the upload is the artifact as built"
                );
            }
            // Resources carry the artifact's verdict for Vanta's tests.
            let resources = for_check.state.resources();
            for artifact in artifacts {
                let resource = &resources[&artifact.id.to_string()];
                assert_eq!(resource["customProperties"]["satisfied"], artifact.satisfied);
                assert_eq!(resource["customProperties"]["idempotencyKey"], artifact.idempotency_key.as_str());
            }
            assert_eq!(for_check.state.tokens_rate_limited(), 0, "never beyond the token endpoint's limit");
        }),
        _server: Box::new(server),
    }
}

async fn drata_side() -> Side {
    let server = Arc::new(start_drata().await);
    let (for_make, for_copies, for_delete, for_check) =
        (server.clone(), server.clone(), server.clone(), server.clone());
    Side {
        make: Box::new(move || {
            drata(&for_make, &[("soc2:CC8.1", &["code:DCF-37", "code:DCF-38"])]) as Arc<dyn Destination>
        }),
        faults: Some(server.state.faults.clone()),
        copies: Box::new(move || {
            for_copies
                .state
                .evidence()
                .iter()
                .map(|evidence| {
                    let start = evidence.name.rfind("[signoff ").unwrap() + 9;
                    Uuid::parse_str(&evidence.name[start..start + 36]).unwrap()
                })
                .collect()
        }),
        delete: Box::new(move |id| {
            let found =
                for_delete.state.evidence().into_iter().find(|evidence| evidence.name.contains(&id.to_string()));
            found.is_some_and(|evidence| for_delete.state.delete_evidence(evidence.id))
        }),
        check: Box::new(move |artifacts| {
            for evidence in for_check.state.evidence() {
                let file = for_check.state.file(&evidence.file_key).expect("the evidence's file was uploaded");
                let artifact: ComplianceArtifact = serde_json::from_slice(&file).unwrap();
                assert!(evidence.name.contains(&artifact.id.to_string()), "{}", evidence.name);
                let expected: Vec<String> = if artifact.framework.id == "soc2" && artifact.control.id == "CC8.1" {
                    vec!["code:DCF-37".into(), "code:DCF-38".into()]
                } else {
                    vec![]
                };
                assert_eq!(evidence.control_ids, expected);
                assert_eq!(evidence.body["filedAt"], artifact.certificate.evaluated_at);
            }
            assert!(artifacts.len() > signoff_grc::testkit::drata::PAGE_SIZE, "the look-up crosses list pages");
        }),
        _server: Box::new(server),
    }
}

fn folder_side() -> Side {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let root = dir.path().join("evidence-drop");
    let (for_make, for_copies, for_delete) = (root.clone(), root.clone(), root.clone());
    let files = move |root: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(root)
            .map(|entries| entries.map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default()
    };
    let for_check = root.clone();
    Side {
        make: Box::new(move || {
            Arc::new(Folder::new("drop", Arc::new(LocalFolder::new(&for_make)))) as Arc<dyn Destination>
        }),
        faults: None,
        copies: Box::new(move || {
            files(&for_copies)
                .iter()
                .map(|name| Uuid::parse_str(name.trim_start_matches("signoff-").trim_end_matches(".json")).unwrap())
                .collect()
        }),
        delete: Box::new(move |id| std::fs::remove_file(for_delete.join(format!("signoff-{id}.json"))).is_ok()),
        check: Box::new(move |artifacts| {
            for artifact in artifacts {
                let bytes = std::fs::read(for_check.join(artifact.file_name())).unwrap();
                let read: ComplianceArtifact = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(&read, artifact);
            }
        }),
        _server: Box::new(dir),
    }
}

/// Asserts the other side holds each artifact exactly once and nothing else.
fn assert_exactly_once(side: &Side, artifacts: &[ComplianceArtifact]) {
    let mut counts: BTreeMap<Uuid, usize> = BTreeMap::new();
    for id in (side.copies)() {
        *counts.entry(id).or_default() += 1;
    }
    let expected: BTreeMap<Uuid, usize> = artifacts.iter().map(|artifact| (artifact.id, 1)).collect();
    assert_eq!(counts, expected, "each artifact exactly once on the other side");
    (side.check)(artifacts);
}

fn assert_all_delivered(outbox: &MemoryOutbox) {
    for record in outbox.records() {
        assert!(matches!(record.state, DeliveryState::Delivered { .. }), "{record:?}");
    }
}

async fn every_artifact_arrives_once(side: Side) {
    let artifacts = sample::artifacts(2);
    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, (side.make)().name(), &artifacts);
    let (engine, alerts) = engine(&outbox, (side.make)());
    let report = within(60, engine.run_until_idle()).await.unwrap();
    assert_eq!(report.delivered as usize, artifacts.len());
    assert_eq!(report.retried + report.failed, 0);
    assert_all_delivered(&outbox);
    assert_exactly_once(&side, &artifacts);
    assert!(alerts.alerts().is_empty());

    // Running again sends nothing: nothing is pending.
    let again = within(30, engine.run_until_idle()).await.unwrap();
    assert_eq!(again.attempts(), 0);
    assert_exactly_once(&side, &artifacts);
}

#[tokio::test]
async fn every_artifact_arrives_once_webhook() {
    every_artifact_arrives_once(webhook_side().await).await;
}

#[tokio::test]
async fn every_artifact_arrives_once_vanta() {
    every_artifact_arrives_once(vanta_side().await).await;
}

#[tokio::test]
async fn every_artifact_arrives_once_drata() {
    every_artifact_arrives_once(drata_side().await).await;
}

#[tokio::test]
async fn every_artifact_arrives_once_folder() {
    every_artifact_arrives_once(folder_side()).await;
}

/// Five failures in a row, mixing statuses, 429 with `Retry-After`, a connection
/// dropped after the request took effect and an answer slower than the client waits;
/// then the server recovers.
async fn recovers_after_five_failures(side: Side, faults: &[Fault]) {
    let artifacts = sample::artifacts(1);
    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, (side.make)().name(), &artifacts);
    let queue = side.faults.clone().unwrap();
    for fault in faults {
        queue.push(fault.clone(), 1);
    }
    let (engine, alerts) = engine(&outbox, (side.make)());
    let report = within(90, engine.run_until_idle()).await.unwrap();
    assert_eq!(queue.remaining(), 0, "every fault was met");
    assert_eq!(report.retried, 5, "{report:?}");
    assert_eq!(report.failed, 0);
    assert_eq!(report.delivered as usize, artifacts.len());
    assert_all_delivered(&outbox);
    assert_exactly_once(&side, &artifacts);

    let kinds: Vec<AlertKind> = alerts.alerts().iter().map(|alert| alert.kind()).collect();
    assert_eq!(kinds, [AlertKind::Failing, AlertKind::Recovered], "one alert past the threshold, one at recovery");
    let Alert::Failing(failing) = &alerts.alerts()[0] else { panic!("not a failing alert") };
    assert_eq!(failing.consecutive_failures, 3);
    assert!(!failing.last_error.is_empty());
}

#[tokio::test]
async fn webhook_server_failing_five_times_then_recovering_gets_everything_once() {
    let side = webhook_side().await;
    recovers_after_five_failures(
        side,
        &[
            Fault::Status(503),
            Fault::TooManyRequests { retry_after: 1 },
            Fault::DropAfter,
            Fault::Slow(Duration::from_secs(3)),
            Fault::Status(500),
        ],
    )
    .await;
}

#[tokio::test]
async fn vanta_server_failing_five_times_then_recovering_gets_everything_once() {
    let side = vanta_side().await;
    // A delivery is a read, an upload list, an upload (SOC 2 artifacts come first)
    // and a full-state PUT; the dropped connection hits the upload after it was stored.
    recovers_after_five_failures(
        side,
        &[
            Fault::Status(503),
            Fault::Pass,
            Fault::Pass,
            Fault::DropAfter,
            Fault::TooManyRequests { retry_after: 1 },
            Fault::Slow(Duration::from_secs(3)),
            Fault::Status(502),
        ],
    )
    .await;
}

#[tokio::test]
async fn drata_server_failing_five_times_then_recovering_gets_everything_once() {
    let side = drata_side().await;
    // A delivery is a list, an upload URL and a create; the dropped connection hits the
    // create after the evidence was stored.
    recovers_after_five_failures(
        side,
        &[
            Fault::Status(503),
            Fault::Pass,
            Fault::Pass,
            Fault::DropAfter,
            Fault::TooManyRequests { retry_after: 1 },
            Fault::Slow(Duration::from_secs(3)),
            Fault::Status(500),
        ],
    )
    .await;
}

/// The first delivery's request takes effect on the other side, then the process
/// dies before recording it (the engine's future is dropped). A new process resumes.
async fn killed_mid_delivery_resumes_without_duplicates(side: Side, before_hang: usize, arrived: bool) {
    let artifacts = sample::artifacts(1);
    let outbox = Arc::new(MemoryOutbox::new());
    let name = (side.make)().name().to_owned();
    enqueue_all(&outbox, &name, &artifacts);
    let received = Arc::new(Notify::new());
    let queue = side.faults.clone().unwrap();
    queue.push(Fault::Pass, before_hang);
    queue.push(Fault::HangAfter { received: received.clone() }, 1);

    let (first, _) = engine(&outbox, (side.make)());
    let first = Arc::new(first);
    let running = tokio::spawn({
        let first = first.clone();
        async move { first.run_until_idle().await }
    });
    within(30, received.notified()).await;
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());

    let records = outbox.records();
    assert_eq!(records[0].state, DeliveryState::Pending, "the killed delivery was not recorded");
    assert_eq!(records[0].attempts, 1);
    assert!(records.iter().all(|record| record.state == DeliveryState::Pending));
    if arrived {
        assert_eq!((side.copies)().iter().filter(|id| **id == artifacts[0].id).count(), 1, "it did arrive");
    }

    // A new process: a new destination (fresh token cache) over the same outbox.
    let (second, _) = engine(&outbox, (side.make)());
    let report = within(60, second.run_until_idle()).await.unwrap();
    assert_eq!(report.delivered as usize, artifacts.len());
    assert_all_delivered(&outbox);
    assert_exactly_once(&side, &artifacts);
}

#[tokio::test]
async fn webhook_delivery_killed_mid_flight_resumes_without_duplicates() {
    let side = webhook_side().await;
    let receiver_duplicates = {
        let any = &side._server;
        any.downcast_ref::<Arc<WebhookReceiver>>().unwrap().clone()
    };
    // The webhook asks the list URL first (not faulted), then posts.
    killed_mid_delivery_resumes_without_duplicates(side, 0, true).await;
    // The resent message had the same webhook-id: acknowledged, not processed again.
    assert_eq!(receiver_duplicates.state.duplicates(), 0, "the list look-up found it before resending");
}

#[tokio::test]
async fn webhook_without_list_relies_on_the_message_id() {
    let receiver = Arc::new(start_receiver().await);
    let artifacts = sample::artifacts(1);
    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, "hook", &artifacts);
    let received = Arc::new(Notify::new());
    receiver.state.faults.push(Fault::HangAfter { received: received.clone() }, 1);
    let (first, _) = engine(&outbox, webhook(&receiver, false));
    let first = Arc::new(first);
    let running = tokio::spawn({
        let first = first.clone();
        async move { first.run_until_idle().await }
    });
    within(30, received.notified()).await;
    running.abort();
    let _ = running.await;
    let (second, _) = engine(&outbox, webhook(&receiver, false));
    within(60, second.run_until_idle()).await.unwrap();
    assert_all_delivered(&outbox);
    // Sent twice, processed once: the receiver dropped the same webhook-id.
    assert_eq!(receiver.state.duplicates(), 1);
    assert_eq!(receiver.state.processed().len(), artifacts.len());
    let ids: std::collections::BTreeSet<String> = receiver
        .state
        .processed()
        .values()
        .map(|received| received.artifact["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), artifacts.len());
}

#[tokio::test]
async fn vanta_delivery_killed_mid_flight_resumes_without_duplicates() {
    // Read, upload list, upload (the first artifact is SOC 2), then the PUT hangs.
    killed_mid_delivery_resumes_without_duplicates(vanta_side().await, 3, true).await;
}

#[tokio::test]
async fn vanta_delivery_killed_after_the_upload_does_not_upload_twice() {
    // Read, upload list, then the upload hangs after storing the file.
    killed_mid_delivery_resumes_without_duplicates(vanta_side().await, 2, false).await;
}

#[tokio::test]
async fn drata_delivery_killed_mid_flight_resumes_without_duplicates() {
    // List, upload URL, then the create hangs after storing the evidence.
    killed_mid_delivery_resumes_without_duplicates(drata_side().await, 2, true).await;
}

async fn reconcile_restores_a_deleted_artifact(side: Side) {
    let artifacts = sample::artifacts(1);
    let outbox = Arc::new(MemoryOutbox::new());
    let name = (side.make)().name().to_owned();
    enqueue_all(&outbox, &name, &artifacts);
    let (engine, _) = engine(&outbox, (side.make)());
    within(60, engine.run_until_idle()).await.unwrap();
    assert_exactly_once(&side, &artifacts);

    let lost = artifacts[artifacts.len() / 2].id;
    assert!((side.delete)(lost), "deleted on the other side");
    let report = within(60, engine.reconcile(&name)).await.unwrap();
    assert_eq!(report.missing, vec![lost]);
    assert_eq!(report.held, artifacts.len() - 1);
    assert_eq!(report.expected, artifacts.len());
    assert_eq!(report.run.delivered, 1);
    assert_exactly_once(&side, &artifacts);

    // Reconciling a complete side sends nothing.
    let report = within(60, engine.reconcile(&name)).await.unwrap();
    assert!(report.missing.is_empty());
    assert_eq!(report.run.attempts(), 0);
}

#[tokio::test]
async fn reconcile_restores_an_artifact_deleted_in_vanta() {
    let side = vanta_side().await;
    // Vanta's full state: restoring it must not upload the document again either.
    reconcile_restores_a_deleted_artifact(side).await;
}

#[tokio::test]
async fn reconcile_restores_an_artifact_deleted_in_drata() {
    reconcile_restores_a_deleted_artifact(drata_side().await).await;
}

#[tokio::test]
async fn reconcile_restores_an_artifact_lost_by_the_webhook_receiver() {
    reconcile_restores_a_deleted_artifact(webhook_side().await).await;
}

#[tokio::test]
async fn reconcile_restores_a_file_deleted_from_the_folder() {
    reconcile_restores_a_deleted_artifact(folder_side()).await;
}

#[tokio::test]
async fn reconcile_needs_a_list_api() {
    let receiver = start_receiver().await;
    let outbox = Arc::new(MemoryOutbox::new());
    let (engine, _) = engine(&outbox, webhook(&receiver, false));
    let error = engine.reconcile("hook").await.unwrap_err();
    assert!(matches!(error, EngineError::List { .. }), "{error}");
    let message = signoff_grc::http::error_chain(&error);
    assert!(message.contains("list_url"), "{message}");
    assert!(matches!(engine.reconcile("nowhere").await, Err(EngineError::UnknownDestination { .. })));
}

#[tokio::test]
async fn a_refused_artifact_is_given_up_and_alerted() {
    // The Drata server refuses every create with 422: not retried, recorded failed.
    let server = start_drata().await;
    let artifacts = sample::artifacts(1);
    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, "drata", &artifacts[..3]);
    for _ in 0..3 {
        server.state.faults.push(Fault::Pass, 2);
        server.state.faults.push(Fault::Status(422), 1);
    }
    let (engine, alerts) = engine(&outbox, drata(&server, &[]));
    let report = within(30, engine.run_until_idle()).await.unwrap();
    assert_eq!((report.delivered, report.retried, report.failed), (0, 0, 3));
    for record in outbox.records() {
        assert_eq!(record.state, DeliveryState::Failed);
        assert!(record.last_error.as_deref().unwrap().contains("HTTP 422"), "{record:?}");
        assert_eq!(record.attempts, 1);
    }
    assert_eq!(alerts.alerts().len(), 1);
    assert_eq!(alerts.alerts()[0].kind(), AlertKind::Failing);
    assert!(server.state.evidence().is_empty());
}

#[tokio::test]
async fn the_memory_outbox_behaves_as_every_outbox_must() {
    let outbox = MemoryOutbox::new();
    signoff_grc::testkit::outbox::check_outbox(&outbox, async |destination: String, artifact| {
        outbox.enqueue(&destination, artifact)
    })
    .await
    .unwrap();
}
