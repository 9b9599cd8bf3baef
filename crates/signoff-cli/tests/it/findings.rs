//! Findings across runs and releases (A4): first seen, last seen, fixed in.

use serde_json::Value;

use crate::util::{TestStore, commit, example, json_lines};

#[test]
fn a_fixed_finding_names_the_release_that_fixed_it() {
    let store = TestStore::new();
    let (v1, v2) = (commit("lifecycle v1"), commit("lifecycle v2"));
    store.ok(&[
        "capture",
        &example("v1/bandit.sarif"),
        &example("v1/semgrep.sarif"),
        "--project",
        "shop",
        "--commit",
        &v1,
    ]);
    store.ok(&["release", "create", "shop", "1.4.0", "--commit", &v1]);
    store.ok(&[
        "capture",
        &example("v2/bandit.sarif"),
        &example("v2/semgrep.sarif"),
        "--project",
        "shop",
        "--commit",
        &v2,
    ]);
    store.ok(&["release", "create", "shop", "1.4.1", "--commit", &v2]);

    let all: Vec<Value> = json_lines(&store.ok(&["findings", "--project", "shop", "--json"]));
    let by_rule = |tool: &str, rule: &str| -> Vec<&Value> {
        all.iter().filter(|view| view["tool"] == tool && view["rule_id"] == rule).collect()
    };
    // The shell=True injection is fixed in 1.4.1 by both scanners' accounts.
    let shell = by_rule("Bandit", "B602");
    assert_eq!(shell.len(), 1);
    assert_eq!(shell[0]["status"], "fixed");
    assert_eq!(shell[0]["severity"], "high");
    assert_eq!(shell[0]["first_seen"]["release"], "1.4.0");
    assert_eq!(shell[0]["fixed_in"]["release"], "1.4.1");
    let semgrep_shell = by_rule("Semgrep OSS", "subprocess-shell-true");
    assert_eq!(semgrep_shell[0]["status"], "fixed", "{all:?}");
    // Binding to all interfaces is still there in both releases: one finding, seen twice.
    let bind = by_rule("Bandit", "B104");
    assert_eq!(bind.len(), 1);
    assert_eq!(bind[0]["status"], "open");
    assert_eq!(bind[0]["times_seen"], 2);
    assert_eq!(bind[0]["last_seen"]["release"], "1.4.1");

    let open = json_lines(&store.ok(&["findings", "--project", "shop", "--status", "open", "--json"]));
    assert!(open.iter().all(|view| view["status"] == "open") && !open.is_empty());
    let fixed = json_lines(&store.ok(&["findings", "--project", "shop", "--status", "fixed", "--json"]));
    assert_eq!(open.len() + fixed.len(), all.len());
    // Release 1.4.1's findings exclude what was fixed there.
    let in_141 = json_lines(&store.ok(&["findings", "--project", "shop", "--release", "1.4.1", "--json"]));
    assert!(in_141.iter().all(|view| view["status"] == "open"), "{in_141:?}");
    assert!(in_141.iter().any(|view| view["rule_id"] == "B104"));
    // Every fingerprint is distinct.
    let mut fingerprints: Vec<&str> = all.iter().map(|view| view["fingerprint"].as_str().unwrap()).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), all.len());
    let text = store.ok(&["findings", "--project", "shop"]);
    assert!(text.contains("B602") && text.contains("fixed"), "{text}");
}
