//! SSH and OpenPGP commit signatures, each compared with git's own verdict (`%G?`).

use std::path::Path;
use std::process::Command;

use signoff_git::{AllowedSigners, ChangesOptions, SignatureKind, SignatureStatus, VerifyKeys};

use crate::util::{TestRepo, have, write};

/// A fresh ed25519 key pair in `dir`; returns the private key's path and the public
/// key line.
fn ssh_key(dir: &Path, name: &str) -> (String, String) {
    let path = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (path.to_str().unwrap().to_owned(), public.trim().to_owned())
}

fn options(allowed_signers: Option<&str>) -> ChangesOptions {
    let allowed_signers = allowed_signers.map(|text| AllowedSigners::parse(text, "<test>").unwrap());
    ChangesOptions { keys: VerifyKeys { allowed_signers, gpg_public_keys: vec![] }, ..ChangesOptions::default() }
}

/// git's `%G?` for `commit` with `allowed` as its allowed-signers file.
fn git_verdict(git: &TestRepo, allowed: &Path, commit: &str) -> String {
    let config = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    git.git(&["-c", &config, "log", "-1", "--format=%G?", commit])
}

/// Signs with a fresh ed25519 key through `git commit -S`, then reads the commit
/// with the right key, a stranger's key, no allowed signers, and after tampering.
#[test]
fn ssh_signed_commits() {
    let Some(git) = TestRepo::new() else { return };
    if !have("ssh-keygen") {
        return;
    }
    let scratch = git.scratch();
    let (signing_key, public) = ssh_key(&scratch, "signer");
    let (_, stranger) = ssh_key(&scratch, "stranger");
    let unsigned = git.commit("Unsigned");
    let signing_key_option = format!("user.signingkey={signing_key}");
    let signed = git.commit_full(&["-c", "gpg.format=ssh", "-c", &signing_key_option], "Signed", &["-S"], &[]);

    let right = format!("ada@example.com {public}\n");
    let wrong = format!("ada@example.com {stranger}\n");
    let right_file = write(&scratch.join("allowed"), &right);
    let wrong_file = write(&scratch.join("wrong"), &wrong);
    let repo = signoff_git::open(git.path()).unwrap();

    // The right key: Verified, as git says (G).
    let changes = repo.changes(None, "HEAD", &options(Some(&right))).unwrap();
    assert_eq!(changes[1].commit, unsigned);
    assert_eq!(changes[1].signature.status, SignatureStatus::Unsigned);
    assert_eq!(changes[1].signature.kind, None);
    let good = &changes[0].signature;
    assert_eq!(changes[0].commit, signed);
    assert_eq!(good.status, SignatureStatus::Verified, "{}", good.detail);
    assert_eq!(good.kind, Some(SignatureKind::Ssh));
    assert_eq!(good.signer.as_deref(), Some("ada@example.com"));
    let fingerprint = Command::new("ssh-keygen").args(["-l", "-E", "sha256", "-f", &signing_key]).output().unwrap();
    let fingerprint = String::from_utf8(fingerprint.stdout).unwrap();
    assert_eq!(good.key.as_deref(), fingerprint.split_whitespace().nth(1));
    assert_eq!(git_verdict(&git, &right_file, &signed), "G");
    assert_eq!(git_verdict(&git, &right_file, &unsigned), "N");

    // A stranger's key in the allowed signers: the signature holds but nobody
    // vouches for its key, so it is Unverified, not Bad. git says U.
    let stranger_view = repo.changes(None, "HEAD", &options(Some(&wrong))).unwrap();
    let unverified = &stranger_view[0].signature;
    assert_eq!(unverified.status, SignatureStatus::Unverified);
    assert_eq!(unverified.signer, None);
    assert!(unverified.detail.contains("not in the allowed signers"), "{}", unverified.detail);
    assert_eq!(git_verdict(&git, &wrong_file, &signed), "U");

    // No allowed signers at all: Unverified too.
    let unconfigured = repo.changes(None, "HEAD", &options(None)).unwrap();
    assert_eq!(unconfigured[0].signature.status, SignatureStatus::Unverified);

    // The same signature on a changed commit (written with `git hash-object`, which
    // does not re-sign): Bad, as git says (B).
    let raw = git.git(&["cat-file", "commit", &signed]);
    let forged_body = format!("{}\n", raw.replace("\n\nSigned", "\n\nSigned, with a forged message"));
    let forged_file = write(&scratch.join("forged"), &forged_body);
    let forged = git.git(&["hash-object", "-t", "commit", "-w", forged_file.to_str().unwrap()]);
    let bad = repo.changes(Some(&unsigned), &forged, &options(Some(&right))).unwrap();
    assert_eq!(bad[0].commit, forged);
    assert_eq!(bad[0].summary, "Signed, with a forged message");
    assert_eq!(bad[0].signature.status, SignatureStatus::Bad, "{}", bad[0].signature.detail);
    assert_eq!(git_verdict(&git, &right_file, &forged), "B");
}

