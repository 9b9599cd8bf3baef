//! The member layout of a package: which paths exist, what each holds, and the rules
//! every member name must follow.
//!
//! ```text
//! manifest.json                      hashes of every other member, ledger facts, the release
//! index.html                         a human-readable index
//! keys/ledger.pub                    the ledger's Ed25519 key, SPKI PEM
//! keys/ledger.vkey                   the same key as a C2SP verifier key (name+keyid+key)
//! ledger/checkpoint                  the signed checkpoint note (C2SP tlog-checkpoint)
//! ledger/entries/<index>.json        canonical bytes of an included ledger entry
//! ledger/proofs/<index>.tlog-proof   its inclusion proof (C2SP tlog-proof@v1)
//! evidence/<index>-<file name>       the evidence blob recorded by entry <index>
//! certificates/<id>.dsse.json        a DSSE envelope of a certification record
//! ```
//!
//! Architecture Invariant: a path is safe to extract anywhere: relative, `/`-separated,
//! no empty, `.` or `..` component, no backslash, colon or control character. The
//! builder only writes such paths and the verifier rejects any other before reading the
//! member. Evidence file names come from ledger entries and are made safe by
//! [`sanitize_file_name`], deterministically, so the verifier can recompute them.

use std::fmt;

/// `manifest.json`.
pub const MANIFEST: &str = "manifest.json";
/// `index.html`.
pub const INDEX: &str = "index.html";
/// `keys/ledger.pub`.
pub const PUBLIC_KEY: &str = "keys/ledger.pub";
/// `keys/ledger.vkey`.
pub const VERIFIER_KEY: &str = "keys/ledger.vkey";
/// `ledger/checkpoint`.
pub const CHECKPOINT: &str = "ledger/checkpoint";

const ENTRIES: &str = "ledger/entries/";
const PROOFS: &str = "ledger/proofs/";
const EVIDENCE: &str = "evidence/";
const CERTIFICATES: &str = "certificates/";
const ENTRY_SUFFIX: &str = ".json";
const PROOF_SUFFIX: &str = ".tlog-proof";
const CERTIFICATE_SUFFIX: &str = ".dsse.json";

/// The longest member path accepted, in bytes.
pub const MAX_PATH_LENGTH: usize = 1024;
/// Evidence file names are cut to this many bytes, so that `<index>-<name>` stays
/// under the 255-byte file name limit of common file systems.
const MAX_FILE_NAME: usize = 200;
/// Certificate ids are at most this long.
const MAX_CERTIFICATE_ID: usize = 128;

/// What a member path stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Member {
    /// `manifest.json`.
    Manifest,
    /// `index.html`.
    Index,
    /// `keys/ledger.pub`.
    PublicKey,
    /// `keys/ledger.vkey`.
    VerifierKey,
    /// `ledger/checkpoint`.
    Checkpoint,
    /// `ledger/entries/<index>.json`.
    Entry(u64),
    /// `ledger/proofs/<index>.tlog-proof`.
    Proof(u64),
    /// `evidence/<entry>-<file name>`.
    Evidence {
        /// The index of the `evidence_captured` entry that records the blob.
        entry: u64,
        /// The file name part, as sanitized.
        file_name: String,
    },
    /// `certificates/<id>.dsse.json`.
    Certificate(String),
}

