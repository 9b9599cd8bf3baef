//! The allowed-signers file git uses for SSH signatures (`gpg.ssh.allowedSignersFile`).
//!
//! The format is ssh-keygen(1)'s ALLOWED SIGNERS section: one key per line,
//!
//! ```text
//! principals [options] keytype base64-key [comment]
//! ```
//!
//! where `principals` is a comma-separated list of identities (`ada@example.com`,
//! patterns allowed), and `options` a comma-separated list of `cert-authority`,
//! `namespaces="git,file"`, `valid-after="YYYYMMDD[HHMM[SS]][Z]"` and
//! `valid-before="..."`. Empty lines and lines starting with `#` are ignored.
//! Namespaces are patterns matched as OpenSSH matches them: `*` and `?`, case
//! kept, `!pattern` refusing.
//!
//! Differences from ssh-keygen: timestamps are always read as UTC (ssh-keygen reads
//! those without `Z` in the local time zone), an unknown option is an error rather
//! than a skipped line, and `cert-authority` lines are kept but never match, because
//! signatures made with SSH certificates are not verified here.

use std::path::Path;

use ssh_key::PublicKey;
use ssh_key::public::KeyData;

use crate::actor::{Wildcards, wildcard_matcher};
use crate::error::AllowedSignersError;

/// A parsed allowed-signers file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSigners {
    entries: Vec<AllowedSigner>,
}

/// One line of an allowed-signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// The principals, as written (comma-separated).
    pub principals: String,
    /// The key.
    pub key: PublicKey,
    /// Whether the line names a certificate authority rather than a signing key.
    pub cert_authority: bool,
    /// The namespaces the key may sign for; `None` means any.
    pub namespaces: Option<Vec<String>>,
    /// Seconds since 1970 (UTC) before which the key is not valid.
    pub valid_after: Option<i64>,
    /// Seconds since 1970 (UTC) after which the key is not valid.
    pub valid_before: Option<i64>,
}

/// The outcome of looking a key up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup<'a> {
    /// An entry allows the key for the namespace at that time.
    Allowed(&'a AllowedSigner),
    /// No entry allows it; the reason says why.
    Refused(String),
}

impl AllowedSigners {
    /// Parses the text of an allowed-signers file. `origin` names it in errors (a
    /// path, or `<text>`).
    ///
    /// # Errors
    ///
    /// [`AllowedSignersError::Line`] for the first line that does not parse.
    pub fn parse(text: &str, origin: &str) -> Result<Self, AllowedSignersError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_line(line).map_err(|reason| AllowedSignersError::Line {
                origin: origin.to_owned(),
                line: index + 1,
                reason,
            })?;
            entries.push(entry);
        }
        Ok(AllowedSigners { entries })
    }

    /// Reads and parses an allowed-signers file.
    ///
    /// # Errors
    ///
    /// [`AllowedSignersError::Read`] when the file cannot be read, and
    /// [`AllowedSignersError::Line`] for the first line that does not parse.
    pub fn read(path: &Path) -> Result<Self, AllowedSignersError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AllowedSignersError::Read { path: path.to_owned(), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[AllowedSigner] {
        &self.entries
    }

    /// Finds the first entry that allows `key` to sign in `namespace` at `time`
    /// (seconds since 1970), as `ssh-keygen -Y find-principals` does.
    pub(crate) fn lookup(&self, key: &KeyData, namespace: &str, time: i64) -> Lookup<'_> {
        let mut refusals = Vec::new();
        for entry in self.entries.iter().filter(|entry| !entry.cert_authority && entry.key.key_data() == key) {
            if let Some(namespaces) = &entry.namespaces
                && !in_pattern_list(namespaces, namespace)
            {
                refusals.push(format!("{} may sign only for namespaces {}", entry.principals, namespaces.join(",")));
            } else if entry.valid_after.is_some_and(|after| time < after) {
                refusals.push(format!("{} is not valid yet at the commit time", entry.principals));
            } else if entry.valid_before.is_some_and(|before| time > before) {
                refusals.push(format!("{} has expired at the commit time", entry.principals));
            } else {
                return Lookup::Allowed(entry);
            }
        }
        if refusals.is_empty() {
            Lookup::Refused("the key is not in the allowed signers".to_owned())
        } else {
            Lookup::Refused(format!("the allowed signers refuse the key: {}", refusals.join("; ")))
        }
    }
}

