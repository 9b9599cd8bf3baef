//! The store's locks and permissions (R1, C5): a writer that waits for another
//! says so and gives up with a clear error after the lock timeout, writing
//! nothing; a store that cannot be written is still read, verified and exported.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::sync::mpsc;

use crate::util::{TestStore, commit, example};

/// Holds SQLite's write lock on `database` (a `BEGIN IMMEDIATE` transaction, as a
/// stopped writer would) until the returned sender is dropped or sent to.
pub(crate) fn hold_sqlite_write_lock(database: &Path) -> mpsc::Sender<()> {
    let url = format!("sqlite://{}", database.display());
    let (release, released) = mpsc::channel::<()>();
    let (held, is_held) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
            use sqlx::Connection;
            let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut connection).await.unwrap();
            held.send(()).unwrap();
            let _ = released.recv();
            sqlx::raw_sql("ROLLBACK").execute(&mut connection).await.unwrap();
        });
    });
    is_held.recv().unwrap();
    release
}

#[test]
fn a_writer_waiting_for_the_lock_says_so_and_gives_up_cleanly() {
    let store = TestStore::new();
    let sha = commit("locked");
    store.ok(&["capture", &example("v1/junit.xml"), "--project", "shop", "--commit", &sha]);
    let before = store.ledger_size();
    let release = hold_sqlite_write_lock(&store.database());
    let output = store
        .command()
        .args(["capture", &example("v1/bandit.sarif"), "--project", "shop", "--commit", &sha])
        .env("SIGNOFF_LOCK_TIMEOUT", "3")
        .output()
        .unwrap();
    drop(release);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // While it waits it says for what, and how long it will wait.
    assert!(stderr.contains("waiting for the store's write lock"), "{stderr}");
    assert!(stderr.contains("up to 3 s"), "{stderr}");
    // Then it ends with what happened and what to do.
    assert!(stderr.contains("stayed locked for 3 s"), "{stderr}");
    assert!(stderr.contains("nothing was written") && stderr.contains("retry"), "{stderr}");
    assert_eq!(store.ledger_size(), before, "a capture that got no lock wrote nothing");
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    // Once the lock is free the same capture goes through.
    store.ok(&["capture", &example("v1/bandit.sarif"), "--project", "shop", "--commit", &sha]);
    assert_eq!(store.ledger_size(), before + 1);
}

#[test]
fn a_lock_timeout_that_is_not_a_number_of_seconds_is_refused() {
    let store = TestStore::new();
    let output =
        store.command().args(["ledger", "verify"]).env("SIGNOFF_LOCK_TIMEOUT", "five minutes").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SIGNOFF_LOCK_TIMEOUT") && stderr.contains("five minutes"), "{stderr}");
}

/// Makes every file and folder under `path` readable by all and writable by none.
fn read_only_for_everyone(path: &Path) {
    let metadata = std::fs::symlink_metadata(path).unwrap();
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            read_only_for_everyone(&entry.unwrap().path());
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o555)).unwrap();
    } else if metadata.is_file() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
}

#[test]
fn a_reader_who_cannot_write_the_store_can_verify_audit_and_export_it() {
    let store = TestStore::new();
    let (v1, v2) = (commit("ro v1"), commit("ro v2"));
    store.ok(&["capture", &example("v1/bandit.sarif"), &example("v1/junit.xml"), "--project", "shop", "--commit", &v1]);
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &v1]);
    store.ok(&["capture", &example("v2/semgrep.sarif"), "--project", "shop", "--commit", &v2]);
    let out = tempfile::tempdir().unwrap();
    read_only_for_everyone(&store.home());
    std::fs::set_permissions(store.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(out.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    // As root, permissions do not bind: run the reader as `nobody`.
    let probe = out.path().join("whoami");
    std::fs::write(&probe, b"").unwrap();
    let root = std::fs::metadata(&probe).unwrap().uid() == 0;
    let as_reader = |args: &[&str]| {
        let mut command = store.command();
        command.args(args);
        if root {
            command.uid(65534).gid(65534).env("HOME", out.path());
        }
        command.output().unwrap()
    };
    let package = out.path().join("shop-1.0.0.zip");
    let package_text = package.display().to_string();
    for args in [
        vec!["ledger", "verify"],
        vec!["release", "show", "shop@1.0.0"],
        vec!["findings", "--project", "shop"],
        vec!["audit", "trace", "shop@1.0.0"],
        vec!["export", "shop@1.0.0", "-o", &package_text],
        vec!["verify-package", &package_text],
    ] {
        let output = as_reader(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?} as a reader: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(package.exists());
    // Writing is refused with a clear error, and nothing changes.
    let before = std::fs::read(store.database()).unwrap();
    let output = as_reader(&["capture", &example("v2/bandit.sarif"), "--project", "shop", "--commit", &v2]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("read-only"), "the refusal says the store is read-only: {stderr}");
    assert_eq!(std::fs::read(store.database()).unwrap(), before);
    // Where the blob store can be written and the database cannot, the first write
    // to reach the database is refused in the same words.
    let _ = std::process::Command::new("chmod").arg("-R").arg("a+rwX").arg(store.home().join("blobs")).status();
    let output = as_reader(&["capture", &example("v2/bandit.sarif"), "--project", "shop", "--commit", &v2]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("read-only"), "the database's refusal says read-only too: {stderr}");
    assert_eq!(std::fs::read(store.database()).unwrap(), before);
    // Give the files back so the temporary folder can be removed.
    let _ = std::process::Command::new("chmod").arg("-R").arg("u+w").arg(store.dir.path()).status();
}
