//! The store contract: the same assertions against SQLite (always) and PostgreSQL
//! (when `PG_URL` names a server; CI sets it). Running one suite on both catches
//! dialect drift that compiling cannot.

// Test helpers outside `#[test]` functions may panic on a failed expectation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use signoff_core::context::CiContext;
use signoff_core::entry::{Entry, Event, EventKind, EvidenceRecord, FindingsHasher, ReleaseRecord};
use signoff_core::records::{Actor, ActorKind, ApprovalDecision, ApprovalRecord, DeploymentRecord};
use signoff_core::summary::FindingCounts;
use signoff_core::{
    CommitSha, Digest, EvidenceKind, Finding, Format, Location, ProjectName, ReleaseVersion, Severity, Summary, Tool,
};
use signoff_store::{EvidenceQuery, SqlStore, Store, StoredCheckpoint};

/// A fresh PostgreSQL database for one test, dropped afterwards.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> Option<PgDatabase> {
        let Ok(admin_url) = std::env::var("PG_URL") else {
            eprintln!("skipping PostgreSQL: PG_URL is not set");
            return None;
        };
        let name = format!("signoff_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Some(PgDatabase { admin_url, name, url })
    }

    async fn drop_database(self) {
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {} WITH (FORCE)", self.name)))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

fn finding(index: u64, severity: Severity) -> Finding {
    Finding {
        cve: if index.is_multiple_of(2) { vec![format!("CVE-2026-{index:05}")] } else { vec![] },
        cwe: vec!["CWE-79".into()],
        fingerprint: Digest::of(format!("finding {index}").as_bytes()),
        location: Location {
            end_line: Some(index + 2),
            path: Some(format!("src/file{index}.rs")),
            start_line: Some(index + 1),
        },
        package: index.is_multiple_of(3).then(|| "openssl".into()),
        package_version: index.is_multiple_of(3).then(|| "1.1.1".into()),
        rule_id: format!("rule-{}", index % 7),
        severity,
        suppressed: index.is_multiple_of(5),
        title: format!("Finding number {index} with \"quotes\" and ünïcode"),
    }
}

fn evidence(id: &str, findings: &[Finding]) -> EvidenceRecord {
    let mut hasher = FindingsHasher::new();
    let mut counts = FindingCounts::default();
    for finding in findings {
        hasher.add(finding).unwrap();
        counts.add(finding);
    }
    EvidenceRecord {
        id: id.into(),
        project: ProjectName::new("shop").unwrap(),
        commit: Some(CommitSha::new(&"ab".repeat(20)).unwrap()),
        release: None,
        kind: EvidenceKind::Sast,
        format: Format::Sarif,
        tool: Tool::new("Scanner", Some("1.0".into())),
        file_name: "scan.sarif".into(),
        digest: Digest::of(id.as_bytes()),
        size: 1234,
        original_digest: None,
        redacted: 0,
        summary: Summary { findings: Some(counts), ..Summary::default() },
        findings: hasher.finish(),
        context: CiContext { system: Some("local".into()), ..CiContext::default() },
        produced_at: Some("2026-11-26T10:00:00Z".into()),
        delivery: None,
        target: None,
    }
}

fn entry(seq: u64, prev: Option<Digest>, event: Event) -> (Entry, Vec<u8>) {
    let entry = Entry { seq, prev, at: time::macros::datetime!(2026-11-26 12:00:00 UTC), event };
    let bytes = entry.to_canonical_bytes().unwrap();
    (entry, bytes)
}

/// Appends one entry (and its findings) in its own transaction, as the app does.
async fn append(store: &SqlStore, event: Event, findings: Vec<Finding>) -> u64 {
    let mut tx = store.begin().await.unwrap();
    let head = tx.head().await.unwrap();
    if !findings.is_empty() {
        tx.insert_findings(head.size, 0, findings).await.unwrap();
    }
    let (entry, bytes) = entry(head.size, head.last_hash, event);
    let leaf = *Digest::of(&[&[0u8][..], &bytes].concat()).as_bytes();
    tx.append(&entry, &bytes, &leaf).await.unwrap();
    let size = head.size + 1;
    let checkpoint = StoredCheckpoint {
        size,
        root: leaf,
        note: format!("note {size}\n"),
        frontier: vec![leaf],
        previous_size: None,
    };
    tx.add_checkpoint(&checkpoint).await.unwrap();
    tx.commit().await.unwrap();
    head.size
}

async fn contract(store: &SqlStore) {
    assert_eq!(store.ledger_size().await.unwrap(), 0);
    assert!(store.latest_checkpoint().await.unwrap().is_none());

    // Evidence with findings round-trips field for field.
    let findings: Vec<Finding> = (0..2500).map(|index| finding(index, Severity::ALL[(index % 5) as usize])).collect();
    let record = evidence("ev-1", &findings);
    let seq = append(store, Event::EvidenceCaptured(Box::new(record.clone())), findings.clone()).await;
    assert_eq!(seq, 0);
    let rows = store.evidence_rows(0, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record, record);
    assert_eq!(rows[0].captured_at, time::macros::datetime!(2026-11-26 12:00:00 UTC));
    assert_eq!(store.evidence_findings(0).await.unwrap(), findings);
    let page = store.finding_rows(Some((0, 999)), 10).await.unwrap();
    assert_eq!(page[0].ordinal, 1000);
    assert_eq!(page[0].finding, findings[1000]);

    // A release, and the evidence it attaches.
    let release = ReleaseRecord {
        id: "rel-1".into(),
        project: ProjectName::new("shop").unwrap(),
        version: ReleaseVersion::new("1.0.0").unwrap(),
        commit: CommitSha::new(&"ab".repeat(20)).unwrap(),
        artifacts: vec![Digest::of(b"artifact")],
        previous: None,
        actor: Some("ci".into()),
        context: CiContext::default(),
        changes: vec![],
        changes_note: Some("no repository".into()),
    };
    append(store, Event::ReleaseCreated(Box::new(release.clone())), vec![]).await;
    let shown = store.release(&release.project, &release.version).await.unwrap().unwrap();
    assert_eq!(shown.record, release);
    assert_eq!(store.release_evidence(&release).await.unwrap().len(), 1);
    assert_eq!(store.latest_release(&release.project).await.unwrap().unwrap().seq, 1);
    assert_eq!(store.releases(None).await.unwrap().len(), 1);

    // Other records go to the generic table.
    let approval = ApprovalRecord {
        id: "ap-1".into(),
        project: release.project.clone(),
        version: release.version.clone(),
        content: release.content_digest(),
        actor: Actor { id: "alice".into(), kind: ActorKind::Human, on_behalf_of: None, source: None },
        role: "release-manager".into(),
        decision: ApprovalDecision::Approve,
        comment: Some("ship it".into()),
    };
    append(store, Event::ApprovalRecorded(Box::new(approval.clone())), vec![]).await;
    let store_object: &dyn Store = store;
    let records = store_object.records_of::<ApprovalRecord>(Some("shop"), Some("1.0.0")).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].record, approval);
    assert_eq!((records[0].seq, records[0].at), (2, time::macros::datetime!(2026-11-26 12:00:00 UTC)));
    assert!(store_object.records_of::<ApprovalRecord>(Some("other"), None).await.unwrap().is_empty());
    assert_eq!(store_object.records_with_id::<ApprovalRecord>("ap-1").await.unwrap().len(), 1);
    // A row read as another record type is a corruption, not an empty answer.
    let misread = store.find_records(EventKind::ApprovalRecorded, &Default::default()).await.unwrap()[0]
        .decode::<DeploymentRecord>()
        .unwrap_err();
    assert!(misread.to_string().contains("a approval_recorded row read as deployment_recorded"), "{misread}");

    // The same finding seen again later; history groups it.
    let again = vec![findings[0].clone(), findings[1].clone()];
    append(store, Event::EvidenceCaptured(Box::new(evidence("ev-2", &again))), again).await;
    let history = store.finding_history(&release.project).await.unwrap();
    assert_eq!(history.len(), 2500);
    assert_eq!((history[0].first_seq, history[0].last_seq, history[0].times_seen), (0, 3, 2));
    assert_eq!(store.scans(&release.project).await.unwrap().iter().map(|scan| scan.seq).collect::<Vec<_>>(), [0, 3]);

    // An evidence search a row at a time gives the rows of the collected search,
    // newest first, and stops when told to.
    for query in [
        EvidenceQuery { project: Some("shop"), limit: 10, ..EvidenceQuery::default() },
        EvidenceQuery {
            kinds: vec!["sast"],
            environment: None,
            approver: Some("alice"),
            limit: 1,
            ..Default::default()
        },
    ] {
        let (collected, _) = store.search_evidence(&query).await.unwrap();
        let mut streamed = Vec::new();
        store
            .search_evidence_each(&query, &mut |hit| {
                streamed.push(hit);
                true
            })
            .await
            .unwrap();
        assert_eq!(streamed, collected, "{query:?}");
        assert_eq!(
            streamed.iter().map(|hit| hit.release.as_deref()).collect::<Vec<_>>(),
            vec![Some("1.0.0"); streamed.len()],
            "{query:?}"
        );
    }
    let mut seen = Vec::new();
    store
        .search_evidence_each(&EvidenceQuery { limit: 10, ..EvidenceQuery::default() }, &mut |hit| {
            seen.push(hit.evidence.seq);
            false
        })
        .await
        .unwrap();
    assert_eq!(seen, [3], "the newest, then it stopped");

    // Entries, leaves and checkpoints.
    assert_eq!(store.ledger_size().await.unwrap(), 4);
    let entries = store.entries(1, 2).await.unwrap();
    assert_eq!(entries.iter().map(|entry| entry.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(store.leaf_hashes(0, 10).await.unwrap().len(), 4);
    assert_eq!(store.checkpoints().await.unwrap().len(), 4);
    assert_eq!(store.latest_checkpoint().await.unwrap().unwrap().size, 4);

    // A second release of the same version is a conflict, and nothing of it stays.
    let mut tx = store.begin().await.unwrap();
    let head = tx.head().await.unwrap();
    let (duplicate, bytes) = entry(head.size, head.last_hash, Event::ReleaseCreated(Box::new(release.clone())));
    let error = tx.append(&duplicate, &bytes, &[0; 32]).await.unwrap_err();
    assert!(error.to_string().contains("release shop@1.0.0 already exists"), "{error}");
    drop(tx);
    assert_eq!(store.ledger_size().await.unwrap(), 4);

    // Concurrent writers serialise into one linear ledger.
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for index in 0..10 {
                    let record = evidence(&format!("w{writer}-{index}"), &[]);
                    append(&store, Event::EvidenceCaptured(Box::new(record)), vec![]).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let entries = store.entries(0, 1000).await.unwrap();
    assert_eq!(entries.len(), 44);
    for (position, stored) in entries.iter().enumerate() {
        assert_eq!(stored.seq, position as u64);
        let parsed: Entry = serde_json::from_slice(&stored.body).unwrap();
        let previous = (position > 0).then(|| Digest::of(&entries[position - 1].body));
        assert_eq!(parsed.prev, previous, "entry {position} does not link to its predecessor");
    }
    assert_eq!(store.meta("origin").await.unwrap(), None);
    assert_eq!(store.init_meta("origin", "a").await.unwrap(), "a");
    assert_eq!(store.init_meta("origin", "b").await.unwrap(), "a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_meets_the_contract() {
    let folder = tempfile::tempdir().unwrap();
    let store = SqlStore::open(&folder.path().join("signoff.db")).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    contract(&store).await;
    // The triggers refuse changes.
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        folder.path().join("signoff.db").display()
    ))
    .await
    .unwrap();
    for statement in
        ["UPDATE evidence SET tool_name = 'x'", "DELETE FROM records", "DELETE FROM ledger_entries WHERE seq = 0"]
    {
        let error = sqlx::raw_sql(statement).execute(&mut connection).await.unwrap_err();
        assert!(error.to_string().contains("append-only"), "{statement}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_meets_the_contract() {
    let Some(database) = PgDatabase::create().await else { return };
    let store = SqlStore::open_postgres(&database.url).await.unwrap();
    assert_eq!(store.backend(), "postgres");
    contract(&store).await;
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&database.url).await.unwrap();
    for statement in [
        "UPDATE evidence SET tool_name = 'x'",
        "DELETE FROM records",
        "DELETE FROM ledger_entries WHERE seq = 0",
        "TRUNCATE findings",
    ] {
        let error = sqlx::raw_sql(statement).execute(&mut connection).await.unwrap_err();
        assert!(error.to_string().contains("append-only"), "{statement}: {error}");
    }
    // Opening again (another replica) migrates nothing and sees the same ledger.
    let second = SqlStore::open_postgres(&database.url).await.unwrap();
    assert_eq!(second.ledger_size().await.unwrap(), 44);
    store.close().await;
    second.close().await;
    drop(connection);
    database.drop_database().await;
}

/// A store on a read-only mount, or for a reader who may not write: opened for
/// reading, it answers reads, writes nothing and refuses to write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_opens_read_only() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("signoff.db");
    let store = SqlStore::open(&path).await.unwrap();
    append(&store, Event::EvidenceCaptured(Box::new(evidence("e1", &[]))), Vec::new()).await;
    let checkpoint = store.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(checkpoint.previous_size, None, "written as given");
    store.close().await;
    let before = std::fs::read(&path).unwrap();
    let reader = SqlStore::open_read_only(&path).await.unwrap();
    assert_eq!(reader.ledger_size().await.unwrap(), 1);
    assert_eq!(reader.checkpoints().await.unwrap().len(), 1);
    let refused = match reader.begin().await {
        Err(_) => true,
        Ok(mut tx) => {
            let mut again = checkpoint.clone();
            again.size += 1;
            tx.add_checkpoint(&again).await.is_err()
        }
    };
    assert!(refused, "a read-only store takes no write");
    reader.close().await;
    // SQLite may make its WAL index where it can; the database is not written.
    assert!(std::fs::read(&path).unwrap() == before, "the database file changed");
}

#[test]
fn migrations_are_numbered_alike_for_both_backends() {
    let names = |backend: &str| -> Vec<String> {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
