//! Releases bound to commits (B1): evidence captured at the commit attaches.

use serde_json::Value;

use crate::util::{TestStore, commit, example};

#[test]
fn evidence_at_the_commit_attaches_to_the_release() {
    let store = TestStore::new();
    let v1 = commit("shop v1");
    let v2 = commit("shop v2");
    store.ok(&["capture", &example("v1/bandit.sarif"), &example("v1/junit.xml"), "--project", "shop", "--commit", &v1]);
    store.ok(&["capture", &example("v2/bandit.sarif"), "--project", "shop", "--commit", &v2]);
    // Other projects' evidence at the same commit does not attach.
    store.ok(&["capture", &example("v1/semgrep.sarif"), "--project", "other", "--commit", &v1]);

    let artifact = format!("sha256:{}", "ab".repeat(32));
    let created: Value = serde_json::from_str(&store.ok(&[
        "release",
        "create",
        "shop",
        "1.4.0",
        "--commit",
        &v1,
        "--artifact",
        &artifact,
        "--json",
    ]))
    .unwrap();
    assert_eq!(created["project"], "shop");
    assert_eq!(created["version"], "1.4.0");
    assert_eq!(created["commit"], v1.as_str());
    assert_eq!(created["artifacts"][0], artifact.as_str());
    assert_eq!(created["totals"]["evidence"], 2);
    assert_eq!(created["totals"]["kinds"], serde_json::json!(["sast", "test_results"]));
    assert_eq!(created["totals"]["tests"]["failed"], 1);

    // Evidence captured after the release was created, at its commit, attaches too.
    store.ok(&["capture", &example("v1/semgrep.sarif"), "--project", "shop", "--commit", &v1]);
    // And evidence captured for the version by name, whatever its commit.
    store.ok(&["capture", &example("v2/junit.xml"), "--project", "shop", "--release", "1.4.0"]);
    let shown: Value = serde_json::from_str(&store.ok(&["release", "show", "shop@1.4.0", "--json"])).unwrap();
    let files: Vec<&str> =
        shown["evidence"].as_array().unwrap().iter().map(|item| item["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["bandit.sarif", "junit.xml", "semgrep.sarif", "junit.xml"]);
    assert_eq!(shown["totals"]["findings"]["high"], 2, "{shown}");

    let second: Value =
        serde_json::from_str(&store.ok(&["release", "create", "shop", "1.4.1", "--commit", &v2, "--json"])).unwrap();
    assert_eq!(second["previous"], "1.4.0");
    assert_eq!(second["totals"]["evidence"], 1);

    // A version exists once.
    let output = store.run(&["release", "create", "shop", "1.4.0", "--commit", &v2]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("release shop@1.4.0 already exists"));

    let text = store.ok(&["release", "show", "shop", "1.4.1"]);
    assert!(
        text.contains("release  shop@1.4.1") && text.contains("previous shop@1.4.0") && text.contains("bandit.sarif"),
        "{text}"
    );
    assert_eq!(store.verify().0, 0);
}

#[test]
fn release_needs_a_commit_and_valid_digests() {
    let store = TestStore::new();
    let output = store.run(&["release", "create", "shop", "1.0.0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no commit"));
    let output = store.run(&["release", "create", "shop", "1.0.0", "--commit", &commit("x"), "--artifact", "md5:abc"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a sha256 digest"));
    assert_eq!(store.ledger_size(), 0);
}
