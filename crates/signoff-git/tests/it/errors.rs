//! Errors name the path or revision they are about.

use signoff_git::{ChangesOptions, GitError};

use crate::util::TestRepo;

#[test]
fn not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let error = signoff_git::open(dir.path()).unwrap_err();
    assert!(matches!(error, GitError::NotARepository { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("{} is not in a git repository (nor is any of its parents)", dir.path().display())
    );
}

#[test]
fn discovers_upward_from_a_subfolder() {
    let Some(git) = TestRepo::new() else { return };
    let head = git.commit("First");
    let nested = git.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    let repo = signoff_git::open(&nested).unwrap();
    assert_eq!(repo.head_commit().unwrap(), head);
    assert_eq!(repo.work_dir().unwrap().canonicalize().unwrap(), git.path().canonicalize().unwrap());
}

#[test]
fn unknown_revisions_and_non_commits() {
    let Some(git) = TestRepo::new() else { return };
    git.commit("First");
    let repo = signoff_git::open(git.path()).unwrap();

    let error = repo.resolve("no-such-branch").unwrap_err();
    assert!(matches!(error, GitError::UnknownRevision { .. }), "{error:?}");
    assert!(error.to_string().starts_with("unknown revision \"no-such-branch\" in "), "{error}");
    assert!(error.to_string().contains(".git"), "{error}");

    let error = repo.changes(Some("v0.9"), "HEAD", &ChangesOptions::default()).unwrap_err();
    assert!(error.to_string().starts_with("unknown revision \"v0.9\""), "{error}");
    let error = repo.changes(None, "HEAD~5", &ChangesOptions::default()).unwrap_err();
    assert!(error.to_string().starts_with("unknown revision \"HEAD~5\""), "{error}");

    let error = repo.resolve("HEAD^{tree}").unwrap_err();
    assert_eq!(error.to_string(), "revision \"HEAD^{tree}\" names a tree, not a commit");
}

#[test]
fn empty_repository_has_no_head_commit() {
    let Some(git) = TestRepo::new() else { return };
    let repo = signoff_git::open(git.path()).unwrap();
    let error = repo.head_commit().unwrap_err();
    assert!(matches!(error, GitError::Head { .. }), "{error:?}");
    assert!(error.to_string().ends_with("does not point to a commit"), "{error}");
}