impl Member {
    /// What `path` stands for, or `None` when it is not part of the layout.
    pub fn parse(path: &str) -> Option<Member> {
        match path {
            MANIFEST => return Some(Member::Manifest),
            INDEX => return Some(Member::Index),
            PUBLIC_KEY => return Some(Member::PublicKey),
            VERIFIER_KEY => return Some(Member::VerifierKey),
            CHECKPOINT => return Some(Member::Checkpoint),
            _ => {}
        }
        if let Some(index) = path.strip_prefix(ENTRIES).and_then(|rest| rest.strip_suffix(ENTRY_SUFFIX)) {
            return parse_index(index).map(Member::Entry);
        }
        if let Some(index) = path.strip_prefix(PROOFS).and_then(|rest| rest.strip_suffix(PROOF_SUFFIX)) {
            return parse_index(index).map(Member::Proof);
        }
        if let Some(rest) = path.strip_prefix(EVIDENCE) {
            let (index, file_name) = rest.split_once('-')?;
            let entry = parse_index(index)?;
            // Only names the builder could have written: already sanitized.
            return (sanitize_file_name(file_name) == file_name)
                .then(|| Member::Evidence { entry, file_name: file_name.to_owned() });
        }
        if let Some(id) = path.strip_prefix(CERTIFICATES).and_then(|rest| rest.strip_suffix(CERTIFICATE_SUFFIX)) {
            return check_certificate_id(id).ok().map(|()| Member::Certificate(id.to_owned()));
        }
        None
    }

    /// The member's path.
    pub fn path(&self) -> String {
        match self {
            Member::Manifest => MANIFEST.to_owned(),
            Member::Index => INDEX.to_owned(),
            Member::PublicKey => PUBLIC_KEY.to_owned(),
            Member::VerifierKey => VERIFIER_KEY.to_owned(),
            Member::Checkpoint => CHECKPOINT.to_owned(),
            Member::Entry(index) => entry_path(*index),
            Member::Proof(index) => proof_path(*index),
            Member::Evidence { entry, file_name } => format!("{EVIDENCE}{entry}-{file_name}"),
            Member::Certificate(id) => format!("{CERTIFICATES}{id}{CERTIFICATE_SUFFIX}"),
        }
    }
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// `ledger/entries/<index>.json`.
pub fn entry_path(index: u64) -> String {
    format!("{ENTRIES}{index}{ENTRY_SUFFIX}")
}

/// `ledger/proofs/<index>.tlog-proof`.
pub fn proof_path(index: u64) -> String {
    format!("{PROOFS}{index}{PROOF_SUFFIX}")
}

/// `evidence/<entry>-<sanitized file name>`.
pub fn evidence_path(entry: u64, file_name: &str) -> String {
    Member::Evidence { entry, file_name: sanitize_file_name(file_name) }.path()
}

/// `certificates/<id>.dsse.json`; the id must pass [`check_certificate_id`].
pub fn certificate_path(id: &str) -> String {
    Member::Certificate(id.to_owned()).path()
}

/// A file name as it appears in an evidence member path: `/`, `\`, `:` and control
/// characters become `_`, the name is cut to 200 bytes (at a character boundary), and
/// an empty name becomes `blob`. The function is idempotent.
pub fn sanitize_file_name(name: &str) -> String {
    let mut safe = String::with_capacity(name.len().min(MAX_FILE_NAME));
    for character in name.chars() {
        let replaced = if is_forbidden(character) { '_' } else { character };
        if safe.len() + replaced.len_utf8() > MAX_FILE_NAME {
            break;
        }
        safe.push(replaced);
    }
    if safe.is_empty() { "blob".to_owned() } else { safe }
}

/// Characters no member path holds (besides `/` as the separator).
fn is_forbidden(character: char) -> bool {
    matches!(character, '/' | '\\' | ':') || character.is_control()
}

/// A certificate id is 1 to 128 ASCII letters, digits, `.`, `_` and `-`, not starting
/// with `.`; a UUID is one.
///
/// # Errors
/// The rule broken, as text.
pub fn check_certificate_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() || id.len() > MAX_CERTIFICATE_ID {
        return Err("must be 1 to 128 characters");
    }
    if id.starts_with('.') {
        return Err("must not start with '.'");
    }
    if !id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-')) {
        return Err("may hold only ASCII letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

/// Checks that a member name from an archive is safe to extract: see the module
/// documentation.
///
/// # Errors
/// The rule broken, as text.
pub fn check_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("empty name");
    }
    if path.len() > MAX_PATH_LENGTH {
        return Err("name longer than 1024 bytes");
    }
    if path.starts_with('/') {
        return Err("absolute path");
    }
    if path.ends_with('/') {
        return Err("directory entry");
    }
    if path.contains('\\') {
        return Err("backslash in name");
    }
    if path.contains(':') {
        return Err("colon in name (drive letter or stream)");
    }
    if path.chars().any(char::is_control) {
        return Err("control character in name");
    }
    for component in path.split('/') {
        match component {
            "" => return Err("empty path component"),
            "." | ".." => return Err("'.' or '..' path component"),
            _ => {}
        }
    }
    Ok(())
}

