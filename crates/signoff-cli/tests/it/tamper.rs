//! Tamper evidence (C2, R1): every change to a row or a blob made behind signoff's
//! back is caught by `ledger verify`, which exits 1 and names the entry.

use std::path::PathBuf;

use serde_json::Value;

use crate::util::{TestStore, commit, example};

/// A store with five entries: 0 bandit (4 findings), 1 junit, 2 semgrep (3
/// findings), 3 release, 4 bandit v2 (2 findings).
fn populated() -> TestStore {
    let store = TestStore::new();
    let v1 = commit("tamper v1");
    store.ok(&["capture", &example("v1/bandit.sarif"), &example("v1/junit.xml"), "--project", "shop", "--commit", &v1]);
    store.ok(&["capture", &example("v1/semgrep.sarif"), "--project", "shop", "--commit", &v1]);
    store.ok(&["release", "create", "shop", "1.4.0", "--commit", &v1]);
    store.ok(&["capture", &example("v2/bandit.sarif"), "--project", "shop", "--commit", &commit("tamper v2")]);
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["entries"], 5);
    store
}

const DROP_TRIGGERS: [&str; 10] = [
    "DROP TRIGGER ledger_entries_no_update",
    "DROP TRIGGER ledger_entries_no_delete",
    "DROP TRIGGER evidence_no_update",
    "DROP TRIGGER evidence_no_delete",
    "DROP TRIGGER findings_no_update",
    "DROP TRIGGER findings_no_delete",
    "DROP TRIGGER releases_no_update",
    "DROP TRIGGER releases_no_delete",
    "DROP TRIGGER checkpoints_no_update",
    "DROP TRIGGER checkpoints_no_delete",
];

/// Applies `statements` with the triggers dropped (and foreign keys off), then
/// expects verification to fail at `entry` with `problem`.
fn expect_caught(statements: &[&str], entry: u64, problem: &str) -> Value {
    let store = populated();
    let mut all: Vec<&str> = vec!["PRAGMA foreign_keys = OFF"];
    all.extend(DROP_TRIGGERS);
    all.extend(statements);
    store.tamper_sql(&all);
    check(&store, entry, problem, &format!("{statements:?}"))
}

fn check(store: &TestStore, entry: u64, problem: &str, what: &str) -> Value {
    let (code, report) = store.verify();
    assert_eq!(code, 1, "{what}: verify should fail: {report}");
    let failure = &report["failure"];
    assert_eq!(failure["entry"], entry, "{what}: {report}");
    assert_eq!(failure["problem"], problem, "{what}: {report}");
    // The text form names it too.
    let text = String::from_utf8(store.run(&["ledger", "verify"]).stdout).unwrap();
    assert!(text.contains(&format!("FAILED at entry {entry}")), "{what}: {text}");
    report
}

#[test]
fn the_triggers_refuse_updates_and_deletes() {
    let store = populated();
    for statement in [
        "UPDATE ledger_entries SET kind = 'x' WHERE seq = 1",
        "DELETE FROM ledger_entries WHERE seq = 4",
        "UPDATE evidence SET tool_name = 'x' WHERE seq = 0",
        "DELETE FROM findings WHERE evidence_seq = 0",
        "UPDATE releases SET commit_sha = 'x'",
        "DELETE FROM checkpoints",
    ] {
        let database = store.database();
        let outcome = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            use sqlx::Connection;
            let mut connection =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display())).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut connection).await.map(|_| ())
        });
        let error = outcome.expect_err(statement).to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    assert_eq!(store.verify().0, 0);
}

#[test]
fn modified_rows_are_named() {
    // An evidence column.
    expect_caught(&["UPDATE evidence SET tool_name = 'Trusted Scanner' WHERE seq = 2"], 2, "modified");
    // A summary, to hide a high finding.
    expect_caught(
        &["UPDATE evidence SET summary = replace(summary, '\"high\":1', '\"high\":0') WHERE seq = 0"],
        0,
        "modified",
    );
    // A finding's severity.
    expect_caught(&["UPDATE findings SET severity = 0 WHERE evidence_seq = 2 AND ordinal = 1"], 2, "modified");
    // A release's commit.
    expect_caught(&[&format!("UPDATE releases SET commit_sha = '{}' WHERE seq = 3", commit("evil"))], 3, "modified");
    // An entry body, without fixing its stored hash.
    expect_caught(
        &["UPDATE ledger_entries SET body = CAST(replace(body, 'Bandit', 'Bandot') AS BLOB) WHERE seq = 1 OR seq = 0"],
        0,
        "modified",
    );
}

