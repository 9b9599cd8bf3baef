//! Connector details against the local servers: Vanta's token cache, rate limit and
//! full-state sync; Drata's errors; the webhook's SSRF guard and signatures.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use signoff_grc::destination::vanta::{DEFAULT_SCOPE, Vanta, VantaSettings};
use signoff_grc::destination::webhook::{Webhook, WebhookSettings};
use signoff_grc::destination::{DeliveryOutcome, Destination, DestinationError};
use signoff_grc::engine::AlertKind;
use signoff_grc::net_guard::{Lookup, LookupFuture};
use signoff_grc::outbox::{DeliveryState, MemoryOutbox};
use signoff_grc::secret::Secret;
use signoff_grc::testkit::{Fault, sample};
use signoff_grc::webhook_signature::WebhookKey;

use crate::util::*;

fn vanta_with(server: &signoff_grc::testkit::vanta::FakeVanta, secret: &str, min_mint: Duration) -> Vanta {
    Vanta::new(
        "vanta",
        VantaSettings {
            base_url: server.url(),
            client_id: VANTA_CLIENT.into(),
            client_secret: Secret::new(secret),
            scope: DEFAULT_SCOPE.into(),
            resource_id: VANTA_RESOURCE.into(),
            document_map: Default::default(),
            min_mint_interval: min_mint,
            timeouts: timeouts(),
        },
    )
    .unwrap()
}

#[tokio::test]
async fn vanta_token_is_minted_once_for_many_deliveries() {
    let server = start_vanta().await;
    let artifacts = sample::artifacts(2);
    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, "vanta", &artifacts);
    let (engine, _) = engine(&outbox, vanta(&server, &[]));
    within(60, engine.run_until_idle()).await.unwrap();
    assert!(artifacts.len() > 20);
    assert_eq!(server.state.tokens_minted(), 1, "one token for {} deliveries", artifacts.len());
}

#[tokio::test]
async fn vanta_token_is_refreshed_when_it_expires() {
    let server = start_vanta().await;
    server.state.set_token_lifetime(2);
    let vanta = vanta_with(&server, VANTA_SECRET, Duration::from_millis(100));
    let artifacts = sample::artifacts(1);
    let key = &artifacts[0].idempotency_key;
    assert!(matches!(within(10, vanta.deliver(&artifacts[0], key)).await, DeliveryOutcome::Delivered { .. }));
    assert!(matches!(
        within(10, vanta.deliver(&artifacts[1], &artifacts[1].idempotency_key)).await,
        DeliveryOutcome::Delivered { .. }
    ));
    assert_eq!(server.state.tokens_minted(), 1, "cached while valid");
    // Renewed shortly before expiry: a 2-second token is renewed after 1 second.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(matches!(
        within(10, vanta.deliver(&artifacts[2], &artifacts[2].idempotency_key)).await,
        DeliveryOutcome::Delivered { .. }
    ));
    assert_eq!(server.state.tokens_minted(), 2);
    assert_eq!(server.state.resources().len(), 3);
}

#[tokio::test]
async fn vanta_repeated_401s_never_hammer_the_token_endpoint() {
    let server = start_vanta().await;
    let vanta = vanta_with(&server, VANTA_SECRET, signoff_grc::destination::vanta::MIN_MINT_INTERVAL);
    server.state.faults.push(Fault::Unauthorized, 50);
    let artifact = &sample::artifacts(1)[0];
    for _ in 0..10 {
        let outcome = within(10, vanta.deliver(artifact, &artifact.idempotency_key)).await;
        let DeliveryOutcome::Retry { after, why } = outcome else { panic!("expected a retry") };
        assert!(why.contains("Vanta"), "{why}");
        if let Some(after) = after {
            assert!(after <= signoff_grc::destination::vanta::MIN_MINT_INTERVAL);
        }
    }
    assert_eq!(server.state.tokens_minted(), 1, "one mint; 401s wait for the interval");
    assert_eq!(server.state.tokens_rate_limited(), 0);
}

