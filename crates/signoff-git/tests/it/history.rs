//! Ranges, ordering, merges, pull request numbers, trailers, agents and mailmap.

use signoff_git::actor::{ActorKind, ActorPatterns, Agent, AgentRole};
use signoff_git::{ChangesOptions, GitError, Person, SignatureStatus, Trailer};

use crate::util::{EPOCH, TestRepo, ids};

#[test]
fn linear_history_and_ranges() {
    let Some(git) = TestRepo::new() else { return };
    let first = git.commit("First");
    git.git(&["tag", "-a", "v1", "-m", "release 1"]);
    let second = git.commit("Second");
    let third = git.commit("Third\n\nWith a body.");

    let repo = signoff_git::open(git.path()).unwrap();
    assert_eq!(repo.head_commit().unwrap(), third);
    assert_eq!(repo.resolve("HEAD~2").unwrap(), first);
    // Annotated tags are peeled to their commit.
    assert_eq!(repo.resolve("v1").unwrap(), first);
    assert_eq!(repo.resolve(&third[..10]).unwrap(), third);

    let options = ChangesOptions::default();
    let all = repo.changes(None, "HEAD", &options).unwrap();
    assert_eq!(ids(&all), vec![third.clone(), second.clone(), first.clone()]);
    assert_eq!(ids(&all), git.rev_list("HEAD"));

    let release = repo.changes(Some("v1"), "main", &options).unwrap();
    assert_eq!(ids(&release), vec![third.clone(), second.clone()]);
    assert_eq!(ids(&release), git.rev_list("v1..main"));
    assert!(repo.changes(Some("HEAD"), "HEAD", &options).unwrap().is_empty());

    let change = &release[0];
    assert_eq!(change.summary, "Third");
    assert_eq!(change.parents, vec![second]);
    assert!(!change.merge);
    assert_eq!(change.pr, None);
    assert_eq!(change.author, Person { name: "Ada Lovelace".into(), email: "ada@example.com".into() });
    assert_eq!(change.committer, change.author);
    assert_eq!(change.committed_at.unix_timestamp(), git.git(&["log", "-1", "--format=%ct"]).parse::<i64>().unwrap());
    assert!(change.authored_at.unix_timestamp() > EPOCH);
    assert!(change.trailers.is_empty() && change.co_authors.is_empty());
    assert_eq!(change.signature.status, SignatureStatus::Unsigned);
    assert!(all[2].parents.is_empty());
}

#[test]
fn limit_is_enforced_with_a_clear_error() {
    let Some(git) = TestRepo::new() else { return };
    for n in 0..3 {
        git.commit(&format!("Commit {n}"));
    }
    let repo = signoff_git::open(git.path()).unwrap();
    let options = ChangesOptions { limit: 2, ..ChangesOptions::default() };
    let error = repo.changes(None, "HEAD", &options).unwrap_err();
    assert!(matches!(error, GitError::TooManyCommits { limit: 2, .. }), "{error:?}");
    assert_eq!(error.to_string(), "HEAD has more than 2 commits; name a base revision or raise the limit");
    // Exactly at the limit is fine.
    assert_eq!(repo.changes(Some("HEAD~2"), "HEAD", &options).unwrap().len(), 2);
}

#[test]
fn merges_and_pull_request_numbers() {
    let Some(git) = TestRepo::new() else { return };
    let base = git.commit("Initial");
    git.git(&["switch", "-q", "-c", "feature"]);
    let feature_one = git.commit("Feature part one");
    let feature_two = git.commit("Feature part two");
    git.git(&["switch", "-q", "main"]);
    std::fs::write(git.path().join("other.txt"), "other\n").unwrap();
    git.git(&["add", "other.txt"]);
    git.git(&["commit", "-q", "-m", "Fix typo in README (#41)"]);
    let squash = git.head();
    git.git(&[
        "merge",
        "-q",
        "--no-ff",
        "feature",
        "-m",
        "Merge pull request #42 from acme/feature\n\nAdd the feature",
    ]);
    let merge = git.head();
    let gitlab = git.commit("Merge branch 'fix' into 'main'\n\nFix it\n\nSee merge request acme/app!7");

    let repo = signoff_git::open(git.path()).unwrap();
    let changes = repo.changes(Some(&base), "HEAD", &ChangesOptions::default()).unwrap();
    assert_eq!(ids(&changes), git.rev_list(&format!("{base}..HEAD")));
    assert_eq!(ids(&changes), vec![gitlab.clone(), merge.clone(), squash.clone(), feature_two.clone(), feature_one]);

    let merge_change = &changes[1];
    assert!(merge_change.merge);
    assert_eq!(merge_change.parents, vec![squash.clone(), feature_two]);
    assert_eq!(merge_change.pr, Some(42));
    assert_eq!(merge_change.summary, "Merge pull request #42 from acme/feature");
    assert_eq!(changes[2].pr, Some(41));
    assert!(!changes[2].merge);
    assert_eq!(changes[0].pr, Some(7));
    assert_eq!(changes[3].pr, None);

    // The merged branch is hidden when the base is the merge's first parent.
    let only_merge = repo.changes(Some(&squash), &merge, &ChangesOptions::default()).unwrap();
    assert_eq!(ids(&only_merge), git.rev_list(&format!("{squash}..{merge}")));
    assert_eq!(only_merge.len(), 3);
}

