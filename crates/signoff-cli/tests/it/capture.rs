//! Capture and inspect over the example app's real tool outputs and the corpus.

use serde_json::Value;
use sha2::Digest as _;

use crate::util::{TestStore, commit, corpus, example, json_lines, manifest, signoff};

fn sha256_of(path: &str) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap())))
}

/// Counts a SARIF file's results by the rules, independently of signoff:
/// no security-severity in these files, and no rule default levels, so an absent
/// level is `warning`.
fn sarif_levels(path: &str) -> (u64, u64, u64, u64) {
    let log: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let (mut high, mut medium, mut low, mut total) = (0, 0, 0, 0);
    for result in log["runs"][0]["results"].as_array().unwrap() {
        total += 1;
        match result["level"].as_str().unwrap_or("warning") {
            "error" => high += 1,
            "warning" => medium += 1,
            "note" => low += 1,
            other => panic!("unexpected level {other}"),
        }
    }
    (total, high, medium, low)
}

#[test]
fn capture_json_describes_each_file() {
    let store = TestStore::new();
    let bandit = example("v1/bandit.sarif");
    let junit = example("v1/junit.xml");
    let sha = commit("capture-json");
    let stdout = store.ok(&["capture", &bandit, &junit, "--project", "shop", "--commit", &sha, "--json"]);
    let lines = json_lines(&stdout);
    assert_eq!(lines.len(), 2);

    let sarif = &lines[0];
    assert_eq!(sarif["file"], bandit.as_str());
    assert_eq!(sarif["format"], "sarif");
    assert_eq!(sarif["kind"], "sast");
    assert_eq!(sarif["tool"]["name"], "Bandit");
    assert_eq!(sarif["tool"]["version"], "1.9.4");
    assert_eq!(sarif["digest"], sha256_of(&bandit).as_str());
    let (total, high, medium, low) = sarif_levels(&bandit);
    let findings = &sarif["summary"]["findings"];
    assert_eq!(findings["total"], total);
    assert_eq!(
        (findings["high"].as_u64(), findings["medium"].as_u64(), findings["low"].as_u64()),
        (Some(high), Some(medium), Some(low))
    );
    assert_eq!(
        (findings["critical"].as_u64(), findings["info"].as_u64(), findings["suppressed"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(sarif["project"], "shop");
    assert_eq!(sarif["commit"], sha.as_str());
    assert_eq!(sarif["entry"], 0);

    let tests = &lines[1];
    assert_eq!(tests["format"], "junit");
    assert_eq!(tests["kind"], "test_results");
    assert_eq!(tests["tool"]["name"], "pytest");
    // The report states tests="28" failures="1" errors="0" skipped="0".
    let counts = &tests["summary"]["tests"];
    assert_eq!(
        (counts["total"].as_u64(), counts["passed"].as_u64(), counts["failed"].as_u64()),
        (Some(28), Some(27), Some(1))
    );
    assert_eq!((counts["errored"].as_u64(), counts["skipped"].as_u64()), (Some(0), Some(0)));
    assert_eq!(tests["entry"], 1);

    // The raw bytes are stored byte-identical under their digest.
    let hex = sha256_of(&bandit)["sha256:".len()..].to_owned();
    let blob = store.home().join("blobs/sha256").join(&hex[0..2]).join(&hex[2..4]).join(&hex);
    assert_eq!(std::fs::read(blob).unwrap(), std::fs::read(&bandit).unwrap());
    assert_eq!(store.verify().0, 0);
}

#[test]
fn inspect_reports_without_storing() {
    let store = TestStore::new();
    let semgrep = example("v2/semgrep.sarif");
    let stdout = store.ok(&["inspect", &semgrep, "--json"]);
    let line = &json_lines(&stdout)[0];
    assert_eq!(line["format"], "sarif");
    assert_eq!(line["tool"]["name"], "Semgrep OSS");
    assert_eq!(line["digest"], sha256_of(&semgrep).as_str());
    assert!(line.get("entry").is_none(), "inspect stores nothing: {line}");
    assert_eq!(store.ledger_size(), 0);
    // Inspect works without any store at all.
    let output = signoff().args(["--store", "/nonexistent/store", "inspect", &semgrep]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("sarif · sast · Semgrep OSS"));
}

#[test]
fn ci_context_is_detected_and_flags_override() {
    let store = TestStore::new();
    let bandit = example("v2/bandit.sarif");
    let sha = commit("github-actions");
    let github = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SHA", sha.as_str()),
        ("GITHUB_REF_NAME", "main"),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_JOB", "sast"),
        ("GITHUB_ACTOR", "octocat"),
    ];
    let output = store.command().args(["capture", &bandit, "--json"]).envs(github).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let line = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
    assert_eq!(line["project"], "shop");
    assert_eq!(line["commit"], sha.as_str());
    let context = &line["context"];
    assert_eq!(context["system"], "github-actions");
    assert_eq!(context["branch"], "main");
    assert_eq!(context["run_id"], "4242");
    assert_eq!(context["run_url"], "https://github.com/acme/shop/actions/runs/4242");
    assert_eq!(context["job"], "sast");
    assert_eq!(context["actor"], "octocat");

    let other = commit("override");
    let output = store
        .command()
        .args([
            "capture",
            &bandit,
            "--json",
            "--project",
            "payments",
            "--commit",
            &other,
            "--branch",
            "release/2",
            "--job",
            "nightly",
        ])
        .envs(github)
        .output()
        .unwrap();
    assert!(output.status.success());
    let line = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
    assert_eq!(line["project"], "payments");
    assert_eq!(line["commit"], other.as_str());
    assert_eq!(line["context"]["branch"], "release/2");
    assert_eq!(line["context"]["job"], "nightly");
    assert_eq!(line["context"]["run_id"], "4242");

    // GitLab CI.
    let gitlab = [
        ("GITLAB_CI", "true"),
        ("CI_COMMIT_SHA", sha.as_str()),
        ("CI_COMMIT_REF_NAME", "main"),
        ("CI_PIPELINE_ID", "77"),
        ("CI_PIPELINE_URL", "https://gitlab.example.com/acme/shop/-/pipelines/77"),
        ("CI_JOB_NAME", "test"),
        ("CI_PROJECT_PATH", "acme/shop"),
        ("GITLAB_USER_LOGIN", "dev1"),
    ];
    let output = store.command().args(["capture", &example("v2/junit.xml"), "--json"]).envs(gitlab).output().unwrap();
    assert!(output.status.success());
    let line = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
    assert_eq!(line["context"]["system"], "gitlab-ci");
    assert_eq!(line["context"]["run_url"], "https://gitlab.example.com/acme/shop/-/pipelines/77");
    assert_eq!(line["project"], "shop");
}

#[test]
fn every_sarif_and_junit_corpus_file_captures_or_fails_cleanly() {
    let Some(corpus) = corpus() else { return };
    let store = TestStore::new();
    let sha = commit("corpus");
    let mut captured = 0;
    for (path, format, notes) in manifest(&corpus) {
        if format != "sarif" && format != "junit-xml" {
            continue;
        }
        let file = corpus.join(&path).display().to_string();
        let before = store.ledger_size();
        let output = store.run(&["capture", &file, "--project", "corpus", "--commit", &sha, "--json"]);
        if notes.contains("malformed") {
            assert_eq!(output.status.code(), Some(2), "{path} should fail");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(&file) && stderr.contains("junit") && stderr.contains("line "), "{path}: {stderr}");
            assert_eq!(store.ledger_size(), before, "{path}: a failed capture stored something");
            continue;
        }
        assert!(output.status.success(), "{path}: {}", String::from_utf8_lossy(&output.stderr));
        let line = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
        let expected_format = if format == "sarif" { "sarif" } else { "junit" };
        assert_eq!(line["format"], expected_format, "{path}");
        // A secrets report is stored redacted; its original digest is recorded instead.
        let original = if line.get("original_digest").is_some() { &line["original_digest"] } else { &line["digest"] };
        assert_eq!(original, sha256_of(&file).as_str(), "{path}");
        captured += 1;
    }
    assert!(captured >= 30, "captured only {captured} files");
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["entries"], captured);
    // Files are copied while they are parsed; a failed or redacted capture throws
    // its copy away.
    let left: Vec<_> = std::fs::read_dir(store.home().join("blobs/tmp")).unwrap().collect();
    assert!(left.is_empty(), "copies left in the staging folder: {left:?}");
}
