//! GRC sync (G1–G3) through the use cases: the store's outbox behaves as the
//! reference outbox does; a certification writes its deliveries in its own
//! transaction; `sync run` delivers each artifact exactly once to a folder and to a
//! webhook receiver on loopback, also when the receiver fails five times first;
//! `sync reconcile` restores what the other side lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use signoff_app::Signoff;
use signoff_app::certify::CertifyRequest;
use signoff_grc::artifact::{ComplianceArtifact, InclusionProof, LedgerRef};
use signoff_grc::config::DestinationConfig;
use signoff_grc::engine::{Alert, AlertKind, CollectedAlerts, RetryPolicy};
use signoff_grc::outbox::DeliveryId;
use signoff_grc::secret::{Secret, SecretSource};
use signoff_grc::testkit::Fault;
use signoff_grc::testkit::webhook::WebhookReceiver;
use signoff_grc::webhook_signature::WebhookKey;
use signoff_package::tlog_proof::TlogProof;
use signoff_store::{NewDelivery, Store};

use crate::util::*;

const HOOK_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ALERT_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Retries in milliseconds, so the tests do not wait minutes.
fn fast_policy() -> RetryPolicy {
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

/// The store's outbox on every backend, checked against the reference behaviour.
#[tokio::test]
async fn the_store_outbox_behaves_as_every_outbox_must() {
    for store in stores().await {
        let backend = store.backend;
        let raw: Arc<dyn Store> = store.raw_store().await;
        let outbox = signoff_app::sync::StoreOutbox::new(raw.clone());
        let enqueue = async |destination: String, artifact: ComplianceArtifact| {
            let mut tx = raw.begin().await.unwrap();
            let delivery = NewDelivery {
                destination: destination.clone(),
                artifact_id: artifact.id.to_string(),
                idempotency_key: artifact.idempotency_key.to_string(),
                artifact: serde_json::to_string(&artifact).unwrap(),
            };
            tx.insert_deliveries(7, &[delivery]).await.unwrap();
            tx.commit().await.unwrap();
            let rows = raw.deliveries(Some(&destination)).await.unwrap();
            DeliveryId(u64::try_from(rows.last().unwrap().id).unwrap())
        };
        let checked = signoff_grc::testkit::outbox::check_outbox(&outbox, enqueue).await;
        assert_eq!(checked, Ok(()), "{backend}");
    }
}

/// A store with a certified and a rejected release of the example app.
async fn certified(store: &TestStore) {
    publish_policy(store).await;
    let (v1, v2) = (commit("shop v1"), commit("shop v2"));
    capture_example(store, "v1", &v1).await;
    create_release(store, "shop@1.4.0", &v1).await;
    approve(store, "shop@1.4.0", human("carol")).await;
    certify(&store.signoff, "shop@1.4.0").await;
    capture_example(store, "v2", &v2).await;
    create_release(store, "shop@1.4.1", &v2).await;
    approve(store, "shop@1.4.1", human("carol")).await;
    certify(&store.signoff, "shop@1.4.1").await;
}

async fn certify(signoff: &Signoff, name: &str) -> bool {
    let request = CertifyRequest {
        release: release(name),
        policy: None,
        environment: None,
        dry_run: false,
        at: None,
        actor: human("release-pipeline"),
    };
    signoff_app::certify::certify(signoff, request).await.unwrap().certified()
}

/// Configures a folder and a webhook destination (loopback allowed, the secret in a
/// file) and reopens the store so it reads them.
async fn configure(store: &mut TestStore, receiver: &WebhookReceiver, drop: &std::path::Path) {
    let home = store.signoff.home().to_owned();
    let settings = home.join("signoff.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("\n[server]\npublic_url = \"https://signoff.example.com/\"\n");
    text.push_str("\n[sync]\nallow_private_networks = true\n");
    std::fs::write(&settings, text).unwrap();
    let secret = home.join("hook.secret");
    std::fs::write(&secret, format!("{HOOK_SECRET}\n")).unwrap();
    store.signoff = Signoff::open(&home).await.unwrap();
    let folder = DestinationConfig::Folder { path: drop.display().to_string() };
    signoff_app::sync::add(&store.signoff, "drop", folder, false).unwrap();
    store.signoff = Signoff::open(&home).await.unwrap();
    let hook = DestinationConfig::Webhook {
        url: receiver.url(),
        secret: SecretSource::File(secret),
        list_url: Some(receiver.list_url()),
    };
    signoff_app::sync::add(&store.signoff, "hook", hook, false).unwrap();
    store.signoff = Signoff::open(&home).await.unwrap();
}

fn folder_copies(drop: &std::path::Path) -> BTreeMap<String, usize> {
    let mut copies = BTreeMap::new();
    for entry in std::fs::read_dir(drop).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let id = name.trim_start_matches("signoff-").trim_end_matches(".json").to_owned();
        *copies.entry(id).or_default() += 1;
    }
    copies
}

