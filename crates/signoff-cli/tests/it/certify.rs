//! Release certification (D1–D8): policy, approvals bound to content, exceptions,
//! signed certificates checked with an independent DSSE implementation, the gate,
//! preflight, seal and replay.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::util::{TestStore, commit, example, json_lines};

const POLICY: &str = "version: 1
name: test-gate
exceptions:
  max_days: 30
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
  - id: fresh-scans
    use: evidence_fresh
    with: { max_age_days: 30, kinds: [test_results] }
";

/// A store with the policy published and release `shop@VERSION` from the
/// example app's state `STATE`, at a commit named after it, with one artifact.
fn release(store: &TestStore, state: &str, version: &str) -> String {
    let sha = commit(&format!("certify {state}"));
    let artifact = format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(state.as_bytes())));
    store.ok(&[
        "capture",
        &example(&format!("{state}/bandit.sarif")),
        &example(&format!("{state}/junit.xml")),
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
        &artifact,
        "--repo",
        store.dir.path().to_str().unwrap(),
    ]);
    artifact
}

fn with_policy() -> TestStore {
    let store = TestStore::new();
    let path = store.dir.path().join("policy.yaml");
    std::fs::write(&path, POLICY).unwrap();
    store.ok(&["policy", "publish", path.to_str().unwrap()]);
    store
}

fn certify(store: &TestStore, args: &[&str], actor: &str) -> (i32, Value) {
    let output = store.command().args(["certify", "--json"]).args(args).env("SIGNOFF_ACTOR", actor).output().unwrap();
    let code = output.status.code().unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!("certify printed no JSON ({error}): {}", String::from_utf8_lossy(&output.stderr))
    });
    (code, report)
}

fn criterion<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["evaluation"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

fn approve(store: &TestStore, release: &str, actor: &str) -> std::process::Output {
    store
        .command()
        .args(["approve", "--release", release, "--decision", "approve", "--role", "release-manager"])
        .env("SIGNOFF_ACTOR", actor)
        .output()
        .unwrap()
}

#[test]
fn a_failing_release_is_rejected_with_reasons_and_the_fixed_one_is_certified() {
    let store = with_policy();
    let bad = release(&store, "v1", "1.4.0");
    assert!(approve(&store, "shop@1.4.0", "carol").status.success());
    let (code, report) = certify(&store, &["--release", "shop@1.4.0"], "ci");
    assert_eq!(code, 1, "a rejected release exits 1");
    assert_eq!(report["evaluation"]["decision"], "rejected");
    let findings = criterion(&report, "no-critical-or-high");
    assert_eq!(findings["status"], "fail");
    assert!(findings["actual"].as_str().unwrap().contains("high 1"), "{findings}");
    assert!(!findings["evidence"].as_array().unwrap().is_empty(), "the evidence behind it is named");
    assert!(
        findings["fix"]
            .as_array()
            .unwrap()
            .iter()
            .any(|fix| fix.as_str().unwrap().contains("signoff exception request"))
    );
    let tests = criterion(&report, "tests-pass");
    assert_eq!(tests["status"], "fail");
    assert!(tests["details"][0].as_str().unwrap().contains("test_percent_discount_rounds_half_up"), "{tests}");
    assert_eq!(criterion(&report, "release-approved")["status"], "pass");
    assert_eq!(report["certificate"]["decision"], "rejected", "a rejected release gets a signed record too");
    assert_eq!(report["policy"]["source"], "published");
    assert_eq!(report["policy"]["version"], 1);

    let good = release(&store, "v2", "1.4.1");
    assert!(approve(&store, "shop@1.4.1", "carol").status.success());
    let (code, report) = certify(&store, &["--release", "shop@1.4.1"], "ci");
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["certificate"]["decision"], "certified");

    // The gate opens only for the certified artifact.
    let gate = |artifact: &str| store.run(&["gate", "--artifact", artifact, "--json"]);
    let open = gate(&good);
    assert_eq!(open.status.code(), Some(0), "{}", String::from_utf8_lossy(&open.stdout));
    let closed = gate(&bad);
    assert_eq!(closed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&closed.stdout).contains("was rejected"));
    let unknown = gate(&format!("sha256:{}", "0".repeat(64)));
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stdout).contains("no certificate covers"));
    assert_eq!(gate("md5:abc").status.code(), Some(2));

    // Revoked: the gate closes.
    store.ok(&["certificate", "revoke", "shop@1.4.1", "--reason", "key rotation drill"]);
    let revoked = gate(&good);
    assert_eq!(revoked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&revoked.stdout).contains("revoked"));
    assert_eq!(store.verify().0, 0);
}

