//! GRC sync end to end (G1–G3), through the binary: destinations added with secret
//! references only, a certification queued for a folder and a webhook receiver on
//! loopback, `sync run --once` delivering each artifact exactly once, a second run
//! sending nothing, `sync reconcile` restoring a deleted file, and the OSCAL export
//! of the same release.

use std::collections::BTreeMap;

use serde_json::Value;
use signoff_grc::secret::Secret;
use signoff_grc::testkit::webhook::WebhookReceiver;
use signoff_grc::webhook_signature::WebhookKey;

use crate::util::{TestStore, commit, example, json_lines};

const HOOK_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn files(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Verifies every inclusion proof of a delivered artifact independently of signoff's
/// own code: the C2SP tlog-proof is read by hand, its audit path checked with
/// ct-merkle (another RFC 6962 implementation) from the entry's bytes to the root its
/// checkpoint states, and the checkpoint's signature with ed25519-dalek under the
/// store's published note key. Answers the tree size the proofs are against.
fn verify_proofs_independently(store: &TestStore, artifact: &Value) -> u64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::Verifier as _;

    let verifier = store.ok(&["key", "public", "--format", "note"]);
    let key_bytes = STANDARD.decode(verifier.trim().splitn(3, '+').nth(2).unwrap()).unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes[1..].try_into().unwrap()).unwrap();
    let mut ledgers: Vec<&Value> = vec![&artifact["certificate"]["ledger"]];
    ledgers
        .extend(artifact["evidence"].as_array().unwrap().iter().map(|item| &item["ledger"]).filter(|l| !l.is_null()));
    let mut sizes = std::collections::BTreeSet::new();
    for ledger in ledgers {
        let seq = ledger["seq"].as_u64().unwrap();
        assert_eq!(ledger["proof"]["format"], "tlog_proof", "{ledger}");
        let text = ledger["proof"]["text"].as_str().unwrap();
        let (proof, note) = text.split_once("\n\n").unwrap();
        let mut lines = proof.lines();
        assert_eq!(lines.next(), Some("c2sp.org/tlog-proof@v1"));
        assert_eq!(lines.next(), Some(format!("index {seq}").as_str()));
        let path: Vec<u8> = lines.flat_map(|line| STANDARD.decode(line).unwrap()).collect();
        let (body, signatures) = note.split_once("\n\n").unwrap();
        let body = format!("{body}\n");
        let mut checkpoint = body.lines().skip(1);
        let size: u64 = checkpoint.next().unwrap().parse().unwrap();
        let root: [u8; 32] = STANDARD.decode(checkpoint.next().unwrap()).unwrap().try_into().unwrap();
        let signature = signatures.lines().next().unwrap().rsplit_once(' ').unwrap().1;
        let signature = STANDARD.decode(signature).unwrap();
        key.verify(body.as_bytes(), &ed25519_dalek::Signature::from_slice(&signature[4..]).unwrap()).unwrap();
        let entry: Value = serde_json::from_str(&store.ok(&["ledger", "prove", &seq.to_string(), "--json"])).unwrap();
        let entry_body = entry["entry_body"].as_str().unwrap().as_bytes().to_vec();
        let root = ct_merkle::RootHash::<sha2::Sha256>::new(root.into(), size);
        root.verify_inclusion(&entry_body, seq, &ct_merkle::InclusionProof::from_bytes(path)).unwrap();
        sizes.insert(size);
    }
    assert_eq!(sizes.len(), 1, "one checkpoint for every proof of an artifact: {sizes:?}");
    sizes.into_iter().next().unwrap()
}

/// A webhook receiver on loopback, verifying with the test secret, on a runtime of
/// its own.
fn receiver() -> (tokio::runtime::Runtime, WebhookReceiver) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let key = WebhookKey::from_secret(&Secret::new(HOOK_SECRET)).unwrap();
    let receiver = runtime.block_on(WebhookReceiver::start(key)).unwrap();
    (runtime, receiver)
}

