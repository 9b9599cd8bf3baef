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
    store.capture_shop(&["bandit.sarif", "semgrep.sarif"], &v2);
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

/// Triage (D3) end to end: a Grype scan's vulnerability marked not affected with
/// OpenVEX's justification shows in `findings` and comes out of `vex export` as
/// OpenVEX `not_affected`; bad requests say what is missing.
#[test]
fn a_triaged_vulnerability_shows_in_findings_and_in_vex() {
    let Some(corpus) = crate::util::corpus() else { return };
    let store = TestStore::new();
    let scan = corpus.join("grype-json/grype-0.28.0-check-all-fields.json");
    store.ok(&["capture", scan.to_str().unwrap(), "--project", "shop", "--commit", &commit("image scan")]);
    let views = json_lines(&store.ok(&["findings", "--project", "shop", "--json"]));
    let vulnerable = views.iter().find(|view| view["cve"].as_array().is_some_and(|ids| !ids.is_empty())).unwrap();
    let fingerprint = vulnerable["fingerprint"].as_str().unwrap();
    let short: String = fingerprint.trim_start_matches("sha256:").chars().take(12).collect();
    let cve = vulnerable["cve"][0].as_str().unwrap().to_owned();
    assert_eq!(vulnerable["target"], "image:vulnerable-image:latest");
    // The table shows the fingerprint as triage takes it.
    let table = store.ok(&["findings", "--project", "shop"]);
    assert!(table.contains(&short) && table.contains("triage"), "{table}");

    let reason = "the vulnerable parser is never called";
    let unjustified = store.run(&["triage", &short, "--project", "shop", "--as", "not-affected", "--reason", reason]);
    assert_eq!(unjustified.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unjustified.stderr).contains("needs --justification"));
    let done = store.ok(&[
        "triage",
        &short,
        "--project",
        "shop",
        "--as",
        "not-affected",
        "--justification",
        "vulnerable_code_not_in_execute_path",
        "--reason",
        reason,
        "--actor",
        "alice@example.com",
    ]);
    assert!(done.contains("TRI-1") && done.contains("in effect"), "{done}");

    let views = json_lines(&store.ok(&["findings", "--project", "shop", "--json"]));
    let marked: Vec<&Value> = views.iter().filter(|view| view["triage"].is_object()).collect();
    assert_eq!(marked.len(), 1, "{views:?}");
    assert_eq!(marked[0]["triage"]["disposition"], "not_affected");
    assert_eq!(marked[0]["triage"]["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(marked[0]["triage"]["by"], "alice@example.com");
    let listed = json_lines(&store.ok(&["triage", "list", "--project", "shop", "--json"]));
    assert_eq!((listed.len(), listed[0]["state"].as_str()), (1, Some("in_effect")));

    let vex: Value =
        serde_json::from_str(&store.ok(&["vex", "export", "--project", "shop", "--format", "openvex", "-o", "-"]))
            .unwrap();
    let statements = vex["statements"].as_array().unwrap();
    let statement = statements.iter().find(|statement| statement["vulnerability"]["name"] == cve.as_str()).unwrap();
    assert_eq!(statement["status"], "not_affected", "{statement}");
    assert_eq!(statement["justification"], "vulnerable_code_not_in_execute_path", "{statement}");
    let file = store.dir.path().join("vex.json");
    let vex = ["vex", "export", "--project", "shop", "--format", "openvex", "-o", file.to_str().unwrap(), "--json"];
    let written: Value = serde_json::from_str(&store.ok(&vex)).unwrap();
    crate::schemas::assert_valid("vex-export", &written);
    assert_eq!(written["dispositions"], 1, "{written}");
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
}
