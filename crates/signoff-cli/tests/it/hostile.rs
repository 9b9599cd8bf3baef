//! Hostile input, hostile environment (issue 18): every read bounded in size and
//! time, nothing left behind, no secret through a side door, no escape codes, a
//! missing checkpoint noticed, a private store.
//!
//! Commands that would hang on the code before the fix run with a deadline here, so
//! a regression fails the test instead of hanging it.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{TestStore, commit, example, json_lines};

/// Runs `command` and waits at most `limit`; a process still running then is killed
/// and the test fails.
fn run_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}, killed; stderr: {}", String::from_utf8_lossy(&output.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const MINUTE: Duration = Duration::from_secs(60);

fn staging(store: &TestStore) -> Vec<PathBuf> {
    std::fs::read_dir(store.home().join("blobs/tmp")).unwrap().map(|entry| entry.unwrap().path()).collect()
}

fn capture_args<'a>(file: &'a str, sha: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["capture", file, "--project", "shop", "--commit", sha];
    args.extend_from_slice(extra);
    args
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn a_device_is_refused_by_name_at_once() {
    let store = TestStore::new();
    let sha = commit("devices");
    for extra in [&[][..], &["--input-format", "junit"], &["--input-format", "lcov"], &["--input-format", "cobertura"]]
    {
        let mut command = store.command();
        command.args(capture_args("/dev/zero", &sha, extra)).args(["--max-size", "10M"]);
        let output = run_within(command, MINUTE);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("/dev/zero: not a regular file but a character device"), "{extra:?}: {stderr}");
        assert!(staging(&store).is_empty(), "{extra:?}: a copy was left behind");
    }
    let mut command = store.command();
    command.args(["inspect", "/dev/zero"]);
    let output = run_within(command, MINUTE);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("character device"));
    assert_eq!(store.ledger_size(), 0);
}

#[test]
fn a_fifo_is_read_within_its_limits_and_leaves_nothing() {
    let store = TestStore::new();
    let sha = commit("fifo");
    // No writer ever comes: the wait ends at --read-timeout.
    let fifo = store.dir.path().join("nobody.sarif");
    mkfifo(&fifo);
    let file = fifo.display().to_string();
    let mut command = store.command();
    command.args(capture_args(&file, &sha, &["--read-timeout", "2"]));
    let output = run_within(command, MINUTE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{file}: the pipe did not end within 2 seconds")), "{stderr}");
    assert!(staging(&store).is_empty(), "the copy was left behind");

    // A writer that writes forever: cut at --max-size.
    let endless = store.dir.path().join("endless.xml");
    mkfifo(&endless);
    let writer_path = endless.clone();
    let writer = std::thread::spawn(move || {
        let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&writer_path) else { return };
        let _ = pipe.write_all(b"<testsuite name=\"s\"><testcase name=\"t\"><system-out>");
        let chunk = vec![b'x'; 64 * 1024];
        // Ends when the reader goes away (a broken pipe).
        while pipe.write_all(&chunk).is_ok() {}
    });
    let file = endless.display().to_string();
    let mut command = store.command();
    command.args(capture_args(&file, &sha, &["--max-size", "1M"]));
    let output = run_within(command, MINUTE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("more than 1048576 bytes arrived, over the limit"), "{stderr}");
    writer.join().unwrap();
    assert!(staging(&store).is_empty(), "the copy was left behind");

    // A FIFO with a writer that ends is captured like the file.
    let named = store.dir.path().join("bandit-fifo.sarif");
    mkfifo(&named);
    let source = example("v1/bandit.sarif");
    let writer_path = named.clone();
    let writer = std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new().write(true).open(&writer_path).unwrap();
        pipe.write_all(&std::fs::read(source).unwrap()).unwrap();
    });
    let file = named.display().to_string();
    let mut command = store.command();
    command.args(capture_args(&file, &sha, &["--json"]));
    let output = run_within(command, MINUTE);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    writer.join().unwrap();
    let line = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
    assert_eq!(line["format"], "sarif");
    assert!(staging(&store).is_empty(), "the copy was left behind");
    assert_eq!(store.verify().0, 0);
}

