//! The CLI against a server (`SIGNOFF_SERVER`, `SIGNOFF_TOKEN`): the pipeline's
//! commands answer as they do on a local store, and captures made while the
//! server is out of reach wait in the outbox and arrive once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

use crate::util::{TestStore, commit, example, root, signoff};

/// `signoff serve` on a loopback port, stopped (SIGTERM) when dropped and by
/// `timeout` after five minutes whatever happens to the test.
pub(crate) struct Served {
    child: Child,
    pub(crate) url: String,
}

impl Served {
    pub(crate) fn start(store: &TestStore, listen: &str) -> Served {
        Served::start_with(store, listen, &[])
    }

    fn start_with(store: &TestStore, listen: &str, extra: &[&str]) -> Served {
        let mut child = Command::new("timeout")
            .args(["--signal=TERM", "300"])
            .arg(env!("CARGO_BIN_EXE_signoff"))
            .arg("--store")
            .arg(store.home())
            .args(["serve", "--listen", listen])
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SIGNOFF_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .expect("the timeout command (coreutils) runs the server");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the server said where it listens").unwrap();
            if let Some(rest) = line.strip_prefix("listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep reading what the server logs so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Served { child, url }
    }

    /// Kills the server with SIGKILL (not the `timeout` that bounds it, which
    /// then ends too), as a crash or an OOM killer would.
    pub(crate) fn kill_hard(mut self) {
        let pid = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        for server in children.split_whitespace() {
            let _ = Command::new("kill").args(["-KILL", server]).status();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// Issues a token on the store (before it is served) and returns its secret.
pub(crate) fn token(store: &TestStore, name: &str, scopes: &str) -> String {
    let stdout = store
        .ok(&["token", "create", "--name", name, "--scope", scopes, "--kind", "human", "--actor", "admin", "--json"]);
    let issued: Value = serde_json::from_str(&stdout).unwrap();
    issued["secret"].as_str().unwrap_or_else(|| panic!("no secret in {issued}")).to_owned()
}

/// One command, locally (as `actor`) or against `server` (with `token`).
pub(crate) fn run(
    store: &TestStore,
    target: Option<(&str, &str)>,
    actor: &str,
    outbox: &std::path::Path,
    args: &[&str],
) -> Output {
    let mut command = match target {
        None => {
            let mut command = store.command();
            command.env("SIGNOFF_ACTOR", actor);
            command
        }
        Some((url, token)) => {
            let mut command = signoff();
            command.current_dir(store.dir.path()).env("SIGNOFF_SERVER", url).env("SIGNOFF_TOKEN", token);
            command
        }
    };
    command.env("SIGNOFF_OUTBOX", outbox).args(args).output().unwrap()
}

/// What a command printed, with what differs between two stores by nature (ledger
/// positions, ids, times) replaced by placeholders.
fn normalized(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stdout);
    let line = |line: &str| {
        let mut words = Vec::new();
        let mut previous = "";
        for word in line.split(' ') {
            let bare = word.trim_end_matches([')', ',', '.', ':', ';']);
            let replaced = if (previous == "entry" || previous == "entries" || previous == "size")
                && bare.parse::<u64>().is_ok()
            {
                word.replacen(bare, "N", 1)
            } else if previous == "root" && bare.starts_with("sha256:") {
                // The server's ledger also holds its tokens' issue entries.
                word.replacen(bare, "<root>", 1)
            } else if bare.len() == 36 && bare.chars().filter(|c| *c == '-').count() == 4 {
                word.replacen(bare, "<id>", 1)
            } else if bare.len() >= 20 && bare.starts_with("20") && bare.contains('T') && bare.ends_with('Z') {
                word.replacen(bare, "<time>", 1)
            } else {
                word.to_owned()
            };
            previous = bare;
            words.push(replaced);
        }
        words.join(" ")
    };
    text.lines().map(line).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_pipeline_answers_the_same_locally_and_against_a_server() {
    let local = TestStore::new();
    let remote = TestStore::new();
    let policy = root().join("examples/policy.yaml");
    for store in [&local, &remote] {
        store.ok(&["policy", "publish", policy.to_str().unwrap()]);
    }
    let tokens = [
        ("ci", token(&remote, "ci", "capture,release,read")),
        ("alice", token(&remote, "alice", "approve,read")),
        ("carol", token(&remote, "carol", "certify,read")),
        ("dana", token(&remote, "dana", "release,read")),
        ("auditor", token(&remote, "auditor", "read")),
    ];
    let served = Served::start(&remote, "127.0.0.1:0");
    let outbox = tempfile::tempdir().unwrap();
    let sha = commit("remote pipeline");
    let artifact = format!("sha256:{}", &crate::util::commit("remote artifact").repeat(2)[..64]);
    let files: Vec<String> = ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml", "sbom.cdx.json"]
        .iter()
        .map(|name| example(&format!("v2/{name}")))
        .collect();
    let mut capture = vec!["capture", "--project", "shop", "--commit", &sha];
    capture.extend(files.iter().map(String::as_str));
    let steps: Vec<(&str, Vec<&str>)> = vec![
        ("ci", capture),
        ("ci", vec!["release", "create", "shop@1.0.0", "--commit", &sha, "--artifact", &artifact]),
        ("alice", vec!["approve", "shop@1.0.0", "--role", "release-manager"]),
        ("carol", vec!["certify", "shop@1.0.0", "--dry-run"]),
        ("carol", vec!["certify", "shop@1.0.0"]),
        ("carol", vec!["certify", "shop@1.0.0", "--json"]),
        ("ci", vec!["gate", "--artifact", &artifact]),
        ("ci", vec!["gate", "--artifact", "sha256:0000000000000000000000000000000000000000000000000000000000000000"]),
        ("dana", vec!["deploy", "record", "shop@1.0.0", "--env", "prod"]),
        ("dana", vec!["env", "snapshot", "--env", "prod", "--artifact", &artifact]),
        ("ci", vec!["findings", "--project", "shop"]),
        ("ci", vec!["findings", "--release", "shop@1.0.0", "--status", "open"]),
        // The auditor's questions, with a read token.
        ("auditor", vec!["audit", "trace", "shop@1.0.0"]),
        (
            "auditor",
            vec!["audit", "search", "--project", "shop", "--jq", "[.project, .release, .kind, .tool, .file, .digest]"],
        ),
        ("auditor", vec!["audit", "ask", "who-approved", "shop@1.0.0", "--jq", "{columns, rows: (.rows | length)}"]),
        ("auditor", vec!["controls", "coverage", "--release", "shop@1.0.0", "--framework", "soc2"]),
        (
            "auditor",
            vec![
                "report",
                "--project",
                "shop",
                "--jq",
                "{releases: [.releases[] | {project, version, decision, evidence_kinds, approvals, deployed_to}], coverage: [.coverage[] | .framework]}",
            ],
        ),
        (
            "auditor",
            vec![
                "report",
                "--release",
                "shop@1.0.0",
                "--jq",
                ".release | {project, version, commit, artifacts, decision}",
            ],
        ),
    ];
    for (actor, args) in &steps {
        let token = &tokens.iter().find(|(name, _)| name == actor).unwrap().1;
        let here = run(&local, None, actor, outbox.path(), args);
        let there = run(&remote, Some((&served.url, token)), actor, outbox.path(), args);
        let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            here.status.code(),
            there.status.code(),
            "signoff {args:?}: exit codes\nlocal: {}\nserver: {}",
            stderr(&here),
            stderr(&there)
        );
        if args.contains(&"--json") {
            let json = |output: &Output| -> Value { serde_json::from_slice(&output.stdout).unwrap() };
            let (here, there) = (json(&here), json(&there));
            assert_eq!(here["evaluation"]["decision"], there["evaluation"]["decision"]);
            assert_eq!(
                here["evaluation"]["criteria"], there["evaluation"]["criteria"],
                "the same evaluation, criterion by criterion"
            );
            assert_eq!(here["policy"], there["policy"]);
        } else {
            assert_eq!(
                normalized(&here),
                normalized(&there),
                "signoff {args:?}\nlocal stderr: {}\nserver stderr: {}",
                stderr(&here),
                stderr(&there)
            );
        }
        assert!(!normalized(&there).is_empty() || there.status.code() != Some(0), "signoff {args:?} printed nothing");
        if args.contains(&"search") {
            assert!(normalized(&there).contains("semgrep.sarif"), "the search found the release's evidence");
        }
    }
    // The auditor's package, downloaded from the server, verifies offline.
    let package = outbox.path().join("shop-1.0.0.zip");
    let auditor = &tokens.iter().find(|(name, _)| *name == "auditor").unwrap().1;
    let export = run(
        &remote,
        Some((&served.url, auditor)),
        "auditor",
        outbox.path(),
        &["export", "shop@1.0.0", "-o", package.to_str().unwrap()],
    );
    assert_eq!(export.status.code(), Some(0), "{}", String::from_utf8_lossy(&export.stderr));
    let key = remote.ok(&["key", "public", "--format", "note"]);
    let verified = signoff().args(["verify-package", package.to_str().unwrap(), "--key", key.trim()]).output().unwrap();
    assert_eq!(verified.status.code(), Some(0), "{}", String::from_utf8_lossy(&verified.stdout));
    // The server recorded what its tokens did, under their names.
    let certificate =
        remote.query_text("SELECT record FROM records WHERE kind = 'certificate_issued' ORDER BY seq DESC LIMIT 1");
    assert!(certificate.contains("\"carol\""), "{certificate}");
    drop(served);
    for store in [&local, &remote] {
        let (code, report) = store.verify();
        assert_eq!(code, 0, "{report}");
    }
}

#[test]
fn captures_wait_in_the_outbox_while_the_server_is_down_and_arrive_once() {
    let store = TestStore::new();
    let secret = token(&store, "ci", "capture,read");
    let outbox = tempfile::tempdir().unwrap();
    // A loopback port nothing listens on (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let sha = commit("outbox");
    let bandit = example("v1/bandit.sarif");
    let capture = ["capture", "--project", "shop", "--commit", &sha, &bandit];
    let before = store.ledger_size();

    let down = run(&store, Some((&url, &secret)), "ci", outbox.path(), &capture);
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert_eq!(down.status.code(), Some(0), "a capture the server cannot take now is kept: {stderr}");
    assert!(stderr.contains("kept in the outbox") && stderr.contains("signoff outbox flush"), "{stderr}");
    let status = run(&store, Some((&url, &secret)), "ci", outbox.path(), &["outbox", "status", "--json"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["schema_version"], 1);
    let waiting = &status["items"];
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    assert_eq!(waiting[0]["file"], bandit.as_str());
    let captured_at = waiting[0]["captured_at"].as_str().unwrap().to_owned();

    // --no-outbox fails instead, and keeps nothing.
    let strict = run(
        &store,
        Some((&url, &secret)),
        "ci",
        outbox.path(),
        &["capture", "--no-outbox", "--project", "shop", "--commit", &sha, &example("v1/junit.xml")],
    );
    assert_eq!(strict.status.code(), Some(2), "{}", String::from_utf8_lossy(&strict.stderr));
    assert!(
        String::from_utf8_lossy(&strict.stderr).contains("unavailable"),
        "{}",
        String::from_utf8_lossy(&strict.stderr)
    );
    // Bad input is refused here, before anything is sent or kept.
    let bad = root().join("Cargo.toml");
    let refused = run(
        &store,
        Some((&url, &secret)),
        "ci",
        outbox.path(),
        &["capture", "--project", "shop", "--commit", &sha, bad.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Cargo.toml"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let status = run(&store, Some((&url, &secret)), "ci", outbox.path(), &["outbox", "status", "--json"]);
    assert_eq!(serde_json::from_slice::<Value>(&status.stdout).unwrap()["items"].as_array().unwrap().len(), 1);
    assert_eq!(store.ledger_size(), before, "nothing reached the store");

    // The server comes back: flush delivers it with the time it was captured.
    let served = Served::start(&store, &format!("127.0.0.1:{port}"));
    let flushed = run(&store, Some((&served.url, &secret)), "ci", outbox.path(), &["outbox", "flush", "--json"]);
    assert_eq!(flushed.status.code(), Some(0), "{}", String::from_utf8_lossy(&flushed.stderr));
    let flushed: Value = serde_json::from_slice(&flushed.stdout).unwrap();
    assert_eq!(flushed["delivered"].as_array().unwrap().len(), 1, "{flushed}");
    assert_eq!(flushed["delivered"][0]["first_captured_at"], captured_at.as_str(), "{flushed}");
    assert_eq!(flushed["waiting"], 0);
    let status = run(&store, Some((&served.url, &secret)), "ci", outbox.path(), &["outbox", "status", "--json"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&status.stdout).unwrap(),
        serde_json::json!({"schema_version": 1, "items": []})
    );
    assert_eq!(store.query_text("SELECT delivery_captured_at FROM evidence"), captured_at);

    // The same capture sent again (a retry after a lost answer) is stored once.
    let again = run(&store, Some((&served.url, &secret)), "ci", outbox.path(), &capture);
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(store.query_i64("SELECT COUNT(*) FROM evidence"), 1);
    drop(served);
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
}

#[test]
fn commands_a_server_does_not_serve_yet_say_so() {
    let store = TestStore::new();
    let output = signoff()
        .current_dir(store.dir.path())
        .env("SIGNOFF_SERVER", "http://127.0.0.1:9")
        .env("SIGNOFF_TOKEN", "so_x_y")
        .args(["metrics"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`signoff metrics` works on a local store only") && stderr.contains("SIGNOFF_SERVER"),
        "{stderr}"
    );
    let output = signoff()
        .env("SIGNOFF_SERVER", "http://127.0.0.1:9")
        .args(["gate", "--artifact", "sha256:00"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("SIGNOFF_TOKEN"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The server's host, where SIGNOFF_SERVER may well be set: administering the
    // store itself stays local.
    let listed =
        store.command().env("SIGNOFF_SERVER", "http://127.0.0.1:9").args(["token", "list", "--json"]).output().unwrap();
    assert_eq!(listed.status.code(), Some(0), "{}", String::from_utf8_lossy(&listed.stderr));
}

/// `serve --tls-cert --tls-key` speaks HTTPS; the CLI trusts a private CA given
/// with `SIGNOFF_CA_CERT` and refuses, without keeping the capture for later, a
/// server whose certificate it cannot trust. The certificates are test material
/// made by `crates/signoff-server/tests/fixtures/tls/gen.sh` (OpenSSL).
#[test]
fn a_server_with_a_certificate_speaks_https_and_the_cli_trusts_only_what_it_is_told() {
    let store = TestStore::new();
    let secret = token(&store, "ci-tls", "capture,release,read");
    let tls = root().join("crates/signoff-server/tests/fixtures/tls");
    let (cert, key, ca) = (tls.join("server.pem"), tls.join("server.key"), tls.join("ca.pem"));
    let served = Served::start_with(
        &store,
        "127.0.0.1:0",
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert!(served.url.starts_with("https://127.0.0.1:"), "{}", served.url);
    let outbox = tempfile::tempdir().unwrap();
    let sha = commit("tls");
    let capture = |extra: &[(&str, &str)]| {
        let mut command = signoff();
        command
            .current_dir(store.dir.path())
            .env("SIGNOFF_SERVER", &served.url)
            .env("SIGNOFF_TOKEN", &secret)
            .env("SIGNOFF_OUTBOX", outbox.path())
            .args(["capture", &example("v1/bandit.sarif"), "--project", "shop", "--commit", &sha, "--json"]);
        for (name, value) in extra {
            command.env(name, value);
        }
        command.output().unwrap()
    };
    // Not trusted: a clear error, exit 2, and nothing kept in the outbox.
    let refused = capture(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("certificate is not trusted") && stderr.contains("SIGNOFF_CA_CERT"), "{stderr}");
    assert_eq!(std::fs::read_dir(outbox.path()).map_or(0, |entries| entries.count()), 0, "nothing kept");
    // Trusted through the CA: stored on the server.
    let stored = capture(&[("SIGNOFF_CA_CERT", ca.to_str().unwrap())]);
    assert!(stored.status.success(), "{}", String::from_utf8_lossy(&stored.stderr));
    let lines = crate::util::json_lines(&String::from_utf8_lossy(&stored.stdout));
    assert_eq!(lines[0]["summary"]["findings"]["high"], 1, "{lines:?}");
    // The dashboard's cookies are Secure when the server speaks TLS itself.
    let roots = reqwest::Certificate::from_pem_bundle(&std::fs::read(&ca).unwrap()).unwrap();
    let client = reqwest::Client::builder().tls_certs_only(roots).no_proxy().build().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sign_in = runtime.block_on(client.get(format!("{}/ui/sign-in", served.url)).send()).unwrap();
    assert_eq!(sign_in.status(), 200);
    let cookie = sign_in.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
    // Plain HTTP to the HTTPS port gets no answer a client could take for one.
    let plain = served.url.replacen("https://", "http://", 1);
    let output = signoff()
        .current_dir(store.dir.path())
        .env("SIGNOFF_SERVER", &plain)
        .env("SIGNOFF_TOKEN", &secret)
        .args(["findings", "--project", "shop"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stdout));
    // A certificate and key that do not belong together are refused at start, by name.
    let mismatched = Command::new(env!("CARGO_BIN_EXE_signoff"))
        .arg("--store")
        .arg(store.home())
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&ca)
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&mismatched.stderr);
    assert_eq!(mismatched.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("server.key") && stderr.contains("ca.pem"), "{stderr}");
}

/// `ledger checkpoint` and `ledger prove` against a server: the same answers as on
/// the server's own store, each checkpoint and proof checked on the
/// client (and refused under a key the server did not sign with).
#[test]
fn the_ledger_is_proved_against_a_server_and_checked_on_the_client() {
    let store = TestStore::new();
    let sha = commit("remote ledger");
    store.capture_shop(&["bandit.sarif", "junit.xml"], &sha);
    let auditor = token(&store, "auditor", "read");
    let served = Served::start(&store, "127.0.0.1:0");
    let outbox = tempfile::tempdir().unwrap();
    let remote = |args: &[&str]| run(&store, Some((&served.url, &auditor)), "auditor", outbox.path(), args);
    let ok = |output: Output| {
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };

    let args = ["ledger", "checkpoint", "--json"];
    assert_eq!(ok(remote(&args)), store.ok(&args), "signoff {args:?}");
    let proved = ok(remote(&["ledger", "prove", "1"]));
    assert!(proved.starts_with("entry 1 in the tree of size "), "{proved}");
    assert!(proved.contains("verified here against the signed checkpoint, under the server's own key"), "{proved}");
    let local: Value = serde_json::from_str(&store.ok(&["ledger", "prove", "1", "--json"])).unwrap();
    let there: Value = serde_json::from_str(&ok(remote(&["ledger", "prove", "1", "--json"]))).unwrap();
    assert_eq!(local, there, "the same proof");
    let consistent = ok(remote(&["ledger", "prove", "--consistency", "2"]));
    assert!(consistent.contains("verified here against both signed checkpoints"), "{consistent}");
    let tlog = ok(remote(&["ledger", "prove", "0", "--format", "tlog-proof"]));
    assert!(tlog.starts_with("c2sp.org/tlog-proof@v1\nindex 0\n"), "{tlog}");

    // A key the user holds from elsewhere, that did not sign: refused, exit 2.
    let other = TestStore::new();
    let other_key = other.ok(&["key", "public", "--format", "note"]);
    let refused = signoff()
        .current_dir(store.dir.path())
        .env("SIGNOFF_SERVER", &served.url)
        .env("SIGNOFF_TOKEN", &auditor)
        .env("SIGNOFF_LEDGER_KEY", other_key.trim())
        .args(["ledger", "prove", "1"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("does not verify under the key in SIGNOFF_LEDGER_KEY"), "{stderr}");
    let verify = remote(&["ledger", "verify"]);
    assert_eq!(verify.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&verify.stderr).contains("run it where the store is"));
}

/// `signoff pbc` against a server: the request list imported and answered with a
/// token of every project (the token's name is who answered), read back the same
/// as on the server's store; a token limited to a project is refused.
#[test]
fn the_auditor_request_list_is_worked_against_a_server() {
    let store = TestStore::new();
    let sha = commit("remote pbc");
    store.ok(&["capture", &example("v2/bandit.sarif"), "--project", "shop", "--commit", &sha]);
    let lead = token(&store, "carol", "admin,read");
    let limited = {
        let stdout = store.ok(&[
            "token",
            "create",
            "--name",
            "shop-lead",
            "--scope",
            "admin,read",
            "--project",
            "shop",
            "--kind",
            "human",
            "--actor",
            "admin",
            "--json",
        ]);
        serde_json::from_str::<Value>(&stdout).unwrap()["secret"].as_str().unwrap().to_owned()
    };
    let served = Served::start(&store, "127.0.0.1:0");
    let outbox = tempfile::tempdir().unwrap();
    let remote = |token: &str, args: &[&str]| run(&store, Some((&served.url, token)), "carol", outbox.path(), args);
    let list = root().join("examples/pbc/soc2-requests.csv");
    let list = list.to_str().unwrap();

    let refused = remote(&limited, &["pbc", "import", list]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("403"), "{}", String::from_utf8_lossy(&refused.stderr));
    let imported = remote(&lead, &["pbc", "import", list]);
    assert_eq!(imported.status.code(), Some(0), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("5 requests imported"));
    let answered = remote(&lead, &["pbc", "answer", "REQ-3", "--query", "search project=shop kind=sast", "--json"]);
    assert_eq!(answered.status.code(), Some(0), "{}", String::from_utf8_lossy(&answered.stderr));
    let answered: Value = serde_json::from_slice(&answered.stdout).unwrap();
    assert_eq!(answered["answers"][0]["answered_by"]["id"], "carol", "the token's identity");
    let notes = outbox.path().join("walkthrough.txt");
    std::fs::write(&notes, "walked the auditor through the change process on 2026-10-03").unwrap();
    let given =
        remote(&lead, &["pbc", "answer", "REQ-4", "--file", notes.to_str().unwrap(), "--note", "the session notes"]);
    assert_eq!(given.status.code(), Some(0), "{}", String::from_utf8_lossy(&given.stderr));
    let typo = remote(&lead, &["pbc", "answer", "REQ-5", "--query", "who-approved"]);
    assert_eq!(typo.status.code(), Some(2));

    for args in [&["pbc", "list", "--json"][..], &["pbc", "show", "REQ-4"], &["pbc", "list", "--state", "open"]] {
        let there = remote(&lead, args);
        assert_eq!(String::from_utf8_lossy(&there.stdout), store.ok(args), "signoff {args:?}");
    }
    let answer = answered["answers"][0]["id"].as_str().unwrap();
    let fetched = outbox.path().join("req-3.csv");
    let shown = remote(&lead, &["pbc", "show", "REQ-3", "--answer", answer, "-o", fetched.to_str().unwrap()]);
    assert_eq!(shown.status.code(), Some(0), "{}", String::from_utf8_lossy(&shown.stderr));
    let bytes = std::fs::read(&fetched).unwrap();
    assert_eq!(answered["answers"][0]["answer"]["digest"], signoff_core::Digest::of(&bytes).to_string().as_str());
    let status = remote(&lead, &["pbc", "status"]);
    assert_eq!(status.status.code(), Some(1), "requests of the example list are overdue by now");
}
