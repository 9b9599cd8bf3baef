//! The same flows on PostgreSQL (K1), when `PG_URL` names a server (CI sets it):
//! capture, releases, verify, concurrent writers, and tampering caught.

use std::process::Stdio;

use serde_json::Value;

use crate::util::{commit, example, json_lines, signoff};

struct PgStore {
    dir: tempfile::TempDir,
    admin_url: String,
    name: String,
    url: String,
}

impl PgStore {
    fn create() -> Option<PgStore> {
        let Ok(admin_url) = std::env::var("PG_URL") else {
            eprintln!("skipping PostgreSQL: PG_URL is not set");
            return None;
        };
        let name = format!("signoff_cli_{}", uuid::Uuid::now_v7().simple());
        sql(&admin_url, &format!("CREATE DATABASE {name}"));
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        let store = PgStore { dir: tempfile::tempdir().unwrap(), admin_url: admin_url.clone(), name, url };
        let output = store.run(&["init", "--database", &store.url]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(!store.dir.path().join("store/signoff.db").exists(), "a PostgreSQL store keeps no SQLite file");
        Some(store)
    }

    fn command(&self) -> std::process::Command {
        let mut command = signoff();
        command.arg("--store").arg(self.dir.path().join("store"));
        command
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        sql(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

fn sql(url: &str, statement: &str) {
    let (url, statement) = (url.to_owned(), statement.to_owned());
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut connection).await.unwrap();
    });
}

#[test]
fn the_ledger_works_the_same_on_postgres() {
    let Some(store) = PgStore::create() else { return };
    let v1 = commit("pg v1");
    let lines = json_lines(&store.ok(&[
        "capture",
        &example("v1/bandit.sarif"),
        &example("v1/junit.xml"),
        "--project",
        "shop",
        "--commit",
        &v1,
        "--json",
    ]));
    assert_eq!(lines[0]["summary"]["findings"]["high"], 1);
    store.ok(&["release", "create", "shop", "1.4.0", "--commit", &v1]);
    let shown: Value = serde_json::from_str(&store.ok(&["release", "show", "shop", "1.4.0", "--json"])).unwrap();
    assert_eq!(shown["totals"]["evidence"], 2);

    // Concurrent writers from separate processes keep one linear ledger.
    let children: Vec<_> = (0..6)
        .map(|worker| {
            store
                .command()
                .args([
                    "capture",
                    &example("v2/semgrep.sarif"),
                    "--project",
                    "shop",
                    "--commit",
                    &commit(&format!("pg {worker}")),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let output = store.run(&["ledger", "verify", "--json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(report["entries"], 9);
    assert_eq!(report["checkpoints"], 8);

    let findings = json_lines(&store.ok(&["findings", "--project", "shop", "--json"]));
    assert!(findings.iter().any(|view| view["rule_id"] == "B602"));

    // Tampering with a row behind signoff's back is caught and named.
    sql(&store.url, "ALTER TABLE evidence DISABLE TRIGGER ALL");
    sql(&store.url, "UPDATE evidence SET tool_name = 'Trusted' WHERE seq = 1");
    let output = store.run(&["ledger", "verify", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failure"]["entry"], 1, "{report}");
    assert_eq!(report["failure"]["problem"], "modified", "{report}");
}

/// A writer that cannot get the ledger's advisory lock (held here, as a stopped
/// writer's transaction would hold it) says what it waits for and gives up after
/// the lock timeout with a clear error, having written nothing: on PostgreSQL the
/// wait was once unbounded.
#[test]
fn a_writer_waiting_for_the_lock_on_postgres_gives_up_cleanly() {
    let Some(store) = PgStore::create() else { return };
    let sha = commit("pg locked");
    store.ok(&["capture", &example("v1/junit.xml"), "--project", "shop", "--commit", &sha]);
    let url = store.url.clone();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (held, is_held) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
            // The key signoff's writers take (`signoff` in ASCII).
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(0x0073_6967_6e6f_6666_i64)
                .execute(&mut connection)
                .await
                .unwrap();
            held.send(()).unwrap();
            let _ = released.recv();
            connection.close().await.unwrap();
        });
    });
    is_held.recv().unwrap();
    let output = store
        .command()
        .args(["capture", &example("v1/bandit.sarif"), "--project", "shop", "--commit", &sha])
        .env("SIGNOFF_LOCK_TIMEOUT", "2")
        .output()
        .unwrap();
    release.send(()).unwrap();
    holder.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("waiting for the store's write lock") && stderr.contains("up to 2 s"), "{stderr}");
    assert!(stderr.contains("stayed locked for 2 s") && stderr.contains("retry"), "{stderr}");
    let verify: Value = serde_json::from_str(&store.ok(&["ledger", "verify", "--json"])).unwrap();
    assert_eq!(verify["entries"], 1, "the refused capture wrote nothing: {verify}");
    store.ok(&["capture", &example("v1/bandit.sarif"), "--project", "shop", "--commit", &sha]);
}