#[test]
fn standard_input_and_process_substitution_are_detected() {
    let store = TestStore::new();
    let sha = commit("stdin");
    let bandit = example("v1/bandit.sarif");
    let junit = example("v1/junit.xml");
    for (file, format) in [(&bandit, "sarif"), (&junit, "junit")] {
        let mut command = store.command();
        command.args(capture_args("-", &sha, &["--json"]));
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(&std::fs::read(file).unwrap()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{file}: {}", String::from_utf8_lossy(&output.stderr));
        let line = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
        assert_eq!(line["format"], format, "{file}");
        assert_eq!(line["file"], "-", "{file}");
    }
    // `<(cat f)`: a pipe named /dev/fd/N, which cannot be read twice.
    let binary = env!("CARGO_BIN_EXE_signoff");
    let script = format!(
        "\"{binary}\" --store \"{}\" capture <(cat \"{bandit}\") --project shop --commit {sha} --json",
        store.home().display()
    );
    let mut bash = Command::new("bash");
    bash.arg("-c").arg(&script).env_clear().env("USER", "tester");
    if let Some(path) = std::env::var_os("PATH") {
        bash.env("PATH", path);
    }
    let output = run_within(bash, MINUTE);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let line = &json_lines(&String::from_utf8(output.stdout).unwrap())[0];
    assert_eq!(line["format"], "sarif");
    assert!(staging(&store).is_empty());
    assert_eq!(store.verify().0, 0);
}

#[test]
fn utf16_is_named() {
    let store = TestStore::new();
    let text = std::fs::read_to_string(example("v1/bandit.sarif")).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let path = store.dir.path().join("utf16.sarif");
    std::fs::write(&path, bytes).unwrap();
    let file = path.display().to_string();
    let output = store.run(&capture_args(&file, &commit("utf16"), &[]));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the file is UTF-16LE, not UTF-8"), "{stderr}");
}

#[test]
fn verify_package_checks_size_before_reading() {
    let store = TestStore::new();
    let mut command = store.command();
    command.args(["verify-package", "/dev/zero"]);
    let output = run_within(command, MINUTE);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/dev/zero: not a regular file but a character device"));
    // A sparse 3 GB file: refused by its size, not read into memory first.
    let sparse = store.dir.path().join("huge.zip");
    std::fs::File::create(&sparse).unwrap().set_len(3 << 30).unwrap();
    let mut command = store.command();
    command.args(["verify-package", sparse.to_str().unwrap()]);
    let output = run_within(command, MINUTE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("over the limit of 2147483648 bytes for a package"), "{stderr}");
}

#[test]
fn stale_staging_files_are_cleared_and_reported() {
    let store = TestStore::new();
    // What a capture killed mid-copy leaves behind.
    let stale = store.home().join("blobs/tmp/0193f0a2-killed");
    std::fs::write(&stale, vec![b'x'; 4096]).unwrap();
    let (code, report) = store.verify();
    assert_eq!(code, 0, "a leftover is not evidence: {report}");
    let found = &report["stale_temporary_files"][0];
    assert!(found["path"].as_str().unwrap().ends_with("blobs/tmp/0193f0a2-killed"), "{report}");
    assert_eq!(found["size"], 4096);
    assert_eq!(found["removed"], true);
    assert!(!stale.exists());
    // A failed capture leaves nothing either.
    let truncated = store.dir.path().join("truncated.sarif");
    let bandit = std::fs::read(example("v1/bandit.sarif")).unwrap();
    std::fs::write(&truncated, &bandit[..bandit.len() / 2]).unwrap();
    let output = store.run(&capture_args(truncated.to_str().unwrap(), &commit("stale"), &[]));
    assert_eq!(output.status.code(), Some(2));
    assert!(staging(&store).is_empty());
}

/// Every byte of every file under the store (database, its WAL, blobs, keys).
fn store_bytes(folder: &Path, found: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(folder).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            store_bytes(&path, found);
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path, bytes));
        }
    }
}