/// A store where shop@1.0.0 is released with the example app's v2 `files`, whose
/// `[sync]` allows loopback and adds `sync` (TOML lines), and the webhook secret in
/// a file (its path).
fn released(label: &str, files: &[&str], sync: &str) -> (TestStore, std::path::PathBuf) {
    let store = TestStore::new();
    let sha = commit(label);
    for file in files {
        store.ok(&["capture", &example(&format!("v2/{file}")), "--project", "shop", "--commit", &sha]);
    }
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
    let settings = store.home().join("signoff.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str(&format!("\n[sync]\nallow_private_networks = true\n{sync}"));
    std::fs::write(&settings, text).unwrap();
    let secret = store.dir.path().join("hook.secret");
    std::fs::write(&secret, HOOK_SECRET).unwrap();
    (store, secret)
}

/// `sync add webhook` for `receiver`, the secret as a file reference.
fn add_hook(store: &TestStore, receiver: &WebhookReceiver, secret: &std::path::Path) {
    store.ok(&[
        "sync",
        "add",
        "webhook",
        "--name",
        "hook",
        "--url",
        &receiver.url(),
        "--list-url",
        &receiver.list_url(),
        "--secret-file",
        secret.to_str().unwrap(),
    ]);
}

#[test]
fn a_certification_reaches_a_folder_and_a_webhook_exactly_once() {
    let (_runtime, receiver) = receiver();
    // Destinations: the secret only as a file reference; loopback allowed by setting.
    let (store, secret) = released("sync v2", &["bandit.sarif", "semgrep.sarif", "junit.xml", "sbom.cdx.json"], "");
    let settings = store.home().join("signoff.toml");
    let drop = store.dir.path().join("evidence-drop");
    let added = store.ok(&["sync", "add", "folder", "--name", "drop", "--path", drop.to_str().unwrap(), "--json"]);
    assert_eq!(serde_json::from_str::<Value>(&added).unwrap()["name"], "drop");
    add_hook(&store, &receiver, &secret);
    let listed = store.ok(&["sync", "list", "--json"]);
    assert_eq!(json_lines(&listed).len(), 2);
    assert!(!listed.contains(HOOK_SECRET), "a secret value was listed: {listed}");
    assert!(!std::fs::read_to_string(&settings).unwrap().contains(HOOK_SECRET), "a secret value was written");
    let twice = store.run(&["sync", "add", "folder", "--name", "drop", "--path", "/tmp/elsewhere"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("exists already"));

    // Certified or rejected, the certification queues its artifacts for both.
    let certified = store.run(&["certify", "shop@1.0.0"]);
    assert!(matches!(certified.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&certified.stderr));
    let status = json_lines(&store.ok(&["sync", "status", "--json"]));
    let pending: Vec<u64> = status.iter().map(|one| one["pending"].as_u64().unwrap()).collect();
    let count = pending[0];
    assert!(count > 0 && pending == [count, count], "{status:?}");
    // The ledger grows before the delivery: the proofs stay at the certification's
    // checkpoint.
    let certified_size: Value = serde_json::from_str(&store.ok(&["ledger", "prove", "0", "--json"])).unwrap();
    let certified_size = certified_size["size"].as_u64().unwrap();
    store.ok(&["capture", &example("v2/coverage.xml"), "--project", "shop", "--commit", &commit("later")]);

    let run = store.ok(&["sync", "run", "--once", "--json"]);
    let run: Value = serde_json::from_str(&run).unwrap();
    assert_eq!(run["run"]["delivered"].as_u64(), Some(2 * count), "{run}");
    let names = files(&drop);
    assert_eq!(names.len() as u64, count, "{names:?}");
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for received in receiver.state.processed().values() {
        *copies.entry(format!("signoff-{}.json", received.artifact["id"].as_str().unwrap())).or_default() += 1;
    }
    let once: BTreeMap<String, usize> = names.iter().map(|name| (name.clone(), 1)).collect();
    assert_eq!(copies, once, "the webhook received what the folder holds, each once");
    // Every artifact carries proofs that verify, against the checkpoint signed with
    // the certification, and links nowhere (no public_url).
    for name in &names {
        let artifact: Value = serde_json::from_slice(&std::fs::read(drop.join(name)).unwrap()).unwrap();
        assert_eq!(verify_proofs_independently(&store, &artifact), certified_size, "{name}");
        assert!(artifact["link"].is_null(), "{name}");
    }

    // Nothing is sent twice.
    let again: Value = serde_json::from_str(&store.ok(&["sync", "run", "--once", "--json"])).unwrap();
    assert_eq!(again["run"]["delivered"], 0, "{again}");
    assert_eq!(receiver.state.processed().len() as u64, count);

    // A file deleted on the other side comes back with reconcile.
    std::fs::remove_file(drop.join(&names[0])).unwrap();
    let reconciled: Value = serde_json::from_str(&store.ok(&["sync", "reconcile", "drop", "--json"])).unwrap();
    assert_eq!(reconciled["missing"].as_array().unwrap().len(), 1, "{reconciled}");
    assert_eq!(files(&drop), names);
    let unknown = store.run(&["sync", "reconcile", "vanta"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no sync destination vanta"));

    // The same release as OSCAL assessment results.
    let oscal = store.dir.path().join("ar.json");
    store.ok(&["oscal", "export", "--release", "shop@1.0.0", "-o", oscal.to_str().unwrap()]);
    let document: Value = serde_json::from_slice(&std::fs::read(&oscal).unwrap()).unwrap();
    assert_eq!(document["assessment-results"]["metadata"]["oscal-version"], "1.1.3");
    // No exception on a vulnerability: nothing to state as VEX, and it says so.
    let vex = store.run(&["vex", "export", "--project", "shop", "--format", "openvex", "-o", "-"]);
    assert_eq!(vex.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&vex.stderr).contains("no finding dispositions"));

    // Removing a destination keeps its delivery history.
    store.ok(&["sync", "remove", "hook"]);
    let status = json_lines(&store.ok(&["sync", "status", "--json"]));
    assert_eq!(status.len(), 2, "{status:?}");
    assert!(status[1]["kind"].is_null() && status[1]["sent"].as_u64() == Some(count), "{status:?}");
    let (code, _) = store.verify();
    assert_eq!(code, 0);
}

/// A `signoff sync run` process killed (SIGKILL) after the receiver took a
/// delivery and before the process could record it: the next run finds it on
/// the other side and sends nothing twice, and everything else arrives once.
#[test]
fn a_sync_run_killed_mid_delivery_resumes_and_every_artifact_arrives_once() {
    use signoff_grc::testkit::Fault;

    let (runtime, receiver) = receiver();
    // A killed attempt's delivery is taken again once its lease ends: 5 s here.
    let files = ["bandit.sarif", "junit.xml", "coverage.xml", "sbom.cdx.json"];
    let (store, secret) = released("sync kill", &files, "lease_seconds = 5\n");
    add_hook(&store, &receiver, &secret);
    let certified = store.run(&["certify", "shop@1.0.0"]);
    assert!(matches!(certified.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&certified.stderr));
    let status = json_lines(&store.ok(&["sync", "status", "--json"]));
    let count = status[0]["pending"].as_u64().unwrap();
    assert!(count >= 3, "{status:?}");

    // The second delivery takes effect on the receiver, which then never answers.
    let received = std::sync::Arc::new(tokio::sync::Notify::new());
    receiver.state.faults.push(Fault::Pass, 1);
    receiver.state.faults.push(Fault::HangAfter { received: received.clone() }, 1);
    let mut running = store.command().args(["sync", "run", "--once"]).spawn().unwrap();
    runtime
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(60), received.notified()).await })
        .expect("the receiver took the second delivery within 60 s");
    running.kill().unwrap();
    let killed = running.wait().unwrap();
    assert!(!killed.success(), "killed, not finished");
    assert_eq!(receiver.state.processed().len(), 2, "two deliveries took effect before the kill");
    let status = json_lines(&store.ok(&["sync", "status", "--json"]));
    assert!(status[0]["sent"].as_u64().unwrap() < 2, "the killed delivery was not recorded: {status:?}");

    let run: Value = serde_json::from_str(&store.ok(&["sync", "run", "--once", "--json"])).unwrap();
    assert!(run["run"]["timed_out"] != true, "{run}");
    let status = json_lines(&store.ok(&["sync", "status", "--json"]));
    assert_eq!((status[0]["sent"].as_u64(), status[0]["pending"].as_u64()), (Some(count), Some(0)), "{status:?}");
    let processed = receiver.state.processed();
    let mut ids: Vec<&str> = processed.values().map(|received| received.artifact["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!((before, ids.len()), (count as usize, count as usize), "every artifact once: {ids:?}");
    assert_eq!(receiver.state.duplicates(), 0, "nothing sent twice");
    let (code, verified) = store.verify();
    assert_eq!(code, 0, "{verified}");
}
