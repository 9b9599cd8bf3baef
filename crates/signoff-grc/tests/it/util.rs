//! Helpers of the integration tests.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use signoff_grc::artifact::ComplianceArtifact;
use signoff_grc::destination::Destination;
use signoff_grc::destination::drata::{Drata, DrataSettings};
use signoff_grc::destination::vanta::{DEFAULT_SCOPE, Vanta, VantaSettings};
use signoff_grc::destination::webhook::{Webhook, WebhookSettings};
use signoff_grc::engine::{CollectedAlerts, Engine, RetryPolicy};
use signoff_grc::http::Timeouts;
use signoff_grc::outbox::MemoryOutbox;
use signoff_grc::secret::Secret;
use signoff_grc::testkit::drata::FakeDrata;
use signoff_grc::testkit::vanta::FakeVanta;
use signoff_grc::testkit::webhook::WebhookReceiver;
use signoff_grc::webhook_signature::WebhookKey;

pub(crate) const VANTA_CLIENT: &str = "signoff-test-client";
pub(crate) const VANTA_SECRET: &str = "vanta-client-secret-for-tests";
pub(crate) const VANTA_RESOURCE: &str = "signoff-release-controls";
pub(crate) const DRATA_KEY: &str = "drata-api-key-for-tests";
pub(crate) const DRATA_WORKSPACE: u64 = 1;
pub(crate) const HOOK_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// A retry policy in milliseconds, so tests do not wait minutes; a short lease so a
/// killed delivery is due again soon.
pub(crate) fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        min_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(300),
        factor: 2.0,
        jitter: true,
        max_attempts: Some(40),
        alert_after: 3,
        lease: Duration::from_millis(1500),
        batch: 100,
        poll: Duration::from_millis(100),
    }
}

/// Short client timeouts, so a slow answer is a timeout quickly.
pub(crate) fn timeouts() -> Timeouts {
    Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(2) }
}

/// Runs `future`, failing the test if it takes more than `seconds`.
pub(crate) async fn within<F: Future>(seconds: u64, future: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(seconds), future).await {
        Ok(output) => output,
        Err(_) => panic!("did not finish within {seconds} s"),
    }
}

/// An engine over `outbox` with one destination and collected alerts.
pub(crate) fn engine(outbox: &Arc<MemoryOutbox>, destination: Arc<dyn Destination>) -> (Engine, Arc<CollectedAlerts>) {
    let alerts = Arc::new(CollectedAlerts::default());
    let engine = Engine::new(outbox.clone(), vec![destination], fast_policy(), alerts.clone());
    (engine, alerts)
}

/// Queues every artifact for `destination`.
pub(crate) fn enqueue_all(outbox: &MemoryOutbox, destination: &str, artifacts: &[ComplianceArtifact]) {
    for artifact in artifacts {
        outbox.enqueue(destination, artifact.clone());
    }
}

pub(crate) fn vanta(server: &FakeVanta, document_map: &[(&str, &str)]) -> Arc<Vanta> {
    let settings = VantaSettings {
        base_url: server.url(),
        client_id: VANTA_CLIENT.into(),
        client_secret: Secret::new(VANTA_SECRET),
        scope: DEFAULT_SCOPE.into(),
        resource_id: VANTA_RESOURCE.into(),
        document_map: document_map.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect(),
        min_mint_interval: signoff_grc::destination::vanta::MIN_MINT_INTERVAL,
        timeouts: timeouts(),
    };
    Arc::new(Vanta::new("vanta", settings).unwrap())
}

pub(crate) async fn start_vanta() -> FakeVanta {
    FakeVanta::start(VANTA_CLIENT, VANTA_SECRET, VANTA_RESOURCE).await.unwrap()
}

pub(crate) fn drata(server: &FakeDrata, control_map: &[(&str, &[&str])]) -> Arc<Drata> {
    let settings = DrataSettings {
        api_key: Secret::new(DRATA_KEY),
        workspace_id: DRATA_WORKSPACE,
        base_url: server.base_url(),
        control_map: control_map
            .iter()
            .map(|(key, ids)| ((*key).to_owned(), ids.iter().map(|id| (*id).to_owned()).collect()))
            .collect(),
        timeouts: timeouts(),
    };
    Arc::new(Drata::new("drata", settings).unwrap())
}

pub(crate) async fn start_drata() -> FakeDrata {
    FakeDrata::start(DRATA_KEY, DRATA_WORKSPACE).await.unwrap()
}

pub(crate) fn hook_key() -> WebhookKey {
    WebhookKey::from_secret(&Secret::new(HOOK_SECRET)).unwrap()
}

pub(crate) async fn start_receiver() -> WebhookReceiver {
    WebhookReceiver::start(hook_key()).await.unwrap()
}

/// A webhook to the receiver, loopback allowed (the receiver is on 127.0.0.1).
pub(crate) fn webhook(receiver: &WebhookReceiver, with_list: bool) -> Arc<Webhook> {
    let mut settings = WebhookSettings::new(receiver.url(), Secret::new(HOOK_SECRET), true);
    settings.timeouts = timeouts();
    if with_list {
        settings.list_url = Some(receiver.list_url());
    }
    Arc::new(Webhook::new("hook", settings).unwrap())
}
