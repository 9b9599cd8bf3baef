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

pub(crate) fn assert_valid(name: &str, document: &Value) {
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

    // Search and scans-for-period stream a JSON line per row; `--document` (or a
    // file) gives the one-document answer of the other questions.
    let found = json_lines(&store.ok(&["audit", "search", "--json"]));
    assert!(found.len() >= 10, "{found:?}");
    for line in &found {
        assert_valid("audit-search", line);
    }
    let scanned = json_lines(&store.ok(&["audit", "ask", "scans-for-period", "--project", "shop", "--json"]));
    assert_eq!(scanned.len(), 4, "{scanned:?}");
    for line in &scanned {
        assert_valid("audit-scans-for-period", line);
    }
    assert!(scanned.iter().any(|row| row["tool"] == "Bandit" && row["high"] == "1"), "{scanned:?}");
    let limited = store.run(&["audit", "search", "--json", "--limit", "2"]);
    assert_eq!(json_lines(&String::from_utf8_lossy(&limited.stdout)).len(), 2);
    assert!(String::from_utf8_lossy(&limited.stderr).contains("more rows match than --limit 2"));
    for args in [
        &["audit", "search", "--json", "--document"][..],
        &["audit", "search", "--severity", "high", "--json", "--document"],
        &["audit", "ask", "scans-for-period", "--project", "shop", "--json", "--document"],
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
    let scans: Value = serde_json::from_str(&store.ok(&[
        "audit",
        "ask",
        "scans-for-period",
        "--project",
        "shop",
        "--json",
        "--document",
    ]))
    .unwrap();
    assert_eq!(
        scans["rows"].as_array().unwrap(),
        &scanned
            .iter()
            .map(|line| {
                let mut row = line.as_object().unwrap().clone();
                row.remove("schema_version");
                Value::Object(row)
            })
            .collect::<Vec<_>>(),
        "the lines are the document's rows"
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

/// Runs `args` with `actor` acting; its stdout as one JSON document.
fn document(store: &crate::util::TestStore, actor: &str, args: &[&str], codes: &[i32]) -> Value {
    let output = store.command().args(args).env("SIGNOFF_ACTOR", actor).output().unwrap();
    assert!(
        output.status.code().is_some_and(|code| codes.contains(&code)),
        "{args:?}: {:?}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{args:?}: {error}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn artifact(label: &str) -> String {
    format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(label.as_bytes())))
}

#[test]
fn the_pipelines_and_the_operators_outputs_validate_against_their_schemas() {
    let store = history();
    let release = document(&store, "ci", &["release", "show", "shop@1.4.1", "--json"], &[0]);
    assert_valid("release", &release);
    let sha = crate::util::commit("schemas 1.5.0");
    store.ok(&[
        "capture",
        &crate::util::example("v2/bandit.sarif"),
        &crate::util::example("v2/junit.xml"),
        "--project",
        "shop",
        "--commit",
        &sha,
    ]);
    let created = document(
        &store,
        "ci",
        &["release", "create", "shop@1.5.0", "--commit", &sha, "--artifact", &artifact("v3"), "--json"],
        &[0],
    );
    assert_valid("release", &created);
    assert_eq!(created["totals"]["evidence"], 2, "{created}");

    let approval = document(&store, "carol", &["approve", "shop@1.5.0", "--role", "release-manager", "--json"], &[0]);
    assert_valid("approval", &approval);
    let dry = document(&store, "ci", &["certify", "shop@1.5.0", "--dry-run", "--json"], &[0, 1]);
    assert_valid("certification", &dry);
    assert_eq!(dry["dry_run"], true);
    let certified = document(&store, "ci", &["certify", "shop@1.5.0", "--json"], &[0, 1]);
    assert_valid("certification", &certified);
    assert!(certified["certificate"]["envelope"].is_object(), "{certified}");
    let certificate = document(&store, "ci", &["certificate", "show", "shop@1.4.1", "--json"], &[0]);
    assert_valid("certificate", &certificate);
    let gate = document(&store, "ci", &["gate", "--artifact", &artifact("v2"), "--env", "prod", "--json"], &[0, 1]);
    assert_valid("gate", &gate);
    assert_eq!(gate["allowed"], true, "{gate}");
    let deployed = document(&store, "dave", &["deploy", "record", "shop@1.4.1", "--env", "staging", "--json"], &[0]);
    assert_valid("deployment", &deployed);
    let snapshot = document(
        &store,
        "dave",
        &["env", "snapshot", "--env", "prod", "--artifact", &artifact("v2"), "--json"],
        &[0, 1],
    );
    assert_valid("env-snapshot", &snapshot);

    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(10)).date().to_string();
    let requested = document(
        &store,
        "erin",
        &[
            "exception",
            "request",
            "--criterion",
            "tests-pass",
            "--project",
            "shop",
            "--reason",
            "flaky suite quarantined",
            "--expires",
            &expires,
            "--json",
        ],
        &[0],
    );
    assert_valid("exception", &requested);
    let id = requested["id"].as_str().unwrap();
    let approved = document(&store, "carol", &["exception", "approve", id, "--json"], &[0]);
    assert_valid("exception", &approved);
    assert_eq!(approved["state"], "approved", "{approved}");

    let coverage = document(&store, "carol", &["controls", "coverage", "--release", "shop@1.4.1", "--json"], &[0]);
    assert_valid("controls-coverage", &coverage);
    let metrics = document(&store, "carol", &["metrics", "--json"], &[0]);
    assert_valid("metrics", &metrics);
    let policy = store.dir.path().join("policy.yaml");
    let replay = document(&store, "carol", &["replay", "--policy", policy.to_str().unwrap(), "--json"], &[0]);
    assert_valid("replay", &replay);

    let issued = document(
        &store,
        "admin",
        &["token", "create", "--name", "ci-shop", "--scope", "capture", "--kind", "bot", "--json"],
        &[0],
    );
    assert_valid("token-issued", &issued);
    let tokens = json_lines(&store.ok(&["token", "list", "--json"]));
    assert_eq!(tokens.len(), 1);
    for token in &tokens {
        assert_valid("token", token);
    }

    let drop = store.dir.path().join("drop");
    let added = document(
        &store,
        "admin",
        &["sync", "add", "folder", "--name", "drop", "--path", drop.to_str().unwrap(), "--json"],
        &[0],
    );
    assert_valid("sync-destination", &added);
    let listed = json_lines(&store.ok(&["sync", "list", "--json"]));
    assert_eq!(listed.len(), 1);
    assert_valid("sync-list", &listed[0]);
    document(&store, "ci", &["certify", "shop@1.5.0", "--json"], &[0, 1]);
    let statuses = json_lines(&store.ok(&["sync", "status", "--json"]));
    assert_eq!(statuses.len(), 1);
    for status in &statuses {
        assert_valid("sync-status", status);
    }
    let run = document(&store, "ci", &["sync", "run", "--once", "--json"], &[0, 1]);
    assert_valid("sync-run", &run);
    assert!(run["destinations"][0]["last_delivered"].is_string(), "{run}");
    assert_valid("sync-reconcile", &document(&store, "ci", &["sync", "reconcile", "drop", "--json"], &[0]));
    let oscal = store.dir.path().join("results.json");
    let oscal = ["oscal", "export", "--release", "shop@1.5.0", "-o", oscal.to_str().unwrap(), "--json"];
    assert_valid("oscal-export", &document(&store, "ci", &oscal, &[0]));
    // vex export --json is validated where a vulnerability is triaged (findings.rs).
    assert_valid("sync-remove", &document(&store, "admin", &["sync", "remove", "drop", "--json"], &[0]));

    let package = store.dir.path().join("shop-1.4.1.zip");
    store.ok(&["export", "shop@1.4.1", "-o", package.to_str().unwrap()]);
    let key = store.ok(&["key", "public", "--format", "note"]);
    let verified =
        document(&store, "carol", &["verify-package", package.to_str().unwrap(), "--key", key.trim(), "--json"], &[0]);
    assert_valid("verify-package", &verified);
    assert_eq!((verified["ok"].clone(), verified["key"].clone()), (Value::Bool(true), "Trusted".into()));

    // The outbox of captures kept while the server is out of reach.
    let outbox = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let remote = |args: &[&str]| {
        crate::util::signoff()
            .current_dir(store.dir.path())
            .env("SIGNOFF_SERVER", format!("http://127.0.0.1:{port}"))
            .env("SIGNOFF_TOKEN", issued["secret"].as_str().unwrap())
            .env("SIGNOFF_OUTBOX", outbox.path())
            .args(args)
            .output()
            .unwrap()
    };
    let kept = remote(&["capture", "--project", "shop", "--commit", &sha, &crate::util::example("v1/bandit.sarif")]);
    assert_eq!(kept.status.code(), Some(0), "{}", String::from_utf8_lossy(&kept.stderr));
    let status: Value = serde_json::from_slice(&remote(&["outbox", "status", "--json"]).stdout).unwrap();
    assert_valid("outbox-status", &status);
    assert_eq!(status["items"][0]["query"]["project"], "shop", "the query is an object: {status}");
    let flushed: Value = serde_json::from_slice(&remote(&["outbox", "flush", "--json"]).stdout).unwrap();
    assert_valid("outbox-flush", &flushed);
    assert_eq!(flushed["waiting"], 1, "{flushed}");
}

#[test]
fn the_owners_and_the_auditors_other_outputs_validate_against_their_schemas() {
    let fresh = tempfile::tempdir().unwrap();
    let home = fresh.path().join("store");
    let output = crate::util::signoff().arg("--store").arg(&home).args(["init", "--json"]).output().unwrap();
    assert_valid("init", &serde_json::from_slice(&output.stdout).unwrap());

    let store = history();
    let policy = store.dir.path().join("policy.yaml");
    let policy = policy.to_str().unwrap();
    assert_valid("policy-check", &document(&store, "carol", &["policy", "check", policy, "--json"], &[0]));
    assert_valid("policy-publish", &document(&store, "carol", &["policy", "publish", policy, "--json"], &[0]));
    let pin = [
        "policy",
        "pin",
        "shop",
        "--policy",
        "audit-gate",
        "--policy-version",
        "1",
        "--reason",
        "the auditors sampled under version 1",
        "--json",
    ];
    assert_valid("policy-pin", &document(&store, "carol", &pin, &[0]));

    let first = &json_lines(&store.ok(&["findings", "--project", "shop", "--json"]))[0];
    let short: String = first["fingerprint"].as_str().unwrap().trim_start_matches("sha256:").chars().take(12).collect();
    let triage = [
        "triage",
        short.as_str(),
        "--project",
        "shop",
        "--as",
        "false-positive",
        "--reason",
        "the test fixture is never deployed",
        "--json",
    ];
    assert_valid("triage", &document(&store, "alice@example.com", &triage, &[0]));
    let triaged = json_lines(&store.ok(&["triage", "list", "--json"]));
    assert_eq!(triaged.len(), 1);
    assert_valid("triage-list", &triaged[0]);

    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(10)).date().to_string();
    let exception =
        ["exception", "request", "--criterion", "tests-pass", "--reason", "quarantined suite", "--expires", &expires];
    store.command().args(exception).env("SIGNOFF_ACTOR", "erin").output().unwrap();
    let exceptions = json_lines(&store.ok(&["exception", "list", "--json"]));
    assert_eq!(exceptions.len(), 1);
    assert_valid("exception-list", &exceptions[0]);

    let issued =
        document(&store, "admin", &["token", "create", "--name", "auditor", "--scope", "read", "--json"], &[0]);
    let id = issued["id"].as_str().unwrap();
    assert_valid("token-revoke", &document(&store, "admin", &["token", "revoke", id, "--json"], &[0]));

    let package = store.dir.path().join("shop-1.4.0.zip");
    let exported =
        document(&store, "carol", &["export", "shop@1.4.0", "-o", package.to_str().unwrap(), "--json"], &[0]);
    assert_valid("export", &exported);
    let held =
        ["hold", "place", "--project", "shop", "--release", "1.4.0", "--reason", "litigation hold LH-7", "--json"];
    assert_valid("hold", &document(&store, "carol", &held, &[0]));
    assert_valid("retention-apply", &document(&store, "carol", &["retention", "apply", "--dry-run", "--json"], &[0]));
    assert_valid("ledger-prove-entry", &document(&store, "carol", &["ledger", "prove", "3", "--json"], &[0]));
    let consistency = document(&store, "carol", &["ledger", "prove", "--consistency", "6", "--json"], &[0]);
    assert_valid("ledger-prove-consistency", &consistency);
    let revoked = document(
        &store,
        "carol",
        &["certificate", "revoke", "shop@1.4.1", "--reason", "key rotation drill", "--json"],
        &[0],
    );
    assert_valid("certificate-revoke", &revoked);

    assert_valid("report", &document(&store, "carol", &["report", "--json"], &[0]));
    assert_valid("trace", &document(&store, "carol", &["audit", "trace", "shop@1.4.1", "--json"], &[0]));
    assert_valid("trace", &document(&store, "carol", &["report", "--release", "shop@1.4.0", "--json"], &[0]));
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