#[test]
fn trailers_co_authors_and_agents() {
    let Some(git) = TestRepo::new() else { return };
    git.commit("Initial");
    let message = "Add parser\n\nWritten with help.\n\nSigned-off-by: Ada Lovelace <ada@example.com>\nReviewed-by: Grace Hopper <grace@example.com>\nCo-authored-by: Grace Hopper <grace@example.com>\nCo-authored-by: Claude <noreply@anthropic.com>\nGenerated-by: Claude Code\nAssisted-by: GitHub Copilot\n";
    git.commit(message);
    git.commit_with(
        "Bump serde from 1.0.1 to 1.0.2",
        &["--author", "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"],
    );

    let repo = signoff_git::open(git.path()).unwrap();
    let changes = repo.changes(Some("HEAD~2"), "HEAD", &ChangesOptions::default()).unwrap();
    let [bump, parser] = changes.as_slice() else { panic!("two changes expected: {changes:?}") };

    let keys: Vec<&str> = parser.trailers.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys,
        ["Signed-off-by", "Reviewed-by", "Co-authored-by", "Co-authored-by", "Generated-by", "Assisted-by"]
    );
    assert_eq!(parser.trailers[4], Trailer { key: "Generated-by".into(), value: "Claude Code".into() });
    assert_eq!(
        parser.co_authors,
        vec![
            Person { name: "Grace Hopper".into(), email: "grace@example.com".into() },
            Person { name: "Claude".into(), email: "noreply@anthropic.com".into() },
        ]
    );

    let patterns = ActorPatterns::default();
    assert_eq!(patterns.classify(&parser.author), ActorKind::Human);
    assert_eq!(patterns.classify(&parser.co_authors[1]), ActorKind::AiAgent);
    assert_eq!(
        patterns.agents(parser),
        vec![
            Agent { identity: "Claude <noreply@anthropic.com>".into(), role: AgentRole::CoAuthor },
            Agent { identity: "Claude Code".into(), role: AgentRole::GeneratedBy },
            Agent { identity: "GitHub Copilot".into(), role: AgentRole::AssistedBy },
        ]
    );
    assert!(patterns.agent_authored(parser));

    assert_eq!(patterns.classify(&bump.author), ActorKind::Bot);
    assert_eq!(patterns.classify(&bump.committer), ActorKind::Human);
    assert!(patterns.agents(bump).is_empty());
    assert!(!patterns.agent_authored(bump));
}

#[test]
fn mailmap_applies_unless_turned_off() {
    let Some(git) = TestRepo::new() else { return };
    std::fs::write(
        git.path().join(".mailmap"),
        "Ada Lovelace <ada@lovelace.example> <ada@example.com>\nGrace Hopper <grace@navy.example> <grace@example.com>\n",
    )
    .unwrap();
    git.git(&["add", ".mailmap"]);
    git.commit("With a co-author\n\nCo-authored-by: G. Hopper <grace@example.com>");

    let repo = signoff_git::open(git.path()).unwrap();
    let mapped = repo.changes(None, "HEAD", &ChangesOptions::default()).unwrap();
    assert_eq!(mapped[0].author.email, "ada@lovelace.example");
    assert_eq!(mapped[0].committer.email, "ada@lovelace.example");
    assert_eq!(mapped[0].co_authors, vec![Person { name: "Grace Hopper".into(), email: "grace@navy.example".into() }]);
    assert_eq!(git.git(&["log", "-1", "--format=%aE"]), "ada@lovelace.example");

    let raw = repo.changes(None, "HEAD", &ChangesOptions { mailmap: false, ..ChangesOptions::default() }).unwrap();
    assert_eq!(raw[0].author.email, "ada@example.com");
    assert_eq!(raw[0].co_authors[0].name, "G. Hopper");
}

#[test]
fn shallow_clone_that_cuts_the_range_is_an_error() {
    let Some(git) = TestRepo::new() else { return };
    for n in 0..4 {
        git.commit(&format!("Commit {n}"));
    }
    let clone = git.scratch().join("shallow");
    let source = format!("file://{}", git.path().display());
    git.git(&["clone", "-q", "--depth", "2", &source, clone.to_str().unwrap()]);

    let repo = signoff_git::open(&clone).unwrap();
    let error = repo.changes(None, "HEAD", &ChangesOptions::default()).unwrap_err();
    assert!(matches!(error, GitError::ShallowHistory { .. }), "{error:?}");
    assert!(error.to_string().starts_with("the history of HEAD is cut short at commit "), "{error}");
    // A range whose base is at or above the boundary is complete.
    assert_eq!(repo.changes(Some("HEAD~1"), "HEAD", &ChangesOptions::default()).unwrap().len(), 1);
}