#[test]
fn certificates_are_dsse_envelopes_an_independent_verifier_accepts() {
    let store = with_policy();
    let artifact = release(&store, "v2", "1.4.1");
    assert!(approve(&store, "shop@1.4.1", "carol").status.success());
    assert_eq!(certify(&store, &["--release", "shop@1.4.1"], "ci").0, 0);
    let envelope = store.ok(&["certificate", "export", "shop@1.4.1"]);

    // The verification key, from the PEM signoff publishes.
    let pem = store.ok(&["key", "public"]);
    let der = STANDARD.decode(pem.lines().filter(|line| !line.starts_with("-----")).collect::<String>()).unwrap();
    let key: [u8; 32] = der[der.len() - 32..].try_into().unwrap();
    let verifier = dsse::Ed25519Verifier::from_bytes(&key).unwrap();

    let theirs = dsse::Envelope::from_json(envelope.trim().as_bytes()).unwrap();
    let verified = dsse::verify(&theirs, &[&verifier], 1).expect("the dsse crate verifies signoff's certificate");
    let statement: Value = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], "https://signoff.dev/certification/v1");
    let subjects = statement["subject"].as_array().unwrap();
    assert!(
        subjects
            .iter()
            .any(|subject| format!("sha256:{}", subject["digest"]["sha256"].as_str().unwrap_or("")) == artifact)
    );
    assert!(subjects.iter().any(|subject| subject["digest"]["gitCommit"] == commit("certify v2").as_str()));
    let predicate = &statement["predicate"];
    assert_eq!(predicate["decision"], "certified");
    assert!(predicate["policy"]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(predicate["evidence"].as_array().unwrap().len(), 2);
    assert!(predicate["criteria"].as_array().unwrap().iter().all(|result| result["status"] == "pass"));

    // One changed byte anywhere and it no longer verifies.
    let mut parsed: Value = serde_json::from_str(&envelope).unwrap();
    let mut payload = STANDARD.decode(parsed["payload"].as_str().unwrap()).unwrap();
    let at = payload.len() / 2;
    payload[at] ^= 0x01;
    parsed["payload"] = Value::String(STANDARD.encode(&payload));
    let tampered = dsse::Envelope::from_json(parsed.to_string().as_bytes()).unwrap();
    assert!(dsse::verify(&tampered, &[&verifier], 1).is_err());
    let mut parsed: Value = serde_json::from_str(&envelope).unwrap();
    parsed["payloadType"] = Value::String("application/vnd.in-toto+jsoN".into());
    assert!(dsse::verify(&dsse::Envelope::from_json(parsed.to_string().as_bytes()).unwrap(), &[&verifier], 1).is_err());
}

