//! Changes read from a real git repository (B1), people and agents (J1, J3):
//! agent-co-authored changes need more human reviews; bots and agents never count.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::TestStore;

fn git(dir: &Path, args: &[&str], author: (&str, &str)) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", author.0)
        .env("GIT_AUTHOR_EMAIL", author.1)
        .env("GIT_COMMITTER_NAME", author.0)
        .env("GIT_COMMITTER_EMAIL", author.1)
        .env("GIT_AUTHOR_DATE", "2026-11-20T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-20T10:00:00Z")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// GitHub's REST shapes: a pull request and its reviews (as `gh api` returns them).
fn pull_request(dir: &Path, number: u64, author: &str, merge_commit: &str, approvers: &[&str]) -> (String, String) {
    let pr = serde_json::json!({
        "url": format!("https://api.github.com/repos/acme/shop/pulls/{number}"),
        "id": 1_000_000 + number, "number": number, "state": "closed", "title": "Pricing fixes",
        "user": {"login": author, "type": "User"},
        "diff_url": format!("https://github.com/acme/shop/pull/{number}.diff"),
        "merged": true, "merge_commit_sha": merge_commit,
        "merged_at": "2026-11-20T10:00:00Z", "base": {"ref": "main"}, "head": {"ref": "fix-pricing"}
    });
    let reviews: Vec<Value> = approvers
        .iter()
        .enumerate()
        .map(|(index, login)| serde_json::json!({
            "id": 5000 + index, "user": {"login": login, "type": if login.ends_with("[bot]") { "Bot" } else { "User" }},
            "body": "LGTM", "state": "APPROVED", "submitted_at": "2026-11-20T09:00:00Z",
            "commit_id": merge_commit,
            "pull_request_url": format!("https://api.github.com/repos/acme/shop/pulls/{number}")
        }))
        .collect();
    let pr_path = dir.join(format!("pr-{number}.json"));
    let reviews_path = dir.join(format!("pr-{number}-reviews-{}.json", approvers.len()));
    std::fs::write(&pr_path, pr.to_string()).unwrap();
    std::fs::write(&reviews_path, Value::Array(reviews).to_string()).unwrap();
    (pr_path.display().to_string(), reviews_path.display().to_string())
}

#[test]
fn release_changes_come_from_git_and_agents_need_human_reviews() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipping: git is not installed");
        return;
    }
    let store = TestStore::new();
    let repo = store.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let alice = ("Alice Doe", "alice@acme.example");
    git(&repo, &["init", "-q", "-b", "main"], alice);
    std::fs::write(repo.join("pricing.py"), "def price(): return 1\n").unwrap();
    git(&repo, &["add", "."], alice);
    git(&repo, &["commit", "-q", "-m", "Initial pricing"], alice);
    let base = git(&repo, &["rev-parse", "HEAD"], alice);
    std::fs::write(repo.join("pricing.py"), "def price(): return 2\n").unwrap();
    git(
        &repo,
        &["commit", "-q", "-am", "Round half up (#12)\n\nCo-authored-by: Claude <noreply@anthropic.com>"],
        alice,
    );
    let tip = git(&repo, &["rev-parse", "HEAD"], alice);

    let repo_arg = repo.to_str().unwrap();
    store.ok(&["release", "create", "shop", "1.0.0", "--commit", &base, "--repo", repo_arg]);
    store.capture_shop(&["bandit.sarif", "junit.xml"], &tip);
    let created: Value = serde_json::from_str(
        &store.ok(&["release", "create", "shop", "1.1.0", "--commit", &tip, "--repo", repo_arg, "--json"]),
    )
    .unwrap();
    let changes = created["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "one commit since 1.0.0: {created}");
    let change = &changes[0];
    assert_eq!(change["commit"], tip.as_str());
    assert_eq!(change["pr"], 12);
    assert_eq!(change["author"]["kind"], "human");
    assert_eq!(change["co_authors"][0]["kind"], "ai_agent");
    assert!(!change["agents"].as_array().unwrap().is_empty());
    assert_eq!(change["signature"], "none");
    let shown = store.ok(&["release", "show", "shop", "1.1.0"]);
    assert!(shown.contains("Round half up (#12)") && shown.contains("agents:"), "{shown}");

    let policy = store.dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "version: 1\nname: agents\ncriteria:\n  - id: reviewed\n    use: changes_reviewed\n  - id: agents\n    use: agent_changes_reviewed\n    with: { min_human_reviews: 2 }\n  - id: sod\n    use: separation_of_duties\n",
    )
    .unwrap();
    let certify = || -> Value {
        let output = store
            .command()
            .args(["certify", "--release", "shop@1.1.0", "--dry-run", "--json", "--policy", policy.to_str().unwrap()])
            .env("SIGNOFF_ACTOR", "ci")
            .output()
            .unwrap();
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let status = |report: &Value, id: &str| -> String {
        report["evaluation"]["criteria"].as_array().unwrap().iter().find(|result| result["id"] == id).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // No reviews captured: nothing is reviewed.
    let report = certify();
    assert_eq!(status(&report, "reviewed"), "fail");
    // One human and two automatons approve: a bot and an agent do not count.
    let (pr, reviews) = pull_request(store.dir.path(), 12, "alice", &tip, &["bob", "dependabot[bot]", "copilot"]);
    store.ok(&["capture", &pr, &reviews, "--project", "shop", "--commit", &tip]);
    let report = certify();
    assert_eq!(status(&report, "reviewed"), "pass", "{report}");
    assert_eq!(status(&report, "agents"), "fail", "an agent co-authored it: two humans are needed");
    // The author approving their own pull request does not count either.
    let (_, reviews) = pull_request(store.dir.path(), 12, "alice", &tip, &["alice"]);
    store.ok(&["capture", &reviews, "--project", "shop", "--commit", &tip]);
    let report = certify();
    assert_eq!(status(&report, "agents"), "fail");
    // ...and it is a separation-of-duties conflict, on record from now on.
    assert_eq!(status(&report, "sod"), "fail");
    assert!(report.to_string().contains("approved by alice, an author of the change"), "{report}");
    // A second human does.
    let (_, reviews) = pull_request(store.dir.path(), 12, "alice", &tip, &["bob", "erin"]);
    store.ok(&["capture", &reviews, "--project", "shop", "--commit", &tip]);
    let report = certify();
    assert_eq!(status(&report, "agents"), "pass", "{report}");
    assert_eq!(status(&report, "sod"), "fail", "the self-approval stays on record");
}