fn assert_nowhere(store: &TestStore, secrets: &[&str], outputs: &[String]) {
    let mut files = Vec::new();
    store_bytes(&store.home(), &mut files);
    assert!(files.iter().any(|(path, _)| path.ends_with("signoff.db")));
    for secret in secrets {
        for (path, bytes) in &files {
            assert!(
                memchr_find(bytes, secret.as_bytes()).is_none(),
                "{secret} is in {} ({} bytes)",
                path.display(),
                bytes.len()
            );
        }
        for output in outputs {
            assert!(!output.contains(secret), "{secret} is printed: {output}");
        }
    }
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[test]
fn secrets_reach_no_file_of_the_store_through_a_side_door() {
    const AWS: &str = "AKIAQ7Z4EXAMPLESIDE01";
    let store = TestStore::new();
    let sha = commit("side door");
    // A reader kept open for the whole test keeps the database's WAL on disk (the
    // last connection to close would fold it into the database and delete it), so
    // the grep below reads the WAL as written.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let database = format!("sqlite://{}", store.database().display());
    let mut reader = runtime.block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(&database).await.unwrap();
        let _: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM ledger_entries").fetch_one(&mut connection).await.unwrap();
        connection
    });
    // A Bandit run names the value first; the secret scanner's run reports it after.
    let sarif = format!(
        r#"{{"version": "2.1.0", "runs": [
          {{"tool": {{"driver": {{"name": "Bandit", "rules": [{{"id": "B105", "shortDescription": {{"text": "hardcoded password {AWS}"}}}}]}}}},
            "results": [{{"ruleId": "B105", "level": "error", "message": {{"text": "Possible hardcoded password: '{AWS}'"}},
              "locations": [{{"physicalLocation": {{"artifactLocation": {{"uri": "app/settings.py"}},
                "region": {{"startLine": 3, "snippet": {{"text": "KEY = '{AWS}'"}}}}}}}}]}}]}},
          {{"tool": {{"driver": {{"name": "gitleaks"}}}}, "results": [
            {{"ruleId": "aws-access-token", "message": {{"text": "AWS key"}}, "properties": {{"offender": "{AWS}"}}}}]}}]}}"#
    );
    let log = store.dir.path().join("combined.sarif");
    std::fs::write(&log, &sarif).unwrap();
    store.ok(&capture_args(log.to_str().unwrap(), &sha, &[]));
    // The same through standard input: the second reading must not find it empty.
    let mut child = store
        .command()
        .args(capture_args("-", &sha, &[]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(sarif.as_bytes()).unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));

    // JSON captured as a secrets scan: common key names and URL credentials.
    let json = r#"{"findings": [
        {"file": "deploy/app.env", "password": "Tr0ub4dor-and-3", "api_key": "sk_live_51HqEXAMPLEKEY",
         "settings": {"apiKey": "ghp_EXAMPLEexampleEXAMPLE01", "client_secret": "cs-EXAMPLE-0042"},
         "dsn": "postgres://app:pg-EXAMPLE-pass@db.internal:5432/shop",
         "note": "rotate Tr0ub4dor-and-3 soon"}
    ]}"#;
    let scan = store.dir.path().join("scan.json");
    std::fs::write(&scan, json).unwrap();
    store.ok(&capture_args(scan.to_str().unwrap(), &sha, &["--kind", "secrets_scan"]));
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);

    let outputs = vec![
        store.ok(&["findings", "--project", "shop"]),
        store.ok(&["findings", "--project", "shop", "--json"]),
        store.ok(&["audit", "search", "--json"]),
        store.ok(&["audit", "trace", "shop@1.0.0"]),
        store.ok(&["release", "show", "shop@1.0.0", "--json"]),
    ];
    assert!(
        std::fs::metadata(store.home().join("signoff.db-wal")).is_ok_and(|wal| wal.len() > 0),
        "the WAL is on disk"
    );
    assert_nowhere(
        &store,
        &[
            AWS,
            "Tr0ub4dor-and-3",
            "sk_live_51HqEXAMPLEKEY",
            "ghp_EXAMPLEexampleEXAMPLE01",
            "cs-EXAMPLE-0042",
            "pg-EXAMPLE-pass",
        ],
        &outputs,
    );
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    runtime.block_on(async {
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM findings").fetch_one(&mut reader).await.unwrap();
        sqlx::Connection::close(reader).await.unwrap();
    });
}

