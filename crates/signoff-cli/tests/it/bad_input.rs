//! Bad input (A6): exit 2, a message naming the file, the format and the place, and
//! nothing stored.

use std::path::Path;

use crate::util::{TestStore, commit, example};

fn files_under(folder: &Path) -> usize {
    walk(folder).len()
}

fn walk(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// Captures `content` as a file named `name`; expects exit 2, every `expected`
/// fragment in stderr, and nothing stored.
fn rejects(store: &TestStore, name: &str, content: &[u8], extra: &[&str], expected: &[&str]) {
    let path = store.dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let file = path.display().to_string();
    let sha = commit("bad");
    let before = store.ledger_size();
    let mut args = vec!["capture", file.as_str(), "--project", "shop", "--commit", sha.as_str()];
    args.extend_from_slice(extra);
    let output = store.run(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{name}: expected exit 2, stderr: {stderr}");
    assert!(stderr.contains(&format!("error: {file}: ")), "{name}: the message must name the file: {stderr}");
    for fragment in expected {
        assert!(stderr.contains(fragment), "{name}: expected {fragment:?} in: {stderr}");
    }
    assert_eq!(store.ledger_size(), before, "{name}: the ledger grew");
    assert_eq!(files_under(&store.home().join("blobs")), 0, "{name}: a blob was left behind");
}

#[test]
fn bad_files_are_refused_with_file_format_and_place() {
    let store = TestStore::new();
    let bandit = std::fs::read(example("v1/bandit.sarif")).unwrap();
    rejects(&store, "empty.sarif", b"", &[], &["the file is empty"]);
    rejects(&store, "blank.json", b"  \n\t\n", &[], &["the file is empty"]);
    rejects(&store, "truncated.sarif", &bandit[..bandit.len() / 2], &[], &["sarif: line ", "unexpected end of file"]);
    rejects(&store, "notes.txt", b"hello, auditor\n", &[], &["unknown format", "not JSON, XML or LCOV"]);
    rejects(&store, "other.json", br#"{"name": "x", "count": 3}"#, &[], &["unknown format", "keys name, count"]);
    rejects(&store, "runs.sarif", br#"{"version": "2.1.0", "runs": 5}"#, &[], &["sarif: $.runs", "must be an array"]);
    rejects(
        &store,
        "level.sarif",
        br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "a"}, {"level": 3}]}]}"#,
        &[],
        &["sarif: $.runs[0].results[1].level", "line 1", "invalid type"],
    );
    rejects(
        &store,
        "notool.sarif",
        br#"{"version": "2.1.0", "runs": [{"results": []}]}"#,
        &[],
        &["$.runs[0].tool", "missing `tool`"],
    );
    rejects(
        &store,
        "old.sarif",
        br#"{"version": "1.0.0", "runs": []}"#,
        &[],
        &["$.version", "unsupported SARIF version"],
    );
    rejects(&store, "page.xml", b"<html><body>502 Bad Gateway</body></html>", &[], &["root element <html>"]);
    rejects(&store, "forced.xml", b"<html/>", &["--format", "junit"], &["junit: line 1", "not a JUnit report"]);
    rejects(&store, "broken.xml", b"<testsuite><testcase name=\"a\"></testsuite>", &[], &["junit: line 1", "testcase"]);
    // Over the size limit, with the limit named.
    rejects(&store, "big.sarif", &bandit, &["--max-size", "1K"], &["over the limit of 1024 bytes"]);
}

#[test]
fn xml_entities_are_never_expanded() {
    let store = TestStore::new();
    // Billion laughs: an internal entity expanded a billion-fold.
    let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<testsuite name="&lol3;"><testcase name="t"/></testsuite>"#;
    let path = store.dir.path().join("laughs.xml");
    std::fs::write(&path, laughs).unwrap();
    let output = store.run(&["inspect", path.to_str().unwrap(), "--json"]);
    // Either refused, or read with the entity left unexpanded; never "lollollol...".
    assert!(!String::from_utf8_lossy(&output.stdout).contains("lollol"));
    // External entity (XXE): the file's content must never be read into the evidence.
    let secret = store.dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE t [<!ENTITY xxe SYSTEM \"file://{}\">]>\n<testsuite name=\"s\"><testcase name=\"&xxe;\"><failure/></testcase></testsuite>",
        secret.display()
    );
    let path = store.dir.path().join("xxe.xml");
    std::fs::write(&path, xxe).unwrap();
    let sha = commit("xxe");
    let output = store.run(&["capture", path.to_str().unwrap(), "--project", "shop", "--commit", &sha, "--json"]);
    let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!all.contains("TOP-SECRET-CONTENT"), "{all}");
    for blob in walk(&store.home().join("blobs")) {
        let bytes = std::fs::read(blob).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("TOP-SECRET-CONTENT"));
    }
}

#[test]
fn one_bad_file_stores_nothing_of_the_batch() {
    let store = TestStore::new();
    let good = example("v1/bandit.sarif");
    let bad = store.dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"runs\": [").unwrap();
    let sha = commit("batch");
    let output = store.run(&["capture", &good, bad.to_str().unwrap(), "--project", "shop", "--commit", &sha]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.json: sarif"));
    assert_eq!(store.ledger_size(), 0);
    assert_eq!(store.query_i64("SELECT COUNT(*) FROM findings"), 0);
    assert_eq!(files_under(&store.home().join("blobs")), 0);
    // A missing file is an error too, named.
    let output = store.run(&["capture", "/no/such/file.sarif", "--project", "shop", "--commit", &sha]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/file.sarif"));
}

#[test]
fn bad_arguments_exit_2() {
    let store = TestStore::new();
    let bandit = example("v1/bandit.sarif");
    for (args, expected) in [
        (vec!["capture", bandit.as_str(), "--commit", "abc"], "no project"),
        (vec!["capture", bandit.as_str(), "--project", "shop", "--commit", "xyz"], "invalid commit"),
        (vec!["capture", bandit.as_str(), "--project=-bad", "--commit", &"a".repeat(40)], "invalid project name"),
        (vec!["capture", bandit.as_str(), "--format", "pdf"], "unknown format \"pdf\""),
        (vec!["release", "show", "shop", "9.9.9"], "no release shop@9.9.9"),
    ] {
        let output = store.run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // No store at all.
    let output = crate::util::signoff().args(["--store", "/nonexistent/store", "ledger", "verify"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("run `signoff init`"));
}
