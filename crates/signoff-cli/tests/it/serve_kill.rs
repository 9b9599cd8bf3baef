//! The server killed with SIGKILL while pipelines capture into it (P5, R2, A8):
//! every capture it acknowledged is in the store, the ones it could not take
//! waited in the senders' outboxes and arrive once, and the ledger verifies.
//! `cargo xtask bench-serve --kill-every S` is the long run under full load.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::remote::{Served, run, token};
use crate::util::{TestStore, commit, json_lines};

/// Server kills on every `cargo test`.
const KILLS: usize = 3;
/// Pipelines capturing at once.
const CLIENTS: usize = 4;

/// A small SARIF log no other capture has: one finding named after its sender.
fn sarif(client: usize, n: usize) -> String {
    format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"bandit","version":"1.7.9"}}}},"results":[{{"ruleId":"B105","level":"error","message":{{"text":"hardcoded password in run {n} of client {client}"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/client_{client}.py"}},"region":{{"startLine":{}}}}}}}]}}]}}]}}"#,
        n + 1
    )
}

#[test]
fn a_server_killed_under_load_loses_no_acknowledged_capture() {
    let store = TestStore::new();
    let secret = token(&store, "ci", "capture");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let server = Mutex::new(Some(Served::start(&store, &listen)));
    let url = server.lock().unwrap().as_ref().unwrap().url.clone();
    let files = tempfile::tempdir().unwrap();
    let outboxes: Vec<tempfile::TempDir> = (0..CLIENTS).map(|_| tempfile::tempdir().unwrap()).collect();
    let loading = AtomicBool::new(true);

    let sent: Vec<(Vec<String>, usize)> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (store, secret, url, files, loading) = (&store, &secret, &url, &files, &loading);
                let outbox = outboxes[client].path();
                scope.spawn(move || {
                    let sha = commit(&format!("client {client}"));
                    let (mut acknowledged, mut made) = (Vec::new(), 0);
                    while loading.load(Ordering::Relaxed) {
                        let file = files.path().join(format!("bandit-{client}-{made}.sarif"));
                        std::fs::write(&file, sarif(client, made)).unwrap();
                        let capture =
                            ["capture", "--project", "shop", "--commit", &sha, "--json", file.to_str().unwrap()];
                        let output = run(store, Some((url, secret)), "ci", outbox, &capture);
                        // A capture the server could not take is kept in the outbox: exit 0.
                        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
                        let stdout = String::from_utf8_lossy(&output.stdout);
                        for line in json_lines(&stdout) {
                            if let Some(id) = line["evidence_id"].as_str() {
                                acknowledged.push(id.to_owned());
                            }
                        }
                        made += 1;
                    }
                    (acknowledged, made)
                })
            })
            .collect();
        for kill in 0..KILLS {
            std::thread::sleep(Duration::from_millis(700 + 300 * kill as u64));
            server.lock().unwrap().take().unwrap().kill_hard();
            // Down for a moment (a sender's retries bridge it), and the last time
            // for longer than the retries last: captures sent then wait in outboxes.
            let down = if kill + 1 == KILLS { 4000 } else { 300 };
            std::thread::sleep(Duration::from_millis(down));
            *server.lock().unwrap() = Some(Served::start(&store, &listen));
        }
        std::thread::sleep(Duration::from_millis(500));
        loading.store(false, Ordering::Relaxed);
        clients.into_iter().map(|client| client.join().unwrap()).collect()
    });

    // What waited in the outboxes is delivered now, each once.
    for outbox in &outboxes {
        let flushed = run(&store, Some((&url, &secret)), "ci", outbox.path(), &["outbox", "flush", "--json"]);
        assert_eq!(flushed.status.code(), Some(0), "{}", String::from_utf8_lossy(&flushed.stderr));
        let flushed: Value = serde_json::from_slice(&flushed.stdout).unwrap();
        assert_eq!(flushed["waiting"], 0, "{flushed}");
    }
    drop(server.lock().unwrap().take());

    let made: usize = sent.iter().map(|(_, made)| made).sum();
    let acknowledged: Vec<&String> = sent.iter().flat_map(|(ids, _)| ids).collect();
    eprintln!("{made} captures sent, {} acknowledged by the server at once, {KILLS} kills", acknowledged.len());
    assert!(made > acknowledged.len(), "some captures met a dead server ({made} sent, all acknowledged)");
    let (code, report) = store.verify();
    assert_eq!(code, 0, "ledger verify after {KILLS} kills: {report}");
    assert_eq!(
        usize::try_from(store.query_i64("SELECT COUNT(*) FROM evidence")).unwrap(),
        made,
        "every capture is stored once: acknowledged, or delivered from an outbox"
    );
    for id in acknowledged {
        assert_eq!(store.query_i64(&format!("SELECT COUNT(*) FROM evidence WHERE id = '{id}'")), 1, "{id}");
    }
}