#[test]
fn escape_sequences_are_shown_escaped_by_every_command() {
    let store = TestStore::new();
    let sha = commit("escapes");
    let sarif = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Evil\u001b]0;pwned\u0007Tool"}},
        "results": [{"ruleId": "R\u001b[2J1", "level": "error", "message": {"text": "clear\u001b[2J\rscreen"},
          "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a\u001b[1Ab.py"}}}]}]}]}"#;
    let log = store.dir.path().join("evil.sarif");
    std::fs::write(&log, sarif).unwrap();
    let mut outputs =
        vec![store.ok(&["inspect", log.to_str().unwrap()]), store.ok(&capture_args(log.to_str().unwrap(), &sha, &[]))];
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
    for args in [
        &["findings", "--project", "shop"][..],
        &["audit", "search"],
        &["audit", "search", "--format", "csv"],
        &["audit", "trace", "shop@1.0.0"],
        &["release", "show", "shop@1.0.0"],
    ] {
        outputs.push(store.ok(args));
    }
    for output in &outputs {
        assert!(!output.contains('\u{1b}') && !output.contains('\u{7}'), "raw control characters: {output:?}");
    }
    assert!(outputs[2..].iter().any(|output| output.contains("\\x1b")), "{outputs:?}");
}

#[test]
fn a_checkpoint_deleted_from_the_middle_is_noticed() {
    let store = TestStore::new();
    for label in ["one", "two", "three", "four"] {
        store.ok(&capture_args(&example("v1/bandit.sarif"), &commit(label), &[]));
    }
    assert_eq!(store.verify().0, 0);
    store.tamper_sql(&["DROP TRIGGER checkpoints_no_delete", "DELETE FROM checkpoints WHERE size = 2"]);
    let (code, report) = store.verify();
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["failure"]["problem"], "missing", "{report}");
    assert_eq!(report["failure"]["checkpoint"], 3, "{report}");
    let detail = report["failure"]["detail"].as_str().unwrap();
    assert!(detail.contains("signed after one at size 2, which is not in the store"), "{detail}");
}