#[test]
fn approvals_bind_to_content_and_agents_never_count() {
    let store = with_policy();
    release(&store, "v2", "1.4.1");
    // An AI agent's approval is refused (J3), and the attempt is on the ledger (J2).
    let output = store
        .command()
        .args(["approve", "--release", "shop@1.4.1", "--decision", "approve", "--role", "release-manager"])
        .env("SIGNOFF_ACTOR", "claude")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("only a human can approve a release"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (code, report) = certify(&store, &["--release", "shop@1.4.1", "--dry-run"], "ci");
    assert_eq!(code, 1);
    let approved = criterion(&report, "release-approved");
    assert_eq!(approved["status"], "fail");
    assert_eq!(approved["actual"], "no approvals", "the refused approval was not recorded: {approved}");
    // The approval carries the release's content digest.
    let approval: Value = serde_json::from_str(&store.ok(&[
        "approve",
        "--release",
        "shop@1.4.1",
        "--role",
        "release-manager",
        "--actor",
        "carol",
        "--json",
    ]))
    .unwrap();
    assert!(approval["content"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(approval["actor"]["kind"], "human");
    assert_eq!(certify(&store, &["--release", "shop@1.4.1", "--dry-run"], "ci").0, 0);
    // The certifier approving alone breaks separation of duties... once a policy asks.
    // An approval of another release does not carry over.
    release(&store, "v1", "1.5.0");
    let (_, report) = certify(&store, &["--release", "shop@1.5.0", "--dry-run"], "ci");
    assert_eq!(criterion(&report, "release-approved")["status"], "fail");
}

#[test]
fn exceptions_need_another_approver_and_expire() {
    let store = with_policy();
    release(&store, "v1", "1.4.0");
    assert!(approve(&store, "shop@1.4.0", "carol").status.success());
    let (_, report) = certify(&store, &["--release", "shop@1.4.0", "--dry-run"], "ci");
    let details = criterion(&report, "no-critical-or-high")["fix"].to_string();
    let fingerprint = details.split("--finding ").nth(1).unwrap().split(' ').next().unwrap().to_owned();

    let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(10)).date().to_string();
    let request = |args: &[&str], actor: &str| {
        store
            .command()
            .args(["exception", "request", "--json"])
            .args(args)
            .env("SIGNOFF_ACTOR", actor)
            .output()
            .unwrap()
    };
    let output = request(
        &[
            "--finding",
            &fingerprint,
            "--project",
            "shop",
            "--reason",
            "not reachable: export runs offline only",
            "--expires",
            &expires,
        ],
        "alice",
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let finding_exception: Value = serde_json::from_slice(&output.stdout).unwrap();
    let output = request(
        &["--criterion", "tests-pass", "--reason", "flaky rounding test quarantined", "--expires", &expires],
        "alice",
    );
    let criterion_exception: Value = serde_json::from_slice(&output.stdout).unwrap();
    // Not approved yet: nothing is waived.
    assert_eq!(
        criterion(&certify(&store, &["--release", "shop@1.4.0", "--dry-run"], "ci").1, "tests-pass")["status"],
        "fail"
    );
    // The requester cannot approve their own exception.
    let own = store
        .command()
        .args(["exception", "approve", criterion_exception["id"].as_str().unwrap()])
        .env("SIGNOFF_ACTOR", "alice")
        .output()
        .unwrap();
    assert_eq!(own.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&own.stderr).contains("cannot approve it"));
    for id in [&finding_exception["id"], &criterion_exception["id"]] {
        let output = store
            .command()
            .args(["exception", "approve", id.as_str().unwrap()])
            .env("SIGNOFF_ACTOR", "bob")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let (code, report) = certify(&store, &["--release", "shop@1.4.0", "--dry-run"], "ci");
    assert_eq!(criterion(&report, "tests-pass")["status"], "waived");
    assert_eq!(criterion(&report, "no-critical-or-high")["status"], "waived", "{report}");
    assert_eq!(code, 0, "{report}");
    // At a date after expiry, the prediction says they will have stopped applying.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(12)).date().to_string();
    let (code, report) = certify(&store, &["--release", "shop@1.4.0", "--dry-run", "--at", &later], "ci");
    assert_eq!(code, 1);
    assert_eq!(criterion(&report, "tests-pass")["status"], "fail");
    assert!(report["evaluation"]["exceptions_not_applied"].to_string().contains("expired"), "{report}");
    // The test results (captured today) will be over 30 days old in 40 days.
    let much_later = (time::OffsetDateTime::now_utc() + time::Duration::days(40)).date().to_string();
    let (_, report) = certify(&store, &["--release", "shop@1.4.0", "--dry-run", "--at", &much_later], "ci");
    assert_eq!(criterion(&report, "fresh-scans")["status"], "fail");
    let listed = json_lines(&store.ok(&["exception", "list", "--json"]));
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|view| view["state"] == "approved"));
}

#[test]
fn dry_runs_write_nothing_and_the_seal_holds() {
    let store = with_policy();
    release(&store, "v2", "1.4.1");
    assert!(approve(&store, "shop@1.4.1", "carol").status.success());
    let before = store.ledger_size();
    let (code, report) = certify(&store, &["--release", "shop@1.4.1", "--dry-run"], "ci");
    assert_eq!(code, 0);
    assert_eq!(report["dry_run"], true);
    assert!(report.get("certificate").is_none());
    assert_eq!(store.ledger_size(), before, "a dry run writes nothing");
    let (_, first) = certify(&store, &["--release", "shop@1.4.1"], "ci");
    let first_id = first["certificate"]["id"].as_str().unwrap().to_owned();
    // Evidence captured after certification is marked and leaves the certificate alone.
    store.ok(&["capture", &example("v1/semgrep.sarif"), "--project", "shop", "--release", "1.4.1"]);
    let shown: Value = serde_json::from_str(&store.ok(&["release", "show", "shop@1.4.1", "--json"])).unwrap();
    let late = shown["evidence"].as_array().unwrap().iter().find(|item| item["file"] == "semgrep.sarif").unwrap();
    assert_eq!(late["post_certification"], true);
    // The period report counts it apart, in its CSV and on its page.
    let csv = store.ok(&["report", "--format", "csv"]);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|name| *name == "evidence_after_certification").expect("the column");
    let row: Vec<&str> = csv.lines().find(|line| line.starts_with("shop,1.4.1,")).unwrap().split(',').collect();
    assert_eq!(row[column], "1", "{csv}");
    let page = store.ok(&["report", "--format", "html"]);
    assert!(page.contains("1 captured after certification"), "the page says so");
    let certificate: Value = serde_json::from_str(&store.ok(&["certificate", "show", "shop@1.4.1", "--json"])).unwrap();
    assert_eq!(certificate["id"], first_id.as_str());
    // Certifying again makes a new certificate, which sees the new evidence.
    let (code, second) = certify(&store, &["--release", "shop@1.4.1"], "ci");
    assert_eq!(code, 1, "the late scan has a high finding");
    assert_ne!(second["certificate"]["id"], first_id.as_str());
}