/// Parses one non-comment line.
fn parse_line(line: &str) -> Result<AllowedSigner, String> {
    let fields = split_fields(line)?;
    let Some(principals) = fields.first() else {
        return Err("the line is empty".to_owned());
    };
    let principals = unquote(principals);
    if principals.is_empty() {
        return Err("the principals field is empty".to_owned());
    }
    // Options are present exactly when the field after the principals is not the
    // start of a key.
    let key_at = |at: usize| -> Option<PublicKey> {
        let keytype = fields.get(at)?;
        let base64 = fields.get(at + 1)?;
        PublicKey::from_openssh(&format!("{keytype} {base64}")).ok()
    };
    let (options, key) = match key_at(1) {
        Some(key) => (None, key),
        None => match key_at(2) {
            Some(key) => (fields.get(1).map(String::as_str), key),
            None => {
                return Err(
                    "expected `principals [options] keytype base64-key`, and no valid public key was found".to_owned()
                );
            }
        },
    };
    let mut entry = AllowedSigner {
        principals: principals.to_owned(),
        key,
        cert_authority: false,
        namespaces: None,
        valid_after: None,
        valid_before: None,
    };
    if let Some(options) = options {
        for option in split_outside_quotes(options, ',') {
            let (name, value) = match option.split_once('=') {
                Some((name, value)) => (name, Some(unquote(value))),
                None => (option, None),
            };
            match (name.to_ascii_lowercase().as_str(), value) {
                ("cert-authority", None) => entry.cert_authority = true,
                ("namespaces", Some(value)) => {
                    // Spaces are kept, as OpenSSH keeps them: `"file, git"` does not allow `git`.
                    entry.namespaces = Some(value.split(',').map(str::to_owned).collect());
                }
                ("valid-after", Some(value)) => entry.valid_after = Some(parse_timestamp(value)?),
                ("valid-before", Some(value)) => entry.valid_before = Some(parse_timestamp(value)?),
                _ => return Err(format!("unknown or malformed option {option:?}")),
            }
        }
    }
    Ok(entry)
}

/// Splits on whitespace outside double quotes.
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    fields.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err("a double quote is not closed".to_owned());
    }
    if !current.is_empty() {
        fields.push(current);
    }
    Ok(fields)
}

/// Splits on `separator` outside double quotes.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..at]);
            start = at + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text)
}

/// `YYYYMMDD[HHMM[SS]][Z]` as seconds since 1970, read as UTC.
fn parse_timestamp(text: &str) -> Result<i64, String> {
    let malformed = || format!("malformed timestamp {text:?} (expected YYYYMMDD[HHMM[SS]][Z])");
    let digits = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let number = |range: std::ops::Range<usize>| digits.get(range).and_then(|d| d.parse::<u32>().ok()).unwrap_or(0);
    let year = i32::try_from(number(0..4)).map_err(|_| malformed())?;
    let month = u8::try_from(number(4..6)).ok().and_then(|m| time::Month::try_from(m).ok()).ok_or_else(malformed)?;
    let day = u8::try_from(number(6..8)).map_err(|_| malformed())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| malformed())?;
    let hour = u8::try_from(number(8..10)).map_err(|_| malformed())?;
    let minute = u8::try_from(number(10..12)).map_err(|_| malformed())?;
    let second = u8::try_from(number(12..14)).map_err(|_| malformed())?;
    let clock = time::Time::from_hms(hour, minute, second).map_err(|_| malformed())?;
    Ok(date.with_time(clock).assume_utc().unix_timestamp())
}

