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

#[test]
fn a_certification_reaches_a_folder_and_a_webhook_exactly_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let key = WebhookKey::from_secret(&Secret::new(HOOK_SECRET)).unwrap();
    let receiver = runtime.block_on(WebhookReceiver::start(key)).unwrap();

    let store = TestStore::new();
    let sha = commit("sync v2");
    for file in ["v2/bandit.sarif", "v2/semgrep.sarif", "v2/junit.xml", "v2/sbom.cdx.json"] {
        store.ok(&["capture", &example(file), "--project", "shop", "--commit", &sha]);
    }
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);

    // Destinations: the secret only as a file reference; loopback allowed by setting.
    let settings = store.home().join("signoff.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("\n[sync]\nallow_private_networks = true\n");
    std::fs::write(&settings, text).unwrap();
    let secret = store.dir.path().join("hook.secret");
    std::fs::write(&secret, HOOK_SECRET).unwrap();
    let drop = store.dir.path().join("evidence-drop");
    let added = store.ok(&["sync", "add", "folder", "--name", "drop", "--path", drop.to_str().unwrap(), "--json"]);
    assert_eq!(serde_json::from_str::<Value>(&added).unwrap()["name"], "drop");
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