#[test]
fn a_consistently_rewritten_entry_is_named() {
    // The attacker rewrites entry 1's body and recomputes both of its stored hashes;
    // entry 2 still links to the original entry 1.
    let store = populated();
    let mut all: Vec<&str> = vec!["PRAGMA foreign_keys = OFF"];
    all.extend(DROP_TRIGGERS);
    store.tamper_sql(&all);
    let body = fetch_body(&store, 1).replace("\"pytest\"", "\"PyTest\"");
    let entry_hash = sha256_hex(body.as_bytes());
    let mut leaf = vec![0u8];
    leaf.extend_from_slice(body.as_bytes());
    let leaf_hash = sha256_hex(&leaf);
    let statement = format!(
        "UPDATE ledger_entries SET body = CAST('{}' AS BLOB), entry_hash = X'{entry_hash}', leaf_hash = X'{leaf_hash}' WHERE seq = 1",
        body.replace('\'', "''")
    );
    store.tamper_sql(&[&statement, "UPDATE evidence SET tool_name = 'PyTest' WHERE seq = 1"]);
    check(&store, 1, "modified", "rewritten entry 1");
}

fn fetch_body(store: &TestStore, seq: i64) -> String {
    let database = store.database();
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async move {
        use sqlx::Connection;
        let mut connection =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display())).await.unwrap();
        let body: Vec<u8> = sqlx::query_scalar("SELECT body FROM ledger_entries WHERE seq = $1")
            .bind(seq)
            .fetch_one(&mut connection)
            .await
            .unwrap();
        String::from_utf8(body).unwrap()
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn deleted_rows_are_named() {
    expect_caught(&["DELETE FROM ledger_entries WHERE seq = 2"], 2, "missing");
    expect_caught(&["DELETE FROM ledger_entries WHERE seq = 4"], 4, "missing");
    expect_caught(&["DELETE FROM evidence WHERE seq = 1"], 1, "missing");
    expect_caught(&["DELETE FROM findings WHERE evidence_seq = 0 AND ordinal = 3"], 0, "missing");
    expect_caught(&["DELETE FROM releases"], 3, "missing");
}

#[test]
fn swapped_rows_are_named() {
    // Entries 1 and 2 trade places (bodies and hashes move together).
    expect_caught(
        &[
            "CREATE TEMP TABLE saved AS SELECT * FROM ledger_entries WHERE seq IN (1, 2)",
            "UPDATE ledger_entries SET body = (SELECT body FROM saved WHERE seq = 2), entry_hash = (SELECT entry_hash FROM saved WHERE seq = 2), leaf_hash = (SELECT leaf_hash FROM saved WHERE seq = 2) WHERE seq = 1",
            "UPDATE ledger_entries SET body = (SELECT body FROM saved WHERE seq = 1), entry_hash = (SELECT entry_hash FROM saved WHERE seq = 1), leaf_hash = (SELECT leaf_hash FROM saved WHERE seq = 1) WHERE seq = 2",
        ],
        1,
        "reordered",
    );
    // Two findings of one evidence file trade places.
    expect_caught(
        &[
            "UPDATE findings SET ordinal = 100 WHERE evidence_seq = 0 AND ordinal = 0",
            "UPDATE findings SET ordinal = 0 WHERE evidence_seq = 0 AND ordinal = 1",
            "UPDATE findings SET ordinal = 1 WHERE evidence_seq = 0 AND ordinal = 100",
        ],
        0,
        "modified",
    );
}

#[test]
fn inserted_rows_are_named() {
    // A finding added to an evidence file.
    expect_caught(
        &[
            "INSERT INTO findings SELECT evidence_seq, 4, fingerprint, rule_id, severity, title, path, start_line, end_line, cve, cwe, package, package_version, suppressed FROM findings WHERE evidence_seq = 0 AND ordinal = 0",
        ],
        0,
        "inserted",
    );
    // An entry appended without a checkpoint (a copy of the last one, renumbered).
    expect_caught(
        &["INSERT INTO ledger_entries SELECT 5, kind, body, entry_hash, leaf_hash FROM ledger_entries WHERE seq = 4"],
        5,
        "reordered",
    );
    // An evidence row with no entry behind it.
    expect_caught(
        &[
            "INSERT INTO evidence SELECT 9, 'forged', project, commit_sha, release_version, kind, format, tool_name, tool_version, file_name, digest, size, original_digest, redacted, summary, findings_count, findings_digest, context, produced_at, captured_at, delivery_key, delivery_captured_at, target FROM evidence WHERE seq = 4",
        ],
        9,
        "inserted",
    );
}

fn blob_of(store: &TestStore, example_file: &str) -> PathBuf {
    use sha2::Digest;
    let hex = hex::encode(sha2::Sha256::digest(std::fs::read(example(example_file)).unwrap()));
    store.home().join("blobs/sha256").join(&hex[0..2]).join(&hex[2..4]).join(&hex)
}

#[test]
fn altered_blobs_are_named() {
    let store = populated();
    let blob = blob_of(&store, "v1/semgrep.sarif");
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&blob, &bytes).unwrap();
    check(&store, 2, "blob_modified", "flipped byte");

    let store = populated();
    let blob = blob_of(&store, "v1/junit.xml");
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() - 10]).unwrap();
    check(&store, 1, "blob_modified", "truncated blob");

    let store = populated();
    std::fs::remove_file(blob_of(&store, "v2/bandit.sarif")).unwrap();
    check(&store, 4, "blob_missing", "deleted blob");
}