fn hook_copies(receiver: &WebhookReceiver) -> BTreeMap<String, usize> {
    let mut copies = BTreeMap::new();
    for received in receiver.state.processed().values() {
        *copies.entry(received.artifact["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    copies
}

fn once_each(artifacts: &[ComplianceArtifact]) -> BTreeMap<String, usize> {
    artifacts.iter().map(|artifact| (artifact.id.to_string(), 1)).collect()
}

/// Checks every inclusion proof of `artifact` with the project's own verifiers: each
/// is a C2SP tlog-proof naming its entry, whose checkpoint the store's key signed,
/// which is the first checkpoint covering the certificate's entry (a tree size that
/// never changes), and whose audit path leads from the entry's leaf hash to that
/// checkpoint's root.
/// Answers how many proofs it checked.
async fn assert_proofs_verify(store: &TestStore, artifact: &ComplianceArtifact) -> usize {
    let raw = store.raw_store().await;
    let verifier = store.signoff.verifier().unwrap();
    let certificate_seq = artifact.certificate.ledger.as_ref().unwrap().seq;
    let first_covering = raw.checkpoints().await.unwrap().into_iter().find(|at| at.size > certificate_seq).unwrap();
    assert!(artifact.unproven_entries().is_empty(), "{}", artifact.id);
    assert!(artifact.summary.ends_with("with its inclusion proof."), "{}", artifact.summary);
    let certificate = artifact.certificate.ledger.iter();
    let evidence: Vec<&LedgerRef> = artifact.evidence.iter().filter_map(|item| item.ledger.as_ref()).collect();
    let mut checked = 0;
    for ledger in certificate.chain(evidence) {
        let Some(InclusionProof::TlogProof { text }) = &ledger.proof else {
            panic!("entry {} has no tlog-proof", ledger.seq)
        };
        let proof = TlogProof::parse(text).unwrap();
        assert_eq!(proof.index, ledger.seq);
        let checkpoint = signoff_ledger::checkpoint::open(&proof.checkpoint, &verifier).unwrap();
        assert_eq!(checkpoint.size(), first_covering.size, "entry {}", ledger.seq);
        let body = raw.entries(ledger.seq, 1).await.unwrap().remove(0).body;
        let leaf = signoff_ledger::merkle::leaf_hash(&body);
        signoff_ledger::merkle::verify_inclusion(
            &leaf,
            ledger.seq,
            checkpoint.size(),
            &proof.hashes,
            &checkpoint.root(),
        )
        .unwrap();
        checked += 1;
    }
    checked
}

async fn within<F: std::future::Future>(seconds: u64, future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(seconds), future).await.expect("finished in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certifications_reach_every_destination_exactly_once_and_reconcile_restores() {
    for mut store in stores().await {
        let backend = store.backend;
        let receiver =
            WebhookReceiver::start(WebhookKey::from_secret(&Secret::new(HOOK_SECRET)).unwrap()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let drop = dir.path().join("evidence-drop");
        configure(&mut store, &receiver, &drop).await;
        // The receiver fails five times before it recovers.
        for fault in [
            Fault::Status(503),
            Fault::TooManyRequests { retry_after: 1 },
            Fault::DropAfter,
            Fault::Status(500),
            Fault::Status(502),
        ] {
            receiver.state.faults.push(fault, 1);
        }
        certified(&store).await;
        let signoff = &store.signoff;

        // Both certifications (the rejection too) wrote their deliveries.
        let rejected = signoff_app::sync::artifacts_of(signoff, &release("shop@1.4.0")).await.unwrap();
        let accepted = signoff_app::sync::artifacts_of(signoff, &release("shop@1.4.1")).await.unwrap();
        assert!(!rejected.is_empty() && !accepted.is_empty(), "{backend}");
        assert!(rejected.iter().any(|artifact| !artifact.satisfied), "{backend}: a rejection satisfies everything");
        let artifacts: Vec<ComplianceArtifact> = rejected.iter().chain(&accepted).cloned().collect();
        let ids: std::collections::BTreeSet<_> = artifacts.iter().map(|artifact| artifact.id).collect();
        assert_eq!(ids.len(), artifacts.len(), "{backend}: an artifact twice");
        let status = signoff_app::sync::status(signoff).await.unwrap();
        let pending: Vec<(String, u64)> = status.iter().map(|one| (one.name.clone(), one.pending)).collect();
        let count = artifacts.len() as u64;
        assert_eq!(pending, [("drop".to_owned(), count), ("hook".to_owned(), count)], "{backend}");

        // Alerts go to a webhook of their own too, configured in signoff.toml.
        let alert_receiver =
            WebhookReceiver::start(WebhookKey::from_secret(&Secret::new(ALERT_SECRET)).unwrap()).await.unwrap();
        let home = signoff.home().to_owned();
        std::fs::write(home.join("alert.secret"), ALERT_SECRET).unwrap();
        let text = std::fs::read_to_string(home.join("signoff.toml")).unwrap()
            + &format!(
                "\n[sync.alerts]\nwebhook_url = \"{}\"\nsecret = {{ file = \"{}\" }}\n",
                alert_receiver.url(),
                home.join("alert.secret").display()
            );
        std::fs::write(home.join("signoff.toml"), text).unwrap();
        store.signoff = Signoff::open(&home).await.unwrap();
        let signoff = &store.signoff;
        let alerts = Arc::new(CollectedAlerts::default());
        let monitor = signoff_app::sync::Monitor::start(signoff, vec![alerts.clone()]).unwrap();
        let run =
            within(120, signoff_app::sync::run(signoff, fast_policy(), monitor.alerts(), Duration::from_secs(100)))
                .await
                .unwrap();
        monitor.finish(Duration::from_secs(20)).await;
        assert!(!run.timed_out, "{backend}");
        // The hook failed five times in a row (the threshold is 3): one failing alert
        // and one recovery, each received once and verified by the alert receiver.
        let kinds: Vec<AlertKind> = alerts.alerts().iter().map(Alert::kind).collect();
        assert_eq!(kinds, [AlertKind::Failing, AlertKind::Recovered], "{backend}");
        let received: Vec<serde_json::Value> =
            alert_receiver.state.processed().into_values().map(|received| received.artifact).collect();
        let mut received_kinds: Vec<&str> = received.iter().map(|alert| alert["kind"].as_str().unwrap()).collect();
        received_kinds.sort_unstable();
        assert_eq!(received_kinds, ["destination_failing", "destination_recovered"], "{backend}");
        assert!(received.iter().all(|alert| alert["destination"] == "hook"), "{backend}: {received:?}");
        assert_eq!(alert_receiver.state.refused(), 0, "{backend}");
        assert_eq!(monitor.failing_destinations(), [("drop".to_owned(), false), ("hook".to_owned(), false)]);
        assert_eq!(run.delivered as u64, 2 * count, "{backend}: {run:?}");
        assert_eq!(run.retried, 5, "{backend}: {run:?}");
        assert_eq!(receiver.state.faults.remaining(), 0, "{backend}");
        assert_eq!(folder_copies(&drop), once_each(&artifacts), "{backend}: the folder");
        assert_eq!(hook_copies(&receiver), once_each(&artifacts), "{backend}: the webhook");
        // The files are the artifacts the store rebuilds (same content, same keys),
        // byte for byte, and the webhook received the same; every proof verifies,
        // and the links point at the configured server.
        let received = receiver.state.processed();
        let mut proofs = 0;
        for artifact in &artifacts {
            let bytes = std::fs::read(drop.join(artifact.file_name())).unwrap();
            assert_eq!(bytes, artifact.to_json_bytes().unwrap(), "{backend}");
            let read: ComplianceArtifact = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(&read, artifact, "{backend}");
            assert_eq!(read.content_key().unwrap(), read.idempotency_key, "{backend}");
            let message = format!("msg_{}", artifact.idempotency_key);
            let hooked: ComplianceArtifact = serde_json::from_value(received[&message].artifact.clone()).unwrap();
            assert_eq!(&hooked, artifact, "{backend}");
            proofs += assert_proofs_verify(&store, &read).await;
            let link = format!("https://signoff.example.com/ui/releases/shop/{}", artifact.release.version);
            assert_eq!(read.link.as_deref(), Some(link.as_str()), "{backend}");
        }
        assert!(proofs > 2 * artifacts.len(), "{backend}: evidence entries are proven too ({proofs} proofs)");
        let status = signoff_app::sync::status(signoff).await.unwrap();
        for one in &status {
            assert_eq!((one.sent, one.pending, one.failed), (count, 0, 0), "{backend}: {one:?}");
        }

        // Running again delivers nothing twice.
        let again = within(60, signoff_app::sync::run(signoff, fast_policy(), alerts.clone(), Duration::from_secs(50)))
            .await
            .unwrap();
        assert_eq!(again.delivered + again.retried + again.failed, 0, "{backend}: {again:?}");
        assert_eq!(hook_copies(&receiver), once_each(&artifacts), "{backend}");

        // Deleted on the other side, reconcile sends it again, once.
        let lost = &artifacts[0];
        std::fs::remove_file(drop.join(lost.file_name())).unwrap();
        assert!(receiver.state.forget_artifact(&lost.id.to_string()), "{backend}");
        for name in ["drop", "hook"] {
            let report =
                within(60, signoff_app::sync::reconcile(signoff, name, fast_policy(), alerts.clone())).await.unwrap();
            assert_eq!(report.missing, [lost.id.to_string()], "{backend}: {name}");
            assert_eq!(report.delivered, 1, "{backend}: {name}");
        }
        assert_eq!(folder_copies(&drop), once_each(&artifacts), "{backend}: the folder after reconcile");
        assert_eq!(hook_copies(&receiver), once_each(&artifacts), "{backend}: the webhook after reconcile");
        let unknown = signoff_app::sync::reconcile(signoff, "vanta", fast_policy(), alerts.clone()).await;
        assert!(unknown.unwrap_err().to_string().contains("no sync destination vanta"), "{backend}");

        // The outbox is operational state: the ledger still verifies.
        let verified = signoff_app::verify::verify(signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {:?}", verified.failure);
    }
}

#[tokio::test]
async fn destinations_are_written_to_the_settings_with_secret_references_only() {
    let store = stores().await.remove(0);
    let home = store.signoff.home().to_owned();
    let hook = DestinationConfig::Webhook {
        url: "https://grc.example.com/hook".into(),
        secret: SecretSource::Env("SIGNOFF_TEST_HOOK_SECRET_UNSET".into()),
        list_url: None,
    };
    // The secret is not in the environment: refused unless unchecked.
    let refused = signoff_app::sync::add(&store.signoff, "hook", hook.clone(), false).unwrap_err();
    assert!(refused.to_string().contains("SIGNOFF_TEST_HOOK_SECRET_UNSET"), "{refused}");
    signoff_app::sync::add(&store.signoff, "hook", hook, true).unwrap();
    let text = std::fs::read_to_string(home.join("signoff.toml")).unwrap();
    assert!(text.contains("[sync.destinations.hook]"), "{text}");
    assert!(text.contains("# [git]"), "the comments are kept: {text}");
    assert!(text.contains(r#"secret = { env = "SIGNOFF_TEST_HOOK_SECRET_UNSET" }"#), "{text}");
    let reopened = Signoff::open(&home).await.unwrap();
    let listed = signoff_app::sync::list(&reopened);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "hook");
    let twice = signoff_app::sync::add(&reopened, "hook", listed[0].config.clone(), true).unwrap_err();
    assert!(twice.to_string().contains("exists already"), "{twice}");
    assert!(signoff_app::sync::add(&reopened, "no/slash", listed[0].config.clone(), true).is_err());
    signoff_app::sync::remove(&reopened, "hook").unwrap();
    assert!(signoff_app::sync::list(&Signoff::open(&home).await.unwrap()).is_empty());
    assert!(signoff_app::sync::remove(&reopened, "hook").is_err(), "removing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certifications_reach_vanta_and_drata_exactly_once() {
    use signoff_grc::destination::drata::DrataRegion;
    use signoff_grc::testkit::drata::FakeDrata;
    use signoff_grc::testkit::vanta::FakeVanta;

    for mut store in stores().await {
        let backend = store.backend;
        let vanta = FakeVanta::start("signoff-test-client", "vanta-secret-for-tests", "signoff-release-controls")
            .await
            .unwrap();
        let drata = FakeDrata::start("drata-key-for-tests", 1).await.unwrap();
        let home = store.signoff.home().to_owned();
        std::fs::write(home.join("vanta.secret"), "vanta-secret-for-tests\n").unwrap();
        std::fs::write(home.join("drata.secret"), "drata-key-for-tests\n").unwrap();
        let config = DestinationConfig::Vanta {
            client_id: "signoff-test-client".into(),
            client_secret: SecretSource::File(home.join("vanta.secret")),
            resource_id: "signoff-release-controls".into(),
            document_map: [("soc2".to_owned(), "change-management-evidence".to_owned())].into(),
            gov: false,
            base_url: Some(vanta.url()),
            scope: None,
        };
        signoff_app::sync::add(&store.signoff, "vanta", config, false).unwrap();
        store.signoff = Signoff::open(&home).await.unwrap();
        let config = DestinationConfig::Drata {
            api_key: SecretSource::File(home.join("drata.secret")),
            workspace_id: 1,
            region: DrataRegion::Us,
            control_map: BTreeMap::new(),
            base_url: Some(drata.base_url()),
        };
        signoff_app::sync::add(&store.signoff, "drata", config, false).unwrap();
        store.signoff = Signoff::open(&home).await.unwrap();
        certified(&store).await;
        let signoff = &store.signoff;
        let mut artifacts = signoff_app::sync::artifacts_of(signoff, &release("shop@1.4.0")).await.unwrap();
        artifacts.extend(signoff_app::sync::artifacts_of(signoff, &release("shop@1.4.1")).await.unwrap());

        let alerts = Arc::new(CollectedAlerts::default());
        let run = within(120, signoff_app::sync::run(signoff, fast_policy(), alerts.clone(), Duration::from_secs(100)))
            .await
            .unwrap();
        assert_eq!(run.delivered as usize, 2 * artifacts.len(), "{backend}: {run:?}");
        let held: Vec<String> = vanta.state.resources().keys().cloned().collect();
        let expected: Vec<String> = once_each(&artifacts).into_keys().collect();
        assert_eq!(held, expected, "{backend}: Vanta holds each artifact once");
        let mut copies: BTreeMap<String, usize> = BTreeMap::new();
        for evidence in drata.state.evidence() {
            let start = evidence.name.rfind("[signoff ").unwrap() + 9;
            *copies.entry(evidence.name[start..start + 36].to_owned()).or_default() += 1;
        }
        assert_eq!(copies, once_each(&artifacts), "{backend}: Drata holds each artifact once");

        // Running again sends nothing; a resource deleted in Vanta comes back.
        let again = within(60, signoff_app::sync::run(signoff, fast_policy(), alerts.clone(), Duration::from_secs(50)))
            .await
            .unwrap();
        assert_eq!(again.delivered + again.retried + again.failed, 0, "{backend}: {again:?}");
        assert!(vanta.state.delete_resource(&artifacts[0].id.to_string()));
        let report =
            within(60, signoff_app::sync::reconcile(signoff, "vanta", fast_policy(), alerts.clone())).await.unwrap();
        assert_eq!(report.missing, [artifacts[0].id.to_string()], "{backend}");
        assert_eq!(vanta.state.resources().keys().cloned().collect::<Vec<_>>(), expected, "{backend}");
    }
}

/// `[server] public_url` must be an http(s) URL: a store naming anything else does
/// not open, rather than failing at its next certification.
#[tokio::test]
async fn a_public_url_that_is_not_http_is_refused_when_the_store_opens() {
    let store = stores().await.remove(0);
    let home = store.signoff.home().to_owned();
    let settings = home.join("signoff.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("{text}\n[server]\npublic_url = \"ftp://signoff.example.com\"\n")).unwrap();
    let refused = Signoff::open(&home).await.err().unwrap().to_string();
    assert!(refused.contains("[server] public_url") && refused.contains("ftp://"), "{refused}");
    std::fs::write(&settings, format!("{text}\n[server]\npublic_url = \"https://signoff.example.com/base/\"\n"))
        .unwrap();
    Signoff::open(&home).await.unwrap();
}