/// In a SHA-256 repository the signature is in `gpgsig-sha256` and ids are 64 hex
/// digits.
#[test]
fn ssh_signed_commit_in_a_sha256_repository() {
    let Some(git) = TestRepo::init(&["--object-format=sha256"]) else { return };
    if !have("ssh-keygen") {
        return;
    }
    let scratch = git.scratch();
    let (signing_key, public) = ssh_key(&scratch, "signer");
    git.commit("Unsigned");
    let signing_key_option = format!("user.signingkey={signing_key}");
    let signed = git.commit_full(&["-c", "gpg.format=ssh", "-c", &signing_key_option], "Signed", &["-S"], &[]);
    assert_eq!(signed.len(), 64);
    assert!(git.git(&["cat-file", "commit", &signed]).contains("\ngpgsig-sha256 -----BEGIN SSH SIGNATURE-----"));

    let repo = signoff_git::open(git.path()).unwrap();
    let changes = repo.changes(Some("HEAD~1"), "HEAD", &options(Some(&format!("ada@example.com {public}")))).unwrap();
    assert_eq!(changes[0].commit, signed);
    assert_eq!(changes[0].signature.status, SignatureStatus::Verified, "{}", changes[0].signature.detail);
    let allowed = write(&scratch.join("allowed"), &format!("ada@example.com {public}\n"));
    assert_eq!(git_verdict(&git, &allowed, &signed), "G");
}

/// OpenPGP signatures are read but not verified: Unverified, with the issuer key.
#[test]
fn gpg_signed_commit_is_unverified_with_its_key() {
    let Some(git) = TestRepo::new() else { return };
    if !have("gpg") {
        return;
    }
    let home = git.scratch().join("gnupg");
    std::fs::create_dir(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let home = home.to_str().unwrap().to_owned();
    let gpg = |args: &[&str]| {
        let output =
            Command::new("gpg").env("GNUPGHOME", &home).args(["--batch", "--quiet"]).args(args).output().unwrap();
        assert!(output.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    gpg(&["--passphrase", "", "--quick-gen-key", "Ada Lovelace <ada@example.com>", "ed25519", "sign", "never"]);
    let listing = gpg(&["--with-colons", "--list-keys", "ada@example.com"]);
    let fingerprint = listing.lines().find_map(|line| line.strip_prefix("fpr:")).unwrap().trim_matches(':').to_owned();

    git.commit("Unsigned");
    let signing_key_option = format!("user.signingkey={fingerprint}");
    let signed = git.commit_full(&["-c", &signing_key_option], "Signed with OpenPGP", &["-S"], &[("GNUPGHOME", &home)]);
    let verdict = git.git_env(&["log", "-1", "--format=%G?", &signed], &[("GNUPGHOME", &home)]);
    assert_eq!(verdict, "G", "git verifies it with the signer's own keyring");

    let repo = signoff_git::open(git.path()).unwrap();
    let changes = repo.changes(Some("HEAD~1"), "HEAD", &ChangesOptions::default()).unwrap();
    let signature = &changes[0].signature;
    assert_eq!(signature.kind, Some(SignatureKind::Gpg));
    assert_eq!(signature.status, SignatureStatus::Unverified);
    assert_eq!(signature.key.as_deref(), Some(fingerprint.as_str()));
    assert!(signature.detail.contains("not verified"), "{}", signature.detail);
}
