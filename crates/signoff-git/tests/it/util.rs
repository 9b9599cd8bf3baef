//! A throwaway git repository driven by the `git` CLI, deterministic: every command
//! runs with a fixed identity, no user or system configuration, and a clock that
//! advances one minute per command.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// Seconds since 1970 of the first commit: 2024-01-01T00:00:00Z.
pub(crate) const EPOCH: i64 = 1_704_067_200;

pub(crate) struct TestRepo {
    dir: TempDir,
    clock: Cell<i64>,
}

/// Whether `program` runs; prints why the test is skipped when it does not.
pub(crate) fn have(program: &str) -> bool {
    let found = Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found {
        eprintln!("skipping: `{program}` is not installed");
    }
    found
}

impl TestRepo {
    /// A new repository with branch `main`, or `None` (after saying so) without git.
    pub(crate) fn new() -> Option<Self> {
        Self::init(&[])
    }

    /// A new repository made with extra `git init` arguments.
    pub(crate) fn init(extra: &[&str]) -> Option<Self> {
        if !have("git") {
            return None;
        }
        let repo = TestRepo { dir: tempfile::tempdir().unwrap(), clock: Cell::new(EPOCH) };
        std::fs::create_dir(repo.path()).unwrap();
        let mut args = vec!["init", "-q", "-b", "main"];
        args.extend_from_slice(extra);
        repo.git(&args);
        Some(repo)
    }

    /// The working tree.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// A scratch folder beside the repository.
    pub(crate) fn scratch(&self) -> PathBuf {
        let path = self.dir.path().join("scratch");
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    /// Runs git with extra environment variables and returns its trimmed stdout.
    pub(crate) fn git_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let now = self.clock.get();
        self.clock.set(now + 60);
        let date = format!("@{now} +0000");
        let mut command = Command::new("git");
        command
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ada Lovelace")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada Lovelace")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// Runs git and returns its trimmed stdout.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        self.git_env(args, &[])
    }

    /// Changes a file and commits with `message` and any extra arguments (`--author`,
    /// `-S`); returns the new commit's id.
    pub(crate) fn commit_with(&self, message: &str, extra: &[&str]) -> String {
        self.commit_full(&[], message, extra, &[])
    }

    /// Like [`commit_with`](Self::commit_with), with git options before `commit`
    /// (`-c key=value`) and extra environment variables.
    pub(crate) fn commit_full(&self, options: &[&str], message: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
        let file = self.path().join("file.txt");
        let mut text = std::fs::read_to_string(&file).unwrap_or_default();
        text.push_str(message);
        text.push('\n');
        std::fs::write(&file, text).unwrap();
        self.git(&["add", "file.txt"]);
        let mut args = options.to_vec();
        args.extend_from_slice(&["commit", "-q", "-m", message]);
        args.extend_from_slice(extra);
        self.git_env(&args, env);
        self.head()
    }

    /// Commits with `message`; returns the new commit's id.
    pub(crate) fn commit(&self, message: &str) -> String {
        self.commit_with(message, &[])
    }

    /// The id `HEAD` points to, as git says.
    pub(crate) fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// `git rev-list` of a range, one id per element.
    pub(crate) fn rev_list(&self, range: &str) -> Vec<String> {
        self.git(&["rev-list", range]).lines().map(str::to_owned).collect()
    }
}

/// The ids of changes, in order.
pub(crate) fn ids(changes: &[signoff_git::Change]) -> Vec<String> {
    changes.iter().map(|change| change.commit.clone()).collect()
}

/// Writes `text` to `path` and returns the path.
pub(crate) fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_owned()
}
