//! `signoff inventory` (E4, I2): the sources of evidence, and the alert (exit 1)
//! when one stops reporting.

use serde_json::Value;

use crate::util::*;

/// shop 1.0.0 with every example output, 1.1.0 without the SBOM.
fn store() -> TestStore {
    let store = TestStore::new();
    for (version, sbom) in [("1.0.0", true), ("1.1.0", false)] {
        let sha = commit(&format!("inventory {version}"));
        let mut args = vec![
            "capture".to_owned(),
            example("v2/bandit.sarif"),
            example("v2/junit.xml"),
            "--project".into(),
            "shop".into(),
            "--commit".into(),
            sha.clone(),
        ];
        if sbom {
            args.push(example("v2/sbom.cdx.json"));
        }
        store.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        store.ok(&["release", "create", "shop", version, "--commit", &sha]);
    }
    store
}

#[test]
fn a_source_absent_from_the_last_releases_exits_1_and_is_named() {
    let store = store();
    let output = store.run(&["inventory", "--project", "shop", "--silent-after", "1", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let inventory: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(inventory["schema_version"].is_string() || inventory["schema_version"].is_number(), "{inventory}");
    let sources = inventory["projects"][0]["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 3, "{inventory}");
    let silent: Vec<&Value> = sources.iter().filter(|source| source["silent"] == true).collect();
    assert_eq!(silent.len(), 1, "{inventory}");
    assert_eq!(silent[0]["kind"], "sbom");
    assert_eq!(silent[0]["lacking"], serde_json::json!(["1.1.0"]));
    assert_eq!(silent[0]["last_release"], "1.0.0");

    let text = store.run(&["inventory", "--silent-after", "1"]);
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("SILENT") && text.contains("silent: shop: "), "{text}");
    assert!(text.contains("is absent from the last 1 release;"), "{text}");

    // Two releases back, 1.0.0 had it: not silent yet.
    let patient: Value = serde_json::from_str(&store.ok(&["inventory", "--project", "shop", "--json"])).unwrap();
    assert_eq!(patient["silent_after"], 3);
    assert!(patient["projects"][0]["sources"].as_array().unwrap().iter().all(|source| source["silent"] == false));
}

#[test]
fn bad_thresholds_and_project_names_are_errors() {
    let store = TestStore::new();
    let zero = store.run(&["inventory", "--silent-after", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    let bad = store.run(&["inventory", "--project", "no such/project!"]);
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stdout));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("project"), "{}", String::from_utf8_lossy(&bad.stderr));
    // An empty store has nothing to report, and nothing is silent.
    assert!(store.ok(&["inventory"]).contains("No evidence captured yet."));
}
