//! Answering the auditor (B2, B3, E1–E3, F1–F3, I1): trace, questions, search,
//! deployments and snapshots, coverage, reports, evidence packages, retention,
//! holds and metrics.

use serde_json::Value;

use crate::util::{TestStore, commit, example};

const POLICY: &str = "version: 1
name: audit-gate
criteria:
  - id: required-evidence
    use: evidence_present
    with: { kinds: [sast, test_results] }
  - id: no-critical-or-high
    use: findings_threshold
    with: { max: { critical: 0, high: 0 } }
  - id: tests-pass
    use: tests_pass
  - id: release-approved
    use: approval_by_role
    with: { role: release-manager }
";

fn artifact(label: &str) -> String {
    format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(label.as_bytes())))
}

/// shop@1.4.0 (rejected) and shop@1.4.1 (certified), both approved by carol and
/// deployed to prod by dave.
pub(crate) fn history() -> TestStore {
    let store = TestStore::new();
    let policy = store.dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    store.ok(&["policy", "publish", policy.to_str().unwrap()]);
    for (state, version) in [("v1", "1.4.0"), ("v2", "1.4.1")] {
        let sha = commit(&format!("audit {state}"));
        store.ok(&[
            "capture",
            &example(&format!("{state}/bandit.sarif")),
            &example(&format!("{state}/semgrep.sarif")),
            &example(&format!("{state}/junit.xml")),
            &example(&format!("{state}/coverage.xml")),
            &example(&format!("{state}/sbom.cdx.json")),
            "--project",
            "shop",
            "--commit",
            &sha,
        ]);
        store.ok(&[
            "release",
            "create",
            "shop",
            version,
            "--commit",
            &sha,
            "--artifact",
            &artifact(state),
            "--repo",
            store.dir.path().to_str().unwrap(),
        ]);
        let release = format!("shop@{version}");
        store.ok(&["approve", "--release", &release, "--role", "release-manager", "--actor", "carol"]);
        store.command().args(["certify", "--release", &release]).env("SIGNOFF_ACTOR", "ci").output().unwrap();
        store
            .command()
            .args(["deploy", "record", "--release", &release, "--env", "prod"])
            .env("SIGNOFF_ACTOR", "dave")
            .output()
            .unwrap();
    }
    store
}