#[tokio::test]
async fn vanta_rate_limited_token_endpoint_is_a_retry_after() {
    let server = start_vanta().await;
    server.state.token_faults.push(Fault::TooManyRequests { retry_after: 42 }, 1);
    let vanta = vanta_with(&server, VANTA_SECRET, Duration::ZERO);
    let artifact = &sample::artifacts(1)[0];
    let outcome = within(10, vanta.deliver(artifact, &artifact.idempotency_key)).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Retry { after: Some(after), why } if *after == Duration::from_secs(42) && why.contains("429")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn vanta_full_state_sync_keeps_what_signoff_did_not_send() {
    let server = start_vanta().await;
    let foreign = json!({
        "displayName": "Manually tracked control evidence",
        "uniqueId": "manual-evidence-1",
        "externalUrl": "https://wiki.example.com/evidence/1",
        "customProperties": {"satisfied": true, "owner": "compliance team"}
    });
    server.state.insert_resource(foreign.clone());
    let artifacts = sample::artifacts(1);
    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, "vanta", &artifacts);
    let (engine, _) = engine(&outbox, vanta(&server, &[]));
    within(60, engine.run_until_idle()).await.unwrap();
    let resources = server.state.resources();
    assert_eq!(resources.len(), artifacts.len() + 1);
    assert_eq!(resources["manual-evidence-1"], foreign, "kept as it was");
    assert_eq!(server.state.puts(), artifacts.len());
}

#[tokio::test]
async fn vanta_bad_credentials_are_retried_and_alerted_and_never_printed() {
    let server = start_vanta().await;
    let wrong = "definitely-the-wrong-secret";
    let vanta = Arc::new(vanta_with(&server, wrong, Duration::ZERO));
    assert!(!format!("{vanta:?}").contains(wrong), "Debug redacts the secret");
    let artifacts = sample::artifacts(1);
    let outbox = Arc::new(MemoryOutbox::new());
    enqueue_all(&outbox, "vanta", &artifacts[..1]);
    let (engine, alerts) = engine(&outbox, vanta);
    for _ in 0..3 {
        within(20, engine.run_once()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let record = &outbox.records()[0];
    assert_eq!(record.state, DeliveryState::Pending, "credentials can be fixed: still pending");
    let error = record.last_error.as_deref().unwrap();
    assert!(error.contains("HTTP 401") && error.contains("check the credentials"), "{error}");
    assert!(!error.contains(wrong));
    assert_eq!(alerts.alerts().iter().map(|alert| alert.kind()).collect::<Vec<_>>(), [AlertKind::Failing]);
    assert!(server.state.resources().is_empty());
}

#[tokio::test]
async fn drata_errors_map_to_what_an_operator_must_do() {
    let server = start_drata().await;
    let artifact = &sample::artifacts(1)[0];

    let wrong_key = signoff_grc::destination::drata::Drata::new(
        "drata",
        signoff_grc::destination::drata::DrataSettings {
            api_key: Secret::new("not-the-key"),
            workspace_id: DRATA_WORKSPACE,
            base_url: server.base_url(),
            control_map: Default::default(),
            timeouts: timeouts(),
        },
    )
    .unwrap();
    assert!(!format!("{wrong_key:?}").contains("not-the-key"));
    let outcome = within(10, wrong_key.deliver(artifact, &artifact.idempotency_key)).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Retry { why, .. } if why.contains("401") && why.contains("check the credentials")),
        "{outcome:?}"
    );

    server.state.set_terms_accepted(false);
    let destination = drata(&server, &[]);
    let outcome = within(10, destination.deliver(artifact, &artifact.idempotency_key)).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Retry { why, .. } if why.contains("412") && why.contains("accept the API terms")),
        "{outcome:?}"
    );
    server.state.set_terms_accepted(true);
    let outcome = within(10, destination.deliver(artifact, &artifact.idempotency_key)).await;
    assert!(matches!(outcome, DeliveryOutcome::Delivered { .. }), "{outcome:?}");
    assert_eq!(server.state.evidence().len(), 1);
    assert!(server.state.evidence()[0].control_ids.is_empty(), "an unmapped control links to no Drata control");
}

/// A resolver answering fixed addresses and counting its calls.
struct Fixed {
    addresses: Vec<IpAddr>,
    calls: Arc<AtomicUsize>,
}

impl Lookup for Fixed {
    fn lookup(&self, _host: String) -> LookupFuture {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let addresses = self.addresses.clone();
        Box::pin(async move { Ok(addresses) })
    }
}

fn webhook_to(url: String, allow_private: bool, lookup: Option<Arc<dyn Lookup>>) -> Result<Webhook, DestinationError> {
    let mut settings = WebhookSettings::new(url, Secret::new(HOOK_SECRET), allow_private);
    settings.timeouts = timeouts();
    if let Some(lookup) = lookup {
        settings.lookup = lookup;
    }
    Webhook::new("hook", settings)
}