#[test]
fn a_store_re_signed_with_another_key_fails_verification_against_a_kept_checkpoint() {
    let store = TestStore::new();
    let sha = commit("kept");
    store.ok(&capture_args(&example("v1/bandit.sarif"), &sha, &[]));
    store.ok(&capture_args(&example("v1/semgrep.sarif"), &sha, &[]));
    let kept = store.dir.path().join("kept-checkpoint");
    std::fs::write(&kept, store.ok(&["ledger", "checkpoint"])).unwrap();

    // Rebuilt from scratch with a new key: the same kind of history, self-consistent.
    std::fs::remove_dir_all(store.home()).unwrap();
    store.ok(&["init"]);
    store.ok(&capture_args(&example("v1/junit.xml"), &sha, &[]));
    store.ok(&capture_args(&example("v1/bandit.sarif"), &sha, &[]));
    assert_eq!(store.verify().0, 0);
    let output = store.run(&["ledger", "verify", "--json", "--checkpoint", kept.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "a failed verification, not an error: {stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failure"]["problem"], "bad_signature", "{report}");
    // The text form names no empty range such as 3..=2.
    let text = store.run(&["ledger", "verify", "--checkpoint", kept.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(1));
    assert!(stdout.contains("re-signed"), "{stdout}");
}

#[test]
fn the_store_is_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("store");
    let binary = env!("CARGO_BIN_EXE_signoff");
    let script = format!("umask 000 && \"{binary}\" --store \"{}\" init", home.display());
    let output = Command::new("bash").arg("-c").arg(&script).env("USER", "tester").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let sha = commit("private");
    let script = format!(
        "umask 000 && \"{binary}\" --store \"{}\" capture \"{}\" --project shop --commit {sha}",
        home.display(),
        example("v1/bandit.sarif")
    );
    let output = Command::new("bash").arg("-c").arg(&script).env("USER", "tester").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut files = Vec::new();
    store_bytes(&home, &mut files);
    for (path, _) in &files {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        if path.extension().is_some_and(|extension| extension == "lock") {
            continue;
        }
        assert_eq!(mode & 0o077, 0, "{} is mode {mode:03o}", path.display());
    }
    for folder in
        [home.clone(), home.join("keys"), home.join("blobs"), home.join("blobs/tmp"), home.join("blobs/sha256")]
    {
        let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} is mode {mode:03o}", folder.display());
    }
    // Looser permissions found later are named.
    std::fs::set_permissions(home.join("keys"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = crate::util::signoff().args(["--store", home.to_str().unwrap(), "ledger", "verify"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("keys may be used by others (mode 777)"), "{stderr}");
    // A replaced public key file is named too.
    std::fs::write(home.join("keys/ledger.pub"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        .unwrap();
    let output = crate::util::signoff().args(["--store", home.to_str().unwrap(), "ledger", "verify"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not hold the public half"));
}

#[test]
fn a_killed_capture_leaves_nothing_once_the_store_is_opened_again() {
    let store = TestStore::new();
    let sha = commit("killed");
    // A pipe that is still being written when the capture is killed: the capture
    // is copying it into the staging folder at that moment.
    let fifo = store.dir.path().join("slow.xml");
    mkfifo(&fifo);
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&writer_path) else { return };
        let _ = pipe.write_all(b"<testsuite name=\"s\"><testcase name=\"t\"><system-out>");
        let chunk = vec![b'x'; 256 * 1024];
        while stopped.try_recv().is_err() && pipe.write_all(&chunk).is_ok() {
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let file = fifo.display().to_string();
    let mut child = store
        .command()
        .args(capture_args(&file, &sha, &[]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !staging(&store).iter().any(|path| std::fs::metadata(path).is_ok_and(|m| m.len() > 0)) {
        assert!(started.elapsed() < MINUTE, "the capture never started copying");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = stop.send(());
    writer.join().unwrap();
    assert!(!staging(&store).is_empty(), "the killed capture left its copy");
    let (code, report) = store.verify();
    assert_eq!(code, 0, "{report}");
    let stale = report["stale_temporary_files"].as_array().unwrap();
    assert!(!stale.is_empty() && stale.iter().all(|file| file["removed"] == true), "{report}");
    assert!(staging(&store).is_empty(), "opening the store removed what the killed capture left");
    assert_eq!(store.ledger_size(), 0);
}

/// A package with a member whose name carries escape sequences: `verify-package`
/// names it, escaped, and fails it.
#[test]
fn verify_package_shows_hostile_member_names_escaped() {
    let store = TestStore::new();
    let sha = commit("package escapes");
    store.ok(&capture_args(&example("v1/bandit.sarif"), &sha, &[]));
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
    let package = store.dir.path().join("shop.zip");
    store.ok(&["export", "shop@1.0.0", "-o", package.to_str().unwrap()]);
    let bytes = std::fs::read(&package).unwrap();
    let hostile_name = "evidence/\u{1b}]0;pwned\u{7}\u{1b}[2Jx.json";
    let rewritten = crate::util::rewrite_zip(&bytes, |_, _| {}, &[(hostile_name, b"{}".as_slice())]);
    let hostile = store.dir.path().join("hostile.zip");
    std::fs::write(&hostile, rewritten).unwrap();
    let output = crate::util::signoff().args(["verify-package", hostile.to_str().unwrap()]).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "an unlisted member fails the package: {stdout}{stderr}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "raw control characters: {text:?}");
    }
    assert!(stdout.contains("\\x1b]0;pwned"), "the member is named, escaped: {stdout}");
}
