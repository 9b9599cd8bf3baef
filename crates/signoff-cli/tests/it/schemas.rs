//! JSON output people can script: every JSON document and line carries a
//! `schema_version`, the schemas in docs/schemas/ are the ones the binary
//! generates (`UPDATE_SCHEMAS=1` rewrites them), and real outputs of a store with
//! the example app's history validate against them.

use std::path::Path;

use serde_json::Value;

use crate::audit::history;
use crate::util::{json_lines, root, signoff};

fn schemas_dir() -> std::path::PathBuf {
    root().join("docs/schemas")
}

#[test]
fn checked_in_schemas_are_the_generated_ones() {
    let generated = tempfile::tempdir().unwrap();
    let output = signoff().args(["schema", "--dir"]).arg(generated.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| entries.map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    };
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::create_dir_all(schemas_dir()).unwrap();
        for name in names(&schemas_dir()) {
            std::fs::remove_file(schemas_dir().join(name)).unwrap();
        }
        for name in names(generated.path()) {
            std::fs::copy(generated.path().join(&name), schemas_dir().join(&name)).unwrap();
        }
    }
    assert_eq!(
        names(generated.path()),
        names(&schemas_dir()),
        "docs/schemas/ lists other outputs than the binary documents; run UPDATE_SCHEMAS=1 cargo test -p signoff-cli --test it schemas"
    );
    for name in names(generated.path()) {
        let fresh = std::fs::read_to_string(generated.path().join(&name)).unwrap();
        let checked_in = std::fs::read_to_string(schemas_dir().join(&name)).unwrap();
        assert!(
            fresh == checked_in,
            "docs/schemas/{name} differs from the generated schema; run UPDATE_SCHEMAS=1 cargo test -p signoff-cli --test it schemas"
        );
    }
    // One schema on standard output, and a clear error for an unknown name.
    let one = signoff().args(["schema", "findings"]).output().unwrap();
    assert_eq!(
        String::from_utf8(one.stdout).unwrap(),
        std::fs::read_to_string(schemas_dir().join("findings.schema.json")).unwrap()
    );
    let unknown = signoff().args(["schema", "finding"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("audit-answer"));
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(schemas_dir().join(format!("{name}.schema.json"))).unwrap();
    jsonschema::options().should_validate_formats(true).build(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn assert_valid(name: &str, document: &Value) {
    let validator = validator(name);
    let errors: Vec<String> =
        validator.iter_errors(document).map(|error| format!("{} at {}", error, error.instance_path())).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{document:#}");
    assert_eq!(document["schema_version"], 1, "{name}: {document}");
}

#[test]
fn real_outputs_validate_against_their_schemas() {
    let store = history();
    let findings = json_lines(&store.ok(&["findings", "--project", "shop", "--json"]));
    assert!(findings.len() > 3, "the example app's scans have findings");
    for finding in &findings {
        assert_valid("findings", finding);
    }
    assert!(findings.iter().any(|finding| finding["status"] == "fixed" && finding["fixed_in"].is_object()));

    for args in [
        &["audit", "search", "--json"][..],
        &["audit", "search", "--severity", "high", "--json"],
        &["audit", "ask", "scans-for-period", "--project", "shop", "--json"],
        &["audit", "ask", "who-approved", "shop@1.4.1", "--json"],
        &["audit", "ask", "population", "--env", "prod", "--json"],
        &["audit", "ask", "deployed-without-certification", "--env", "prod", "--json"],
    ] {
        let answer: Value = serde_json::from_str(&store.ok(args)).unwrap();
        assert_valid("audit-answer", &answer);
        for row in answer["rows"].as_array().unwrap() {
            let keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
            let columns: Vec<&str> =
                answer["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
            assert_eq!(keys, columns, "{args:?}: rows are objects keyed by the columns, in order");
        }
    }
    let scans: Value =
        serde_json::from_str(&store.ok(&["audit", "ask", "scans-for-period", "--project", "shop", "--json"])).unwrap();
    assert!(
        scans["rows"].as_array().unwrap().iter().any(|row| row["tool"] == "Bandit" && row["high"] == "1"),
        "{scans}"
    );

    let (code, verify) = store.verify();
    assert_eq!(code, 0);
    assert_valid("ledger-verify", &verify);
    // The tree head is an object, not "17 sha256:…".
    assert!(verify["root"]["size"].as_u64().unwrap() > 0, "{verify}");
    assert!(verify["root"]["root"].as_str().unwrap().starts_with("sha256:"), "{verify}");

    let checkpoint: Value = serde_json::from_str(&store.ok(&["ledger", "checkpoint", "--json"])).unwrap();
    assert_valid("ledger-checkpoint", &checkpoint);
    let key: Value = serde_json::from_str(&store.ok(&["key", "public", "--json"])).unwrap();
    assert_valid("key-public", &key);

    // Evidence as inspect and capture print it: every kind of summary.
    let files: Vec<String> = ["bandit.sarif", "coverage.lcov", "coverage.xml", "junit.xml", "sbom.cdx.json"]
        .iter()
        .map(|name| root().join("examples/evidence/v2").join(name).display().to_string())
        .collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let inspected = json_lines(&store.ok(&[&["inspect"][..], &files, &["--json"]].concat()));
    let sha = crate::util::commit("schemas");
    let captured =
        json_lines(&store.ok(&[&["capture"][..], &files, &["--project", "shop", "--commit", &sha, "--json"]].concat()));
    assert_eq!((inspected.len(), captured.len()), (5, 5));
    for line in inspected.iter().chain(&captured) {
        assert_valid("evidence", line);
    }
    assert!(captured.iter().all(|line| line["entry"].is_u64() && line["context"].is_object()), "{captured:?}");
    let output = store.run(&["inventory", "--json"]);
    assert_valid("inventory", &serde_json::from_slice(&output.stdout).unwrap());
    let releases = json_lines(&store.ok(&["release", "list", "--json"]));
    assert!(releases.len() >= 2, "{releases:?}");
    for line in &releases {
        assert_valid("release-line", line);
    }
    assert!(releases.iter().any(|line| line["decision"] == "certified"), "{releases:?}");

    // The auditor's request list: import, answers of both kinds, list, status.
    let list = root().join("examples/pbc/soc2-requests.csv");
    let imported: Value =
        serde_json::from_str(&store.ok(&["pbc", "import", list.to_str().unwrap(), "--actor", "carol", "--json"]))
            .unwrap();
    assert_valid("pbc-import", &imported);
    let answered: Value = serde_json::from_str(&store.ok(&[
        "pbc",
        "answer",
        "REQ-1",
        "--query",
        "population env=prod",
        "--actor",
        "carol",
        "--json",
    ]))
    .unwrap();
    assert_valid("pbc-request", &answered);
    let report = store.home().with_file_name("q3.html");
    store.ok(&["report", "-o", report.to_str().unwrap()]);
    let answered: Value = serde_json::from_str(&store.ok(&[
        "pbc",
        "answer",
        "REQ-2",
        "--report",
        report.to_str().unwrap(),
        "--actor",
        "carol",
        "--json",
    ]))
    .unwrap();
    assert_valid("pbc-request", &answered);
    assert_eq!(answered["answers"][0]["answer"]["kind"], "report", "{answered}");
    let listed = json_lines(&store.ok(&["pbc", "list", "--json"]));
    assert_eq!(listed.len(), 5);
    for request in &listed {
        assert_valid("pbc-request", request);
    }
    let output = store.run(&["pbc", "status", "--json"]);
    let status: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_valid("pbc-status", &status);
}

#[test]
fn every_json_output_is_a_versioned_object() {
    let store = history();
    for args in [
        &["release", "show", "shop@1.4.1", "--json"][..],
        &["certificate", "show", "shop@1.4.1", "--json"],
        &["audit", "trace", "shop@1.4.1", "--json"],
        &["metrics", "--json"],
        &["report", "--json"],
        &["controls", "coverage", "--release", "shop@1.4.1", "--json"],
        &["ledger", "verify", "--json"],
    ] {
        let output = store.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        for document in stdout.split("\n{").take(1) {
            let document: Value = serde_json::from_str(document.trim()).unwrap_or_else(|error| {
                panic!(
                    "{args:?}: not one JSON document ({error}): {stdout}\n{}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
            assert!(document.is_object(), "{args:?}: {document}");
            assert_eq!(
                document.as_object().unwrap().keys().next().map(String::as_str),
                Some("schema_version"),
                "{args:?}"
            );
        }
    }
    // A DSSE envelope is shown as JSON, not as a JSON string inside JSON.
    let certificate: Value = serde_json::from_str(&store.ok(&["certificate", "show", "shop@1.4.1", "--json"])).unwrap();
    let envelope = &certificate["envelope"];
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json", "{certificate}");
    assert!(envelope["signatures"].as_array().is_some_and(|signatures| !signatures.is_empty()));
    // JSON lines carry it too.
    for line in json_lines(&store.ok(&["release", "list", "--json"])) {
        assert_eq!(line["schema_version"], 1, "{line}");
    }
}