#[test]
fn forged_checkpoints_and_rewritten_stores_are_caught() {
    // A checkpoint row whose signed note was replaced by one for another root.
    let store = populated();
    let mut all: Vec<&str> = vec!["PRAGMA foreign_keys = OFF"];
    all.extend(DROP_TRIGGERS);
    all.push("UPDATE checkpoints SET note = replace(note, substr(note, instr(note, char(10)) + 3, 8), 'AAAAAAAA') WHERE size = 3");
    store.tamper_sql(&all);
    let (code, report) = store.verify();
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["failure"]["checkpoint"], 3, "{report}");
    assert_eq!(report["failure"]["problem"], "bad_signature", "{report}");

    // A checkpoint kept outside the store catches a store rewritten from scratch:
    // here, the ledger truncated back to 3 entries with its checkpoints.
    let store = populated();
    let kept = store.dir.path().join("kept-checkpoint");
    std::fs::write(&kept, store.ok(&["ledger", "checkpoint"])).unwrap();
    let mut all: Vec<&str> = vec!["PRAGMA foreign_keys = OFF"];
    all.extend(DROP_TRIGGERS);
    all.extend([
        "DELETE FROM ledger_entries WHERE seq >= 3",
        "DELETE FROM releases",
        "DELETE FROM evidence WHERE seq >= 3",
        "DELETE FROM findings WHERE evidence_seq >= 3",
        "DELETE FROM checkpoints WHERE size > 3",
    ]);
    store.tamper_sql(&all);
    assert_eq!(store.verify().0, 0, "the truncated store is self-consistent");
    let output = store.run(&["ledger", "verify", "--json", "--checkpoint", kept.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failure"]["entry"], 3, "{report}");
    assert_eq!(report["failure"]["problem"], "missing", "{report}");
}

/// Blobs are re-hashed in chunks beside the entry scan; the report must still name
/// the first problem in ledger order, whether it is a blob in an early chunk, a
/// row after it, or a blob in the last, partial chunk.
#[test]
fn blob_problems_are_reported_in_ledger_order_in_a_large_store() {
    // 90 releases of 10 evidence items: 900 blobs, several chunks of re-hashing.
    let store = TestStore::new();
    store.generate(90, 3);
    let evidence = store.query_i64("SELECT COUNT(*) FROM evidence");
    assert!(evidence >= 900, "{evidence} evidence rows");
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["blobs"].as_i64(), Some(evidence));

    // A byte flipped in an early blob, and a release row rewritten far after it.
    let (early, path) = nth_blob(&store, 40);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    check(&store, early, "blob_modified", "an early blob alone");
    let late_release = store.query_i64("SELECT seq FROM releases ORDER BY seq LIMIT 1 OFFSET 60");
    assert!(late_release as u64 > early + 600);
    let mut statements: Vec<String> = vec!["PRAGMA foreign_keys = OFF".into()];
    statements.extend(DROP_TRIGGERS.iter().map(|statement| (*statement).to_owned()));
    statements.push(format!("UPDATE releases SET commit_sha = '{}' WHERE seq = {late_release}", "0".repeat(40)));
    store.tamper_sql(&statements.iter().map(String::as_str).collect::<Vec<_>>());
    check(&store, early, "blob_modified", "an early blob and a later row");

    // Put the blob back: the rewritten row is what is reported now.
    bytes[0] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    check(&store, late_release as u64, "modified", "the later row alone");

    // The last evidence blob, in the final partial chunk, is gone; the rewritten
    // row (earlier in the ledger) still comes first, and without it the blob does.
    let (last, path) = nth_blob(&store, evidence - 1);
    assert!(last > late_release as u64, "release 60 comes before the last evidence");
    std::fs::remove_file(&path).unwrap();
    check(&store, late_release as u64, "modified", "a later missing blob does not mask an earlier row");

    let store = TestStore::new();
    store.generate(90, 3);
    let (last, path) = nth_blob(&store, evidence - 1);
    std::fs::remove_file(&path).unwrap();
    check(&store, last, "blob_missing", "the last blob");
}

/// The first entry naming the bytes of the `offset`-th evidence row (a changed blob
/// is charged to it), and the blob's path.
fn nth_blob(store: &TestStore, offset: i64) -> (u64, PathBuf) {
    let hex =
        store.query_text(&format!("SELECT lower(hex(digest)) FROM evidence ORDER BY seq LIMIT 1 OFFSET {offset}"));
    let first = store.query_i64(&format!("SELECT MIN(seq) FROM evidence WHERE lower(hex(digest)) = '{hex}'"));
    (first as u64, store.home().join("blobs/sha256").join(&hex[0..2]).join(&hex[2..4]).join(&hex))
}