#[test]
fn output_formats_and_step_summary() {
    let store = with_policy();
    release(&store, "v1", "1.4.0");
    let summary = store.dir.path().join("step-summary.md");
    let output = store
        .command()
        .args(["certify", "--release", "shop@1.4.0", "--dry-run", "--format", "junit"])
        .env("SIGNOFF_ACTOR", "ci")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    // The JUnit report is a JUnit report: signoff itself reads it back.
    let junit = store.dir.path().join("certify.xml");
    std::fs::write(&junit, &output.stdout).unwrap();
    let inspected = &json_lines(&store.ok(&["inspect", junit.to_str().unwrap(), "--json"]))[0];
    assert_eq!(inspected["format"], "junit");
    assert_eq!(inspected["summary"]["tests"]["total"], 5);
    assert_eq!(inspected["summary"]["tests"]["failed"], 3, "{inspected}");
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(markdown.contains("shop@1.4.0") && markdown.contains("| ❌ FAIL | **tests-pass**"), "{markdown}");
    let text = String::from_utf8(
        store
            .command()
            .args(["certify", "--release", "shop@1.4.0", "--dry-run"])
            .env("SIGNOFF_ACTOR", "ci")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("FAIL   tests-pass") && text.contains("WOULD NOT BE CERTIFIED"), "{text}");
}

