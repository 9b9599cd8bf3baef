//! Crashes and concurrency (C5, R2): SIGKILL at random moments loses no acknowledged
//! capture and never leaves an unverifiable store; concurrent writers keep one
//! linear ledger.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{TestStore, commit, example, json_lines};

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn spawn_capture(store: &TestStore, files: &[String], sha: &str) -> Child {
    let mut command = store.command();
    command.args(["capture", "--project", "shop", "--commit", sha, "--json"]).args(files);
    command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap()
}

/// Evidence ids a finished (or killed) capture printed: those it acknowledged.
fn acknowledged(child: Child) -> Vec<String> {
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let complete: String = match stdout.rfind('\n') {
        Some(end) => stdout[..=end].to_owned(),
        None => String::new(),
    };
    json_lines(&complete).iter().map(|line| line["evidence_id"].as_str().unwrap().to_owned()).collect()
}

/// Kills wanted on every `cargo test`; `cargo xtask bench-kill` runs a thousand.
const KILLS: u64 = 50;

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_capture() {
    let store = TestStore::new();
    let files = [example("v1/bandit.sarif"), example("v1/junit.xml"), example("v2/semgrep.sarif")];
    let seed = 0x5161_0ff5_u64 ^ u64::from(std::process::id());
    eprintln!("seed {seed:#x}");
    let mut random = Lcg(seed);
    let mut acknowledged_ids = Vec::new();
    let mut killed = 0;
    let mut round = 0;
    while killed < KILLS {
        round += 1;
        assert!(round <= 20 * KILLS, "{killed} kills in {round} rounds: captures finish before the kill lands");
        let sha = commit(&format!("kill {round}"));
        // Two writers at once, so a kill can land while the other holds the lock.
        let pick = |random: &mut Lcg| files[(random.next() % 3) as usize].clone();
        let first = spawn_capture(&store, &[pick(&mut random), pick(&mut random)], &sha);
        let mut second = spawn_capture(&store, &[pick(&mut random)], &sha);
        std::thread::sleep(Duration::from_micros(random.next() % 60_000));
        match second.try_wait().unwrap() {
            Some(_) => {}
            None => {
                second.kill().unwrap();
                killed += 1;
            }
        }
        acknowledged_ids.extend(acknowledged(second));
        acknowledged_ids.extend(acknowledged(first));
        if round.is_multiple_of(25) {
            let (code, report) = store.verify();
            assert_eq!(code, 0, "round {round}: {report}");
        }
    }
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    for id in &acknowledged_ids {
        let found = store.query_i64(&format!("SELECT COUNT(*) FROM evidence WHERE id = '{id}'"));
        assert_eq!(found, 1, "acknowledged capture {id} is gone");
    }
    assert!(acknowledged_ids.len() >= 30, "only {} captures were acknowledged", acknowledged_ids.len());
}

#[test]
fn concurrent_writers_keep_one_linear_ledger() {
    let store = TestStore::new();
    let files =
        [example("v1/bandit.sarif"), example("v1/junit.xml"), example("v2/semgrep.sarif"), example("v2/bandit.sarif")];
    let started = Instant::now();
    let ids: Vec<Vec<String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let store = &store;
                let files = &files;
                scope.spawn(move || {
                    let mut ids = Vec::new();
                    for index in 0..25 {
                        let sha = commit(&format!("worker {worker}"));
                        let child = spawn_capture(store, &[files[(worker + index) % files.len()].clone()], &sha);
                        let output = child.wait_with_output().unwrap();
                        assert!(
                            output.status.success(),
                            "worker {worker} capture {index} failed: {}",
                            String::from_utf8_lossy(&output.stderr)
                        );
                        let lines: Vec<Value> = json_lines(&String::from_utf8(output.stdout).unwrap());
                        ids.push(lines[0]["evidence_id"].as_str().unwrap().to_owned());
                    }
                    ids
                })
            })
            .collect();
        workers.into_iter().map(|worker| worker.join().unwrap()).collect()
    });
    eprintln!("200 concurrent captures in {:?}", started.elapsed());
    let all: Vec<&String> = ids.iter().flatten().collect();
    assert_eq!(all.len(), 200);
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["entries"], 200);
    // One checkpoint per capture, every entry numbered once, 0..200.
    assert_eq!(report["checkpoints"], 200);
    assert_eq!(store.query_i64("SELECT COUNT(DISTINCT seq) FROM ledger_entries"), 200);
    assert_eq!(store.query_i64("SELECT MAX(seq) FROM ledger_entries"), 199);
    for id in all {
        assert_eq!(store.query_i64(&format!("SELECT COUNT(*) FROM evidence WHERE id = '{id}'")), 1);
    }
}
