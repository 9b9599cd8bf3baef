//! Alerts (G3, I2): a destination failing five times in a row raises exactly one
//! failing alert and one recovery, through the log, the metrics' tally and the alert
//! webhook, whose messages a Standard Webhooks receiver on loopback verifies.

use std::sync::Arc;
use std::time::Duration;

use signoff_core::EvidenceKind;
use signoff_grc::alert_webhook::{ALERT_EVENT_TYPE, AlertWebhook, AlertWebhookSettings, alert_message};
use signoff_grc::engine::{
    Alert, AlertKind, AlertSink, AlertSinks, AlertTally, CollectedAlerts, Engine, LogAlerts, RetryPolicy, SilentSource,
};
use signoff_grc::outbox::MemoryOutbox;
use signoff_grc::secret::Secret;
use signoff_grc::testkit::{Fault, sample};
use time::OffsetDateTime;

use crate::util::*;

/// A second key: alerts are signed with a secret of their own.
const ALERT_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn alert_settings(url: String) -> AlertWebhookSettings {
    let mut settings = AlertWebhookSettings::new(url, Secret::new(ALERT_SECRET), true);
    settings.timeouts = timeouts();
    settings.min_delay = Duration::from_millis(20);
    settings
}

async fn alert_receiver() -> signoff_grc::testkit::webhook::WebhookReceiver {
    let key = signoff_grc::webhook_signature::WebhookKey::from_secret(&Secret::new(ALERT_SECRET)).unwrap();
    signoff_grc::testkit::webhook::WebhookReceiver::start(key).await.unwrap()
}

#[tokio::test]
async fn five_failures_raise_one_signed_alert_and_one_recovery() {
    // The destination fails five times, then recovers.
    let destination = start_receiver().await;
    for fault in [Fault::Status(503), Fault::Status(500), Fault::DropBefore, Fault::Status(502), Fault::Status(504)] {
        destination.state.faults.push(fault, 1);
    }
    // The alert receiver fails its first request: the alert is sent again, once.
    let receiver = alert_receiver().await;
    receiver.state.faults.push(Fault::Status(503), 1);
    let (alert_hook, worker) = AlertWebhook::start(alert_settings(receiver.url())).unwrap();
    let collected = Arc::new(CollectedAlerts::default());
    let tally = Arc::new(AlertTally::default());
    let sinks: Vec<Arc<dyn AlertSink>> =
        vec![Arc::new(LogAlerts), collected.clone(), tally.clone(), alert_hook.clone()];

    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, "hook", &sample::artifacts(1)[..1]);
    let policy = RetryPolicy { alert_after: 5, ..fast_policy() };
    let engine =
        Engine::new(outbox.clone(), vec![webhook(&destination, false)], policy, Arc::new(AlertSinks::new(sinks)));
    let report = within(60, engine.run_until_idle()).await.unwrap();
    assert_eq!((report.retried, report.delivered), (5, 1), "{report:?}");
    within(30, worker.finish(Duration::from_secs(20))).await;

    let kinds: Vec<AlertKind> = collected.alerts().iter().map(Alert::kind).collect();
    assert_eq!(kinds, [AlertKind::Failing, AlertKind::Recovered]);
    assert_eq!(tally.raised(), [(AlertKind::Failing, 1), (AlertKind::Recovered, 1), (AlertKind::SourceSilent, 0)]);
    assert_eq!(tally.failing(), [("hook".to_owned(), false)], "recovered: not failing any more");

    // The receiver verified both signatures and processed each alert once, though
    // the first arrived twice.
    assert_eq!(receiver.state.refused(), 0);
    assert_eq!(receiver.state.faults.remaining(), 0);
    assert_eq!(alert_hook.dropped(), 0);
    let processed: Vec<_> = receiver.state.processed().into_values().collect();
    assert_eq!(processed.len(), 2, "{processed:?}");
    let mut data: Vec<serde_json::Value> = processed.iter().map(|received| received.artifact.clone()).collect();
    data.sort_by_key(|alert| alert["kind"].as_str().unwrap_or_default().to_owned());
    assert!(processed.iter().all(|received| received.event_type == ALERT_EVENT_TYPE));
    assert!(processed.iter().all(|received| received.message_id.starts_with("alert_")));
    assert_eq!(data[0]["kind"], "destination_failing");
    assert_eq!(data[0]["destination"], "hook");
    assert_eq!(data[0]["consecutive_failures"], 5);
    assert!(!data[0]["last_error"].as_str().unwrap().is_empty());
    assert_eq!(data[1]["kind"], "destination_recovered");
    assert_eq!(data[1]["since"], data[0]["since"]);
}

#[tokio::test]
async fn an_alert_keeps_its_message_id_and_a_full_queue_never_blocks() {
    let silent = Alert::SourceSilent(SilentSource {
        project: "shop".into(),
        tool: "trivy".into(),
        kind: EvidenceKind::ContainerScan,
        releases: 3,
        last_entry: 41,
        last_reported_at: OffsetDateTime::UNIX_EPOCH,
    });
    let (first, body) = alert_message(&silent, OffsetDateTime::now_utc()).unwrap();
    let (again, _) = alert_message(&silent, OffsetDateTime::now_utc() + Duration::from_secs(60)).unwrap();
    assert_eq!(first, again, "the same alert is the same message, whenever it is raised");
    let message: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(message["data"]["evidence_kind"], "container_scan");

    // No receiver listens there: each alert fails slowly, and the queue of one fills.
    let mut settings = alert_settings("http://127.0.0.1:9/unreachable".into());
    settings.queue = 1;
    settings.attempts = 3;
    settings.min_delay = Duration::from_millis(200);
    let (webhook, worker) = AlertWebhook::start(settings).unwrap();
    let started = std::time::Instant::now();
    for _ in 0..50 {
        webhook.raise(&silent);
    }
    assert!(started.elapsed() < Duration::from_secs(1), "raising only queues");
    assert!(webhook.dropped() >= 40, "{}", webhook.dropped());
    worker.finish(Duration::from_millis(100)).await;
}