#[test]
fn the_auditors_question_is_answered_in_one_command() {
    let store = history();
    // "For release 1.4.1, show me every change, who reviewed it, what scans ran,
    // and who approved the deployment."
    let trace: Value = serde_json::from_str(&store.ok(&["audit", "trace", "shop@1.4.1", "--json"])).unwrap();
    assert_eq!(trace["release"]["version"], "1.4.1");
    assert_eq!(trace["release"]["decision"], "certified");
    let scans = trace["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2, "bandit and semgrep");
    assert!(scans.iter().all(|scan| scan["digest"].as_str().unwrap().starts_with("sha256:")));
    assert_eq!(trace["tests"][0]["counts"]["passed"], 32);
    assert!(trace["coverage"][0]["line_rate"].as_f64().unwrap() > 0.9);
    assert_eq!(trace["approvals"][0]["actor"]["id"], "carol");
    assert_eq!(trace["certificate"]["decision"], "certified");
    assert!(trace["certificate"]["criteria"].as_array().unwrap().iter().all(|criterion| criterion["status"] == "pass"));
    assert_eq!(trace["deployments"][0]["environment"], "prod");
    assert_eq!(trace["deployments"][0]["actor"]["id"], "dave");
    assert!(!trace["controls"].as_array().unwrap().is_empty());
    assert!(trace["ledger"]["entries"].as_array().unwrap().len() >= 9);
    // The same page as self-contained HTML.
    let page = store.dir.path().join("trace.html");
    store.ok(&["audit", "trace", "shop@1.4.1", "--html", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("shop 1.4.1") && html.contains("release-manager") && html.contains("no-critical-or-high"));
    assert!(!html.contains("<link") && !html.contains("src=\"http") && !html.contains("@import"), "self-contained");
    let text = store.ok(&["audit", "trace", "shop@1.4.0"]);
    assert!(text.contains("rejected") && text.contains("Bandit (sast): 0 critical, 1 high"), "{text}");
}

#[test]
fn standard_questions_search_and_population() {
    let store = history();
    let ask = |args: &[&str]| -> Value {
        serde_json::from_str(&store.ok(&[&["audit", "ask"], args, &["--json"]].concat())).unwrap()
    };
    let answer = ask(&["deployed-without-certification", "--env", "prod"]);
    let rows = answer["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{answer}");
    assert_eq!(rows[0]["release_or_artifact"], "shop@1.4.0");
    assert!(answer["elapsed_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(ask(&["deployed-without-certification", "--env", "staging"])["rows"].as_array().unwrap().len(), 0);
    // A period that ended before anything happened has no rows.
    assert_eq!(
        ask(&["deployed-without-certification", "--env", "prod", "--to", "2020-01-01"])["rows"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let who = ask(&["who-approved", "shop@1.4.1"]);
    let whos: Vec<(&str, &str)> = who["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["what"].as_str().unwrap(), row["who"].as_str().unwrap()))
        .collect();
    assert!(
        whos.contains(&("approval", "carol"))
            && whos.contains(&("certification", "ci"))
            && whos.contains(&("deployment", "dave")),
        "{who}"
    );

    let scans = store.ok(&["audit", "ask", "scans-for-period", "--project", "shop", "--json"]);
    assert_eq!(crate::util::json_lines(&scans).len(), 4, "a JSON line per scan: {scans}");

    let csv = store.ok(&["audit", "ask", "population", "--env", "prod", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "header and two releases: {csv}");
    assert!(lines[0].starts_with("project,version,commit,environment"));
    assert!(csv.contains("shop,1.4.1") && csv.contains("carol:release-manager"));

    let search = |args: &[&str]| -> Vec<Value> {
        let lines = crate::util::json_lines(&store.ok(&[&["audit", "search", "--json"], args].concat()));
        let answer: Value =
            serde_json::from_str(&store.ok(&[&["audit", "search", "--json", "--document"], args].concat())).unwrap();
        assert_eq!(lines.len(), answer["rows"].as_array().unwrap().len(), "{args:?}: the lines are the rows");
        lines
    };
    let high = search(&["--severity", "high"]);
    assert_eq!(high.len(), 2, "bandit and semgrep of 1.4.0");
    assert!(high.iter().all(|row| row["release"] == "1.4.0"));
    assert_eq!(search(&["--kind", "test_results"]).len(), 2);
    assert_eq!(search(&["--tool", "bandit", "--status", "certified"]).len(), 1);
    assert_eq!(search(&["--status", "rejected", "--kind", "sast"]).len(), 2);
    assert_eq!(search(&["--approver", "carol"]).len(), 10);
    assert_eq!(search(&["--approver", "mallory"]).len(), 0);
    assert_eq!(search(&["--env", "prod", "--kind", "sbom"]).len(), 2);
    // A project the store has never heard of is a mistake, not an empty answer.
    let unknown = store.run(&["audit", "search", "--project", "other"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no project other"));
    let output = store.run(&["audit", "search", "--severity", "extreme"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn snapshots_flag_what_runs_uncertified() {
    let store = history();
    let output = store.run(&[
        "env",
        "snapshot",
        "--env",
        "prod",
        "--artifact",
        &artifact("v2"),
        "--artifact",
        &artifact("v1"),
        "--artifact",
        &artifact("unknown build"),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let snapshot: Value = serde_json::from_slice(&output.stdout).unwrap();
    let uncertified: Vec<&str> =
        snapshot["uncertified"].as_array().unwrap().iter().map(|digest| digest.as_str().unwrap()).collect();
    assert_eq!(uncertified, [artifact("v1"), artifact("unknown build")]);
    let clean = store.run(&["env", "snapshot", "--env", "prod", "--artifact", &artifact("v2")]);
    assert_eq!(clean.status.code(), Some(0));
    let answer: Value =
        serde_json::from_str(&store.ok(&["audit", "ask", "deployed-without-certification", "--env", "prod", "--json"]))
            .unwrap();
    let running: Vec<&Value> =
        answer["rows"].as_array().unwrap().iter().filter(|row| row["what"] == "running").collect();
    assert_eq!(running.len(), 2);
    // The deployer who also approved is a separation-of-duties problem, on record.
    let output = store
        .command()
        .args(["deploy", "record", "--release", "shop@1.4.1", "--env", "staging"])
        .env("SIGNOFF_ACTOR", "carol")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("carol approved it as release-manager"));
    assert_eq!(store.verify().0, 0);
}

#[test]
fn control_coverage_per_framework() {
    let store = history();
    let coverage: Value = serde_json::from_str(&store.ok(&[
        "controls",
        "coverage",
        "--framework",
        "soc2",
        "--release",
        "shop@1.4.1",
        "--json",
    ]))
    .unwrap();
    let soc2 = &coverage["items"][0];
    assert_eq!(soc2["framework"], "soc2");
    let controls = soc2["controls"].as_array().unwrap();
    let change = controls.iter().find(|control| control["id"] == "CC8.1").unwrap();
    assert_ne!(change["status"], "missing", "{change}");
    assert!(!change["evidence"].as_array().unwrap().is_empty());
    assert!(controls.iter().any(|control| !control["gaps"].as_array().unwrap().is_empty()), "gaps are listed");
    for framework in ["iso27001", "pci-dss", "hipaa", "nist-800-53"] {
        let answer: Value =
            serde_json::from_str(&store.ok(&["controls", "coverage", "--framework", framework, "--json"])).unwrap();
        assert!(!answer["items"][0]["controls"].as_array().unwrap().is_empty(), "{framework}");
    }
    let csv = store.ok(&["controls", "coverage", "--framework", "pci-dss", "--format", "csv"]);
    assert!(csv.starts_with("framework,control,title,status"));
    let output = store.run(&["controls", "coverage", "--framework", "sox"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn reports_and_metrics() {
    let store = history();
    let html = store.dir.path().join("report.html");
    store.ok(&["report", "--framework", "soc2", "-o", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("1.4.0") && page.contains("1.4.1") && page.contains("@media print"));
    let json: Value = serde_json::from_str(&store.ok(&["report", "--format", "json"])).unwrap();
    assert_eq!(json["releases"].as_array().unwrap().len(), 2);
    assert_eq!(json["metrics"]["first_attempt_pass_rate"], 0.5);
    let csv = store.ok(&["report", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 3);
    let metrics: Value = serde_json::from_str(&store.ok(&["metrics", "--json"])).unwrap();
    assert_eq!(metrics["releases"], 2);
    assert_eq!(metrics["first_attempt_pass_rate"], 0.5);
    assert!(metrics["findings_fixed"].as_u64().unwrap() >= 2, "B602 and its semgrep twin were fixed: {metrics}");
    for question in ["deployed-without-certification", "population", "scans-for-period", "who-approved"] {
        assert!(metrics["question_ms"][question].as_f64().is_some(), "{question}: {metrics}");
    }
    let shot = crate::util::chromium_dump(&html);
    if let Some(dom) = shot {
        assert!(dom.contains("Release compliance report") && dom.contains("1.4.1"), "{dom}");
    }
}

#[test]
fn evidence_packages_verify_offline_and_catch_tampering() {
    let store = history();
    let first = store.dir.path().join("a.zip");
    let second = store.dir.path().join("b.zip");
    store.ok(&["export", "shop@1.4.1", "-o", first.to_str().unwrap()]);
    store.ok(&["export", "shop@1.4.1", "-o", second.to_str().unwrap()]);
    let bytes = std::fs::read(&first).unwrap();
    assert_eq!(bytes, std::fs::read(&second).unwrap(), "the same release exports to the same bytes");
    let key = store.ok(&["key", "public", "--format", "note"]);
    // Verified with no store at all.
    let verify = |path: &std::path::Path, key: Option<&str>| {
        let mut command = crate::util::signoff();
        command.args(["--store", "/nonexistent", "verify-package", path.to_str().unwrap(), "--json"]);
        if let Some(key) = key {
            command.args(["--key", key.trim()]);
        }
        command.output().unwrap()
    };
    let output = verify(&first, Some(&key));
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["key"], "Trusted");

    // Members are where the documentation says.
    let mut archive = zip_names(&bytes);
    archive.sort();
    for required in ["manifest.json", "index.html", "ledger/checkpoint", "keys/ledger.pub", "keys/ledger.vkey"] {
        assert!(archive.iter().any(|name| name == required), "{required} in {archive:?}");
    }
    assert!(archive.iter().any(|name| name.starts_with("evidence/")));
    assert!(archive.iter().any(|name| name.starts_with("ledger/proofs/") && name.ends_with(".tlog-proof")));
    assert!(archive.iter().any(|name| name.starts_with("certificates/") && name.ends_with(".dsse.json")));

    // Another store's key does not vouch for it.
    let other = TestStore::new();
    let other_key = other.ok(&["key", "public", "--format", "note"]);
    assert_eq!(verify(&first, Some(&other_key)).status.code(), Some(1));
    // Each kind of member, altered, is named in the failure.
    // (The manifest's meaning is altered, not just its whitespace: a digest in it.)
    let alter = |content: &mut Vec<u8>| match content.windows(7).position(|window| window == b"sha256:") {
        Some(at) => content[at + 7] = if content[at + 7] == b'0' { b'1' } else { b'0' },
        None => content.push(b' '),
    };
    for member in ["manifest.json", "ledger/checkpoint", "index.html"] {
        let tampered = store.dir.path().join("tampered.zip");
        std::fs::write(&tampered, rewrite_member(&bytes, member, alter)).unwrap();
        let output = verify(&tampered, Some(&key));
        assert_eq!(output.status.code(), Some(1), "{member}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(member),
            "{member}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    let evidence_member = archive.iter().find(|name| name.starts_with("evidence/")).unwrap().clone();
    let tampered = store.dir.path().join("tampered.zip");
    std::fs::write(&tampered, rewrite_member(&bytes, &evidence_member, |content| content[10] ^= 1)).unwrap();
    let output = verify(&tampered, Some(&key));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&evidence_member));
    // A corrupt file is a clean failure too.
    let mut corrupt = bytes.clone();
    corrupt.truncate(bytes.len() / 2);
    std::fs::write(&tampered, corrupt).unwrap();
    assert_eq!(verify(&tampered, Some(&key)).status.code(), Some(1));
}

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len()).map(|index| archive.by_index(index).unwrap().name().unwrap().into_owned()).collect()
}

/// The archive with one member's content changed by `edit` (and nothing else).
fn rewrite_member(bytes: &[u8], member: &str, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    crate::util::rewrite_zip(
        bytes,
        |name, content| {
            if name == member {
                edit(content);
            }
        },
        &[],
    )
}

#[test]
fn retention_purges_only_what_may_go_and_verify_still_passes() {
    let store = history();
    // Within the built-in frameworks' retention, a purge is refused.
    let output = store.run(&["retention", "apply", "--evidence", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("must be kept"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dry: Value = serde_json::from_str(&store.ok(&["retention", "apply", "--dry-run", "--json"])).unwrap();
    assert_eq!(dry["purged"].as_array().unwrap().len(), 0);
    assert_eq!(dry["retention_days"], 2192, "HIPAA's six years is the longest: {dry}");

    // A store whose only framework keeps evidence zero days, with 1.4.0 on hold.
    std::fs::write(
        store.home().join("controls.yaml"),
        "schema_version: 1\nframeworks:\n  - id: internal\n    name: Internal\n    version: \"1\"\n    retention_days: 0\n    retention_basis: practice\n    controls:\n      - id: INT-1\n        title: Scanned\n        summary: Every release is scanned.\n        evidence: [sast]\n        fit: strong\n",
    )
    .unwrap();
    std::fs::write(
        store.home().join("signoff.toml"),
        "[controls]\ncatalog = \"controls.yaml\"\nframeworks = [\"internal\"]\n",
    )
    .unwrap();
    store.ok(&["hold", "place", "--project", "shop", "--release", "1.4.0", "--reason", "litigation hold LH-7"]);
    let run: Value = serde_json::from_str(&store.ok(&["retention", "apply", "--json"])).unwrap();
    assert_eq!(run["retention_days"], 0);
    assert_eq!(run["purged"].as_array().unwrap().len(), 5, "1.4.1's five files: {run}");
    assert_eq!(run["held"].as_array().unwrap().len(), 5, "1.4.0's five files are held");
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["purged"], 5);
    // Deleting a held blob by hand is still caught.
    let evidence: Value = serde_json::from_str(&store.ok(&["release", "show", "shop@1.4.0", "--json"])).unwrap();
    let digest = evidence["evidence"][0]["digest"].as_str().unwrap()["sha256:".len()..].to_owned();
    std::fs::remove_file(store.home().join("blobs/sha256").join(&digest[0..2]).join(&digest[2..4]).join(&digest))
        .unwrap();
    let (code, report) = store.verify();
    assert_eq!(code, 1);
    assert_eq!(report["failure"]["problem"], "blob_missing");
}

/// The benchmark generator (P3) writes a store that verifies and whose answers
/// agree with each other and with what it reports having written.
#[test]
fn generated_store_verifies_and_answers_consistently() {
    let store = TestStore::new();
    let said = store.generate(60, 4);
    let (releases, evidence, findings, entries) = (said.releases, said.evidence, said.findings, said.entries);
    assert_eq!((releases, evidence), (60, 600), "{said:?}");
    assert!(findings > 60 * 4 * 10, "{said:?}");

    let (code, verified) = store.verify();
    assert_eq!(code, 0, "{verified}");
    assert_eq!(verified["entries"].as_u64(), Some(entries));
    assert_eq!(verified["findings"].as_u64(), Some(findings));

    // One published policy; every release has an evidence entry per item, a
    // release, an approval and a certificate; the rest are production deployments.
    let deployments = entries - 1 - evidence - 3 * releases;
    let range = ["--env", "prod", "--from", "2000-01-01", "--to", "2100-01-01", "--json"];
    let population: Value =
        serde_json::from_str(&store.ok(&[&["audit", "ask", "population"][..], &range[..]].concat())).unwrap();
    let rows = population["rows"].as_array().unwrap();
    assert_eq!(rows.len() as u64, deployments);
    assert!(rows.iter().all(|row| row["approvals"].as_str().unwrap().contains(":release-manager")));
    let uncertified = rows.iter().filter(|row| row["decision"] != "certified").count();
    assert!(uncertified > 0 && uncertified < rows.len(), "the generator deploys a few rejected releases");

    let unapproved: Value = serde_json::from_str(
        &store.ok(&[&["audit", "ask", "deployed-without-certification"][..], &range[..]].concat()),
    )
    .unwrap();
    assert_eq!(unapproved["rows"].as_array().unwrap().len(), uncertified);

    // Certificates carry a real evaluation of the published policy: a trace explains
    // each criterion, and the decision agrees with the population's.
    let first = &rows[0];
    let release = format!("{}@{}", first["project"].as_str().unwrap(), first["version"].as_str().unwrap());
    let trace: Value = serde_json::from_str(&store.ok(&["audit", "trace", &release, "--json"])).unwrap();
    let certificate = &trace["certificate"];
    assert_eq!(certificate["policy"]["name"], "synthetic-gate");
    let criteria: Vec<&str> =
        certificate["criteria"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(criteria, ["required-evidence", "no-critical-or-high", "tests-pass", "release-approved"]);
    assert_eq!(certificate["decision"], first["decision"]);
}