/// Whether `text` is in a pattern list (`namespaces="git,file"`) as OpenSSH
/// reads one (`match_pattern_list`): `*` and `?` wildcards, letters in their
/// case; a `!pattern` that matches refuses whatever else matches.
fn in_pattern_list(patterns: &[String], text: &str) -> bool {
    let wildcards = Wildcards { question_mark: true, case_insensitive: false };
    let matches = |pattern: &str| wildcard_matcher(pattern, wildcards).is_some_and(|matcher| matcher.is_match(text));
    let mut found = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if matches(negated) => return false,
            Some(_) => {}
            None => found |= matches(pattern),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    // A throwaway ed25519 key, generated with ssh-keygen for these tests.
    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILLpf4PjD1ULpoc1zCJHeptn26H5IKSRmKd+ul8uT8+y";
    const OTHER: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPHUG/xXNZ4Y6ICXI8yZHdCJBsPq65Vro8hhx1casBAr";

    fn key_data(text: &str) -> KeyData {
        PublicKey::from_openssh(text).unwrap().key_data().clone()
    }

    #[test]
    fn namespaces_match_as_openssh_matches_them() {
        // What `ssh-keygen -Y verify -n git` (OpenSSH 9.2p1) answers for a git
        // signature by a key whose allowed_signers line has `namespaces="LIST"`.
        for (list, allowed) in [
            ("git", true),
            ("GIT", false),
            ("Git", false),
            ("g?t", true),
            ("G*", false),
            ("!git", false),
            ("!file,*", true),
            ("!git,*", false),
            ("file", false),
            ("file,git", true),
            ("file, git", false),
            ("git ", false),
        ] {
            let signers =
                AllowedSigners::parse(&format!("ada@example.com namespaces=\"{list}\" {KEY}\n"), "test").unwrap();
            let found = signers.lookup(&key_data(KEY), crate::signature::GIT_NAMESPACE, 1_700_000_000);
            assert_eq!(matches!(found, Lookup::Allowed(_)), allowed, "namespaces={list:?}");
        }
    }

    #[test]
    fn parses_lines_with_and_without_options() {
        let text = format!(
            "# comment\n\nada@example.com {KEY} ada's laptop\n\"bob@example.com,*@ops.example.com\" namespaces=\"git,file\",valid-after=\"20240101\",valid-before=\"20250101120000Z\" {OTHER}\n"
        );
        let signers = AllowedSigners::parse(&text, "<text>").unwrap();
        let [ada, bob] = signers.entries() else { panic!("two entries expected") };
        assert_eq!(ada.principals, "ada@example.com");
        assert_eq!(ada.namespaces, None);
        assert_eq!(bob.principals, "bob@example.com,*@ops.example.com");
        assert_eq!(bob.namespaces, Some(vec!["git".to_owned(), "file".to_owned()]));
        assert_eq!(bob.valid_after, Some(1_704_067_200));
        assert_eq!(bob.valid_before, Some(1_735_732_800));
    }

    #[test]
    fn lookups() {
        let text = format!(
            "ada@example.com {KEY}\nbob@example.com namespaces=\"file\" {OTHER}\ncarol@example.com valid-before=\"20000101\" {OTHER}\n"
        );
        let signers = AllowedSigners::parse(&text, "<text>").unwrap();
        let now = 1_800_000_000;
        assert!(
            matches!(signers.lookup(&key_data(KEY), "git", now), Lookup::Allowed(e) if e.principals == "ada@example.com")
        );
        let Lookup::Refused(reason) = signers.lookup(&key_data(OTHER), "git", now) else { panic!("refused expected") };
        assert!(reason.contains("bob@example.com may sign only for namespaces file"), "{reason}");
        assert!(reason.contains("carol@example.com has expired"), "{reason}");
        let empty = AllowedSigners::default();
        assert_eq!(
            empty.lookup(&key_data(KEY), "git", now),
            Lookup::Refused("the key is not in the allowed signers".into())
        );
    }

    #[test]
    fn errors_name_the_line() {
        for (text, expected) in [
            ("ada@example.com ssh-ed25519 notbase64", "line 1: expected"),
            (
                &format!("\nada@example.com frobnicate {KEY}") as &str,
                "line 2: unknown or malformed option \"frobnicate\"",
            ),
            (&format!("ada@example.com valid-after=\"2024\" {KEY}"), "malformed timestamp \"2024\""),
            (&format!("ada@example.com valid-after=\"20241301\" {KEY}"), "malformed timestamp"),
            ("\"ada@example.com ssh-ed25519", "a double quote is not closed"),
        ] {
            let error = AllowedSigners::parse(text, "signers.txt").unwrap_err().to_string();
            assert!(error.starts_with("allowed signers signers.txt, line "), "{error}");
            assert!(error.contains(expected), "{error} lacks {expected}");
        }
    }
}
