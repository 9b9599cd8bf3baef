//! Standard tools read the package: `unzip`, `zipinfo`, Python's `zipfile`, and the
//! auditor's script of `docs/evidence-package.md` (`sha256sum`, `openssl`, `python3`).
//! Each test says so and skips when a tool is missing.

use std::path::Path;
use std::process::Command;

use signoff_package::build;

use crate::util::*;

/// Whether `program` runs; prints why a test skips when it does not.
fn available(program: &str, args: &[&str]) -> bool {
    let found = Command::new(program).args(args).output().is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("skipped: {program} is not available");
    }
    found
}

fn write_package(dir: &Path, zip: &[u8]) -> std::path::PathBuf {
    let path = dir.join("package.zip");
    std::fs::write(&path, zip).unwrap();
    path
}

#[test]
fn unzip_lists_and_tests_the_archive() {
    if !available("unzip", &["-v"]) {
        return;
    }
    let fixture = fixture();
    let zip = build(&fixture.contents).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_package(dir.path(), &zip);

    let output = Command::new("unzip").arg("-l").arg(&path).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let listing = String::from_utf8(output.stdout).unwrap();
    for name in unpack(&zip).keys() {
        assert!(listing.contains(name.as_str()), "{name} missing from:\n{listing}");
    }
    assert!(listing.contains("1980-01-01 00:00"), "{listing}");

    let output = Command::new("unzip").arg("-tq").arg(&path).output().unwrap();
    assert!(output.status.success(), "{output:?}");

    if available("zipinfo", &["-h", "/dev/null"]) || Path::new("/usr/bin/zipinfo").exists() {
        let output = Command::new("zipinfo").arg(&path).output().unwrap();
        let info = String::from_utf8(output.stdout).unwrap();
        let rows: Vec<&str> = info.lines().filter(|line| line.starts_with('-')).collect();
        assert_eq!(rows.len(), unpack(&zip).len(), "{info}");
        assert!(rows.iter().all(|row| row.starts_with("-rw-r--r--") && row.contains("unx")), "{info}");
    }
}

#[test]
fn python_zipfile_reads_the_archive() {
    if !available("python3", &["--version"]) {
        return;
    }
    let zip = build(&fixture().contents).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_package(dir.path(), &zip);
    let script = r#"
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    infos = z.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names), names
    for i in infos:
        assert i.date_time == (1980, 1, 1, 0, 0, 0), i
        assert i.external_attr >> 16 == 0o100644, oct(i.external_attr >> 16)
        assert i.compress_type == zipfile.ZIP_DEFLATED, i
    manifest = json.loads(z.read("manifest.json"))
    for m in manifest["members"]:
        data = z.read(m["path"])
        assert len(data) == m["size"] and "sha256:" + hashlib.sha256(data).hexdigest() == m["sha256"], m["path"]
    print(len(names))
"#;
    let output = Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim(), unpack(&zip).len().to_string());
}

/// The block after the `auditor-script` marker in docs/evidence-package.md.
fn auditor_script() -> String {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/evidence-package.md"))
        .expect("docs/evidence-package.md");
    let after = doc.split("<!-- auditor-script").nth(1).expect("the auditor-script marker");
    let block = after.split("```sh\n").nth(1).expect("a sh block after the marker");
    block.split("\n```").next().expect("the end of the block").to_owned()
}

fn run_script(zip: &[u8]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = write_package(dir.path(), zip);
    let unpacked = dir.path().join("package");
    let status = Command::new("unzip").arg("-q").arg(&path).arg("-d").arg(&unpacked).status().unwrap();
    assert!(status.success());
    Command::new("bash").arg("-c").arg(auditor_script()).current_dir(&unpacked).output().unwrap()
}

#[test]
fn the_documented_auditor_script_verifies_a_package() {
    let tools =
        [("unzip", &["-v"][..]), ("sha256sum", &["--version"]), ("openssl", &["version"]), ("python3", &["--version"])];
    if !tools.iter().all(|(program, args)| available(program, args)) {
        return;
    }
    let case = fixture();
    let zip = build(&case.contents).unwrap();
    let output = run_script(&zip);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for line in ["members: ok", "inclusion: ok", "evidence: ok", "package: ok"] {
        assert!(stdout.contains(line), "{stdout}");
    }
    assert_eq!(stdout.matches("Signature Verified Successfully").count(), 2, "{stdout}");

    // And it rejects tampering, even with a rewritten member list.
    let evidence = format!("evidence/{}-junit.xml", case.evidence_entries[1]);
    let mut members = unpack(&zip);
    flip(members.get_mut(&evidence).unwrap(), 10);
    relist(&mut members);
    let output = run_script(&pack(&members));
    assert!(!output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&evidence), "{}", String::from_utf8_lossy(&output.stderr));

    let mut members = unpack(&zip);
    let note = String::from_utf8(members["ledger/checkpoint"].clone()).unwrap();
    let forged = note.replacen("\n", "x\n", 1);
    members.insert("ledger/checkpoint".into(), forged.into_bytes());
    relist(&mut members);
    let output = run_script(&pack(&members));
    assert!(!output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}