#[test]
fn policies_are_checked_before_anything_is_evaluated() {
    let store = TestStore::new();
    release(&store, "v2", "1.4.1");
    // No published policy: the starter policy applies, and says why changes fail.
    let (code, report) = certify(&store, &["--release", "shop@1.4.1", "--dry-run"], "ci");
    assert_eq!(report["policy"]["source"], "builtin");
    assert_eq!(code, 1);
    assert!(criterion(&report, "changes-reviewed")["actual"].as_str().unwrap().contains("unknown"), "{report}");
    // A mistake is reported with file, line and column; nothing is published.
    let path = store.dir.path().join("bad.yaml");
    std::fs::write(&path, "version: 1\nname: bad\ncriteria:\n  - id: x\n    use: no_such_criterion\n").unwrap();
    let before = store.ledger_size();
    let output = store.run(&["policy", "publish", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml:5:") && stderr.contains("no_such_criterion"), "{stderr}");
    assert_eq!(store.ledger_size(), before);
    // init writes the starter policy, which checks; publishing twice the same text is one version.
    let starter = store.dir.path().join("starter.yaml");
    store.ok(&["policy", "init", starter.to_str().unwrap()]);
    assert!(store.run(&["policy", "init", starter.to_str().unwrap()]).status.code() == Some(2), "no silent overwrite");
    store.ok(&["policy", "check", starter.to_str().unwrap()]);
    let first: Value =
        serde_json::from_str(&store.ok(&["policy", "publish", starter.to_str().unwrap(), "--json"])).unwrap();
    let again: Value =
        serde_json::from_str(&store.ok(&["policy", "publish", starter.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(first["version"], 1);
    assert_eq!(again["entry"], first["entry"]);
    // A Rego rule that does not compile is a policy mistake too.
    std::fs::write(
        store.dir.path().join("broken.rego"),
        "package signoff.broken\ndeny contains msg if {\n  msg := \n}\n",
    )
    .unwrap();
    std::fs::write(&path, "version: 1\nname: rego\nrego:\n  - id: broken\n    file: broken.rego\n").unwrap();
    let output = store.run(&["policy", "check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("broken.rego"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn replay_shows_which_verdicts_a_new_policy_would_change() {
    let store = with_policy();
    release(&store, "v2", "1.4.1");
    assert!(approve(&store, "shop@1.4.1", "carol").status.success());
    assert_eq!(certify(&store, &["--release", "shop@1.4.1"], "ci").0, 0);
    let before = store.ledger_size();
    let stricter = store.dir.path().join("stricter.yaml");
    std::fs::write(
        &stricter,
        format!("{POLICY}  - id: no-medium\n    use: findings_threshold\n    with: {{ max: {{ medium: 0 }} }}\n"),
    )
    .unwrap();
    let replay: Value =
        serde_json::from_str(&store.ok(&["replay", "--policy", stricter.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(replay["replayed"], 1);
    let change = &replay["changes"][0];
    assert_eq!(change["version"], "1.4.1");
    assert_eq!(change["diff"]["decision_before"], "certified");
    assert_eq!(change["diff"]["decision_after"], "rejected");
    assert!(change["diff"]["criteria"].to_string().contains("no-medium"));
    assert_eq!(store.ledger_size(), before, "replay writes nothing");
    // The same policy changes nothing.
    let same = store.dir.path().join("same.yaml");
    std::fs::write(&same, POLICY).unwrap();
    let replay: Value =
        serde_json::from_str(&store.ok(&["replay", "--policy", same.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(replay["changes"].as_array().unwrap().len(), 0, "{replay}");
}

/// D1: a policy file only predicts; a real certification under an unpublished
/// one is refused, says how to publish, and leaves a trace on the ledger. The
/// gate given a deployer who approved the release stays closed where the policy
/// separates duties.
#[test]
fn an_unpublished_policy_only_predicts_and_the_gate_separates_duties() {
    let store = with_policy();
    let artifact = release(&store, "v2", "1.4.1");
    let lax = store.dir.path().join("lax.yaml");
    std::fs::write(
        &lax,
        "version: 1\nname: lax\ncriteria:\n  - id: sast\n    use: evidence_present\n    with: { kinds: [sast] }\n",
    )
    .unwrap();
    let lax = lax.to_str().unwrap();
    let (code, report) = certify(&store, &["shop@1.4.1", "--dry-run", "--policy", lax], "ci");
    assert_eq!((code, report["policy"]["source"].as_str()), (0, Some("file")), "{report}");
    let before = store.ledger_size();
    let output =
        store.command().args(["certify", "shop@1.4.1", "--policy", lax]).env("SIGNOFF_ACTOR", "ci").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not the published policy") && stderr.contains("signoff policy publish"), "{stderr}");
    assert_eq!(store.ledger_size(), before + 1, "the refusal is on the ledger");
    let closed = store.run(&["gate", "--artifact", &artifact]);
    assert_eq!(closed.status.code(), Some(1), "no certificate was issued");

    // Under a policy that separates duties, the approver may not deploy.
    let strict = store.dir.path().join("strict.yaml");
    std::fs::write(
        &strict,
        format!("{POLICY}  - id: separation-of-duties\n    use: separation_of_duties\n")
            .replace("test-gate", "strict-gate"),
    )
    .unwrap();
    store.ok(&["policy", "publish", strict.to_str().unwrap()]);
    assert!(approve(&store, "shop@1.4.1", "carol").status.success());
    let (code, report) = certify(&store, &["shop@1.4.1"], "ci");
    assert_eq!(code, 0, "{report}");
    let own = store.run(&["gate", "--artifact", &artifact, "--deployer", "carol"]);
    assert_eq!(own.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&own.stdout).contains("carol may not deploy shop@1.4.1"));
    assert_eq!(store.run(&["gate", "--artifact", &artifact, "--deployer", "ops"]).status.code(), Some(0));
}

/// A kept checkpoint that this store's key never signed (the store was
/// rewritten under a new key) is a failed verification: exit 1, text or JSON.
#[test]
fn a_foreign_trusted_checkpoint_fails_verification_with_exit_1() {
    let kept = TestStore::new();
    release(&kept, "v2", "1.4.1");
    let note = kept.ok(&["ledger", "checkpoint"]);
    let path = kept.dir.path().join("kept-checkpoint.txt");
    std::fs::write(&path, note).unwrap();
    let rewritten = TestStore::new();
    release(&rewritten, "v2", "1.4.1");
    for json in [false, true] {
        let mut args = vec!["ledger", "verify", "--checkpoint", path.to_str().unwrap()];
        if json {
            args.push("--json");
        }
        let output = rewritten.run(&args);
        assert_eq!(output.status.code(), Some(1), "json {json}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

/// An advisory criterion that is not met warns; it is not counted as failed.
#[test]
fn the_summary_counts_warnings_apart_from_failures() {
    let store = TestStore::new();
    let path = store.dir.path().join("policy.yaml");
    std::fs::write(
        &path,
        format!("{POLICY}  - id: coverage-advisory\n    use: coverage_min\n    with: {{ line_rate: 0.9 }}\n    blocking: false\n"),
    )
    .unwrap();
    store.ok(&["policy", "publish", path.to_str().unwrap()]);
    release(&store, "v2", "1.4.1");
    assert!(approve(&store, "shop@1.4.1", "carol").status.success());
    let output = store.command().args(["certify", "shop@1.4.1"]).env("SIGNOFF_ACTOR", "ci").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("CERTIFIED: 5 passed, 0 failed, 1 warned, 0 waived"), "{stdout}");
}

/// Under `release: {late_evidence: refuse}` a capture onto a certified release
/// is the policy saying no: exit 1 with the reason, and nothing stored.
#[test]
fn a_policy_that_refuses_late_evidence_makes_capture_exit_1_and_store_nothing() {
    let store = TestStore::new();
    let path = store.dir.path().join("policy.yaml");
    let sealed = POLICY.replacen("criteria:", "release:\n  late_evidence: refuse\ncriteria:", 1);
    std::fs::write(&path, sealed).unwrap();
    store.ok(&["policy", "publish", path.to_str().unwrap()]);
    release(&store, "v2", "1.4.1");
    assert!(approve(&store, "shop@1.4.1", "carol").status.success());
    let (code, report) = certify(&store, &["--release", "shop@1.4.1"], "ci");
    assert_eq!(code, 0, "{report}");
    let (entries, blobs) = (store.ledger_size(), store.query_i64("SELECT COUNT(*) FROM evidence"));
    let output = store.run(&["capture", &example("v1/semgrep.sarif"), "--project", "shop", "--release", "1.4.1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("certified") && stderr.contains("late"), "the reason is given: {stderr}");
    assert_eq!(store.ledger_size(), entries, "nothing written");
    assert_eq!(store.query_i64("SELECT COUNT(*) FROM evidence"), blobs, "nothing stored");
}