#[tokio::test]
async fn webhook_refuses_loopback_and_private_targets_unless_allowed() {
    let receiver = start_receiver().await;
    let port = receiver.port();
    let artifact = &sample::artifacts(1)[0];

    // IP literals are refused when the destination is configured, in every spelling.
    for host in ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254", "10.0.0.7", "100.64.1.1", "0x7f.1"] {
        let error = webhook_to(format!("http://{host}:{port}/hook"), false, None).unwrap_err();
        assert!(matches!(error, DestinationError::Guard { .. }), "{host}: {error}");
        assert!(error.to_string().contains("allow_private_networks"), "{error}");
    }

    // A name resolving to loopback is refused at delivery, by the real resolver...
    let by_name = webhook_to(format!("http://localhost:{port}/hook"), false, None).unwrap();
    let outcome = within(10, by_name.deliver(artifact, &artifact.idempotency_key)).await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Failed { why } if why.contains("refusing to deliver to localhost")),
        "{outcome:?}"
    );

    // ...and a public-looking name that resolves to 127.0.0.1 or ::ffff:127.0.0.1.
    for address in ["127.0.0.1", "::ffff:127.0.0.1"] {
        let lookup = Arc::new(Fixed { addresses: vec![address.parse().unwrap()], calls: Arc::default() });
        let rebinding = webhook_to(format!("http://hooks.example.test:{port}/hook"), false, Some(lookup)).unwrap();
        let outcome = within(10, rebinding.deliver(artifact, &artifact.idempotency_key)).await;
        assert!(matches!(&outcome, DeliveryOutcome::Failed { why } if why.contains(address)), "{address}: {outcome:?}");
    }
    assert_eq!(receiver.state.deliveries() + receiver.state.refused(), 0, "nothing reached the receiver");

    // Allowed, the same name reaches the receiver, resolved again for each delivery.
    let calls = Arc::new(AtomicUsize::new(0));
    let lookup = Arc::new(Fixed { addresses: vec!["127.0.0.1".parse().unwrap()], calls: calls.clone() });
    let allowed = webhook_to(format!("http://hooks.example.test:{port}/hook"), true, Some(lookup)).unwrap();
    let artifacts = sample::artifacts(1);
    for artifact in &artifacts[..2] {
        let outcome = within(10, allowed.deliver(artifact, &artifact.idempotency_key)).await;
        assert!(matches!(outcome, DeliveryOutcome::Delivered { .. }), "{outcome:?}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "resolved before each delivery");
    assert_eq!(receiver.state.processed().len(), 2);
}

#[tokio::test]
async fn webhook_signatures_are_checked_by_the_receiver() {
    // A receiver holding another secret refuses the messages: 401, retried.
    let other = WebhookKey::from_secret(&WebhookKey::generate().unwrap()).unwrap();
    let receiver = signoff_grc::testkit::webhook::WebhookReceiver::start(other).await.unwrap();
    let destination = webhook(&receiver, false);
    let artifact = &sample::artifacts(1)[0];
    let outcome = within(10, destination.deliver(artifact, &artifact.idempotency_key)).await;
    assert!(matches!(&outcome, DeliveryOutcome::Retry { why, .. } if why.contains("401")), "{outcome:?}");
    assert_eq!(receiver.state.refused(), 1);
    assert!(receiver.state.processed().is_empty());

    // The right receiver gets the documented message.
    let receiver = start_receiver().await;
    let destination = webhook(&receiver, false);
    let outcome = within(10, destination.deliver(artifact, &artifact.idempotency_key)).await;
    let expected_id = format!("msg_{}", artifact.idempotency_key);
    assert_eq!(outcome, DeliveryOutcome::Delivered { remote_id: expected_id.clone() });
    let processed = receiver.state.processed();
    let message = &processed[&expected_id];
    let body: serde_json::Value = serde_json::from_slice(&message.body).unwrap();
    assert_eq!(body["type"], "signoff.compliance_artifact");
    assert_eq!(body["timestamp"], artifact.certificate.evaluated_at);
    assert_eq!(body["data"]["id"], artifact.id.to_string());
    assert!(message.signature.starts_with("v1,"));
}

#[tokio::test]
async fn webhook_gone_is_given_up() {
    let receiver = start_receiver().await;
    receiver.state.faults.push(Fault::Status(410), 1);
    let destination = webhook(&receiver, false);
    let artifact = &sample::artifacts(1)[0];
    let outcome = within(10, destination.deliver(artifact, &artifact.idempotency_key)).await;
    assert!(matches!(&outcome, DeliveryOutcome::Failed { why } if why.contains("410")), "{outcome:?}");
}