/// ASCII decimal without sign or leading zeros (`0` itself allowed), as tlog-proof
/// writes indexes, so each index has exactly one path.
pub(crate) fn parse_index(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_parse() {
        let members = [
            Member::Manifest,
            Member::Index,
            Member::PublicKey,
            Member::VerifierKey,
            Member::Checkpoint,
            Member::Entry(0),
            Member::Entry(12345),
            Member::Proof(7),
            Member::Evidence { entry: 3, file_name: "bandit-report.sarif".into() },
            Member::Evidence { entry: 4, file_name: "résumé de l'été.json".into() },
            Member::Certificate("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into()),
        ];
        for member in members {
            let path = member.path();
            assert_eq!(check_path(&path), Ok(()), "{path}");
            assert_eq!(Member::parse(&path), Some(member), "{path}");
        }
    }

    #[test]
    fn rejects_paths_outside_the_layout() {
        for path in [
            "notes.txt",
            "ledger/entries/01.json",
            "ledger/entries/-1.json",
            "ledger/entries/x.json",
            "ledger/entries/18446744073709551616.json",
            "ledger/proofs/3.proof",
            "evidence/3",
            "evidence/x-a.txt",
            "evidence/3-a/b.txt",
            "evidence/3-a:b.txt",
            "certificates/.hidden.dsse.json",
            "certificates/a b.dsse.json",
            "keys/other.pub",
        ] {
            assert_eq!(Member::parse(path), None, "{path}");
        }
    }

    #[test]
    fn unsafe_paths_are_named() {
        for (path, reason) in [
            ("", "empty name"),
            ("../x", "'.' or '..' path component"),
            ("evidence/../../x", "'.' or '..' path component"),
            ("./manifest.json", "'.' or '..' path component"),
            ("/etc/passwd", "absolute path"),
            ("evidence/", "directory entry"),
            ("evidence\\x", "backslash in name"),
            ("C:/x", "colon in name (drive letter or stream)"),
            ("a//b", "empty path component"),
            ("a\nb", "control character in name"),
        ] {
            assert_eq!(check_path(path), Err(reason), "{path:?}");
        }
        assert!(check_path(&"a".repeat(MAX_PATH_LENGTH + 1)).is_err());
    }

    #[test]
    fn file_names_are_sanitized_idempotently() {
        for (name, expected) in [
            ("report.sarif", "report.sarif"),
            ("../../etc/passwd", ".._.._etc_passwd"),
            ("a\\b:c\u{0}d\u{7f}", "a_b_c_d_"),
            ("", "blob"),
            ("..", ".."),
        ] {
            assert_eq!(sanitize_file_name(name), expected, "{name:?}");
            assert_eq!(sanitize_file_name(expected), expected);
        }
        let long = "é".repeat(150);
        let cut = sanitize_file_name(&long);
        assert!(cut.len() <= MAX_FILE_NAME && cut.chars().all(|c| c == 'é'), "{cut}");
        assert_eq!(sanitize_file_name(&cut), cut);
        // An evidence path built from any name parses back to its member.
        let path = evidence_path(9, "../x/y");
        assert_eq!(path, "evidence/9-.._x_y");
        assert_eq!(check_path(&path), Ok(()));
        assert_eq!(Member::parse(&path), Some(Member::Evidence { entry: 9, file_name: ".._x_y".into() }));
    }
}
