//! SSH and OpenPGP commit signatures, each compared with git's own verdict (`%G?`).

use std::path::Path;
use std::process::Command;

use signoff_git::{AllowedSigners, ChangesOptions, OpenPgpKeys, SignatureKind, SignatureStatus, VerifyKeys};

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
    ChangesOptions { keys: VerifyKeys { allowed_signers, openpgp: None }, ..ChangesOptions::default() }
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

/// A throwaway GnuPG home in `dir`; returns a runner for `gpg` in it.
fn gnupg(dir: &Path) -> impl Fn(&[&str]) -> String {
    let home = dir.join("gnupg");
    std::fs::create_dir(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let home = home.to_str().unwrap().to_owned();
    move |args: &[&str]| {
        let output =
            Command::new("gpg").env("GNUPGHOME", &home).args(["--batch", "--quiet"]).args(args).output().unwrap();
        assert!(output.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }
}

/// The fingerprints in a `gpg --with-colons` listing: the primary key's first.
fn fingerprints(listing: &str) -> Vec<String> {
    listing.lines().filter_map(|line| line.strip_prefix("fpr:")).map(|rest| rest.trim_matches(':').to_owned()).collect()
}

fn openpgp(keys: Option<&str>) -> ChangesOptions {
    let openpgp = keys.map(|text| OpenPgpKeys::parse(text, "<test>").unwrap());
    ChangesOptions { keys: VerifyKeys { allowed_signers: None, openpgp }, ..ChangesOptions::default() }
}

/// Signs through `git commit -S` with GnuPG (an ed25519 primary key, and an RSA
/// signing subkey of an RSA key), then reads the commits with the signers' exported
/// keys, a stranger's, none, and after tampering, beside git's own verdict.
#[test]
fn gpg_signed_commits() {
    let Some(git) = TestRepo::new() else { return };
    if !have("gpg") {
        eprintln!("skipping: gpg is not installed");
        return;
    }
    let scratch = git.scratch();
    let gpg = gnupg(&scratch);
    let gnupg_home = scratch.join("gnupg").to_str().unwrap().to_owned();
    let env = [("GNUPGHOME", gnupg_home.as_str())];
    gpg(&["--passphrase", "", "--quick-gen-key", "Ada Lovelace <ada@example.com>", "ed25519", "sign", "never"]);
    let ada = fingerprints(&gpg(&["--with-colons", "--list-keys", "ada@example.com"]))[0].clone();
    gpg(&["--passphrase", "", "--quick-gen-key", "Bea Signer <bea@example.com>", "rsa2048", "cert", "never"]);
    let bea_primary = fingerprints(&gpg(&["--with-colons", "--list-keys", "bea@example.com"]))[0].clone();
    gpg(&["--passphrase", "", "--quick-add-key", &bea_primary, "rsa2048", "sign", "never"]);
    let bea_subkey = fingerprints(&gpg(&["--with-colons", "--list-keys", "bea@example.com"]))[1].clone();
    let signers = gpg(&["--armor", "--export", "ada@example.com", "bea@example.com"]);

    // A stranger's key, in a keyring of its own.
    let stranger_dir = scratch.join("stranger");
    std::fs::create_dir(&stranger_dir).unwrap();
    let stranger_gpg = gnupg(&stranger_dir);
    stranger_gpg(&["--passphrase", "", "--quick-gen-key", "Mallory <mallory@example.com>", "ed25519", "sign", "never"]);
    let stranger = stranger_gpg(&["--armor", "--export", "mallory@example.com"]);

    let unsigned = git.commit("Unsigned");
    let by_ada = git.commit_full(&["-c", &format!("user.signingkey={ada}")], "Signed by Ada", &["-S"], &env);
    let by_bea = git.commit_full(&["-c", &format!("user.signingkey={bea_primary}")], "Signed by Bea", &["-S"], &env);
    for commit in [&by_ada, &by_bea] {
        let verdict = git.git_env(&["log", "-1", "--format=%G?", commit], &env);
        assert_eq!(verdict, "G", "git verifies {commit} with the signers' keyring");
    }
    let repo = signoff_git::open(git.path()).unwrap();

    // The signers' keys: Verified, naming the user id and the key that signed.
    let changes = repo.changes(Some(&unsigned), "HEAD", &openpgp(Some(&signers))).unwrap();
    let (bea, ada_change) = (&changes[0], &changes[1]);
    assert_eq!((ada_change.commit.as_str(), bea.commit.as_str()), (by_ada.as_str(), by_bea.as_str()));
    let good = &ada_change.signature;
    assert_eq!(good.kind, Some(SignatureKind::Gpg));
    assert_eq!(good.status, SignatureStatus::Verified, "{}", good.detail);
    assert_eq!(good.signer.as_deref(), Some("Ada Lovelace <ada@example.com>"));
    assert_eq!(good.key.as_deref(), Some(ada.as_str()));
    let subkey = &bea.signature;
    assert_eq!(subkey.status, SignatureStatus::Verified, "{}", subkey.detail);
    assert_eq!(subkey.signer.as_deref(), Some("Bea Signer <bea@example.com>"));
    assert_eq!(subkey.key.as_deref(), Some(bea_subkey.as_str()), "signed by the RSA signing subkey");

    // A stranger's key configured: the signature cannot be tied to a trusted key.
    let changes = repo.changes(Some(&unsigned), "HEAD", &openpgp(Some(&stranger))).unwrap();
    let unverified = &changes[1].signature;
    assert_eq!(unverified.status, SignatureStatus::Unverified);
    assert_eq!(unverified.signer, None);
    assert_eq!(unverified.key.as_deref(), Some(ada.as_str()), "the issuer the signature claims");
    assert!(unverified.detail.contains("not among the configured"), "{}", unverified.detail);

    // No keys configured: Unverified, with the claimed issuer.
    let changes = repo.changes(Some(&unsigned), "HEAD", &openpgp(None)).unwrap();
    assert_eq!(changes[1].signature.status, SignatureStatus::Unverified);
    assert!(changes[1].signature.detail.contains("no OpenPGP keys are configured"), "{}", changes[1].signature.detail);

    // Ada's signature on a changed commit: Bad, as git says (B).
    let raw = git.git(&["cat-file", "commit", &by_ada]);
    let forged_body = format!("{}\n", raw.replace("\n\nSigned by Ada", "\n\nSigned by Ada, with a forged message"));
    let forged_file = write(&scratch.join("forged"), &forged_body);
    let forged = git.git(&["hash-object", "-t", "commit", "-w", forged_file.to_str().unwrap()]);
    assert_eq!(git.git_env(&["log", "-1", "--format=%G?", &forged], &env), "B");
    let bad = repo.changes(Some(&unsigned), &forged, &openpgp(Some(&signers))).unwrap();
    assert_eq!(bad[0].commit, forged);
    assert_eq!(bad[0].signature.status, SignatureStatus::Bad, "{}", bad[0].signature.detail);
    assert_eq!(bad[0].signature.key.as_deref(), Some(ada.as_str()));
}

#[test]
fn openpgp_key_files_that_are_not_keys_are_refused_with_their_name() {
    for text in ["", "not a key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"]
    {
        let error = OpenPgpKeys::parse(text, "keys.asc").unwrap_err().to_string();
        assert!(error.starts_with("OpenPGP keys keys.asc: "), "{text:?}: {error}");
    }
}
